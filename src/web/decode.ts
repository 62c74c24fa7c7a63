/// <reference lib="dom" />
/**
 * Image decoding in a browser (window or worker) to 8-bit RGB with the Node path's semantics wherever the browser
 * allows it: no colour-space conversion (`colorSpaceConversion: 'none'`), no premultiplied alpha
 * (`premultiplyAlpha: 'none'`, and a WebGL read-back when an image has transparent pixels, because a 2D canvas stores
 * premultiplied colour), alpha dropped, gray replicated, no EXIF rotation, BMP through the project's own decoder.
 *
 * EXIF rotation: the current HTML spec has no "ignore EXIF" value any more (`imageOrientation` is 'from-image' or
 * 'flipY'; the old 'none' now means 'from-image'), so a JPEG's orientation tag is rewritten to 1 (a copy of the bytes)
 * before the browser sees it. JPEG decoders differ between libjpeg-turbo builds (IDCT, chroma upsampling): those
 * pixels may differ by a few levels from Node's (measured in docs/web.md).
 */
import { ImageError, quote, UsageError } from '../errors.js';
import { decodeEncodedWith, isRawImage, rawToRGB, toRGB, type ImageCodec } from '../image/decode.js';
import type { RawImage, RGBImage } from '../image/types.js';

/** Everything `deepssim/web` accepts as an image. */
export type WebImageInput =
  | string
  | URL
  | Uint8Array
  | ArrayBuffer
  | Blob
  | ImageBitmap
  | ImageData
  | HTMLImageElement
  | HTMLCanvasElement
  | OffscreenCanvas
  | RawImage;

const BITMAP_OPTIONS: ImageBitmapOptions = {
  colorSpaceConversion: 'none',
  premultiplyAlpha: 'none',
  imageOrientation: 'from-image',
};

/** Set a JPEG's EXIF orientation tag to 1 (no rotation) in a copy of the bytes; other bytes are returned as they are. */
export function withoutExifOrientation(bytes: Uint8Array): Uint8Array {
  if (bytes.length < 4 || bytes[0] !== 0xff || bytes[1] !== 0xd8) return bytes;
  let at = 2;
  while (at + 4 <= bytes.length && bytes[at] === 0xff) {
    const marker = bytes[at + 1];
    if (marker === 0xda || marker === 0xd9) break; // start of scan / end of image: no more metadata
    const length = (bytes[at + 2] << 8) | bytes[at + 3];
    const start = at + 4;
    const end = at + 2 + length;
    if (length < 2 || end > bytes.length) break;
    const isExif =
      marker === 0xe1 && end - start >= 14 && String.fromCharCode(...bytes.subarray(start, start + 6)) === 'Exif\0\0';
    if (isExif) {
      const patched = patchTiffOrientation(bytes, start + 6, end);
      if (patched) return patched;
    }
    at = end;
  }
  return bytes;
}

/** In the TIFF block [tiff, end), find IFD0's Orientation (0x0112) and return a copy with it set to 1. */
function patchTiffOrientation(bytes: Uint8Array, tiff: number, end: number): Uint8Array | undefined {
  const little = bytes[tiff] === 0x49 && bytes[tiff + 1] === 0x49;
  if (!little && !(bytes[tiff] === 0x4d && bytes[tiff + 1] === 0x4d)) return undefined;
  const u16 = (p: number): number => (little ? bytes[p] | (bytes[p + 1] << 8) : (bytes[p] << 8) | bytes[p + 1]);
  const u32 = (p: number): number => (little ? u16(p) + u16(p + 2) * 65536 : u16(p) * 65536 + u16(p + 2));
  const ifd = tiff + u32(tiff + 4);
  if (ifd + 2 > end) return undefined;
  const count = u16(ifd);
  for (let i = 0; i < count; i++) {
    const entry = ifd + 2 + 12 * i;
    if (entry + 12 > end) return undefined;
    if (u16(entry) !== 0x0112) continue;
    if (u16(entry + 8) === 1) return undefined;
    const copy = new Uint8Array(bytes); // a copy (a Node Buffer's slice() would be a view)
    copy[entry + 8] = little ? 1 : 0;
    copy[entry + 9] = little ? 0 : 1;
    return copy;
  }
  return undefined;
}

/** A 2D or WebGL-capable canvas of the given size (OffscreenCanvas in workers and modern windows). */
function makeCanvas(width: number, height: number): OffscreenCanvas | HTMLCanvasElement {
  if (typeof OffscreenCanvas === 'function') return new OffscreenCanvas(width, height);
  const c = document.createElement('canvas');
  c.width = width;
  c.height = height;
  return c;
}

/**
 * Unpremultiplied RGBA through WebGL (texture upload without premultiplication or colour conversion, then
 * readPixels); undefined when WebGL is unavailable.
 */
function readBackWebGL(bitmap: ImageBitmap): Uint8Array | undefined {
  const { width, height } = bitmap;
  const canvas = makeCanvas(width, height);
  const gl = canvas.getContext('webgl2', {
    premultipliedAlpha: false,
    antialias: false,
  }) as WebGL2RenderingContext | null;
  if (!gl) return undefined;
  try {
    const texture = gl.createTexture();
    gl.bindTexture(gl.TEXTURE_2D, texture);
    gl.pixelStorei(gl.UNPACK_PREMULTIPLY_ALPHA_WEBGL, false);
    gl.pixelStorei(gl.UNPACK_COLORSPACE_CONVERSION_WEBGL, gl.NONE);
    gl.pixelStorei(gl.UNPACK_FLIP_Y_WEBGL, false);
    gl.texImage2D(gl.TEXTURE_2D, 0, gl.RGBA8, gl.RGBA, gl.UNSIGNED_BYTE, bitmap);
    const fb = gl.createFramebuffer();
    gl.bindFramebuffer(gl.FRAMEBUFFER, fb);
    gl.framebufferTexture2D(gl.FRAMEBUFFER, gl.COLOR_ATTACHMENT0, gl.TEXTURE_2D, texture, 0);
    if (gl.checkFramebufferStatus(gl.FRAMEBUFFER) !== gl.FRAMEBUFFER_COMPLETE) return undefined;
    const out = new Uint8Array(width * height * 4);
    gl.readPixels(0, 0, width, height, gl.RGBA, gl.UNSIGNED_BYTE, out);
    if (gl.getError() !== gl.NO_ERROR) return undefined;
    gl.deleteFramebuffer(fb);
    gl.deleteTexture(texture);
    return out;
  } finally {
    gl.getExtension('WEBGL_lose_context')?.loseContext();
  }
}

/** RGBA pixels of a bitmap, unpremultiplied where the browser allows it. */
function bitmapRGBA(bitmap: ImageBitmap): Uint8Array {
  const { width, height } = bitmap;
  const canvas = makeCanvas(width, height);
  const ctx = canvas.getContext('2d', { willReadFrequently: true }) as
    OffscreenCanvasRenderingContext2D | CanvasRenderingContext2D | null;
  if (!ctx)
    throw new ImageError('cannot read image pixels: no 2D canvas in this context', { code: 'IMAGE_UNREADABLE' });
  ctx.drawImage(bitmap, 0, 0);
  const rgba = ctx.getImageData(0, 0, width, height).data;
  let opaque = true;
  for (let i = 3; i < rgba.length; i += 4) {
    if (rgba[i] !== 255) {
      opaque = false;
      break;
    }
  }
  // A 2D canvas keeps colour premultiplied: where alpha < 255 its RGB lost precision (alpha 0: all lost).
  if (!opaque) return readBackWebGL(bitmap) ?? new Uint8Array(rgba.buffer, rgba.byteOffset, rgba.length);
  return new Uint8Array(rgba.buffer, rgba.byteOffset, rgba.length);
}

function bitmapToRGB(bitmap: ImageBitmap, name: string): RGBImage {
  return toRGB(bitmapRGBA(bitmap), bitmap.width, bitmap.height, 4, name);
}

async function decodeEncodedInBrowser(bytes: Uint8Array, name: string): Promise<RGBImage> {
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(
      new Blob([withoutExifOrientation(bytes) as Uint8Array<ArrayBuffer>]),
      BITMAP_OPTIONS,
    );
  } catch (err) {
    throw new ImageError(
      `cannot decode image ${name}: the browser cannot decode it (not an image, or a format it does not read)`,
      {
        code: 'IMAGE_UNREADABLE',
        path: name,
        cause: err,
      },
    );
  }
  try {
    return bitmapToRGB(bitmap, name);
  } finally {
    bitmap.close();
  }
}

async function fetchBytes(location: string | URL): Promise<Uint8Array> {
  const url = new URL(location, globalThis.location?.href).href;
  let response: Response;
  try {
    response = await fetch(url);
  } catch (err) {
    throw new ImageError(`cannot read image ${quote(url)}: ${(err as Error).message}`, {
      code: 'IMAGE_NOT_FOUND',
      url,
      cause: err,
    });
  }
  if (!response.ok) {
    throw new ImageError(`cannot read image ${quote(url)}: HTTP ${response.status}`, {
      code: response.status === 404 ? 'IMAGE_NOT_FOUND' : 'IMAGE_UNREADABLE',
      url,
      actual: response.status,
    });
  }
  return new Uint8Array(await response.arrayBuffer());
}

/** The browser's codec: URLs are fetched, encoded bytes decoded by the browser (BMP by bmp.ts, in the core). */
export const webCodec: ImageCodec = { decodeEncoded: decodeEncodedInBrowser, read: fetchBytes };

const has = (name: string): boolean => typeof (globalThis as Record<string, unknown>)[name] === 'function';

function describe(input: unknown): string {
  if (input === null) return 'null';
  if (typeof input !== 'object') return typeof input;
  return (input as object).constructor?.name ?? 'object';
}

/** Decode any input `deepssim/web` accepts to 8-bit RGB. */
export async function decodeWebImage(input: WebImageInput, what = 'image'): Promise<RGBImage> {
  if (typeof input === 'string' || input instanceof URL) {
    const bytes = await fetchBytes(input);
    return decodeEncodedWith(webCodec, bytes, String(input));
  }
  if (input instanceof Uint8Array) return decodeEncodedWith(webCodec, input, `<${input.length} bytes>`);
  if (input instanceof ArrayBuffer)
    return decodeEncodedWith(webCodec, new Uint8Array(input), `<${input.byteLength} bytes>`);
  if (has('Blob') && input instanceof Blob) {
    const name = has('File') && input instanceof File ? input.name : `<blob of ${input.size} bytes>`;
    return decodeEncodedWith(webCodec, new Uint8Array(await input.arrayBuffer()), name);
  }
  if (has('ImageData') && input instanceof ImageData) {
    return toRGB(
      new Uint8Array(input.data.buffer, input.data.byteOffset, input.data.length),
      input.width,
      input.height,
      4,
      what,
    );
  }
  if (has('ImageBitmap') && input instanceof ImageBitmap) return bitmapToRGB(input, what);
  if (has('HTMLImageElement') && input instanceof HTMLImageElement) {
    // Decode the element's own bytes (same path as a URL: BMP, no EXIF rotation, no colour conversion); an image
    // whose bytes cannot be fetched again (e.g. cross-origin without CORS) is read from the element itself.
    const src = input.currentSrc || input.src;
    if (src) {
      const bytes = await fetchBytes(src).catch(() => undefined);
      if (bytes) return decodeEncodedWith(webCodec, bytes, src);
    }
    if (!input.complete || input.naturalWidth === 0) await input.decode();
    const bitmap = await createImageBitmap(input, BITMAP_OPTIONS);
    try {
      return bitmapToRGB(bitmap, what);
    } finally {
      bitmap.close();
    }
  }
  if (
    (has('HTMLCanvasElement') && input instanceof HTMLCanvasElement) ||
    (has('OffscreenCanvas') && input instanceof OffscreenCanvas)
  ) {
    if (input.width === 0 || input.height === 0)
      throw new ImageError(`${what}: the canvas is empty (0×0)`, { code: 'IMAGE_UNREADABLE' });
    const bitmap = await createImageBitmap(input, BITMAP_OPTIONS);
    try {
      return bitmapToRGB(bitmap, what);
    } finally {
      bitmap.close();
    }
  }
  if (isRawImage(input)) return rawToRGB(input);
  throw new UsageError(
    `unsupported ${what} input (${describe(input)}): pass a URL, a Blob/File, an ImageBitmap, ImageData, an <img>, a canvas, encoded bytes or {data, width, height, channels}`,
    { code: 'INVALID_OPTION', option: what },
  );
}
