/**
 * Issue 12, point 2: the matchers' per-assertion cost. One engine per test worker, loaded once: the first assertion
 * pays the worker thread's start and the model load; later ones pay one local map (two network passes) plus decoding
 * the two PNG files. Measured through the matchers' own path (`matchImages`: thresholds, worker round trip, decode,
 * map), with the engine disposed between sizes so each size's first assertion loads it afresh.
 *
 *   npx tsx bench/matchers.ts [--repeats 7]        → bench/results/matchers.md
 *
 * Genuine MobileNet v1 0.75 weights (../shared, or DEEPSSIM_MOBILENET_WEIGHTS) — the matchers' default backbone.
 * Images: a Kodak photo resized to each screenshot size, and the same resized photo shifted by (2, 1) px (a passing
 * pair; the cost depends on the size, not on the content).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { configureDeepSSIM, disposeDeepSSIM, matchImages } from '../src/matchers/core.js';
import { ROOT, SHARED } from '../test/support/paths.js';
import { median, printTable } from './support.js';

const { values } = parseArgs({ options: { repeats: { type: 'string' } } });
const repeats = Number(values.repeats ?? 7);
const weights =
  process.env.DEEPSSIM_MOBILENET_WEIGHTS ?? join(SHARED, 'weights', 'mobilenet_v1_0.75_224', 'model.json');
configureDeepSSIM({ weights });
const SIZES: [number, number][] = [
  [800, 600],
  [1280, 720],
];

const dir = mkdtempSync(join(tmpdir(), 'deepssim-bench-matchers-'));
const rows: string[][] = [];
const load = [loadavg()[0]];
try {
  for (const [w, h] of SIZES) {
    const big = sharp(join(SHARED, 'images', 'kodak', 'kodim23.png')).resize(w + 8, h + 8, { fit: 'fill' });
    const ref = join(dir, `ref-${w}.png`);
    const test = join(dir, `test-${w}.png`);
    writeFileSync(ref, await big.clone().extract({ left: 4, top: 4, width: w, height: h }).png().toBuffer());
    writeFileSync(test, await big.clone().extract({ left: 6, top: 5, width: w, height: h }).png().toBuffer());
    await disposeDeepSSIM(); // a fresh worker: the first assertion loads the engine
    const assertion = async () => {
      const t0 = performance.now();
      const r = await matchImages(test, ref, {}, undefined);
      if (!r.pass) throw new Error(`benchmark pair unexpectedly failed: ${r.message}`);
      return performance.now() - t0;
    };
    const first = await assertion();
    const later: number[] = [];
    for (let k = 0; k < repeats; k++) later.push(await assertion());
    load.push(loadavg()[0]);
    const med = median(later);
    rows.push([
      `${w}×${h}`,
      first.toFixed(0),
      med.toFixed(0),
      `${Math.min(...later).toFixed(0)}–${Math.max(...later).toFixed(0)}`,
      (first / med).toFixed(2),
    ]);
    console.log(`${w}×${h}: first ${first.toFixed(0)} ms, later median ${med.toFixed(0)} ms`);
  }
} finally {
  await disposeDeepSSIM();
  rmSync(dir, { recursive: true, force: true });
}

const header = [
  'size',
  'first assertion ms (thread start + model load)',
  `later assertions, median of ${repeats} ms`,
  'later min–max ms',
  'first / later',
];
printTable(header, rows);
const machine = `${cpus()[0]?.model ?? 'unknown CPU'}, ${availableParallelism()} cores; 1-min load average ${load.map((l) => l.toFixed(2)).join(' → ')} (1-min load average: other jobs on this shared machine show here)`;
const md = [
  '# Matcher cost per assertion (MobileNet v1 α = 0.75, genuine weights)',
  '',
  '`npx tsx bench/matchers.ts` — `matchImages` (what `toMatchDeepSSIM` runs): PNG paths in, engine on its worker',
  "thread; the engine is disposed before each size, so each size's first assertion starts the thread and loads the",
  'model. Pair: a Kodak photo resized to the size and the same photo shifted by (2, 1) px.',
  '',
  `| ${header.join(' | ')} |`,
  `|${header.map(() => '---').join('|')}|`,
  ...rows.map((r) => `| ${r.join(' | ')} |`),
  '',
  machine,
  '',
].join('\n');
writeFileSync(join(ROOT, 'bench', 'results', 'matchers.md'), md);
console.log(`\n${machine}\nwrote bench/results/matchers.md`);
