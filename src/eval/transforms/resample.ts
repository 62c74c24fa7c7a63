/**
 * Resampling kernels shared by the geometric transforms.
 *
 * - Point sampling for warps (rotation, perspective, sub-pixel shift, elastic): bicubic convolution with a = −0.5
 *   (Keys), 4×4 taps; taps that fall outside the image are clamped to the edge (replicate). The warps choose their
 *   output window so that every sample POSITION lies inside the image, so clamping only affects the outer taps.
 * - Resizing (scale, anisotropic scale, downscale): separable convolution with an antialiasing filter whose support is
 *   widened by 1/scale when shrinking (as PIL / libvips do), pixel-centre aligned, edge replicate.
 * All arithmetic is float64; the caller rounds once at the end.
 */
import type { FloatImage } from './float-image.js';
import { gaussianKernel } from '../../util/gaussian.js';

const A = -0.5;

/** Keys cubic convolution kernel with a = −0.5 (interpolating: K(0)=1, K(±1)=K(±2)=0). */
export function cubicKernel(x: number): number {
  const t = Math.abs(x);
  if (t <= 1) return ((A + 2) * t - (A + 3)) * t * t + 1;
  if (t < 2) return ((A * t - 5 * A) * t + 8 * A) * t - 4 * A;
  return 0;
}

function sinc(x: number): number {
  if (x === 0) return 1;
  const px = Math.PI * x;
  return Math.sin(px) / px;
}

/** Lanczos kernel with 3 lobes. */
export function lanczos3Kernel(x: number): number {
  const t = Math.abs(x);
  return t < 3 ? sinc(t) * sinc(t / 3) : 0;
}

export type ResizeKernel = 'cubic' | 'lanczos3';

const KERNELS: Record<ResizeKernel, { fn: (x: number) => number; radius: number }> = {
  cubic: { fn: cubicKernel, radius: 2 },
  lanczos3: { fn: lanczos3Kernel, radius: 3 },
};

/**
 * Bicubic sample of a float image at continuous pixel-centre coordinates (x, y) into out[0..2].
 * Pixel (i, j) has its centre at (i, j). Out-of-range taps are clamped to the edge.
 */
export function sampleBicubic(img: FloatImage, x: number, y: number, out: Float64Array): void {
  const { data, width: w, height: h } = img;
  const x0 = Math.floor(x);
  const y0 = Math.floor(y);
  const fx = x - x0;
  const fy = y - y0;
  const wx0 = cubicKernel(fx + 1);
  const wx1 = cubicKernel(fx);
  const wx2 = cubicKernel(1 - fx);
  const wx3 = cubicKernel(2 - fx);
  const wxs = [wx0, wx1, wx2, wx3];
  let r = 0;
  let g = 0;
  let b = 0;
  for (let j = 0; j < 4; j++) {
    const wy = cubicKernel(fy + 1 - j);
    if (wy === 0) continue;
    let yy = y0 - 1 + j;
    yy = yy < 0 ? 0 : yy >= h ? h - 1 : yy;
    const row = yy * w;
    for (let i = 0; i < 4; i++) {
      const wgt = wxs[i] * wy;
      if (wgt === 0) continue;
      let xx = x0 - 1 + i;
      xx = xx < 0 ? 0 : xx >= w ? w - 1 : xx;
      const p = (row + xx) * 3;
      r += wgt * data[p];
      g += wgt * data[p + 1];
      b += wgt * data[p + 2];
    }
  }
  out[0] = r;
  out[1] = g;
  out[2] = b;
}

/** Per-output-index taps of a 1-D resampling filter. */
interface Taps {
  start: Int32Array;
  count: Int32Array;
  /** Concatenated normalised weights, `maxTaps` per output index. */
  weights: Float64Array;
  /** Clamped source indices, same layout as weights. */
  index: Int32Array;
  maxTaps: number;
}

function buildTaps(inSize: number, outSize: number, kernel: ResizeKernel): Taps {
  const { fn, radius } = KERNELS[kernel];
  const scale = outSize / inSize;
  const filterScale = scale < 1 ? 1 / scale : 1; // antialias: widen the kernel when shrinking
  const support = radius * filterScale;
  const maxTaps = Math.ceil(support) * 2 + 2;
  const start = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const weights = new Float64Array(outSize * maxTaps);
  const index = new Int32Array(outSize * maxTaps);
  for (let o = 0; o < outSize; o++) {
    const centre = (o + 0.5) / scale - 0.5;
    const lo = Math.ceil(centre - support);
    const hi = Math.floor(centre + support);
    let n = 0;
    let sum = 0;
    for (let s = lo; s <= hi; s++) {
      const wgt = fn((s - centre) / filterScale);
      if (wgt === 0) continue;
      weights[o * maxTaps + n] = wgt;
      index[o * maxTaps + n] = s < 0 ? 0 : s >= inSize ? inSize - 1 : s;
      sum += wgt;
      n++;
    }
    for (let k = 0; k < n; k++) weights[o * maxTaps + k] /= sum;
    start[o] = lo;
    count[o] = n;
  }
  return { start, count, weights, index, maxTaps };
}

/** Separable antialiased resize to outWidth × outHeight (edge replicate). */
export function resizeFloat(img: FloatImage, outWidth: number, outHeight: number, kernel: ResizeKernel): FloatImage {
  const { width: w, height: h, data } = img;
  // Horizontal pass: w×h → outWidth×h
  const tx = buildTaps(w, outWidth, kernel);
  const tmp = new Float64Array(outWidth * h * 3);
  for (let y = 0; y < h; y++) {
    const row = y * w;
    for (let o = 0; o < outWidth; o++) {
      let r = 0;
      let g = 0;
      let b = 0;
      const base = o * tx.maxTaps;
      for (let k = 0; k < tx.count[o]; k++) {
        const wgt = tx.weights[base + k];
        const p = (row + tx.index[base + k]) * 3;
        r += wgt * data[p];
        g += wgt * data[p + 1];
        b += wgt * data[p + 2];
      }
      const q = (y * outWidth + o) * 3;
      tmp[q] = r;
      tmp[q + 1] = g;
      tmp[q + 2] = b;
    }
  }
  // Vertical pass: outWidth×h → outWidth×outHeight
  const ty = buildTaps(h, outHeight, kernel);
  const out = new Float64Array(outWidth * outHeight * 3);
  for (let o = 0; o < outHeight; o++) {
    const base = o * ty.maxTaps;
    for (let x = 0; x < outWidth; x++) {
      let r = 0;
      let g = 0;
      let b = 0;
      for (let k = 0; k < ty.count[o]; k++) {
        const wgt = ty.weights[base + k];
        const p = (ty.index[base + k] * outWidth + x) * 3;
        r += wgt * tmp[p];
        g += wgt * tmp[p + 1];
        b += wgt * tmp[p + 2];
      }
      const q = (o * outWidth + x) * 3;
      out[q] = r;
      out[q + 1] = g;
      out[q + 2] = b;
    }
  }
  return { data: out, width: outWidth, height: outHeight };
}

/** Normalised 1-D Gaussian kernel with radius ceil(3σ). */
function blurKernel(sigma: number): Float64Array {
  return gaussianKernel(sigma, Math.max(1, Math.ceil(3 * sigma)));
}

/**
 * Separable Gaussian blur of a float image with `channels` interleaved channels (edge replicate).
 * σ ≤ 0 returns a copy.
 */
export function gaussianBlurFloat(
  data: Float64Array,
  width: number,
  height: number,
  channels: number,
  sigma: number,
): Float64Array {
  if (sigma <= 0) return Float64Array.from(data);
  const k = blurKernel(sigma);
  const radius = (k.length - 1) / 2;
  const tmp = new Float64Array(data.length);
  for (let y = 0; y < height; y++) {
    const row = y * width;
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < channels; c++) {
        let acc = 0;
        for (let t = -radius; t <= radius; t++) {
          let xx = x + t;
          xx = xx < 0 ? 0 : xx >= width ? width - 1 : xx;
          acc += k[t + radius] * data[(row + xx) * channels + c];
        }
        tmp[(row + x) * channels + c] = acc;
      }
    }
  }
  const out = new Float64Array(data.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < channels; c++) {
        let acc = 0;
        for (let t = -radius; t <= radius; t++) {
          let yy = y + t;
          yy = yy < 0 ? 0 : yy >= height ? height - 1 : yy;
          acc += k[t + radius] * tmp[(yy * width + x) * channels + c];
        }
        out[(y * width + x) * channels + c] = acc;
      }
    }
  }
  return out;
}
