/**
 * One pyramid step of the reference GBVS (its `mySubsample` MEX, from the iLab toolkit): low-pass with the
 * binomial kernel [1 5 10 10 5 1]/32 and decimate by 2, first along x then along y. Output sample k is centred
 * at input 2k + 0.5; at the ends the kernel is truncated and renormalised ([10 10 5 1]/26 first,
 * [1 5 10 10 5]/31 or [1 5 10 10]/26 last). Output side = floor(side/2). Planes with a side <= 10 are
 * returned unchanged, as in the reference.
 *
 * The reference computes in float32: planes are float, pairwise sums of two samples are float additions, the
 * weighting is done in double and the result stored as float. Float32Array storage plus Math.fround on the pair
 * sums reproduces that bit for bit (a float sum rounded via double equals the float sum), which matters because
 * the DKL lookup later quantises with ceil(255·x).
 */

/** A float32 plane, row-major. */
export interface Plane32 {
  data: Float32Array;
  h: number;
  w: number;
}

export function subsample(src: Plane32): Plane32 {
  const { h, w } = src;
  if (!(w > 10 && h > 10)) return { data: src.data.slice(), h, w };
  const wr = w >> 1;
  const hr = h >> 1;
  const tmp = new Float32Array(h * wr);
  for (let y = 0; y < h; y++) lowPass6Dec(src.data, y * w, 1, w, tmp, y * wr, 1);
  const out = new Float32Array(hr * wr);
  for (let x = 0; x < wr; x++) lowPass6Dec(tmp, x, wr, h, out, x, wr);
  return { data: out, h: hr, w: wr };
}

/** Filter + decimate one line of n >= 4 samples at s[s0 + i·ss], writing floor(n/2) samples at d[d0 + k·ds]. */
function lowPass6Dec(
  s: Float32Array,
  s0: number,
  ss: number,
  n: number,
  d: Float32Array,
  d0: number,
  ds: number,
): void {
  const f = Math.fround;
  d[d0] = (f(s[s0] + s[s0 + ss]) * 10 + s[s0 + 2 * ss] * 5 + s[s0 + 3 * ss]) / 26;
  let k = d0 + ds;
  let x = 0;
  let p = s0;
  for (; x < n - 5; x += 2, p += 2 * ss, k += ds) {
    const s0v = s[p];
    const s1 = s[p + ss];
    const s2 = s[p + 2 * ss];
    const s3 = s[p + 3 * ss];
    const s4 = s[p + 4 * ss];
    const s5 = s[p + 5 * ss];
    d[k] = (f(s1 + s4) * 5 + f(s2 + s3) * 10 + f(s0v + s5)) / 32;
  }
  if (x === n - 5) {
    d[k] = (f(s[p + ss] + s[p + 4 * ss]) * 5 + f(s[p + 2 * ss] + s[p + 3 * ss]) * 10 + s[p]) / 31;
  } else {
    d[k] = (s[p] + s[p + ss] * 5 + f(s[p + 2 * ss] + s[p + 3 * ss]) * 10) / 26;
  }
}
