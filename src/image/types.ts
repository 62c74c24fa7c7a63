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

/** Anything the library accepts as an image: a file path, encoded bytes, or raw pixels. */
export type ImageInput = string | Buffer | Uint8Array | RawImage;
