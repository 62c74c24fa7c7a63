/**
 * A small layer-op vocabulary for differentiable backbones: enough for VGG16 (Conv 3×3 + Relu + MaxPool) and
 * MobileNet v1 (strided / depthwise Conv with asymmetric pads + Clip as ReLU6). Each backbone is described as a
 * list of these ops; src/loss/backward.ts emits the forward ops and their hand-derived backward ops into one graph.
 */
import type { WeightTensor } from '../weights/types.js';

/** y = x·scale[c] + shift[c] per channel (input normalisation folded into one affine map). */
export interface AffineOp {
  readonly kind: 'affine';
  readonly scale: readonly number[];
  readonly shift: readonly number[];
}

/**
 * ONNX Conv: weight [O, I/group, kh, kw], pads [top, left, bottom, right] (ONNX order: begins then ends), or
 * 'same-upper' (TensorFlow 'same': total max(0, (⌈n/s⌉−1)·s + k − n), the odd pixel at the end), resolved per size.
 */
export interface ConvOp {
  readonly kind: 'conv';
  readonly name: string;
  readonly weight: WeightTensor;
  readonly bias?: WeightTensor;
  readonly strides: readonly [number, number];
  readonly pads: Pads | 'same-upper';
  readonly group: number;
}

export interface ReluOp {
  readonly kind: 'relu';
}

/** Clip(min, max), e.g. ReLU6 = Clip(0, 6). */
export interface ClipOp {
  readonly kind: 'clip';
  readonly min: number;
  readonly max: number;
}

/** MaxPool without padding, floor mode. */
export interface MaxPoolOp {
  readonly kind: 'maxpool';
  readonly kernel: readonly [number, number];
  readonly strides: readonly [number, number];
}

export type Pads = readonly [number, number, number, number];

/** Explicit [top, left, bottom, right] pads of a convolution for an input of h×w. */
export function resolvePads(op: ConvOp, h: number, w: number): Pads {
  if (op.pads !== 'same-upper') return op.pads;
  const [, , kh, kw] = op.weight.shape;
  const total = (n: number, s: number, k: number) => Math.max(0, (Math.ceil(n / s) - 1) * s + k - n);
  const th = total(h, op.strides[0], kh);
  const tw = total(w, op.strides[1], kw);
  return [Math.floor(th / 2), Math.floor(tw / 2), th - Math.floor(th / 2), tw - Math.floor(tw / 2)];
}

export type LayerOp = AffineOp | ConvOp | ReluOp | ClipOp | MaxPoolOp;

/** A backbone as a differentiable op list ending at the feature layer whose Gram matrix is compared. */
export interface LayerStack {
  readonly ops: readonly LayerOp[];
  /** Channels of the feature layer. */
  readonly channels: number;
}

/** [C, H, W] after one op. */
export function opOutputShape(op: LayerOp, [c, h, w]: readonly [number, number, number]): [number, number, number] {
  switch (op.kind) {
    case 'conv': {
      const [o, , kh, kw] = op.weight.shape;
      const [t, l, b, r] = resolvePads(op, h, w);
      return [o, Math.floor((h + t + b - kh) / op.strides[0]) + 1, Math.floor((w + l + r - kw) / op.strides[1]) + 1];
    }
    case 'maxpool':
      return [c, Math.floor((h - op.kernel[0]) / op.strides[0]) + 1, Math.floor((w - op.kernel[1]) / op.strides[1]) + 1];
    default:
      return [c, h, w];
  }
}

/** Shapes before each op and the final feature shape, for an H×W input. */
export function stackShapes(stack: LayerStack, height: number, width: number): [number, number, number][] {
  const shapes: [number, number, number][] = [[3, height, width]];
  for (const op of stack.ops) shapes.push(opOutputShape(op, shapes[shapes.length - 1]));
  return shapes;
}
