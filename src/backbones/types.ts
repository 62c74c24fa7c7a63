import type { WeightMap } from '../weights/types.js';

/** Options that change the shape of the feature graph. */
export interface GraphOptions {
  /** Add a `mask` input [N,1,H,W] multiplied into the first ReLU output (saliency calibration). */
  readonly saliencyMask?: boolean;
}

/**
 * A feature backbone: the network that maps an image to the feature layer whose Gram matrix DeepSSIM compares.
 *
 * Every backbone graph has the same interface, so the rest of the pipeline never knows which one it runs:
 * - input `pixels`: float32 [N,3,H,W], RGB in [0,1] (the graph applies its own normalisation);
 * - input `crop`: int64 [4] = [top, bottom, left, right] in feature-map cells; only this window of the feature map
 *   enters the Gram matrix (tiling uses it to drop halo cells; pass [0, 2^62, 0, 2^62] for everything);
 * - optional input `mask`: float32 [N,1,H,W] (see GraphOptions);
 * - output `gram`: float32 [N,C,C] = F·Fᵀ over the cropped feature cells, unnormalised;
 * - output `cells`: int64 [2] = [h, w] of the cropped feature map (for normalisation by C·h·w).
 */
export interface Backbone {
  /** Registry name, e.g. `vgg16`. */
  readonly name: string;
  /** Human-readable description of the feature layer, e.g. `VGG16 relu5_1`. */
  readonly layer: string;
  /** Channels C of the feature layer (the Gram matrix is C×C). */
  readonly channels: number;
  /** Total stride of the feature layer in pixels. */
  readonly stride: number;
  /** Smallest accepted image side in pixels. */
  readonly minSide: number;
  /**
   * Pixels of context each side that a feature cell depends on beyond its own stride-aligned footprint; tiles
   * carry at least this much halo (rounded up to the stride) so tiled and untiled features are identical.
   */
  readonly halo: number;
  /** Feature-map size [h, w] for an H×W input. */
  featureSize(height: number, width: number): [number, number];
  /** Whether stride-aligned tiles with `halo` reproduce the untiled features exactly (see src/features.ts). */
  readonly tileable: boolean;
  /** Whether this backbone supports the saliency-mask input. */
  readonly supportsSaliencyMask: boolean;
  /** Check that the weights have the tensors and shapes this backbone needs; throws WeightsError. */
  validate(weights: WeightMap, source: string): void;
  /** Serialise the ONNX graph for these weights. */
  buildGraph(weights: WeightMap, options?: GraphOptions): Uint8Array;
}
