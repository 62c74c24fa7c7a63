/**
 * Issue 15 (MobileNet tiling) and issue 13.1 (saliency calibration on every backbone): tiled = untiled on MobileNet
 * v1 — whose TF-'same' padding depends on each layer's input parity — at odd and even sizes, several tile sizes,
 * with and without saliency masks (Gram within 1e-6 of its largest entry, scores within 1e-6), and VGG16 with
 * masks likewise. MobileNet runs with synthetic folded weights passed in memory (always) and with the genuine
 * ImageNet weights (when ../shared is present).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { mobilenetV1 } from '../src/backbones/mobilenet-v1.js';
import { createDeepSSIM, type DeepSSIM, type PreparedImage } from '../src/index.js';
import { expectedShapes, geometry } from '../src/graph/geometry.js';
import type { RawImage } from '../src/image/types.js';
import { blockGramSimilarity, liteGramSimilarity } from '../src/statistic/gram-ssim.js';
import type { WeightMap } from '../src/weights/types.js';
import { SHARED, SHARED_SKIP } from './support/paths.js';
import { syntheticWeightFiles } from './support/weights.js';
import { texture } from './support/texture.js';

/** A binary saliency map (one channel, 0/255): two blobs, with ragged edges so odd/even sampling matters. */
function blobs(width: number, height: number, seed: number): RawImage {
  const data = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const d1 = ((x - 0.3 * width) / (0.25 * width)) ** 2 + ((y - 0.4 * height) / (0.3 * height)) ** 2;
      const d2 = ((x - 0.75 * width) / (0.15 * width)) ** 2 + ((y - 0.7 * height) / (0.2 * height)) ** 2;
      const jitter = ((Math.imul(x * 31 + y * 17 + seed, 0x9e3779b1) >>> 28) - 8) / 40;
      data[y * width + x] = Math.min(d1, d2) + jitter < 1 ? 255 : 0;
    }
  }
  return { data, width, height, channels: 1 };
}

function maxRelDiff(a: Float64Array, b: Float64Array): number {
  let maxAbs = 0;
  let maxDiff = 0;
  for (let i = 0; i < a.length; i++) {
    maxAbs = Math.max(maxAbs, Math.abs(a[i]));
    maxDiff = Math.max(maxDiff, Math.abs(a[i] - b[i]));
  }
  assert.ok(maxAbs > 0, 'the Gram matrix should not vanish');
  return maxDiff / maxAbs;
}

/**
 * Synthetic folded MobileNet weights: symmetric, He-like scale 2.5/√fan-in, so features neither vanish nor saturate
 * at 6 (measured: two different textures score 0.994, full variant) and the score is not degenerate.
 */
function syntheticMobileNet(seed: number): WeightMap {
  let s = seed;
  const rnd = () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32;
  const m: WeightMap = new Map();
  for (const [name, shape] of Object.entries(expectedShapes(mobilenetV1))) {
    const n = shape.reduce((a, b) => a * b, 1);
    const fanIn = shape.length === 4 ? shape[1] * shape[2] * shape[3] : 1;
    const data =
      shape.length === 4
        ? Float32Array.from({ length: n }, () => (2 * rnd() - 1) * (2.5 / Math.sqrt(fanIn)))
        : Float32Array.from({ length: n }, () => 0.1 * rnd());
    m.set(name, { shape: [...shape], data });
  }
  return m;
}

const SIZES: [number, number][] = [
  [333, 257], // odd: TF 'same' pads the top/left at conv1, and the parity changes from layer to layer
  [320, 240], // even
  [301, 190], // odd × even
];

async function checkTiling(
  untiled: DeepSSIM,
  tiled: Record<number, DeepSSIM>,
  channels: number,
  w: number,
  h: number,
  masked: boolean,
): Promise<void> {
  const a = texture(w, h, 1);
  const b = texture(w, h, 2);
  const opt = (seed: number) => (masked ? { saliencyMap: blobs(w, h, seed) } : {});
  const ua = await untiled.prepare(a, opt(1));
  const ub = await untiled.prepare(b, opt(2));
  for (const [t, metric] of Object.entries(tiled)) {
    const ta: PreparedImage = await metric.prepare(a, opt(1));
    const tb: PreparedImage = await metric.prepare(b, opt(2));
    assert.equal(ta.cells, ua.cells);
    const rel = maxRelDiff(ua.gram, ta.gram);
    assert.ok(
      rel < 1e-6,
      `${w}×${h} tile ${t}${masked ? ' masked' : ''}: Gram differs by ${rel.toExponential(2)} of its largest entry`,
    );
    const full = Math.abs(
      blockGramSimilarity(ua.gram, ub.gram, channels) - blockGramSimilarity(ta.gram, tb.gram, channels),
    );
    const lite = Math.abs(
      liteGramSimilarity(ua.gram, ua.cells, ub.gram, ub.cells, channels) -
        liteGramSimilarity(ta.gram, ta.cells, tb.gram, tb.cells, channels),
    );
    assert.ok(
      full <= 1e-6 && lite <= 1e-6,
      `tile ${t}: |Δfull| = ${full.toExponential(2)}, |Δlite| = ${lite.toExponential(2)}`,
    );
  }
}

function suite(
  name: string,
  backbone: string,
  weights: () => Promise<string | WeightMap>,
  skip: string | false,
  o: { sizes: [number, number][]; tiles: number[]; masks: boolean[] },
) {
  describe(name, { skip }, () => {
    let untiled: DeepSSIM;
    const tiled: Record<number, DeepSSIM> = {};
    before(async () => {
      const w = await weights();
      untiled = await createDeepSSIM({ backbone, weights: w, tile: false, threads: 2 });
      for (const t of o.tiles) tiled[t] = await createDeepSSIM({ backbone, weights: w, tile: t, threads: 2 });
    });
    after(async () => {
      await untiled?.dispose();
      for (const m of Object.values(tiled)) await m.dispose();
    });
    for (const [w, h] of o.sizes) {
      for (const masked of o.masks) {
        test(`${w}×${h}${masked ? ', saliency masks' : ''}: tiles of ${o.tiles.join(', ')} px = untiled`, async () => {
          await checkTiling(untiled, tiled, untiled.backboneName === 'vgg16' ? 512 : 384, w, h, masked);
        });
      }
    }
  });
}

const GENUINE = join(SHARED, 'weights', 'mobilenet_v1_0.75_224', 'model.json');
const both = [false, true];
suite('MobileNet v1 0.75, synthetic weights in memory', 'mobilenet_v1_0.75', async () => syntheticMobileNet(5), false, {
  sizes: SIZES,
  tiles: [48, 96, 160],
  masks: both,
});
suite(
  'MobileNet v1 0.75, genuine ImageNet weights (../shared)',
  'mobilenet_v1_0.75',
  async () => GENUINE,
  SHARED_SKIP,
  { sizes: SIZES.slice(0, 2), tiles: [48, 160], masks: both },
);
// VGG16 without masks: test/tiling.test.ts.
suite(
  'VGG16 (synthetic weights), saliency masks',
  'vgg16',
  async () => (await syntheticWeightFiles()).safetensors,
  false,
  { sizes: [[333, 257]], tiles: [64, 160], masks: [true] },
);

test('MobileNet geometry from its spec: stride 16, halo 112 (receptive field 219 px, asymmetric TF pads)', () => {
  const g = geometry(mobilenetV1);
  assert.equal(g.stride, 16);
  assert.equal(g.halo, 112);
  assert.deepEqual(g.featureSize(257, 333), [17, 21]);
});

test('saliency: gbvs runs on MobileNet, and the mask changes the score', async () => {
  const weights = syntheticMobileNet(5);
  const withGbvs = await createDeepSSIM({
    backbone: 'mobilenet_v1_0.75',
    weights,
    saliency: 'gbvs',
    saliencyThreshold: 0.3,
    threads: 2,
  });
  const plain = await createDeepSSIM({ backbone: 'mobilenet_v1_0.75', weights, threads: 2 });
  try {
    const a = texture(160, 128, 1);
    const b = texture(160, 128, 4);
    const s = await withGbvs.score(a, b);
    assert.ok(Number.isFinite(s));
    assert.ok(Math.abs(s - (await plain.score(a, b))) > 1e-6);
    assert.equal(await withGbvs.score(a, a), 1);
  } finally {
    await withGbvs.dispose();
    await plain.dispose();
  }
});
