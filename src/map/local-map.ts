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
 * window (O(windows · C²)). Each product is computed once and reused by every window and search shift containing the
 * pair: per reference cell, 2-D prefix sums over its band of test offsets make a test window's cross sum four
 * look-ups per reference cell; each distinct test window's moments are computed once. Float64 accumulation
 * throughout (the products themselves are float32, as the network's features).
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

/** Channel-major [C, n] → cell-major [n, C] (the JavaScript reference products only). */
function cellMajor(data: Float32Array, c: number): Float32Array {
  const n = data.length / c;
  const out = new Float32Array(n * c);
  for (let ch = 0; ch < c; ch++) {
    const src = ch * n;
    for (let p = 0; p < n; p++) out[p * c + ch] = data[src + p];
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

/** One set of pair products: for block k, out[(k·n + j)·m + i] = (left_{ia[k·m+i]} · right_{ib[k·n+j]})². */
export interface PairRequest {
  readonly ia: Int32Array;
  readonly ib: Int32Array;
  readonly blocks: number;
  readonly m: number;
  readonly n: number;
}

/**
 * Computes squared dot products of cells in blocks, three sets at once: requests[0] pairs cells of a (left) with
 * cells of b (right), requests[1] a with a, requests[2] b with b; a and b are channel-major feature maps [C, cells]
 * (as the backbone returns them). The metric runs this as a small ONNX graph (gathers and batched matrix products,
 * one run for the three sets, src/map/pair-dots.ts); `jsPairDots` is the reference implementation (float32
 * products, as the graph's).
 */
export type PairDots = (
  a: Float32Array,
  b: Float32Array,
  channels: number,
  requests: readonly [PairRequest, PairRequest, PairRequest],
) => Promise<Float32Array[]>;

export const jsPairDots: PairDots = async (a, b, c, requests) => {
  const ca = cellMajor(a, c);
  const cb = a === b ? ca : cellMajor(b, c);
  const sides: [Float32Array, Float32Array][] = [
    [ca, cb],
    [ca, ca],
    [cb, cb],
  ];
  return requests.map(({ ia, ib, blocks, m, n }, r) => {
    const [left, right] = sides[r];
    const out = new Float32Array(blocks * m * n);
    for (let k = 0; k < blocks; k++) {
      for (let j = 0; j < n; j++) {
        const pb = ib[k * n + j] * c;
        for (let i = 0; i < m; i++) {
          const d = Math.fround(dot(left, ia[k * m + i] * c, right, pb, c));
          out[(k * n + j) * m + i] = d * d;
        }
      }
    }
    return out;
  });
};

/**
 * Reference cells per block of a banded request (4 rows × 8 columns): a block of reference cells and the test cells
 * any of them needs form one matrix product. Larger blocks waste products on pairs no window uses, smaller ones run
 * many tiny products; with the three product sets in one run, 4×8 was a little faster than 8×8 (5–10 % of the map's
 * own time, 640×480 features) and than 4×4, 2×8, 4×12 or 8×16 (bench/local-map.ts and a timing of `localMap` alone).
 */
const BLOCK_ROWS = 4;
const BLOCK_COLS = 8;
/** Bound on the gathered floats per request (~32 MB). */
const MAX_GATHERED = 8_000_000;

/** A feature map seen without `border` cells at each edge: cell (y, x) is the map's (y + border, x + border). */
interface Grid {
  readonly data: Float32Array;
  readonly fullWidth: number;
  readonly border: number;
  readonly height: number;
  readonly width: number;
}

/** A request that computes nothing useful, for a set whose chunks are all done. */
const IDLE: PairRequest = { ia: new Int32Array(1), ib: new Int32Array(1), blocks: 1, m: 1, n: 1 };

/**
 * The plan of a banded product set: squared dot products between every cell p = (y, x) of grid A (ha × wa cells)
 * and the cells of B at rows rowBase[y] + rowLo + [0, rows) and columns colBase[x] + colLo + [0, cols) (rowBase,
 * colBase non-decreasing), laid out as result[(p·rows + oy)·cols + ox], 0 where the B cell is outside B. The index
 * arrays depend only on the grids' shapes and the band, so plans are cached (repeated maps of one image size reuse
 * them, and the runner reuses their int64 copies).
 */
class BandPlan {
  readonly chunks: PairRequest[] = [];
  private readonly firstBlock: number[] = [];
  private readonly ys: number[] = [];
  private readonly xs: number[] = [];
  private readonly spanQ: number;
  private readonly n: number;

  private constructor(
    private readonly ha: number,
    private readonly wa: number,
    private readonly hb: number,
    private readonly wb: number,
    private readonly rowBase: Int32Array,
    private readonly rowLo: number,
    readonly rows: number,
    private readonly colBase: Int32Array,
    private readonly colLo: number,
    readonly cols: number,
    a: Grid,
    b: Grid,
    c: number,
  ) {
    // Blocks of reference cells, and the rectangle of B cells (rs + [0, R)) × (cs + [0, Q)) each needs.
    const { ys, xs } = this;
    for (let y = 0; y < ha; y += BLOCK_ROWS) ys.push(y);
    for (let x = 0; x < wa; x += BLOCK_COLS) xs.push(x);
    let spanR = 0;
    let spanQ = 0;
    for (const y0 of ys) spanR = Math.max(spanR, rowBase[Math.min(ha, y0 + BLOCK_ROWS) - 1] - rowBase[y0] + rows);
    for (const x0 of xs) spanQ = Math.max(spanQ, colBase[Math.min(wa, x0 + BLOCK_COLS) - 1] - colBase[x0] + cols);
    this.spanQ = spanQ;
    const m = BLOCK_ROWS * BLOCK_COLS;
    const n = spanR * spanQ;
    this.n = n;
    const total = ys.length * xs.length;
    const perRequest = Math.max(1, Math.floor(MAX_GATHERED / ((n + m) * c)));
    const clamp = (v: number, hi: number) => (v < 0 ? 0 : v >= hi ? hi - 1 : v);
    const cellA = (y: number, x: number) => (clamp(y, ha) + a.border) * a.fullWidth + clamp(x, wa) + a.border;
    const cellB = (y: number, x: number) => (clamp(y, hb) + b.border) * b.fullWidth + clamp(x, wb) + b.border;
    for (let s = 0; s < total; s += perRequest) {
      const count = Math.min(perRequest, total - s);
      const ia = new Int32Array(count * m);
      const ib = new Int32Array(count * n);
      for (let k = 0; k < count; k++) {
        const y0 = ys[Math.floor((s + k) / xs.length)];
        const x0 = xs[(s + k) % xs.length];
        for (let i = 0; i < m; i++) ia[k * m + i] = cellA(y0 + Math.floor(i / BLOCK_COLS), x0 + (i % BLOCK_COLS));
        const rs = rowBase[y0] + rowLo;
        const cs = colBase[x0] + colLo;
        for (let r = 0; r < spanR; r++) {
          for (let q = 0; q < spanQ; q++) ib[k * n + r * spanQ + q] = cellB(rs + r, cs + q);
        }
      }
      this.chunks.push({ ia, ib, blocks: count, m, n });
      this.firstBlock.push(s);
    }
  }

  private static readonly cache = new Map<string, BandPlan>();

  static of(
    a: Grid,
    b: Grid,
    c: number,
    rowBase: Int32Array,
    rowLo: number,
    rows: number,
    colBase: Int32Array,
    colLo: number,
    cols: number,
  ): BandPlan {
    const key = [
      a.height,
      a.width,
      a.border,
      a.fullWidth,
      b.height,
      b.width,
      b.border,
      b.fullWidth,
      c,
      rowLo,
      rows,
      colLo,
      cols,
      rowBase.join(','),
      colBase.join(','),
    ].join(';');
    let plan = BandPlan.cache.get(key);
    if (!plan) {
      // A handful of image sizes in use at once is the common case; bound the memory anyway.
      if (BandPlan.cache.size >= 24) BandPlan.cache.clear();
      plan = new BandPlan(a.height, a.width, b.height, b.width, rowBase, rowLo, rows, colBase, colLo, cols, a, b, c);
      BandPlan.cache.set(key, plan);
    }
    return plan;
  }

  /** Scatters the products of chunk `chunk` (`out` as PairDots returns it) into `result`. */
  scatter(chunk: number, out: Float32Array, result: Float64Array): void {
    const { ha, wa, hb, wb, rowBase, rowLo, rows, colBase, colLo, cols, ys, xs, spanQ, n } = this;
    const { blocks, m } = this.chunks[chunk];
    const s = this.firstBlock[chunk];
    for (let k = 0; k < blocks; k++) {
      const y0 = ys[Math.floor((s + k) / xs.length)];
      const x0 = xs[(s + k) % xs.length];
      const rs = rowBase[y0] + rowLo;
      const cs = colBase[x0] + colLo;
      const yEnd = Math.min(ha, y0 + BLOCK_ROWS);
      const xEnd = Math.min(wa, x0 + BLOCK_COLS);
      for (let y = y0; y < yEnd; y++) {
        // Offsets whose B row is inside B.
        const ty0 = rowBase[y] + rowLo;
        const oyLo = Math.max(0, -ty0);
        const oyHi = Math.min(rows, hb - ty0);
        for (let x = x0; x < xEnd; x++) {
          const i = (y - y0) * BLOCK_COLS + (x - x0);
          const dst = (y * wa + x) * rows * cols;
          const tx0 = colBase[x] + colLo;
          const oxLo = Math.max(0, -tx0);
          const oxHi = Math.min(cols, wb - tx0);
          for (let oy = oyLo; oy < oyHi; oy++) {
            // out index of (oy, ox): (k·n + (ty0 + oy − rs)·spanQ + tx0 + ox − cs)·m + i
            const src = (k * n + (ty0 + oy - rs) * spanQ + tx0 - cs) * m + i;
            const d = dst + oy * cols;
            for (let ox = oxLo; ox < oxHi; ox++) result[d + ox] = out[src + ox * m];
          }
        }
      }
    }
  }
}

/** Runs the three product sets in as few runs as their chunks allow (one at ordinary sizes) and scatters them. */
async function runPlans(
  a: Grid,
  b: Grid,
  c: number,
  plans: readonly [BandPlan, BandPlan, BandPlan],
  pairDots: PairDots,
): Promise<Float64Array[]> {
  const results = plans.map(
    (p, k) => new Float64Array((k === 2 ? b : a).height * (k === 2 ? b : a).width * p.rows * p.cols),
  );
  const runs = Math.max(...plans.map((p) => p.chunks.length));
  for (let r = 0; r < runs; r++) {
    const requests = plans.map((p) => p.chunks[r] ?? IDLE) as [PairRequest, PairRequest, PairRequest];
    const outs = await pairDots(a.data, b.data, c, requests);
    plans.forEach((p, k) => {
      if (r < p.chunks.length) p.scatter(r, outs[k], results[k]);
    });
  }
  return results;
}

const identities = new Map<number, Int32Array>();
/** [0, 1, …, n − 1], shared (plans are cached by content, so the same array serves every call). */
function identity(n: number): Int32Array {
  let id = identities.get(n);
  if (!id) {
    id = Int32Array.from({ length: n }, (_, i) => i);
    identities.set(n, id);
  }
  return id;
}

/** Per-cell (Σ_c f_pc)² of a grid, read from the channel-major map. */
function squaredSums(g: Grid, c: number): Float64Array {
  const { data, height, width, border, fullWidth } = g;
  const full = data.length / c;
  // Channel sums over the whole map in one flat pass per channel, then the grid's cells.
  const acc = new Float64Array(full);
  // Four channel planes per pass over the accumulator (float64 additions, as one plane at a time).
  let ch = 0;
  for (; ch + 3 < c; ch += 4) {
    const p0 = ch * full;
    const p1 = p0 + full;
    const p2 = p1 + full;
    const p3 = p2 + full;
    for (let p = 0; p < full; p++) acc[p] += data[p0 + p] + data[p1 + p] + (data[p2 + p] + data[p3 + p]);
  }
  for (; ch < c; ch++) {
    const plane = ch * full;
    for (let p = 0; p < full; p++) acc[p] += data[plane + p];
  }
  const sums = new Float64Array(height * width);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const v = acc[(y + border) * fullWidth + x + border];
      sums[y * width + x] = v * v;
    }
  }
  return sums;
}

/** The window moments of one feature map: Σ over cells of (Σ_c f_pc)², and Σ_{p,p'∈window} (f_p·f_p')². */
class WindowMoments {
  /** `sq[(p·oh + dy)·(2·ow−1) + dx + ow − 1]` = (f_p·f_{p+(dy,dx)})², dy ∈ [0, oh), dx ∈ (−ow, ow). */
  private constructor(
    private readonly sums: Float64Array,
    private readonly sq: Float64Array,
    private readonly w: number,
    private readonly oh: number,
    private readonly ow: number,
  ) {}

  /** The band of self products a grid's windows of up to maxH × maxW cells need. */
  static plan(g: Grid, c: number, maxH: number, maxW: number): BandPlan {
    const oh = Math.min(maxH, g.height);
    const ow = Math.min(maxW, g.width);
    return BandPlan.of(g, g, c, identity(g.height), 0, oh, identity(g.width), 1 - ow, 2 * ow - 1);
  }

  /** From the products of `plan(g, c, …)`. */
  static from(g: Grid, c: number, plan: BandPlan, sq: Float64Array): WindowMoments {
    return new WindowMoments(squaredSums(g, c), sq, g.width, plan.rows, (plan.cols + 1) / 2);
  }

  /** Σ (Σ_c f_pc)² over the window rows [y0,y1) × cols [x0,x1). */
  sum(y0: number, y1: number, x0: number, x1: number): number {
    let s = 0;
    for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) s += this.sums[y * this.w + x];
    return s;
  }

  /** Σ (f_p·f_p')² over ordered pairs of cells of the window rows [y0,y1) × cols [x0,x1). */
  squares(y0: number, y1: number, x0: number, x1: number): number {
    const span = 2 * this.ow - 1;
    const sq = this.sq;
    let diagonal = 0;
    let off = 0;
    for (let y = y0; y < y1; y++) {
      for (let x = x0; x < x1; x++) {
        const base = (y * this.w + x) * this.oh * span + this.ow - 1;
        diagonal += sq[base];
        for (let dx = 1; x + dx < x1; dx++) off += sq[base + dx];
        for (let dy = 1; y + dy < y1; dy++) {
          const row = base + dy * span;
          for (let dx = x0 - x; x + dx < x1; dx++) off += sq[row + dx];
        }
      }
    }
    // Off-diagonal pairs appear twice among ordered pairs.
    return diagonal + 2 * off;
  }
}

/**
 * Per reference cell, 2-D prefix sums of its squared cross products over the band of test offsets: a test window's
 * Σ_q (f_p·g_q)² is then four look-ups per reference cell.
 */
function offsetPrefixSums(cross: Float64Array, cells: number, bh: number, bw: number): Float64Array {
  const w1 = bw + 1;
  const size = (bh + 1) * w1;
  const out = new Float64Array(cells * size);
  for (let p = 0; p < cells; p++) {
    const src = p * bh * bw;
    const dst = p * size;
    for (let oy = 0; oy < bh; oy++) {
      let row = 0;
      for (let ox = 0; ox < bw; ox++) {
        row += cross[src + oy * bw + ox];
        out[dst + (oy + 1) * w1 + ox + 1] = out[dst + oy * w1 + ox + 1] + row;
      }
    }
  }
  return out;
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
  // Only where both maps keep at least a window of cells.
  const b =
    border > 0 && Math.min(reference.height, reference.width, test.height, test.width) >= 2 * border + Math.min(k, 2)
      ? border
      : 0;
  // The maps without their border ring, as index views (no copy); image sizes without the ring's pixels.
  const grid = (f: FeatureMap): Grid => ({
    data: f.data,
    fullWidth: f.width,
    border: b,
    height: f.height - 2 * b,
    width: f.width - 2 * b,
  });
  const gr = grid(reference);
  const gt = grid(test);
  const c = reference.channels;
  const hr = gr.height;
  const wr = gr.width;
  const ht = gt.height;
  const wt = gt.width;
  const kh = Math.min(k, hr);
  const kw = Math.min(k, wr);
  const rows = starts(hr, kh, step);
  const cols = starts(wr, kw, step);
  // Relative position: the ratio of image sizes (cells are the image side over the stride, rounded).
  const px = 2 * b * reference.stride;
  const sy = (test.imageHeight - 2 * b * test.stride) / (reference.imageHeight - px);
  const sx = (test.imageWidth - 2 * b * test.stride) / (reference.imageWidth - px);
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
  const baseY = Int32Array.from({ length: hr }, (_, y) => Math.min(ht - 1, Math.floor((y + 0.5) * sy)));
  const baseX = Int32Array.from({ length: wr }, (_, x) => Math.min(wt - 1, Math.floor((x + 0.5) * sx)));
  const band = (starts_: number[], size: number, wins: [number, number][][], base: Int32Array): [number, number] => {
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

  let maxTh = 1;
  let maxTw = 1;
  for (const ws of rowWins) for (const [t0, t1] of ws) maxTh = Math.max(maxTh, t1 - t0);
  for (const ws of colWins) for (const [u0, u1] of ws) maxTw = Math.max(maxTw, u1 - u0);
  // Squared dot products in one go: cross (f_p·g_q)² for every reference cell p and test cell q in its band, and
  // each map's own products within a window's reach.
  const planR = WindowMoments.plan(gr, c, kh, kw);
  const planT = WindowMoments.plan(gt, c, maxTh, maxTw);
  const [crossSq, selfR, selfT] = await runPlans(
    gr,
    gt,
    c,
    [BandPlan.of(gr, gt, c, baseY, loY, bh, baseX, loX, bw), planR, planT],
    pairDots,
  );
  // The cross products, summable over any test rectangle in four look-ups per reference cell.
  const cross = offsetPrefixSums(crossSq, hr * wr, bh, bw);
  const w1 = bw + 1;
  const size1 = (bh + 1) * w1;
  const momR = WindowMoments.from(gr, c, planR, selfR);
  const momT = WindowMoments.from(gt, c, planT, selfT);

  // The distinct test row ranges and column ranges (windows and their shifts), and every test window's moments once.
  const distinct = (wins: [number, number][][]) => {
    const index = new Map<number, number>();
    const ranges: number[] = [];
    const ids = wins.map((ws) =>
      Int32Array.from(ws, ([lo, hi]) => {
        const key = lo * 65536 + hi;
        let id = index.get(key);
        if (id === undefined) {
          id = ranges.length / 2;
          index.set(key, id);
          ranges.push(lo, hi);
        }
        return id;
      }),
    );
    return { ranges: Int32Array.from(ranges), ids };
  };
  const tRows = distinct(rowWins);
  const tCols = distinct(colWins);
  const nTR = tRows.ranges.length / 2;
  const nTC = tCols.ranges.length / 2;
  const sumT = new Float64Array(nTR * nTC);
  const sqT = new Float64Array(nTR * nTC);
  for (let r = 0; r < nTR; r++) {
    const t0 = tRows.ranges[2 * r];
    const t1 = tRows.ranges[2 * r + 1];
    for (let q = 0; q < nTC; q++) {
      const u0 = tCols.ranges[2 * q];
      const u1 = tCols.ranges[2 * q + 1];
      sumT[r * nTC + q] = momT.sum(t0, t1, u0, u1);
      sqT[r * nTC + q] = momT.squares(t0, t1, u0, u1);
    }
  }

  const na = kh * kw;
  const values: number[][] = [];
  let minLocal = Infinity;
  let minRow = 0;
  let minCol = 0;
  for (let ri = 0; ri < rows.length; ri++) {
    const i = rows[ri];
    const rowIds = tRows.ids[ri];
    const row: number[] = [];
    for (let ci = 0; ci < cols.length; ci++) {
      const j = cols[ci];
      const colIds = tCols.ids[ci];
      const sa = momR.sum(i, i + kh, j, j + kw);
      const qa = momR.squares(i, i + kh, j, j + kw);
      let best = -Infinity;
      for (let a = 0; a < rowIds.length; a++) {
        const tr = rowIds[a];
        const t0 = tRows.ranges[2 * tr];
        const th = tRows.ranges[2 * tr + 1] - t0;
        for (let e = 0; e < colIds.length; e++) {
          const tc = colIds[e];
          const u0 = tCols.ranges[2 * tc];
          const tw = tCols.ranges[2 * tc + 1] - u0;
          let x = 0;
          for (let y = i; y < i + kh; y++) {
            // Rows [oy0, oy1) and columns [ox0, ox1) of the offset band, as prefix-table indices.
            const oy0 = (t0 - baseY[y] - loY) * w1;
            const oy1 = oy0 + th * w1;
            for (let xx = j; xx < j + kw; xx++) {
              const p = (y * wr + xx) * size1;
              const ox0 = u0 - baseX[xx] - loX;
              const ox1 = ox0 + tw;
              x += cross[p + oy1 + ox1] - cross[p + oy0 + ox1] - cross[p + oy1 + ox0] + cross[p + oy0 + ox0];
            }
          }
          const s = liteFromMoments(sa, qa, na, sumT[tr * nTC + tc], sqT[tr * nTC + tc], th * tw, x, c);
          if (s > best) best = s;
        }
      }
      row.push(best);
      if (best < minLocal) {
        minLocal = best;
        minRow = ri;
        minCol = ci;
      }
    }
    values.push(row);
  }

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
    minLocation: rect(rows[minRow], cols[minCol]),
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
