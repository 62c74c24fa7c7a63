/**
 * BMP decoder, written for this project: no maintained npm package decodes palettes, RLE and top-down BMPs
 * correctly (bmp-ts ignores the channel order of palettes with `toRGBA` and writes RLE pixels at wrong offsets;
 * fast-bmp ignores palettes).
 *
 * Output semantics are those of PIL 9.4's BmpImagePlugin followed by `.convert("RGB")`:
 * - 16-bit channels scale to 8 bits as `floor(v * 255 / max)` (PIL's "BGR;15"/"BGR;16" unpackers);
 * - palette indices past the palette read PIL's default ramp, i.e. gray (i, i, i);
 * - RLE pixels skipped by delta / end-of-line escapes (and, here, by an early end-of-bitmap) take palette index 0;
 * - the padding of the last row may be missing; alpha is dropped.
 * Deliberate differences (see test/decode.test.ts): the RLE delta escape and odd-length RLE4 absolute runs follow
 * the format (PIL 9.4 misreads both; fixed in later Pillow), an early end-of-bitmap fills index 0 and an
 * end-of-line that starts a row skips that (empty) row where PIL 9.4 raises, 52/56-byte (V2/V3) headers and arbitrary contiguous bit-field masks are accepted where PIL refuses them,
 * and palettes are always applied (PIL's "gray palette" shortcut misreads e.g. 8-bit files with a 2-entry
 * black/white palette as 1-bit data).
 */
import { ImageError, LimitError } from '../errors.js';
import { BMP_MAX_RLE_RATIO } from '../limits.js';
import { checkDecompressionRatio } from './bomb.js';
import type { RGBImage } from './types.js';

/** Largest accepted image (pixels): 2^28, beyond any real BMP, refuses decompression bombs and absurd headers. */
export const BMP_MAX_PIXELS = 2 ** 28;

const BI_RGB = 0;
const BI_RLE8 = 1;
const BI_RLE4 = 2;
const BI_BITFIELDS = 3;
const COMPRESSION_NAMES: Record<number, string> = {
  4: 'JPEG',
  5: 'PNG',
  6: 'ALPHABITFIELDS',
  11: 'CMYK',
  12: 'CMYKRLE8',
  13: 'CMYKRLE4',
};

interface BmpHeader {
  readonly headerSize: number;
  readonly width: number;
  readonly height: number;
  readonly topDown: boolean;
  readonly bits: number;
  readonly compression: number;
  /** Palette entries declared (biClrUsed, or 2^bits). */
  readonly colors: number;
  /** Bytes per palette entry: 3 for OS/2 1.x core headers, else 4 (BGRX). */
  readonly paletteEntry: number;
  /** Where the palette (or, for 40-byte BI_BITFIELDS headers, the masks) starts. */
  readonly afterHeader: number;
  /** [r, g, b] masks for BI_BITFIELDS, else undefined. */
  readonly masks?: readonly [number, number, number];
}

/** One bit-field channel: value = floor(((px >>> shift) & max) * 255 / max). */
interface Channel {
  readonly shift: number;
  readonly max: number;
  readonly lut: Uint8Array | null;
}

class Reader {
  constructor(
    readonly b: Uint8Array,
    readonly fail: (why: string) => never,
  ) {}
  u16(o: number): number {
    if (o + 2 > this.b.length) this.fail('truncated header');
    return this.b[o] | (this.b[o + 1] << 8);
  }
  u32(o: number): number {
    if (o + 4 > this.b.length) this.fail('truncated header');
    return (this.b[o] | (this.b[o + 1] << 8) | (this.b[o + 2] << 16) | (this.b[o + 3] << 24)) >>> 0;
  }
  i32(o: number): number {
    return this.u32(o) | 0;
  }
}

function parseHeader(r: Reader): BmpHeader {
  const fail = r.fail;
  const headerSize = r.u32(14);
  const h = 18; // first field after biSize
  if (headerSize === 12) {
    // OS/2 1.x BITMAPCOREHEADER: unsigned 16-bit sizes, no compression, 3-byte palette entries.
    const bits = r.u16(h + 6);
    return {
      headerSize,
      width: r.u16(h),
      height: r.u16(h + 2),
      topDown: false,
      bits,
      compression: BI_RGB,
      colors: bits <= 8 ? 1 << bits : 0,
      paletteEntry: 3,
      afterHeader: 14 + 12,
    };
  }
  if (![40, 52, 56, 64, 108, 124].includes(headerSize)) fail(`unsupported header size ${headerSize}`);
  const width = r.i32(h);
  const rawHeight = r.i32(h + 4);
  const bits = r.u16(h + 10);
  const compression = r.u32(h + 12);
  let colors = r.u32(h + 28);
  if (colors === 0 && bits <= 8) colors = 1 << bits;
  let afterHeader = 14 + headerSize;
  let masks: [number, number, number] | undefined;
  if (compression === BI_BITFIELDS) {
    if (headerSize === 64) fail('OS/2 2.x Huffman compression is not supported');
    if (headerSize === 40) {
      // The three masks follow a 40-byte header; larger headers hold them at offset 40.
      masks = [r.u32(afterHeader), r.u32(afterHeader + 4), r.u32(afterHeader + 8)];
      afterHeader += 12;
    } else {
      masks = [r.u32(14 + 40), r.u32(14 + 44), r.u32(14 + 48)];
    }
  } else if (compression !== BI_RGB && compression !== BI_RLE8 && compression !== BI_RLE4) {
    if (headerSize === 64 && compression === 4) fail('OS/2 2.x RLE24 compression is not supported');
    const what = COMPRESSION_NAMES[compression];
    fail(`unsupported compression ${compression}${what ? ` (${what})` : ''}`);
  }
  return {
    headerSize,
    width,
    height: Math.abs(rawHeight),
    topDown: rawHeight < 0,
    bits,
    compression,
    colors,
    paletteEntry: 4,
    afterHeader,
    masks,
  };
}

/** 256 RGB entries: the declared palette over PIL's default gray ramp (what out-of-range indices read). */
function readPalette(b: Uint8Array, hd: BmpHeader, fail: (why: string) => never): Uint8Array {
  if (hd.colors > 65536) fail(`palette of ${hd.colors} colours`);
  const pal = new Uint8Array(256 * 3);
  for (let i = 0; i < 256; i++) pal[3 * i] = pal[3 * i + 1] = pal[3 * i + 2] = i;
  const n = Math.min(hd.colors, 256);
  const start = hd.afterHeader;
  if (start + n * hd.paletteEntry > b.length) fail('palette extends past the end of the file');
  for (let i = 0; i < n; i++) {
    const o = start + i * hd.paletteEntry; // stored B, G, R[, reserved]
    pal[3 * i] = b[o + 2];
    pal[3 * i + 1] = b[o + 1];
    pal[3 * i + 2] = b[o];
  }
  return pal;
}

function channelOf(mask: number, fail: (why: string) => never): Channel {
  if (mask === 0) fail('bit-field mask is zero');
  let shift = 0;
  while (((mask >>> shift) & 1) === 0) shift++;
  const max = mask >>> shift;
  if ((max & (max + 1)) !== 0 && max !== 0xffffffff) fail(`bit-field mask 0x${mask.toString(16)} is not contiguous`);
  let lut: Uint8Array | null = null;
  if (max <= 0xffff) {
    lut = new Uint8Array(max + 1);
    for (let v = 0; v <= max; v++) lut[v] = Math.floor((v * 255) / max);
  }
  return { shift, max, lut };
}

function scale(ch: Channel, px: number): number {
  const v = (px >>> ch.shift) & ch.max;
  return ch.lut !== null ? ch.lut[v] : Math.floor(((v >>> 0) * 255) / ch.max);
}

/** Index of output row for the `fileRow`-th row stored in the file. */
function outRow(hd: BmpHeader, fileRow: number): number {
  return hd.topDown ? fileRow : hd.height - 1 - fileRow;
}

function decodePaletted(
  b: Uint8Array,
  off: number,
  stride: number,
  hd: BmpHeader,
  pal: Uint8Array,
  out: Uint8Array,
): void {
  const { width: w, height: ht, bits } = hd;
  for (let fr = 0; fr < ht; fr++) {
    const p = off + fr * stride;
    let o = outRow(hd, fr) * w * 3;
    for (let x = 0; x < w; x++, o += 3) {
      const idx =
        bits === 8
          ? b[p + x]
          : bits === 4
            ? (b[p + (x >> 1)] >> ((x & 1) === 0 ? 4 : 0)) & 15
            : (b[p + (x >> 3)] >> (7 - (x & 7))) & 1;
      const q = idx * 3;
      out[o] = pal[q];
      out[o + 1] = pal[q + 1];
      out[o + 2] = pal[q + 2];
    }
  }
}

/** Byte-aligned 8-bit channels (BGR, BGRX, XBGR, ABGR, RGBA, BGRA): a byte shuffle. */
function decodeBytes(
  b: Uint8Array,
  off: number,
  stride: number,
  hd: BmpHeader,
  ri: number,
  gi: number,
  bi: number,
  out: Uint8Array,
): void {
  const { width: w, height: ht } = hd;
  const bpp = hd.bits >> 3;
  for (let fr = 0; fr < ht; fr++) {
    let p = off + fr * stride;
    let o = outRow(hd, fr) * w * 3;
    for (let x = 0; x < w; x++, p += bpp, o += 3) {
      out[o] = b[p + ri];
      out[o + 1] = b[p + gi];
      out[o + 2] = b[p + bi];
    }
  }
}

function decodeFields(
  b: Uint8Array,
  off: number,
  stride: number,
  hd: BmpHeader,
  ch: readonly Channel[],
  out: Uint8Array,
): void {
  const { width: w, height: ht, bits } = hd;
  const bpp = bits >> 3;
  const [cr, cg, cb] = ch;
  for (let fr = 0; fr < ht; fr++) {
    let p = off + fr * stride;
    let o = outRow(hd, fr) * w * 3;
    for (let x = 0; x < w; x++, p += bpp, o += 3) {
      let px = b[p] | (b[p + 1] << 8);
      if (bpp >= 3) px |= b[p + 2] << 16;
      if (bpp === 4) px = (px | (b[p + 3] << 24)) >>> 0;
      out[o] = scale(cr, px);
      out[o + 1] = scale(cg, px);
      out[o + 2] = scale(cb, px);
    }
  }
}

/**
 * Expand BI_RLE8 / BI_RLE4 to one palette index per pixel, in file row order. Mirrors PIL's BmpRleDecoder
 * (encoded runs clipped at the row end, absolute runs not, skipped pixels = index 0, absolute runs padded to an
 * even file offset) but reads the delta escape and odd RLE4 absolute runs as the format defines them.
 */
function expandRle(b: Uint8Array, start: number, hd: BmpHeader, fail: (why: string) => never): Uint8Array {
  const w = hd.width;
  const n = w * hd.height;
  const rle4 = hd.compression === BI_RLE4;
  const idx = new Uint8Array(n);
  const end = b.length;
  let p = start;
  let pos = 0;
  let x = 0;
  const truncated = (): never => fail(`truncated RLE data (${n - Math.min(pos, n)} of ${n} pixels missing)`);
  while (pos < n) {
    if (p + 2 > end) truncated();
    const count = b[p];
    const code = b[p + 1];
    p += 2;
    if (count > 0) {
      const k = x + count > w ? Math.max(0, w - x) : count; // encoded run: clipped at the end of the row
      const stop = Math.min(pos + k, n);
      if (rle4) {
        const hi = code >> 4;
        const lo = code & 15;
        for (let i = pos; i < stop; i++) idx[i] = ((i - pos) & 1) === 0 ? hi : lo;
      } else {
        idx.fill(code, pos, stop);
      }
      pos += k;
      x += k;
    } else if (code === 0) {
      // End of line. `x === 0` at a row start means nothing was drawn since the last line break, i.e. an empty
      // row: skip it as the format says (PIL 9.4 does not move here and then fails with "not enough image data").
      const rem = pos % w;
      if (rem !== 0) pos += w - rem;
      else if (x === 0) pos += w;
      x = 0;
    } else if (code === 1) {
      break; // end of bitmap: the rest stays index 0
    } else if (code === 2) {
      if (p + 2 > end) truncated();
      pos += b[p] + b[p + 1] * w; // delta: right, then up (rows run bottom-up)
      p += 2;
      x = pos % w;
    } else {
      const nbytes = rle4 ? (code + 1) >> 1 : code; // absolute run of `code` pixels
      if (p + nbytes > end) truncated();
      const stop = Math.min(pos + code, n);
      if (rle4) {
        for (let i = pos; i < stop; i++) {
          const k = i - pos;
          idx[i] = (k & 1) === 0 ? b[p + (k >> 1)] >> 4 : b[p + (k >> 1)] & 15;
        }
      } else {
        idx.set(b.subarray(p, p + (stop - pos)), pos);
      }
      pos += code;
      x += code;
      p += nbytes;
      if ((p & 1) !== 0) p++; // runs are padded to a 16-bit word (PIL aligns on the file offset)
    }
  }
  return idx;
}

/** Decode a complete BMP file (starting with "BM") to 8-bit RGB. `name` only labels error messages. */
export function decodeBmp(bytes: Uint8Array, name: string): RGBImage {
  const fail = (why: string): never => {
    throw new ImageError(`cannot decode BMP ${name}: ${why}`);
  };
  if (bytes.length < 18 || bytes[0] !== 0x42 || bytes[1] !== 0x4d) fail('not a BMP file (no "BM" signature)');
  const r = new Reader(bytes, fail);
  const hd = parseHeader(r);
  const { width: w, height: ht, bits, compression } = hd;
  if (!(w > 0 && ht > 0)) fail(`invalid size ${w}×${ht}`);
  if (w * ht > BMP_MAX_PIXELS) fail(`${w}×${ht} exceeds the limit of ${BMP_MAX_PIXELS} pixels`);
  if (![1, 4, 8, 16, 24, 32].includes(bits)) fail(`unsupported bit depth ${bits}`);
  if (compression === BI_RLE8 && bits !== 8) fail(`RLE8 compression with ${bits} bits per pixel`);
  if (compression === BI_RLE4 && bits !== 4) fail(`RLE4 compression with ${bits} bits per pixel`);
  if (compression === BI_BITFIELDS && bits < 16) fail(`bit-field compression with ${bits} bits per pixel`);

  const pal = bits <= 8 ? readPalette(bytes, hd, fail) : null;
  // Pixel data start: bfOffBits, or right after the palette when it is 0. Like PIL, an offset that points
  // straight after the header of a paletted file is taken to omit the palette size.
  let off = r.u32(10);
  if (off === 14 + hd.headerSize && bits <= 8) off += 4 * hd.colors;
  if (off === 0) off = hd.afterHeader + (pal ? hd.colors * hd.paletteEntry : 0);
  if (off >= bytes.length) fail(`pixel data offset ${off} is past the end of the file (${bytes.length} bytes)`);

  if (compression === BI_RLE8 || compression === BI_RLE4) {
    checkDecompressionRatio(w, ht, bytes.length, name);
    // RLE can legitimately skip pixels (delta, end of line, early end of bitmap), so the data size does not bound
    // the image; a ratio far beyond what real RLE files reach keeps a tiny file from allocating a huge image.
    if (w * ht > (bytes.length - off) * BMP_MAX_RLE_RATIO) {
      throw new LimitError(
        `cannot decode BMP ${name}: ${w}×${ht} pixels from ${bytes.length - off} bytes of RLE data exceeds ${BMP_MAX_RLE_RATIO} pixels per byte (BMP_MAX_RLE_RATIO)`,
        { limit: 'BMP_MAX_RLE_RATIO' },
      );
    }
    const out = new Uint8Array(w * ht * 3);
    const idx = expandRle(bytes, off, hd, fail);
    for (let fr = 0; fr < ht; fr++) {
      let o = outRow(hd, fr) * w * 3;
      for (let i = fr * w, e = i + w; i < e; i++, o += 3) {
        const q = idx[i] * 3;
        out[o] = pal![q];
        out[o + 1] = pal![q + 1];
        out[o + 2] = pal![q + 2];
      }
    }
    return { data: out, width: w, height: ht };
  }

  const stride = ((w * bits + 31) >>> 5) * 4;
  const need = off + stride * (ht - 1) + Math.ceil((w * bits) / 8); // the last row's padding may be missing
  if (need > bytes.length) fail(`truncated pixel data (needs ${need} bytes, file has ${bytes.length})`);
  const out = new Uint8Array(w * ht * 3);

  if (pal) {
    decodePaletted(bytes, off, stride, hd, pal, out);
  } else if (bits === 24 && !hd.masks) {
    decodeBytes(bytes, off, stride, hd, 2, 1, 0, out);
  } else {
    // 16/24/32 bits: explicit masks, or the BI_RGB defaults (5-5-5, BGR, BGRX).
    let masks = hd.masks;
    if (!masks || (masks[0] === 0 && masks[1] === 0 && masks[2] === 0)) {
      masks = bits === 16 ? [0x7c00, 0x3e0, 0x1f] : [0xff0000, 0xff00, 0xff];
    }
    const ch = masks.map((m) => channelOf(m, fail));
    if (bits >= 24 && ch.every((c) => c.max === 0xff && c.shift % 8 === 0)) {
      decodeBytes(bytes, off, stride, hd, ch[0].shift >> 3, ch[1].shift >> 3, ch[2].shift >> 3, out);
    } else {
      decodeFields(bytes, off, stride, hd, ch, out);
    }
  }
  return { data: out, width: w, height: ht };
}
