/**
 * MobileNet v1 (α = 0.75, Google's ImageNet weights in TensorFlow.js layers format) to the ReLU6 output of
 * conv_pw_11: 384 channels at stride 16, the last stride-16 layer (the counterpart of VGG16 relu5_1). The layer is
 * fixed by that principle, not tuned on any data.
 *
 * The Keras topology is read as a sequential stack of convolutions: each Conv2D/DepthwiseConv2D with the
 * BatchNormalization that follows folded into it (float64 arithmetic, the BN's own epsilon) and its ReLU6.
 * TensorFlow 'same' padding is ONNX auto_pad SAME_UPPER (total padding max(0, (⌈n/s⌉−1)·s + k − n), the odd pixel
 * at the end), computed by ONNX Runtime per input size, so the graph keeps symbolic H and W.
 */
import { WeightsError } from '../errors.js';
import { GraphBuilder } from '../onnx/builder.js';
import type { KerasLayer } from '../weights/tfjs-layers.js';
import type { WeightMap } from '../weights/types.js';
import { addFeatureHead } from './common.js';
import type { Backbone, GraphOptions } from './types.js';

export type Activation = 'linear' | 'relu' | 'relu6';

/** One convolution of the stack with its folded batch normalisation and activation. */
export interface ConvOp {
  readonly kind: 'conv' | 'depthwise';
  /** Keras layer name of the convolution, e.g. `conv_dw_3`; folded tensors are `<name>.weight` / `<name>.bias`. */
  readonly name: string;
  readonly kernel: readonly [number, number];
  readonly strides: readonly [number, number];
  readonly padding: 'same' | 'valid';
  readonly inChannels: number;
  readonly outChannels: number;
  readonly useBias: boolean;
  /** The BatchNormalization layer folded into this convolution. */
  readonly bn?: { readonly name: string; readonly epsilon: number; readonly center: boolean; readonly scale: boolean };
  readonly activation: Activation;
  /** Name of the last Keras layer this op covers (the activation's, if any). */
  readonly output: string;
}

/** The feature layer DeepSSIM uses. */
export const MOBILENET_FEATURE_LAYER = 'conv_pw_11_relu';
export const MOBILENET_CHANNELS = 384;

const pair = (v: unknown, what: string, layer: string): [number, number] => {
  if (Array.isArray(v) && v.length === 2 && v.every((x) => Number.isInteger(x) && x > 0)) return [v[0], v[1]];
  if (Number.isInteger(v) && (v as number) > 0) return [v as number, v as number];
  throw new WeightsError(`layer ${layer}: invalid ${what} ${JSON.stringify(v)}`);
};

function activationOf(layer: KerasLayer): Activation {
  const c = layer.config;
  if (layer.className === 'ReLU') {
    const max = c.max_value ?? null;
    if ((c.negative_slope ?? 0) !== 0 || (c.threshold ?? 0) !== 0 || (max !== null && max !== 6)) {
      throw new WeightsError(`layer ${layer.name}: only ReLU and ReLU6 are supported`);
    }
    return max === 6 ? 'relu6' : 'relu';
  }
  const a = c.activation;
  if (a === 'relu6' || a === 'relu' || a === 'linear') return a;
  throw new WeightsError(`layer ${layer.name}: unsupported activation ${JSON.stringify(a)}`);
}

/**
 * Interpret Keras layers from the input up to and including `stopAt` as a stack of ConvOps. The layers must form
 * a chain (each fed by the previous one). Throws WeightsError for anything else.
 */
export function parseConvStack(layers: readonly KerasLayer[], stopAt: string): ConvOp[] {
  const first = layers[0];
  if (!first || first.className !== 'InputLayer') throw new WeightsError('the topology does not start with an InputLayer');
  const shape = first.config.batch_input_shape;
  if (!Array.isArray(shape) || shape.length !== 4 || shape[3] !== 3 || (first.config.data_format ?? 'channels_last') !== 'channels_last') {
    throw new WeightsError(`input layer ${first.name}: expected a channels-last RGB input [N,H,W,3], got ${JSON.stringify(shape)}`);
  }
  const ops: ConvOp[] = [];
  let channels = 3;
  let previous = first.name;
  let current: { -readonly [K in keyof ConvOp]: ConvOp[K] } | undefined;
  for (const layer of layers.slice(1)) {
    if (layer.inbound.length > 0 && (layer.inbound.length !== 1 || layer.inbound[0] !== previous)) {
      throw new WeightsError(`layer ${layer.name}: expected a chain fed by ${previous}, found inputs [${layer.inbound.join(', ')}]`);
    }
    const c = layer.config;
    switch (layer.className) {
      case 'Conv2D':
      case 'DepthwiseConv2D': {
        if (current) ops.push(current);
        const depthwise = layer.className === 'DepthwiseConv2D';
        if ((c.data_format ?? 'channels_last') !== 'channels_last') throw new WeightsError(`layer ${layer.name}: only channels_last is supported`);
        if (pair(c.dilation_rate ?? [1, 1], 'dilation_rate', layer.name).some((d) => d !== 1)) throw new WeightsError(`layer ${layer.name}: dilation is not supported`);
        if (c.padding !== 'same' && c.padding !== 'valid') throw new WeightsError(`layer ${layer.name}: unsupported padding ${JSON.stringify(c.padding)}`);
        if (depthwise && (c.depth_multiplier ?? 1) !== 1) throw new WeightsError(`layer ${layer.name}: depth_multiplier ≠ 1 is not supported`);
        const out = depthwise ? channels : Number(c.filters);
        if (!Number.isInteger(out) || out <= 0) throw new WeightsError(`layer ${layer.name}: invalid filters ${JSON.stringify(c.filters)}`);
        current = {
          kind: depthwise ? 'depthwise' : 'conv',
          name: layer.name,
          kernel: pair(c.kernel_size, 'kernel_size', layer.name),
          strides: pair(c.strides ?? [1, 1], 'strides', layer.name),
          padding: c.padding,
          inChannels: channels,
          outChannels: out,
          useBias: c.use_bias === true,
          activation: activationOf({ ...layer, config: { activation: c.activation ?? 'linear' } }),
          output: layer.name,
        };
        channels = out;
        break;
      }
      case 'BatchNormalization': {
        if (!current || current.bn || current.activation !== 'linear') {
          throw new WeightsError(`layer ${layer.name}: BatchNormalization must directly follow a linear convolution`);
        }
        const axis = c.axis;
        if (!(axis === -1 || axis === 3 || (Array.isArray(axis) && axis.length === 1 && (axis[0] === -1 || axis[0] === 3)))) {
          throw new WeightsError(`layer ${layer.name}: BatchNormalization over axis ${JSON.stringify(axis)} is not supported`);
        }
        const epsilon = Number(c.epsilon ?? 1e-3);
        if (!(epsilon >= 0)) throw new WeightsError(`layer ${layer.name}: invalid epsilon ${JSON.stringify(c.epsilon)}`);
        current.bn = { name: layer.name, epsilon, center: c.center !== false, scale: c.scale !== false };
        current.output = layer.name;
        break;
      }
      case 'Activation':
      case 'ReLU': {
        if (!current || current.activation !== 'linear') throw new WeightsError(`layer ${layer.name}: activation must follow a linear convolution`);
        current.activation = activationOf(layer);
        current.output = layer.name;
        break;
      }
      default:
        throw new WeightsError(`layer ${layer.name}: ${layer.className} is not supported in the convolutional stack`);
    }
    previous = layer.name;
    if (layer.name === stopAt) {
      if (current) ops.push(current);
      return ops;
    }
  }
  throw new WeightsError(`the topology has no layer ${stopAt}`);
}

function need(raw: WeightMap, name: string, shape: readonly number[], source: string): Float32Array {
  const t = raw.get(name);
  if (!t) throw new WeightsError(`${source}: weight ${name} is missing`);
  if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
    throw new WeightsError(`${source}: weight ${name} has shape [${t.shape.join(',')}], expected [${shape.join(',')}]`);
  }
  return t.data;
}

/**
 * Fold each op's batch normalisation into its convolution and transpose TensorFlow kernels to ONNX layout:
 * Conv2D [kh,kw,in,out] → [out,in,kh,kw]; DepthwiseConv2D [kh,kw,C,1] → [C,1,kh,kw]. With s = γ/√(σ²+ε):
 * W' = W·s (per output channel), b' = β + (b − μ)·s. Arithmetic in float64, rounded once to float32.
 */
export function foldConvStack(ops: readonly ConvOp[], raw: WeightMap, source: string): WeightMap {
  const out: WeightMap = new Map();
  for (const op of ops) {
    const [kh, kw] = op.kernel;
    const cout = op.outChannels;
    const cin = op.kind === 'depthwise' ? 1 : op.inChannels;
    const kernel = op.kind === 'depthwise'
      ? need(raw, `${op.name}/depthwise_kernel`, [kh, kw, op.inChannels, 1], source)
      : need(raw, `${op.name}/kernel`, [kh, kw, op.inChannels, cout], source);
    const bias = op.useBias ? need(raw, `${op.name}/bias`, [cout], source) : undefined;
    const s = new Float64Array(cout).fill(1);
    const b = new Float64Array(cout);
    for (let o = 0; o < cout; o++) b[o] = bias ? bias[o] : 0;
    if (op.bn) {
      const n = op.bn.name;
      const gamma = op.bn.scale ? need(raw, `${n}/gamma`, [cout], source) : undefined;
      const beta = op.bn.center ? need(raw, `${n}/beta`, [cout], source) : undefined;
      const mean = need(raw, `${n}/moving_mean`, [cout], source);
      const variance = need(raw, `${n}/moving_variance`, [cout], source);
      for (let o = 0; o < cout; o++) {
        s[o] = (gamma ? gamma[o] : 1) / Math.sqrt(variance[o] + op.bn.epsilon);
        b[o] = (beta ? beta[o] : 0) + (b[o] - mean[o]) * s[o];
      }
    }
    const w = new Float32Array(cout * cin * kh * kw);
    // TF index (y, x, i, o) → ONNX (o, i, y, x); for depthwise the TF channel axis is the output channel.
    for (let y = 0; y < kh; y++) {
      for (let x = 0; x < kw; x++) {
        for (let i = 0; i < cin; i++) {
          for (let o = 0; o < cout; o++) {
            const v = op.kind === 'depthwise' ? kernel[(y * kw + x) * cout + o] : kernel[((y * kw + x) * cin + i) * cout + o];
            w[((o * cin + i) * kh + y) * kw + x] = v * s[o];
          }
        }
      }
    }
    out.set(`${op.name}.weight`, { shape: [cout, cin, kh, kw], data: w });
    out.set(`${op.name}.bias`, { shape: [cout], data: Float32Array.from(b) });
  }
  return out;
}

/** Emit the ops into a graph: `x` is NCHW float32 scaled as the network expects; returns the last output. */
export function addConvStack(g: GraphBuilder, x: string, ops: readonly ConvOp[], weights: WeightMap): string {
  let relu6: [string, string] | undefined;
  for (const op of ops) {
    const w = weights.get(`${op.name}.weight`)!;
    const b = weights.get(`${op.name}.bias`)!;
    const attrs: Record<string, number | number[] | string> = {
      kernel_shape: [...op.kernel],
      strides: [...op.strides],
      group: op.kind === 'depthwise' ? op.inChannels : 1,
    };
    // 'same' = SAME_UPPER (TensorFlow puts the odd padding pixel at the bottom/right); 1×1 stride-1 needs none.
    const trivial = op.kernel[0] === 1 && op.kernel[1] === 1 && op.strides[0] === 1 && op.strides[1] === 1;
    if (op.padding === 'same' && !trivial) attrs.auto_pad = 'SAME_UPPER';
    else attrs.pads = [0, 0, 0, 0];
    x = g.op('Conv', [x, g.floatTensor(`${op.name}.weight`, w.shape, w.data), g.floatTensor(`${op.name}.bias`, b.shape, b.data)], attrs);
    if (op.activation === 'relu') x = g.op('Relu', [x]);
    if (op.activation === 'relu6') {
      relu6 ??= [g.floatTensor('relu6_min', [], new Float32Array([0])), g.floatTensor('relu6_max', [], new Float32Array([6]))];
      x = g.op('Clip', [x, ...relu6]);
    }
  }
  return x;
}

/** Keras MobileNet preprocessing x/127.5 − 1 for x in [0,255]; our `pixels` are x/255, so 2·p − 1. */
export function addMobileNetScaling(g: GraphBuilder, pixels: string): string {
  const two = g.floatTensor('scale_two', [], new Float32Array([2]));
  const one = g.floatTensor('scale_one', [], new Float32Array([1]));
  return g.op('Sub', [g.op('Mul', [pixels, two]), one]);
}

/** The canonical MobileNet v1 α = 0.75 stack up to conv_pw_11_relu (what the topology must match). */
function canonicalStack(): ConvOp[] {
  const bn = (name: string) => ({ name: `${name}_bn`, epsilon: 1e-3, center: true, scale: true });
  const conv = (kind: ConvOp['kind'], name: string, k: number, s: number, cin: number, cout: number): ConvOp => ({
    kind, name, kernel: [k, k], strides: [s, s], padding: 'same', inChannels: cin, outChannels: cout,
    useBias: false, bn: bn(name), activation: 'relu6', output: `${name}_relu`,
  });
  const ops = [conv('conv', 'conv1', 3, 2, 3, 24)];
  // (depthwise stride, pointwise filters) of blocks 1..11 at α = 0.75 (64·0.75 = 48, …, 512·0.75 = 384).
  const blocks: [number, number][] = [[1, 48], [2, 96], [1, 96], [2, 192], [1, 192], [2, 384], [1, 384], [1, 384], [1, 384], [1, 384], [1, 384]];
  let c = 24;
  blocks.forEach(([s, f], i) => {
    ops.push(conv('depthwise', `conv_dw_${i + 1}`, 3, s, c, c));
    ops.push(conv('conv', `conv_pw_${i + 1}`, 1, 1, c, f));
    c = f;
  });
  return ops;
}

export const MOBILENET_V1_075_STACK: readonly ConvOp[] = canonicalStack();

/** Structural equality of a parsed stack with the canonical one (epsilon may differ: it is folded). */
export function checkMobileNetStack(ops: readonly ConvOp[], source: string): void {
  const key = (o: ConvOp) =>
    JSON.stringify([o.kind, o.name, o.kernel, o.strides, o.padding, o.inChannels, o.outChannels, o.useBias, o.bn?.name, o.bn?.center, o.bn?.scale, o.activation]);
  const want = MOBILENET_V1_075_STACK;
  if (ops.length !== want.length) throw new WeightsError(`${source}: expected ${want.length} convolutions up to ${MOBILENET_FEATURE_LAYER}, found ${ops.length} (is this MobileNet v1 α = 0.75?)`);
  ops.forEach((o, i) => {
    if (key(o) !== key(want[i])) throw new WeightsError(`${source}: layer ${o.name} differs from MobileNet v1 α = 0.75 (${key(o)} vs ${key(want[i])})`);
  });
}

/** Folded tensor name → expected shape. */
export const MOBILENET_FOLDED_SHAPES: Readonly<Record<string, readonly number[]>> = Object.fromEntries(
  MOBILENET_V1_075_STACK.flatMap((o) => [
    [`${o.name}.weight`, [o.outChannels, o.kind === 'depthwise' ? 1 : o.inChannels, ...o.kernel]],
    [`${o.name}.bias`, [o.outChannels]],
  ]),
);

/** Multiply-accumulates to conv_pw_11 for an H×W input. */
export function mobilenetMacs(height: number, width: number): number {
  let h = height;
  let w = width;
  let macs = 0;
  for (const o of MOBILENET_V1_075_STACK) {
    h = Math.ceil(h / o.strides[0]);
    w = Math.ceil(w / o.strides[1]);
    const perOut = (o.kind === 'depthwise' ? 1 : o.inChannels) * o.kernel[0] * o.kernel[1];
    macs += h * w * o.outChannels * perOut;
  }
  return macs;
}

function validate(weights: WeightMap, source: string): void {
  for (const [key, shape] of Object.entries(MOBILENET_FOLDED_SHAPES)) {
    const t = weights.get(key);
    if (!t) throw new WeightsError(`weights ${source}: missing folded tensor ${key} (load MobileNet weights through the backbone registry)`);
    if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
      throw new WeightsError(`weights ${source}: ${key} has shape [${t.shape.join(',')}], expected [${shape.join(',')}]`);
    }
  }
}

function buildGraph(weights: WeightMap, options: GraphOptions = {}): Uint8Array {
  if (options.saliencyMask) throw new WeightsError('the MobileNet backbone does not support saliency masks');
  const g = new GraphBuilder('mobilenet_v1_075_conv_pw_11_gram');
  const x = addMobileNetScaling(g, g.input('pixels', 'float32', ['N', 3, 'H', 'W']));
  addFeatureHead(g, addConvStack(g, x, MOBILENET_V1_075_STACK, weights), MOBILENET_CHANNELS);
  return g.build();
}

/** ⌈n/16⌉: four stride-2 'same' convolutions each give ⌈n/2⌉. */
const cells = (n: number): number => Math.ceil(Math.ceil(Math.ceil(Math.ceil(n / 2) / 2) / 2) / 2);

export const mobilenetV1: Backbone = {
  name: 'mobilenet_v1_0.75',
  layer: 'MobileNet v1 α=0.75 conv_pw_11 ReLU6',
  channels: MOBILENET_CHANNELS,
  stride: 16,
  minSide: 16,
  // Receptive field of conv_pw_11 is 219 px ((219 − 16)/2 ≈ 102 px of context each side, rounded up to the stride).
  halo: 112,
  featureSize: (h, w) => [cells(h), cells(w)],
  // TF 'same' padding depends on the parity of every intermediate size, so a tile's sampling grid can be shifted
  // by a pixel relative to the whole image: tiles do not reproduce the untiled features.
  tileable: false,
  supportsSaliencyMask: false,
  validate,
  buildGraph,
};

/** Topology check and BN folding of a read model: the WeightMap `buildGraph` expects. */
export function mobilenetWeightsFromModel(model: { source: string; layers: readonly KerasLayer[]; weights: WeightMap }): WeightMap {
  const ops = parseConvStack(model.layers, MOBILENET_FEATURE_LAYER);
  checkMobileNetStack(ops, model.source);
  const folded = foldConvStack(ops, model.weights, model.source);
  validate(folded, model.source);
  return folded;
}

/** Manifest weights the feature stack needs (to skip decoding conv_pw_12 … conv_preds). */
export const isMobileNetFeatureWeight = (name: string): boolean => {
  const layer = name.split('/')[0].replace(/_bn$/, '');
  return MOBILENET_V1_075_STACK.some((o) => o.name === layer);
};
