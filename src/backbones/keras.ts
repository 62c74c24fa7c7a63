/**
 * Reading a Keras convolutional stack (TensorFlow.js layers format) as data: the chain of Conv2D /
 * DepthwiseConv2D layers with the BatchNormalization and activation that follow each, its batch normalisation
 * folded into the convolution (float64 arithmetic, the BN's own epsilon) and TF kernels transposed to ONNX layout,
 * and the resulting layer list for a BackboneSpec. Platform-neutral (works on parsed topology and tensors).
 */
import { WeightsError } from '../errors.js';
import type { LayerSpec } from '../graph/spec.js';
import type { KerasLayer } from '../weights/tfjs-layers.js';
import type { WeightMap } from '../weights/types.js';

export type Activation = 'linear' | 'relu' | 'relu6';

/** One convolution of the stack with its folded batch normalisation and activation. */
export interface KerasConvOp {
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
export function parseConvStack(layers: readonly KerasLayer[], stopAt: string): KerasConvOp[] {
  const first = layers[0];
  if (!first || first.className !== 'InputLayer')
    throw new WeightsError('the topology does not start with an InputLayer');
  const shape = first.config.batch_input_shape;
  if (
    !Array.isArray(shape) ||
    shape.length !== 4 ||
    shape[3] !== 3 ||
    (first.config.data_format ?? 'channels_last') !== 'channels_last'
  ) {
    throw new WeightsError(
      `input layer ${first.name}: expected a channels-last RGB input [N,H,W,3], got ${JSON.stringify(shape)}`,
    );
  }
  const ops: KerasConvOp[] = [];
  let channels = 3;
  let previous = first.name;
  let current: { -readonly [K in keyof KerasConvOp]: KerasConvOp[K] } | undefined;
  for (const layer of layers.slice(1)) {
    if (layer.inbound.length > 0 && (layer.inbound.length !== 1 || layer.inbound[0] !== previous)) {
      throw new WeightsError(
        `layer ${layer.name}: expected a chain fed by ${previous}, found inputs [${layer.inbound.join(', ')}]`,
      );
    }
    const c = layer.config;
    switch (layer.className) {
      case 'Conv2D':
      case 'DepthwiseConv2D': {
        if (current) ops.push(current);
        const depthwise = layer.className === 'DepthwiseConv2D';
        if ((c.data_format ?? 'channels_last') !== 'channels_last')
          throw new WeightsError(`layer ${layer.name}: only channels_last is supported`);
        if (pair(c.dilation_rate ?? [1, 1], 'dilation_rate', layer.name).some((d) => d !== 1))
          throw new WeightsError(`layer ${layer.name}: dilation is not supported`);
        if (c.padding !== 'same' && c.padding !== 'valid')
          throw new WeightsError(`layer ${layer.name}: unsupported padding ${JSON.stringify(c.padding)}`);
        if (depthwise && (c.depth_multiplier ?? 1) !== 1)
          throw new WeightsError(`layer ${layer.name}: depth_multiplier ≠ 1 is not supported`);
        const out = depthwise ? channels : Number(c.filters);
        if (!Number.isInteger(out) || out <= 0)
          throw new WeightsError(`layer ${layer.name}: invalid filters ${JSON.stringify(c.filters)}`);
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
        if (!(
          axis === -1 ||
          axis === 3 ||
          (Array.isArray(axis) && axis.length === 1 && (axis[0] === -1 || axis[0] === 3))
        )) {
          throw new WeightsError(
            `layer ${layer.name}: BatchNormalization over axis ${JSON.stringify(axis)} is not supported`,
          );
        }
        const epsilon = Number(c.epsilon ?? 1e-3);
        if (!(epsilon >= 0))
          throw new WeightsError(`layer ${layer.name}: invalid epsilon ${JSON.stringify(c.epsilon)}`);
        current.bn = { name: layer.name, epsilon, center: c.center !== false, scale: c.scale !== false };
        current.output = layer.name;
        break;
      }
      case 'Activation':
      case 'ReLU': {
        if (!current || current.activation !== 'linear')
          throw new WeightsError(`layer ${layer.name}: activation must follow a linear convolution`);
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
export function foldConvStack(ops: readonly KerasConvOp[], raw: WeightMap, source: string): WeightMap {
  const out: WeightMap = new Map();
  for (const op of ops) {
    const [kh, kw] = op.kernel;
    const cout = op.outChannels;
    const cin = op.kind === 'depthwise' ? 1 : op.inChannels;
    const kernel =
      op.kind === 'depthwise'
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
            const v =
              op.kind === 'depthwise' ? kernel[(y * kw + x) * cout + o] : kernel[((y * kw + x) * cin + i) * cout + o];
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

/**
 * The spec layers of a parsed (and folded) stack: Conv with TF 'same' (size-dependent, SAME_UPPER) or no padding,
 * depthwise as group = C, folded tensors `<name>.weight` / `<name>.bias`, then the activation named as in Keras.
 */
export function kerasStackLayers(ops: readonly KerasConvOp[]): LayerSpec[] {
  const out: LayerSpec[] = [];
  for (const o of ops) {
    out.push({
      kind: 'conv',
      name: o.name,
      weight: `${o.name}.weight`,
      bias: `${o.name}.bias`,
      inChannels: o.inChannels,
      outChannels: o.outChannels,
      kernel: o.kernel,
      strides: o.strides,
      pads: o.padding === 'same' ? 'same' : [0, 0, 0, 0],
      group: o.kind === 'depthwise' ? o.inChannels : 1,
    });
    if (o.activation === 'relu6') out.push({ kind: 'relu6', name: o.output });
    else if (o.activation === 'relu') out.push({ kind: 'relu', name: o.output });
  }
  return out;
}

/** Structural equality of a parsed stack with an expected one (epsilons may differ: they are folded). */
export function checkKerasStack(
  ops: readonly KerasConvOp[],
  want: readonly KerasConvOp[],
  what: string,
  source: string,
): void {
  const key = (o: KerasConvOp) =>
    JSON.stringify([
      o.kind,
      o.name,
      o.kernel,
      o.strides,
      o.padding,
      o.inChannels,
      o.outChannels,
      o.useBias,
      o.bn?.name,
      o.bn?.center,
      o.bn?.scale,
      o.activation,
    ]);
  if (ops.length !== want.length) {
    throw new WeightsError(
      `${source}: expected ${want.length} convolutions up to ${want[want.length - 1]?.output}, found ${ops.length} (is this ${what}?)`,
      { code: 'WEIGHTS_WRONG_MODEL' },
    );
  }
  ops.forEach((o, i) => {
    if (key(o) !== key(want[i]))
      throw new WeightsError(`${source}: layer ${o.name} differs from ${what} (${key(o)} vs ${key(want[i])})`, {
        code: 'WEIGHTS_WRONG_MODEL',
      });
  });
}
