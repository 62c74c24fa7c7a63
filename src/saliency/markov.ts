import { LRUCache } from 'lru-cache';
import { makeMap, type Map2D } from './map.js';

/**
 * The Markov chains of GBVS (the reference's graphsalapply with a single-resolution, fully connected lattice):
 * every lattice node connects to every node (itself included) with a distance factor
 * Dw(i,j) = exp(-d²(i,j) / (2σ²)), d² the squared lattice distance (non-cyclic, or toroidal for cyclic_type 1),
 * σ = sigma_frac × mean(lattice height, width). The transition matrix is column-normalised and its equilibrium
 * distribution found by power iteration from the uniform vector, stopping when the L2 change is <= tol,
 * exactly like the reference's principalEigenvectorRaw (so the result is the same partially converged vector,
 * not the exact eigenvector).
 */

/** Distance factors for one lattice size and sigma; cached because every map of an image shares them. */
interface DistanceWeights {
  P: number;
  dw: Float64Array;
}

const weightCache = new LRUCache<string, DistanceWeights>({ max: 6 });

export function distanceWeights(h: number, w: number, sigmaFrac: number, cyclic: 1 | 2): DistanceWeights {
  const key = `${h}x${w}:${cyclic}:${sigmaFrac}`;
  const hit = weightCache.get(key);
  if (hit) return hit;
  const P = h * w;
  const sig = sigmaFrac * ((h + w) / 2);
  const inv = 1 / (2 * sig * sig);
  const dw = new Float64Array(P * P);
  // Tabulate exp over the small set of possible squared distances.
  const table = new Float64Array(h * h + w * w + 1);
  for (let d = 0; d < table.length; d++) table[d] = Math.exp(-d * inv);
  for (let i = 0; i < P; i++) {
    const yi = Math.floor(i / w);
    const xi = i - yi * w;
    for (let j = i; j < P; j++) {
      const yj = Math.floor(j / w);
      const xj = j - yj * w;
      let dy = Math.abs(yi - yj);
      let dx = Math.abs(xi - xj);
      if (cyclic === 1) {
        dy = Math.min(dy, Math.abs(dy - h));
        dx = Math.min(dx, Math.abs(dx - w));
      }
      const v = table[dy * dy + dx * dx];
      dw[i * P + j] = v;
      dw[j * P + i] = v;
    }
  }
  const entry = { P, dw };
  weightCache.set(key, entry);
  return entry;
}

/** A map is treated as constant when its range is at most this fraction of its magnitude (rounding noise). */
const CONSTANT_RTOL = 1e-10;

function isConstant(a: Float64Array): boolean {
  let min = Infinity;
  let max = -Infinity;
  for (const v of a) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return max - min <= CONSTANT_RTOL * Math.max(Math.abs(min), Math.abs(max));
}

/** Result of one chain: equilibrium map and the power iterations used. */
export interface ChainResult {
  map: Map2D;
  iterations: number;
}

/** Reusable scratch space for the dense weight matrix (P² doubles). */
export class ChainWorkspace {
  private buf = new Float64Array(0);
  matrix(P: number): Float64Array {
    if (this.buf.length < P * P) this.buf = new Float64Array(P * P);
    return this.buf;
  }
}

const MAX_ITERATIONS = 100000;

/**
 * out = A·u for a dense row-major P×P matrix. Four independent accumulators: a single running sum is bound by
 * floating-point add latency, which made this loop (the bulk of GBVS's run time) ~3× slower.
 */
function matVec(A: Float64Array, P: number, u: Float64Array, out: Float64Array): void {
  const P4 = P - (P % 4);
  for (let r = 0; r < P; r++) {
    const row = r * P;
    let a0 = 0;
    let a1 = 0;
    let a2 = 0;
    let a3 = 0;
    let c = 0;
    for (; c < P4; c += 4) {
      a0 += A[row + c] * u[c];
      a1 += A[row + c + 1] * u[c + 1];
      a2 += A[row + c + 2] * u[c + 2];
      a3 += A[row + c + 3] * u[c + 3];
    }
    for (; c < P; c++) a0 += A[row + c] * u[c];
    out[r] = a0 + a1 + (a2 + a3);
  }
}

/**
 * Power iteration v <- M v from the uniform vector, M = A·diag(1/colsum) given by `apply(u)` = A·u.
 * Mirrors principalEigenvectorRaw: stop when ||v_old - v||₂ <= tol; on a non-finite or negative total,
 * fall back to the previous vector. Returns v / sum(v).
 */
function powerIterate(
  P: number,
  colsum: Float64Array,
  tol: number,
  apply: (u: Float64Array, out: Float64Array) => void,
): { v: Float64Array; iterations: number } {
  let v = new Float64Array(P).fill(1 / P);
  let next = new Float64Array(P);
  const u = new Float64Array(P);
  let iterations = 0;
  let df = Infinity;
  while (df > tol && iterations < MAX_ITERATIONS) {
    for (let c = 0; c < P; c++) u[c] = v[c] / colsum[c];
    apply(u, next);
    let d2 = 0;
    let s = 0;
    for (let r = 0; r < P; r++) {
      const d = v[r] - next[r];
      d2 += d * d;
      s += next[r];
    }
    iterations++;
    if (!(s >= 0 && s < Infinity)) break; // keep v (the previous iterate)
    df = Math.sqrt(d2);
    const t = v;
    v = next;
    next = t;
  }
  let s = 0;
  for (let r = 0; r < P; r++) s += v[r];
  for (let r = 0; r < P; r++) v[r] /= s;
  return { v, iterations };
}

function uniform(h: number, w: number): ChainResult {
  const m = makeMap(h, w);
  m.data.fill(1 / (h * w));
  return { map: m, iterations: 0 };
}

/**
 * Activation (reference algtype 2): edge weight i->j = Dw(i,j)·|a(i) - a(j)|; the chain's mass accumulates
 * where the map differs from its surroundings. A constant map (no edges) gives the uniform distribution,
 * which is what the reference ends up with too (its 0/0 column makes the first iterate NaN and it falls back).
 */
export function activationChain(
  map: Map2D,
  sigmaFrac: number,
  cyclic: 1 | 2,
  tol: number,
  ws: ChainWorkspace,
): ChainResult {
  const { h, w } = map;
  const a = map.data;
  if (isConstant(a)) return uniform(h, w);
  const { P, dw } = distanceWeights(h, w, sigmaFrac, cyclic);
  const W = ws.matrix(P);
  const colsum = new Float64Array(P);
  // W is symmetric, so column sums equal row sums.
  // Symmetric: fill the upper triangle and mirror it; column sums accumulate from both halves.
  for (let r = 0; r < P; r++) {
    const ar = a[r];
    const row = r * P;
    W[row + r] = 0;
    let s = 0;
    for (let c = r + 1; c < P; c++) {
      const v = dw[row + c] * Math.abs(ar - a[c]);
      W[row + c] = v;
      W[c * P + r] = v;
      colsum[c] += v;
      s += v;
    }
    colsum[r] += s;
  }
  for (let c = 0; c < P; c++) if (!(colsum[c] > 0) || !Number.isFinite(colsum[c])) return uniform(h, w);
  const { v, iterations } = powerIterate(P, colsum, tol, (u, out) => matVec(W, P, u, out));
  return { map: { data: v, h, w }, iterations };
}

/**
 * Graph-based normalisation (reference algtype 1, normalizationType 2): edge weight i->j = Dw(i,j)·a(i)
 * (mass flows towards high values, concentrating it where the map peaks), repeated `passes` times with
 * the previous equilibrium as the new map. A map with a zero column sum falls back to uniform.
 */
export function massChain(map: Map2D, sigmaFrac: number, cyclic: 1 | 2, tol: number, passes: number): ChainResult {
  const { h, w } = map;
  const { P, dw } = distanceWeights(h, w, sigmaFrac, cyclic);
  let a = map.data;
  let total = 0;
  for (let pass = 0; pass < passes; pass++) {
    // colsum_c = Σ_r Dw(r,c)·a(r) = (Dw·a)_c since Dw is symmetric.
    const colsum = new Float64Array(P);
    for (let c = 0; c < P; c++) {
      const row = c * P;
      let s = 0;
      for (let r = 0; r < P; r++) s += dw[row + r] * a[r];
      colsum[c] = s;
    }
    for (let c = 0; c < P; c++) if (!(colsum[c] > 0) || !Number.isFinite(colsum[c])) return uniform(h, w);
    const cur = a;
    const { v, iterations } = powerIterate(P, colsum, tol, (u, out) => {
      matVec(dw, P, u, out);
      for (let r = 0; r < P; r++) out[r] *= cur[r];
    });
    a = v;
    total += iterations;
  }
  return { map: { data: a, h, w }, iterations: total };
}
