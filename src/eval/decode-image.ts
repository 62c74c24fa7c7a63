/**
 * TEMPORARY private decoder for the evaluation harness — to be replaced by the shared src/image/decode.ts once
 * it lands. sharp for PNG/JPEG/TIFF/…, bmp-ts for BMP (LIVE and TID2013 ship BMPs, which sharp cannot read).
 * Alpha is dropped, gray is replicated to RGB.
 */
import { readFile } from 'node:fs/promises';
import { decode as decodeBmp } from 'bmp-ts';
import sharp from 'sharp';
import { ImageError } from '../errors.js';
import type { RGBImage } from '../image/types.js';

function expand(data: Uint8Array, width: number, height: number, channels: number): RGBImage {
  if (channels === 3) return { data, width, height };
  const n = width * height;
  const out = new Uint8Array(n * 3);
  for (let i = 0; i < n; i++) {
    const j = i * channels;
    if (channels <= 2) out[3 * i] = out[3 * i + 1] = out[3 * i + 2] = data[j];
    else {
      out[3 * i] = data[j];
      out[3 * i + 1] = data[j + 1];
      out[3 * i + 2] = data[j + 2];
    }
  }
  return { data: out, width, height };
}

export async function decodeImageFile(path: string): Promise<RGBImage> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ImageError(`cannot read image ${path}: ${code === 'ENOENT' ? 'no such file' : (err as Error).message}`, { cause: err });
  }
  try {
    if (bytes.length > 2 && bytes[0] === 0x42 && bytes[1] === 0x4d) {
      const bmp = decodeBmp(bytes, { toRGBA: true });
      return expand(new Uint8Array(bmp.data.buffer, bmp.data.byteOffset, bmp.width * bmp.height * 4), bmp.width, bmp.height, 4);
    }
    const { data, info } = await sharp(bytes).removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
    return expand(new Uint8Array(data.buffer, data.byteOffset, data.length), info.width, info.height, info.channels);
  } catch (err) {
    throw new ImageError(`cannot decode image ${path}: ${(err as Error).message.split('\n')[0]}`, { cause: err });
  }
}
