/**
 * Prints how far the library is from the PyTorch float64 reference on every committed fixture pair, per weights
 * format and variant, and how far the authors float32 one-pass statistic is from our float64 two-pass one.
 *
 *   npx tsx bench/parity.ts
 */
import { readFileSync } from 'node:fs';
import { createDeepSSIM } from '../src/index.js';
import { syntheticWeightFiles } from '../test/support/weights.js';
const fx = JSON.parse(readFileSync('test/fixtures/reference/deepssim-synthetic.json', 'utf8'));
const w = await syntheticWeightFiles();
let authors = 0;
for (const p of fx.pairs)
  if (p.full_authors_float32_onepass !== undefined)
    authors = Math.max(authors, Math.abs(p.full_authors_float32_onepass - p.full));
console.log('authors float32 one-pass vs float64 two-pass, max |Δ| over fixtures:', authors.toExponential(2));
for (const fmt of ['safetensors', 'pthLegacy', 'pthZip'] as const) {
  const m = await createDeepSSIM({ weights: w[fmt] });
  let mf = 0,
    ml = 0;
  for (const p of fx.pairs) {
    const maps = p.maskReference ? ([p.maskReference, p.maskTest] as [string, string]) : undefined;
    const [a, b] = await Promise.all([
      m.prepare(p.reference, { saliencyMap: maps?.[0] }),
      m.prepare(p.test, { saliencyMap: maps?.[1] }),
    ]);
    mf = Math.max(mf, Math.abs(m.compare(a, b, 'full') - p.full));
    ml = Math.max(ml, Math.abs(m.compare(a, b, 'lite') - p.lite));
  }
  console.log(fmt, 'pairs', fx.pairs.length, 'max |Δ| full', mf.toExponential(2), 'lite', ml.toExponential(2));
  await m.dispose();
}
