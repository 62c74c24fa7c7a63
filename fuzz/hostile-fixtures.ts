/**
 * Generates the hostile regression fixtures in test/fixtures/hostile/ (run: `npx tsx fuzz/hostile-fixtures.ts`).
 * One file (or dataset folder) per defect found by the hostile-input review (issue 14), each the smallest input
 * that reproduced it, plus index.json naming the reader and the error code each must give. test/hostile.test.ts
 * runs every one in a child process with a memory cap and checks the outcome. The bytes are built here, never
 * edited by hand.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { crc32, deflateRawSync, deflateSync } from 'node:zlib';
import sharp from 'sharp';
import { seededRandom } from '../src/eval/statistics.js';
import { writeXlsx } from '../test/fixtures/eval/write-xlsx.js';
import { mutate } from './fuzz.js';
import { storedZip } from '../tools/stored-zip.js';
import { global, pickle, reduce, tuple, type PValue } from '../tools/synthetic-weights/pickle-writer.js';

export const HOSTILE_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'test', 'fixtures', 'hostile');

/** How a fixture is read (see fuzz/readers.ts) and what it must give. */
export interface HostileCase {
  readonly file: string;
  readonly reader: string;
  /** Expected DeepSSIMError code, or 'ok' when the file is valid and the check is on the values. */
  readonly code: string;
  readonly defect: string;
}

const cases: HostileCase[] = [];
const u8 = (...b: number[]): Buffer => Buffer.from(b);
const u32 = (v: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v >>> 0);
  return b;
};
const u16 = (v: number): Buffer => {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(v);
  return b;
};
const u64 = (v: bigint): Buffer => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(v);
  return b;
};

function put(file: string, bytes: Uint8Array | string, reader: string, code: string, defect: string): void {
  const p = join(HOSTILE_DIR, file);
  mkdirSync(dirname(p), { recursive: true });
  writeFileSync(p, bytes);
  cases.push({ file, reader, code, defect });
}
function dir(
  name: string,
  files: Record<string, Uint8Array | string>,
  reader: string,
  code: string,
  defect: string,
): void {
  for (const [f, bytes] of Object.entries(files)) {
    const p = join(HOSTILE_DIR, name, f);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, bytes);
  }
  cases.push({ file: name, reader, code, defect });
}

// ---- zip helpers: entries with any method and declared sizes (zip64 extra when asked) ----------------------------
interface RawEntry {
  name: string;
  /** What is stored in the archive (already compressed for method 8). */
  stored: Uint8Array;
  method: 0 | 8;
  crc: number;
  size: number | bigint;
  zip64?: boolean;
}
function rawZip(entries: RawEntry[]): Buffer {
  const parts: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.from(e.name);
    const local = Buffer.concat([
      u32(0x04034b50),
      u16(20),
      u16(0x800),
      u16(e.method),
      u16(0),
      u16(0x21),
      u32(e.crc),
      u32(e.stored.length),
      u32(e.zip64 ? 0xffffffff : Number(e.size)),
      u16(name.length),
      u16(0),
    ]);
    parts.push(local, name, Buffer.from(e.stored));
    const extra = e.zip64
      ? Buffer.concat([u16(1), u16(16), u64(BigInt(e.size)), u64(BigInt(e.stored.length))])
      : Buffer.alloc(0);
    central.push(
      Buffer.concat([
        u32(0x02014b50),
        u16(45),
        u16(45),
        u16(0x800),
        u16(e.method),
        u16(0),
        u16(0x21),
        u32(e.crc),
        u32(e.zip64 ? 0xffffffff : e.stored.length),
        u32(e.zip64 ? 0xffffffff : Number(e.size)),
        u16(name.length),
        u16(extra.length),
        u16(0),
        u16(0),
        u16(0),
        u32(0),
        u32(offset),
      ]),
      name,
      extra,
    );
    offset += local.length + name.length + e.stored.length;
  }
  const cd = Buffer.concat(central);
  const eocd = Buffer.concat([
    u32(0x06054b50),
    u16(0),
    u16(0),
    u16(entries.length),
    u16(entries.length),
    u32(cd.length),
    u32(offset),
    u16(0),
  ]);
  return Buffer.concat([...parts, cd, eocd]);
}
const stored = (name: string, data: Uint8Array): RawEntry => ({
  name,
  stored: data,
  method: 0,
  crc: crc32(data) >>> 0,
  size: data.length,
});
const deflated = (name: string, data: Uint8Array, declared?: number | bigint): RawEntry => ({
  name,
  stored: deflateRawSync(data, { level: 9 }),
  method: 8,
  crc: crc32(data) >>> 0,
  size: declared ?? data.length,
  zip64: declared !== undefined && BigInt(declared) > 0xfffffffen,
});

// ---- pickles --------------------------------------------------------------------------------------------------
/** A state dict {name: tensor(storage key '0' of `numel` floats, offset 0, shape, stride)}. */
function statePickle(numel: number, shape: number[], stride: number[]): Buffer {
  const storage: PValue = { t: 'persid', pid: tuple('storage', global('torch', 'FloatStorage'), '0', 'cpu', numel) };
  const t = reduce(global('torch._utils', '_rebuild_tensor_v2'), storage, 0, tuple(...shape), tuple(...stride), false, {
    t: 'odict',
    entries: [],
  });
  return pickle({ t: 'odict', entries: [['w', t]] });
}
const pthZip = (pkl: Uint8Array, data: Uint8Array): Buffer =>
  storedZip(
    [
      ['archive/data.pkl', pkl],
      ['archive/data/0', data],
      ['archive/version', Buffer.from('3\n')],
    ],
    { align: 64 },
  );

// ---- MAT-files ------------------------------------------------------------------------------------------------
const MI = { INT8: 1, UINT8: 2, INT32: 5, UINT32: 6, DOUBLE: 9, MATRIX: 14, COMPRESSED: 15, UTF32: 18 };
function element(type: number, data: Uint8Array): Buffer {
  const pad = (8 - (data.length % 8)) % 8;
  return Buffer.concat([u32(type), u32(data.length), Buffer.from(data), Buffer.alloc(pad)]);
}
const int32s = (...v: number[]): Buffer =>
  Buffer.concat(
    v.map((x) => {
      const b = Buffer.alloc(4);
      b.writeInt32LE(x);
      return b;
    }),
  );
function matrix(cls: number, dims: number[], name: string, ...data: Buffer[]): Buffer {
  return element(
    MI.MATRIX,
    Buffer.concat([
      element(MI.UINT32, Buffer.concat([u32(cls), u32(0)])),
      element(MI.INT32, int32s(...dims)),
      element(MI.INT8, Buffer.from(name)),
      ...data,
    ]),
  );
}
function matFile(...elements: Buffer[]): Buffer {
  const header = Buffer.alloc(128, 0x20);
  header.write('MATLAB 5.0 MAT-file, hostile fixture', 0, 'latin1');
  header.writeUInt16LE(0x0100, 124);
  header.write('IM', 126, 'latin1');
  return Buffer.concat([header, ...elements]);
}

function safetensors(header: string | Uint8Array, data: Uint8Array): Buffer {
  const h = typeof header === 'string' ? Buffer.from(header, 'utf8') : Buffer.from(header);
  return Buffer.concat([u64(BigInt(h.length)), h, Buffer.from(data)]);
}

export async function generate(): Promise<HostileCase[]> {
  rmSync(HOSTILE_DIR, { recursive: true, force: true });
  mkdirSync(HOSTILE_DIR, { recursive: true });
  cases.length = 0;

  // 1. zip .pth: a zip64 locator pointing at 2^60 (yauzl threw outside any handler): local header stub + locator + EOCD.
  put(
    'zip64-locator-2p60.pth',
    Buffer.concat([
      u32(0x04034b50),
      Buffer.alloc(26),
      u32(0x07064b50),
      u32(0),
      u64(1n << 60n),
      u32(1),
      u32(0x06054b50),
      u16(0xffff),
      u16(0xffff),
      u16(0xffff),
      u16(0xffff),
      u32(0xffffffff),
      u32(0xffffffff),
      u16(0),
    ]),
    'weights',
    'WEIGHTS_CORRUPT',
    'process died inside yauzl (uncaught error)',
  );
  // 2. zip .pth whose deflated data.pkl declares 2^40 bytes (yauzl path allocated new Uint8Array(2^40)).
  put(
    'deflated-datapkl-2p40.pth',
    rawZip([
      deflated('archive/data.pkl', statePickle(1, [1], [1]), 2n ** 40n),
      stored('archive/data/0', new Uint8Array(4)),
    ]),
    'weights',
    'WEIGHTS_CORRUPT',
    'allocated 2^40 bytes',
  );
  // 3. stride-0 tensor: one float expanded to 65536×65536 (4.29 GB materialised before the shape check).
  put(
    'stride0-expand.pth',
    pthZip(statePickle(1, [65536, 65536], [0, 0]), new Uint8Array(4)),
    'weights',
    'LIMIT_EXCEEDED',
    '349 bytes → 4.29 GB, 18 s',
  );
  // 4. zip deflate bomb: data/0 declares 128 MiB of zeros inflated from ~125 KB.
  const big = new Uint8Array(128 * 1024 * 1024);
  put(
    'zip-deflate-bomb.pth',
    rawZip([
      stored('archive/data.pkl', statePickle(big.length / 4, [big.length / 4], [1])),
      deflated('archive/data/0', big),
    ]),
    'weights',
    'LIMIT_EXCEEDED',
    '1 MB → 2.2 GB',
  );
  // 5. duplicate zip entries: two data.pkl (deepssim read the last, torch the first).
  put(
    'zip-duplicate-entries.pth',
    storedZip([
      ['archive/data.pkl', statePickle(1, [1], [1])],
      ['archive/data.pkl', statePickle(2, [2], [1])],
      ['archive/data/0', new Uint8Array(8)],
    ]),
    'weights',
    'WEIGHTS_CORRUPT',
    'different numbers than torch for the same file',
  );
  // 6. LONG4 integer past the cap (decoding was superquadratic: 320 KB → 101 s).
  put(
    'long4-huge.pkl',
    Buffer.concat([u8(0x80, 2, 0x8b), u32(64 * 1024), Buffer.alloc(64 * 1024, 0x7f), u8(0x2e)]),
    'pickle',
    'LIMIT_EXCEEDED',
    '160 KB → 9.7 s, 320 KB → 101 s',
  );
  put(
    'long1-huge.pkl',
    Buffer.concat([u8(0x80, 2, 0x8a, 255), Buffer.alloc(255, 0x7f), u8(0x2e)]),
    'pickle',
    'LIMIT_EXCEEDED',
    'LONG1 decoding (same code path)',
  );
  // 7. a dict that contains itself (13 bytes): PROTO 2, EMPTY_DICT, BINPUT 0, MARK, 'a', BINGET 0, SETITEMS, STOP.
  const cyclic = u8(0x80, 2, 0x7d, 0x71, 0, 0x28, 0x8c, 1, 0x61, 0x68, 0, 0x75, 0x2e);
  put('cyclic-dict.pkl', cyclic, 'pickle', 'LIMIT_EXCEEDED', 'Maximum call stack size exceeded');
  put(
    'cyclic-dict.pth',
    pthZip(cyclic, new Uint8Array(0)),
    'weights',
    'LIMIT_EXCEEDED',
    'Maximum call stack size exceeded',
  );
  // 8. dicts nested 20,000 deep: {'a': {'a': …}}.
  const depth = 20_000;
  put(
    'deep-dict.pkl',
    Buffer.concat([
      u8(0x80, 2),
      Buffer.alloc(depth * 4).fill(Buffer.from([0x7d, 0x8c, 1, 0x61])),
      u8(0x7d),
      Buffer.alloc(depth, 0x73),
      u8(0x2e),
    ]),
    'pickle',
    'LIMIT_EXCEEDED',
    'Maximum call stack size exceeded',
  );
  // 9. deep JSON: safetensors header and model.json nested 100,000 deep (the overflow was in building the message).
  const deepJson = (key: string): string => `{"${key}":${'['.repeat(100_000)}${']'.repeat(100_000)}}`;
  put(
    'deep-json.safetensors',
    safetensors(deepJson('w'), new Uint8Array(0)),
    'weights',
    'LIMIT_EXCEEDED',
    'Maximum call stack size exceeded',
  );
  dir(
    'tfjs-deep-json',
    { 'model.json': `{"modelTopology":${deepJson('config')},"weightsManifest":[]}` },
    'tfjs-dir',
    'LIMIT_EXCEEDED',
    'Maximum call stack size exceeded',
  );
  const deepShape = `{"w":{"dtype":"F32","shape":${'['.repeat(50_000)}${']'.repeat(50_000)},"data_offsets":[0,4]}}`;
  put(
    'deep-shape.safetensors',
    safetensors(deepShape, new Uint8Array(4)),
    'weights',
    'LIMIT_EXCEEDED',
    'stack overflow in JSON.stringify of the shape for the message',
  );
  // 10. safetensors leniency: gap, trailing bytes, invalid UTF-8, overlap, bool 255.
  put(
    'st-gap.safetensors',
    safetensors(
      '{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}',
      new Uint8Array(12),
    ),
    'weights',
    'WEIGHTS_CORRUPT',
    'gap accepted',
  );
  put(
    'st-trailing.safetensors',
    safetensors('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', new Uint8Array(4 + 1000)),
    'weights',
    'WEIGHTS_CORRUPT',
    'trailing bytes accepted',
  );
  put(
    'st-bad-utf8.safetensors',
    safetensors(
      Buffer.concat([Buffer.from('{"\xff\xfe":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', 'latin1')]),
      new Uint8Array(4),
    ),
    'weights',
    'WEIGHTS_CORRUPT',
    'invalid UTF-8 accepted',
  );
  put(
    'st-bool-255.safetensors',
    safetensors('{"b":{"dtype":"BOOL","shape":[3],"data_offsets":[0,3]}}', u8(255, 0, 1)),
    'weights',
    'ok',
    'bool 255 returned as 255',
  );
  // 11. 10 MB of untrusted text in an error message (a dtype name).
  put(
    'st-long-dtype.safetensors',
    safetensors(
      `{"a":{"dtype":"${'\n'.repeat(8)}${'X'.repeat(64 * 1024)}","shape":[1],"data_offsets":[0,4]}}`,
      new Uint8Array(4),
    ),
    'weights',
    'WEIGHTS_CORRUPT',
    '10 MB stderr line with newlines (64 KB here)',
  );
  put(
    'pkl-long-global.pth',
    pthZip(
      Buffer.concat([u8(0x80, 2, 0x63), Buffer.from('os\n' + 'Y'.repeat(64 * 1024) + '\n'), u8(0x2e)]),
      new Uint8Array(0),
    ),
    'weights',
    'WEIGHTS_UNSAFE',
    '10 MB error text (64 KB here)',
  );
  // 12. legacy .pth whose storage declares 2^40 elements (must be reported as truncated, nothing allocated).
  {
    const legacyMagic = u8(0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, 0x2e);
    const storage: PValue = {
      t: 'persid',
      pid: tuple('storage', global('torch', 'FloatStorage'), '0', 'cpu', 2 ** 40, null),
    };
    const main = pickle({
      t: 'odict',
      entries: [
        [
          'w',
          reduce(
            global('torch._utils', '_rebuild_tensor_v2'),
            storage,
            0,
            tuple(2 ** 20, 2 ** 20),
            tuple(2 ** 20, 1),
            false,
            { t: 'odict', entries: [] },
          ),
        ],
      ],
    });
    put(
      'legacy-storage-2p40.pth',
      Buffer.concat([
        legacyMagic,
        pickle(1001),
        pickle({ t: 'dict', entries: [['little_endian', true]] }),
        main,
        pickle(['0']),
        u64(2n ** 40n),
        Buffer.alloc(16),
      ]),
      'weights',
      'WEIGHTS_CORRUPT',
      'huge declared storage',
    );
  }
  // 13. MAT-files: zlib bomb, char dims mismatch, short flags, invalid code points, deeply nested cells.
  put(
    'mat-zlib-bomb.mat',
    matFile(element(MI.COMPRESSED, deflateSync(new Uint8Array(32 * 1024 * 1024), { level: 9 }))),
    'mat5',
    'LIMIT_EXCEEDED',
    '1.47 MB → 3.1 GB',
  );
  put(
    'mat-char-dims.mat',
    matFile(matrix(4, [100_000, 100_000], 'refnames', element(MI.UINT8, Buffer.from('ab')))),
    'mat5',
    'DATA_INVALID',
    '200 bytes: hang, > 1.6 GB',
  );
  put(
    'mat-short-flags.mat',
    matFile(
      element(
        MI.MATRIX,
        Buffer.concat([
          element(MI.UINT32, u8(6, 0)),
          element(MI.INT32, int32s(1, 1)),
          element(MI.INT8, Buffer.from('x')),
          element(MI.DOUBLE, Buffer.alloc(8)),
        ]),
      ),
    ),
    'mat5',
    'DATA_INVALID',
    'RangeError (flags shorter than 4 bytes)',
  );
  put(
    'mat-bad-codepoint.mat',
    matFile(matrix(4, [1, 1], 'c', element(MI.UTF32, u32(0x7fffffff)))),
    'mat5',
    'DATA_INVALID',
    'RangeError: Invalid code point',
  );
  {
    let cell = matrix(6, [1, 1], '', element(MI.DOUBLE, Buffer.alloc(8)));
    for (let i = 0; i < 200; i++) cell = matrix(1, [1, 1], '', cell);
    put(
      'mat-deep-cells.mat',
      matFile(cell),
      'mat5',
      'LIMIT_EXCEEDED',
      'Maximum call stack size exceeded (nested cells)',
    );
  }
  // 14. Dataset tables: KADID row with a missing column; CSIQ dst_type "__proto__" / "constructor"; corrupt CSIQ xlsx.
  dir(
    'kadid-missing-column',
    { 'dmos.csv': 'dist_img,ref_img,dmos,var\nI01_01_01.png\n', 'images/I01.png': '', 'images/I01_01_01.png': '' },
    'kadid-dir',
    'DATA_INVALID',
    'path.join(undefined)',
  );
  for (const t of ['__proto__', 'constructor']) {
    const name = `csiq-dst-type-${t.replace(/_/g, '')}`;
    dir(
      name,
      { 'src_imgs/1600.png': '', 'dst_imgs/awgn/1600.AWGN.1.png': '' },
      'csiq-dir',
      'DATA_INVALID',
      `dst_type ${t}: map is not iterable`,
    );
    writeXlsx(join(HOSTILE_DIR, name, 'csiq.DMOS.xlsx'), 'all_by_image', [
      ['image', 'dst_idx', 'dst_type', 'dst_lev', 'dmos_std', 'dmos'],
      [1600, 1, t, 1, 0.01, 0.05],
    ]);
  }
  {
    const name = 'csiq-corrupt-xlsx';
    dir(name, { 'src_imgs/1600.png': '' }, 'csiq-dir', 'DATA_INVALID', 'promise never settled (exit 13, no message)');
    const tmp = join(HOSTILE_DIR, name, 'csiq.DMOS.xlsx');
    writeXlsx(tmp, 'all_by_image', [
      ['image', 'dst_type', 'dst_lev', 'dmos'],
      [1600, 'noise', 1, 0.05],
    ]);
    // Keep the zip's first half only: the entries' data runs past the (missing) central directory.
    const whole = readFileSync(tmp);
    writeFileSync(tmp, whole.subarray(0, Math.floor(whole.length / 2)));
  }
  {
    // The workbook that made read-excel-file's promise never settle (CLI exit 13, no message): input 2421 of the
    // mutation fuzzer (fuzz/fuzz.ts `mutate`, seed 5) on a minimal CSIQ workbook — stored parts shifted against the
    // central directory. Reproduced here from the same seeded mutations.
    const name = 'csiq-unsettled-xlsx';
    dir(name, { 'src_imgs/1600.png': '' }, 'csiq-dir', 'DATA_INVALID', 'promise never settled (exit 13, no message)');
    const seedFile = join(HOSTILE_DIR, name, 'csiq.DMOS.xlsx');
    writeXlsx(seedFile, 'all_by_image', [
      ['image', 'dst_idx', 'dst_type', 'dst_lev', 'dmos_std', 'dmos'],
      [1600, 1, 'noise', 1, 0.01, 0.06],
    ]);
    const seed = new Uint8Array(readFileSync(seedFile));
    const rnd = seededRandom(5);
    let hostile: Uint8Array = seed;
    for (let i = 0; i <= 2421; i++) hostile = mutate(seed, [seed], rnd);
    writeFileSync(seedFile, hostile);
  }
  // 15. BMP: an RLE8 image of 16384×16384 from a 60-byte file (end-of-bitmap at once).
  {
    const w = 16384;
    const h = 16384;
    const header = Buffer.alloc(54);
    header.write('BM', 0, 'latin1');
    header.writeUInt32LE(54 + 1024 + 2, 2);
    header.writeUInt32LE(54 + 1024, 10);
    header.writeUInt32LE(40, 14);
    header.writeInt32LE(w, 18);
    header.writeInt32LE(h, 22);
    header.writeUInt16LE(1, 26);
    header.writeUInt16LE(8, 28);
    header.writeUInt32LE(1, 30); // BI_RLE8
    header.writeUInt32LE(256, 46);
    put(
      'bmp-rle-bomb.bmp',
      Buffer.concat([header, Buffer.alloc(1024), u8(0, 1)]),
      'bmp',
      'LIMIT_EXCEEDED',
      '1 KB → 1 GB allocation',
    );
  }
  // 16. PNG decompression bomb: 5000×1000 of one colour in a few KB (the full-size version, 16000×16000 in 750 KB,
  // took > 120 s and 10.7 GB before it was refused from its header).
  put(
    'png-bomb.png',
    await sharp({ create: { width: 5000, height: 1000, channels: 3, background: { r: 0, g: 0, b: 0 } } })
      .png({ compressionLevel: 9 })
      .toBuffer(),
    'image',
    'LIMIT_EXCEEDED',
    '16000×16000 PNG of 750 KB: > 120 s, 10.7 GB',
  );
  writeFileSync(join(HOSTILE_DIR, 'index.json'), JSON.stringify(cases, null, 1) + '\n');
  return cases;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const list = await generate();
  console.log(`wrote ${list.length} hostile fixtures to ${HOSTILE_DIR}`);
}
