import type { RawImage } from '../../src/image/types.js';

/** A deterministic textured RGB image (waves plus hashed noise): features vary everywhere, as in a photo. */
export function texture(width: number, height: number, seed: number): RawImage {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < 3; c++) {
        const h = Math.imul((x * 73856093) ^ (y * 19349663) ^ ((c + seed) * 83492791), 0x9e3779b1) >>> 24;
        const wave = 60 * Math.sin((x + 7 * seed) * 0.05 * (c + 1)) + 40 * Math.cos(y * 0.031 * (c + 2) + seed);
        data[(y * width + x) * 3 + c] = Math.max(0, Math.min(255, Math.round(128 + wave + 0.3 * (h - 128))));
      }
    }
  }
  return { data, width, height, channels: 3 };
}
