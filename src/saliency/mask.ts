import { checkSaliencyThreshold } from '../validate.js';
import type { SaliencyMap } from './types.js';

/**
 * 8-bit quantisation of a [0,1] map exactly as MATLAB's imwrite/im2uint8 does for a double image
 * (value·255 rounded half up, clamped to 0..255; NaN -> 0) — i.e. the PNG the DeepSSIM authors' pipeline
 * saves and later reads back.
 */
export function quantizeSaliency(map: SaliencyMap): Uint8Array {
  const out = new Uint8Array(map.data.length);
  for (let i = 0; i < out.length; i++) {
    const v = Math.floor(map.data[i] * 255 + 0.5);
    out[i] = v > 255 ? 255 : v > 0 ? v : 0;
  }
  return out;
}

/**
 * Binary mask (0/1 per pixel) from a saliency map, as DeepSSIM's saliency-calibrated variant builds it:
 * the map is quantised to 8 bits (see quantizeSaliency) and a pixel is 1 when q/255 > threshold.
 * The default threshold 0 reproduces the authors' rule "0 where the saved map is 0, else 1"
 * (equivalently map >= 0.5/255). Their comments suggest thresholds such as 0.01 or 0.05 as alternatives
 * (they zero values *below* the threshold; here a value exactly equal to it is also zeroed).
 * Pass `{ quantize: false }` to threshold the float map directly.
 */
export function saliencyToMask(map: SaliencyMap, threshold = 0, options: { quantize?: boolean } = {}): Uint8Array {
  checkSaliencyThreshold(threshold, 'threshold');
  const out = new Uint8Array(map.data.length);
  if (options.quantize === false) {
    for (let i = 0; i < out.length; i++) out[i] = map.data[i] > threshold ? 1 : 0;
    return out;
  }
  const q = quantizeSaliency(map);
  for (let i = 0; i < out.length; i++) out[i] = q[i] / 255 > threshold ? 1 : 0;
  return out;
}
