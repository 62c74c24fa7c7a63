import { makeMap, type Map2D } from './map.js';

/**
 * Resizing with the semantics of MATLAB's `imresize(A, [m n])` with its default 'bicubic' method and
 * antialiasing on — what the reference GBVS uses for every feature map and for the final map:
 *  - cubic convolution kernel with a = -0.5 (Keys), support 4;
 *  - when shrinking (scale < 1) the kernel is stretched by 1/scale and scaled by `scale` (antialiasing),
 *    so it averages over the whole footprint instead of sampling;
 *  - output pixel x (1-based) maps to input coordinate u = x/scale + 0.5·(1 - 1/scale) (pixel centres aligned);
 *  - each output's weights are normalised to sum 1; out-of-range taps are mirrored symmetrically
 *    (index sequence 1..n, n..1, repeating), i.e. edge pixels are replicated once;
 *  - the dimension with the smaller scale factor is resized first (rows first on a tie), as MATLAB does.
 * Scale per dimension is out/in, exactly as when imresize is given an output size.
 */

interface Contributions {
  /** Number of taps per output sample. */
  taps: number;
  /** outLength × taps input indices (0-based, already mirrored). */
  index: Int32Array;
  /** outLength × taps weights (normalised). */
  weight: Float64Array;
}

function cubic(x: number): number {
  const a = Math.abs(x);
  const a2 = a * a;
  const a3 = a2 * a;
  if (a <= 1) return 1.5 * a3 - 2.5 * a2 + 1;
  if (a <= 2) return -0.5 * a3 + 2.5 * a2 - 4 * a + 2;
  return 0;
}

const contributionCache = new Map<string, Contributions>();

function contributions(inLength: number, outLength: number): Contributions {
  const key = `${inLength}:${outLength}`;
  const cached = contributionCache.get(key);
  if (cached) return cached;
  const scale = outLength / inLength;
  const shrink = scale < 1;
  const kernelWidth = shrink ? 4 / scale : 4;
  const taps = Math.ceil(kernelWidth) + 2;
  const index = new Int32Array(outLength * taps);
  const weight = new Float64Array(outLength * taps);
  const period = 2 * inLength;
  for (let x = 0; x < outLength; x++) {
    const u = (x + 1) / scale + 0.5 * (1 - 1 / scale);
    const left = Math.floor(u - kernelWidth / 2);
    let sum = 0;
    for (let t = 0; t < taps; t++) {
      const j = left + t; // 1-based input index before mirroring
      const d = u - j;
      const wt = shrink ? scale * cubic(scale * d) : cubic(d);
      weight[x * taps + t] = wt;
      sum += wt;
      // Mirror: aux = [1..n, n..1], aux(mod(j-1, 2n) + 1).
      let m = (j - 1) % period;
      if (m < 0) m += period;
      index[x * taps + t] = m < inLength ? m : period - 1 - m;
    }
    for (let t = 0; t < taps; t++) weight[x * taps + t] /= sum;
  }
  const c = { taps, index, weight };
  if (contributionCache.size > 256) contributionCache.clear();
  contributionCache.set(key, c);
  return c;
}

function resizeRows(src: Map2D, outH: number): Map2D {
  const { taps, index, weight } = contributions(src.h, outH);
  const out = makeMap(outH, src.w);
  const w = src.w;
  const s = src.data;
  const o = out.data;
  for (let y = 0; y < outH; y++) {
    const orow = y * w;
    for (let t = 0; t < taps; t++) {
      const wt = weight[y * taps + t];
      if (wt === 0) continue;
      const irow = index[y * taps + t] * w;
      for (let x = 0; x < w; x++) o[orow + x] += wt * s[irow + x];
    }
  }
  return out;
}

function resizeCols(src: Map2D, outW: number): Map2D {
  const { taps, index, weight } = contributions(src.w, outW);
  const out = makeMap(src.h, outW);
  const w = src.w;
  const s = src.data;
  const o = out.data;
  for (let y = 0; y < src.h; y++) {
    const irow = y * w;
    const orow = y * outW;
    for (let x = 0; x < outW; x++) {
      let acc = 0;
      const base = x * taps;
      for (let t = 0; t < taps; t++) acc += weight[base + t] * s[irow + index[base + t]];
      o[orow + x] = acc;
    }
  }
  return out;
}

/** MATLAB-style bicubic `imresize(src, [outH outW])` with antialiasing (see the file comment). */
export function imresizeBicubic(src: Map2D, outH: number, outW: number): Map2D {
  if (outH === src.h && outW === src.w) return { data: src.data.slice(), h: src.h, w: src.w };
  const sh = outH / src.h;
  const sw = outW / src.w;
  if (sh <= sw) {
    const a = outH === src.h ? src : resizeRows(src, outH);
    return outW === src.w ? a : resizeCols(a, outW);
  }
  const a = outW === src.w ? src : resizeCols(src, outW);
  return outH === src.h ? a : resizeRows(a, outH);
}
