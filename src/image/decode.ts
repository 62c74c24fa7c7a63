/**
 * Image decoding to 8-bit RGB with the semantics of the reference pipeline, PIL's `Image.open(f).convert("RGB")`:
 * alpha is dropped (not composited), gray is replicated, no colour management (embedded ICC profiles are ignored),
 * no EXIF rotation. PNG, JPEG, WebP, TIFF, GIF go through sharp (libvips); BMP, which sharp cannot read, through our own decoder (bmp.ts).
 *
 * 16-bit samples keep their high byte (v >> 8), which is what PIL does for 16-bit RGB(A) PNGs. (PIL 9 clips
 * 16-bit *gray* PNGs at 255 instead — a known Pillow quirk we deliberately do not reproduce.)
 */
import { readFile, stat } from 'node:fs/promises';
import sharp from 'sharp';
import { ImageError, LimitError, UsageError } from '../errors.js';
import { checkDecompressionRatio } from './bomb.js';
import { MAX_IMAGE_FILE_BYTES } from '../limits.js';
import { decodeBmp } from './bmp.js';
import type { ImageInput, RawImage, RGBImage } from './types.js';

/** Largest image accepted (pixels); well above 8K (33 MP) but guards against decompression bombs. */
export const MAX_PIXELS = 268_402_689;

function describe(input: ImageInput): string {
  if (typeof input === 'string') return input;
  if (input instanceof Uint8Array) return `<buffer of ${input.length} bytes>`;
  return `<raw ${input.width}×${input.height}×${input.channels}>`;
}

function isRaw(input: ImageInput): input is RawImage {
  return typeof input === 'object' && !(input instanceof Uint8Array) && 'channels' in input;
}

/** Expand 1–4 interleaved channels to RGB (alpha dropped, gray replicated). */
export function toRGB(data: ArrayLike<number>, width: number, height: number, channels: number, name = 'image'): RGBImage {
  const n = width * height;
  if (data.length !== n * channels) {
    throw new ImageError(`${name}: ${data.length} bytes do not match ${width}×${height}×${channels}`);
  }
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

function fromRaw(raw: RawImage): RGBImage {
  const { width, height, channels } = raw;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new UsageError(`raw image: width and height must be positive integers, got ${width}×${height}`);
  }
  if (![1, 2, 3, 4].includes(channels)) throw new UsageError(`raw image: channels must be 1, 2, 3 or 4, got ${channels}`);
  if (!(raw.data instanceof Uint8Array || raw.data instanceof Uint8ClampedArray)) {
    throw new UsageError('raw image: data must be a Uint8Array or Uint8ClampedArray of 8-bit samples');
  }
  const data = raw.data instanceof Uint8ClampedArray ? new Uint8Array(raw.data.buffer, raw.data.byteOffset, raw.data.length) : raw.data;
  return toRGB(data, width, height, channels, 'raw image');
}

function isBmp(bytes: Uint8Array): boolean {
  return bytes.length >= 26 && bytes[0] === 0x42 && bytes[1] === 0x4d;
}

function decodeBmpBytes(bytes: Uint8Array, name: string): RGBImage {
  return decodeBmp(bytes, name);
}

async function decodeWithSharp(bytes: Uint8Array, name: string): Promise<RGBImage> {
  try {
    const img = sharp(bytes, { ignoreIcc: true, autoOrient: false, failOn: 'error', limitInputPixels: MAX_PIXELS });
    const meta = await img.metadata();
    checkDecompressionRatio(meta.width ?? 0, meta.height ?? 0, bytes.length, name);
    // libvips reduces 16-bit samples to 8 bits by keeping the high byte, as PIL does for 16-bit RGB PNGs.
    const { data, info } = await img.raw().toBuffer({ resolveWithObject: true });
    return toRGB(new Uint8Array(data.buffer, data.byteOffset, data.length), info.width, info.height, info.channels, name);
  } catch (err) {
    if (err instanceof ImageError || err instanceof LimitError) throw err;
    const msg = (err as Error).message.split('\n')[0];
    throw new ImageError(`cannot decode image ${name}: ${msg}`, { cause: err });
  }
}

/** Decode encoded bytes (any supported format) to 8-bit RGB. */
export async function decodeBytes(bytes: Uint8Array, name = '<buffer>'): Promise<RGBImage> {
  if (bytes.length === 0) throw new ImageError(`cannot decode image ${name}: the file is empty`);
  return isBmp(bytes) ? decodeBmpBytes(bytes, name) : decodeWithSharp(bytes, name);
}

/** Decode a path, encoded Buffer/Uint8Array or raw pixel object to 8-bit RGB. */
export async function decodeImage(input: ImageInput): Promise<RGBImage> {
  if (typeof input === 'string') {
    let bytes: Buffer;
    try {
      // Regular files only, of bounded size (a device or FIFO would never end).
      const st = await stat(input);
      if (st.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
      if (!st.isFile()) throw new ImageError(`cannot read image ${input}: not a regular file`);
      if (st.size > MAX_IMAGE_FILE_BYTES) {
        throw new LimitError(`image ${input} is ${st.size} bytes, more than the limit of ${MAX_IMAGE_FILE_BYTES} (MAX_IMAGE_FILE_BYTES)`, { limit: 'MAX_IMAGE_FILE_BYTES' });
      }
      bytes = await readFile(input);
    } catch (err) {
      if (err instanceof ImageError || err instanceof LimitError) throw err;
      const code = (err as NodeJS.ErrnoException).code;
      const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (err as Error).message;
      throw new ImageError(`cannot read image ${input}: ${why}`, { cause: err, ...(code === 'ENOENT' ? { code: 'IMAGE_NOT_FOUND' as const } : {}) });
    }
    return decodeBytes(bytes, input);
  }
  if (input instanceof Uint8Array) return decodeBytes(input);
  if (isRaw(input)) return fromRaw(input);
  throw new UsageError(`unsupported image input ${describe(input)}: pass a path, a Buffer or {data, width, height, channels}`);
}

/** Encode 8-bit RGB pixels as PNG (for written maps and diff images). */
export async function encodePng(img: RGBImage): Promise<Uint8Array> {
  const png = await sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } }).png().toBuffer();
  return new Uint8Array(png.buffer, png.byteOffset, png.length);
}
