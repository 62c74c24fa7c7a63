import { UsageError } from '../errors.js';

/**
 * Parameters of Graph-Based Visual Saliency (Harel, Koch, Perona, NIPS 2006), named and defaulted as in the
 * reference MATLAB package `gbvs` (J. Harel, `makeGBVSParams.m`, last revised 2008). Only the parameters that
 * influence a still-image GBVS map are carried; video (flicker/motion) and Itti-Koch parameters are omitted.
 */
export interface GbvsParams {
  /**
   * Larger side, in nodes, of the lattice on which the Markov chains run ("salmapmaxsize", default 32).
   * The lattice is `round([h w] * salmapmaxsize / max(h, w))`; the reference warns against values above ~60
   * (the dense chain costs O(nodes²) memory and time).
   */
  salmapmaxsize: number;
  /**
   * Final blur of the master map ("blurfrac", default 0.02): Gaussian standard deviation as a fraction of the
   * lattice's larger side, kernel truncated at round(2·sigma) taps each side. 0 turns it off.
   */
  blurfrac: number;
  /**
   * Feature channels as a string of letters ("channels", default 'DIO'):
   * D = DKL colour (3 maps: luminance, two chromatic axes), I = intensity max(R,G,B),
   * O = Gabor orientation energy (one map per angle), C = Itti-Koch colour (blue-yellow, red-green).
   * The reference's R (contrast), F (flicker), M (motion) are not implemented.
   */
  channels: string;
  /** Weights of the channels' maps in the master map ("colorWeight", …; all 1 by default, need not sum to 1). */
  featureWeights: { color: number; intensity: number; orientation: number; dklcolor: number };
  /** Gabor angles in degrees, one orientation map each ("gaborangles", default [0 45 90 135]). */
  gaborangles: number[];
  /**
   * Pyramid levels whose feature maps enter the graph ("levels", default [2 3 4]). Level n is the image
   * subsampled n times by 2 (the reference's level 1 = half size is only a pyramid step). Minimum 2, maximum 9.
   */
  levels: number[];
  /**
   * Extra coarser node lattices for a multiresolution graph ("multilevels", default [] = single lattice).
   * Only [] is supported here (the reference also defaults to it).
   */
  multilevels: number[];
  /** Activation chain's Gaussian distance fall-off, as a fraction of the lattice's mean side ("sigma_frac_act", 0.15). */
  sigma_frac_act: number;
  /** Normalisation chain's Gaussian fall-off, same units ("sigma_frac_norm", 0.06); used by normalizationType 2. */
  sigma_frac_norm: number;
  /** Number of normalisation chain passes ("num_norm_iters", default 1); used by normalizationType 2. */
  num_norm_iters: number;
  /**
   * Stopping rule of the power iteration for the equilibrium distribution ("tol", default 1e-4): stop once the
   * L2 norm of the change of the probability vector between two iterations is <= tol.
   */
  tol: number;
  /** Lattice boundary rule for node distances ("cyclic_type", default 2 = non-cyclic; 1 = toroidal). */
  cyclic_type: 1 | 2;
  /**
   * How activation maps are normalised before summation ("normalizationType", default 1):
   * 1 = raise each map to the power 1.5 (the reference's default, "simplest & fastest");
   * 2 = graph-based: equilibrium of a second chain with edge weight Gaussian(sigma_frac_norm) × value at the target.
   * The reference's 3 (Itti-Koch local-maxima normalisation) is not implemented.
   */
  normalizationType: 1 | 2;
  /** Also normalise each channel's summed map ("normalizeTopChannelMaps", default 0 = no). */
  normalizeTopChannelMaps: 0 | 1;
  /**
   * Undo the emergent centre bias with the reference's stored inverse-bias map ("unCenterBias", default 0).
   * Only 0 is supported (the reference's invCenterBias.mat data is not shipped).
   */
  unCenterBias: 0;
}

/** The reference's defaults (makeGBVSParams.m). */
export const DEFAULT_GBVS_PARAMS: Readonly<GbvsParams> = Object.freeze({
  salmapmaxsize: 32,
  blurfrac: 0.02,
  channels: 'DIO',
  featureWeights: Object.freeze({ color: 1, intensity: 1, orientation: 1, dklcolor: 1 }),
  gaborangles: Object.freeze([0, 45, 90, 135]) as unknown as number[],
  levels: Object.freeze([2, 3, 4]) as unknown as number[],
  multilevels: Object.freeze([]) as unknown as number[],
  sigma_frac_act: 0.15,
  sigma_frac_norm: 0.06,
  num_norm_iters: 1,
  tol: 1e-4,
  cyclic_type: 2,
  normalizationType: 1,
  normalizeTopChannelMaps: 0,
  unCenterBias: 0,
});

/** Merge user options over the defaults and reject values the implementation cannot honour. */
export function resolveGbvsParams(options: Partial<GbvsParams> = {}): GbvsParams {
  const p: GbvsParams = {
    ...DEFAULT_GBVS_PARAMS,
    ...options,
    featureWeights: { ...DEFAULT_GBVS_PARAMS.featureWeights, ...(options.featureWeights ?? {}) },
    gaborangles: [...(options.gaborangles ?? DEFAULT_GBVS_PARAMS.gaborangles)],
    levels: [...(options.levels ?? DEFAULT_GBVS_PARAMS.levels)],
    multilevels: [...(options.multilevels ?? DEFAULT_GBVS_PARAMS.multilevels)],
  };
  const positive = (name: string, v: number): void => {
    if (!Number.isFinite(v) || v <= 0) throw new UsageError(`gbvs: ${name} must be a positive number, got ${v}`);
  };
  if (!Number.isInteger(p.salmapmaxsize) || p.salmapmaxsize < 2 || p.salmapmaxsize > 128) {
    throw new UsageError(`gbvs: salmapmaxsize must be an integer in [2, 128], got ${p.salmapmaxsize}`);
  }
  if (!Number.isFinite(p.blurfrac) || p.blurfrac < 0)
    throw new UsageError(`gbvs: blurfrac must be >= 0, got ${p.blurfrac}`);
  positive('sigma_frac_act', p.sigma_frac_act);
  positive('sigma_frac_norm', p.sigma_frac_norm);
  positive('tol', p.tol);
  if (!Number.isInteger(p.num_norm_iters) || p.num_norm_iters < 1) {
    throw new UsageError(`gbvs: num_norm_iters must be a positive integer, got ${p.num_norm_iters}`);
  }
  if (p.channels.length === 0 || /[^CDIO]/.test(p.channels)) {
    throw new UsageError(`gbvs: channels must be a non-empty combination of C, D, I, O, got '${p.channels}'`);
  }
  for (const [k, v] of Object.entries(p.featureWeights)) {
    if (!Number.isFinite(v) || v < 0) throw new UsageError(`gbvs: featureWeights.${k} must be >= 0, got ${v}`);
  }
  if (p.channels.includes('O') && p.gaborangles.length === 0) throw new UsageError('gbvs: gaborangles is empty');
  for (const a of p.gaborangles) if (!Number.isFinite(a)) throw new UsageError(`gbvs: bad gabor angle ${a}`);
  // The reference drops levels below 2 (level 1 only seeds the pyramid).
  p.levels = p.levels.filter((l) => l > 1);
  if (p.levels.length === 0 || p.levels.some((l) => !Number.isInteger(l) || l > 9)) {
    throw new UsageError(`gbvs: levels must be integers in [2, 9], got [${options.levels ?? ''}]`);
  }
  if (p.multilevels.length > 0) throw new UsageError('gbvs: multilevels other than [] are not supported');
  if (p.cyclic_type !== 1 && p.cyclic_type !== 2) throw new UsageError(`gbvs: cyclic_type must be 1 or 2`);
  if (p.normalizationType !== 1 && p.normalizationType !== 2) {
    throw new UsageError(`gbvs: normalizationType must be 1 or 2 (3 is not implemented)`);
  }
  if (p.normalizeTopChannelMaps !== 0 && p.normalizeTopChannelMaps !== 1) {
    throw new UsageError('gbvs: normalizeTopChannelMaps must be 0 or 1');
  }
  if (p.unCenterBias !== 0) throw new UsageError('gbvs: unCenterBias is not supported (needs the reference data)');
  return p;
}
