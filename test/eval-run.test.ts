import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { runCli } from './support/cli.js';
import { loadDataset } from '../src/eval/datasets/index.js';
import { decodeImage as decodeImageFile } from '../src/index.js';
import { writeReport } from '../src/eval/report.js';
import { evaluate } from '../src/eval/run.js';
import { ImageError } from '../src/errors.js';
import type { RGBImage } from '../src/image/types.js';
import { createMetrics } from '../src/metrics/registry.js';
import type { FullReferenceMetric } from '../src/metrics/types.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const live = join(repo, '..', 'shared', 'datasets', 'live-jpeg', 'manifest.csv');
const tmp = mkdtempSync(join(tmpdir(), 'deepssim-eval-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

async function png(path: string, w: number, h: number, f: (x: number, y: number) => number): Promise<void> {
  const d = Buffer.alloc(w * h * 3);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      d.fill(Math.max(0, Math.min(255, Math.round(f(x, y)))), (y * w + x) * 3, (y * w + x) * 3 + 3);
  mkdirSync(dirname(path), { recursive: true });
  await sharp(d, { raw: { width: w, height: h, channels: 3 } })
    .png()
    .toFile(path);
}

/** A small synthetic dataset: noise of growing amplitude; DMOS grows with it. Pair 7 has a different size. */
async function makeDataset(): Promise<string> {
  const dir = join(tmp, 'ds');
  const lines = ['reference,distorted,score,type'];
  for (const r of ['a', 'b']) {
    await png(
      join(dir, 'ref', `${r}.png`),
      48,
      40,
      (x, y) => 128 + 80 * Math.sin(x / (r === 'a' ? 3 : 5)) * Math.cos(y / 4),
    );
  }
  let seed = 3;
  const rnd = () => (seed = (seed * 16807) % 2147483647) / 2147483647 - 0.5;
  for (let i = 0; i < 12; i++) {
    const r = i % 2 ? 'b' : 'a';
    const amp = 4 + 6 * i;
    const size = i === 7 ? [44, 40] : [48, 40];
    await png(
      join(dir, 'dist', `${i}.png`),
      size[0],
      size[1],
      (x, y) => 128 + 80 * Math.sin(x / (r === 'a' ? 3 : 5)) * Math.cos(y / 4) + amp * rnd(),
    );
    lines.push(`ref/${r}.png,dist/${i}.png,${(10 + 5 * i + (i % 3)).toFixed(1)},${i < 6 ? 'low' : 'high'}`);
  }
  writeFileSync(join(dir, 'manifest.csv'), lines.join('\n') + '\n');
  return join(dir, 'manifest.csv');
}

const datasetPromise = makeDataset();

test('evaluate: per-metric scores, n/a for size mismatch, failures recorded, reference cache, signed stats', async () => {
  const manifest = await loadDataset(await datasetPromise, { higherIsBetter: false });
  const decoded: string[] = [];
  const decode = async (p: string) => {
    decoded.push(p);
    return decodeImageFile(p);
  };
  const [psnr] = await createMetrics(['psnr']);
  const flaky: FullReferenceMetric = {
    name: 'flaky',
    higherIsBetter: false,
    requiresSameSize: false,
    score: (r: RGBImage, t: RGBImage) => {
      if (t.width !== r.width) throw new ImageError('flaky: cannot handle this pair');
      let s = 0;
      for (let i = 0; i < r.data.length; i++) s += Math.abs(r.data[i] - t.data[i]);
      return s / r.data.length;
    },
  };
  const progress: number[] = [];
  const ev = await evaluate(manifest, [psnr, flaky], {
    decode,
    resamples: 200,
    referenceCacheSize: 1,
    onProgress: (d) => progress.push(d),
  });
  assert.equal(ev.n, 12);
  assert.deepEqual(
    progress,
    Array.from({ length: 12 }, (_, i) => i + 1),
  );
  // Pairs are visited grouped by reference: each of the 2 references is decoded once even with a 1-entry cache.
  assert.equal(decoded.filter((p) => p.includes('/ref/')).length, 2);
  const [p, f] = ev.metrics;
  assert.equal(p.notApplicable, 1);
  assert.equal(p.scores[7], null);
  assert.equal(p.stats!.n, 11);
  assert.equal(f.notApplicable, 0);
  assert.equal(f.failures.length, 1);
  assert.equal(f.failures[0].index, 7);
  // More noise → lower PSNR and higher DMOS: agreement, so positive correlations for both directions of metric.
  assert.ok(p.stats!.srcc > 0.9 && p.stats!.plcc > 0.9, JSON.stringify(p.stats));
  assert.ok(f.stats!.srcc > 0.9, JSON.stringify(f.stats));
  assert.ok(p.stats!.ci!.srcc[0] <= p.stats!.srcc && p.stats!.srcc <= p.stats!.ci!.srcc[1]);
  assert.deepEqual(
    p.perType.map((t) => t.type),
    ['high', 'low'],
  );

  const files = await writeReport(ev, join(tmp, 'out'));
  const md = readFileSync(files.markdown, 'utf8');
  assert.match(md, /\| psnr \| 11 \| /);
  const json = JSON.parse(readFileSync(files.json, 'utf8'));
  assert.equal(json.metrics.psnr.n, 11);
  assert.equal(json.pairs[7].metrics.psnr, null);
  assert.ok(readFileSync(files.svg!, 'utf8').includes('<svg'));
  assert.deepEqual([...readFileSync(files.png!).subarray(1, 4)], [0x50, 0x4e, 0x47]);
  // Atomic writes leave no temporary files behind.
  assert.deepEqual(readdirSync(join(tmp, 'out')).sort(), [
    'eval-scatter.png',
    'eval-scatter.svg',
    'eval.json',
    'eval.md',
  ]);
});

test('misaligned mode applies the transform to every distorted image before scoring', async () => {
  const manifest = await loadDataset(await datasetPromise, { higherIsBetter: false });
  const [psnr] = await createMetrics(['psnr']);
  let calls = 0;
  const crop = (img: RGBImage): RGBImage => {
    calls++;
    return {
      width: img.width - 1,
      height: img.height,
      data: img.data.filter((_, i) => Math.floor(i / 3) % img.width !== img.width - 1),
    };
  };
  const ev = await evaluate(manifest, [psnr], { transform: crop, resamples: 0 });
  assert.equal(calls, 12);
  assert.ok(ev.misaligned);
  // Every pair now differs in size: a pixel-aligned metric is not applicable anywhere (and nothing is resized).
  assert.equal(ev.metrics[0].notApplicable, 12);
  assert.equal(ev.metrics[0].stats, null);
});

test('CLI: eval --json prints one JSON object with signed figures; --lower-better flips the direction', async () => {
  const manifestPath = await datasetPromise;
  const run = async (...args: string[]) => {
    const r = await runCli(['eval', manifestPath, '--metrics', 'psnr,psnr-y', '--json', '--bootstrap', '50', ...args]);
    if (r.code !== 0) throw new Error(`exit ${r.code}: ${r.stderr}`);
    return JSON.parse(r.stdout);
  };
  const dmos = await run('--lower-better');
  assert.deepEqual(Object.keys(dmos.metrics), ['psnr', 'psnr-y']);
  for (const k of ['srcc', 'krcc', 'plcc', 'rmse', 'n']) assert.equal(typeof dmos.metrics.psnr[k], 'number', k);
  assert.ok(dmos.metrics.psnr.srcc > 0.9);
  const mos = await run();
  assert.ok(Math.abs(mos.metrics.psnr.srcc + dmos.metrics.psnr.srcc) < 1e-12);
  await assert.rejects(run('--metrics', 'nope'), /exit 2: [^]*^error: .*unknown metric/m);
});

test(
  'LIVE JPEG: luminance PSNR SRCC is 0.881 ± 0.002 (Sheikh et al. 2006)',
  { skip: existsSync(live) ? false : '../shared/datasets/live-jpeg absent' },
  async () => {
    const manifest = await loadDataset(live, { higherIsBetter: false });
    assert.equal(manifest.entries.length, 175);
    const ev = await evaluate(manifest, await createMetrics(['psnr-y']), { resamples: 0 });
    const s = ev.metrics[0].stats!;
    assert.ok(Math.abs(s.srcc - 0.881) <= 0.002, `srcc ${s.srcc}`);
  },
);
