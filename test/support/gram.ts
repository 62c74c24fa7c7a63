/** A deterministic C×C "Gram" of uniform values in [0, 100) (an LCG), for tests of the statistic alone. */
export function randomGram(c: number, seed: number): Float64Array {
  const rnd = lcg(seed);
  const g = new Float64Array(c * c);
  for (let i = 0; i < g.length; i++) g[i] = rnd() * 100;
  return g;
}

/** Uniform numbers in [0, 1) from a 32-bit linear congruential generator (Numerical Recipes' constants). */
export function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}
