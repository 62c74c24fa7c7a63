import type { RGBImage } from '../image/types.js';

/**
 * A full-reference quality metric as the evaluation harness sees it (pyiqa-style metadata travels with it).
 * `score` takes decoded 8-bit RGB images.
 */
export interface FullReferenceMetric {
  /** Registry name used on the command line, e.g. `psnr`, `psnr-y`, `ssim`, `ms-ssim`, `deepssim`. */
  readonly name: string;
  /** True when a larger score means better quality. */
  readonly higherIsBetter: boolean;
  /** True when reference and test must have identical sizes (pixel-aligned metrics). */
  readonly requiresSameSize: boolean;
  score(reference: RGBImage, test: RGBImage): Promise<number> | number;
  dispose?(): Promise<void> | void;
}
