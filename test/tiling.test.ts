/**
 * Issue 3: tiled feature extraction reproduces the untiled Gram matrix, so scores agree within 1e-6 —
 * at sizes that keep CI fast (bench/memory.ts checks 1024×768 … 3840×2160 the same way).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createDeepSSIM, type DeepSSIM } from '../src/index.js';
import { planTile } from '../src/features.js';
import type { RawImage } from '../src/image/types.js';
import { blockGramSimilarity, liteGramSimilarity } from '../src/statistic/gram-ssim.js';
import { syntheticWeightFiles } from './support/weights.js';
import { texture } from './support/texture.js';

let untiled: DeepSSIM;
const tiled: Record<number, DeepSSIM> = {};
before(async () => {
  const { safetensors } = await syntheticWeightFiles();
  untiled = await createDeepSSIM({ weights: safetensors, tile: false });
  for (const t of [64, 160]) tiled[t] = await createDeepSSIM({ weights: safetensors, tile: t });
});
after(async () => {
  await untiled.dispose();
  for (const m of Object.values(tiled)) await m.dispose();
});

for (const [w, h] of [
  [320, 240],
  [333, 257], // not a multiple of the stride: the last tile must run to the true border
]) {
  test(`${w}×${h}: tiled (64 and 160 px tiles) and untiled Gram matrices and scores agree`, async () => {
    const a = texture(w, h, 1);
    const b = texture(w - 17, h + 9, 2);
    const ua = await untiled.prepare(a);
    const ub = await untiled.prepare(b);
    for (const t of [64, 160]) {
      const ta = await tiled[t].prepare(a);
      const tb = await tiled[t].prepare(b);
      assert.equal(ta.cells, ua.cells);
      let maxRel = 0;
      let maxAbs = 0;
      for (let i = 0; i < ua.gram.length; i++) maxAbs = Math.max(maxAbs, Math.abs(ua.gram[i]));
      for (let i = 0; i < ua.gram.length; i++) maxRel = Math.max(maxRel, Math.abs(ua.gram[i] - ta.gram[i]) / maxAbs);
      assert.ok(maxRel < 1e-5, `tile ${t}: Gram differs by ${maxRel.toExponential(2)} of its largest entry`);
      const full = Math.abs(blockGramSimilarity(ua.gram, ub.gram, 512) - blockGramSimilarity(ta.gram, tb.gram, 512));
      const lite = Math.abs(
        liteGramSimilarity(ua.gram, ua.cells, ub.gram, ub.cells, 512) -
          liteGramSimilarity(ta.gram, ta.cells, tb.gram, tb.cells, 512),
      );
      assert.ok(
        full <= 1e-6 && lite <= 1e-6,
        `tile ${t}: |Δfull| = ${full.toExponential(2)}, |Δlite| = ${lite.toExponential(2)}`,
      );
    }
  });
}

test('tiling differs from a naive split: without the halo the Gram matrix changes', async () => {
  // Guard against a test that cannot fail: crop-and-score two halves independently and compare with the whole.
  const a = texture(320, 240, 3);
  const whole = await untiled.prepare(a);
  const left = await untiled.prepare({ ...a, data: cropRgb(a, 0, 160), width: 160 });
  const right = await untiled.prepare({ ...a, data: cropRgb(a, 160, 320), width: 160 });
  let diff = 0;
  for (let i = 0; i < whole.gram.length; i++)
    diff = Math.max(diff, Math.abs(whole.gram[i] - left.gram[i] - right.gram[i]));
  assert.ok(diff > 1e-3, 'naive split should not reproduce the Gram matrix');
});

function cropRgb(img: RawImage, x0: number, x1: number): Uint8Array {
  const w = x1 - x0;
  const out = new Uint8Array(w * img.height * 3);
  for (let y = 0; y < img.height; y++)
    out.set(img.data.subarray((y * img.width + x0) * 3, (y * img.width + x1) * 3), y * w * 3);
  return out;
}

test('automatic tiling: off for small images, on above the pixel budget; --no-tile and explicit sizes win', () => {
  assert.equal(planTile(1000, 1000, 16), 0);
  assert.equal(planTile(3840, 2160, 16), 768);
  assert.equal(planTile(7680, 4320, 16), 1024); // above 16 MP: larger tiles, less halo per pixel
  assert.equal(planTile(3840, 2160, 16, { tile: false }), 0);
  assert.equal(planTile(400, 300, 16, { tile: 100 }), 96); // rounded down to the stride
  assert.equal(planTile(400, 300, 16, { tile: 512 }), 0); // one tile covers it all
});
