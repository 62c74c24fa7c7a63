import type { RGBImage } from '../../image/types.js';
import { UsageError } from '../../errors.js';

/** Interleaved 3-channel float64 image used inside the transforms (values on the 0..255 scale, unclamped). */
export interface FloatImage {
  readonly data: Float64Array;
  readonly width: number;
  readonly height: number;
}

export function toFloat(img: RGBImage): FloatImage {
  checkImage(img);
  return { data: Float64Array.from(img.data), width: img.width, height: img.height };
}

/** Round half away from zero and clamp to [0, 255] — the only place where precision is lost. */
export function toRGB(img: FloatImage): RGBImage {
  const out = new Uint8Array(img.data.length);
  for (let i = 0; i < out.length; i++) {
    const v = Math.round(img.data[i]);
    out[i] = v < 0 ? 0 : v > 255 ? 255 : v;
  }
  return { data: out, width: img.width, height: img.height };
}

export function checkImage(img: RGBImage): void {
  if (!Number.isInteger(img.width) || !Number.isInteger(img.height) || img.width < 1 || img.height < 1) {
    throw new UsageError(`invalid image size ${img.width}x${img.height}`);
  }
  if (img.data.length !== img.width * img.height * 3) {
    throw new UsageError(`image data length ${img.data.length} does not match ${img.width}x${img.height}x3`);
  }
}

/** Copy the window [x0, x0+w) × [y0, y0+h) of an 8-bit image (no resampling). */
export function cropWindow(img: RGBImage, x0: number, y0: number, w: number, h: number): RGBImage {
  if (x0 < 0 || y0 < 0 || w < 1 || h < 1 || x0 + w > img.width || y0 + h > img.height) {
    throw new UsageError(`crop window ${w}x${h}+${x0}+${y0} does not fit a ${img.width}x${img.height} image`);
  }
  const out = new Uint8Array(w * h * 3);
  const rowBytes = w * 3;
  for (let y = 0; y < h; y++) {
    const src = ((y0 + y) * img.width + x0) * 3;
    out.set(img.data.subarray(src, src + rowBytes), y * rowBytes);
  }
  return { data: out, width: w, height: h };
}

export function requireFinite(name: string, value: number): void {
  if (!Number.isFinite(value)) throw new UsageError(`${name} must be a finite number, got ${value}`);
}
