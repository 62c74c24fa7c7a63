/**
 * Photometric degradations (size-preserving).
 * - jpeg: sharp/libjpeg-turbo baseline encoder, mozjpeg OFF (plain libjpeg quantisation tables scaled by quality),
 *   4:2:0 chroma subsampling by default, then decoded back with sharp.
 * - gaussianBlur: separable, kernel radius ceil(3σ), normalised, edge replicate, float64, rounded once.
 * - gaussianNoise: i.i.d. N(0, σ²) per sample (seeded), added, rounded, clipped to [0, 255].
 */
import sharp from 'sharp';
import type { RGBImage } from '../../image/types.js';
import { ImageError, UsageError } from '../../errors.js';
import { checkImage, requireFinite, toFloat, toRGB } from './float-image.js';
import { gaussianBlurFloat } from './resample.js';
import { createRng } from './random.js';

export interface JpegOptions {
  chromaSubsampling?: '4:2:0' | '4:4:4';
}

/** JPEG round trip at quality q (1..100) through sharp; same size as the input. */
export async function jpeg(img: RGBImage, quality: number, options: JpegOptions = {}): Promise<RGBImage> {
  checkImage(img);
  if (!Number.isInteger(quality) || quality < 1 || quality > 100) {
    throw new UsageError(`JPEG quality must be an integer in 1..100, got ${quality}`);
  }
  try {
    const encoded = await sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } })
      .jpeg({ quality, mozjpeg: false, chromaSubsampling: options.chromaSubsampling ?? '4:2:0' })
      .toBuffer();
    const { data, info } = await sharp(encoded).removeAlpha().toColourspace('srgb').raw().toBuffer({
      resolveWithObject: true,
    });
    if (info.channels !== 3 || info.width !== img.width || info.height !== img.height) {
      throw new ImageError(`JPEG round trip returned ${info.width}x${info.height}x${info.channels}`);
    }
    return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height };
  } catch (err) {
    if (err instanceof ImageError) throw err;
    throw new ImageError(`JPEG round trip failed: ${(err as Error).message}`, { cause: err });
  }
}

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
