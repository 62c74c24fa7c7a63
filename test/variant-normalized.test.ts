/**
 * The size-normalised full variant (project extension): Gram ÷ h·w before the 4×4 block statistic.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { VARIANTS } from '../src/index.js';
import { DEEPSSIM_METRIC_NAMES } from '../src/metrics/deepssim-metric.js';
import { metricNames } from '../src/metrics/registry.js';
import { blockGramSimilarity, normalizedBlockGramSimilarity } from '../src/statistic/gram-ssim.js';
import { randomGram } from './support/gram.js';

test('full-normalized: a Gram scaled by the cell ratio (a rescaled copy) scores 1; full does not', () => {
  const c = 16;
  const g = randomGram(c, 7);
  const k = 4; // 2× upscale: four times the feature cells, four times the Gram
  const big = g.map((v) => v * k);
  assert.ok(Math.abs(normalizedBlockGramSimilarity(g, 100, big, 100 * k, c) - 1) < 1e-12);
  // The published full variant loses 2k/(1+k²) per block from the magnitude alone.
  assert.ok(Math.abs(blockGramSimilarity(g, big, c) - (2 * k) / (1 + k * k)) < 1e-6);
});

test('full-normalized equals the full statistic on the per-image normalised Grams', () => {
  const c = 16;
  const a = randomGram(c, 1);
  const b = randomGram(c, 2);
  const expected = blockGramSimilarity(
    a.map((v) => v / 30),
    b.map((v) => v / 45),
    c,
  );
  assert.equal(normalizedBlockGramSimilarity(a, 30, b, 45, c), expected);
  // With equal cell counts the division changes only the size of the stabilising constant relative to the entries.
  assert.ok(Math.abs(normalizedBlockGramSimilarity(a, 1, b, 1, c) - blockGramSimilarity(a, b, c)) < 1e-15);
  assert.throws(() => normalizedBlockGramSimilarity(a, 1, b.subarray(1), 1, c), /16×16/);
});

test('full-normalized is a variant, a registry metric, and not the default', () => {
  assert.ok(VARIANTS.includes('full-normalized'));
  assert.equal(VARIANTS[0], 'full');
  assert.equal(DEEPSSIM_METRIC_NAMES['deepssim-full-normalized'], 'full-normalized');
  assert.ok(metricNames().includes('deepssim-full-normalized'));
});

test('robustness catalogue: resize makes real size changes (0.75, 1.5, 0.5, 2×; mildest first) and keeps them', async () => {
  const { TRANSFORMS } = await import('../src/eval/transforms.js');
  const spec = TRANSFORMS.resize;
  assert.equal(spec.kind, 'geometric');
  assert.deepEqual(spec.magnitudes, [0.75, 1.5, 0.5, 2]);
  const img = { width: 40, height: 30, data: new Uint8Array(40 * 30 * 3).fill(90) };
  for (const m of spec.magnitudes) {
    const p = await spec.apply(img, m, 1);
    assert.equal(p.reference, img);
    assert.deepEqual([p.test.width, p.test.height], [Math.round(40 * m), Math.round(30 * m)]);
    assert.ok(
      p.test.data.every((v) => v === 90),
      'a constant image stays constant',
    );
  }
});

test('DeepSSIM: variant full-normalized through the metric (synthetic VGG16 weights): identical → 1, compare() by name', async () => {
  const { createDeepSSIM } = await import('../src/index.js');
  const { syntheticWeightFiles } = await import('./support/weights.js');
  const { fixture } = await import('./support/paths.js');
  const W = (await syntheticWeightFiles()).safetensors;
  const m = await createDeepSSIM({ weights: W, variant: 'full-normalized', threads: 1 });
  try {
    assert.equal(m.variant, 'full-normalized');
    const a = await m.prepare(fixture('images', 'scene_a.png'));
    const b = await m.prepare(fixture('images', 'scene_b.png'));
    assert.equal(m.compare(a, a), 1);
    const s = m.compare(a, b);
    assert.equal(s, normalizedBlockGramSimilarity(a.gram, a.cells, b.gram, b.cells, a.gram.length ** 0.5));
    assert.notEqual(s, m.compare(a, b, 'full'));
  } finally {
    await m.dispose();
  }
});
