import { fft1d, fftColumns, nextPow2 } from './fft.js';
import { attenuateBordersInPlace, makeMap, type Map2D } from './map.js';

/**
 * Gabor orientation energy as in the reference GBVS's 'O' channel: |I * g0| + |I * g90| with the pair of
 * quadrature Gabor filters of its makeGaborFilterGBVS (stddev 2 px across the carrier, elongation 2,
 * period π px, half-size ceil(max_sd·√10) = 13, i.e. 27×27; each filter made zero-mean and unit-L2), convolved
 * with replicate-padded borders (its myconv2), then borders linearly attenuated over 13 px.
 * The convolution runs in the frequency domain; g0 and g90 share one inverse FFT (spectrum K0 + i·K90 gives
 * the g0 response in the real part and the g90 response in the imaginary part).
 */

const STDDEV = 2;
const ELONGATION = 2;
const PERIOD = Math.PI;
const HALF = Math.ceil(Math.max(STDDEV, STDDEV * ELONGATION) * Math.sqrt(10)); // 13
const SIDE = 2 * HALF + 1;
/** Responses below this are FFT round-off of a zero-mean filter on flat input; zeroing them keeps flat maps flat. */
const ROUNDOFF = 1e-10;
/** Border ramp width of the reference's O channel (attenuateBordersGBVS(map, 13)). */
const ATTENUATE = 13;

/** The reference Gabor filter, SIDE×SIDE row-major (row index = first grid coordinate). */
export function gaborKernel(angleDeg: number, phaseDeg: number): Float64Array {
  const psi = (Math.PI / 180) * phaseDeg;
  const rt = (Math.PI / 180) * angleDeg;
  const omega = (2 * Math.PI) / PERIOD;
  const co = Math.cos(rt);
  const si = -Math.sin(rt);
  const majorSigq = 2 * STDDEV * STDDEV;
  const minorSd = STDDEV * ELONGATION;
  const minorSigq = 2 * minorSd * minorSd;
  const k = new Float64Array(SIDE * SIDE);
  let mean = 0;
  for (let i = 0; i < SIDE; i++) {
    for (let j = 0; j < SIDE; j++) {
      const vi = i - HALF;
      const vj = j - HALF;
      const major = vi * co + vj * si;
      const minor = vi * si - vj * co;
      const v = Math.cos(omega * major + psi) * Math.exp(-(major * major) / majorSigq - (minor * minor) / minorSigq);
      k[i * SIDE + j] = v;
      mean += v;
    }
  }
  mean /= k.length;
  let ss = 0;
  for (let i = 0; i < k.length; i++) {
    k[i] -= mean;
    ss += k[i] * k[i];
  }
  const norm = Math.sqrt(ss);
  for (let i = 0; i < k.length; i++) k[i] /= norm;
  return k;
}

interface Spectrum {
  re: Float64Array;
  im: Float64Array;
}

const spectrumCache = new Map<string, Spectrum>();

/** FFT of (g0 + i·g90) placed at the origin of an nh×nw grid (true convolution, as MATLAB conv2). */
function kernelSpectrum(angle: number, nh: number, nw: number): Spectrum {
  const key = `${nh}x${nw}@${angle}`;
  const hit = spectrumCache.get(key);
  if (hit) return hit;
  const g0 = gaborKernel(angle, 0);
  const g90 = gaborKernel(angle, 90);
  const re = new Float64Array(nh * nw);
  const im = new Float64Array(nh * nw);
  for (let i = 0; i < SIDE; i++) {
    for (let j = 0; j < SIDE; j++) {
      re[i * nw + j] = g0[i * SIDE + j];
      im[i * nw + j] = g90[i * SIDE + j];
    }
  }
  fft2d(re, im, nh, nw, false, nh);
  const s = { re, im };
  if (spectrumCache.size > 64) spectrumCache.clear();
  spectrumCache.set(key, s);
  return s;
}

/** 2-D FFT; only the first `activeRows` rows are transformed along x (the others must be zero). */
function fft2d(re: Float64Array, im: Float64Array, nh: number, nw: number, inverse: boolean, activeRows: number): void {
  for (let r = 0; r < activeRows; r++) fft1d(re, im, r * nw, nw, inverse);
  fftColumns(re, im, nh, nw, inverse, new Float64Array(nh), new Float64Array(nh));
}

/**
 * Orientation energy maps of `img` for each angle (same size as img), borders attenuated as in the reference.
 */
export function gaborEnergies(img: Map2D, angles: readonly number[]): Map2D[] {
  const { h, w } = img;
  const ph = h + 2 * HALF;
  const pw = w + 2 * HALF;
  const nh = nextPow2(ph);
  const nw = nextPow2(pw);
  // Replicate-padded image in the top-left corner of the FFT grid.
  const xr = new Float64Array(nh * nw);
  const xi = new Float64Array(nh * nw);
  for (let y = 0; y < ph; y++) {
    const sy = Math.min(h - 1, Math.max(0, y - HALF));
    for (let x = 0; x < pw; x++) {
      const sx = Math.min(w - 1, Math.max(0, x - HALF));
      xr[y * nw + x] = img.data[sy * w + sx];
    }
  }
  fft2d(xr, xi, nh, nw, false, ph);
  const pr = new Float64Array(nh * nw);
  const pi = new Float64Array(nh * nw);
  const colRe = new Float64Array(nh);
  const colIm = new Float64Array(nh);
  const scale = 1 / (nh * nw);
  const out: Map2D[] = [];
  for (const angle of angles) {
    const k = kernelSpectrum(angle, nh, nw);
    for (let i = 0; i < pr.length; i++) {
      pr[i] = xr[i] * k.re[i] - xi[i] * k.im[i];
      pi[i] = xr[i] * k.im[i] + xi[i] * k.re[i];
    }
    fftColumns(pr, pi, nh, nw, true, colRe, colIm);
    const m = makeMap(h, w);
    // Output pixel (y, x) is full-convolution index (y + 2·HALF, x + 2·HALF) of the padded image.
    for (let y = 0; y < h; y++) {
      const row = (y + 2 * HALF) * nw;
      fft1d(pr, pi, row, nw, true);
      for (let x = 0; x < w; x++) {
        const e = (Math.abs(pr[row + x + 2 * HALF]) + Math.abs(pi[row + x + 2 * HALF])) * scale;
        m.data[y * w + x] = e < ROUNDOFF ? 0 : e;
      }
    }
    out.push(attenuateBordersInPlace(m, ATTENUATE));
  }
  return out;
}
