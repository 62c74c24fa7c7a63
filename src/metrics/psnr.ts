/**
 * PSNR baselines.
 * - `psnr`: over all three RGB channels of the 8-bit values, MSE averaged over W·H·3 samples, peak 255
 *   (skimage `peak_signal_noise_ratio` on uint8 RGB, the convention of the IQA-PyTorch calibration table).
 * - `psnr-y`: on the luma Y of MATLAB `rgb2ycbcr` for uint8 input (BT.601 studio range, Y rounded to 8 bits,
 *   see rgb2y), peak 255 — the usual "PSNR on the luminance channel".
 * Identical images give +Infinity.
 */
import type { RGBImage } from '../image/types.js';
import type { FullReferenceMetric } from './types.js';
import { assertSameSize } from './check-size.js';
import { rgb2y } from './color.js';

function psnrFromMse(mse: number): number {
  return mse === 0 ? Infinity : 10 * Math.log10((255 * 255) / mse);
}

export function psnrRGB(ref: RGBImage, test: RGBImage): number {
  assertSameSize('psnr', ref, test);
  const a = ref.data;
  const b = test.data;
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i] - b[i];
    s += d * d;
  }
  return psnrFromMse(s / a.length);
}

export function psnrY(ref: RGBImage, test: RGBImage): number {
  assertSameSize('psnr-y', ref, test);
  const a = rgb2y(ref);
  const b = rgb2y(test);
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i] - b[i];
    s += d * d;
  }
  return psnrFromMse(s / a.length);
}

export function createPsnr(): FullReferenceMetric {
  return { name: 'psnr', higherIsBetter: true, requiresSameSize: true, score: psnrRGB };
}

export function createPsnrY(): FullReferenceMetric {
  return { name: 'psnr-y', higherIsBetter: true, requiresSameSize: true, score: psnrY };
}
