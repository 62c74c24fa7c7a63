/**
 * Emits a LayerStack's forward ops into an ONNX graph, recording what the backward pass needs (activations, pooling
 * indices, shapes), then the hand-derived input-gradient ops in reverse order. No weight gradients: the backbone
 * is frozen, only ∂L/∂pixels is wanted.
 */
import type { GraphBuilder } from '../onnx/builder.js';
import type { ConvOp, LayerOp, LayerStack } from './layers.js';
import { opOutputShape, resolvePads, type Pads } from './layers.js';

type Shape3 = [number, number, number];

interface TapeEntry {
  readonly op: LayerOp;
  readonly input: string;
  readonly output: string;
  /** MaxPool: the Indices output. */
  readonly indices?: string;
  /** [C, H, W] of the op's input. */
  readonly inShape: Shape3;
}

export interface ForwardResult {
  readonly features: string;
  readonly shape: Shape3;
  readonly tape: readonly TapeEntry[];
}

/**
 * Forward pass of `stack` on `pixels` ([N, 3, H, W]). `forBackward: false` (forward-only graphs) emits MaxPool
 * without its Indices output, which keeps ORT's faster NCHWc pooling.
 */
export function emitForward(g: GraphBuilder, stack: LayerStack, pixels: string, height: number, width: number, forBackward = true): ForwardResult {
  const prefix = 'f';
  let x = pixels;
  let shape: Shape3 = [3, height, width];
  const tape: TapeEntry[] = [];
  stack.ops.forEach((op, i) => {
    const p = `${prefix}${i}`;
    let y: string;
    let indices: string | undefined;
    switch (op.kind) {
      case 'affine': {
        const s = g.floatTensor(`${p}.scale`, [1, op.scale.length, 1, 1], Float32Array.from(op.scale));
        const t = g.floatTensor(`${p}.shift`, [1, op.shift.length, 1, 1], Float32Array.from(op.shift));
        y = g.op('Add', [g.op('Mul', [x, s]), t]);
        break;
      }
      case 'conv': {
        const inputs = [x, g.floatTensor(`${p}.${op.name}.weight`, op.weight.shape, op.weight.data)];
        if (op.bias) inputs.push(g.floatTensor(`${p}.${op.name}.bias`, op.bias.shape, op.bias.data));
        y = g.op('Conv', inputs, convAttrs(op, resolvePads(op, shape[1], shape[2])));
        break;
      }
      case 'relu':
        y = g.op('Relu', [x]);
        break;
      case 'clip':
        y = g.op('Clip', [x, scalar(g, `${p}.min`, op.min), scalar(g, `${p}.max`, op.max)]);
        break;
      case 'maxpool':
        [y, indices] = g.node('MaxPool', [x], { kernel_shape: [...op.kernel], strides: [...op.strides] }, forBackward ? 2 : 1);
        break;
    }
    tape.push({ op, input: x, output: y, indices, inShape: shape });
    x = y;
    shape = opOutputShape(op, shape);
  });
  return { features: x, shape, tape };
}

/** Backward pass: `grad` = ∂L/∂features → ∂L/∂pixels. */
export function emitBackward(g: GraphBuilder, forward: ForwardResult, grad: string, prefix = 'b'): string {
  const zero = scalar(g, `${prefix}.zero`, 0);
  let d = grad;
  for (let i = forward.tape.length - 1; i >= 0; i--) {
    const e = forward.tape[i];
    const p = `${prefix}${i}`;
    const op = e.op;
    switch (op.kind) {
      case 'affine':
        d = g.op('Mul', [d, g.floatTensor(`${p}.scale`, [1, op.scale.length, 1, 1], Float32Array.from(op.scale))]);
        break;
      case 'conv':
        d = convInputGrad(g, op, d, e.inShape, p);
        break;
      case 'relu':
        // y > 0 ⇔ x > 0; masking from the output lets ORT keep Conv+Relu fused.
        d = g.op('Where', [g.op('Greater', [e.output, zero]), d, zero]);
        break;
      case 'clip': {
        const inside = g.op('And', [
          g.op('Greater', [e.output, scalar(g, `${p}.min`, op.min)]),
          g.op('Less', [e.output, scalar(g, `${p}.max`, op.max)]),
        ]);
        d = g.op('Where', [inside, d, zero]);
        break;
      }
      case 'maxpool':
        // Route each gradient to the arg-max PyTorch/ORT picked; output_shape restores the floor-mode cut-off rows.
        d = g.op('MaxUnpool', [d, e.indices!, g.op('Shape', [e.input])], { kernel_shape: [...op.kernel], strides: [...op.strides] });
        break;
    }
  }
  return d;
}

function convAttrs(op: ConvOp, pads: Pads) {
  const [, , kh, kw] = op.weight.shape;
  return { kernel_shape: [kh, kw], pads: [...pads], strides: [...op.strides], group: op.group };
}

function scalar(g: GraphBuilder, name: string, v: number): string {
  return g.floatTensor(name, [], new Float32Array([v]));
}

/**
 * ∂L/∂x of a convolution. Stride 1: a Conv with the kernel flipped and in/out swapped per group and pads k−1−p
 * (ORT's fast NCHWc Conv path). Strided: ConvTranspose with the forward kernel, output_padding restoring the rows
 * the forward floor division dropped.
 */
function convInputGrad(g: GraphBuilder, op: ConvOp, d: string, inShape: Shape3, p: string): string {
  const [o, ig, kh, kw] = op.weight.shape;
  const [t, l, b, r] = resolvePads(op, inShape[1], inShape[2]);
  const backPads = [kh - 1 - t, kw - 1 - l, kh - 1 - b, kw - 1 - r];
  if (op.strides[0] === 1 && op.strides[1] === 1 && backPads.every((v) => v >= 0)) {
    const groups = op.group;
    const og = o / groups;
    const inC = ig * groups;
    const src = op.weight.data;
    const dst = new Float32Array(src.length);
    const k = kh * kw;
    for (let gi = 0; gi < groups; gi++) {
      for (let ol = 0; ol < og; ol++) {
        for (let il = 0; il < ig; il++) {
          const from = ((gi * og + ol) * ig + il) * k;
          const to = ((gi * ig + il) * og + ol) * k;
          for (let a = 0; a < kh; a++) for (let c = 0; c < kw; c++) dst[to + (kh - 1 - a) * kw + (kw - 1 - c)] = src[from + a * kw + c];
        }
      }
    }
    const w = g.floatTensor(`${p}.${op.name}.weight_t`, [inC, og, kh, kw], dst);
    return g.op('Conv', [d, w], { kernel_shape: [kh, kw], pads: backPads, strides: [1, 1], group: groups });
  }
  const [, h, wIn] = inShape;
  const ho = Math.floor((h + t + b - kh) / op.strides[0]) + 1;
  const wo = Math.floor((wIn + l + r - kw) / op.strides[1]) + 1;
  const outputPadding = [h - (op.strides[0] * (ho - 1) + kh - t - b), wIn - (op.strides[1] * (wo - 1) + kw - l - r)];
  const w = g.floatTensor(`${p}.${op.name}.weight`, op.weight.shape, op.weight.data);
  return g.op('ConvTranspose', [d, w], {
    kernel_shape: [kh, kw],
    pads: [t, l, b, r],
    strides: [...op.strides],
    group: op.group,
    output_padding: outputPadding,
  });
}
