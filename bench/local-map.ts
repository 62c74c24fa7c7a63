/**
 * Cost of the local map against a global score (issue 12: at most 1.5×), MobileNet v1 α = 0.75 (genuine weights):
 *
 *   npx tsx bench/local-map.ts [rounds=5]   → bench/results/local-map.md
 *
 * Per size, `score()` and `map()` of the same pair alternate (so machine load affects both alike); the table gives
 * medians and the median of the per-round ratios. Both include decoding and both network passes; `map()` adds the
 * pair-product graph and the window statistics.
 */
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createDeepSSIM } from '../src/index.js';
import { decodeImage } from '../src/index.js';
import { cropImage, raw } from '../test/support/edits.js';

const WEIGHTS = resolve(import.meta.dirname, '..', '..', 'shared', 'weights', 'mobilenet_v1_0.75_224', 'model.json');
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

const rounds = Number(process.argv[2] ?? 5);
const metric = await createDeepSSIM({ backbone: 'mobilenet_v1_0.75', weights: WEIGHTS });
const full = await decodeImage(resolve(import.meta.dirname, '..', '..', 'shared', 'images', 'kodak', 'kodim23.png'));
const rows: string[] = [];
for (const [w, h] of [
  [640, 480],
  [752, 496],
] as const) {
  const ref = raw(cropImage(full, 8, 8, w, h));
  const test = raw(cropImage(full, 11, 10, w, h));
  await metric.score(ref, test);
  await metric.map(ref, test); // first map builds its sessions: not counted
  const s: number[] = [];
  const m: number[] = [];
  for (let i = 0; i < rounds; i++) {
    let t = performance.now();
    await metric.score(ref, test);
    s.push(performance.now() - t);
    t = performance.now();
    await metric.map(ref, test);
    m.push(performance.now() - t);
  }
  const ratio = median(m.map((x, i) => x / s[i]));
  rows.push(`| ${w}×${h} | ${rounds} | ${median(s).toFixed(0)} | ${median(m).toFixed(0)} | ${ratio.toFixed(2)}× |`);
  process.stderr.write(`${rows.at(-1)}\n`);
}
await metric.dispose();
const md = [
  '# Local map cost vs a global score (MobileNet v1 α = 0.75, genuine weights)',
  '',
  '`npx tsx bench/local-map.ts` — pair = a Kodak crop and the same crop shifted by (3, 2) px; score() and map() alternate.',
  '',
  '| size | rounds | score() median ms | map() median ms | map / score (median of per-round ratios) |',
  '|---|---|---|---|---|',
  ...rows,
  '',
].join('\n');
await writeFile(join('bench', 'results', 'local-map.md'), md);
process.stdout.write(md);
