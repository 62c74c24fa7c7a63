import { ImageError } from '../errors.js';
import type { RGBImage } from '../image/types.js';
import { featureMaps } from './features.js';
import { attenuateBordersInPlace, makeMap, mat2grayInPlace, type Map2D } from './map.js';
import { activationChain, ChainWorkspace, massChain } from './markov.js';
import { resolveGbvsParams, type GbvsParams } from './params.js';
import { imresizeBicubic } from './resize.js';
import type { SaliencyMap } from './types.js';
import { gaussianKernel } from '../util/gaussian.js';

export type { SaliencyMap } from './types.js';
export { DEFAULT_GBVS_PARAMS, type GbvsParams } from './params.js';
export { quantizeSaliency, saliencyToMask } from './mask.js';

/** Everything `gbvs` computed, for diagnostics and tests. */
export interface GbvsResult {
  /** Full-resolution map in [0,1] (what `gbvs` returns). */
  map: SaliencyMap;
  /** The lattice-size master map in [0,1] (the reference's out.master_map). */
  master: SaliencyMap;
  /** Power iterations used by each activation chain, in channel/type/level order. */
  iterations: number[];
  /** Pyramid levels actually used (levels past a truncated pyramid are dropped). */
  levels: number[];
}

/**
 * Graph-Based Visual Saliency map of an 8-bit RGB image, following the reference MATLAB `gbvs` (J. Harel):
 *  1. feature maps: the image is low-pass subsampled by 2 repeatedly; at each of `levels` the channels
 *     (default DKL colour ×3, intensity, Gabor orientation ×4) are computed and each map is resized
 *     (MATLAB bicubic, antialiased) to a lattice whose larger side is `salmapmaxsize` nodes;
 *  2. activation: per map, equilibrium of a Markov chain with weights Dw(i,j)·|M(i)-M(j)|;
 *  3. normalisation: activation^1.5 (normalizationType 1) or a second, mass-concentrating chain (2);
 *  4. maps summed within each channel, channels summed with their weights;
 *  5. border attenuation (4 nodes), rescale to [0,1], Gaussian blur (`blurfrac`), rescale;
 *  6. bicubic resize to the image size and a final rescale to [0,1].
 * Differences from the reference: images smaller than 128×128 are accepted (the reference refuses them);
 * a feature map that is constant (relative range <= 1e-10) yields a uniform activation map (the reference's
 * NaN fallback gives the same); a constant master map yields an all-zero output instead of NaN.
 * Consequently a constant image gives the border-attenuation profile (1 inside, falling to ~0 at the edges).
 */
export function gbvsDetailed(image: RGBImage, options: Partial<GbvsParams> = {}): GbvsResult {
  const { width: W, height: H, data } = image;
  if (!Number.isInteger(W) || !Number.isInteger(H) || W < 1 || H < 1) {
    throw new ImageError(`gbvs: image size must be at least 1x1, got ${W}x${H}`);
  }
  if (data.length !== W * H * 3) throw new ImageError(`gbvs: expected ${W * H * 3} RGB bytes, got ${data.length}`);
  const p = resolveGbvsParams(options);

  const scale = p.salmapmaxsize / Math.max(W, H);
  const lh = Math.max(1, Math.round(H * scale));
  const lw = Math.max(1, Math.round(W * scale));

  const { channels, levels } = featureMaps(image, p, lh, lw);
  const ws = new ChainWorkspace();
  const iterations: number[] = [];
  const normalize = (m: Map2D): Map2D => {
    if (p.normalizationType === 1) {
      const out = makeMap(m.h, m.w);
      for (let i = 0; i < m.data.length; i++) out.data[i] = Math.pow(m.data[i], 1.5);
      return out;
    }
    return massChain(m, p.sigma_frac_norm, p.cyclic_type, p.tol, p.num_norm_iters).map;
  };

  const master = makeMap(lh, lw);
  for (const ch of channels) {
    let cmap = makeMap(lh, lw);
    for (const fm of ch.maps) {
      const act = activationChain(fm, p.sigma_frac_act, p.cyclic_type, p.tol, ws);
      iterations.push(act.iterations);
      const n = normalize(act.map);
      for (let i = 0; i < n.data.length; i++) cmap.data[i] += n.data[i];
    }
    if (p.normalizeTopChannelMaps) cmap = normalize(cmap);
    for (let i = 0; i < cmap.data.length; i++) master.data[i] += cmap.data[i] * ch.weight;
  }

  attenuateBordersInPlace(master, 4);
  mat2grayInPlace(master);
  if (p.blurfrac > 0) {
    blurInPlace(master, Math.max(lh, lw) * p.blurfrac);
    mat2grayInPlace(master);
  }
  const full = mat2grayInPlace(imresizeBicubic(master, H, W));
  return {
    map: { data: Float32Array.from(full.data), width: W, height: H },
    master: { data: Float32Array.from(master.data), width: lw, height: lh },
    iterations,
    levels,
  };
}

/** GBVS saliency map, same size as the image, values in [0,1] (max 1 unless all zero). See gbvsDetailed. */
export function gbvs(image: RGBImage, options: Partial<GbvsParams> = {}): SaliencyMap {
  return gbvsDetailed(image, options).map;
}

/**
 * The reference's final blur: separable Gaussian (its mygausskernel(std, 2): taps out to round(2·std), normalised
 * to sum 1) applied along x then y with replicate borders (its myconv2).
 */
function blurInPlace(m: Map2D, std: number): void {
  const maxi = Math.round(std * 2);
  if (maxi < 1) return;
  // (The reference's 1/(std·√2π) factor cancels in the normalisation.)
  const k = gaussianKernel(std, maxi);
  const { h, w, data } = m;
  const tmp = new Float64Array(h * w);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let acc = 0;
      for (let t = -maxi; t <= maxi; t++) {
        const xx = Math.min(w - 1, Math.max(0, x + t));
        acc += k[t + maxi] * data[y * w + xx];
      }
      tmp[y * w + x] = acc;
    }
  }
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let acc = 0;
      for (let t = -maxi; t <= maxi; t++) {
        const yy = Math.min(h - 1, Math.max(0, y + t));
        acc += k[t + maxi] * tmp[yy * w + x];
      }
      data[y * w + x] = acc;
    }
  }
}
