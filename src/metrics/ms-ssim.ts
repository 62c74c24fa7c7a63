/**
 * MS-SSIM with the semantics of Wang et al.'s reference `msssim.m` (2003): grayscale by MATLAB rgb2gray,
 * 5 scales, weights [0.0448 0.2856 0.3001 0.2363 0.1333], SSIM as in ssim_index_new.m (Gaussian 11/1.5,
 * K = [0.01 0.03], L = 255, 'valid'), between scales a 2×2 average (imfilter 'symmetric' 'same') and every
 * second pixel. No automatic downsampling (msssim.m has none; the calibration values confirm it).
 * Result = Π_{l<5} cs_l^{w_l} · ssim_5^{w_5} (msssim.m's default method 'product', the paper's definition).
 * `method: 'wtd_sum'` selects msssim.m's other branch, Σ_{l<5} ŵ_l·cs_l + ŵ_5·ssim_5 with ŵ = w/Σw. The official
 * MS-SSIM column of IQA-PyTorch's TID2013 calibration table was evidently made with that branch: it reproduces all
 * five values to ≤ 3e-5, whereas 'product' is 3–4e-3 low on the two heavily distorted pairs
 * (docs/ms-ssim-calibration.md).
 *
 * Negative cs/ssim: MATLAB raises a negative base to a fractional power as a complex number, so msssim.m then
 * returns a complex value. We return its real part (|Π|·cos(π·Σ w over negative factors)), i.e. what
 * real(msssim(...)) gives — continuous, unlike clamping to 0. `negative: 'clamp'` clamps factors at 0 instead
 * (pytorch_msssim/IQA-PyTorch behaviour).
 */
import { ImageError } from '../errors.js';
import type { RGBImage } from '../image/types.js';
import type { FullReferenceMetric } from './types.js';
import { assertSameSize } from './check-size.js';
import { rgb2gray } from './color.js';
import { boxDownsample, ssimMeans, type Plane } from './ssim-core.js';

export const MS_SSIM_WEIGHTS = [0.0448, 0.2856, 0.3001, 0.2363, 0.1333] as const;

export interface MsSsimOptions {
  /** How the per-scale factors are combined, as msssim.m's `method` argument (default 'product'). */
  method?: 'product' | 'wtd_sum';
  /** Product only: how negative factors are raised to fractional powers (default 'matlab-real'). */
  negative?: 'matlab-real' | 'clamp';
}

/** Per-scale values (cs for scales 1–4, ssim for scale 5) and their weighted product. */
export function msssimDetail(
  ref: RGBImage,
  test: RGBImage,
  options: MsSsimOptions = {},
): { factors: number[]; value: number } {
  assertSameSize('ms-ssim', ref, test);
  const levels = MS_SSIM_WEIGHTS.length;
  const minSide = Math.min(ref.width, ref.height);
  // msssim.m: min(M,N)/2^(level−1) must be at least the window width.
  if (minSide / 2 ** (levels - 1) < 11) {
    throw new ImageError(
      `ms-ssim: image is ${ref.width}×${ref.height}; the shorter side must be at least ${11 * 2 ** (levels - 1)} px`,
    );
  }
  let a: Plane = { data: rgb2gray(ref), width: ref.width, height: ref.height };
  let b: Plane = { data: rgb2gray(test), width: test.width, height: test.height };
  const factors: number[] = [];
  for (let l = 0; l < levels; l++) {
    const m = ssimMeans(a, b, 'ms-ssim');
    factors.push(l < levels - 1 ? m.cs : m.ssim);
    if (l < levels - 1) {
      a = boxDownsample(a, 2);
      b = boxDownsample(b, 2);
    }
  }
  if (options.method === 'wtd_sum') {
    const total = MS_SSIM_WEIGHTS.reduce((s, w) => s + w, 0);
    return { factors, value: factors.reduce((s, f, l) => s + (MS_SSIM_WEIGHTS[l] / total) * f, 0) };
  }
  let logMag = 0;
  let angle = 0;
  for (let l = 0; l < levels; l++) {
    let v = factors[l];
    if (options.negative === 'clamp' && v < 0) v = 0;
    if (v === 0) return { factors, value: 0 };
    logMag += MS_SSIM_WEIGHTS[l] * Math.log(Math.abs(v));
    if (v < 0) angle += Math.PI * MS_SSIM_WEIGHTS[l];
  }
  return { factors, value: Math.exp(logMag) * Math.cos(angle) };
}

export function msssim(ref: RGBImage, test: RGBImage, options: MsSsimOptions = {}): number {
  return msssimDetail(ref, test, options).value;
}

export function createMsSsim(options: MsSsimOptions = {}): FullReferenceMetric {
  return {
    name: 'ms-ssim',
    higherIsBetter: true,
    requiresSameSize: true,
    score: (r, t) => msssim(r, t, options),
  };
}
