/**
 * The two ONNX graphs of the loss, built per input size (static shapes let strided convolutions restore odd sizes
 * exactly and let ORT plan memory):
 * - the Gram graph: pixels [N,3,H,W] → Gram [N,C,C] (float32), used once per reference;
 * - the loss graph: forward + Gram + statistic + hand-derived backward in one run.
 */
import { GraphBuilder } from '../onnx/builder.js';
import { emitBackward, emitForward } from './backward.js';
import type { LayerStack } from './layers.js';
import { doubleConst, emitStatistic, type LossVariant } from './statistic.js';

const DOUBLE = 11;
const FLOAT = 1;

function gramOf(g: GraphBuilder, features: string, channels: number): { flat: string; gram: string } {
  const flat = g.op('Reshape', [features, g.int64Tensor('gram_flat_shape', [0, channels, -1])]);
  return { flat, gram: g.op('MatMul', [flat, g.op('Transpose', [flat], { perm: [0, 2, 1] })]) };
}

/** Forward-only graph: `pixels` → `gram` (unnormalised, float32) and the feature-map size is known statically. */
export function buildGramGraph(stack: LayerStack, height: number, width: number): Uint8Array {
  const g = new GraphBuilder('deepssim_loss_gram');
  const fwd = emitForward(g, stack, g.input('pixels', 'float32', ['N', 3, height, width]), height, width, false);
  g.op('Identity', [gramOf(g, fwd.features, stack.channels).gram], {}, 'gram');
  g.output('gram', 'float32', ['N', stack.channels, stack.channels]);
  return g.build();
}

export interface LossGraphOptions {
  readonly variant: LossVariant;
  readonly height: number;
  readonly width: number;
  /**
   * false: inputs `test` [N,3,H,W], `reference_gram` [Nr,C,C] (Nr = 1 broadcasts) and, for lite, `reference_cells`
   * [1] (h·w of the reference's feature map); outputs `loss` + `loss_lo` [N] (float64 loss = loss + loss_lo, split
   * because the graph builder has float32 I/O only) and `grad` [N,3,H,W].
   * true: inputs `test` and `reference` (same shape), both run through the backbone as one batch of 2N; extra
   * output `grad_reference`.
   */
  readonly wrtReference: boolean;
}

export function buildLossGraph(stack: LayerStack, o: LossGraphOptions): Uint8Array {
  const C = stack.channels;
  const g = new GraphBuilder(`deepssim_loss_${o.variant}`);
  const test = g.input('test', 'float32', ['N', 3, o.height, o.width]);
  const pixels = o.wrtReference ? g.op('Concat', [test, g.input('reference', 'float32', ['N', 3, o.height, o.width])], { axis: 0 }) : test;
  const fwd = emitForward(g, stack, pixels, o.height, o.width);
  const [, h, w] = fwd.shape;
  const { flat, gram } = gramOf(g, fwd.features, C);
  let gram64 = g.op('Cast', [gram], { to: DOUBLE });
  // Lite compares G / (C·h·w); the same factor scales the derivative back to ∂/∂G.
  const scale = o.variant === 'lite' ? doubleConst(g, 'lite_scale', 1, C * h * w) : undefined;
  if (scale) gram64 = g.op('Mul', [gram64, scale]);
  let a: string;
  let b: string;
  if (o.wrtReference) [b, a] = g.node('Split', [gram64], { axis: 0 }, 2);
  else {
    a = g.op('Cast', [g.input('reference_gram', 'float32', ['Nr', C, C])], { to: DOUBLE });
    if (o.variant === 'lite') {
      const cells = g.op('Cast', [g.input('reference_cells', 'float32', [1])], { to: DOUBLE });
      a = g.op('Div', [a, g.op('Mul', [cells, doubleConst(g, 'ref_channels', C)])]);
    }
    b = gram64;
  }
  const stat = emitStatistic(g, o.variant, a, b, C, o.wrtReference);
  const hi = g.op('Cast', [stat.loss], { to: FLOAT }, 'loss');
  g.op('Cast', [g.op('Sub', [stat.loss, g.op('Cast', [hi], { to: DOUBLE })])], { to: FLOAT }, 'loss_lo');
  g.output('loss', 'float32', ['N']);
  g.output('loss_lo', 'float32', ['N']);
  let dG64 = o.wrtReference ? g.op('Concat', [stat.gradB, stat.gradA!], { axis: 0 }) : stat.gradB;
  if (scale) dG64 = g.op('Mul', [dG64, scale]);
  const dG = g.op('Cast', [dG64], { to: FLOAT });
  // G = F·Fᵀ ⇒ ∂L/∂F = (∂L/∂G + ∂L/∂Gᵀ)·F.
  const dGsym = g.op('Add', [dG, g.op('Transpose', [dG], { perm: [0, 2, 1] })]);
  const dF = g.op('Reshape', [g.op('MatMul', [dGsym, flat]), g.int64Tensor('feat_shape', [0, C, h, w])]);
  const dPixels = emitBackward(g, fwd, dF);
  if (o.wrtReference) {
    g.node('Split', [dPixels], { axis: 0 }, ['grad', 'grad_reference']);
    g.output('grad_reference', 'float32', ['N', 3, o.height, o.width]);
  } else g.op('Identity', [dPixels], {}, 'grad');
  g.output('grad', 'float32', ['N', 3, o.height, o.width]);
  return g.build();
}
