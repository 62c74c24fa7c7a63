/**
 * The one emitter: a BackboneSpec (+ its WeightMap) → ONNX graphs.
 *
 * - `buildMetricGraph`: the metric's graph, symbolic H×W. Inputs `pixels` float32 [N,3,H,W] in [0,1] and `crop`
 *   int64 [4] = [top, bottom, left, right] in feature cells (only that window enters the Gram matrix; tiling uses it
 *   to drop halo cells; [0, 2^62, 0, 2^62] takes everything), optional `mask` float32 [N,1,H,W] (saliency
 *   calibration). Outputs `gram` float32 [N,C,C] = F·Fᵀ over the cropped cells (unnormalised), `cells` int64 [2] =
 *   [h, w] of the cropped feature map and, on request, `features` float32 [N,C,h,w] (the cropped feature map).
 * - `buildGramGraph` / `buildLossGraph`: the loss's graphs at a static size (forward with a tape, Gram, statistic,
 *   hand-derived backward; no weight gradients — the backbone is frozen, only ∂L/∂pixels is wanted).
 *
 * Platform-neutral: the graphs are bytes; running them is the engine's business.
 */
import { GraphBuilder } from '../onnx/builder.js';
import type { WeightMap, WeightTensor } from '../weights/types.js';
import { layerOutputShape, saliencySite, type Shape3 } from './geometry.js';
import { isUnpadded, resolvePads, type BackboneSpec, type ConvLayer, type LayerSpec, type Pads } from './spec.js';
import { doubleConst, emitStatistic, type LossVariant } from './statistic.js';

interface TapeEntry {
  readonly layer: LayerSpec;
  readonly input: string;
  readonly output: string;
  /** MaxPool: its Indices output. */
  readonly indices?: string;
  /** [C, H, W] of the layer's input. */
  readonly inShape: Shape3;
}

export interface ForwardOptions {
  /** Static input size [H, W]: pads are resolved per layer and shapes tracked (required for `tape`). */
  readonly size?: readonly [number, number];
  /** Record what the backward pass needs (MaxPool then also emits its Indices, which costs ORT's NCHWc pooling). */
  readonly tape?: boolean;
  /** A full-resolution mask [N,1,H,W] multiplied into the output of the spec's saliency site. */
  readonly mask?: string;
}

export interface Forward {
  readonly features: string;
  /** [C, h, w] of the features when the size is static. */
  readonly shape?: Shape3;
  readonly tape: readonly TapeEntry[];
}

function tensor(weights: WeightMap, name: string): WeightTensor {
  const t = weights.get(name);
  if (!t) throw new Error(`weights lack ${name} (checkWeights runs before graphs are built)`);
  return t;
}

const scalar = (g: GraphBuilder, name: string, v: number): string => g.floatTensor(name, [], new Float32Array([v]));
const channelConst = (g: GraphBuilder, name: string, v: readonly number[]): string =>
  g.floatTensor(name, [1, v.length, 1, 1], Float32Array.from(v));

/** Conv attributes: explicit pads at a static size, else ONNX auto_pad SAME_UPPER for TF 'same' (per input size). */
function convAttrs(layer: ConvLayer, inShape?: Shape3): Record<string, number | number[] | string> {
  const attrs: Record<string, number | number[] | string> = {
    kernel_shape: [...layer.kernel],
    strides: [...layer.strides],
    group: layer.group,
  };
  if (inShape) attrs.pads = [...resolvePads(layer, inShape[1], inShape[2])];
  else if (layer.pads !== 'same') attrs.pads = [...layer.pads];
  else if (isUnpadded(layer)) attrs.pads = [0, 0, 0, 0];
  else attrs.auto_pad = 'SAME_UPPER';
  return attrs;
}

/** Whether a conv keeps the grid: stride 1 and the kernel centre on the output pixel (the mask passes unchanged). */
function keepsGrid(layer: ConvLayer): boolean {
  const [kh, kw] = layer.kernel;
  if (layer.strides[0] !== 1 || layer.strides[1] !== 1) return false;
  if (layer.pads === 'same') return true; // odd kernels (checkSpec): total k − 1, (k − 1)/2 at the start
  const [t, l, b, r] = layer.pads;
  return 2 * t === kh - 1 && 2 * b === kh - 1 && 2 * l === kw - 1 && 2 * r === kw - 1;
}

/**
 * The mask on the grid of a conv layer's output: each output unit takes the mask value at the centre of its kernel
 * window (a 1-tap convolution with the layer's own strides and padding), so the mask stays binary, a stride-1 layer
 * leaves it unchanged (the authors' VGG16 relu1_1), and tiles see exactly what the whole image sees.
 * docs/saliency-backbones.md gives the reasoning.
 */
function maskToGrid(g: GraphBuilder, mask: string, layer: ConvLayer, inShape?: Shape3): string {
  if (keepsGrid(layer)) return mask;
  const [kh, kw] = layer.kernel;
  const tap = new Float32Array(kh * kw);
  tap[((kh - 1) / 2) * kw + (kw - 1) / 2] = 1;
  const w = g.floatTensor(`${layer.name}.mask_tap`, [1, 1, kh, kw], tap);
  return g.op('Conv', [mask, w], { ...convAttrs(layer, inShape), group: 1 });
}

/** The spec's layers from `pixels` to the feature layer. */
export function emitForward(
  g: GraphBuilder,
  spec: Pick<BackboneSpec, 'name' | 'layers' | 'saliency'>,
  weights: WeightMap,
  pixels: string,
  o: ForwardOptions = {},
): Forward {
  if (o.tape && !o.size) throw new Error('emitForward: a tape needs a static size');
  const site = o.mask ? saliencySite(spec) : -1;
  if (o.mask && site < 0) throw new Error(`backbone ${spec.name} has no saliency site`);
  let mask = o.mask;
  let x = pixels;
  let shape: Shape3 | undefined = o.size ? [3, o.size[0], o.size[1]] : undefined;
  const tape: TapeEntry[] = [];
  let relu6: [string, string] | undefined;
  spec.layers.forEach((layer, i) => {
    let y: string;
    let indices: string | undefined;
    switch (layer.kind) {
      case 'normalize':
        y = g.op('Div', [
          g.op('Sub', [x, channelConst(g, `l${i}.mean`, layer.mean)]),
          channelConst(g, `l${i}.std`, layer.std),
        ]);
        break;
      case 'conv': {
        const w = tensor(weights, layer.weight);
        const inputs = [x, g.floatTensor(`${layer.name}.weight`, w.shape, w.data)];
        if (layer.bias) {
          const b = tensor(weights, layer.bias);
          inputs.push(g.floatTensor(`${layer.name}.bias`, b.shape, b.data));
        }
        y = g.op('Conv', inputs, convAttrs(layer, shape));
        if (mask && i < site) mask = maskToGrid(g, mask, layer, shape);
        break;
      }
      case 'relu':
        y = g.op('Relu', [x]);
        break;
      case 'relu6':
        relu6 ??= [scalar(g, 'relu6_min', 0), scalar(g, 'relu6_max', 6)];
        y = g.op('Clip', [x, ...relu6]);
        break;
      case 'maxpool':
        [y, indices] = g.node(
          'MaxPool',
          [x],
          { kernel_shape: [...layer.kernel], strides: [...layer.strides] },
          o.tape ? 2 : 1,
        );
        break;
    }
    if (o.tape) tape.push({ layer, input: x, output: y, indices, inShape: shape! });
    // Saliency calibration: the binary mask multiplies this activation (authors' vgg_v16s5c1sal: relu1_1).
    if (i === site && mask) y = g.op('Mul', [y, mask]);
    x = y;
    if (shape) shape = layerOutputShape(layer, shape);
  });
  return { features: x, shape, tape };
}

/**
 * ∂L/∂x of a convolution. Stride 1: a Conv with the kernel flipped and in/out swapped per group and pads k−1−p
 * (ORT's fast NCHWc Conv path). Strided: ConvTranspose with the forward kernel, output_padding restoring the rows
 * the forward floor division dropped.
 */
function convInputGrad(
  g: GraphBuilder,
  layer: ConvLayer,
  w: WeightTensor,
  d: string,
  inShape: Shape3,
  p: string,
): string {
  const [o, ig, kh, kw] = w.shape;
  const pads: Pads = resolvePads(layer, inShape[1], inShape[2]);
  const [t, l, b, r] = pads;
  const backPads = [kh - 1 - t, kw - 1 - l, kh - 1 - b, kw - 1 - r];
  if (layer.strides[0] === 1 && layer.strides[1] === 1 && backPads.every((v) => v >= 0)) {
    const groups = layer.group;
    const og = o / groups;
    const src = w.data;
    const dst = new Float32Array(src.length);
    const k = kh * kw;
    for (let gi = 0; gi < groups; gi++) {
      for (let ol = 0; ol < og; ol++) {
        for (let il = 0; il < ig; il++) {
          const from = ((gi * og + ol) * ig + il) * k;
          const to = ((gi * ig + il) * og + ol) * k;
          for (let a = 0; a < kh; a++)
            for (let c = 0; c < kw; c++) dst[to + (kh - 1 - a) * kw + (kw - 1 - c)] = src[from + a * kw + c];
        }
      }
    }
    const wt = g.floatTensor(`${p}.${layer.name}.weight_t`, [ig * groups, og, kh, kw], dst);
    return g.op('Conv', [d, wt], { kernel_shape: [kh, kw], pads: backPads, strides: [1, 1], group: groups });
  }
  const [, h, wIn] = inShape;
  const ho = Math.floor((h + t + b - kh) / layer.strides[0]) + 1;
  const wo = Math.floor((wIn + l + r - kw) / layer.strides[1]) + 1;
  const outputPadding = [
    h - (layer.strides[0] * (ho - 1) + kh - t - b),
    wIn - (layer.strides[1] * (wo - 1) + kw - l - r),
  ];
  const wf = g.floatTensor(`${p}.${layer.name}.weight`, w.shape, w.data);
  return g.op('ConvTranspose', [d, wf], {
    kernel_shape: [kh, kw],
    pads: [...pads],
    strides: [...layer.strides],
    group: layer.group,
    output_padding: outputPadding,
  });
}

/** Backward pass of a taped forward: `grad` = ∂L/∂features → ∂L/∂pixels. */
export function emitBackward(
  g: GraphBuilder,
  weights: WeightMap,
  forward: Forward,
  grad: string,
  prefix = 'b',
): string {
  const zero = scalar(g, `${prefix}.zero`, 0);
  let d = grad;
  for (let i = forward.tape.length - 1; i >= 0; i--) {
    const e = forward.tape[i];
    const p = `${prefix}${i}`;
    const layer = e.layer;
    switch (layer.kind) {
      case 'normalize':
        d = g.op('Div', [d, channelConst(g, `${p}.std`, layer.std)]);
        break;
      case 'conv':
        d = convInputGrad(g, layer, tensor(weights, layer.weight), d, e.inShape, p);
        break;
      case 'relu':
        // y > 0 ⇔ x > 0; masking from the output lets ORT keep Conv+Relu fused.
        d = g.op('Where', [g.op('Greater', [e.output, zero]), d, zero]);
        break;
      case 'relu6': {
        const inside = g.op('And', [
          g.op('Greater', [e.output, zero]),
          g.op('Less', [e.output, scalar(g, `${p}.max`, 6)]),
        ]);
        d = g.op('Where', [inside, d, zero]);
        break;
      }
      case 'maxpool':
        // Route each gradient to the arg-max PyTorch/ORT picked; output_shape restores the floor-mode cut-off rows.
        d = g.op('MaxUnpool', [d, e.indices!, g.op('Shape', [e.input])], {
          kernel_shape: [...layer.kernel],
          strides: [...layer.strides],
        });
        break;
    }
  }
  return d;
}

/** G = F·Fᵀ over the cells of `features` [N,C,h,w]; also returns the flattened [N,C,h·w] features. */
export function emitGram(g: GraphBuilder, features: string, channels: number): { flat: string; gram: string } {
  const flat = g.op('Reshape', [features, g.int64Tensor('gram_flat_shape', [0, channels, -1])]);
  return { flat, gram: g.op('MatMul', [flat, g.op('Transpose', [flat], { perm: [0, 2, 1] })]) };
}

export interface MetricGraphOptions {
  /** Add the `mask` input [N,1,H,W] (saliency calibration); the spec must have a saliency site. */
  readonly mask?: boolean;
  /** Add the `features` output [N,C,h,w]: the cropped feature map (for per-cell, local comparisons). */
  readonly features?: boolean;
}

/** The metric's graph (see the module comment for its interface). */
export function buildMetricGraph(spec: BackboneSpec, weights: WeightMap, o: MetricGraphOptions = {}): Uint8Array {
  const C = spec.channels;
  const g = new GraphBuilder(`${spec.name}_gram`);
  const pixels = g.input('pixels', 'float32', ['N', 3, 'H', 'W']);
  const mask = o.mask ? g.input('mask', 'float32', ['N', 1, 'H', 'W']) : undefined;
  const { features } = emitForward(g, spec, weights, pixels, { mask });
  const crop = g.input('crop', 'int64', [4]);
  const starts = g.op('Gather', [crop, g.int64Tensor('crop_start_idx', [0, 2])], { axis: 0 });
  const ends = g.op('Gather', [crop, g.int64Tensor('crop_end_idx', [1, 3])], { axis: 0 });
  const cropped = g.op(
    'Slice',
    [features, starts, ends, g.int64Tensor('crop_axes', [2, 3])],
    {},
    o.features ? 'features' : undefined,
  );
  if (o.features) g.output('features', 'float32', ['N', C, 'h', 'w']);
  g.op('Slice', [g.op('Shape', [cropped]), g.int64Tensor('hw_start', [2]), g.int64Tensor('hw_end', [4])], {}, 'cells');
  g.output('cells', 'int64', [2]);
  g.op('Identity', [emitGram(g, cropped, C).gram], {}, 'gram');
  g.output('gram', 'float32', ['N', C, C]);
  return g.build();
}

/** Loss, forward only: `pixels` [N,3,H,W] → `gram` [N,C,C] (unnormalised, float32) at a static size. */
export function buildGramGraph(spec: BackboneSpec, weights: WeightMap, height: number, width: number): Uint8Array {
  const g = new GraphBuilder(`${spec.name}_loss_gram`);
  const fwd = emitForward(g, spec, weights, g.input('pixels', 'float32', ['N', 3, height, width]), {
    size: [height, width],
  });
  g.op('Identity', [emitGram(g, fwd.features, spec.channels).gram], {}, 'gram');
  g.output('gram', 'float32', ['N', spec.channels, spec.channels]);
  return g.build();
}

const DOUBLE = 11;
const FLOAT = 1;

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

/** The loss graph: forward + Gram + statistic + hand-derived backward, one run. */
export function buildLossGraph(spec: BackboneSpec, weights: WeightMap, o: LossGraphOptions): Uint8Array {
  const C = spec.channels;
  const g = new GraphBuilder(`${spec.name}_loss_${o.variant}`);
  const test = g.input('test', 'float32', ['N', 3, o.height, o.width]);
  const pixels = o.wrtReference
    ? g.op('Concat', [test, g.input('reference', 'float32', ['N', 3, o.height, o.width])], { axis: 0 })
    : test;
  const fwd = emitForward(g, spec, weights, pixels, { size: [o.height, o.width], tape: true });
  const [, h, w] = fwd.shape!;
  const { flat, gram } = emitGram(g, fwd.features, C);
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
  const dPixels = emitBackward(g, weights, fwd, dF);
  if (o.wrtReference) {
    g.node('Split', [dPixels], { axis: 0 }, ['grad', 'grad_reference']);
    g.output('grad_reference', 'float32', ['N', 3, o.height, o.width]);
  } else g.op('Identity', [dPixels], {}, 'grad');
  g.output('grad', 'float32', ['N', 3, o.height, o.width]);
  return g.build();
}
