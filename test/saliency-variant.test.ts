/**
 * Issue 4: the saliency-calibrated variant with GBVS masks (`saliency: 'gbvs'`, which computes one of the two maps
 * on a worker thread) gives exactly the score of the same masks passed as map images, through the library and the
 * built CLI; the threshold changes the result.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createDeepSSIM, type DeepSSIM } from '../src/index.js';
import { decodeImage } from '../src/index.js';
import type { RawImage } from '../src/image/types.js';
import { gbvs, quantizeSaliency } from '../src/saliency/gbvs.js';
import { spawnCli } from './support/cli.js';
import { fixture } from './support/paths.js';
import { syntheticWeightFiles } from './support/weights.js';

const A = fixture('images', 'scene_a.png');
const B = fixture('images', 'scene_a_small.png');
const THRESHOLD = 0.3;
let W: string;
let withGbvs: DeepSSIM;
let plain: DeepSSIM;

async function mapImage(path: string): Promise<RawImage> {
  const img = await decodeImage(path);
  const m = gbvs(img);
  return { data: quantizeSaliency(m), width: m.width, height: m.height, channels: 1 };
}

before(async () => {
  W = (await syntheticWeightFiles()).safetensors;
  withGbvs = await createDeepSSIM({ weights: W, saliency: 'gbvs', saliencyThreshold: THRESHOLD });
  plain = await createDeepSSIM({ weights: W, saliencyThreshold: THRESHOLD });
});
after(async () => {
  await withGbvs.dispose();
  await plain.dispose();
});

test('saliency: gbvs equals the same GBVS maps given as images (worker and main thread agree)', async () => {
  const viaGbvs = await withGbvs.score(A, B);
  const viaMaps = await plain.score(A, B, { saliencyMaps: [await mapImage(A), await mapImage(B)] });
  assert.equal(viaGbvs, viaMaps);
  // Swapping the roles puts the other image's map on the worker: still identical.
  assert.equal(
    await withGbvs.score(B, A),
    await plain.score(B, A, { saliencyMaps: [await mapImage(B), await mapImage(A)] }),
  );
});

test('the mask matters: calibrated and plain scores differ at threshold 0.3', async () => {
  const calibrated = await withGbvs.score(A, B);
  const uncalibrated = await plain.score(A, B);
  assert.ok(Math.abs(calibrated - uncalibrated) > 1e-6, `${calibrated} vs ${uncalibrated}`);
});

// Spawned on purpose: the subject is the built bin with its built GBVS worker file (dist/node/gbvs-worker.js).
test('CLI --saliency gbvs (built worker) matches the library', async () => {
  const r = await spawnCli([
    'score',
    A,
    B,
    '--weights',
    W,
    '--saliency',
    'gbvs',
    '--saliency-threshold',
    String(THRESHOLD),
    '--json',
  ]);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.equal(out.saliency, 'gbvs');
  assert.ok(Math.abs(out.score - (await withGbvs.score(A, B))) < 1e-12);
});
