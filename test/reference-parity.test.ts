/**
 * Issue 2, acceptance 1 (and issue 4, acceptance 1): the scores agree with the independent float64 PyTorch
 * computation (tools/reference/deepssim_reference.py → test/fixtures/reference/deepssim-synthetic.json) within
 * 2e-6 absolute, for `full` and `lite`: every plain pair through `deepssim batch` with the synthetic weights in each
 * of the three file formats; every pair, saliency-masked ones included, through the library; and `deepssim score
 * --json` end to end on a plain and a masked pair.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parse } from 'csv-parse/sync';
import { createDeepSSIM, type DeepSSIM } from '../src/index.js';
import { runCli } from './support/cli.js';
import { ROOT, SHARED_SKIP } from './support/paths.js';
import { syntheticWeightFiles, type SyntheticWeightFiles } from './support/weights.js';

const TOL = 2e-6;

interface FixturePair {
  name: string;
  reference: string;
  test: string;
  maskReference?: string;
  maskTest?: string;
  full: number;
  lite: number;
  full_authors_float32_onepass?: number;
}
const fixtures = JSON.parse(readFileSync(join(ROOT, 'test/fixtures/reference/deepssim-synthetic.json'), 'utf8')) as {
  pairs: FixturePair[];
};
const usesShared = (p: FixturePair) => p.reference.startsWith('../shared') || p.test.startsWith('../shared');
const available = fixtures.pairs.filter((p) => !usesShared(p) || !SHARED_SKIP);
const plain = available.filter((p) => !p.maskReference);
const masked = available.filter((p) => p.maskReference);

let weights: SyntheticWeightFiles;
before(async () => {
  weights = await syntheticWeightFiles();
});

test('the fixture set covers the required cases', { skip: SHARED_SKIP }, () => {
  const names = fixtures.pairs.map((p) => p.name);
  for (const need of [
    'identical',
    'jpeg-q15',
    'different-size',
    'shifted-3px',
    'unrelated',
    'live-jpeg-womanhat-img1',
  ]) {
    assert.ok(names.includes(need), `missing fixture ${need}`);
  }
  assert.ok(plain.length >= 8);
  assert.ok(masked.length >= 5 && masked.some((p) => p.name.includes('different-size')));
});

describe('deepssim batch vs PyTorch float64 reference, every pair, three weight formats', () => {
  for (const format of ['safetensors', 'pthLegacy', 'pthZip'] as const) {
    for (const variant of ['full', 'lite'] as const) {
      test(`${format} / ${variant}`, async (t) => {
        const dir = await mkdtemp(join(tmpdir(), 'deepssim-parity-'));
        t.after(() => rm(dir, { recursive: true, force: true }));
        const csv = join(dir, 'pairs.csv');
        await writeFile(
          csv,
          [
            'name,reference,test',
            ...plain.map((p) => `${p.name},${join(ROOT, p.reference)},${join(ROOT, p.test)}`),
          ].join('\n'),
        );
        const out = join(dir, 'scores.csv');
        const r = await runCli(['batch', csv, '--weights', weights[format], '--variant', variant, '--out', out]);
        assert.equal(r.code, 0, r.stderr);
        const rows = parse(readFileSync(out, 'utf8'), { columns: true }) as Record<string, string>[];
        assert.equal(rows.length, plain.length);
        for (const row of rows) {
          const p = plain.find((q) => q.name === row.name)!;
          const err = Math.abs(Number(row.score) - p[variant]);
          assert.ok(err <= TOL, `${p.name}: ${row.score} vs reference ${p[variant]} (|Δ| = ${err.toExponential(2)})`);
        }
      });
    }
  }
});

describe('DeepSSIM vs reference (safetensors), every pair including saliency masks', () => {
  // One metric for the file, both variants from one network pass per image (what `score` computes per variant).
  let metric: DeepSSIM;
  before(async () => {
    metric = await createDeepSSIM({ weights: weights.safetensors, variant: 'full' });
  });
  after(() => metric?.dispose());
  for (const p of [...plain, ...masked]) {
    test(p.name, async () => {
      const map = (m: string | undefined) => (m === undefined ? {} : { saliencyMap: join(ROOT, m) });
      const ref = await metric.prepare(join(ROOT, p.reference), map(p.maskReference));
      const tst = await metric.prepare(join(ROOT, p.test), map(p.maskTest));
      const scores = { full: await metric.score(ref, tst), lite: metric.compare(ref, tst, 'lite') };
      for (const variant of ['full', 'lite'] as const) {
        const err = Math.abs(scores[variant] - p[variant]);
        assert.ok(err <= TOL, `${variant}: ${scores[variant]} vs ${p[variant]} (|Δ| = ${err.toExponential(2)})`);
      }
    });
  }
});

describe('deepssim score --json vs reference (safetensors), with and without saliency maps', () => {
  // The CLI path end to end (a metric per run): a plain pair of different sizes and a masked one, both variants.
  for (const name of ['different-size', 'masked-different-size']) {
    const p = available.find((q) => q.name === name);
    test(name, { skip: p ? false : `fixture ${name} unavailable` }, async () => {
      for (const variant of ['full', 'lite'] as const) {
        const args = [
          'score',
          join(ROOT, p!.reference),
          join(ROOT, p!.test),
          '--json',
          '--variant',
          variant,
          '--weights',
          weights.safetensors,
        ];
        if (p!.maskReference) args.push('--saliency-maps', join(ROOT, p!.maskReference), join(ROOT, p!.maskTest!));
        const r = await runCli(args);
        assert.equal(r.code, 0, r.stderr);
        const out = JSON.parse(r.stdout);
        assert.equal(out.variant, variant);
        assert.equal(out.saliency, p!.maskReference ? 'maps' : 'none');
        assert.ok(existsSync(out.reference) && existsSync(out.test));
        const err = Math.abs(out.score - p![variant]);
        assert.ok(err <= TOL, `${variant}: ${out.score} vs ${p![variant]} (|Δ| = ${err.toExponential(2)})`);
      }
    });
  }
});
