/**
 * The local DeepSSIM map: DeepSSIM-Lite's statistic on the Gram matrices of small windows of the feature map, each
 * reference window compared with the best-matching test window within a search radius. See docs/local-map.md for
 * the design (window, step, radius, statistic) and its limits.
 *
 * Exact and cheap through the kernel identity. For a window W of cells with features f_p ∈ R^C, its Gram matrix is
 * A = Σ_{p∈W} f_p f_pᵀ, and every moment the Lite statistic needs over the C² entries of A (and of the test
 * window's B) is a sum over cells, never over C² entries:
 *   Σᵢⱼ Aᵢⱼ   = Σ_{p∈W} (Σ_c f_pc)²,
 *   Σᵢⱼ Aᵢⱼ²  = Σ_{p,p'∈W} (f_p·f_p')²,
 *   Σᵢⱼ AᵢⱼBᵢⱼ = Σ_{p∈W, q∈V} (f_p·g_q)².
 * So the map costs dot products between nearby cells (O(cells · neighbourhood · C)) instead of C×C Gram matrices per
 * window (O(windows · C²)), and the whole map is a few tens of ms for a 768×512 image.
 *
 * Platform-neutral: typed arrays in, plain numbers out.
 */
import { UsageError } from '../errors.js';
import { DEEPSSIM_C } from '../statistic/gram-ssim.js';

/** A feature map [C, h, w] (channel-major, as the graph returns it) and the image it came from. */
export interface FeatureMap {
  readonly data: Float32Array;
  readonly channels: number;
  /** Feature cells. */
  readonly height: number;
  readonly width: number;
  /** The image size in pixels and the backbone stride (pixels per cell). */
  readonly imageWidth: number;
  readonly imageHeight: number;
  readonly stride: number;
}

export interface LocalMapOptions {
  /** Window side in feature cells (default 4: 64 px at stride 16). */
  window?: number;
  /** Step between windows in feature cells (default 1: one value per cell position). */
  step?: number;
  /** Search radius in reference feature cells (default 1: 16 px at stride 16). 0 disables the search. */
  radius?: number;
  /**
   * Feature cells left out at each image border (default 1). Border cells see the network's zero padding, so their
   * features encode "where the frame is" as much as content and change sharply with a shift of the content against
   * the frame; their pixels remain covered by the neighbouring cells' receptive fields (219 px for MobileNet), and
   * the border windows' rectangles extend to the image edge.
   */
  border?: number;
}

export const DEFAULT_WINDOW = 4;
export const DEFAULT_STEP = 1;
export const DEFAULT_RADIUS = 1;
export const DEFAULT_BORDER = 1;

/** A rectangle in reference pixels. */
export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface LocalMapGrid {
  rows: number;
  cols: number;
  /** values[row][col]: the similarity of the reference window at that grid position (1 = identical). */
  values: number[][];
}

export interface LocalMap {
  /** Smallest window similarity. */
  minLocal: number;
  /** The reference window (in reference pixels) where it occurs. */
  minLocation: Rect;
  grid: LocalMapGrid;
  /** Window geometry in reference pixels: grid cell (r, c) covers `windowAt(r, c)`. */
  windows: {
    size: number;
    step: number;
    radius: number;
    stride: number;
    /** Pixel rectangle of grid row r: [tops[r], tops[r] + heights[r]); of column c: [lefts[c], lefts[c] + widths[c]). */
    tops: number[];
    heights: number[];
    lefts: number[];
    widths: number[];
  };
}

function checkCells(name: string, v: number | undefined, min: number, fallback: number): number {
  if (v === undefined) return fallback;
  if (!Number.isInteger(v) || v < min || v > 64) {
    throw new UsageError(`Expected an integer from ${min} to 64 for ${name} but received ${String(v)}`, {
      code: 'INVALID_OPTION',
      option: name,
    });
  }
  return v;
}

/** Window start positions along one axis: every `step` cells, the last window flush with the end. */
function starts(cells: number, size: number, step: number): number[] {
  const out: number[] = [];
  for (let s = 0; s + size < cells; s += step) out.push(s);
  out.push(cells - size);
  return out;
}

/** Channel-major [C, n] → cell-major [n, C], so a cell's features are contiguous for dot products. */
function cellMajor(f: FeatureMap): Float32Array {
  const n = f.height * f.width;
  const c = f.channels;
  const out = new Float32Array(n * c);
  for (let ch = 0; ch < c; ch++) {
    const src = ch * n;
    for (let p = 0; p < n; p++) out[p * c + ch] = f.data[src + p];
  }
  return out;
}

function dot(a: Float32Array, ia: number, b: Float32Array, ib: number, c: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let k = 0;
  for (; k + 3 < c; k += 4) {
    s0 += a[ia + k] * b[ib + k];
    s1 += a[ia + k + 1] * b[ib + k + 1];
    s2 += a[ia + k + 2] * b[ib + k + 2];
    s3 += a[ia + k + 3] * b[ib + k + 3];
  }
  for (; k < c; k++) s0 += a[ia + k] * b[ib + k];
  return s0 + s1 + s2 + s3;
}

/** Per-cell Σ_c f_pc, squared. */
function squaredSums(cm: Float32Array, n: number, c: number): Float64Array {
  const out = new Float64Array(n);
  for (let p = 0; p < n; p++) {
    let s = 0;
    for (let k = 0; k < c; k++) s += cm[p * c + k];
    out[p] = s * s;
  }
  return out;
}

/**
 * Computes squared dot products of cells in blocks: for block b, out[(b·m + i)·n + j] = (A_{ia[b·m+i]} · B_{ib[b·n+j]})²,
 * where A and B are cell-major [cells, C] arrays. The metric runs this as a small ONNX graph (gathers and one batched
 * matrix product, src/map/pair-dots.ts); `jsPairDots` is the reference implementation.
 */
export type PairDots = (
  a: Float32Array,
  b: Float32Array,
  channels: number,
  ia: Int32Array,
  ib: Int32Array,
  blocks: number,
  m: number,
  n: number,
) => Promise<Float32Array>;

export const jsPairDots: PairDots = async (a, b, c, ia, ib, blocks, m, n) => {
  const out = new Float32Array(blocks * m * n);
  for (let k = 0; k < blocks; k++) {
    for (let i = 0; i < m; i++) {
      const pa = ia[k * m + i] * c;
      for (let j = 0; j < n; j++) {
        const d = dot(a, pa, b, ib[k * n + j] * c, c);
        out[(k * m + i) * n + j] = d * d;
      }
    }
  }
  return out;
};

/** Reference cells per block of a banded request (one row of reference cells). */
const BLOCK = 16;

/**
 * Squared dot products between every cell p = (y, x) of A (ha × wa cells) and the cells of B (hb × wb) at rows
 * rowBase[y] + rowLo + [0, rows) and columns colBase[x] + colLo + [0, cols): result[(p·rows + oy)·cols + ox], 0 where
 * the B cell is outside B.
 */
async function bandedSquaredDots(
  a: Float32Array,
  ha: number,
  wa: number,
  b: Float32Array,
  hb: number,
  wb: number,
  c: number,
  rowBase: readonly number[],
  rowLo: number,
  rows: number,
  colBase: readonly number[],
  colLo: number,
  cols: number,
  pairDots: PairDots,
): Promise<Float64Array> {
  const blocksPerRow = Math.ceil(wa / BLOCK);
  let span = 0;
  for (let x0 = 0; x0 < wa; x0 += BLOCK)
    span = Math.max(span, colBase[Math.min(wa, x0 + BLOCK) - 1] - colBase[x0] + cols);
  const n = rows * span;
  const result = new Float64Array(ha * wa * rows * cols);
  // Bound the gathered tensors (~8 M floats per request).
  const maxBlocks = Math.max(1, Math.floor(8_000_000 / ((n + BLOCK) * c)));
  const all: [number, number][] = [];
  for (let y = 0; y < ha; y++) for (let q = 0; q < blocksPerRow; q++) all.push([y, q * BLOCK]);
  const clamp = (v: number, hi: number) => (v < 0 ? 0 : v >= hi ? hi - 1 : v);
  for (let s = 0; s < all.length; s += maxBlocks) {
    const chunk = all.slice(s, s + maxBlocks);
    const ia = new Int32Array(chunk.length * BLOCK);
    const ib = new Int32Array(chunk.length * n);
    chunk.forEach(([y, x0], k) => {
      for (let i = 0; i < BLOCK; i++) ia[k * BLOCK + i] = y * wa + Math.min(wa - 1, x0 + i);
      for (let oy = 0; oy < rows; oy++) {
        const ty = clamp(rowBase[y] + rowLo + oy, hb);
        for (let j = 0; j < span; j++) ib[k * n + oy * span + j] = ty * wb + clamp(colBase[x0] + colLo + j, wb);
      }
    });
    const out = await pairDots(a, b, c, ia, ib, chunk.length, BLOCK, n);
    chunk.forEach(([y, x0], k) => {
      for (let i = 0; i < BLOCK && x0 + i < wa; i++) {
        const x = x0 + i;
        const dst = (y * wa + x) * rows * cols;
        const shift = colBase[x] - colBase[x0];
        for (let oy = 0; oy < rows; oy++) {
          const ty = rowBase[y] + rowLo + oy;
          if (ty < 0 || ty >= hb) continue;
          const src = (k * BLOCK + i) * n + oy * span + shift;
          for (let ox = 0; ox < cols; ox++) {
            const tx = colBase[x] + colLo + ox;
            if (tx >= 0 && tx < wb) result[dst + oy * cols + ox] = out[src + ox];
          }
        }
      }
    });
  }
  return result;
}

/** Σ_{p,p'∈window} (f_p·f_p')² for windows of one feature map, from its banded squared self dot products. */
class SelfTerms {
  private readonly cache = new Map<number, number>();

  /** `sq[(p·oh + dy)·(2·ow−1) + dx + ow − 1]` = (f_p·f_{p+(dy,dx)})², dy ∈ [0, oh), dx ∈ (−ow, ow). */
  private constructor(
    private readonly sq: Float64Array,
    private readonly w: number,
    private readonly oh: number,
    private readonly ow: number,
  ) {}

  static async create(
    cm: Float32Array,
    h: number,
    w: number,
    c: number,
    maxH: number,
    maxW: number,
    pairDots: PairDots,
  ): Promise<SelfTerms> {
    const oh = Math.min(maxH, h);
    const ow = Math.min(maxW, w);
    const id = (len: number) => Array.from({ length: len }, (_, i) => i);
    const sq = await bandedSquaredDots(cm, h, w, cm, h, w, c, id(h), 0, oh, id(w), 1 - ow, 2 * ow - 1, pairDots);
    return new SelfTerms(sq, w, oh, ow);
  }

  /** Σ over ordered pairs of cells of the window rows [y0,y1) × cols [x0,x1). */
  sum(y0: number, y1: number, x0: number, x1: number): number {
    const key = ((y0 * 4096 + y1) * 4096 + x0) * 4096 + x1;
    const hit = this.cache.get(key);
    if (hit !== undefined) return hit;
    const span = 2 * this.ow - 1;
    let s = 0;
    for (let y = y0; y < y1; y++) {
      for (let x = x0; x < x1; x++) {
        const base = (y * this.w + x) * this.oh * span;
        for (let dy = 0; y + dy < y1; dy++) {
          for (let dx = dy === 0 ? 0 : x0 - x; x + dx < x1; dx++) {
            const v = this.sq[base + dy * span + dx + this.ow - 1];
            // Off-diagonal pairs appear twice among ordered pairs.
            s += dy === 0 && dx === 0 ? v : 2 * v;
          }
        }
      }
    }
    this.cache.set(key, s);
    return s;
  }
}

/** DeepSSIM-Lite's statistic from window moments (each Gram divided by C·cells of its own window). */
function liteFromMoments(
  sa: number,
  qa: number,
  na: number,
  sb: number,
  qb: number,
  nb: number,
  x: number,
  c: number,
): number {
  const n = c * c;
  const ka = 1 / (c * na);
  const kb = 1 / (c * nb);
  const ma = (sa * ka) / n;
  const mb = (sb * kb) / n;
  const va = Math.max(0, (qa * ka * ka) / n - ma * ma);
  const vb = Math.max(0, (qb * kb * kb) / n - mb * mb);
  const cov = (x * ka * kb) / n - ma * mb;
  return (2 * cov + DEEPSSIM_C) / (va + vb + DEEPSSIM_C);
}

/** Map a reference window [a, b) in cells to test cells by relative position (pixel ratio of the images). */
function mapRange(a: number, b: number, scale: number, cells: number): [number, number] {
  let t0 = Math.round(a * scale);
  let t1 = Math.max(t0 + 1, Math.round(b * scale));
  if (t1 > cells) {
    t0 = Math.max(0, t0 - (t1 - cells));
    t1 = cells;
  }
  return [Math.min(t0, cells - 1), t1];
}

/**
 * The local map of `test` against `reference`. Windows of `window`×`window` reference cells every `step` cells
 * (the last one flush with the border); each is compared with the test window at the same relative position and
 * every shift of it by up to `radius` cells (scaled to the test's cells), and keeps the best similarity.
 */
export async function localMap(
  reference: FeatureMap,
  test: FeatureMap,
  options: LocalMapOptions = {},
  pairDots: PairDots = jsPairDots,
): Promise<LocalMap> {
  const k = checkCells('window', options.window, 1, DEFAULT_WINDOW);
  const step = checkCells('step', options.step, 1, DEFAULT_STEP);
  const radius = checkCells('radius', options.radius, 0, DEFAULT_RADIUS);
  if (reference.channels !== test.channels) {
    throw new UsageError(`feature maps have ${reference.channels} and ${test.channels} channels`, {
      code: 'INVALID_OPTION',
    });
  }
  const border = checkCells('border', options.border, 0, DEFAULT_BORDER);
  const full = reference;
  const trim = (f: FeatureMap): FeatureMap => {
    const h = f.height - 2 * border;
    const w = f.width - 2 * border;
    const data = new Float32Array(f.channels * h * w);
    for (let ch = 0; ch < f.channels; ch++) {
      for (let y = 0; y < h; y++) {
        const src = (ch * f.height + y + border) * f.width + border;
        data.set(f.data.subarray(src, src + w), (ch * h + y) * w);
      }
    }
    const px = 2 * border * f.stride;
    return { ...f, data, height: h, width: w, imageHeight: f.imageHeight - px, imageWidth: f.imageWidth - px };
  };
  // Only where both maps keep at least a window of cells.
  const b =
    border > 0 && Math.min(reference.height, reference.width, test.height, test.width) >= 2 * border + Math.min(k, 2)
      ? border
      : 0;
  if (b > 0) {
    reference = trim(reference);
    test = trim(test);
  }
  const c = reference.channels;
  const hr = reference.height;
  const wr = reference.width;
  const ht = test.height;
  const wt = test.width;
  const kh = Math.min(k, hr);
  const kw = Math.min(k, wr);
  const rows = starts(hr, kh, step);
  const cols = starts(wr, kw, step);
  // Relative position: the ratio of image sizes (cells are the image side over the stride, rounded).
  const sy = test.imageHeight / reference.imageHeight;
  const sx = test.imageWidth / reference.imageWidth;
  const ry = radius === 0 ? 0 : Math.max(1, Math.round(radius * sy));
  const rx = radius === 0 ? 0 : Math.max(1, Math.round(radius * sx));

  // Test windows (with their shifts) per grid row / column.
  const shifts = (r: [number, number], rad: number, cells: number): [number, number][] => {
    const out: [number, number][] = [r];
    for (let d = -rad; d <= rad; d++) if (d !== 0 && r[0] + d >= 0 && r[1] + d <= cells) out.push([r[0] + d, r[1] + d]);
    return out;
  };
  const rowWins = rows.map((i) => shifts(mapRange(i, i + kh, sy, ht), ry, ht));
  const colWins = cols.map((j) => shifts(mapRange(j, j + kw, sx, wt), rx, wt));

  // Base test cell of each reference row/column, and the band of test offsets any window needs.
  const baseY = Array.from({ length: hr }, (_, y) => Math.min(ht - 1, Math.floor((y + 0.5) * sy)));
  const baseX = Array.from({ length: wr }, (_, x) => Math.min(wt - 1, Math.floor((x + 0.5) * sx)));
  const band = (starts_: number[], size: number, wins: [number, number][][], base: number[]): [number, number] => {
    let lo = 0;
    let hi = 0;
    starts_.forEach((s, i) => {
      for (const [t0, t1] of wins[i]) {
        for (let y = s; y < s + size; y++) {
          lo = Math.min(lo, t0 - base[y]);
          hi = Math.max(hi, t1 - 1 - base[y]);
        }
      }
    });
    return [lo, hi];
  };
  const [loY, hiY] = band(rows, kh, rowWins, baseY);
  const [loX, hiX] = band(cols, kw, colWins, baseX);
  const bh = hiY - loY + 1;
  const bw = hiX - loX + 1;

  const fr = cellMajor(reference);
  const ft = cellMajor(test);
  const sumsR = squaredSums(fr, hr * wr, c);
  const sumsT = squaredSums(ft, ht * wt, c);

  // Squared cross dot products (f_p·g_q)² for every reference cell p and test cell q in its band.
  const cross = await bandedSquaredDots(fr, hr, wr, ft, ht, wt, c, baseY, loY, bh, baseX, loX, bw, pairDots);

  let maxTh = 1;
  let maxTw = 1;
  for (const ws of rowWins) for (const [a, b] of ws) maxTh = Math.max(maxTh, b - a);
  for (const ws of colWins) for (const [a, b] of ws) maxTw = Math.max(maxTw, b - a);
  const selfR = await SelfTerms.create(fr, hr, wr, c, kh, kw, pairDots);
  const selfT = await SelfTerms.create(ft, ht, wt, c, maxTh, maxTw, pairDots);
  const rectSum = (sums: Float64Array, w: number, y0: number, y1: number, x0: number, x1: number): number => {
    let s = 0;
    for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) s += sums[y * w + x];
    return s;
  };

  const values: number[][] = [];
  let minLocal = Infinity;
  let minAt: [number, number] = [0, 0];
  rows.forEach((i, ri) => {
    const row: number[] = [];
    cols.forEach((j, ci) => {
      const na = kh * kw;
      const sa = rectSum(sumsR, wr, i, i + kh, j, j + kw);
      const qa = selfR.sum(i, i + kh, j, j + kw);
      let best = -Infinity;
      for (const [t0, t1] of rowWins[ri]) {
        for (const [u0, u1] of colWins[ci]) {
          const nb = (t1 - t0) * (u1 - u0);
          const sb = rectSum(sumsT, wt, t0, t1, u0, u1);
          const qb = selfT.sum(t0, t1, u0, u1);
          let x = 0;
          for (let y = i; y < i + kh; y++) {
            for (let xx = j; xx < j + kw; xx++) {
              const base = (y * wr + xx) * bh * bw;
              const oy0 = t0 - baseY[y] - loY;
              const ox0 = u0 - baseX[xx] - loX;
              for (let oy = oy0; oy < oy0 + (t1 - t0); oy++) {
                const rowBase = base + oy * bw;
                for (let ox = ox0; ox < ox0 + (u1 - u0); ox++) x += cross[rowBase + ox];
              }
            }
          }
          const s = liteFromMoments(sa, qa, na, sb, qb, nb, x, c);
          if (s > best) best = s;
        }
      }
      row.push(best);
      if (best < minLocal) {
        minLocal = best;
        minAt = [ri, ci];
      }
    });
    values.push(row);
  });

  const stride = reference.stride;
  // In pixels of the whole reference; windows at the trimmed edge extend over the border cells to the image edge.
  const span = (start: number, size: number, cells: number, pixels: number): [number, number] => {
    const p0 = start === 0 ? 0 : (start + b) * stride;
    const p1 = start + size >= cells ? pixels : Math.min(pixels, (start + size + b) * stride);
    return [p0, p1];
  };
  const rect = (top: number, left: number): Rect => {
    const [y0, y1] = span(top, kh, hr, full.imageHeight);
    const [x0, x1] = span(left, kw, wr, full.imageWidth);
    return { x: x0, y: y0, width: x1 - x0, height: y1 - y0 };
  };
  return {
    minLocal,
    minLocation: rect(rows[minAt[0]], cols[minAt[1]]),
    grid: { rows: rows.length, cols: cols.length, values },
    windows: {
      size: k * stride,
      step: step * stride,
      radius: radius * stride,
      stride,
      tops: rows.map((r) => span(r, kh, hr, full.imageHeight)[0]),
      lefts: cols.map((q) => span(q, kw, wr, full.imageWidth)[0]),
      heights: rows.map((r) => {
        const [p0, p1] = span(r, kh, hr, full.imageHeight);
        return p1 - p0;
      }),
      widths: cols.map((q) => {
        const [p0, p1] = span(q, kw, wr, full.imageWidth);
        return p1 - p0;
      }),
    },
  };
}
