/**
 * Test-image transforms for the robustness suite: the catalogue plus the single transforms used elsewhere.
 * Implementation lives in ./transforms/*.ts; every transform is a deterministic function of (image, magnitude, seed),
 * works in float64 and rounds once. Resampling and border policies are documented in transforms/geometric.ts and
 * transforms/photometric.ts.
 */
import type { RGBImage } from '../image/types.js';
import {
  anisotropicScale,
  cropCentre,
  elastic,
  perspectivePair,
  rotatePair,
  scale,
  subpixelShift,
  translate,
} from './transforms/geometric.js';
import { ImageError, UsageError } from '../errors.js';
import { jpegRoundTrip } from '../node/decode.js';
import { checkImage } from './transforms/float-image.js';
import { gaussianBlur, gaussianNoise } from './transforms/photometric.js';
import type { TransformSpec, TransformedPair } from './transforms/types.js';

export type { TransformKind, TransformSpec, TransformedPair } from './transforms/types.js';
export {
  anisotropicScale,
  cropCentre,
  downscale,
  elastic,
  maxInscribedRect,
  perspective,
  perspectivePair,
  rotate,
  rotatePair,
  scale,
  shiftCrop,
  subpixelShift,
  translate,
} from './transforms/geometric.js';
export { gaussianBlur, gaussianNoise } from './transforms/photometric.js';

export interface JpegOptions {
  chromaSubsampling?: '4:2:0' | '4:4:4';
}

/**
 * JPEG round trip at quality q (1..100): sharp/libjpeg-turbo baseline encoder, mozjpeg OFF (plain libjpeg
 * quantisation tables scaled by quality), 4:2:0 chroma subsampling by default, decoded back with sharp; same size.
 * (Here, not in transforms/photometric.ts, because it needs the Node codec.)
 */
export async function jpeg(img: RGBImage, quality: number, options: JpegOptions = {}): Promise<RGBImage> {
  checkImage(img);
  if (!Number.isInteger(quality) || quality < 1 || quality > 100) {
    throw new UsageError(`JPEG quality must be an integer in 1..100, got ${quality}`);
  }
  try {
    return await jpegRoundTrip(img, quality, options.chromaSubsampling ?? '4:2:0');
  } catch (err) {
    if (err instanceof ImageError) throw err;
    throw new ImageError(`JPEG round trip failed: ${(err as Error).message}`, { cause: err });
  }
}
export { createRng, mixSeed, type Rng } from './transforms/random.js';

/** Smoothing scale (px) of the elastic displacement field used by the catalogue. */
export const ELASTIC_SIGMA = 16;

const withReference = (reference: RGBImage, test: RGBImage): TransformedPair => ({ reference, test });

/**
 * The graded transform catalogue, magnitudes mildest first. Geometric entries that crop (shift, subpixel-shift,
 * rotation, perspective) return an aligned, equally cropped reference; the others return the input as reference.
 */
export const TRANSFORMS: Readonly<Record<string, TransformSpec>> = Object.freeze({
  shift: {
    kind: 'geometric',
    description: 'horizontal integer shift by cropping (test window offset by m px, both W−m wide)',
    unit: 'px',
    magnitudes: [1, 2, 4, 8],
    apply: async (img, m) => translate(img, m, 0),
  },
  'subpixel-shift': {
    kind: 'geometric',
    description: 'horizontal bicubic sub-pixel shift, both images cropped by a ceil(m)+2 px margin',
    unit: 'px',
    magnitudes: [0.25, 0.5, 1.5],
    apply: async (img, m) => subpixelShift(img, m, 0),
  },
  rotation: {
    kind: 'geometric',
    description: 'counter-clockwise bicubic rotation, both images cropped to the largest valid centred rectangle',
    unit: 'deg',
    magnitudes: [0.5, 1, 2, 4],
    apply: async (img, m) => rotatePair(img, m),
  },
  scale: {
    kind: 'geometric',
    description: 'isotropic antialiased bicubic rescale; the test keeps its new size',
    unit: 'factor',
    magnitudes: [0.98, 0.95, 0.9, 0.8],
    apply: async (img, m) => withReference(img, scale(img, m)),
  },
  resize: {
    kind: 'geometric',
    description:
      'real size change (down- and up-scaling, e.g. a super-resolved copy): isotropic antialiased bicubic rescale by m, ' +
      'the test keeps its new size; ordered mildest first by |log m|',
    unit: 'factor',
    magnitudes: [0.75, 1.5, 0.5, 2],
    apply: async (img, m) => withReference(img, scale(img, m)),
  },
  'aniso-scale': {
    kind: 'geometric',
    description: 'anisotropic rescale with sx = 1, sy = m; the test keeps its new size',
    unit: 'sy',
    magnitudes: [0.95, 0.9, 0.8],
    apply: async (img, m) => withReference(img, anisotropicScale(img, 1, m)),
  },
  perspective: {
    kind: 'geometric',
    description: 'seeded perspective warp, corners moved m·size, both images cropped to the valid centred rectangle',
    unit: 'fraction',
    magnitudes: [0.01, 0.02, 0.04],
    apply: async (img, m, seed) => perspectivePair(img, m, seed),
  },
  elastic: {
    kind: 'geometric',
    description: `seeded elastic deformation, RMS displacement m px, field smoothed with σ = ${ELASTIC_SIGMA} px`,
    unit: 'px',
    magnitudes: [1, 2, 4],
    apply: async (img, m, seed) => withReference(img, elastic(img, m, seed, ELASTIC_SIGMA)),
  },
  crop: {
    kind: 'geometric',
    description: 'keep the centred fraction m of each side; the test keeps its new size',
    unit: 'fraction',
    magnitudes: [0.98, 0.95, 0.9],
    apply: async (img, m) => withReference(img, cropCentre(img, m)),
  },
  jpeg: {
    kind: 'photometric',
    description: 'JPEG round trip through sharp (libjpeg-turbo, mozjpeg off, 4:2:0)',
    unit: 'quality',
    magnitudes: [50, 30, 15, 10, 5],
    apply: async (img, m) => withReference(img, await jpeg(img, m)),
  },
  blur: {
    kind: 'photometric',
    description: 'separable Gaussian blur, radius ceil(3σ), edge replicate',
    unit: 'σ px',
    magnitudes: [0.5, 1, 2, 3],
    apply: async (img, m) => withReference(img, gaussianBlur(img, m)),
  },
  noise: {
    kind: 'photometric',
    description: 'seeded additive white Gaussian noise, rounded and clipped to [0, 255]',
    unit: 'σ (0–255)',
    magnitudes: [2, 5, 10, 20],
    apply: async (img, m, seed) => withReference(img, gaussianNoise(img, m, seed)),
  },
} satisfies Record<string, TransformSpec>);
