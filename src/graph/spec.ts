/**
 * The declarative description of a feature backbone. A backbone is one file exporting one `BackboneSpec`: its
 * layers as data, the feature layer they end at, where a saliency mask applies, and how its weights are found,
 * read and adapted. Everything else — the metric graph, the loss graph (forward, tape, backward), the geometry
 * tiling needs (stride, halo, feature size), the expected weight shapes — is derived from it by src/graph/*.
 *
 * Platform-neutral: no Node built-ins, no native packages.
 */
import type { WeightsDeclaration } from '../weights/official.js';
import type { WeightMap } from '../weights/types.js';

/** [top, left, bottom, right] in pixels of the layer's input (ONNX order: begins, then ends). */
export type Pads = readonly [number, number, number, number];

/** (x − mean[c]) / std[c] per channel, for pixels in [0, 1]. The first layer of every backbone. */
export interface NormalizeLayer {
  readonly kind: 'normalize';
  readonly mean: readonly [number, number, number];
  readonly std: readonly [number, number, number];
}

/**
 * A convolution (ONNX Conv): weight [out, in/group, kh, kw] named `weight` in the WeightMap, optional bias [out].
 * `pads: 'same'` is TensorFlow's size-dependent 'same' padding (see `samePads`).
 */
export interface ConvLayer {
  readonly kind: 'conv';
  /** Layer name, e.g. `conv1_1` (also the prefix of its initializers in the graphs). */
  readonly name: string;
  /** WeightMap key of the kernel, e.g. `features.0.weight`. */
  readonly weight: string;
  /** WeightMap key of the bias, if the layer has one. */
  readonly bias?: string;
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernel: readonly [number, number];
  readonly strides: readonly [number, number];
  readonly pads: Pads | 'same';
  /** 1 for a dense convolution, inChannels for a depthwise one. */
  readonly group: number;
}

/** max(0, x); `name` labels the activation (e.g. `relu1_1`, the saliency site of VGG16). */
export interface ReluLayer {
  readonly kind: 'relu';
  readonly name?: string;
}

/** min(max(x, 0), 6), MobileNet's ReLU6. */
export interface Relu6Layer {
  readonly kind: 'relu6';
  readonly name?: string;
}

/** Max pooling without padding, floor mode. */
export interface MaxPoolLayer {
  readonly kind: 'maxpool';
  readonly kernel: readonly [number, number];
  readonly strides: readonly [number, number];
}

export type LayerSpec = NormalizeLayer | ConvLayer | ReluLayer | Relu6Layer | MaxPoolLayer;

/** What a weights reader returns, before adaptation. */
export interface RawWeights {
  /** Tensors by their name in the file (state-dict key, or Keras weight name). */
  readonly tensors: WeightMap;
  /** Keras layers of a tfjs-layers model (its topology), when the format has one. */
  readonly layers?: readonly import('../weights/tfjs-layers.js').KerasLayer[];
  /** Where they came from, for messages. */
  readonly source: string;
}

/** How a backbone's weights are described, read and turned into the WeightMap its layers name. */
export interface WeightsSpec {
  /**
   * How the weights are stored: one PyTorch (.pth) / safetensors file of named tensors ('state-dict'), or a
   * TensorFlow.js layers model, model.json plus shards ('tfjs-layers').
   */
  readonly storage: 'state-dict' | 'tfjs-layers';
  /** Tensors of the file that are needed (the others are skipped without decoding). */
  readonly select: (name: string) => boolean;
  /**
   * File tensors → the WeightMap the layers name (e.g. MobileNet: topology check, batch-norm folding, TF → ONNX
   * layout). Omitted: the selected tensors are used as they are. Shapes are checked against the layers afterwards.
   */
  readonly adapt?: (raw: RawWeights) => WeightMap;
  /**
   * The official weights as data: files with URL, SHA-256 and size, environment variable, cache entries (see
   * src/weights/official.ts). Omitted: there are no official weights; users pass a file, its bytes or a WeightMap.
   */
  readonly declaration?: WeightsDeclaration;
}

/** Where and how the saliency-calibrated variant's binary mask applies. */
export interface SaliencySpec {
  /**
   * Name of the activation layer whose output the mask multiplies (the authors': VGG16 relu1_1). The layers before
   * it may be strided: the full-resolution mask is brought to that layer's grid by sampling it at the centre of
   * each unit's kernel window (docs/saliency-backbones.md).
   */
  readonly after: string;
}

export interface BackboneSpec {
  /** Registry name, e.g. `vgg16`. */
  readonly name: string;
  /** Human-readable feature layer, e.g. `VGG16 relu5_1`. */
  readonly description: string;
  /** Layers from pixels in [0,1] to the feature layer (the first is the input normalisation). */
  readonly layers: readonly LayerSpec[];
  /** Name of the feature layer (the output of the last layer), for documentation and messages. */
  readonly featureLayer: string;
  /** Channels C of the feature layer (the Gram matrix is C×C); checked against the layers. */
  readonly channels: number;
  /** Smallest accepted image side in pixels. */
  readonly minSide: number;
  /** Saliency calibration: where the mask applies. Omitted: the backbone offers no saliency calibration. */
  readonly saliency?: SaliencySpec;
  readonly weights: WeightsSpec;
}

/** ImageNet channel statistics torchvision models were trained with (pixels in [0,1]). */
export const IMAGENET_NORMALIZE: NormalizeLayer = {
  kind: 'normalize',
  mean: [0.485, 0.456, 0.406],
  std: [0.229, 0.224, 0.225],
};

/**
 * TensorFlow 'same' padding for an input of n along one axis (ONNX auto_pad SAME_UPPER): total
 * max(0, (⌈n/s⌉ − 1)·s + k − n), the odd pixel at the end. Returns [begin, end].
 */
export function samePads(n: number, kernel: number, stride: number): [number, number] {
  const total = Math.max(0, (Math.ceil(n / stride) - 1) * stride + kernel - n);
  return [Math.floor(total / 2), total - Math.floor(total / 2)];
}

/** Explicit [top, left, bottom, right] pads of a conv layer for an h×w input. */
export function resolvePads(layer: ConvLayer, h: number, w: number): Pads {
  if (layer.pads !== 'same') return layer.pads;
  const [t, b] = samePads(h, layer.kernel[0], layer.strides[0]);
  const [l, r] = samePads(w, layer.kernel[1], layer.strides[1]);
  return [t, l, b, r];
}

/** Whether a 'same' conv needs no padding at all whatever the size (1×1, stride 1). */
export function isUnpadded(layer: ConvLayer): boolean {
  return layer.pads === 'same'
    ? layer.kernel[0] === 1 && layer.kernel[1] === 1 && layer.strides[0] === 1 && layer.strides[1] === 1
    : layer.pads.every((p) => p === 0);
}
