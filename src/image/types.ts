/** Interleaved 8-bit RGB pixels, row-major, `data.length === width * height * 3`. */
export interface RGBImage {
  readonly data: Uint8Array;
  readonly width: number;
  readonly height: number;
}

/** Raw pixels a caller may pass in: 1 (gray), 2 (gray+alpha), 3 (RGB) or 4 (RGBA) interleaved 8-bit channels. */
export interface RawImage {
  readonly data: Uint8Array | Uint8ClampedArray;
  readonly width: number;
  readonly height: number;
  readonly channels: 1 | 2 | 3 | 4;
}

/**
 * Anything the library accepts as an image: a location (a file path or a `file:` URL on Node; what the platform can
 * read elsewhere), encoded bytes (a Node Buffer is a Uint8Array), or raw pixels.
 */
export type ImageInput = string | URL | Uint8Array | RawImage;
