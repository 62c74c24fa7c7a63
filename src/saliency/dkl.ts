/**
 * RGB -> DKL (Derrington-Krauskopf-Lennie) colour space as used by the reference GBVS's 'D' channel
 * (its util/rgb2dkl.m, after the iLab toolkit): each 8-bit-quantised channel goes through a measured display
 * lookup table (linear-light output per DAC level), then a fixed RGB->LMS matrix, minus the LMS of the
 * adaptation white, then the LMS->DKL matrix, then per-axis scale factors.
 *
 * The display table below is data: the reference's 256-entry table sampled at every 5th level (0, 5, …, 255);
 * the reference table is itself linear between these knots (re-interpolating reproduces it within 8e-6,
 * its printed precision).
 */

const KNOTS_R = [
  0.024935, 0.02513, 0.025649, 0.026136, 0.026623, 0.027597, 0.028896, 0.029935, 0.031623, 0.034286, 0.037662, 0.042468,
  0.049416, 0.058442, 0.068182, 0.07987, 0.091558, 0.1039, 0.11883, 0.13506, 0.15325, 0.17338, 0.19675, 0.22078, 0.2474,
  0.27532, 0.30649, 0.33701, 0.36818, 0.3987, 0.42987, 0.46169, 0.49286, 0.51883, 0.54675, 0.57208, 0.59545, 0.62143,
  0.64351, 0.66883, 0.68831, 0.70779, 0.72727, 0.75325, 0.77273, 0.7987, 0.83117, 0.85714, 0.88961, 0.92208, 0.95455, 1,
];
const KNOTS_G = [
  0.0076954, 0.0079158, 0.0082966, 0.0088978, 0.0096994, 0.010802, 0.011764, 0.013287, 0.01517, 0.017856, 0.022044,
  0.028056, 0.036072, 0.046493, 0.057715, 0.069739, 0.082766, 0.096994, 0.11343, 0.13106, 0.1507, 0.17315, 0.19719,
  0.22244, 0.2505, 0.28056, 0.31263, 0.34469, 0.37675, 0.40882, 0.44088, 0.47094, 0.501, 0.53106, 0.55912, 0.58517,
  0.60922, 0.63327, 0.65731, 0.67735, 0.69739, 0.72144, 0.73948, 0.75952, 0.78156, 0.80762, 0.83367, 0.85972, 0.89178,
  0.92585, 0.96192, 1,
];
const KNOTS_B = [
  0.042291, 0.042566, 0.042841, 0.043392, 0.043943, 0.044934, 0.046366, 0.047797, 0.050441, 0.053414, 0.058811,
  0.064978, 0.074119, 0.085903, 0.096366, 0.10914, 0.12225, 0.13767, 0.15529, 0.17401, 0.19493, 0.21806, 0.24229,
  0.26872, 0.29626, 0.32599, 0.35793, 0.38767, 0.4174, 0.44604, 0.47577, 0.5033, 0.52863, 0.55507, 0.57819, 0.60242,
  0.62225, 0.64648, 0.6685, 0.68943, 0.71035, 0.72907, 0.7511, 0.77093, 0.79626, 0.82159, 0.84802, 0.87225, 0.90198,
  0.93943, 0.96696, 1,
];

function expandTable(knots: number[]): Float64Array {
  const t = new Float64Array(256);
  for (let i = 0; i < 256; i++) {
    const k = Math.floor(i / 5);
    const f = (i - 5 * k) / 5;
    t[i] = f === 0 ? knots[k] : knots[k] + f * (knots[k + 1] - knots[k]);
  }
  return t;
}

const LUT_R = expandTable(KNOTS_R);
const LUT_G = expandTable(KNOTS_G);
const LUT_B = expandTable(KNOTS_B);

// Cone excitations of the adaptation white and the RGB -> LMS matrix (Smith-Pokorny-like primaries).
const LMS0 = [34.918538957799996, 19.314796676499999, 0.5856108185];
const M = [18.32535, 44.60077, 7.46216, 4.09544, 28.20135, 6.66066, 0.02114, 0.10325, 1.05258];
const FAC = 1 / (LMS0[0] + LMS0[1]);
const MM = [
  Math.sqrt(3) * FAC,
  Math.sqrt(3) * FAC,
  0,
  (Math.sqrt(LMS0[0] * LMS0[0] + LMS0[1] * LMS0[1]) / LMS0[0]) * FAC,
  (-Math.sqrt(LMS0[0] * LMS0[0] + LMS0[1] * LMS0[1]) / LMS0[1]) * FAC,
  0,
  -FAC,
  -FAC,
  ((LMS0[0] + LMS0[1]) / LMS0[2]) * FAC,
];
// Per-axis normalisation of the reference ("DKLn").
const SCALE = [0.5774, 2.7525, 0.4526];

/** Quantise a [0,1] intensity as the reference does before the lookup: index ceil(255·x), clamped to 1..256 (1-based). */
function lutIndex(x: number): number {
  const i = Math.ceil(x * 255);
  return i < 1 ? 0 : i > 256 ? 255 : i - 1;
}

/**
 * Convert planar R, G, B maps (values in [0,1], any length) into the three DKL maps
 * (luminance, L-M "red-green", S-(L+M) "blue-yellow"), writing into out[0..2].
 */
export function rgbToDkl(
  r: Float64Array,
  g: Float64Array,
  b: Float64Array,
  out: [Float64Array, Float64Array, Float64Array],
): void {
  const [d1, d2, d3] = out;
  for (let i = 0; i < r.length; i++) {
    const a1 = LUT_R[lutIndex(r[i])];
    const a2 = LUT_G[lutIndex(g[i])];
    const a3 = LUT_B[lutIndex(b[i])];
    const l = M[0] * a1 + M[1] * a2 + M[2] * a3 - LMS0[0];
    const m = M[3] * a1 + M[4] * a2 + M[5] * a3 - LMS0[1];
    const s = M[6] * a1 + M[7] * a2 + M[8] * a3 - LMS0[2];
    d1[i] = (MM[0] * l + MM[1] * m + MM[2] * s) * SCALE[0];
    d2[i] = (MM[3] * l + MM[4] * m + MM[5] * s) * SCALE[1];
    d3[i] = (MM[6] * l + MM[7] * m + MM[8] * s) * SCALE[2];
  }
}
