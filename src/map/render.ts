/**
 * Pictures of a local map (platform-neutral, RGB pixels out; encoding is the Node layer's job): a heatmap over the
 * reference, and a three-panel image (reference, test, map) for reviews and failed assertions.
 */
import type { RGBImage } from '../image/types.js';
import type { LocalMap } from './local-map.js';

/** Similarity at and above which nothing is drawn, and the one at which the colour saturates. */
export const HEATMAP_CLEAR = 0.98;
export const HEATMAP_FLOOR = 0.6;

/**
 * Per-pixel similarity of the reference: each feature cell takes the lowest value of the windows covering it (a
 * change is shown wherever some window containing it could not be matched), bilinearly interpolated between
 * cell centres.
 */
export function mapToPixels(map: LocalMap, width: number, height: number): Float32Array {
  const { stride, tops, lefts, heights, widths } = map.windows;
  const ch = Math.ceil(height / stride);
  const cw = Math.ceil(width / stride);
  const cell = new Float32Array(ch * cw).fill(Infinity);
  tops.forEach((t, r) => {
    lefts.forEach((l, c) => {
      const v = map.grid.values[r][c];
      for (let y = Math.floor(t / stride); y < Math.min(ch, Math.ceil((t + heights[r]) / stride)); y++) {
        for (let x = Math.floor(l / stride); x < Math.min(cw, Math.ceil((l + widths[c]) / stride)); x++)
          if (v < cell[y * cw + x]) cell[y * cw + x] = v;
      }
    });
  });
  for (let i = 0; i < cell.length; i++) if (cell[i] === Infinity) cell[i] = 1;
  const out = new Float32Array(width * height);
  for (let y = 0; y < height; y++) {
    const fy = Math.min(ch - 1, Math.max(0, (y + 0.5) / stride - 0.5));
    const y0 = Math.floor(fy);
    const y1 = Math.min(ch - 1, y0 + 1);
    const wy = fy - y0;
    for (let x = 0; x < width; x++) {
      const fx = Math.min(cw - 1, Math.max(0, (x + 0.5) / stride - 0.5));
      const x0 = Math.floor(fx);
      const x1 = Math.min(cw - 1, x0 + 1);
      const wx = fx - x0;
      const top = cell[y0 * cw + x0] * (1 - wx) + cell[y0 * cw + x1] * wx;
      const bottom = cell[y1 * cw + x0] * (1 - wx) + cell[y1 * cw + x1] * wx;
      out[y * width + x] = top * (1 - wy) + bottom * wy;
    }
  }
  return out;
}

/**
 * The reference, desaturated and lightened, with differences in yellow (just below HEATMAP_CLEAR) to red (at or
 * below HEATMAP_FLOOR), and the least similar window outlined.
 */
export function renderHeatmap(reference: RGBImage, map: LocalMap): RGBImage {
  const { width, height } = reference;
  const v = mapToPixels(map, width, height);
  const out = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) {
    const r = reference.data[3 * i];
    const g = reference.data[3 * i + 1];
    const b = reference.data[3 * i + 2];
    const gray = 0.5 * (0.299 * r + 0.587 * g + 0.114 * b) + 0.5 * 255;
    const d = Math.min(1, Math.max(0, (HEATMAP_CLEAR - v[i]) / (HEATMAP_CLEAR - HEATMAP_FLOOR)));
    const a = d > 0 ? 0.35 + 0.6 * d : 0;
    const cr = 255;
    const cg = 220 * (1 - d);
    const cb = 0;
    out[3 * i] = Math.round(gray * (1 - a) + cr * a);
    out[3 * i + 1] = Math.round(gray * (1 - a) + cg * a);
    out[3 * i + 2] = Math.round(gray * (1 - a) + cb * a);
  }
  const m = map.minLocation;
  const line = Math.max(2, Math.round(Math.min(width, height) / 200));
  for (let y = m.y; y < Math.min(height, m.y + m.height); y++) {
    for (let x = m.x; x < Math.min(width, m.x + m.width); x++) {
      const edge = y - m.y < line || m.y + m.height - 1 - y < line || x - m.x < line || m.x + m.width - 1 - x < line;
      if (edge) out.set([40, 40, 230], 3 * (y * width + x));
    }
  }
  return { data: out, width, height };
}

/** Bilinear resize (only for the test panel of images of a different size). */
function resize(img: RGBImage, width: number, height: number): RGBImage {
  if (img.width === width && img.height === height) return img;
  const out = new Uint8Array(width * height * 3);
  const sx = img.width / width;
  const sy = img.height / height;
  for (let y = 0; y < height; y++) {
    const fy = Math.min(img.height - 1, Math.max(0, (y + 0.5) * sy - 0.5));
    const y0 = Math.floor(fy);
    const y1 = Math.min(img.height - 1, y0 + 1);
    const wy = fy - y0;
    for (let x = 0; x < width; x++) {
      const fx = Math.min(img.width - 1, Math.max(0, (x + 0.5) * sx - 0.5));
      const x0 = Math.floor(fx);
      const x1 = Math.min(img.width - 1, x0 + 1);
      const wx = fx - x0;
      for (let c = 0; c < 3; c++) {
        const p = (yy: number, xx: number) => img.data[(yy * img.width + xx) * 3 + c];
        const v = (p(y0, x0) * (1 - wx) + p(y0, x1) * wx) * (1 - wy) + (p(y1, x0) * (1 - wx) + p(y1, x1) * wx) * wy;
        out[(y * width + x) * 3 + c] = Math.round(v);
      }
    }
  }
  return { data: out, width, height };
}

/** Reference | test (scaled to the reference's size when it differs) | heatmap, separated by gaps. */
export function renderSideBySide(reference: RGBImage, test: RGBImage, map: LocalMap, gap = 8): RGBImage {
  const { width, height } = reference;
  const panels = [reference, resize(test, width, height), renderHeatmap(reference, map)];
  const total = 3 * width + 2 * gap;
  const out = new Uint8Array(total * height * 3).fill(255);
  panels.forEach((p, i) => {
    const x0 = i * (width + gap);
    for (let y = 0; y < height; y++) out.set(p.data.subarray(y * width * 3, (y + 1) * width * 3), (y * total + x0) * 3);
  });
  return { data: out, width: total, height };
}
