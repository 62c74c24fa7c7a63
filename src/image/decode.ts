/**
 * Image decoding to 8-bit RGB, the platform-neutral part: raw pixels, BMP (our own decoder, bmp.ts) and the input
 * checks; the platform's codec decodes PNG, JPEG, WebP, TIFF, GIF (Node: src/node/decode.ts with sharp/libvips).
 * Semantics are those of the reference pipeline, PIL's `Image.open(f).convert("RGB")`: alpha is dropped (not
 * composited), gray is replicated, no colour management (embedded ICC profiles are ignored), no EXIF rotation.
 *
 * 16-bit samples keep their high byte (v >> 8), which is what PIL does for 16-bit RGB(A) PNGs. (PIL 9 clips
 * 16-bit *gray* PNGs at 255 instead — a known Pillow quirk we deliberately do not reproduce.)
 *
 * CMYK (JPEG, TIFF) is converted with PIL's arithmetic (cmykToRGB), not through an ICC profile: the codec hands over
 * the four ink bands as PIL reads them (CMYK JPEGs with Adobe polarity, i.e. inverted samples, with or without an
 * Adobe marker; TIFF as stored), and an embedded profile is ignored, as everywhere.
 */
import { ImageError, UsageError } from '../errors.js';
import { invalidOption } from '../validate.js';
import { decodeBmp } from './bmp.js';
import type { ImageInput, RawImage, RGBImage } from './types.js';

/** Largest image accepted (pixels); well above 8K (33 MP) but guards against decompression bombs. */
export const MAX_PIXELS = 268_402_689;

export function isRawImage(input: unknown): input is RawImage {
  return typeof input === 'object' && input !== null && !(input instanceof Uint8Array) && 'channels' in input;
}

/** The pixel count, after checking that `data` holds width × height × channels samples. */
function checkSamples(data: ArrayLike<number>, width: number, height: number, channels: number, name: string): number {
  const n = width * height;
  if (data.length !== n * channels) {
    throw new ImageError(`${name}: ${data.length} bytes do not match ${width}×${height}×${channels}`, {
      code: 'IMAGE_UNREADABLE',
      expected: n * channels,
      actual: data.length,
    });
  }
  return n;
}

/** Expand 1–4 interleaved channels to RGB (alpha dropped, gray replicated). */
export function toRGB(
  data: ArrayLike<number>,
  width: number,
  height: number,
  channels: number,
  name = 'image',
): RGBImage {
  const n = checkSamples(data, width, height, channels, name);
  if (channels === 3 && data instanceof Uint8Array) return { data, width, height };
  const out = new Uint8Array(n * 3);
  if (channels <= 2) {
    for (let i = 0; i < n; i++) {
      const v = data[i * channels];
      out[3 * i] = v;
      out[3 * i + 1] = v;
      out[3 * i + 2] = v;
    }
  } else {
    for (let i = 0; i < n; i++) {
      out[3 * i] = data[i * channels];
      out[3 * i + 1] = data[i * channels + 1];
      out[3 * i + 2] = data[i * channels + 2];
    }
  }
  return { data: out, width, height };
}

/** x·y/255 rounded, in PIL's integers (ImagingUtils.h MULDIV255). */
function mulDiv255(x: number, y: number): number {
  const t = x * y + 128;
  return ((t >> 8) + t) >> 8;
}

/**
 * CMYK ink bands (4 or more interleaved 8-bit channels; any beyond the fourth, e.g. alpha, dropped) to RGB, as PIL
 * 9.4's `convert("RGB")` computes it (Convert.c cmyk2rgb): with nk = 255 − k, r = nk − c·nk/255 (and g from m, b
 * from y), in PIL's integer rounding. No colour management: this is what the reference pipeline sees, not what a
 * press would print.
 */
export function cmykToRGB(
  data: ArrayLike<number>,
  width: number,
  height: number,
  channels: number,
  name = 'image',
): RGBImage {
  const n = checkSamples(data, width, height, Math.max(channels, 4), name);
  const out = new Uint8Array(n * 3);
  for (let i = 0, o = 0; i < n * channels; i += channels, o += 3) {
    const nk = 255 - data[i + 3];
    out[o] = nk - mulDiv255(data[i], nk);
    out[o + 1] = nk - mulDiv255(data[i + 1], nk);
    out[o + 2] = nk - mulDiv255(data[i + 2], nk);
  }
  return { data: out, width, height };
}

/** Raw pixels (1–4 interleaved 8-bit channels) to RGB, after checking the object. */
export function rawToRGB(raw: RawImage): RGBImage {
  const { width, height, channels } = raw;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new UsageError(`raw image: width and height must be positive integers, got ${width}×${height}`, {
      expected: 'positive integers',
      actual: [width, height],
    });
  }
  if (![1, 2, 3, 4].includes(channels)) throw invalidOption('raw image channels', '1, 2, 3 or 4', channels);
  if (!(raw.data instanceof Uint8Array || raw.data instanceof Uint8ClampedArray)) {
    throw invalidOption('raw image data', 'a Uint8Array or Uint8ClampedArray of 8-bit samples', raw.data);
  }
  const data =
    raw.data instanceof Uint8ClampedArray
      ? new Uint8Array(raw.data.buffer, raw.data.byteOffset, raw.data.length)
      : raw.data;
  return toRGB(data, width, height, channels, 'raw image');
}

export function isBmp(bytes: Uint8Array): boolean {
  return bytes.length >= 26 && bytes[0] === 0x42 && bytes[1] === 0x4d;
}

/** What a platform supplies to decode inputs: reading a location (path, URL) and decoding non-BMP bytes. */
export interface ImageCodec {
  /** Decode encoded bytes of any format other than BMP (PNG, JPEG, WebP, TIFF, GIF, …). */
  decodeEncoded(bytes: Uint8Array, name: string): Promise<RGBImage>;
  /** Read a location (a path string or a URL) to bytes; absent when the platform has no such notion. */
  read?(location: string | URL): Promise<Uint8Array>;
}

/** Decode encoded bytes (any supported format) to 8-bit RGB. */
export async function decodeEncodedWith(codec: ImageCodec, bytes: Uint8Array, name = '<buffer>'): Promise<RGBImage> {
  if (bytes.length === 0)
    throw new ImageError(`cannot decode image ${name}: the file is empty`, { code: 'IMAGE_UNREADABLE', path: name });
  return isBmp(bytes) ? decodeBmp(bytes, name) : codec.decodeEncoded(bytes, name);
}

const INPUT_KINDS = 'a path, a file: URL, a Uint8Array/Buffer of encoded bytes or {data, width, height, channels}';

/** Throw a UsageError naming `what` unless `input` has one of the ImageInput shapes (contents are checked later). */
export function checkImageInput(input: unknown, what = 'image'): asserts input is ImageInput {
  if (typeof input === 'string' || input instanceof URL || input instanceof Uint8Array || isRawImage(input)) return;
  throw invalidOption(what, INPUT_KINDS, input);
}

/** Decode any ImageInput with a platform codec: locations are read, bytes decoded, raw pixels converted. */
export async function decodeWith(codec: ImageCodec, input: ImageInput, what = 'image'): Promise<RGBImage> {
  if (typeof input === 'string' || input instanceof URL) {
    if (!codec.read)
      throw new UsageError(`this platform cannot read ${what} from a location; pass bytes or raw pixels`, {
        code: 'UNSUPPORTED',
      });
    const bytes = await codec.read(input);
    return decodeEncodedWith(codec, bytes, String(input));
  }
  if (input instanceof Uint8Array) return decodeEncodedWith(codec, input);
  if (isRawImage(input)) return rawToRGB(input);
  throw invalidOption(what, INPUT_KINDS, input);
}
