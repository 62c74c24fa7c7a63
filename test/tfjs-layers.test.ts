/**
 * The TensorFlow.js layers reader: shard concatenation, float32/int32 and the quantised uint8/uint16/float16
 * encodings (checked against tfjs-core's own decodeWeights), selective reading, and one clear WeightsError per
 * kind of broken model.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { WeightsError } from '../src/errors.js';
import { readTfjsLayersModel } from '../src/node/read-weights-file.js';
import { SHARED, SHARED_SKIP } from './support/paths.js';

type Spec = { name: string; shape: number[]; dtype: string; quantization?: Record<string, unknown> };

/** Little-endian bytes of typed values. */
const bytesOf = (a: Float32Array | Int32Array | Uint8Array | Uint16Array): Buffer =>
  Buffer.from(a.buffer, a.byteOffset, a.byteLength);

/** float32 → IEEE half bits (values chosen exactly representable). */
function half(v: number): number {
  const b = new DataView(new ArrayBuffer(4));
  b.setFloat32(0, v);
  const x = b.getUint32(0);
  const sign = (x >>> 16) & 0x8000;
  const exp = ((x >>> 23) & 0xff) - 127 + 15;
  const frac = (x >>> 13) & 0x3ff;
  if (v === 0) return sign;
  assert.ok(exp > 0 && exp < 31, 'test values must be normal halves');
  return sign | (exp << 10) | frac;
}

// Group A: three weights over two shards split mid-weight; group B: quantised weights in one shard.
const F32 = Float32Array.from([0.5, -1.25, 3, 1e-7, -0, 42.75]);
const U8 = Uint8Array.from([0, 1, 2, 255, 128]);
const I32 = Int32Array.from([-3, 0, 2147483647]);
const U16 = Uint16Array.from([0, 1, 65535, 12345]);
const F16 = [1.5, -0.09375, 2048];
const U8_INT = Uint8Array.from([0, 3, 10]);

const SPECS_A: Spec[] = [
  { name: 'dense/kernel', shape: [2, 3], dtype: 'float32' },
  { name: 'q8/kernel', shape: [5], dtype: 'float32', quantization: { dtype: 'uint8', scale: 0.0078125, min: -1.3 } },
  { name: 'count', shape: [3], dtype: 'int32' },
];
const SPECS_B: Spec[] = [
  {
    name: 'q16/kernel',
    shape: [2, 2],
    dtype: 'float32',
    quantization: { dtype: 'uint16', scale: 3.1e-5, min: -0.7, original_dtype: 'float32' },
  },
  { name: 'h/kernel', shape: [3], dtype: 'float32', quantization: { dtype: 'float16' } },
  { name: 'q8/ids', shape: [3], dtype: 'int32', quantization: { dtype: 'uint8', scale: 0.3, min: 1 } },
];
const TOPOLOGY = {
  class_name: 'Model',
  config: {
    layers: [
      {
        class_name: 'InputLayer',
        name: 'input_1',
        config: { name: 'input_1', batch_input_shape: [null, 4, 4, 3] },
        inbound_nodes: [],
      },
    ],
  },
};

function shardBytes(): { a: Buffer; b: Buffer } {
  const a = Buffer.concat([bytesOf(F32), bytesOf(U8), bytesOf(I32)]);
  const b = Buffer.concat([bytesOf(U16), bytesOf(Uint16Array.from(F16.map(half))), bytesOf(U8_INT)]);
  return { a, b };
}

async function writeModel(
  dir: string,
  mutate: (json: Record<string, any>, shards: Record<string, Buffer>) => void = () => undefined,
): Promise<string> {
  await mkdir(dir, { recursive: true });
  const { a, b } = shardBytes();
  const shards: Record<string, Buffer> = {
    'a-shard1of2': a.subarray(0, 13),
    'a-shard2of2': a.subarray(13),
    'b-shard1of1': b,
  };
  const json: Record<string, any> = {
    modelTopology: { keras_version: 'test', backend: 'tensorflow', model_config: TOPOLOGY },
    weightsManifest: [
      { paths: ['a-shard1of2', 'a-shard2of2'], weights: structuredClone(SPECS_A) },
      { paths: ['b-shard1of1'], weights: structuredClone(SPECS_B) },
    ],
  };
  mutate(json, shards);
  for (const [name, data] of Object.entries(shards)) await writeFile(join(dir, name), data);
  const path = join(dir, 'model.json');
  await writeFile(path, typeof json.raw === 'string' ? json.raw : JSON.stringify(json));
  return path;
}

let root: string;
let counter = 0;
const fresh = () => join(root, `m${counter++}`);
before(async () => {
  root = await mkdtemp(join(tmpdir(), 'deepssim-tfjs-'));
  tf.env().set('IS_TEST', true); // silences tfjs-backend-cpu's "install tfjs-node" banner
  await tf.setBackend('cpu');
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

test('decodes float32, int32 and uint8/uint16/float16-quantised weights across split shards', async () => {
  const model = await readTfjsLayersModel(await writeModel(fresh()));
  const w = model.weights;
  assert.deepEqual([...w.keys()], ['dense/kernel', 'q8/kernel', 'count', 'q16/kernel', 'h/kernel', 'q8/ids']);
  assert.deepEqual(w.get('dense/kernel')!.shape, [2, 3]);
  assert.deepEqual([...w.get('dense/kernel')!.data], [...F32]);
  assert.deepEqual(
    [...w.get('q8/kernel')!.data],
    [...U8].map((q) => Math.fround(q * 0.0078125 - 1.3)),
  );
  assert.deepEqual([...w.get('count')!.data], [...I32].map(Math.fround));
  assert.deepEqual(
    [...w.get('q16/kernel')!.data],
    [...U16].map((q) => Math.fround(q * 3.1e-5 - 0.7)),
  );
  assert.deepEqual([...w.get('h/kernel')!.data], F16);
  assert.deepEqual([...w.get('q8/ids')!.data], [1, 2, 4]); // round(q·0.3 + 1): 1, 1.9, 4
  assert.equal(model.layers.length, 1);
  assert.equal(model.layers[0].className, 'InputLayer');
});

test('agrees value for value with tfjs-core io.decodeWeights', async () => {
  const path = await writeModel(fresh());
  const model = await readTfjsLayersModel(path);
  const { a, b } = shardBytes();
  const all = Buffer.concat([a, b]);
  const specs = [...SPECS_A, ...SPECS_B].map((s) => {
    // tfjs-core 4.x knows no original_dtype field; it does not change float32 decoding.
    const { quantization, ...rest } = s;
    if (!quantization) return rest;
    const { original_dtype: _, ...q } = quantization;
    return { ...rest, quantization: q };
  }) as tf.io.WeightsManifestEntry[];
  const ref = tf.io.decodeWeights(all.buffer.slice(all.byteOffset, all.byteOffset + all.length) as ArrayBuffer, specs);
  for (const s of specs) {
    const expected = Array.from(ref[s.name].dataSync() as ArrayLike<number>);
    assert.deepEqual([...model.weights.get(s.name)!.data], expected.map(Math.fround), s.name);
    assert.deepEqual([...model.weights.get(s.name)!.shape], ref[s.name].shape, s.name);
  }
});

test('select decodes only the accepted weights and does not read unselected groups', async () => {
  const dir = fresh();
  const path = await writeModel(dir);
  const model = await readTfjsLayersModel(path, { select: (n) => n === 'q8/kernel' });
  assert.deepEqual([...model.weights.keys()], ['q8/kernel']);
  // Group B is not read, but its shard must still be present with the right size.
  await writeFile(join(dir, 'b-shard1of1'), Buffer.alloc(3));
  await assert.rejects(
    readTfjsLayersModel(path, { select: (n) => n === 'q8/kernel' }),
    /b-shard1of1 hold 3 bytes, the manifest describes 17/,
  );
});

describe('broken models: one WeightsError each', () => {
  const cases: [string, (json: Record<string, any>, shards: Record<string, Buffer>) => void, RegExp][] = [
    [
      'a missing shard',
      (_, s) => delete s['a-shard2of2'],
      /weight shard a-shard2of2 is missing \(expected at .*a-shard2of2\)/,
    ],
    [
      'a truncated shard',
      (_, s) => (s['a-shard2of2'] = s['a-shard2of2'].subarray(1)),
      /a-shard1of2, a-shard2of2 hold 40 bytes, the manifest describes 41/,
    ],
    [
      'a shard with extra bytes',
      (_, s) => (s['b-shard1of1'] = Buffer.concat([s['b-shard1of1'], Buffer.alloc(4)])),
      /b-shard1of1 hold 21 bytes, the manifest describes 17/,
    ],
    [
      'an unknown quantization dtype',
      (j) => (j.weightsManifest[1].weights[0].quantization.dtype = 'int4'),
      /weight q16\/kernel: unknown quantization dtype "int4"/,
    ],
    [
      'an unknown dtype',
      (j) => (j.weightsManifest[0].weights[2].dtype = 'string'),
      /weight count: unsupported dtype "string"/,
    ],
    [
      'uint8 without scale',
      (j) => delete j.weightsManifest[0].weights[1].quantization.scale,
      /q8\/kernel: uint8 quantization needs finite numeric scale and min/,
    ],
    [
      'float16 for an int32 weight',
      (j) => (j.weightsManifest[1].weights[2].quantization = { dtype: 'float16' }),
      /q8\/ids: float16 quantisation is only defined for float32 weights/,
    ],
    ['a bad shape', (j) => (j.weightsManifest[0].weights[0].shape = [2, -3]), /dense\/kernel: invalid shape \[2,-3\]/],
    ['malformed JSON', (j) => (j.raw = '{"modelTopology": {'), /malformed JSON/],
    ['no modelTopology', (j) => delete j.modelTopology, /modelTopology is missing/],
    ['no weightsManifest', (j) => delete j.weightsManifest, /weightsManifest is missing or not an array/],
    ['a graph model', (j) => (j.format = 'graph-model'), /is a TensorFlow.js graph model; a layers model/],
    [
      'a shard path outside the folder',
      (j) => (j.weightsManifest[1].paths = ['../escape.bin']),
      /shard path \.\.\/escape\.bin leaves the model directory/,
    ],
    [
      'a duplicated weight name',
      (j) => (j.weightsManifest[1].weights[1].name = 'count'),
      /weight count appears twice in the manifest/,
    ],
    ['a topology without layers', (j) => (j.modelTopology.model_config.config = {}), /modelTopology has no layer list/],
  ];
  for (const [what, mutate, message] of cases) {
    test(what, async () => {
      const path = await writeModel(fresh(), mutate);
      await assert.rejects(readTfjsLayersModel(path), (e: unknown) => {
        assert.ok(e instanceof WeightsError, `expected a WeightsError, got ${e}`);
        assert.match(e.message, message);
        assert.ok(!e.message.includes('\n'), 'one line');
        return true;
      });
    });
  }
  test('a missing model.json or a directory', async () => {
    const dir = fresh();
    await assert.rejects(readTfjsLayersModel(join(dir, 'model.json')), /weights file .*model\.json does not exist/);
    await mkdir(dir, { recursive: true });
    await assert.rejects(readTfjsLayersModel(dir), /is a directory \(pass the path of its model\.json\)/);
  });
});

test(
  'the genuine MobileNet v1 0.75 files: 137 weights in 55 groups, values equal to tfjs-core decoding',
  { skip: SHARED_SKIP },
  async () => {
    const path = join(SHARED, 'weights', 'mobilenet_v1_0.75_224', 'model.json');
    const model = await readTfjsLayersModel(path);
    assert.equal(model.groups.length, 55);
    assert.equal(model.weights.size, 137);
    assert.equal(model.layers.length, 88);
    assert.deepEqual(model.weights.get('conv1/kernel')!.shape, [3, 3, 3, 24]);
    assert.deepEqual(model.weights.get('conv_preds/kernel')!.shape, [1, 1, 768, 1000]);
    const json = JSON.parse(await readFile(path, 'utf8'));
    const specs = json.weightsManifest.flatMap((g: { weights: tf.io.WeightsManifestEntry[] }) => g.weights);
    const parts = await Promise.all(
      json.weightsManifest.flatMap((g: { paths: string[] }) => g.paths.map((p) => readFile(join(dirname(path), p)))),
    );
    const all = Buffer.concat(parts);
    const ref = tf.io.decodeWeights(
      all.buffer.slice(all.byteOffset, all.byteOffset + all.length) as ArrayBuffer,
      specs,
    );
    for (const s of specs) {
      const a = model.weights.get(s.name)!.data;
      const b = ref[s.name].dataSync() as Float32Array;
      assert.equal(a.length, b.length);
      for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) assert.fail(`${s.name}[${i}]: ${a[i]} vs ${b[i]}`);
    }
  },
);
