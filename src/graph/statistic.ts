/**
 * DeepSSIM's statistic and its closed-form derivative as ONNX ops, in float64 (the Gram entries are large and
 * the derivative is a difference of near-equal terms for similar images).
 *
 * Per window of n entries (full: 4×4 blocks of the C×C Gram, lite: one window of C² entries of the normalised Gram):
 *   s = (2σab + c) / (σa² + σb² + c) = P / Q,   loss = 1 − mean over the W windows of s,
 *   ∂loss/∂b_k = −2 / (n·W) · ((a_k − μa) − s·(b_k − μb)) / Q   (and symmetrically for a).
 * Q ≥ c > 0, so the derivative is finite for identical, constant and all-zero images.
 */
import type { GraphBuilder } from '../onnx/builder.js';
import { DEEPSSIM_C } from '../statistic/gram-ssim.js';

export type LossVariant = 'lite' | 'full';

/** A float64 constant num/den computed in-graph from float32-exact integers (the builder has float32 initializers only). */
export function doubleConst(g: GraphBuilder, name: string, num: number, den = 1): string {
  for (const v of [num, den]) {
    if (!Number.isInteger(v) || Math.abs(v) > 2 ** 24)
      throw new Error(`doubleConst ${name}: ${v} is not float32-exact`);
  }
  const cast = (v: number, suffix: string) =>
    g.op('Cast', [g.floatTensor(`${name}.${suffix}`, [], new Float32Array([v]))], { to: 11 });
  return den === 1 ? cast(num, 'num') : g.op('Div', [cast(num, 'num'), cast(den, 'den')]);
}

export interface StatisticOutputs {
  /** [N] float64, 1 − score. */
  readonly loss: string;
  /** ∂loss/∂b, [N, C, C] float64. */
  readonly gradB: string;
  /** ∂loss/∂a, [N, C, C] float64 (only when requested). */
  readonly gradA?: string;
}

/**
 * a: reference statistic matrix [Nr, C, C] (Nr = 1 broadcasts), b: test matrix [N, C, C]; both float64 and already
 * normalised for lite (G / (C·h·w)).
 */
export function emitStatistic(
  g: GraphBuilder,
  variant: LossVariant,
  a: string,
  b: string,
  channels: number,
  wantGradA: boolean,
): StatisticOutputs {
  const block = 4;
  const grid = channels / block;
  let axes: number[];
  let n: number;
  let windows: number;
  let A = a;
  let B = b;
  const shape3 = g.int64Tensor('stat_shape3', [0, channels, channels]);
  if (variant === 'full') {
    // [N, C/4, 4, C/4, 4]: window (i, j) = entries [·, i, :, j, :]; reduce over axes 2 and 4, no transposes needed.
    const shape5 = g.int64Tensor('stat_shape5', [0, grid, block, grid, block]);
    A = g.op('Reshape', [a, shape5]);
    B = g.op('Reshape', [b, shape5]);
    axes = [2, 4];
    n = block * block;
    windows = grid * grid;
  } else {
    axes = [1, 2];
    n = channels * channels;
    windows = 1;
  }
  const mean = (x: string) => g.op('ReduceMean', [x], { axes, keepdims: 1 });
  const da = g.op('Sub', [A, mean(A)]);
  const db = g.op('Sub', [B, mean(B)]);
  const va = mean(g.op('Mul', [da, da]));
  const vb = mean(g.op('Mul', [db, db]));
  const cov = mean(g.op('Mul', [da, db]));
  const c = doubleConst(g, 'stat_c', 1, Math.round(1 / DEEPSSIM_C));
  const two = doubleConst(g, 'stat_two', 2);
  const q = g.op('Add', [g.op('Add', [va, vb]), c]);
  const s = g.op('Div', [g.op('Add', [g.op('Mul', [two, cov]), c]), q]);
  const meanS = g.op('ReduceMean', [s], { axes: variant === 'full' ? [1, 2, 3, 4] : [1, 2], keepdims: 0 });
  const loss = g.op('Sub', [doubleConst(g, 'stat_one', 1), meanS]);
  // −2/(n·W)/Q, shared by both derivatives.
  const k = g.op('Div', [doubleConst(g, 'stat_k', -2, n * windows), q]);
  const grad = (dx: string, dy: string) =>
    g.op('Reshape', [g.op('Mul', [g.op('Sub', [dx, g.op('Mul', [s, dy])]), k]), shape3]);
  return { loss, gradB: grad(da, db), gradA: wantGradA ? grad(db, da) : undefined };
}
