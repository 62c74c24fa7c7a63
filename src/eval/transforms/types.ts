import type { RGBImage } from '../../image/types.js';

/**
 * What a catalogue transform produces: the image pair to score. For most transforms `reference` is the input image
 * itself; transforms that must crop to avoid undefined borders (shift, sub-pixel shift, rotation, perspective) crop
 * the reference to the same window so the pair stays pixel-aligned apart from the geometric change.
 */
export interface TransformedPair {
  readonly reference: RGBImage;
  readonly test: RGBImage;
}

export type TransformKind = 'geometric' | 'photometric';

export interface TransformSpec {
  readonly kind: TransformKind;
  /** One line for reports, e.g. "rotation about the centre, crop to the largest valid rectangle". */
  readonly description: string;
  /** Unit of the magnitude, e.g. "px", "deg", "quality". */
  readonly unit: string;
  /** Graded magnitudes, mildest first. */
  readonly magnitudes: readonly number[];
  /** Deterministic for a given (image, magnitude, seed). */
  apply(image: RGBImage, magnitude: number, seed: number): Promise<TransformedPair>;
}
