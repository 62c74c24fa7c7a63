import assert from 'node:assert/strict';
import { test } from 'node:test';
import { blockGramSimilarity, DEEPSSIM_C, liteGramSimilarity } from '../src/statistic/gram-ssim.js';
import { randomGram } from './support/gram.js';

test('identical Gram matrices score exactly 1 (full and lite)', () => {
  const g = randomGram(16, 1);
  assert.equal(blockGramSimilarity(g, g, 16), 1);
  assert.equal(liteGramSimilarity(g, 10, g, 10, 16), 1);
});

test('one 4×4 block by hand: s = (2σab + c)/(σa² + σb² + c) with population moments', () => {
  const a = Float64Array.from({ length: 16 }, (_, i) => i);
  const b = Float64Array.from({ length: 16 }, (_, i) => (i * 7) % 16);
  const ma = 7.5;
  const mb = b.reduce((x, y) => x + y) / 16;
  let va = 0,
    vb = 0,
    cov = 0;
  for (let i = 0; i < 16; i++) {
    va += (a[i] - ma) ** 2;
    vb += (b[i] - mb) ** 2;
    cov += (a[i] - ma) * (b[i] - mb);
  }
  const expected = ((2 * cov) / 16 + DEEPSSIM_C) / (va / 16 + vb / 16 + DEEPSSIM_C);
  assert.ok(Math.abs(blockGramSimilarity(a, b, 4) - expected) < 1e-15);
});

test('full variant averages the 4×4 blocks: a change confined to one block moves only that term', () => {
  const c = 8; // 2×2 grid of blocks
  const g = randomGram(c, 2);
  const h = Float64Array.from(g);
  for (let r = 0; r < 4; r++) for (let q = 0; q < 4; q++) h[r * c + q] = 50 - g[r * c + q]; // block (0,0) anti-correlated
  const s = blockGramSimilarity(g, h, c);
  // Three blocks are identical (1 each); the changed block is exactly −1 up to c.
  assert.ok(Math.abs(s - (3 - 1) / 4) < 1e-9, `got ${s}`);
});

test('full variant is sensitive to Gram scale, lite is not when the scale comes from the cell count', () => {
  const g = randomGram(16, 3);
  const twice = g.map((v) => 2 * v);
  assert.ok(blockGramSimilarity(g, twice, 16) < 0.9);
  // Twice the cells, twice the Gram: Lite's 1/(C·h·w) normalisation makes them equal.
  assert.ok(Math.abs(liteGramSimilarity(g, 10, twice, 20, 16) - 1) < 1e-12);
});

test('constant blocks give c/c = 1, not NaN; symmetry in the arguments', () => {
  const zero = new Float64Array(64);
  assert.equal(blockGramSimilarity(zero, zero, 8), 1);
  const g = randomGram(8, 4),
    h = randomGram(8, 5);
  assert.equal(blockGramSimilarity(g, h, 8), blockGramSimilarity(h, g, 8));
  assert.ok(Number.isFinite(liteGramSimilarity(zero, 1, g, 1, 8)));
});

test('rejects mismatched sizes', () => {
  assert.throws(() => blockGramSimilarity(new Float64Array(16), new Float64Array(64), 4), /4×4/);
});
