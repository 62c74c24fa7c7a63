import type { RGBImage } from './types.js';

/** v / 255 rounded to float32, exactly as torch's `float().div(255)`. */
const LUT = Float32Array.from({ length: 256 }, (_, v) => v / 255);

/**
 * Planar float32 CHW in [0,1] for rows [y0, y1) and columns [x0, x1) of an 8-bit RGB image
 * (torchvision's ToTensor: v / 255). Normalisation by the ImageNet statistics happens inside the graph.
 */
export function toCHW(img: RGBImage, y0 = 0, y1 = img.height, x0 = 0, x1 = img.width): Float32Array {
  const h = y1 - y0;
  const w = x1 - x0;
  const plane = h * w;
  const out = new Float32Array(3 * plane);
  const src = img.data;
  for (let y = 0; y < h; y++) {
    let s = ((y0 + y) * img.width + x0) * 3;
    let d = y * w;
    for (let x = 0; x < w; x++, s += 3, d++) {
      out[d] = LUT[src[s]];
      out[plane + d] = LUT[src[s + 1]];
      out[2 * plane + d] = LUT[src[s + 2]];
    }
  }
  return out;
}

/** Crop a single-channel float plane (e.g. a saliency mask) to rows [y0,y1) × columns [x0,x1). */
export function cropPlane(
  plane: Float32Array,
  width: number,
  y0: number,
  y1: number,
  x0: number,
  x1: number,
): Float32Array {
  const w = x1 - x0;
  const out = new Float32Array((y1 - y0) * w);
  for (let y = y0; y < y1; y++) out.set(plane.subarray(y * width + x0, y * width + x1), (y - y0) * w);
  return out;
}
