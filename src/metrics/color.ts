/**
 * MATLAB colour conversions on 8-bit RGB, reproduced exactly (the reference IQA scripts call them before scoring).
 */
import type { RGBImage } from '../image/types.js';

/**
 * MATLAB `rgb2gray` coefficients: the first row of inv([1 0.956 0.621; 1 −0.272 −0.647; 1 −1.106 1.703])
 * (≈ 0.2989, 0.5870, 0.1140, the NTSC luma weights).
 */
export const RGB2GRAY = [0.298936021293775, 0.587043074451121, 0.114020904255103] as const;

/** MATLAB `rgb2gray` on uint8: weighted sum rounded half away from zero to uint8, returned as float64. */
export function rgb2gray(img: RGBImage): Float64Array {
  const n = img.width * img.height;
  const out = new Float64Array(n);
  const d = img.data;
  const [wr, wg, wb] = RGB2GRAY;
  for (let i = 0; i < n; i++) {
    out[i] = Math.round(wr * d[3 * i] + wg * d[3 * i + 1] + wb * d[3 * i + 2]);
  }
  return out;
}

/**
 * Y of MATLAB `rgb2ycbcr` on uint8 (ITU-R BT.601, studio range 16–235):
 * Y = round(16 + (65.481·R + 128.553·G + 24.966·B)/255), i.e. rounded to uint8 as MATLAB does for uint8 input.
 */
export function rgb2y(img: RGBImage): Float64Array {
  const n = img.width * img.height;
  const out = new Float64Array(n);
  const d = img.data;
  for (let i = 0; i < n; i++) {
    const y = (65.481 * d[3 * i] + 128.553 * d[3 * i + 1] + 24.966 * d[3 * i + 2]) / 255;
    out[i] = Math.min(255, Math.round(y) + 16);
  }
  return out;
}
