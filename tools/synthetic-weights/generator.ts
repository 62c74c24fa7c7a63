/**
 * Deterministic synthetic VGG16 weights (conv1_1 … conv5_1). The definition is normative — an independent Python
 * implementation reproduces it bit for bit:
 *   mix32(x): x ^= x>>>16; x = imul(x, 0x7feb352d); x ^= x>>>15; x = imul(x, 0x846ca68b); x ^= x>>>16; return x>>>0
 *   layer L = 0..10 (features.0,2,5,7,10,12,14,17,19,21,24); stream s = 2L+1 (weight) or 2L+2 (bias);
 *   element i in row-major order: key = (s·2^24 + i)>>>0; h = mix32((key ^ mix32(seed))>>>0); u = (h+0.5)/2^32
 *   weight = fround((2u−1)·sqrt(6/(in·9)));  bias = fround((2u−1)·0.05)
 */
import { VGG16_RELU51_CONVS } from '../../src/backbones/vgg16.js';
import type { WeightMap } from '../../src/weights/types.js';

export const DEFAULT_SYNTHETIC_SEED = 20251;

export function mix32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  x ^= x >>> 16;
  return x >>> 0;
}

/** Fill `out` with stream `s` scaled by `scale` (float64 arithmetic, rounded to float32 on store). */
function fillStream(out: Float32Array, s: number, seedMix: number, scale: number): void {
  const base = s * 16777216;
  for (let i = 0; i < out.length; i++) {
    const h = mix32((((base + i) >>> 0) ^ seedMix) >>> 0);
    const u = (h + 0.5) / 4294967296;
    out[i] = (2 * u - 1) * scale;
  }
}

/** The 22 synthetic tensors, in canonical order (weight then bias per layer). */
export function syntheticVgg16Weights(seed: number = DEFAULT_SYNTHETIC_SEED): WeightMap {
  const seedMix = mix32(seed >>> 0);
  const map: WeightMap = new Map();
  VGG16_RELU51_CONVS.forEach((c, L) => {
    const w = new Float32Array(c.out * c.in * 9);
    fillStream(w, 2 * L + 1, seedMix, Math.sqrt(6 / (c.in * 9)));
    const b = new Float32Array(c.out);
    fillStream(b, 2 * L + 2, seedMix, 0.05);
    map.set(`features.${c.index}.weight`, { shape: [c.out, c.in, 3, 3], data: w });
    map.set(`features.${c.index}.bias`, { shape: [c.out], data: b });
  });
  return map;
}
