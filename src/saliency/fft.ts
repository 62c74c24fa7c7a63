/**
 * Minimal iterative radix-2 complex FFT on split real/imaginary float64 arrays, used for the Gabor
 * convolutions (27×27 kernels: a direct convolution would cost ~15× more on 768×512 input).
 */

interface Plan {
  n: number;
  rev: Uint32Array;
  cos: Float64Array;
  sin: Float64Array;
}

const plans = new Map<number, Plan>();

function plan(n: number): Plan {
  let p = plans.get(n);
  if (p) return p;
  const bits = Math.log2(n);
  const rev = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    let r = 0;
    for (let b = 0; b < bits; b++) r |= ((i >> b) & 1) << (bits - 1 - b);
    rev[i] = r;
  }
  const cos = new Float64Array(n / 2);
  const sin = new Float64Array(n / 2);
  for (let i = 0; i < n / 2; i++) {
    cos[i] = Math.cos((2 * Math.PI * i) / n);
    sin[i] = Math.sin((2 * Math.PI * i) / n);
  }
  p = { n, rev, cos, sin };
  plans.set(n, p);
  return p;
}

export function nextPow2(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

/** In-place FFT of re/im[offset .. offset+n) (contiguous). inverse=true computes the unnormalised inverse. */
export function fft1d(re: Float64Array, im: Float64Array, offset: number, n: number, inverse: boolean): void {
  if (n <= 1) return;
  const { rev, cos, sin } = plan(n);
  for (let i = 0; i < n; i++) {
    const j = rev[i];
    if (j > i) {
      const a = offset + i;
      const b = offset + j;
      let t = re[a];
      re[a] = re[b];
      re[b] = t;
      t = im[a];
      im[a] = im[b];
      im[b] = t;
    }
  }
  const sign = inverse ? 1 : -1;
  for (let size = 2; size <= n; size *= 2) {
    const half = size / 2;
    const step = n / size;
    for (let start = 0; start < n; start += size) {
      for (let k = 0; k < half; k++) {
        const wr = cos[k * step];
        const wi = sign * sin[k * step];
        const a = offset + start + k;
        const b = a + half;
        const xr = re[b] * wr - im[b] * wi;
        const xi = re[b] * wi + im[b] * wr;
        re[b] = re[a] - xr;
        im[b] = im[a] - xi;
        re[a] += xr;
        im[a] += xi;
      }
    }
  }
}

/**
 * FFT of every column of a rows×cols row-major complex array, through a contiguous scratch buffer.
 */
export function fftColumns(
  re: Float64Array,
  im: Float64Array,
  rows: number,
  cols: number,
  inverse: boolean,
  scratchRe: Float64Array,
  scratchIm: Float64Array,
): void {
  for (let c = 0; c < cols; c++) {
    for (let r = 0; r < rows; r++) {
      scratchRe[r] = re[r * cols + c];
      scratchIm[r] = im[r * cols + c];
    }
    fft1d(scratchRe, scratchIm, 0, rows, inverse);
    for (let r = 0; r < rows; r++) {
      re[r * cols + c] = scratchRe[r];
      im[r * cols + c] = scratchIm[r];
    }
  }
}
