/**
 * Correlation statistics between objective metric scores and subjective scores, as used in IQA papers:
 * SRCC (Spearman, average ranks for ties), KRCC (Kendall tau-b, O(n log n)), and PLCC / RMSE after the VQEG
 * five-parameter logistic mapping fitted by Levenberg–Marquardt. Everything is float64.
 */
import { UsageError } from '../errors.js';
import { seededRandom } from './transforms/random.js';

/** The project's one seeded PRNG (sfc32, src/eval/transforms/random.ts), re-exported for the statistics' users. */
export { seededRandom };

type Vec = ArrayLike<number>;

function checkPair(x: Vec, y: Vec, what: string): void {
  if (x.length !== y.length) throw new UsageError(`${what}: vectors differ in length (${x.length} vs ${y.length})`);
  for (let i = 0; i < x.length; i++) {
    if (!Number.isFinite(x[i]) || !Number.isFinite(y[i]))
      throw new UsageError(`${what}: non-finite value at index ${i}`);
  }
}

function mean(x: Vec): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i];
  return s / x.length;
}

/** Population standard deviation. */
function std(x: Vec): number {
  const m = mean(x);
  let s = 0;
  for (let i = 0; i < x.length; i++) s += (x[i] - m) ** 2;
  return Math.sqrt(s / x.length);
}

/** 1-based ranks with ties given their average rank (as scipy.stats.rankdata 'average'). */
export function rankAverage(x: Vec): Float64Array {
  const n = x.length;
  const idx = Array.from({ length: n }, (_, i) => i).sort((a, b) => x[a] - x[b]);
  const r = new Float64Array(n);
  let i = 0;
  while (i < n) {
    let j = i;
    while (j + 1 < n && x[idx[j + 1]] === x[idx[i]]) j++;
    const avg = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) r[idx[k]] = avg;
    i = j + 1;
  }
  return r;
}

/** Pearson linear correlation; NaN when either vector is constant. */
export function pearson(x: Vec, y: Vec): number {
  checkPair(x, y, 'pearson');
  const n = x.length;
  if (n < 2) return NaN;
  const mx = mean(x);
  const my = mean(y);
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = x[i] - mx;
    const dy = y[i] - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  if (sxx === 0 || syy === 0) return NaN;
  return Math.max(-1, Math.min(1, sxy / Math.sqrt(sxx * syy)));
}

/** Spearman rank-order correlation (Pearson on average ranks). */
export function srcc(x: Vec, y: Vec): number {
  checkPair(x, y, 'srcc');
  return pearson(rankAverage(x), rankAverage(y));
}

/** Number of pairs within runs of equal values of a sorted array: Σ t(t−1)/2. */
function tiedPairs(sorted: ArrayLike<number>): number {
  let total = 0;
  let run = 1;
  for (let i = 1; i <= sorted.length; i++) {
    if (i < sorted.length && sorted[i] === sorted[i - 1]) run++;
    else {
      total += (run * (run - 1)) / 2;
      run = 1;
    }
  }
  return total;
}

/**
 * Kendall tau-b by Knight's O(n log n) algorithm: sort by (x, y), count ties, then count the
 * exchanges a merge sort on y needs (= discordant pairs).
 */
export function krcc(x: Vec, y: Vec): number {
  checkPair(x, y, 'krcc');
  const n = x.length;
  if (n < 2) return NaN;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => x[a] - x[b] || y[a] - y[b]);
  const xs = new Float64Array(n);
  let ys = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    xs[i] = x[order[i]];
    ys[i] = y[order[i]];
  }
  const n0 = (n * (n - 1)) / 2;
  const n1 = tiedPairs(xs);
  // Joint ties: runs equal in both x and y (contiguous after the lexicographic sort).
  let n3 = 0;
  let run = 1;
  for (let i = 1; i <= n; i++) {
    if (i < n && xs[i] === xs[i - 1] && ys[i] === ys[i - 1]) run++;
    else {
      n3 += (run * (run - 1)) / 2;
      run = 1;
    }
  }
  // Bottom-up merge sort of ys counting exchanges (pairs i<j with ys[i] > ys[j]).
  let swaps = 0;
  let buf = new Float64Array(n);
  for (let width = 1; width < n; width *= 2) {
    for (let lo = 0; lo < n; lo += 2 * width) {
      const mid = Math.min(lo + width, n);
      const hi = Math.min(lo + 2 * width, n);
      let i = lo;
      let j = mid;
      let k = lo;
      while (i < mid && j < hi) {
        if (ys[j] < ys[i]) {
          buf[k++] = ys[j++];
          swaps += mid - i;
        } else buf[k++] = ys[i++];
      }
      while (i < mid) buf[k++] = ys[i++];
      while (j < hi) buf[k++] = ys[j++];
    }
    const t = ys;
    ys = buf;
    buf = t;
  }
  const n2 = tiedPairs(ys);
  const denom = Math.sqrt((n0 - n1) * (n0 - n2));
  if (denom === 0) return NaN;
  return (n0 - n1 - n2 + n3 - 2 * swaps) / denom;
}

// ---------------------------------------------------------------------------------------------------------------
// Nonlinear regression: VQEG logistic, Levenberg–Marquardt.

/** Which mapping was used before PLCC/RMSE: the 5-parameter VQEG logistic or a fallback. */
export type FitKind = 'logistic5' | 'logistic4' | 'linear';

export interface MappingFit {
  kind: FitKind;
  /** logistic5: [β1..β5]; logistic4: [β1, β2, β3, β5] (β4 = 0); linear: [slope, intercept]. */
  params: number[];
  /**
   * The same logistic in the form LM fitted, used for prediction because it stays accurate when β1 is huge:
   * Q = sigma·e^θ0 / (1 + exp(−θ1(x − θ2))) + (θ3·x) + θlast.
   */
  internal?: { sigma: number; theta: number[] };
  /** Why a simpler model was used (empty when logistic5 was accepted). */
  fallbackReasons: string[];
  iterations: number;
}

interface Model {
  kind: FitKind;
  k: number;
  f(p: number[], x: number): number;
  /** Writes ∂f/∂p into g. */
  grad(p: number[], x: number, g: Float64Array): void;
}

function sigmoidTerm(b2: number, b3: number, x: number): number {
  // 1/(1+exp(b2(x−b3))); exp overflow to Infinity yields 0, which is the right limit.
  return 1 / (1 + Math.exp(b2 * (x - b3)));
}

const LOGISTIC5: Model = {
  kind: 'logistic5',
  k: 5,
  f: (p, x) => p[0] * (0.5 - sigmoidTerm(p[1], p[2], x)) + p[3] * x + p[4],
  grad(p, x, g) {
    const s = sigmoidTerm(p[1], p[2], x);
    const ds = s * (1 - s);
    g[0] = 0.5 - s;
    g[1] = p[0] * ds * (x - p[2]);
    g[2] = -p[0] * ds * p[1];
    g[3] = x;
    g[4] = 1;
  },
};

const LOGISTIC4: Model = {
  kind: 'logistic4',
  k: 4,
  f: (p, x) => p[0] * (0.5 - sigmoidTerm(p[1], p[2], x)) + p[3],
  grad(p, x, g) {
    const s = sigmoidTerm(p[1], p[2], x);
    const ds = s * (1 - s);
    g[0] = 0.5 - s;
    g[1] = p[0] * ds * (x - p[2]);
    g[2] = -p[0] * ds * p[1];
    g[3] = 1;
  },
};

/**
 * The logistic as LM sees it: θ = [u, β2, β3, (β4,) c] with β1 = σ·e^u (σ = sign of the start β1) and
 * c = β5 − β1/2, so Q = σe^u·r + β4·x + c with r = 1/(1+exp(−β2(x−β3))). Same family, but when the optimum lies
 * at infinity (β1 → ∞, β3 beyond the data: an exponential tail) the valley is straight in (u, β3) instead of
 * curved in (β1, β3, β5), so LM stops promptly instead of crawling along it for thousands of iterations.
 */
function internalModel(
  k: 4 | 5,
  sigma: number,
): Model & { toTheta(b: number[]): number[]; toBeta(t: number[]): number[] } {
  const last = k - 1;
  return {
    kind: k === 5 ? 'logistic5' : 'logistic4',
    k,
    f(t, x) {
      const r = 1 / (1 + Math.exp(-t[1] * (x - t[2])));
      return sigma * Math.exp(t[0]) * r + (k === 5 ? t[3] * x : 0) + t[last];
    },
    grad(t, x, g) {
      const r = 1 / (1 + Math.exp(-t[1] * (x - t[2])));
      const a = sigma * Math.exp(t[0]);
      const dr = r * (1 - r);
      g[0] = a * r;
      g[1] = a * dr * (x - t[2]);
      g[2] = -a * dr * t[1];
      if (k === 5) g[3] = x;
      g[last] = 1;
    },
    toTheta(b) {
      const u = Math.log(Math.max(Math.abs(b[0]), 1e-300));
      return k === 5 ? [u, b[1], b[2], b[3], b[4] - b[0] / 2] : [u, b[1], b[2], b[3] - b[0] / 2];
    },
    toBeta(t) {
      const b1 = sigma * Math.exp(t[0]);
      return k === 5 ? [b1, t[1], t[2], t[3], t[4] + b1 / 2] : [b1, t[1], t[2], t[3] + b1 / 2];
    },
  };
}

/** Evaluate a fitted mapping at x. */
export function predict(fit: Pick<MappingFit, 'kind' | 'params' | 'internal'>, x: number): number {
  if (fit.internal && fit.kind !== 'linear')
    return internalModel(fit.kind === 'logistic5' ? 5 : 4, fit.internal.sigma).f(fit.internal.theta, x);
  const p = fit.params;
  if (fit.kind === 'linear') return p[0] * x + p[1];
  if (fit.kind === 'logistic4') return LOGISTIC4.f(p, x);
  return LOGISTIC5.f(p, x);
}

/** Solve the symmetric positive (semi)definite system A·d = b by Gaussian elimination with partial pivoting. */
function solve(a: Float64Array, b: Float64Array, k: number): Float64Array | null {
  const m = Float64Array.from(a);
  const r = Float64Array.from(b);
  for (let c = 0; c < k; c++) {
    let piv = c;
    for (let i = c + 1; i < k; i++) if (Math.abs(m[i * k + c]) > Math.abs(m[piv * k + c])) piv = i;
    if (!(Math.abs(m[piv * k + c]) > 0)) return null;
    if (piv !== c) {
      for (let j = 0; j < k; j++) [m[c * k + j], m[piv * k + j]] = [m[piv * k + j], m[c * k + j]];
      [r[c], r[piv]] = [r[piv], r[c]];
    }
    for (let i = c + 1; i < k; i++) {
      const f = m[i * k + c] / m[c * k + c];
      if (f === 0) continue;
      for (let j = c; j < k; j++) m[i * k + j] -= f * m[c * k + j];
      r[i] -= f * r[c];
    }
  }
  const d = new Float64Array(k);
  for (let i = k - 1; i >= 0; i--) {
    let s = r[i];
    for (let j = i + 1; j < k; j++) s -= m[i * k + j] * d[j];
    d[i] = s / m[i * k + i];
  }
  for (let i = 0; i < k; i++) if (!Number.isFinite(d[i])) return null;
  return d;
}

/**
 * How many times larger the individual terms of the fitted model (in the internal form used for prediction:
 * σe^u·r, β4·x, c) are than the spread of the data: > 1e8 means predictions are differences of huge numbers.
 * Parameter non-identifiability alone (e.g. an optimum at infinity, β1 → ∞ with β3 beyond the data so the
 * logistic acts as an exponential tail) is harmless for PLCC/RMSE, which depend only on the predictions, so this
 * cancellation ratio, not cond(JᵀJ), is what we guard against. The Python reference computes the same quantity.
 */
function cancellationRatio(k: 4 | 5, sigma: number, t: number[], x: Vec, y: Vec): number {
  let termMax = 0;
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < x.length; i++) {
    const r = 1 / (1 + Math.exp(-t[1] * (x[i] - t[2])));
    const term = Math.abs(sigma * Math.exp(t[0]) * r) + (k === 5 ? Math.abs(t[3] * x[i]) : 0) + Math.abs(t[k - 1]);
    termMax = Math.max(termMax, term);
    lo = Math.min(lo, y[i]);
    hi = Math.max(hi, y[i]);
  }
  return hi > lo ? termMax / (hi - lo) : Infinity;
}

function sse(model: Model, p: number[], x: Vec, y: Vec): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += (y[i] - model.f(p, x[i])) ** 2;
  return s;
}

export interface LMResult {
  params: number[];
  sse: number;
  iterations: number;
  converged: boolean;
}

/**
 * Levenberg–Marquardt with Marquardt's diagonal scaling: solve (JᵀJ + λ·diag(JᵀJ))·δ = Jᵀr,
 * accept a step only if it lowers the sum of squared errors. Converged when an accepted step changes the SSE
 * by less than `ftol` relatively or every parameter by less than `xtol` relatively (MINPACK-like tolerances).
 */
function levenbergMarquardt(model: Model, p0: number[], x: Vec, y: Vec, maxIter = 2000): LMResult {
  const k = model.k;
  // Relative tolerances close to MINPACK's defaults (1.5e-8), a bit tighter: flat valleys (optimum at infinity)
  // must still terminate, and PLCC/RMSE move far less than the SSE tolerance.
  const ftol = 1e-10;
  const xtol = 1e-10;
  let p = p0.slice();
  let cur = sse(model, p, x, y);
  if (!Number.isFinite(cur)) return { params: p, sse: cur, iterations: 0, converged: false };
  let lambda = 1e-3;
  // SSE after each accepted step: a slow crawl along a valley whose optimum lies at infinity is "converged" once
  // ten accepted steps together gain less than 1e-8 relatively (MINPACK's default ftol is 1.5e-8 per step).
  const history: number[] = [cur];
  const g = new Float64Array(k);
  const a = new Float64Array(k * k);
  const b = new Float64Array(k);
  for (let it = 1; it <= maxIter; it++) {
    a.fill(0);
    b.fill(0);
    for (let i = 0; i < x.length; i++) {
      model.grad(p, x[i], g);
      const r = y[i] - model.f(p, x[i]);
      for (let rr = 0; rr < k; rr++) {
        b[rr] += g[rr] * r;
        for (let c = rr; c < k; c++) a[rr * k + c] += g[rr] * g[c];
      }
    }
    for (let rr = 0; rr < k; rr++) for (let c = 0; c < rr; c++) a[rr * k + c] = a[c * k + rr];
    let accepted = false;
    while (lambda < 1e20) {
      const damped = Float64Array.from(a);
      for (let d = 0; d < k; d++) damped[d * k + d] += lambda * Math.max(a[d * k + d], 1e-300);
      const delta = solve(damped, b, k);
      if (delta) {
        const q = p.map((v, i) => v + delta[i]);
        const next = sse(model, q, x, y);
        if (Number.isFinite(next) && next <= cur) {
          const small = delta.every((d, i) => Math.abs(d) <= xtol * (Math.abs(p[i]) + xtol));
          const fchange = cur - next <= ftol * cur;
          p = q;
          cur = next;
          lambda = Math.max(lambda / 10, 1e-12);
          accepted = true;
          history.push(cur);
          const crawl = history.length > 10 && history[history.length - 11] - cur <= 1e-8 * cur;
          if (small || fchange || crawl || cur === 0) return { params: p, sse: cur, iterations: it, converged: true };
          break;
        }
      }
      lambda *= 10;
    }
    // No damping makes progress: we sit at a (numerical) minimum.
    if (!accepted) return { params: p, sse: cur, iterations: it, converged: true };
  }
  return { params: p, sse: cur, iterations: maxIter, converged: false };
}

function distinctCount(x: Vec): number {
  return new Set(Array.from(x)).size;
}

/** Ordinary least-squares line y ≈ a·x + b. */
export function linearFit(x: Vec, y: Vec): [number, number] {
  const mx = mean(x);
  const my = mean(y);
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < x.length; i++) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) ** 2;
  }
  const a = sxx > 0 ? sxy / sxx : 0;
  return [a, my - a * mx];
}

/**
 * Starting point for the logistic (shared with the Python reference):
 * β1 = (max y − min y)·sign(r) so the sigmoid spans the subjective range in the direction of the data;
 * β2 = 1/std(x) so the transition covers about ±2 std of the metric scores; β3 = mean(x) centres it;
 * β4 = 0 starts from a pure logistic (the linear term is a correction); β5 = mean(y) is the level at the centre.
 */
export function logisticStart(x: Vec, y: Vec): number[] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < y.length; i++) {
    lo = Math.min(lo, y[i]);
    hi = Math.max(hi, y[i]);
  }
  const r = pearson(x, y);
  const sign = r < 0 ? -1 : 1;
  const sx = std(x);
  return [(hi - lo) * sign, sx > 0 ? 1 / sx : 1, mean(x), 0, mean(y)];
}

/** Largest cancellation ratio (model terms vs. data spread) accepted before falling back: ~8 digits lost. */
export const MAX_CANCELLATION = 1e8;

/**
 * Fit the VQEG 5-parameter logistic Q(x) = β1(½ − 1/(1+exp(β2(x−β3)))) + β4·x + β5 and fall back to the
 * 4-parameter logistic (β4 = 0), then to a straight line, when a model cannot be identified: too few distinct
 * x values (< k+1), LM did not converge, non-finite parameters, numerically ill-conditioned predictions
 * (terms > 1e8 × the data spread, see cancellationRatio), or an SSE worse than the straight line (which both
 * logistics contain as a limit).
 */
export function fitMapping(
  x: Vec,
  y: Vec,
  start?: number[],
  options: { kinds?: FitKind[]; maxIter?: number } = {},
): MappingFit {
  checkPair(x, y, 'fitMapping');
  const reasons: string[] = [];
  const lin = linearFit(x, y);
  const linSse = sse({ kind: 'linear', k: 2, f: (p, v) => p[0] * v + p[1], grad() {} }, lin, x, y);
  const distinct = distinctCount(x);
  const s0 = start ?? logisticStart(x, y);
  let iterations = 0;
  for (const model of [LOGISTIC5, LOGISTIC4]) {
    if (options.kinds && !options.kinds.includes(model.kind)) continue;
    const p0 = model.k === 5 ? s0 : [s0[0], s0[1], s0[2], s0[4]];
    if (distinct < model.k + 1) {
      reasons.push(`${model.kind}: only ${distinct} distinct metric values`);
      continue;
    }
    const inner = internalModel(model.k as 4 | 5, p0[0] < 0 ? -1 : 1);
    const lm = levenbergMarquardt(inner, inner.toTheta(p0), x, y, options.maxIter);
    const res = { ...lm, params: inner.toBeta(lm.params) };
    iterations += res.iterations;
    if (!res.converged) {
      reasons.push(`${model.kind}: no convergence in ${res.iterations} iterations`);
      continue;
    }
    if (!res.params.every(Number.isFinite)) {
      reasons.push(`${model.kind}: non-finite parameters`);
      continue;
    }
    const ratio = cancellationRatio(model.k as 4 | 5, p0[0] < 0 ? -1 : 1, lm.params, x, y);
    if (!(ratio <= MAX_CANCELLATION)) {
      reasons.push(`${model.kind}: ill-conditioned (terms ${ratio.toExponential(2)} × the data range)`);
      continue;
    }
    if (res.sse > linSse * (1 + 1e-9) + 1e-300) {
      reasons.push(`${model.kind}: worse than a straight line`);
      continue;
    }
    return {
      kind: model.kind,
      params: res.params,
      internal: { sigma: p0[0] < 0 ? -1 : 1, theta: lm.params },
      fallbackReasons: reasons,
      iterations,
    };
  }
  return { kind: 'linear', params: lin, fallbackReasons: reasons, iterations };
}

export interface PlccResult {
  /** Pearson correlation between Q(metric) and the subjective score. */
  plcc: number;
  /** Root mean squared error of Q(metric) in subjective-score units. */
  rmse: number;
  fit: MappingFit;
}

/** PLCC and RMSE after the logistic mapping of the metric scores x onto subjective scores y. */
export function plccAfterFit(
  x: Vec,
  y: Vec,
  start?: number[],
  options: { kinds?: FitKind[]; maxIter?: number } = {},
): PlccResult {
  const fit = fitMapping(x, y, start, options);
  const q = new Float64Array(x.length);
  let s = 0;
  for (let i = 0; i < x.length; i++) {
    q[i] = predict(fit, x[i]);
    s += (y[i] - q[i]) ** 2;
  }
  return { plcc: pearson(q, y), rmse: Math.sqrt(s / x.length), fit };
}

// ---------------------------------------------------------------------------------------------------------------
// Bootstrap and summaries.

/** Percentile with linear interpolation between order statistics (numpy's default). */
export function percentile(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const pos = (n - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, n - 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

export type Interval = [number, number];

export interface CorrelationStats {
  n: number;
  srcc: number;
  krcc: number;
  plcc: number;
  rmse: number;
  fit: MappingFit;
  /** 95 % percentile-bootstrap intervals (absent when bootstrap was disabled). */
  ci?: { srcc: Interval; krcc: Interval; plcc: Interval; rmse: Interval; resamples: number; seed: number };
}

export interface StatsOptions {
  /** True when a larger metric score means better quality. */
  metricHigherIsBetter: boolean;
  /** True when the subjective score is MOS-like (higher = better); false for DMOS. */
  subjectiveHigherIsBetter: boolean;
  /** Bootstrap resamples (0 disables); default 1000. */
  resamples?: number;
  seed?: number;
}

/**
 * SRCC/KRCC/PLCC/RMSE signed so that positive = agreement with the subjective scores:
 * SRCC and KRCC are multiplied by −1 when metric and subjective score run in opposite directions; PLCC (after
 * the fit, which absorbs direction) gets a negative sign when the fitted mapping runs against the expected
 * direction, i.e. when the metric disagrees with the observers.
 */
export function correlationStats(metric: Vec, subjective: Vec, options: StatsOptions): CorrelationStats {
  checkPair(metric, subjective, 'correlationStats');
  const n = metric.length;
  const sign = options.metricHigherIsBetter === options.subjectiveHigherIsBetter ? 1 : -1;
  const core = (x: Vec, y: Vec, start?: number[], fitOptions?: { kinds?: FitKind[]; maxIter?: number }) => {
    const pr = plccAfterFit(x, y, start, fitOptions);
    const q = Array.from(x, (v) => predict(pr.fit, v));
    const direction = pearson(x, q) * sign < 0 ? -1 : 1;
    return { srcc: sign * srcc(x, y), krcc: sign * krcc(x, y), plcc: direction * pr.plcc, rmse: pr.rmse, fit: pr.fit };
  };
  const full = core(metric, subjective);
  const out: CorrelationStats = {
    n,
    srcc: full.srcc,
    krcc: full.krcc,
    plcc: full.plcc,
    rmse: full.rmse,
    fit: full.fit,
  };
  const resamples = options.resamples ?? 1000;
  if (resamples > 0 && n >= 3) {
    const seed = options.seed ?? 1;
    const rand = seededRandom(seed); // reproducible resamples
    const acc = { srcc: [] as number[], krcc: [] as number[], plcc: [] as number[], rmse: [] as number[] };
    const bx = new Float64Array(n);
    const by = new Float64Array(n);
    // Every resample uses the model chosen on the full data, warm-started from its parameters (same minimum, far
    // fewer iterations; at most 500), falling back to a straight line only if it fails on that resample.
    const start =
      full.fit.kind === 'logistic5'
        ? full.fit.params
        : full.fit.kind === 'logistic4'
          ? [full.fit.params[0], full.fit.params[1], full.fit.params[2], 0, full.fit.params[3]]
          : undefined;
    const fitOptions = { kinds: [full.fit.kind], maxIter: 500 };
    for (let b = 0; b < resamples; b++) {
      for (let i = 0; i < n; i++) {
        const j = Math.floor(rand() * n);
        bx[i] = metric[j];
        by[i] = subjective[j];
      }
      const r = core(bx, by, start, fitOptions);
      for (const key of ['srcc', 'krcc', 'plcc', 'rmse'] as const) if (Number.isFinite(r[key])) acc[key].push(r[key]);
    }
    const ci = (v: number[]): Interval => {
      v.sort((p, q) => p - q);
      return [percentile(v, 0.025), percentile(v, 0.975)];
    };
    out.ci = { srcc: ci(acc.srcc), krcc: ci(acc.krcc), plcc: ci(acc.plcc), rmse: ci(acc.rmse), resamples, seed };
  }
  return out;
}

export interface TypeStats {
  type: string;
  n: number;
  srcc: number;
  krcc: number;
  plcc: number;
  rmse: number;
  fit: FitKind;
}

/** Per-distortion-type statistics (no bootstrap), sorted by type name. */
export function perTypeStats(
  metric: Vec,
  subjective: Vec,
  types: ArrayLike<string | undefined>,
  options: StatsOptions,
): TypeStats[] {
  const groups = new Map<string, number[]>();
  for (let i = 0; i < types.length; i++) {
    const t = types[i];
    if (t === undefined) continue;
    if (!groups.has(t)) groups.set(t, []);
    groups.get(t)!.push(i);
  }
  const out: TypeStats[] = [];
  for (const [type, idx] of [...groups].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    if (idx.length < 3) continue;
    const s = correlationStats(
      idx.map((i) => metric[i]),
      idx.map((i) => subjective[i]),
      { ...options, resamples: 0 },
    );
    out.push({ type, n: s.n, srcc: s.srcc, krcc: s.krcc, plcc: s.plcc, rmse: s.rmse, fit: s.fit.kind });
  }
  return out;
}
