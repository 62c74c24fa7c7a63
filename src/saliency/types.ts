/** A saliency map: one float per pixel, row-major, values in [0,1]. */
export interface SaliencyMap {
  data: Float32Array;
  width: number;
  height: number;
}
