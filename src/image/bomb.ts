import { LimitError } from '../errors.js';
import { IMAGE_BOMB_MIN_PIXELS, IMAGE_MAX_PIXELS_PER_BYTE } from '../limits.js';

/**
 * Refuse an encoded image whose header declares far more pixels than its file size can plausibly encode (a
 * decompression bomb), before it is decoded. See IMAGE_BOMB_MIN_PIXELS / IMAGE_MAX_PIXELS_PER_BYTE.
 */
export function checkDecompressionRatio(width: number, height: number, fileBytes: number, name: string): void {
  const pixels = width * height;
  if (pixels > IMAGE_BOMB_MIN_PIXELS && pixels > fileBytes * IMAGE_MAX_PIXELS_PER_BYTE) {
    throw new LimitError(
      `image ${name} declares ${width}×${height} pixels in ${fileBytes} bytes (${Math.round(pixels / Math.max(1, fileBytes))} pixels per byte, limit ${IMAGE_MAX_PIXELS_PER_BYTE} above ${IMAGE_BOMB_MIN_PIXELS} pixels): refused as a likely decompression bomb (IMAGE_MAX_PIXELS_PER_BYTE)`,
      { limit: 'IMAGE_MAX_PIXELS_PER_BYTE', code: 'LIMIT_EXCEEDED' },
    );
  }
}
