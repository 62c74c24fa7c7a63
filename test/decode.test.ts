/**
 * Decoding parity with the reference pipeline, PIL 9.4's `np.asarray(Image.open(f).convert("RGB"))`, on the fixtures
 * written by tools/reference/make_decode_fixtures.py, plus raw/Buffer inputs, error messages and BMP edge cases.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { BMP_MAX_PIXELS, decodeBmp } from '../src/image/bmp.js';
import { cmykToRGB } from '../src/image/decode.js';
import { decodeImage } from '../src/index.js';
import { DeepSSIMError, ImageError, UsageError } from '../src/errors.js';
import type { RGBImage } from '../src/image/types.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const fixtures = join(repo, 'test', 'fixtures', 'decode');

interface Expected {
  width: number;
  height: number;
  sha256: string;
  samples: number[][]; // [x, y, r, g, b]
  reference: string; // 'pil' or the independent model used where PIL 9.4 fails or misreads the file
  pil_note?: string;
  rgb?: string; // full expected pixels, for the fixtures compared with a tolerance
  high_byte?: { sha256: string; samples: number[][] };
  managed_mean_abs_change?: number;
}
const expected: Record<string, Expected> = JSON.parse(readFileSync(join(fixtures, 'expected.json'), 'utf8')).files;

/**
 * Fixtures allowed to differ from PIL's pixels, and why. Lossy decoders (libjpeg-turbo in PIL vs the one bundled
 * with sharp/libvips; libwebp likewise) may round the IDCT / chroma upsampling / YUV→RGB differently between
 * builds: allow ±1 on at most 2 % of the samples (on this machine they currently match exactly).
 */
const LOSSY = { maxAbs: 1, maxFraction: 0.02 };
const tolerant: Record<string, typeof LOSSY> = {
  'jpeg_420.jpg': LOSSY,
  'jpeg_444.jpg': LOSSY,
  'jpeg_progressive.jpg': LOSSY,
  'jpeg_gray.jpg': LOSSY,
  'jpeg_exif6.jpg': LOSSY,
  'jpeg_cmyk_adobe.jpg': LOSSY,
  'jpeg_cmyk_plain.jpg': LOSSY,
  'jpeg_cmyk_icc.jpg': LOSSY,
  'webp_lossy.webp': LOSSY,
};
/**
 * 16-bit gray PNG: PIL 9 opens it as mode "I" and convert("RGB") clips values at 255 (a Pillow quirk, 16-bit RGB
 * keeps the high byte); decode.ts deliberately keeps the high byte for gray too, so we check against v >> 8, which
 * the fixture script computes independently.
 */
const HIGH_BYTE = new Set(['png_gray16.png']);

const sha256 = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');

function pixel(img: RGBImage, x: number, y: number): number[] {
  const o = (y * img.width + x) * 3;
  return [img.data[o], img.data[o + 1], img.data[o + 2]];
}

function checkSamples(img: RGBImage, samples: number[][], what: string): void {
  for (const [x, y, ...rgb] of samples) assert.deepEqual(pixel(img, x, y), rgb, `${what}: pixel (${x}, ${y})`);
}

describe('parity with PIL on every fixture', () => {
  for (const [name, exp] of Object.entries(expected)) {
    const why = exp.reference === 'pil' ? '' : ` [expected from ${exp.reference}: ${exp.pil_note}]`;
    test(`${name}${why}`, async (t) => {
      const img = await decodeImage(join(fixtures, name));
      // Size first: EXIF orientation 6 would swap width and height.
      assert.deepEqual([img.width, img.height], [exp.width, exp.height], `${name}: size`);
      assert.equal(img.data.length, exp.width * exp.height * 3);
      if (HIGH_BYTE.has(name)) {
        assert.ok(exp.high_byte, 'fixture lacks the high-byte reference');
        assert.notEqual(exp.high_byte.sha256, exp.sha256, 'the fixture must exercise values > 255');
        checkSamples(img, exp.high_byte.samples, name);
        assert.equal(sha256(img.data), exp.high_byte.sha256, `${name}: not the high byte of each 16-bit sample`);
        return;
      }
      const tol = tolerant[name];
      if (!tol) {
        checkSamples(img, exp.samples, name);
        assert.equal(sha256(img.data), exp.sha256, `${name}: pixels differ from the reference`);
        return;
      }
      const ref = readFileSync(join(fixtures, exp.rgb!));
      assert.equal(sha256(ref), exp.sha256, 'stale .rgb reference');
      let maxAbs = 0;
      let differing = 0;
      for (let i = 0; i < ref.length; i++) {
        const d = Math.abs(ref[i] - img.data[i]);
        if (d > 0) differing++;
        if (d > maxAbs) maxAbs = d;
      }
      t.diagnostic(`${name}: max |Δ| = ${maxAbs}, ${differing} of ${ref.length} samples differ`);
      assert.ok(maxAbs <= tol.maxAbs, `${name}: max |Δ| = ${maxAbs} > ${tol.maxAbs}`);
      assert.ok(differing <= tol.maxFraction * ref.length, `${name}: ${differing} samples differ`);
    });
  }

  test('colour management and EXIF rotation are not applied; lossless encodings of one scene agree', async () => {
    const scene = await decodeImage(join(fixtures, 'tiff_rgb.tif'));
    // The embedded profile swaps red and blue primaries (the fixture script checks that applying it changes
    // pixels by > 20 on average), so equality with the profile-less TIFF means it was ignored.
    for (const name of [
      'png_icc.png',
      'tiff_lzw.tif',
      'bmp_24.bmp',
      'bmp_24_topdown.bmp',
      'bmp_32_bgrx.bmp',
      'bmp_32_bitfields_bgra_v5.bmp',
      'bmp_32_bitfields_rgba_v4.bmp',
      'bmp_os2_24.bmp',
    ]) {
      const img = await decodeImage(join(fixtures, name));
      assert.equal(sha256(img.data), sha256(scene.data), `${name} differs from tiff_rgb.tif`);
    }
    const exif = await decodeImage(join(fixtures, 'jpeg_exif6.jpg'));
    assert.deepEqual([exif.width, exif.height], [scene.width, scene.height], 'EXIF orientation 6 was applied');
    const v3 = await decodeImage(join(fixtures, 'bmp_16_565_v3.bmp'));
    const v1 = await decodeImage(join(fixtures, 'bmp_16_565.bmp'));
    assert.equal(sha256(v3.data), sha256(v1.data), 'a 56-byte header changes the 5-6-5 pixels');
  });
});

describe('CMYK: PIL arithmetic, not colour management', () => {
  test("cmykToRGB is PIL 9.4's cmyk2rgb (values read from PIL: Image.new('CMYK', …).convert('RGB'))", () => {
    const cases: [number[], number[]][] = [
      [
        [100, 0, 0, 100],
        [94, 155, 155],
      ],
      [
        [200, 50, 255, 30],
        [49, 181, 0],
      ],
      [
        [0, 0, 0, 0],
        [255, 255, 255],
      ],
      [
        [255, 255, 255, 0],
        [0, 0, 0],
      ],
      [
        [0, 0, 0, 255],
        [0, 0, 0],
      ],
    ];
    for (const [cmyk, rgb] of cases) assert.deepEqual(Array.from(cmykToRGB(cmyk, 1, 1, 4).data), rgb, `${cmyk}`);
    // A fifth band (alpha) is dropped, like alpha everywhere.
    assert.deepEqual(Array.from(cmykToRGB([100, 0, 0, 100, 7], 1, 1, 5).data), [94, 155, 155]);
    assert.throws(() => cmykToRGB([1, 2, 3], 1, 1, 3), ImageError);
  });

  test("with or without the Adobe marker, with an embedded CMYK profile: the Adobe file's pixels, exactly PIL's", async () => {
    // The fixtures' own parity tests above compare each with PIL (max |Δ| 0 here); PIL ignores both the marker and
    // the profile, so all three decode alike, and the profile (which would change pixels by 77 on average if
    // applied, expected.json) is ignored.
    const adobe = await decodeImage(join(fixtures, 'jpeg_cmyk_adobe.jpg'));
    const plain = await decodeImage(join(fixtures, 'jpeg_cmyk_plain.jpg'));
    assert.equal(sha256(plain.data), sha256(adobe.data), 'the Adobe marker changes the decoded pixels');
    const icc = await decodeImage(join(fixtures, 'jpeg_cmyk_icc.jpg'));
    const ref = readFileSync(join(fixtures, 'jpeg_cmyk_icc.jpg.rgb'));
    let maxAbs = 0;
    for (let i = 0; i < ref.length; i++) maxAbs = Math.max(maxAbs, Math.abs(ref[i] - icc.data[i]));
    assert.equal(maxAbs, 0, `CMYK JPEG with a profile: max |Δ| vs PIL = ${maxAbs}`);
    assert.ok(expected['jpeg_cmyk_icc.jpg'].managed_mean_abs_change! > 20);
  });
});

describe('inputs', () => {
  test('raw pixels with 1–4 channels: gray replicated, alpha dropped', async () => {
    const w = 3;
    const h = 2;
    const n = w * h;
    const gray = Uint8Array.from({ length: n }, (_, i) => 10 * i + 5);
    const rgb = Uint8Array.from({ length: 3 * n }, (_, i) => (i * 37) % 256);
    const expectGray = Uint8Array.from({ length: 3 * n }, (_, i) => gray[Math.floor(i / 3)]);
    const interleave = (c: number, f: (i: number, k: number) => number) =>
      Uint8Array.from({ length: c * n }, (_, j) => f(Math.floor(j / c), j % c));
    const cases: [1 | 2 | 3 | 4, Uint8Array, Uint8Array][] = [
      [1, gray, expectGray],
      [2, interleave(2, (i, k) => (k === 0 ? gray[i] : 255 - i)), expectGray],
      [3, rgb, rgb],
      [4, interleave(4, (i, k) => (k < 3 ? rgb[3 * i + k] : 17 * i)), rgb],
    ];
    for (const [channels, data, want] of cases) {
      const img = await decodeImage({ data, width: w, height: h, channels });
      assert.deepEqual([img.width, img.height], [w, h]);
      assert.deepEqual(Array.from(img.data), Array.from(want), `${channels} channel(s)`);
    }
    const clamped = await decodeImage({ data: new Uint8ClampedArray(gray), width: w, height: h, channels: 1 });
    assert.deepEqual(Array.from(clamped.data), Array.from(expectGray));
  });

  test('raw pixels: wrong length, channel count or size are rejected in one line', async () => {
    await assert.rejects(
      decodeImage({ data: new Uint8Array(5), width: 3, height: 2, channels: 1 }),
      (e: Error) => e instanceof ImageError && /5 bytes do not match 3×2×1/.test(e.message),
    );
    await assert.rejects(decodeImage({ data: new Uint8Array(10), width: 1, height: 2, channels: 5 as 4 }), UsageError);
    await assert.rejects(decodeImage({ data: new Uint8Array(0), width: 0, height: 2, channels: 1 }), UsageError);
  });

  test('encoded Buffer and Uint8Array views (non-zero byteOffset) decode like the file', async () => {
    for (const name of ['bmp_rle4.bmp', 'bmp_16_565.bmp', 'bmp_24.bmp', 'png_rgba.png', 'jpeg_420.jpg']) {
      const file = readFileSync(join(fixtures, name));
      const fromPath = await decodeImage(join(fixtures, name));
      const padded = new Uint8Array(file.length + 7);
      padded.set(file, 3);
      for (const input of [Buffer.from(file), padded.subarray(3, 3 + file.length)]) {
        const img = await decodeImage(input);
        assert.equal(sha256(img.data), sha256(fromPath.data), `${name} from a ${input.constructor.name}`);
      }
    }
  });
});

/** One line, no stack noise: what a CLI user sees after "error: ". */
function assertOneLine(e: unknown, pattern: RegExp): true {
  assert.ok(e instanceof ImageError, `expected ImageError, got ${(e as Error)?.name}: ${(e as Error)?.message}`);
  assert.ok(e instanceof DeepSSIMError && e.code.startsWith('IMAGE_'));
  assert.doesNotMatch(e.message, /[\r\n]/, 'message spans several lines');
  assert.doesNotMatch(e.message, /\bat \S+:\d+|node:internal/, 'message carries a stack trace');
  assert.ok(e.message.length < 200, `message too long: ${e.message}`);
  assert.match(e.message, pattern);
  return true;
}

describe('errors are one clear line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'deepssim-decode-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, data: Uint8Array | string): string => {
    const p = join(dir, name);
    writeFileSync(p, data);
    return p;
  };

  test('missing file, directory, empty file, text renamed .png', async () => {
    const missing = join(dir, 'no-such-image.png');
    await assert.rejects(decodeImage(missing), (e) => assertOneLine(e, /no-such-image\.png.*no such file/));
    await assert.rejects(decodeImage(dir), (e) => assertOneLine(e, /is a directory/));
    await assert.rejects(decodeImage(write('empty.bmp', new Uint8Array(0))), (e) =>
      assertOneLine(e, /empty\.bmp.*empty/),
    );
    await assert.rejects(decodeImage(write('notes.png', 'this is text, not a PNG\n')), (e) =>
      assertOneLine(e, /notes\.png.*unsupported image format/),
    );
  });

  test('truncated PNG, JPEG, BMP (uncompressed and RLE)', async () => {
    const cases: [string, RegExp][] = [
      ['png_rgba.png', /png/i],
      ['jpeg_420.jpg', /premature end/i],
      ['jpeg_progressive.jpg', /premature end/i],
      ['bmp_24.bmp', /cannot decode BMP .*truncated pixel data/],
      ['bmp_8bit_palette.bmp', /cannot decode BMP .*truncated pixel data/],
      ['bmp_rle8.bmp', /cannot decode BMP .*truncated RLE data/],
      ['bmp_os2_8bit.bmp', /cannot decode BMP .*truncated pixel data/],
    ];
    for (const [name, pattern] of cases) {
      const file = readFileSync(join(fixtures, name));
      const cut = write(`cut-${name}`, file.subarray(0, Math.floor(file.length * 0.6)));
      await assert.rejects(decodeImage(cut), (e) => assertOneLine(e, pattern) && (e as Error).message.includes(cut));
    }
    const bmp = readFileSync(join(fixtures, 'bmp_24.bmp'));
    await assert.rejects(decodeImage(bmp.subarray(0, 40)), (e) => assertOneLine(e, /truncated header/));
  });
});

// ------------------------------------------------------------------------------------------------ BMP specifics

interface BmpSpec {
  width: number;
  height: number;
  bits: number;
  compression?: number;
  colors?: number;
  headerSize?: number;
  palette?: number[][]; // [r, g, b]
  masks?: [number, number, number];
  pixels: number[] | Uint8Array;
  offset?: number; // bfOffBits override
}

/** A BMP with a 40-byte (or larger, zero-filled) info header. */
function bmp(s: BmpSpec): Uint8Array {
  const headerSize = s.headerSize ?? 40;
  const pal = (s.palette ?? []).flatMap(([r, g, b]) => [b, g, r, 0]);
  const masks = s.masks && headerSize === 40 ? 12 : 0;
  const off = 14 + headerSize + masks + pal.length;
  const out = new Uint8Array(off + s.pixels.length);
  const v = new DataView(out.buffer);
  out.set([0x42, 0x4d]);
  v.setUint32(2, out.length, true);
  v.setUint32(10, s.offset ?? off, true);
  v.setUint32(14, headerSize, true);
  v.setInt32(18, s.width, true);
  v.setInt32(22, s.height, true);
  v.setUint16(26, 1, true);
  v.setUint16(28, s.bits, true);
  v.setUint32(30, s.compression ?? 0, true);
  v.setUint32(34, s.pixels.length, true);
  v.setUint32(46, s.colors ?? 0, true);
  if (s.masks) s.masks.forEach((m, i) => v.setUint32(54 + 4 * i, m, true)); // after a 40-byte header = inside larger ones
  out.set(pal, 14 + headerSize + masks);
  out.set(s.pixels, off);
  return out;
}

const PAL = [
  [0, 0, 0],
  [10, 0, 0],
  [20, 0, 0],
  [30, 0, 0],
  [40, 0, 0],
  [50, 0, 0],
];
/** Red channel / 10 of each pixel, top row first: the palette index for PAL. */
const indices = (img: RGBImage): number[][] =>
  Array.from({ length: img.height }, (_, y) => Array.from({ length: img.width }, (_, x) => pixel(img, x, y)[0] / 10));

describe('BMP decoder', () => {
  test('RLE8 follows PIL: encoded runs clip at the row end, absolute runs spill over, skipped pixels are index 0', () => {
    // Checked against PIL 9.4: [5,1 | EOL | 2,2 | 1,3] → [[2,2,3],[1,1,1]]; [abs 1,2,3,4 | 5,1 | EOL | EOB] → [[4,0,0],[1,2,3]].
    const a = decodeBmp(
      bmp({ width: 3, height: 2, bits: 8, compression: 1, colors: 6, palette: PAL, pixels: [5, 1, 0, 0, 2, 2, 1, 3] }),
      'a',
    );
    assert.deepEqual(indices(a), [
      [2, 2, 3],
      [1, 1, 1],
    ]);
    const b = decodeBmp(
      bmp({
        width: 3,
        height: 2,
        bits: 8,
        compression: 1,
        colors: 6,
        palette: PAL,
        pixels: [0, 4, 1, 2, 3, 4, 5, 1, 0, 0, 0, 1],
      }),
      'b',
    );
    assert.deepEqual(indices(b), [
      [4, 0, 0],
      [1, 2, 3],
    ]);
    // Run, delta (2 right, 1 up), run, early end of bitmap. (PIL 9.4 misreads the delta and raises at the early end.)
    const c = decodeBmp(
      bmp({
        width: 4,
        height: 3,
        bits: 8,
        compression: 1,
        colors: 6,
        palette: PAL,
        pixels: [1, 5, 0, 2, 2, 1, 1, 4, 0, 1],
      }),
      'c',
    );
    assert.deepEqual(indices(c), [
      [0, 0, 0, 0],
      [0, 0, 0, 4],
      [5, 0, 0, 0],
    ]);
    // A lone end-of-line at a row start is an empty row. (PIL 9.4 does not advance there and raises.)
    const d = decodeBmp(
      bmp({
        width: 2,
        height: 3,
        bits: 8,
        compression: 1,
        colors: 6,
        palette: PAL,
        pixels: [2, 1, 0, 0, 0, 0, 2, 3, 0, 1],
      }),
      'd',
    );
    assert.deepEqual(indices(d), [
      [3, 3],
      [0, 0],
      [1, 1],
    ]);
  });

  test('RLE4: alternating nibbles in runs, odd absolute runs keep their last pixel', () => {
    // Row 0 (bottom): run of 5 alternating 1,2; row 1: absolute run of 3 pixels 3,4,5 (2 data bytes), then EOB.
    const img = decodeBmp(
      bmp({
        width: 5,
        height: 2,
        bits: 4,
        compression: 2,
        colors: 6,
        palette: PAL,
        pixels: [5, 0x12, 0, 0, 0, 3, 0x34, 0x50, 0, 1],
      }),
      'r4',
    );
    assert.deepEqual(indices(img), [
      [3, 4, 5, 0, 0],
      [1, 2, 1, 2, 1],
    ]);
    // A 5-pixel absolute run takes 3 bytes + 1 pad byte; the run after it must land in the same row.
    const odd = decodeBmp(
      bmp({
        width: 8,
        height: 1,
        bits: 4,
        compression: 2,
        colors: 6,
        palette: PAL,
        pixels: [0, 5, 0x12, 0x34, 0x50, 0, 3, 0x11, 0, 1],
      }),
      'odd',
    );
    assert.deepEqual(indices(odd), [[1, 2, 3, 4, 5, 1, 1, 1]]);
  });

  test("palette indices past the palette read PIL's gray ramp; 1-bit uses the palette colours", () => {
    const img = decodeBmp(
      bmp({
        width: 4,
        height: 1,
        bits: 8,
        colors: 2,
        palette: [
          [1, 2, 3],
          [4, 5, 6],
        ],
        pixels: [0, 1, 7, 200],
      }),
      'p',
    );
    assert.deepEqual(
      [0, 1, 2, 3].map((x) => pixel(img, x, 0)),
      [
        [1, 2, 3],
        [4, 5, 6],
        [7, 7, 7],
        [200, 200, 200],
      ],
    );
    const one = decodeBmp(
      bmp({
        width: 9,
        height: 1,
        bits: 1,
        palette: [
          [9, 8, 7],
          [250, 100, 0],
        ],
        pixels: [0b10100000, 0b10000000, 0, 0],
      }),
      '1',
    );
    assert.deepEqual(
      [0, 1, 2, 8].map((x) => pixel(one, x, 0)),
      [
        [250, 100, 0],
        [9, 8, 7],
        [250, 100, 0],
        [250, 100, 0],
      ],
    );
  });

  test("16-bit channels scale as floor(v·255/max) like PIL's BGR;15 and BGR;16; top-down rows stay in order", () => {
    const px = [0x7c00, 0x0421, 0x03e0 | 0x8000, 0x001f]; // red, (1,1,1), green with the unused top bit set, blue
    const bytes = px.flatMap((v) => [v & 255, v >> 8]);
    const img = decodeBmp(bmp({ width: 2, height: -2, bits: 16, pixels: bytes }), '555');
    assert.deepEqual(
      [pixel(img, 0, 0), pixel(img, 1, 0), pixel(img, 0, 1), pixel(img, 1, 1)],
      [
        [255, 0, 0],
        [8, 8, 8],
        [0, 255, 0],
        [0, 0, 255],
      ],
    );
    const g565 = decodeBmp(
      bmp({
        width: 2,
        height: 1,
        bits: 16,
        compression: 3,
        masks: [0xf800, 0x7e0, 0x1f],
        pixels: [0x20, 0, 0xe0, 0x0b],
      }),
      '565',
    );
    assert.deepEqual(
      [pixel(g565, 0, 0), pixel(g565, 1, 0)],
      [
        [0, 4, 0],
        [8, 125, 0],
      ],
    ); // g = 1 → 4, g = 31 → 125; r = 1 → 8
  });

  test('bottom-up rows, missing padding of the last row, bfOffBits = 0', () => {
    // 1×2 24-bit: rows stored bottom-up, each padded to 4 bytes; the final pad may be absent (PIL reads it too).
    const full = [1, 2, 3, 0, 4, 5, 6, 0];
    const img = decodeBmp(bmp({ width: 1, height: 2, bits: 24, pixels: full }).subarray(0, 14 + 40 + 7), 'nopad');
    assert.deepEqual(
      [pixel(img, 0, 0), pixel(img, 0, 1)],
      [
        [6, 5, 4],
        [3, 2, 1],
      ],
    );
    const zero = decodeBmp(bmp({ width: 1, height: 2, bits: 24, pixels: full, offset: 0 }), 'zero');
    assert.deepEqual(zero.data, img.data);
  });

  test('malformed or unsupported BMPs are rejected in one line', () => {
    const ok: BmpSpec = { width: 2, height: 2, bits: 24, pixels: new Uint8Array(16) };
    const cases: [string, Uint8Array, RegExp][] = [
      ['JPEG in BMP', bmp({ ...ok, compression: 4 }), /unsupported compression 4 \(JPEG\)/],
      ['PNG in BMP', bmp({ ...ok, compression: 5 }), /unsupported compression 5 \(PNG\)/],
      ['unknown compression', bmp({ ...ok, compression: 9 }), /unsupported compression 9/],
      ['header size', bmp({ ...ok, headerSize: 20 }), /unsupported header size 20/],
      ['bit depth 2', bmp({ ...ok, bits: 2, palette: PAL.slice(0, 4) }), /unsupported bit depth 2/],
      ['bit depth 0', bmp({ ...ok, bits: 0 }), /unsupported bit depth 0/],
      ['zero width', bmp({ ...ok, width: 0 }), /invalid size 0×2/],
      ['negative width', bmp({ ...ok, width: -5 }), /invalid size -5×2/],
      [
        'absurd size',
        bmp({ ...ok, width: 65536, height: 65536 }),
        new RegExp(`exceeds the limit of ${BMP_MAX_PIXELS} pixels`),
      ],
      ['RLE8 with 4 bits', bmp({ ...ok, bits: 4, compression: 1, palette: PAL }), /RLE8 compression with 4 bits/],
      [
        'non-contiguous mask',
        bmp({ ...ok, bits: 16, compression: 3, masks: [0xf00f, 0x7e0, 0x1f] }),
        /mask 0xf00f is not contiguous/,
      ],
      ['zero mask', bmp({ ...ok, bits: 32, compression: 3, masks: [0xff0000, 0, 0xff] }), /mask is zero/],
      ['offset past the end', bmp({ ...ok, offset: 5000 }), /pixel data offset 5000 is past the end/],
      [
        'truncated palette',
        bmp({ ...ok, bits: 8, colors: 256, palette: PAL, pixels: [] }),
        /palette extends past the end/,
      ],
      [
        'truncated RLE',
        bmp({ ...ok, bits: 8, compression: 1, colors: 6, palette: PAL, pixels: [2, 1, 0, 0, 1] }),
        /truncated RLE data \(2 of 4 pixels missing\)/,
      ],
      [
        'truncated absolute run',
        bmp({ ...ok, bits: 8, compression: 1, colors: 6, palette: PAL, pixels: [0, 3, 1] }),
        /truncated RLE data/,
      ],
      ['no signature', Uint8Array.from([0x50, 0x4b, ...new Uint8Array(60)]), /not a BMP file/],
    ];
    for (const [what, data, pattern] of cases) {
      assert.throws(
        () => decodeBmp(data, 'x.bmp'),
        (e) => assertOneLine(e, new RegExp(`^cannot decode BMP x\\.bmp: .*${pattern.source}`)),
        what,
      );
    }
  });

  test('a 768×512 24-bit BMP decodes every pixel (bottom-up rows, BGR order)', () => {
    const w = 768;
    const h = 512;
    const data = new Uint8Array(w * 3 * h).map((_, i) => (i * 131) % 251);
    const file = bmp({ width: w, height: h, bits: 24, pixels: data });
    const img = decodeBmp(file, 'big');
    assert.equal(img.width, w);
    assert.equal(img.height, h);
    // The first stored row is the bottom one; each stored pixel is B, G, R.
    for (const [x, y] of [
      [0, h - 1],
      [w - 1, h - 1],
      [0, 0],
      [w - 1, 0],
      [383, 255],
    ] as const) {
      const o = ((h - 1 - y) * w + x) * 3;
      assert.deepEqual(pixel(img, x, y), [data[o + 2], data[o + 1], data[o]], `pixel ${x},${y}`);
    }
  });
});
