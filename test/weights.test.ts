/**
 * Weights readers: real torch.save fixtures (PyTorch 1.13, tools/reference/make_weight_fixtures.py), synthetic
 * VGG16 weights in the three formats, and refusal of unsafe, truncated, empty, unknown and wrongly shaped files.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { WeightsError } from '../src/errors.js';
import { toFloat32 } from '../src/weights/dtype.js';
import { PyDict, unpickle } from '../src/weights/pickle.js';
import {
  detectWeightsFileFormat,
  readSafetensors,
  readWeightsFile,
  writeSafetensors,
} from '../src/node/read-weights-file.js';
import { validateShapes } from '../src/weights/read.js';
import { torchGlobals, torchPersistentLoader } from '../src/weights/torch-globals.js';
import type { WeightMap } from '../src/weights/types.js';
import { VGG16_RELU51_SHAPES, isVgg16Relu51Tensor } from '../src/backbones/vgg16.js';
import { mix32, syntheticVgg16Weights } from '../tools/synthetic-weights.js';
import { fixture } from './support/paths.js';
import { syntheticWeightFiles, type SyntheticWeightFiles } from './support/weights.js';

interface ExpectedTensor {
  name: string;
  dtype: string;
  shape: number[];
  stride: number[];
  storage_offset: number;
  sum: number;
  values: number[];
}
const W = (f: string): string => fixture('weights', f);
const expected = JSON.parse(readFileSync(W('tiny-expected.json'), 'utf8')) as {
  marker: string;
  tensors: ExpectedTensor[];
  old_style: ExpectedTensor[];
};

let tmp: string;
let syn: SyntheticWeightFiles;
before(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'deepssim-weights-test-'));
  syn = await syntheticWeightFiles();
});
after(async () => {
  await rm(tmp, { recursive: true, force: true });
});

/** Assert that `fn` rejects with a WeightsError whose message matches `re`. */
async function rejectsWeights(fn: () => Promise<unknown>, re: RegExp): Promise<string> {
  let message = '';
  await assert.rejects(fn, (e: unknown) => {
    assert.ok(e instanceof WeightsError, `expected WeightsError, got ${String(e)}`);
    message = e.message;
    assert.match(e.message, re);
    assert.ok(!e.message.includes('\n'), 'one-line message');
    return true;
  });
  return message;
}

function assertSameMaps(a: WeightMap, b: WeightMap, what: string): void {
  assert.deepEqual([...a.keys()], [...b.keys()], `${what}: names`);
  for (const [name, t] of a) {
    const u = b.get(name)!;
    assert.deepEqual(u.shape, t.shape, `${what}: ${name} shape`);
    assert.ok(
      Buffer.from(u.data.buffer, u.data.byteOffset, u.data.byteLength).equals(
        Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength),
      ),
      `${what}: ${name} values`,
    );
  }
}

describe('real torch.save fixtures (PyTorch 1.13)', () => {
  for (const [file, format] of [
    ['tiny-legacy.pth', 'pth-legacy'],
    ['tiny-zip.pth', 'pth-zip'],
  ] as const) {
    test(`${file} loads every tensor with exact float32 values`, async () => {
      const r = await readWeightsFile(W(file));
      assert.equal(r.format, format);
      assert.deepEqual(
        [...r.tensors.keys()],
        expected.tensors.map((t) => t.name),
      );
      for (const e of expected.tensors) {
        const t = r.tensors.get(e.name)!;
        assert.deepEqual(t.shape, e.shape, e.name);
        assert.ok(t.data instanceof Float32Array);
        assert.equal(t.data.length, e.values.length, e.name);
        for (let i = 0; i < e.values.length; i++) {
          // Expected values are float32 numbers written by Python; NaN-free by construction.
          assert.equal(t.data[i], Math.fround(e.values[i]), `${e.name}[${i}]`);
        }
        let sum = 0;
        for (const v of t.data) sum += v;
        // float64 dtype: the sum in the JSON is over the float64 values; our data is the float32 rounding.
        assert.ok(
          Math.abs(sum - e.sum) <= 1e-6 * Math.max(1, Math.abs(e.sum)) || e.dtype === 'float64',
          `${e.name} sum ${sum} vs ${e.sum}`,
        );
      }
    });
  }

  test('old-style legacy file (like vgg16-397923af.pth): _rebuild_tensor, cuda:0 locations, storage views', async () => {
    const r = await readWeightsFile(W('old-style-legacy.pth'));
    assert.equal(r.format, 'pth-legacy');
    assert.deepEqual(
      [...r.tensors.keys()],
      expected.old_style.map((t) => t.name),
    );
    for (const e of expected.old_style) {
      const t = r.tensors.get(e.name)!;
      assert.deepEqual(t.shape, e.shape);
      assert.deepEqual([...t.data], e.values.map(Math.fround), e.name);
    }
  });

  test('the fixtures exercise views, strides, offsets and non-float32 dtypes', () => {
    const byName = new Map(expected.tensors.map((t) => [t.name, t]));
    assert.deepEqual(byName.get('extra.transposed')!.stride, [1, 3]);
    assert.equal(byName.get('extra.offset_view')!.storage_offset, 5);
    assert.deepEqual(byName.get('extra.expanded')!.stride, [0, 1]);
    assert.deepEqual(byName.get('extra.scalar')!.shape, []);
    const dtypes = new Set(expected.tensors.map((t) => t.dtype));
    for (const d of ['float32', 'float64', 'float16', 'bfloat16', 'int64']) assert.ok(dtypes.has(d), d);
  });

  test('select loads only the requested tensors', async () => {
    for (const file of ['tiny-legacy.pth', 'tiny-zip.pth']) {
      const r = await readWeightsFile(W(file), { select: (n) => n === '0.weight' || n === 'extra.offset_view' });
      assert.deepEqual([...r.tensors.keys()].sort(), ['0.weight', 'extra.offset_view']);
      assert.deepEqual(
        [...r.tensors.get('extra.offset_view')!.data],
        expected.tensors.find((t) => t.name === 'extra.offset_view')!.values,
      );
    }
  });

  test('the state dict _metadata attribute is kept by the unpickler (BUILD on OrderedDict)', async () => {
    // The legacy file starts with 3 small pickles; parse them and the main one directly.
    const buf = new Uint8Array(await readFile(W('tiny-legacy.pth')));
    let pos = 0;
    for (let i = 0; i < 3; i++) pos = unpickle(buf, pos, { globals: new Map(), source: 't' }).end;
    const { value } = unpickle(buf, pos, {
      globals: torchGlobals('t'),
      persistentLoad: torchPersistentLoader('t', new Map()),
      source: 't',
    });
    assert.ok(value instanceof PyDict);
    assert.equal(value.className, 'OrderedDict');
    const meta = value.attrs?.get('_metadata');
    assert.ok(meta instanceof PyDict);
    assert.ok(meta.map.has('') && meta.map.has('0') && meta.map.has('1'));
  });
});

describe('synthetic VGG16 weights', () => {
  test('the generator matches values pinned from the independent NumPy implementation', () => {
    assert.equal(mix32(0), 0);
    assert.equal(mix32(1), 1753845952);
    assert.equal(mix32(20251), 2396008875);
    const w = syntheticVgg16Weights(20251);
    assert.deepEqual([...w.keys()], Object.keys(VGG16_RELU51_SHAPES));
    for (const [name, shape] of Object.entries(VGG16_RELU51_SHAPES)) assert.deepEqual(w.get(name)!.shape, shape);
    assert.equal(w.get('features.0.weight')!.data[0], -0.36553317308425903);
    assert.equal(w.get('features.0.weight')!.data[1727], 0.01386963576078415);
    assert.equal(w.get('features.24.weight')!.data[512 * 512 * 9 - 1], 0.0320269912481308);
    assert.equal(w.get('features.24.bias')!.data[511], -0.02166549488902092);
    assert.equal(w.get('features.10.bias')!.data[0], 0.046410053968429565);
    let total = 0;
    for (const t of w.values()) for (const v of t.data) total += v;
    assert.ok(Math.abs(total - -65.47898623572544) < 1e-8, `sum ${total}`);
    assert.equal(syntheticVgg16Weights(7).get('features.0.weight')!.data[0], -0.32914093136787415);
  });

  test('safetensors, legacy .pth and zip .pth give identical WeightMaps equal to the generator', async () => {
    const gen = syntheticVgg16Weights(syn.seed);
    const st = await readWeightsFile(syn.safetensors);
    const legacy = await readWeightsFile(syn.pthLegacy);
    const zip = await readWeightsFile(syn.pthZip);
    assert.deepEqual([st.format, legacy.format, zip.format], ['safetensors', 'pth-legacy', 'pth-zip']);
    assert.equal(st.metadata?.seed, String(syn.seed));
    assertSameMaps(gen, st.tensors, 'safetensors');
    assertSameMaps(gen, legacy.tensors, 'legacy');
    assertSameMaps(gen, zip.tensors, 'zip');
    validateShapes(st.tensors, VGG16_RELU51_SHAPES, syn.safetensors);
  });

  // (No wall-clock assertions: how fast this is belongs to bench/, not to a test that fails on a loaded machine.)
  test('the 40 MB safetensors reads back the 22 tensors of relu5_1', async () => {
    const r = await readWeightsFile(syn.safetensors, { select: isVgg16Relu51Tensor });
    assert.equal(r.tensors.size, 22);
  });
});

describe('refusal of unsafe pickles (nothing is executed)', () => {
  const opts = () => ({
    globals: torchGlobals('evil'),
    persistentLoad: torchPersistentLoader('evil', new Map()),
    source: 'evil',
  });

  test('a REDUCE of os.system is refused at its GLOBAL and runs nothing', async () => {
    await rm(expected.marker, { force: true });
    const buf = new Uint8Array(await readFile(W('evil.pkl')));
    assert.throws(
      () => unpickle(buf, 0, opts()),
      (e: unknown) => e instanceof WeightsError && /refusing to load global posix\.system/.test(e.message),
    );
    await rejectsWeights(() => readWeightsFile(W('evil-legacy.pth')), /refusing to load global posix\.system/);
    await rejectsWeights(() => readWeightsFile(W('evil-zip.pth')), /refusing to load global posix\.system/);
    assert.equal(existsSync(expected.marker), false, 'the malicious command must not have run');
  });

  test('builtins.eval is refused', async () => {
    const buf = new Uint8Array(await readFile(W('evil-eval.pkl')));
    assert.throws(() => unpickle(buf, 0, opts()), /refusing to load global (__builtin__|builtins)\.eval/);
    assert.equal(existsSync(expected.marker), false);
  });

  test('non-tensor globals are refused (collections.Counter, argparse.Namespace)', async () => {
    await rejectsWeights(() => readWeightsFile(W('counter-zip.pth')), /global collections\.Counter/);
    await rejectsWeights(() => readWeightsFile(W('namespace-legacy.pth')), /global argparse\.Namespace/);
  });

  test('hand-made pickles: __builtin__.exec, REDUCE of a non-callable, NEWOBJ, unknown and unsupported opcodes', () => {
    const run = (bytes: number[] | Buffer) => () => unpickle(new Uint8Array(bytes), 0, opts());
    const g = (m: string, n: string) => [...Buffer.from(`c${m}\n${n}\n`, 'latin1')];
    assert.throws(run([0x80, 2, ...g('__builtin__', 'exec'), 0x29, 0x52, 0x2e]), /global __builtin__\.exec/);
    // torch.FloatStorage is allow-listed as a type, but not callable.
    assert.throws(
      run([0x80, 2, ...g('torch', 'FloatStorage'), 0x29, 0x52, 0x2e]),
      /refusing REDUCE on global torch\.FloatStorage/,
    );
    assert.throws(run([0x80, 2, ...g('torch._utils', '_rebuild_tensor_v2'), 0x29, 0x81, 0x2e]), /refusing NEWOBJ/);
    assert.throws(run([0x80, 2, 0x4e, 0x29, 0x52, 0x2e]), /refusing REDUCE on None/);
    assert.throws(run([0x80, 2, 0xff, 0x2e]), /unsupported pickle opcode unknown \(0xff\) at byte 2/);
    assert.throws(run(Buffer.from('\x80\x02(cos\nsystem\nS"ls"\ni.', 'latin1')), /global os\.system/);
    assert.throws(run([0x80, 2, 0x28, 0x69]), /unsupported pickle opcode INST/);
    assert.throws(run([0x80, 2, 0x82, 1, 0x2e]), /unsupported pickle opcode EXT1/);
    assert.throws(run([0x80, 2, 0x4e, 0x4e, 0x62, 0x2e]), /refusing BUILD on None/);
    assert.throws(run([0x80, 2, 0x4e, 0x51, 0x2e]), /malformed persistent id/);
    assert.throws(run([0x80, 2, 0x4e]), /truncated/);
  });
});

describe('truncated, empty, missing and unknown files', () => {
  async function cut(src: string, length: number, name: string): Promise<string> {
    const data = await readFile(src);
    const p = join(tmp, name);
    await writeFile(p, data.subarray(0, length));
    return p;
  }

  test('legacy .pth cut at several points', async () => {
    const size = (await stat(W('tiny-legacy.pth'))).size;
    for (const n of [3, 10, 14, 15, 40, 200, Math.floor(size / 2), size - 100, size - 1]) {
      const p = await cut(W('tiny-legacy.pth'), n, `legacy-${n}.pth`);
      await rejectsWeights(() => readWeightsFile(p), /truncated/);
    }
  });

  test('legacy .pth cut inside a storage names the storage and the byte counts, even when it is not selected', async () => {
    const size = (await stat(syn.pthLegacy)).size;
    const p = await cut(syn.pthLegacy, size - 1000, 'syn-legacy-cut.pth');
    // The last storage is features.24.bias: 512 floats = 2048 bytes, of which 1048 remain.
    const msg = await rejectsWeights(
      () => readWeightsFile(p, { select: (n) => n === 'features.0.weight' }),
      /is truncated: expected 2048 bytes for storage \d+, found 1048$/,
    );
    assert.match(msg, /syn-legacy-cut\.pth/);
    const p2 = await cut(syn.pthLegacy, 20_000_000, 'syn-legacy-cut2.pth');
    await rejectsWeights(() => readWeightsFile(p2), /is truncated: expected \d+ bytes for storage \d+, found \d+$/);
  });

  test('zip .pth cut at several points', async () => {
    const size = (await stat(W('tiny-zip.pth'))).size;
    for (const n of [2, 4, 30, 500, Math.floor(size / 2), size - 10, size - 1]) {
      const p = await cut(W('tiny-zip.pth'), n, `zip-${n}.pth`);
      await rejectsWeights(() => readWeightsFile(p), /truncated/);
    }
  });

  test('safetensors cut at several points', async () => {
    const size = (await stat(syn.safetensors)).size;
    for (const n of [4, 8, 9, 100, 3000, Math.floor(size / 2), size - 1]) {
      const p = await cut(syn.safetensors, n, `st-${n}.safetensors`);
      await rejectsWeights(() => readWeightsFile(p), /truncated/);
    }
  });

  test('empty, missing, directory and unknown files', async () => {
    const empty = join(tmp, 'empty.pth');
    await writeFile(empty, '');
    await rejectsWeights(() => readWeightsFile(empty), /empty\.pth is empty$/);
    await rejectsWeights(() => readWeightsFile(join(tmp, 'nope.pth')), /nope\.pth does not exist$/);
    const dir = join(tmp, 'a-dir.pth');
    await mkdir(dir);
    await rejectsWeights(() => readWeightsFile(dir), /is a directory$/);
    const text = join(tmp, 'weights.txt');
    await writeFile(text, 'these are not weights at all\n');
    await rejectsWeights(() => readWeightsFile(text), /is not a recognised weights format/);
    // A bare pickle (not torch.save output) is not a weights file either.
    await rejectsWeights(() => readWeightsFile(W('evil.pkl')), /is not a recognised weights format/);
    await rejectsWeights(() => detectWeightsFileFormat(text), /not a recognised/);
  });

  test('a zip archive that is not a PyTorch file', async () => {
    const { writeZipPth } = await import('../tools/synthetic-weights.js');
    const p = join(tmp, 'plain.zip');
    await writeZipPth(p, new Map([['w', { shape: [1], data: new Float32Array([1]) }]]), 'x');
    assert.equal((await readWeightsFile(p)).tensors.get('w')!.data[0], 1);
    // Rename data.pkl inside the archive by patching its name bytes in both headers.
    const bytes = await readFile(p);
    const patched = Buffer.from(bytes.toString('latin1').replaceAll('x/data.pkl', 'x/info.pkl'), 'latin1');
    await writeFile(p, patched);
    await rejectsWeights(() => readWeightsFile(p), /not a PyTorch file \(no <root>\/data\.pkl entry\)/);
  });
});

describe('shapes', () => {
  test('validateShapes reports the first wrong shape and missing tensors', () => {
    const good = syntheticVgg16Weights(1);
    validateShapes(good, VGG16_RELU51_SHAPES, 'x.pth');
    const bad: WeightMap = new Map(good);
    bad.set('features.0.weight', { shape: [64, 3, 5, 5], data: new Float32Array(64 * 3 * 25) });
    assert.throws(() => validateShapes(bad, VGG16_RELU51_SHAPES, 'x.pth'), {
      message: 'weights file x.pth: features.0.weight has shape [64,3,5,5], expected [64,3,3,3]',
    });
    bad.delete('features.24.bias');
    bad.set('features.0.weight', good.get('features.0.weight')!);
    assert.throws(() => validateShapes(bad, VGG16_RELU51_SHAPES, 'x.pth'), {
      message: 'weights file x.pth: tensor features.24.bias is missing (expected shape [512])',
    });
  });

  test('the real fixtures fail validation against VGG16 with a clear message', async () => {
    const r = await readWeightsFile(W('tiny-zip.pth'));
    assert.throws(
      () => validateShapes(r.tensors, VGG16_RELU51_SHAPES, 'tiny-zip.pth'),
      /tensor features\.0\.weight is missing/,
    );
  });
});

describe('safetensors', () => {
  /** Write a safetensors file from a raw header object and data bytes. */
  async function rawSt(name: string, header: unknown, data: Uint8Array): Promise<string> {
    const json = Buffer.from(JSON.stringify(header));
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(json.length));
    const p = join(tmp, name);
    await writeFile(p, Buffer.concat([len, json, data]));
    return p;
  }

  test('round trip with metadata; data block 8-byte aligned', async () => {
    const p = join(tmp, 'rt.safetensors');
    const m: WeightMap = new Map([
      ['a', { shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, -6.5]) }],
      ['b.c', { shape: [], data: Float32Array.from([Math.PI]) }],
      ['empty', { shape: [0, 4], data: new Float32Array(0) }],
    ]);
    await writeSafetensors(p, m, { note: 'ünïcode ok', x: '1' });
    const bytes = await readFile(p);
    assert.equal((8 + Number(bytes.readBigUInt64LE(0))) % 8, 0);
    const r = await readSafetensors(p);
    assert.deepEqual(r.metadata, { note: 'ünïcode ok', x: '1' });
    assertSameMaps(m, r.tensors, 'round trip');
    const sel = await readSafetensors(p, (n) => n === 'a');
    assert.deepEqual([...sel.tensors.keys()], ['a']);
  });

  test('F64, F16, BF16 and I64 are converted to float32', async () => {
    const f64 = new Float64Array([1 / 3, -1e-40, 1e39]);
    const f16 = new Uint16Array([0x3c00, 0xc000, 0x7bff, 0x0001, 0x7c00, 0xfc00, 0x8000]); // 1, -2, 65504, 2^-24, inf, -inf, -0
    const bf16 = new Uint16Array([0x3f80, 0x4049, 0xff80]); // 1, 3.140625, -inf
    const i64 = new BigInt64Array([-3n, 1n << 40n]);
    const parts = [f64, f16, bf16, i64].map((a) => new Uint8Array(a.buffer));
    let off = 0;
    const offs = parts.map((p) => [off, (off += p.length)]);
    const p = await rawSt(
      'dtypes.safetensors',
      {
        d: { dtype: 'F64', shape: [3], data_offsets: offs[0] },
        h: { dtype: 'F16', shape: [7], data_offsets: offs[1] },
        b: { dtype: 'BF16', shape: [3], data_offsets: offs[2] },
        i: { dtype: 'I64', shape: [2], data_offsets: offs[3] },
      },
      Buffer.concat(parts),
    );
    const r = await readWeightsFile(p);
    assert.deepEqual([...r.tensors.get('d')!.data], [Math.fround(1 / 3), Math.fround(-1e-40), Infinity]);
    assert.deepEqual([...r.tensors.get('h')!.data], [1, -2, 65504, 2 ** -24, Infinity, -Infinity, -0]);
    assert.deepEqual([...r.tensors.get('b')!.data], [1, 3.140625, -Infinity]);
    assert.deepEqual([...r.tensors.get('i')!.data], [-3, 2 ** 40]);
    assert.ok(Number.isNaN(toFloat32(new Uint8Array(new Uint16Array([0x7e00]).buffer), 'float16', 0, 1)[0]));
  });

  test('header validation: offsets out of range, overlap, size mismatch, dtype, metadata, JSON', async () => {
    const data = new Uint8Array(32);
    const cases: [unknown, RegExp][] = [
      [
        { a: { dtype: 'F32', shape: [4], data_offsets: [24, 40] } },
        /truncated: expected 40 data bytes for tensor a, found 32/,
      ],
      [
        {
          a: { dtype: 'F32', shape: [4], data_offsets: [0, 16] },
          b: { dtype: 'F32', shape: [4], data_offsets: [8, 24] },
        },
        /tensors a and b overlap/,
      ],
      [{ a: { dtype: 'F32', shape: [4], data_offsets: [0, 12] } }, /span 12 bytes, shape \[4\] F32 needs 16/],
      [{ a: { dtype: 'F8_E4M3', shape: [4], data_offsets: [0, 4] } }, /unsupported dtype "F8_E4M3"/],
      [{ a: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, /invalid shape/],
      [{ a: { dtype: 'F32', shape: [1], data_offsets: [4, 0] } }, /invalid data_offsets/],
      [{ __metadata__: { k: 1 } }, /__metadata__ must map strings to strings/],
    ];
    for (const [i, [header, re]] of cases.entries()) {
      const p = await rawSt(`bad-${i}.safetensors`, header, data);
      await rejectsWeights(() => readWeightsFile(p), re);
    }
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(5n);
    const p = join(tmp, 'badjson.safetensors');
    await writeFile(p, Buffer.concat([len, Buffer.from('{"a":'), data]));
    await rejectsWeights(() => readWeightsFile(p), /invalid safetensors header JSON/);
  });
});
