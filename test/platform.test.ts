/**
 * The core runs on any Platform: here one built in the test with no files, no sharp and no worker threads (raw
 * pixels only, weights from memory), sharing only the ONNX Runtime flavour with Node. Its scores must equal the Node
 * platform's exactly, and what it cannot do must fail with a clear UsageError.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  createDeepSSIM,
  createDeepSSIMWith,
  getBackbone,
  UsageError,
  type DeepSSIM,
  type Platform,
  type RawImage,
} from '../src/index.js';
import { decodeWith, type ImageCodec } from '../src/image/decode.js';
import { nodeOnnx } from '../src/node/onnx.js';
import { DEFAULT_SYNTHETIC_SEED, syntheticVgg16Weights } from '../tools/synthetic-weights/generator.js';
import { syntheticWeightFiles } from './support/weights.js';

const rawOnly: ImageCodec = {
  decodeEncoded: async () => {
    throw new UsageError('this platform decodes raw pixels only', { code: 'UNSUPPORTED' });
  },
};

let loads = 0;
const memoryPlatform: Platform = {
  name: 'memory',
  decode: (input) => decodeWith(rawOnly, input),
  onnx: nodeOnnx,
  async loadWeights(entry) {
    loads++;
    assert.equal(entry.spec.name, 'vgg16');
    const weights = syntheticVgg16Weights(DEFAULT_SYNTHETIC_SEED);
    return { weights, source: 'memory', verified: false };
  },
  defaultThreads: () => 1,
};

function image(seed: number, w = 48, h = 40): RawImage {
  const data = new Uint8Array(w * h * 3);
  let s = seed;
  for (let i = 0; i < data.length; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    data[i] = (s >>> 16) & 255;
  }
  return { data, width: w, height: h, channels: 3 };
}

let onMemory: DeepSSIM;
let onNode: DeepSSIM;
before(async () => {
  const files = await syntheticWeightFiles();
  onMemory = await createDeepSSIMWith(memoryPlatform, { threads: 1 });
  onNode = await createDeepSSIM({ weights: files.safetensors, threads: 1, download: false });
});
after(async () => {
  await onMemory?.dispose();
  await onNode?.dispose();
});

test('a platform built from parts scores exactly as the Node platform', async () => {
  assert.equal(loads, 1);
  assert.equal(onMemory.weightsSource, 'memory');
  const [a, b] = [image(1), image(2)];
  const s = await onMemory.score(a, b);
  assert.ok(Number.isFinite(s) && s < 1, `score ${s}`);
  assert.equal(s, await onNode.score(a, b));
  assert.equal(await onMemory.score(a, a), 1);
});

test('what the platform cannot do is a UsageError', async () => {
  await assert.rejects(
    onMemory.score('ref.png', image(1)),
    (e: unknown) => e instanceof UsageError && e.code === 'UNSUPPORTED',
  );
  await assert.rejects(
    onMemory.score(new Uint8Array([1, 2, 3]), image(1)),
    (e: unknown) => e instanceof UsageError && e.code === 'UNSUPPORTED',
  );
});

test('the backbone entry handed to loadWeights is the registered one', () => {
  assert.equal(getBackbone('vgg16').spec.name, 'vgg16');
});
