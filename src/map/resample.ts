/**
 * The local map compares two images at the reference's pixel scale: a test of another size is resampled to the
 * reference's size before its network pass (docs/local-map.md, "Different sizes"). The project's antialiased
 * separable Lanczos-3 resize (src/eval/transforms/resample.ts, platform-neutral) does it; one rounding to 8 bits.
 */
import { toFloat, toRGB } from '../eval/transforms/float-image.js';
import { resizeFloat } from '../eval/transforms/resample.js';
import type { RGBImage } from '../image/types.js';

export function resizeRGB(img: RGBImage, width: number, height: number): RGBImage {
  return toRGB(resizeFloat(toFloat(img), width, height, 'lanczos3'));
}
