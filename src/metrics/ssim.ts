/**
 * SSIM with the semantics of Wang et al.'s reference `ssim.m` (2004, with automatic downsampling):
 * grayscale by MATLAB rgb2gray (rounded to uint8), then f = max(1, round(min(H, W)/256)); if f > 1, an f×f
 * box filter ('symmetric', 'same') and every f-th pixel; Gaussian window 11, σ 1.5, K = [0.01 0.03], L = 255,
 * 'valid' filtering, mean of the SSIM map. `downsample: false` gives the plain single-scale SSIM.
 */
import type { RGBImage } from '../image/types.js';
import type { FullReferenceMetric } from './types.js';
import { assertSameSize } from './check-size.js';
import { rgb2gray } from './color.js';
import { boxDownsample, ssimMeans, type Plane } from './ssim-core.js';

export interface SsimOptions {
  /** Apply ssim.m's automatic downsampling (default true). */
  downsample?: boolean;
}

/** The downsampling factor ssim.m uses: max(1, round(min(M, N)/256)). */
export function ssimDownsampleFactor(width: number, height: number): number {
  return Math.max(1, Math.round(Math.min(width, height) / 256));
}

export function ssim(ref: RGBImage, test: RGBImage, options: SsimOptions = {}): number {
  assertSameSize('ssim', ref, test);
  let a: Plane = { data: rgb2gray(ref), width: ref.width, height: ref.height };
  let b: Plane = { data: rgb2gray(test), width: test.width, height: test.height };
  const f = options.downsample === false ? 1 : ssimDownsampleFactor(ref.width, ref.height);
  if (f > 1) {
    a = boxDownsample(a, f);
    b = boxDownsample(b, f);
  }
  return ssimMeans(a, b, 'ssim').ssim;
}

export function createSsim(options: SsimOptions = {}): FullReferenceMetric {
  return {
    name: 'ssim',
    higherIsBetter: true,
    requiresSameSize: true,
    score: (r, t) => ssim(r, t, options),
  };
}
