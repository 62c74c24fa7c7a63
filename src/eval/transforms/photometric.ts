/**
 * Photometric degradations (size-preserving).
 * (The JPEG round trip needs a platform codec: it lives in the Node-only src/eval/transforms.ts.)
 * - gaussianBlur: separable, kernel radius ceil(3σ), normalised, edge replicate, float64, rounded once.
 * - gaussianNoise: i.i.d. N(0, σ²) per sample (seeded), added, rounded, clipped to [0, 255].
 */
import type { RGBImage } from '../../image/types.js';
import { UsageError } from '../../errors.js';
import { checkImage, requireFinite, toFloat, toRGB } from './float-image.js';
import { gaussianBlurFloat } from './resample.js';
import { createRng } from './random.js';

/** Separable Gaussian blur (radius ceil(3σ), edge replicate); σ = 0 returns a copy. */
export function gaussianBlur(img: RGBImage, sigma: number): RGBImage {
  checkImage(img);
  requireFinite('blur sigma', sigma);
  if (sigma < 0) throw new UsageError(`blur sigma must be >= 0, got ${sigma}`);
  if (sigma === 0) return { data: Uint8Array.from(img.data), width: img.width, height: img.height };
  const f = toFloat(img);
  return toRGB({ data: gaussianBlurFloat(f.data, f.width, f.height, 3, sigma), width: f.width, height: f.height });
}

/** Additive white Gaussian noise with standard deviation σ (0..255 scale), seeded, rounded and clipped. */
export function gaussianNoise(img: RGBImage, sigma: number, seed: number): RGBImage {
  checkImage(img);
  requireFinite('noise sigma', sigma);
  if (sigma < 0) throw new UsageError(`noise sigma must be >= 0, got ${sigma}`);
  const rng = createRng(seed);
  const out = new Float64Array(img.data.length);
  for (let i = 0; i < out.length; i++) out[i] = img.data[i] + sigma * rng.normal();
  return toRGB({ data: out, width: img.width, height: img.height });
}
