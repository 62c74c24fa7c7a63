/**
 * Backbone → differentiable LayerStack. Each entry reuses its backbone's own layer description (VGG16_LAYERS), so
 * there is one source of truth for the architecture.
 */
import { UsageError } from '../errors.js';
import { MOBILENET_CHANNELS, MOBILENET_V1_075_STACK } from '../backbones/mobilenet-v1.js';
import { VGG16_LAYERS } from '../backbones/vgg16.js';
import type { WeightMap } from '../weights/types.js';
import type { LayerOp, LayerStack } from './layers.js';

const IMAGENET_MEAN = [0.485, 0.456, 0.406];
const IMAGENET_STD = [0.229, 0.224, 0.225];

/** VGG16 to relu5_1 with the ImageNet normalisation (x − mean)/std as one affine op. */
export function vgg16Stack(weights: WeightMap): LayerStack {
  const ops: LayerOp[] = [{ kind: 'affine', scale: IMAGENET_STD.map((s) => 1 / s), shift: IMAGENET_MEAN.map((m, i) => -m / IMAGENET_STD[i]) }];
  for (const l of VGG16_LAYERS) {
    ops.push({
      kind: 'conv',
      name: l.name,
      weight: weights.get(`features.${l.index}.weight`)!,
      bias: weights.get(`features.${l.index}.bias`)!,
      strides: [1, 1],
      pads: [1, 1, 1, 1],
      group: 1,
    });
    ops.push({ kind: 'relu' });
    if (l.poolAfter) ops.push({ kind: 'maxpool', kernel: [2, 2], strides: [2, 2] });
  }
  return { ops, channels: 512 };
}

/**
 * MobileNet v1 α = 0.75 to conv_pw_11 ReLU6 from the backbone's folded weights (BN already folded by the registry):
 * x ↦ 2x − 1, then Conv (TF 'same' = SAME_UPPER pads, depthwise = group C) + Clip(0, 6) per op.
 */
export function mobilenetV1Stack(weights: WeightMap): LayerStack {
  const ops: LayerOp[] = [{ kind: 'affine', scale: [2, 2, 2], shift: [-1, -1, -1] }];
  for (const o of MOBILENET_V1_075_STACK) {
    const trivial = o.kernel[0] === 1 && o.kernel[1] === 1 && o.strides[0] === 1 && o.strides[1] === 1;
    ops.push({
      kind: 'conv',
      name: o.name,
      weight: weights.get(`${o.name}.weight`)!,
      bias: weights.get(`${o.name}.bias`)!,
      strides: o.strides,
      pads: o.padding === 'same' && !trivial ? 'same-upper' : [0, 0, 0, 0],
      group: o.kind === 'depthwise' ? o.inChannels : 1,
    });
    if (o.activation === 'relu6') ops.push({ kind: 'clip', min: 0, max: 6 });
    else if (o.activation === 'relu') ops.push({ kind: 'relu' });
  }
  return { ops, channels: MOBILENET_CHANNELS };
}

type StackFactory = (weights: WeightMap) => LayerStack;
const factories = new Map<string, StackFactory>([
  ['vgg16', vgg16Stack],
  ['mobilenet_v1_0.75', mobilenetV1Stack],
]);

/** Register the differentiable form of a backbone (same name as in src/backbones/registry.ts). */
export function registerLossStack(backbone: string, factory: StackFactory): void {
  factories.set(backbone, factory);
}

export function lossStack(backbone: string, weights: WeightMap): LayerStack {
  const f = factories.get(backbone);
  if (!f) throw new UsageError(`backbone '${backbone}' has no differentiable form for the loss (available: ${[...factories.keys()].join(', ')})`);
  return f(weights);
}
