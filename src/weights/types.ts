/** One named parameter tensor, always converted to float32 on load. Shape is row-major (PyTorch order). */
export interface WeightTensor {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

/** Parameter name (PyTorch state-dict key, e.g. `features.0.weight`) → tensor. */
export type WeightMap = Map<string, WeightTensor>;

/** The on-disk formats this package reads. */
export type WeightsFormat = 'pth-legacy' | 'pth-zip' | 'safetensors' | 'tfjs-layers';
