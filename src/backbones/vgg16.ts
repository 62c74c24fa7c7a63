import { GraphBuilder } from '../onnx/builder.js';
import { validateShapes } from '../weights/read.js';
import type { WeightMap } from '../weights/types.js';
import { VGG16_RELU51_CONVS, VGG16_RELU51_SHAPES } from '../weights/vgg16-shapes.js';
import type { Backbone, GraphOptions } from './types.js';
import { addFeatureHead, addImageNetNormalisation } from './common.js';

/** One 3×3 convolution of VGG16 up to relu5_1, in torchvision's `features.<index>` numbering. */
interface ConvLayer {
  readonly name: string; // conv1_1 …
  readonly index: number; // torchvision features.<index>
  readonly inChannels: number;
  readonly outChannels: number;
  /** 2×2/2 max-pooling follows this convolution's ReLU. */
  readonly poolAfter: boolean;
}

/** VGG16 to relu5_1: 64,64 | 128,128 | 256,256,256 | 512,512,512 | 512. Nothing past conv5_1 is computed. */
export const VGG16_LAYERS: readonly ConvLayer[] = VGG16_RELU51_CONVS.map((c) => ({
  name: c.name,
  index: c.index,
  inChannels: c.in,
  outChannels: c.out,
  // torchvision's MaxPool2d layers sit right after the ReLUs of conv1_2, conv2_2, conv3_3 and conv4_3.
  poolAfter: ['conv1_2', 'conv2_2', 'conv3_3', 'conv4_3'].includes(c.name),
}));

/** Multiply-accumulates of VGG16 to relu5_1 for an H×W input (for GFLOP/s figures). */
export function vgg16Macs(height: number, width: number): number {
  let h = height;
  let w = width;
  let macs = 0;
  for (const l of VGG16_LAYERS) {
    macs += h * w * l.outChannels * l.inChannels * 9;
    if (l.poolAfter) {
      h = Math.floor(h / 2);
      w = Math.floor(w / 2);
    }
  }
  return macs;
}

function validate(weights: WeightMap, source: string): void {
  validateShapes(weights, VGG16_RELU51_SHAPES, source);
}

function buildGraph(weights: WeightMap, options: GraphOptions = {}): Uint8Array {
  const g = new GraphBuilder('vgg16_relu5_1_gram');
  let x = addImageNetNormalisation(g, g.input('pixels', 'float32', ['N', 3, 'H', 'W']));
  const mask = options.saliencyMask ? g.input('mask', 'float32', ['N', 1, 'H', 'W']) : undefined;
  for (const l of VGG16_LAYERS) {
    const w = weights.get(`features.${l.index}.weight`)!;
    const b = weights.get(`features.${l.index}.bias`)!;
    const wName = g.floatTensor(`${l.name}.weight`, w.shape, w.data);
    const bName = g.floatTensor(`${l.name}.bias`, b.shape, b.data);
    x = g.op('Conv', [x, wName, bName], { kernel_shape: [3, 3], pads: [1, 1, 1, 1], strides: [1, 1] });
    x = g.op('Relu', [x]);
    // Saliency calibration multiplies the relu1_1 output by the image's binary mask (authors' vgg_v16s5c1sal).
    if (l.name === 'conv1_1' && mask) x = g.op('Mul', [x, mask]);
    if (l.poolAfter) x = g.op('MaxPool', [x], { kernel_shape: [2, 2], strides: [2, 2] });
  }
  addFeatureHead(g, x, 512);
  return g.build();
}

export const vgg16: Backbone = {
  name: 'vgg16',
  layer: 'VGG16 relu5_1',
  channels: 512,
  stride: 16,
  minSide: 16,
  // Receptive field of relu5_1 is 132 px: the 16-px pooling footprint plus 58 px each side
  // (conv extensions 2·1 + 2·2 + 3·4 + 3·8 + 1·16). Rounded up to the stride: 64.
  halo: 64,
  // Four floor-mode 2×2 poolings.
  featureSize: (h, w) => [Math.floor(h / 16), Math.floor(w / 16)],
  tileable: true,
  supportsSaliencyMask: true,
  validate,
  buildGraph,
};
