/**
 * Image decoding on Node: files and `file:` URLs read with node:fs, encoded bytes decoded by sharp (libvips). The
 * only module of the project that imports sharp. Semantics: see src/image/decode.ts.
 */
import { readFile, stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { ImageError, LimitError, quote, UsageError } from '../errors.js';
import { checkDecompressionRatio } from '../image/bomb.js';
import { MAX_IMAGE_FILE_BYTES } from '../limits.js';
import { cmykToRGB, decodeEncodedWith, decodeWith, MAX_PIXELS, toRGB, type ImageCodec } from '../image/decode.js';
import type { ImageInput, RGBImage } from '../image/types.js';

async function decodeWithSharp(bytes: Uint8Array, name: string): Promise<RGBImage> {
  try {
    const img = sharp(bytes, { ignoreIcc: true, autoOrient: false, failOn: 'error', limitInputPixels: MAX_PIXELS });
    const meta = await img.metadata();
    checkDecompressionRatio(meta.width ?? 0, meta.height ?? 0, bytes.length, name);
    if (meta.space === 'cmyk') {
      // Keep libvips in CMYK (no conversion through its built-in or the embedded profile) and take the four ink
      // bands as PIL reads them: libvips, like PIL, reads CMYK JPEGs with Adobe polarity (inverted samples) with or
      // without the Adobe marker, and TIFF as stored (test/decode.test.ts checks both against PIL's pixels).
      const { data, info } = await img
        .pipelineColourspace('cmyk')
        .toColourspace('cmyk')
        .raw()
        .toBuffer({ resolveWithObject: true });
      return cmykToRGB(data, info.width, info.height, info.channels, name);
    }
    // libvips reduces 16-bit samples to 8 bits by keeping the high byte, as PIL does for 16-bit RGB PNGs.
    const { data, info } = await img.raw().toBuffer({ resolveWithObject: true });
    return toRGB(
      new Uint8Array(data.buffer, data.byteOffset, data.length),
      info.width,
      info.height,
      info.channels,
      name,
    );
  } catch (err) {
    if (err instanceof ImageError || err instanceof LimitError) throw err;
    const msg = (err as Error).message.split('\n')[0];
    const tooLarge = /pixel limit/i.test(msg);
    throw new ImageError(`cannot decode image ${name}: ${msg}`, {
      code: tooLarge ? 'IMAGE_TOO_LARGE' : 'IMAGE_UNREADABLE',
      path: name,
      ...(tooLarge ? { limit: 'MAX_PIXELS' } : {}),
      cause: err,
    });
  }
}

async function readLocation(location: string | URL): Promise<Uint8Array> {
  let path: string;
  if (location instanceof URL) {
    if (location.protocol !== 'file:') {
      throw new UsageError(
        `cannot read image ${quote(location.href)}: only file: URLs are read (fetch other URLs and pass the bytes)`,
        {
          code: 'UNSUPPORTED',
          url: location.href,
        },
      );
    }
    path = fileURLToPath(location);
  } else {
    path = location;
  }
  try {
    // Regular files only, of bounded size (a device or FIFO would never end).
    const st = await stat(path);
    if (st.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    if (!st.isFile())
      throw new ImageError(`cannot read image ${path}: not a regular file`, { code: 'IMAGE_UNREADABLE', path });
    if (st.size > MAX_IMAGE_FILE_BYTES) {
      throw new LimitError(
        `image ${path} is ${st.size} bytes, more than the limit of ${MAX_IMAGE_FILE_BYTES} (MAX_IMAGE_FILE_BYTES)`,
        {
          limit: 'MAX_IMAGE_FILE_BYTES',
          path,
        },
      );
    }
    return await readFile(path);
  } catch (err) {
    if (err instanceof ImageError || err instanceof LimitError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    const missing = code === 'ENOENT' || code === 'EISDIR' || code === 'ENOTDIR';
    const why =
      code === 'ENOENT' || code === 'ENOTDIR'
        ? 'no such file'
        : code === 'EISDIR'
          ? 'is a directory'
          : (err as Error).message;
    throw new ImageError(`cannot read image ${path}: ${why}`, {
      code: missing ? 'IMAGE_NOT_FOUND' : 'IMAGE_UNREADABLE',
      path,
      cause: err,
    });
  }
}

export const nodeCodec: ImageCodec = { decodeEncoded: decodeWithSharp, read: readLocation };

/** Decode encoded bytes (any supported format) to 8-bit RGB. */
export function decodeBytes(bytes: Uint8Array, name = '<buffer>'): Promise<RGBImage> {
  return decodeEncodedWith(nodeCodec, bytes, name);
}

/** Decode a path, `file:` URL, encoded Buffer/Uint8Array or raw pixel object to 8-bit RGB. */
export function decodeImage(input: ImageInput): Promise<RGBImage> {
  return decodeWith(nodeCodec, input);
}

/** Encode 8-bit RGB pixels as PNG (for written maps and diff images). */
export async function encodePng(img: RGBImage): Promise<Uint8Array> {
  const png = await sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } })
    .png()
    .toBuffer();
  return new Uint8Array(png.buffer, png.byteOffset, png.length);
}

/** Encode 8-bit gray pixels as an 8-bit single-channel gray PNG (colour type 0). */
export async function encodeGrayPng(data: Uint8Array, width: number, height: number): Promise<Uint8Array> {
  // Without an explicit b-w colourspace libvips may write a one-band image as RGB.
  const png = await sharp(data, { raw: { width, height, channels: 1 } })
    .toColourspace('b-w')
    .png()
    .toBuffer();
  return new Uint8Array(png.buffer, png.byteOffset, png.length);
}

/** JPEG round trip (encode at `quality`, decode back) for the evaluation transforms; same size as the input. */
export async function jpegRoundTrip(
  img: RGBImage,
  quality: number,
  chromaSubsampling: '4:2:0' | '4:4:4',
): Promise<RGBImage> {
  const encoded = await sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } })
    .jpeg({ quality, mozjpeg: false, chromaSubsampling })
    .toBuffer();
  const { data, info } = await sharp(encoded)
    .removeAlpha()
    .toColourspace('srgb')
    .raw()
    .toBuffer({ resolveWithObject: true });
  if (info.channels !== 3 || info.width !== img.width || info.height !== img.height) {
    throw new ImageError(`JPEG round trip returned ${info.width}x${info.height}x${info.channels}`);
  }
  return {
    data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
    width: info.width,
    height: info.height,
  };
}
