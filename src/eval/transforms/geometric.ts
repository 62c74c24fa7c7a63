/**
 * Geometric transforms. Resampling: bicubic convolution (a = −0.5) for warps, antialiased separable cubic
 * (a = −0.5) for scaling, antialiased separable Lanczos-3 for `downscale`; see resample.ts.
 *
 * Border policy (no black wedges anywhere):
 * - translate / shiftCrop / subpixelShift: crop-then-shift. Reference and test are two equally sized windows of the
 *   input, the test window offset by (dx, dy); sub-pixel offsets are bicubic-interpolated with a margin so no sample
 *   touches the border.
 * - rotate / perspective: warp on the same canvas, then crop the largest centred axis-aligned rectangle whose pixels
 *   all map inside the source; the *Pair variants crop the reference to the same rectangle.
 * - elastic: same size; displaced sample positions outside the image are mirrored back inside (reflect).
 * - scale / anisotropicScale / downscale: the test keeps its new size (edge replicate for filter taps).
 * - cropCentre: keeps a centred fraction, new size.
 */
import type { RGBImage } from '../../image/types.js';
import { UsageError } from '../../errors.js';
import { checkImage, cropWindow, requireFinite, toFloat, toRGB, type FloatImage } from './float-image.js';
import { gaussianBlurFloat, resizeFloat, sampleBicubic } from './resample.js';
import { createRng } from './random.js';
import type { TransformedPair } from './types.js';

// ---------------------------------------------------------------------------------------------------------------
// Translation

/**
 * Integer translation by cropping. Both outputs are (W−|dx|)×(H−|dy|); the test window starts (dx, dy) pixels after
 * the reference window, so test(x, y) = input(x + dx + rx, y + dy + ry) where (rx, ry) = (max(0,−dx), max(0,−dy))
 * is the reference window origin: the content appears moved by (−dx, −dy) in the test.
 */
export function translate(img: RGBImage, dx: number, dy: number): TransformedPair {
  checkImage(img);
  if (!Number.isInteger(dx) || !Number.isInteger(dy)) {
    throw new UsageError(`translate needs integer offsets, got (${dx}, ${dy}); use subpixelShift`);
  }
  const w = img.width - Math.abs(dx);
  const h = img.height - Math.abs(dy);
  if (w < 1 || h < 1) throw new UsageError(`shift (${dx}, ${dy}) leaves nothing of a ${img.width}x${img.height} image`);
  const rx = Math.max(0, -dx);
  const ry = Math.max(0, -dy);
  return { reference: cropWindow(img, rx, ry, w, h), test: cropWindow(img, rx + dx, ry + dy, w, h) };
}

/**
 * The horizontal "shift by cropping" pair: reference = columns [0, W−px), test = columns [px, W) (half-open), all rows.
 * With the default px = 2 that is reference window x ∈ 0..W−3 and test window x ∈ 2..W−1, both W−2 wide.
 */
export function shiftCrop(img: RGBImage, px = 2): TransformedPair {
  if (!Number.isInteger(px) || px < 0) throw new UsageError(`shiftCrop needs a non-negative integer, got ${px}`);
  return translate(img, px, 0);
}

/** Margin a bicubic sample at offset d needs so that its 4 taps stay inside the image (0 for integer offsets). */
function subpixelMargin(d: number): number {
  return Number.isInteger(d) ? Math.abs(d) : Math.ceil(Math.abs(d)) + 2;
}

/**
 * Sub-pixel translation, crop-then-shift: both outputs are the input minus a margin of ceil(|d|)+2 pixels on each side
 * (|d| for integer d); test(x, y) = bicubic(input)(x + mx + dx, y + my + dy), reference(x, y) = input(x + mx, y + my).
 * Offsets of 0 give test === reference === input.
 */
export function subpixelShift(img: RGBImage, dx: number, dy: number): TransformedPair {
  checkImage(img);
  requireFinite('dx', dx);
  requireFinite('dy', dy);
  const mx = subpixelMargin(dx);
  const my = subpixelMargin(dy);
  const w = img.width - 2 * mx;
  const h = img.height - 2 * my;
  if (w < 1 || h < 1) throw new UsageError(`shift (${dx}, ${dy}) leaves nothing of a ${img.width}x${img.height} image`);
  const src = toFloat(img);
  const out = new Float64Array(w * h * 3);
  const px = new Float64Array(3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      sampleBicubic(src, x + mx + dx, y + my + dy, px);
      out.set(px, (y * w + x) * 3);
    }
  }
  return { reference: cropWindow(img, mx, my, w, h), test: toRGB({ data: out, width: w, height: h }) };
}

// ---------------------------------------------------------------------------------------------------------------
// Warps on the same canvas followed by a centred valid crop

/** Maps canvas (output) pixel-centre coordinates to source coordinates. */
type InverseMap = (x: number, y: number) => [number, number];

interface CropRect {
  x0: number;
  y0: number;
  w: number;
  h: number;
}

const EPS = 1e-7;

function rectIsValid(map: InverseMap, W: number, H: number, r: CropRect): boolean {
  const corners: [number, number][] = [
    [r.x0, r.y0],
    [r.x0 + r.w - 1, r.y0],
    [r.x0, r.y0 + r.h - 1],
    [r.x0 + r.w - 1, r.y0 + r.h - 1],
  ];
  return corners.every(([x, y]) => {
    const [sx, sy] = map(x, y);
    return sx >= -EPS && sx <= W - 1 + EPS && sy >= -EPS && sy <= H - 1 + EPS;
  });
}

/**
 * Turn continuous extents (in pixel-centre units) into an integer crop centred on the canvas. Width keeps the parity
 * of W so the crop is exactly centred (the warp centre is the canvas centre), then shrink by 2 until every corner maps
 * inside the source — the valid region is convex, so valid corners mean a fully valid rectangle.
 */
function centredCrop(map: InverseMap, W: number, H: number, extentW: number, extentH: number): CropRect {
  let w = Math.min(W, Math.floor(extentW + 1e-6) + 1);
  let h = Math.min(H, Math.floor(extentH + 1e-6) + 1);
  if ((W - w) % 2 !== 0) w -= 1;
  if ((H - h) % 2 !== 0) h -= 1;
  for (;;) {
    if (w < 1 || h < 1) throw new UsageError(`warp leaves no valid area in a ${W}x${H} image`);
    const r = { x0: (W - w) / 2, y0: (H - h) / 2, w, h };
    if (rectIsValid(map, W, H, r)) return r;
    w -= 2;
    h -= 2;
  }
}

function warpCrop(img: RGBImage, map: InverseMap, r: CropRect): RGBImage {
  const src = toFloat(img);
  const out = new Float64Array(r.w * r.h * 3);
  const px = new Float64Array(3);
  const W1 = img.width - 1;
  const H1 = img.height - 1;
  for (let y = 0; y < r.h; y++) {
    for (let x = 0; x < r.w; x++) {
      let [sx, sy] = map(r.x0 + x, r.y0 + y);
      // absorb rounding error at the rectangle edge (positions are valid up to EPS)
      sx = sx < 0 ? 0 : sx > W1 ? W1 : sx;
      sy = sy < 0 ? 0 : sy > H1 ? H1 : sy;
      sampleBicubic(src, sx, sy, px);
      out.set(px, (y * r.w + x) * 3);
    }
  }
  return toRGB({ data: out, width: r.w, height: r.h });
}

/**
 * Largest axis-aligned rectangle inside a w×h rectangle rotated by `angle` (radians), centred on it.
 * Closed form: if the short side is the binding constraint the rectangle touches two opposite corners (half-constrained
 * case), otherwise all four sides.
 */
export function maxInscribedRect(w: number, h: number, angle: number): [number, number] {
  if (w <= 0 || h <= 0) return [0, 0];
  const widthIsLonger = w >= h;
  const long = widthIsLonger ? w : h;
  const short = widthIsLonger ? h : w;
  const s = Math.abs(Math.sin(angle));
  const c = Math.abs(Math.cos(angle));
  if (short <= 2 * s * c * long || Math.abs(s - c) < 1e-10) {
    const x = 0.5 * short;
    return widthIsLonger ? [x / s, x / c] : [x / c, x / s];
  }
  const cos2a = c * c - s * s;
  return [(w * c - h * s) / cos2a, (h * c - w * s) / cos2a];
}

function rotationMap(W: number, H: number, degrees: number): InverseMap {
  const t = (degrees * Math.PI) / 180;
  const cos = Math.cos(t);
  const sin = Math.sin(t);
  const cx = (W - 1) / 2;
  const cy = (H - 1) / 2;
  // Counter-clockwise as displayed (y axis points down): output offset (u, v) samples the source at R⁻¹(u, v).
  return (x, y) => {
    const u = x - cx;
    const v = y - cy;
    return [cx + u * cos - v * sin, cy + u * sin + v * cos];
  };
}

function rotationCrop(img: RGBImage, degrees: number): { map: InverseMap; rect: CropRect } {
  checkImage(img);
  requireFinite('rotation angle', degrees);
  const W = img.width;
  const H = img.height;
  const map = rotationMap(W, H, degrees);
  const [ew, eh] = maxInscribedRect(W - 1, H - 1, (degrees * Math.PI) / 180);
  return { map, rect: centredCrop(map, W, H, ew, eh) };
}

/**
 * Rotate counter-clockwise (as displayed) by `degrees` about the image centre, bicubic, then crop the largest centred
 * axis-aligned rectangle free of undefined pixels (so the result is smaller unless degrees is a multiple of 180, or
 * of 90 for square images).
 */
export function rotate(img: RGBImage, degrees: number): RGBImage {
  const { map, rect } = rotationCrop(img, degrees);
  return warpCrop(img, map, rect);
}

/** `rotate`, plus the reference cropped to the same centred rectangle (same size, aligned centres). */
export function rotatePair(img: RGBImage, degrees: number): TransformedPair {
  const { map, rect } = rotationCrop(img, degrees);
  return { reference: cropWindow(img, rect.x0, rect.y0, rect.w, rect.h), test: warpCrop(img, map, rect) };
}

/** Solve the 8-parameter homography mapping from[k] → to[k] (k = 0..3) by Gaussian elimination with pivoting. */
export function solveHomography(from: [number, number][], to: [number, number][]): Float64Array {
  const A: number[][] = [];
  for (let k = 0; k < 4; k++) {
    const [x, y] = from[k];
    const [u, v] = to[k];
    A.push([x, y, 1, 0, 0, 0, -u * x, -u * y, u]);
    A.push([0, 0, 0, x, y, 1, -v * x, -v * y, v]);
  }
  for (let col = 0; col < 8; col++) {
    let piv = col;
    for (let r = col + 1; r < 8; r++) if (Math.abs(A[r][col]) > Math.abs(A[piv][col])) piv = r;
    if (Math.abs(A[piv][col]) < 1e-12) throw new UsageError('degenerate perspective corners');
    [A[col], A[piv]] = [A[piv], A[col]];
    for (let r = 0; r < 8; r++) {
      if (r === col) continue;
      const f = A[r][col] / A[col][col];
      for (let k = col; k < 9; k++) A[r][k] -= f * A[col][k];
    }
  }
  const h = new Float64Array(9);
  for (let i = 0; i < 8; i++) h[i] = A[i][8] / A[i][i];
  h[8] = 1;
  return h;
}

function perspectiveSetup(img: RGBImage, fraction: number, seed: number): { map: InverseMap; rect: CropRect } {
  checkImage(img);
  requireFinite('perspective fraction', fraction);
  if (fraction < 0 || fraction > 0.2) throw new UsageError(`perspective fraction must be in [0, 0.2], got ${fraction}`);
  const W = img.width;
  const H = img.height;
  const rng = createRng(seed);
  const src: [number, number][] = [
    [0, 0],
    [W - 1, 0],
    [W - 1, H - 1],
    [0, H - 1],
  ];
  // Each source corner lands `fraction` of the image size away, in a random direction.
  const dst = src.map(([x, y]): [number, number] => {
    const phi = 2 * Math.PI * rng.uniform();
    return [x + fraction * W * Math.cos(phi), y + fraction * H * Math.sin(phi)];
  });
  const hm = solveHomography(dst, src); // canvas → source
  const map: InverseMap = (x, y) => {
    const d = hm[6] * x + hm[7] * y + hm[8];
    return [(hm[0] * x + hm[1] * y + hm[2]) / d, (hm[3] * x + hm[4] * y + hm[5]) / d];
  };
  // Largest centred rectangle with the canvas aspect ratio: bisect on the shrink factor t.
  const cx = (W - 1) / 2;
  const cy = (H - 1) / 2;
  const fits = (t: number): boolean =>
    [-1, 1].every((sx) =>
      [-1, 1].every((sy) => {
        const [u, v] = map(cx + (sx * t * (W - 1)) / 2, cy + (sy * t * (H - 1)) / 2);
        return u >= -EPS && u <= W - 1 + EPS && v >= -EPS && v <= H - 1 + EPS;
      }),
    );
  let lo = 0;
  let hi = 1;
  if (fits(1)) lo = 1;
  else {
    if (!fits(0)) throw new UsageError('perspective warp moved the image centre out of view');
    for (let i = 0; i < 50; i++) {
      const mid = (lo + hi) / 2;
      if (fits(mid)) lo = mid;
      else hi = mid;
    }
  }
  return { map, rect: centredCrop(map, W, H, lo * (W - 1), lo * (H - 1)) };
}

/**
 * Seeded perspective warp: each corner of the image is displaced by `fraction`·(W, H) in a random direction, the
 * image is warped accordingly (bicubic) and cropped to the largest centred rectangle (canvas aspect) inside the
 * warped image. Returns the pair with the reference cropped to the same rectangle.
 */
export function perspectivePair(img: RGBImage, fraction: number, seed: number): TransformedPair {
  const { map, rect } = perspectiveSetup(img, fraction, seed);
  return { reference: cropWindow(img, rect.x0, rect.y0, rect.w, rect.h), test: warpCrop(img, map, rect) };
}

/** `perspectivePair` without the reference: the warped, cropped test image. */
export function perspective(img: RGBImage, fraction: number, seed: number): RGBImage {
  const { map, rect } = perspectiveSetup(img, fraction, seed);
  return warpCrop(img, map, rect);
}

// ---------------------------------------------------------------------------------------------------------------
// Elastic deformation

/** Mirror a continuous coordinate into [0, n−1] (reflect about the edge pixel centres). */
function reflect(p: number, n: number): number {
  if (n === 1) return 0;
  const period = 2 * (n - 1);
  let q = p % period;
  if (q < 0) q += period;
  return q > n - 1 ? period - q : q;
}

/**
 * Elastic deformation (Simard-style): two fields of white Gaussian noise, Gaussian-smoothed with `sigma` px (generated
 * on a padded domain so the field is stationary up to the border), scaled so the RMS displacement length is exactly `alpha` px; the image is resampled (bicubic) at
 * (x + ux, y + uy), positions outside the image are reflected inside. Same size as the input; alpha = 0 is identity.
 */
export function elastic(img: RGBImage, alpha: number, seed: number, sigma = 16): RGBImage {
  checkImage(img);
  requireFinite('elastic alpha', alpha);
  requireFinite('elastic sigma', sigma);
  if (alpha < 0 || sigma <= 0) throw new UsageError(`elastic needs alpha >= 0 and sigma > 0, got ${alpha}, ${sigma}`);
  if (alpha === 0) return { data: Uint8Array.from(img.data), width: img.width, height: img.height };
  const { width: W, height: H } = img;
  const rng = createRng(seed);
  // Noise on a domain padded by the kernel radius, cropped after smoothing: the field is then stationary (edge
  // replication of raw white noise would give the border pixels a far larger variance than the interior).
  const pad = Math.ceil(3 * sigma);
  const PW = W + 2 * pad;
  const PH = H + 2 * pad;
  const noise = new Float64Array(PW * PH * 2);
  for (let i = 0; i < noise.length; i++) noise[i] = rng.normal();
  const padded = gaussianBlurFloat(noise, PW, PH, 2, sigma);
  const field = new Float64Array(W * H * 2);
  for (let y = 0; y < H; y++) {
    const src = ((y + pad) * PW + pad) * 2;
    field.set(padded.subarray(src, src + 2 * W), y * W * 2);
  }
  let sq = 0;
  for (let i = 0; i < field.length; i++) sq += field[i] * field[i];
  const rms = Math.sqrt(sq / (W * H));
  const k = rms > 0 ? alpha / rms : 0;
  const src: FloatImage = toFloat(img);
  const out = new Float64Array(W * H * 3);
  const px = new Float64Array(3);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const i = y * W + x;
      sampleBicubic(src, reflect(x + k * field[2 * i], W), reflect(y + k * field[2 * i + 1], H), px);
      out.set(px, i * 3);
    }
  }
  return toRGB({ data: out, width: W, height: H });
}

// ---------------------------------------------------------------------------------------------------------------
// Resizing and cropping (new size)

function resize(img: RGBImage, w: number, h: number, kernel: 'cubic' | 'lanczos3'): RGBImage {
  if (w === img.width && h === img.height) return { data: Uint8Array.from(img.data), width: w, height: h };
  return toRGB(resizeFloat(toFloat(img), w, h, kernel));
}

function scaledSize(n: number, s: number, what: string): number {
  requireFinite(what, s);
  if (s <= 0) throw new UsageError(`${what} must be positive, got ${s}`);
  return Math.max(1, Math.round(n * s));
}

/** Isotropic scale by s (new size round(W·s)×round(H·s)); antialiased separable bicubic (a = −0.5). */
export function scale(img: RGBImage, s: number): RGBImage {
  checkImage(img);
  return resize(img, scaledSize(img.width, s, 'scale'), scaledSize(img.height, s, 'scale'), 'cubic');
}

/** Anisotropic scale (new size round(W·sx)×round(H·sy)); antialiased separable bicubic (a = −0.5). */
export function anisotropicScale(img: RGBImage, sx: number, sy: number): RGBImage {
  checkImage(img);
  return resize(img, scaledSize(img.width, sx, 'scale x'), scaledSize(img.height, sy, 'scale y'), 'cubic');
}

/**
 * High-quality antialiased downscale with a separable Lanczos-3 filter widened by the reduction ratio (our own
 * implementation, equivalent in spirit to sharp's lanczos3, but synchronous and version-independent). `factor` is the
 * size ratio; since this always shrinks, 0.5 and 2 both mean half size. The result keeps its smaller size.
 */
export function downscale(img: RGBImage, factor: number): RGBImage {
  checkImage(img);
  requireFinite('downscale factor', factor);
  if (factor <= 0) throw new UsageError(`downscale factor must be positive, got ${factor}`);
  const s = factor > 1 ? 1 / factor : factor;
  return resize(img, scaledSize(img.width, s, 'downscale'), scaledSize(img.height, s, 'downscale'), 'lanczos3');
}

/** Keep the centred fraction f of each side (round(W·f)×round(H·f), origin floor((W−w)/2)). */
export function cropCentre(img: RGBImage, fraction: number): RGBImage {
  checkImage(img);
  requireFinite('crop fraction', fraction);
  if (fraction <= 0 || fraction > 1) throw new UsageError(`crop fraction must be in (0, 1], got ${fraction}`);
  const w = Math.max(1, Math.round(img.width * fraction));
  const h = Math.max(1, Math.round(img.height * fraction));
  return cropWindow(img, Math.floor((img.width - w) / 2), Math.floor((img.height - h) / 2), w, h);
}
