import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RGBImage } from '../src/image/types.js';
import type { FullReferenceMetric } from '../src/metrics/types.js';
import { runRobustness, CLEARLY_VISIBLE, type RobustnessResult } from '../src/eval/robustness.js';
import type { TransformSpec } from '../src/eval/transforms.js';
import { UsageError } from '../src/errors.js';

const filled = (w: number, h: number, v: number): RGBImage => ({
  data: new Uint8Array(w * h * 3).fill(v),
  width: w,
  height: h,
});

/** Toy transforms whose test images carry a known marker value in every pixel. */
const toyCatalogue: Record<string, TransformSpec> = {
  geoA: {
    kind: 'geometric',
    description: 'same size, marker 20·m + ref',
    unit: 'u',
    magnitudes: [1, 2],
    apply: async (img, m) => ({ reference: img, test: filled(img.width, img.height, 20 * m + img.data[0]) }),
  },
  geoB: {
    kind: 'geometric',
    description: 'one column narrower, marker 100 + ref',
    unit: 'u',
    magnitudes: [1],
    apply: async (img) => ({ reference: img, test: filled(img.width - 1, img.height, 100 + img.data[0]) }),
  },
  photo: {
    kind: 'photometric',
    description: 'marker 3·ref + 15',
    unit: 'u',
    magnitudes: [5],
    apply: async (img) => ({ reference: img, test: filled(img.width, img.height, 3 * img.data[0] + 15) }),
  },
  photo2: {
    kind: 'photometric',
    description: 'marker 30',
    unit: 'u',
    magnitudes: [7],
    apply: async (img) => ({ reference: img, test: filled(img.width, img.height, 30) }),
  },
};

function markerMetric(
  name: string,
  higherIsBetter: boolean,
  requiresSameSize: boolean,
): FullReferenceMetric & { calls: number } {
  return {
    name,
    higherIsBetter,
    requiresSameSize,
    calls: 0,
    score(reference, t) {
      this.calls++;
      if (requiresSameSize) assert.deepEqual([reference.width, reference.height], [t.width, t.height]);
      return t.data[0];
    },
  };
}

const rank = (r: RobustnessResult, metric: string, transform: string) =>
  r.rankConsistency.find((x) => x.metric === metric && x.transform === transform)!;
const cell = (r: RobustnessResult, metric: string, transform: string, magnitude: number) =>
  r.summary.find((x) => x.metric === metric && x.transform === transform && x.magnitude === magnitude)!;

test('runner: summary, n/a handling and rank-consistency arithmetic on toy transforms', async () => {
  const images = [
    { name: 'a', image: filled(6, 4, 0) },
    { name: 'b', image: filled(6, 4, 10) },
  ];
  const higher = markerMetric('higher', true, false);
  const lower = markerMetric('lower', false, true);
  const dir = await mkdtemp(join(tmpdir(), 'robustness-toy-'));
  try {
    const r = await runRobustness(images, [higher, lower], {
      catalogue: toyCatalogue,
      transforms: ['geoA', 'geoB'],
      clearlyVisible: [
        { transform: 'photo', magnitude: 5 },
        { transform: 'photo2', magnitude: 7 },
      ],
      outDir: dir,
    });
    // 2 images × (geoA×2 + geoB + photo + photo2) jobs; the same-size-only metric is never called on geoB
    assert.equal(r.scores.length, 2 * 5 * 2);
    assert.equal(higher.calls, 10);
    assert.equal(lower.calls, 8);

    const c = cell(r, 'higher', 'geoA', 1);
    assert.equal(c.mean, 25);
    assert.ok(Math.abs(c.std! - Math.SQRT2 * 5) < 1e-12);
    assert.deepEqual([c.n, c.nNA, c.level], [2, 0, 1]);
    assert.equal(cell(r, 'higher', 'geoA', 2).mean, 45);
    assert.equal(cell(r, 'higher', 'geoA', 2).level, 2);
    const na = cell(r, 'lower', 'geoB', 1);
    assert.deepEqual([na.mean, na.std, na.n, na.nNA], [null, null, 0, 2]);
    assert.equal(cell(r, 'higher', 'geoB', 1).mean, 105);
    assert.equal(r.summary.filter((s) => s.transform === 'photo').length, 0, 'yardstick-only jobs are not summarised');

    // higher-is-better: geoA(1) a=20, b=30 vs photo a=15, b=45 and photo2 30, 30 → 1 consistent, 1 tie of 4
    const hA = rank(r, 'higher', 'geoA');
    assert.deepEqual(
      [hA.consistent, hA.ties, hA.comparisons, hA.skipped, hA.rate, hA.magnitude],
      [1, 1, 4, 0, 0.25, 1],
    );
    assert.deepEqual(hA.byDegradation['photo@5'], { consistent: 1, ties: 0, comparisons: 2, skipped: 0, rate: 0.5 });
    assert.deepEqual(hA.byDegradation['photo2@7'], { consistent: 0, ties: 1, comparisons: 2, skipped: 0, rate: 0 });
    assert.equal(rank(r, 'higher', 'geoB').rate, 1);
    const hAll = rank(r, 'higher', 'overall');
    assert.deepEqual([hAll.consistent, hAll.comparisons, hAll.rate], [5, 8, 5 / 8]);
    // lower-is-better and same-size-only: geoA 2 of 4 (b vs photo, a vs photo2), geoB all n/a
    const lA = rank(r, 'lower', 'geoA');
    assert.deepEqual([lA.consistent, lA.ties, lA.comparisons, lA.rate], [2, 1, 4, 0.5]);
    const lB = rank(r, 'lower', 'geoB');
    assert.deepEqual([lB.comparisons, lB.skipped, lB.rate], [0, 4, null]);
    const lAll = rank(r, 'lower', 'overall');
    assert.deepEqual([lAll.consistent, lAll.comparisons, lAll.skipped, lAll.rate], [2, 4, 4, 0.5]);

    // files: markdown table, JSON, SVG + PNG, no temp files left behind
    const names = (await readdir(dir)).sort();
    assert.deepEqual(names, [
      'robustness-curves.png',
      'robustness-curves.svg',
      'robustness-rank.png',
      'robustness-rank.svg',
      'robustness.json',
      'robustness.md',
    ]);
    const md = await readFile(join(dir, 'robustness.md'), 'utf8');
    assert.match(md, /\| geoA \| geometric \| 1 u \| 25\.0000 ± 7\.0711 \| 25\.0000 ± 7\.0711 \|/);
    assert.match(md, /\| geoB \| geometric \| 1 u \| 105\.00 ± 7\.07 \| n\/a \|/);
    assert.match(md, /\| geoA 1 u \| 25% \(1\/4\) \| 50% \(2\/4\) \|/);
    assert.match(md, /\| \*\*overall\*\* \| 63% \(5\/8\) \| 50% \(2\/4, 4 n\/a\) \|/);
    const json = JSON.parse(await readFile(join(dir, 'robustness.json'), 'utf8')) as RobustnessResult;
    assert.equal(json.scores.length, 20);
    assert.equal(json.rankConsistency.length, 6);
    for (const f of ['robustness-curves.svg', 'robustness-rank.svg']) {
      const svg = await readFile(join(dir, f), 'utf8');
      assert.match(svg, /^<svg[^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
      assert.match(svg, /<\/svg>\s*$/);
    }
    for (const f of ['robustness-curves.png', 'robustness-rank.png']) {
      const png = await readFile(join(dir, f));
      assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
      assert.ok(png.readUInt32BE(16) > 100 && png.readUInt32BE(20) > 100, 'PNG too small');
    }
    const curves = await readFile(join(dir, 'robustness-curves.svg'), 'utf8');
    for (const label of ['higher', 'lower', 'geoA', 'geoB'])
      assert.ok(curves.includes(label), `curves plot lacks ${label}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('runner: rejects unknown transforms, empty inputs and NaN scores', async () => {
  const images = [{ name: 'a', image: filled(6, 4, 0) }];
  const m = markerMetric('m', true, false);
  await assert.rejects(runRobustness(images, [m], { catalogue: toyCatalogue, transforms: ['nope'] }), UsageError);
  await assert.rejects(runRobustness([], [m], { catalogue: toyCatalogue }), UsageError);
  await assert.rejects(runRobustness(images, [], { catalogue: toyCatalogue }), UsageError);
  const nan: FullReferenceMetric = { name: 'nan', higherIsBetter: true, requiresSameSize: false, score: () => NaN };
  await assert.rejects(
    runRobustness(images, [nan], { catalogue: toyCatalogue, clearlyVisible: [{ transform: 'photo', magnitude: 5 }] }),
    /returned NaN/,
  );
});

test('runner on the real catalogue: pixel metric is n/a exactly where sizes change', async () => {
  const make = (seed: number): RGBImage => {
    const w = 40;
    const h = 32;
    const data = new Uint8Array(w * h * 3);
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++)
        for (let c = 0; c < 3; c++) {
          data[(y * w + x) * 3 + c] = Math.round(128 + 80 * Math.sin((x + seed) / 4 + c) * Math.cos((y - seed) / 5));
        }
    return { data, width: w, height: h };
  };
  const mse: FullReferenceMetric = {
    name: 'mse',
    higherIsBetter: false,
    requiresSameSize: true,
    score(a, b) {
      let s = 0;
      for (let i = 0; i < a.data.length; i++) s += (a.data[i] - b.data[i]) ** 2;
      return s / a.data.length;
    },
  };
  const meanDiff: FullReferenceMetric = {
    name: 'mean-diff',
    higherIsBetter: false,
    requiresSameSize: false,
    score(a, b) {
      const mean = (im: RGBImage) => im.data.reduce((s, v) => s + v, 0) / im.data.length;
      return Math.abs(mean(a) - mean(b));
    },
  };
  const progress: number[] = [];
  const r = await runRobustness(
    [
      { name: 'one', image: make(0) },
      { name: 'two', image: make(7) },
    ],
    [mse, meanDiff],
    { transforms: ['shift', 'rotation', 'scale', 'crop', 'jpeg'], seed: 3, onProgress: (d) => progress.push(d) },
  );
  // jobs: shift 4 + rotation 4 + scale 4 + crop 3 + jpeg 5 + blur@2 + noise@10 = 22 per image
  assert.equal(progress.length, 44);
  assert.equal(progress.at(-1), 44);
  assert.deepEqual(r.clearlyVisible, [...CLEARLY_VISIBLE]);
  for (const s of r.scores) {
    const sizeChanging = s.transform === 'scale' || s.transform === 'crop';
    if (s.metric === 'mse') assert.equal(s.score === null, sizeChanging, `${s.transform} ${s.magnitude}`);
    else assert.notEqual(s.score, null);
  }
  // MSE grows with the magnitude of aligned transforms
  const mseMean = (t: string, m: number) => cell(r, 'mse', t, m).mean!;
  assert.ok(mseMean('shift', 1) < mseMean('shift', 8));
  assert.ok(mseMean('rotation', 0.5) < mseMean('rotation', 4));
  assert.ok(mseMean('jpeg', 50) < mseMean('jpeg', 5));
  assert.equal(rank(r, 'mse', 'scale').rate, null);
  assert.equal(rank(r, 'mse', 'scale').skipped, 6);
  assert.ok(rank(r, 'mean-diff', 'scale').comparisons === 6);
  // determinism: same seed, same scores
  const again = await runRobustness([{ name: 'one', image: make(0) }], [mse], { transforms: ['rotation'], seed: 3 });
  const first = r.scores.filter((s) => s.image === 'one' && s.metric === 'mse' && s.transform === 'noise');
  const second = again.scores.filter((s) => s.transform === 'noise');
  assert.deepEqual(first, second);
});
