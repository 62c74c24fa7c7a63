import { UsageError } from '../errors.js';
import type { RGBImage } from '../image/types.js';

/** Pixel-aligned metrics need identical sizes; never resize silently. */
export function assertSameSize(name: string, a: RGBImage, b: RGBImage): void {
  if (a.width !== b.width || a.height !== b.height) {
    throw new UsageError(`${name}: images differ in size (${a.width}×${a.height} vs ${b.width}×${b.height})`);
  }
}
