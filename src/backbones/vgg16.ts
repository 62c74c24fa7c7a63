/**
 * VGG16 to relu5_1 (torchvision's `features` up to index 25), the published DeepSSIM configuration: ImageNet
 * normalisation, eleven 3×3 convolutions with ReLU, four 2×2/2 max-poolings; 512 channels at
 * stride 16. Saliency calibration multiplies relu1_1 by the binary mask (authors' vgg_v16s5c1sal).
 */
import { macs } from '../graph/geometry.js';
import { IMAGENET_NORMALIZE, type BackboneSpec, type LayerSpec } from '../graph/spec.js';
import type { WeightsDeclaration } from '../weights/official.js';

/** torchvision `features.<index>` of each conv layer up to conv5_1, with its (out, in) channels. */
export const VGG16_RELU51_CONVS: readonly {
  readonly index: number;
  readonly name: string;
  readonly out: number;
  readonly in: number;
}[] = [
  { index: 0, name: 'conv1_1', out: 64, in: 3 },
  { index: 2, name: 'conv1_2', out: 64, in: 64 },
  { index: 5, name: 'conv2_1', out: 128, in: 64 },
  { index: 7, name: 'conv2_2', out: 128, in: 128 },
  { index: 10, name: 'conv3_1', out: 256, in: 128 },
  { index: 12, name: 'conv3_2', out: 256, in: 256 },
  { index: 14, name: 'conv3_3', out: 256, in: 256 },
  { index: 17, name: 'conv4_1', out: 512, in: 256 },
  { index: 19, name: 'conv4_2', out: 512, in: 512 },
  { index: 21, name: 'conv4_3', out: 512, in: 512 },
  { index: 24, name: 'conv5_1', out: 512, in: 512 },
];

/** torchvision's MaxPool2d layers sit right after the ReLUs of these convolutions. */
const POOL_AFTER = new Set(['conv1_2', 'conv2_2', 'conv3_3', 'conv4_3']);

function layers(): LayerSpec[] {
  const out: LayerSpec[] = [IMAGENET_NORMALIZE];
  for (const c of VGG16_RELU51_CONVS) {
    out.push({
      kind: 'conv',
      name: c.name,
      weight: `features.${c.index}.weight`,
      bias: `features.${c.index}.bias`,
      inChannels: c.in,
      outChannels: c.out,
      kernel: [3, 3],
      strides: [1, 1],
      pads: [1, 1, 1, 1],
      group: 1,
    });
    out.push({ kind: 'relu', name: c.name.replace('conv', 'relu') });
    if (POOL_AFTER.has(c.name)) out.push({ kind: 'maxpool', kernel: [2, 2], strides: [2, 2] });
  }
  return out;
}

/** The 22 state-dict tensors (weight [out,in,3,3] and bias [out] per conv) → expected shape. */
export const VGG16_RELU51_SHAPES: Readonly<Record<string, readonly number[]>> = Object.freeze(
  Object.fromEntries(
    VGG16_RELU51_CONVS.flatMap((c) => [
      [`features.${c.index}.weight`, [c.out, c.in, 3, 3]],
      [`features.${c.index}.bias`, [c.out]],
    ]),
  ),
);

/** True for the tensor names in VGG16_RELU51_SHAPES (use as the `select` of readWeightsFile). */
export const isVgg16Relu51Tensor = (name: string): boolean => Object.hasOwn(VGG16_RELU51_SHAPES, name);

/** torchvision's ImageNet VGG16 (legacy torch.save format, about 528 MB). */
export const VGG16_OFFICIAL_URL = 'https://download.pytorch.org/models/vgg16-397923af.pth';
export const VGG16_OFFICIAL_SHA256 = '397923af8e79cdbb6a7127f12361acd7a2f83e06b05044ddf496e83de57a5bf0';
export const VGG16_OFFICIAL_FILENAME = 'vgg16-397923af.pth';
/** The compact cache file holding only the 22 tensors above (float32 safetensors, about 40 MB). */
export const VGG16_COMPACT_FILENAME = 'vgg16-397923af-relu5_1.safetensors';

/** torchvision's ImageNet VGG16 (vgg16-397923af.pth, legacy torch.save format, 553,433,881 bytes). */
export const VGG16_WEIGHTS: WeightsDeclaration = Object.freeze({
  storage: 'state-dict',
  title: "torchvision's ImageNet VGG16",
  envVar: 'DEEPSSIM_WEIGHTS',
  official: [
    { name: VGG16_OFFICIAL_FILENAME, url: VGG16_OFFICIAL_URL, sha256: VGG16_OFFICIAL_SHA256, bytes: 553_433_881 },
  ],
  entry: VGG16_OFFICIAL_FILENAME,
  cacheName: VGG16_COMPACT_FILENAME,
  unverifiedCacheName: 'vgg16-relu5_1.unverified.safetensors',
  compact: {
    shapes: VGG16_RELU51_SHAPES,
    metadata: { backbone: 'vgg16', layers: 'conv1_1..conv5_1', dtype: 'F32' },
  },
});

export const vgg16: BackboneSpec = {
  name: 'vgg16',
  description: 'VGG16 relu5_1',
  layers: layers(),
  featureLayer: 'relu5_1',
  channels: 512,
  // Four floor-mode 2×2 poolings: smaller images have no feature cell.
  minSide: 16,
  saliency: { after: 'relu1_1' },
  weights: { storage: 'state-dict', select: isVgg16Relu51Tensor, declaration: VGG16_WEIGHTS },
};

/** Multiply-accumulates of VGG16 to relu5_1 for an H×W input (for GFLOP/s figures). */
export const vgg16Macs = (height: number, width: number): number => macs(vgg16, height, width);
