/**
 * Building blocks shared by SSIM and MS-SSIM with the semantics of Wang et al.'s MATLAB scripts
 * (`ssim.m` 2004, `msssim.m`/`ssim_index_new.m` 2003): Gaussian window 11/σ 1.5 (fspecial), 'valid' filtering
 * (filter2), imfilter 'symmetric' 'same' box averaging followed by decimation. All float64, separable filters.
 */
import { ImageError } from '../errors.js';
import { gaussianKernel } from '../util/gaussian.js';

/** A single-channel float64 plane. */
export interface Plane {
  data: Float64Array;
  width: number;
  height: number;
}

/** 1-D factor of MATLAB fspecial('gaussian', size, sigma), normalised (the 2-D window is its outer product). */
export function gaussianWindow(size = 11, sigma = 1.5): Float64Array {
  return gaussianKernel(sigma, (size - 1) / 2);
}

/** Separable correlation with kernel k in both directions, 'valid' output (MATLAB filter2(..., 'valid')). */
export function filterValid(p: Plane, k: Float64Array): Plane {
  const K = k.length;
  const W = p.width - K + 1;
  const H = p.height - K + 1;
  const tmp = new Float64Array(W * p.height);
  const src = p.data;
  for (let y = 0; y < p.height; y++) {
    const row = y * p.width;
    for (let x = 0; x < W; x++) {
      let s = 0;
      for (let t = 0; t < K; t++) s += k[t] * src[row + x + t];
      tmp[y * W + x] = s;
    }
  }
  const out = new Float64Array(W * H);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      let s = 0;
      for (let t = 0; t < K; t++) s += k[t] * tmp[(y + t) * W + x];
      out[y * W + x] = s;
    }
  }
  return { data: out, width: W, height: H };
}

/** MATLAB 'symmetric' padding index (mirror including the edge sample). */
function mirror(i: number, n: number): number {
  while (i < 0 || i >= n) i = i < 0 ? -i - 1 : 2 * n - i - 1;
  return i;
}

/**
 * imfilter(img, ones(f)/f², 'symmetric', 'same') then img(1:f:end, 1:f:end), as the reference scripts do.
 * imfilter anchors an f-tap kernel at floor((f+1)/2), so output sample i averages input i−a … i−a+f−1 with
 * a = floor((f−1)/2); only every f-th output is kept, so only those are computed.
 */
export function boxDownsample(p: Plane, f: number): Plane {
  const a = Math.floor((f - 1) / 2);
  const W = Math.ceil(p.width / f);
  const H = Math.ceil(p.height / f);
  const tmp = new Float64Array(W * p.height);
  for (let y = 0; y < p.height; y++) {
    for (let xo = 0; xo < W; xo++) {
      let s = 0;
      for (let t = 0; t < f; t++) s += p.data[y * p.width + mirror(xo * f - a + t, p.width)];
      tmp[y * W + xo] = s;
    }
  }
  const out = new Float64Array(W * H);
  const inv = 1 / (f * f);
  for (let yo = 0; yo < H; yo++) {
    for (let x = 0; x < W; x++) {
      let s = 0;
      for (let t = 0; t < f; t++) s += tmp[mirror(yo * f - a + t, p.height) * W + x];
      out[yo * W + x] = s * inv;
    }
  }
  return { data: out, width: W, height: H };
}

export interface SsimMeans {
  /** Mean of the SSIM map. */
  ssim: number;
  /** Mean of the contrast-structure map (2σxy + C2)/(σx² + σy² + C2). */
  cs: number;
}

const WINDOW = gaussianWindow(11, 1.5);

/** Mean SSIM and mean cs over the 'valid' region, K = [0.01 0.03], L = 255. */
export function ssimMeans(a: Plane, b: Plane, metric = 'ssim'): SsimMeans {
  if (a.width < 11 || a.height < 11) {
    throw new ImageError(
      `${metric}: image (or a downsampled scale) is ${a.width}×${a.height}, smaller than the 11×11 window`,
    );
  }
  const n = a.data.length;
  const aa = new Float64Array(n);
  const bb = new Float64Array(n);
  const ab = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    aa[i] = a.data[i] * a.data[i];
    bb[i] = b.data[i] * b.data[i];
    ab[i] = a.data[i] * b.data[i];
  }
  const plane = (data: Float64Array): Plane => ({ data, width: a.width, height: a.height });
  const mu1 = filterValid(a, WINDOW).data;
  const mu2 = filterValid(b, WINDOW).data;
  const e11 = filterValid(plane(aa), WINDOW).data;
  const e22 = filterValid(plane(bb), WINDOW).data;
  const e12 = filterValid(plane(ab), WINDOW).data;
  const C1 = (0.01 * 255) ** 2;
  const C2 = (0.03 * 255) ** 2;
  let ssimSum = 0;
  let csSum = 0;
  for (let i = 0; i < mu1.length; i++) {
    const m1 = mu1[i];
    const m2 = mu2[i];
    const s11 = e11[i] - m1 * m1;
    const s22 = e22[i] - m2 * m2;
    const s12 = e12[i] - m1 * m2;
    const cs = (2 * s12 + C2) / (s11 + s22 + C2);
    csSum += cs;
    ssimSum += ((2 * m1 * m2 + C1) / (m1 * m1 + m2 * m2 + C1)) * cs;
  }
  return { ssim: ssimSum / mu1.length, cs: csSum / mu1.length };
}
