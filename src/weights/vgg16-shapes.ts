/**
 * The VGG16 tensors DeepSSIM needs (conv1_1 … conv5_1 of torchvision's `features`, i.e. up to relu5_1) and the
 * official weights file they come from. Single source of truth for other modules.
 */

/** torchvision `features.<index>` of each conv layer up to conv5_1, with its (out, in) channels. */
export const VGG16_RELU51_CONVS: readonly { readonly index: number; readonly name: string; readonly out: number; readonly in: number }[] = [
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
