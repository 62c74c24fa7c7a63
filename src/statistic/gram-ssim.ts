/**
 * The SSIM-style statistic DeepSSIM takes over Gram matrices, in float64 with two-pass moments.
 * (The authors compute it in float32, with the covariance in one pass: E[xy] − μxμy.)
 */

/** Stabilising constant of the authors' code (added to numerator and denominator). */
export const DEEPSSIM_C = 1e-6;

/** s = (2σAB + c) / (σA² + σB² + c) over the entries a[i], b[i] (i ∈ idx, population moments). */
function similarity(a: ArrayLike<number>, b: ArrayLike<number>, idx: ArrayLike<number>, c: number): number {
  const n = idx.length;
  let ma = 0;
  let mb = 0;
  for (let k = 0; k < n; k++) {
    ma += a[idx[k]];
    mb += b[idx[k]];
  }
  ma /= n;
  mb /= n;
  let va = 0;
  let vb = 0;
  let cov = 0;
  for (let k = 0; k < n; k++) {
    const da = a[idx[k]] - ma;
    const db = b[idx[k]] - mb;
    va += da * da;
    vb += db * db;
    cov += da * db;
  }
  return (2 * (cov / n) + c) / (va / n + vb / n + c);
}

/**
 * DeepSSIM (full): mean of the block similarity over the non-overlapping `block`×`block` tiles of two C×C Gram
 * matrices (C = 512, block = 4: a 128×128 grid of 16-entry windows).
 */
export function blockGramSimilarity(
  gramRef: ArrayLike<number>,
  gramTest: ArrayLike<number>,
  channels: number,
  block = 4,
  c = DEEPSSIM_C,
): number {
  if (gramRef.length !== channels * channels || gramTest.length !== channels * channels) {
    throw new Error(`Gram matrices must be ${channels}×${channels}`);
  }
  if (channels % block !== 0) throw new Error(`channels ${channels} not divisible by block ${block}`);
  const grid = channels / block;
  const idx = new Int32Array(block * block);
  let sum = 0;
  for (let bi = 0; bi < grid; bi++) {
    for (let bj = 0; bj < grid; bj++) {
      let k = 0;
      for (let r = 0; r < block; r++) {
        const row = (bi * block + r) * channels + bj * block;
        for (let q = 0; q < block; q++) idx[k++] = row + q;
      }
      sum += similarity(gramRef, gramTest, idx, c);
    }
  }
  return sum / (grid * grid);
}

/**
 * DeepSSIM-Lite: each Gram matrix divided by C·h·w of its own image, then one window over the whole matrix.
 */
export function liteGramSimilarity(
  gramRef: ArrayLike<number>,
  cellsRef: number,
  gramTest: ArrayLike<number>,
  cellsTest: number,
  channels: number,
  c = DEEPSSIM_C,
): number {
  const n = channels * channels;
  const a = new Float64Array(n);
  const b = new Float64Array(n);
  const ka = 1 / (channels * cellsRef);
  const kb = 1 / (channels * cellsTest);
  for (let i = 0; i < n; i++) {
    a[i] = gramRef[i] * ka;
    b[i] = gramTest[i] * kb;
  }
  const idx = new Int32Array(n);
  for (let i = 0; i < n; i++) idx[i] = i;
  return similarity(a, b, idx, c);
}

/**
 * DeepSSIM full, size-normalised (an extension of the paper, not the published metric): each Gram matrix is divided
 * by the number of feature-map cells h·w of its own image before the 4×4 block statistic. The published full variant
 * compares unnormalised Grams, whose magnitude grows with h·w, so a rescaled copy of the reference loses score from
 * the size change alone (a Gram k times larger gives 2k/(1+k²) per block); dividing by h·w removes that factor.
 */
export function normalizedBlockGramSimilarity(
  gramRef: ArrayLike<number>,
  cellsRef: number,
  gramTest: ArrayLike<number>,
  cellsTest: number,
  channels: number,
  block = 4,
  c = DEEPSSIM_C,
): number {
  const n = channels * channels;
  if (gramRef.length !== n || gramTest.length !== n) throw new Error(`Gram matrices must be ${channels}×${channels}`);
  const a = new Float64Array(n);
  const b = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    a[i] = gramRef[i] / cellsRef;
    b[i] = gramTest[i] / cellsTest;
  }
  return blockGramSimilarity(a, b, channels, block, c);
}
