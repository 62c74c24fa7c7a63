import type { GraphBuilder } from '../onnx/builder.js';

/** (x − mean) / std with the ImageNet statistics torchvision models were trained with. */
export function addImageNetNormalisation(g: GraphBuilder, pixels: string): string {
  const mean = g.floatTensor('imagenet_mean', [1, 3, 1, 1], new Float32Array([0.485, 0.456, 0.406]));
  const std = g.floatTensor('imagenet_std', [1, 3, 1, 1], new Float32Array([0.229, 0.224, 0.225]));
  return g.op('Div', [g.op('Sub', [pixels, mean]), std]);
}

/**
 * The part every backbone shares after its feature layer: crop the feature map to the `crop` window
 * ([top, bottom, left, right] in cells), flatten to [N, C, h·w] and form the Gram matrix F·Fᵀ.
 */
export function addFeatureHead(g: GraphBuilder, features: string, channels: number): void {
  const crop = g.input('crop', 'int64', [4]);
  const starts = g.op('Gather', [crop, g.int64Tensor('crop_start_idx', [0, 2])], { axis: 0 });
  const ends = g.op('Gather', [crop, g.int64Tensor('crop_end_idx', [1, 3])], { axis: 0 });
  const cropped = g.op('Slice', [features, starts, ends, g.int64Tensor('crop_axes', [2, 3])]);
  const shape = g.op('Shape', [cropped]);
  g.op('Slice', [shape, g.int64Tensor('hw_start', [2]), g.int64Tensor('hw_end', [4])], {}, 'cells');
  g.output('cells', 'int64', [2]);
  const flat = g.op('Reshape', [cropped, g.int64Tensor('flat_shape', [0, channels, -1])]);
  const flatT = g.op('Transpose', [flat], { perm: [0, 2, 1] });
  g.op('MatMul', [flat, flatT], {}, 'gram');
  g.output('gram', 'float32', ['N', channels, channels]);
}
