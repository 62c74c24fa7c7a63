/** Local edits of RGB images for the local-map tests: a crop window, and a patch replaced, recoloured, removed or moved. */
import type { RGBImage } from '../../src/image/types.js';

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** The width×height window of `img` at (x, y). */
export function cropImage(img: RGBImage, x: number, y: number, width: number, height: number): RGBImage {
  const out = new Uint8Array(width * height * 3);
  for (let r = 0; r < height; r++)
    out.set(img.data.subarray(((y + r) * img.width + x) * 3, ((y + r) * img.width + x + width) * 3), r * width * 3);
  return { data: out, width, height };
}

function copy(img: RGBImage): RGBImage {
  return { data: Uint8Array.from(img.data), width: img.width, height: img.height };
}

/** `box` of `img` replaced by the same-size window of `source` at (sx, sy). */
export function replacePatch(img: RGBImage, box: Box, source: RGBImage, sx = 0, sy = 0): RGBImage {
  const out = copy(img);
  for (let r = 0; r < box.height; r++) {
    for (let c = 0; c < box.width; c++) {
      for (let k = 0; k < 3; k++)
        out.data[((box.y + r) * img.width + box.x + c) * 3 + k] =
          source.data[((sy + r) * source.width + sx + c) * 3 + k];
    }
  }
  return out;
}

/** `box` recoloured: RGB channels rotated (R→G→B→R), a visible hue change that keeps the structure. */
export function recolourPatch(img: RGBImage, box: Box): RGBImage {
  const out = copy(img);
  for (let r = 0; r < box.height; r++) {
    for (let c = 0; c < box.width; c++) {
      const i = ((box.y + r) * img.width + box.x + c) * 3;
      out.data[i] = img.data[i + 2];
      out.data[i + 1] = img.data[i];
      out.data[i + 2] = img.data[i + 1];
    }
  }
  return out;
}

/** `box` removed: filled with the mean colour of its border (what deleting an object leaves on a background). */
export function removePatch(img: RGBImage, box: Box): RGBImage {
  const out = copy(img);
  const sum = [0, 0, 0];
  let n = 0;
  for (let r = 0; r < box.height; r++) {
    for (let c = 0; c < box.width; c++) {
      if (r > 0 && r < box.height - 1 && c > 0 && c < box.width - 1) continue;
      const i = ((box.y + r) * img.width + box.x + c) * 3;
      for (let k = 0; k < 3; k++) sum[k] += img.data[i + k];
      n++;
    }
  }
  for (let r = 0; r < box.height; r++) {
    for (let c = 0; c < box.width; c++) {
      const i = ((box.y + r) * img.width + box.x + c) * 3;
      for (let k = 0; k < 3; k++) out.data[i + k] = Math.round(sum[k] / n);
    }
  }
  return out;
}

/** The content of `box` moved by (dx, dy): copied there, and its old place filled as by `removePatch`. */
export function movePatch(img: RGBImage, box: Box, dx: number, dy: number): RGBImage {
  const out = removePatch(img, box);
  return replacePatch(out, { ...box, x: box.x + dx, y: box.y + dy }, img, box.x, box.y);
}

/** Whether two boxes overlap. */
export function intersects(a: Box, b: Box): boolean {
  return a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
}

/** Raw-pixel input for the library. */
export const raw = (img: RGBImage) => ({ data: img.data, width: img.width, height: img.height, channels: 3 as const });
