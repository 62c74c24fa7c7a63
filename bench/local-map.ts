/**
 * Cost of the local map against a global score (issue 12: at most 1.5×), MobileNet v1 α = 0.75 (genuine weights):
 *
 *   npx tsx bench/local-map.ts [rounds=5]   → bench/results/local-map.md
 *
 * Per size, `score()` and `map()` of the same pair alternate (so machine load affects both alike); the table gives
 * medians and the median of the per-round ratios, of wall time and of CPU time (all the process's threads, from
 * process.cpuUsage: less sensitive to other processes' load than wall time). Both include decoding and both network passes; `map()` adds the
 * pair-product graph and the window statistics. Sizes above the tiling budget (1.2 MP) run tiled by default; the
 * largest size is measured both tiled (default) and untiled (`tile: false`). The machine's load average is recorded
 * with the results: the machine is shared, so absolute times vary between runs; the ratio is what is compared.
 */
import { writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import { createDeepSSIM, decodeImage, type DeepSSIM } from '../src/index.js';
import type { RGBImage } from '../src/image/types.js';
import { planTile } from '../src/features.js';
import { cropImage, raw } from '../test/support/edits.js';

const WEIGHTS = resolve(import.meta.dirname, '..', '..', 'shared', 'weights', 'mobilenet_v1_0.75_224', 'model.json');
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const load = () =>
  loadavg()
    .map((v) => v.toFixed(2))
    .join(' / ');

const rounds = Number(process.argv[2] ?? 7);
const kodim23 = await decodeImage(resolve(import.meta.dirname, '..', '..', 'shared', 'images', 'kodak', 'kodim23.png'));
// The larger sizes come from kodim23 upscaled 2× (Lanczos): 1536×1024 pixels to crop from.
const big: RGBImage = {
  data: new Uint8Array(
    await sharp(kodim23.data, { raw: { width: kodim23.width, height: kodim23.height, channels: 3 } })
      .resize(kodim23.width * 2, kodim23.height * 2, { kernel: 'lanczos3' })
      .raw()
      .toBuffer(),
  ),
  width: kodim23.width * 2,
  height: kodim23.height * 2,
};
const tiled = await createDeepSSIM({ backbone: 'mobilenet_v1_0.75', weights: WEIGHTS });
const untiled = await createDeepSSIM({ backbone: 'mobilenet_v1_0.75', weights: WEIGHTS, tile: false });
const cases: [number, number, DeepSSIM, string][] = [
  [640, 480, tiled, ''],
  [752, 496, tiled, ''],
  [1280, 960, tiled, ''],
  [1280, 960, untiled, 'untiled (`tile: false`)'],
];
const loadBefore = load();
const rows: string[] = [];
for (const [w, h, metric, note] of cases) {
  const source = w <= kodim23.width - 16 ? kodim23 : big;
  const ref = raw(cropImage(source, 8, 8, w, h));
  const test = raw(cropImage(source, 11, 10, w, h));
  const tiling =
    note || planTile(w, h, 16) === 0 ? note || 'untiled' : `tiled (automatic, ${planTile(w, h, 16)}-px tiles)`;
  // Warm-up, not counted: the first map builds its sessions, and the first rounds compile the JavaScript.
  for (let i = 0; i < 2; i++) {
    await metric.score(ref, test);
    await metric.map(ref, test);
  }
  const s: number[] = [];
  const m: number[] = [];
  const sCpu: number[] = [];
  const mCpu: number[] = [];
  const cpu = (from: NodeJS.CpuUsage) => {
    const u = process.cpuUsage(from);
    return (u.user + u.system) / 1000;
  };
  for (let i = 0; i < rounds; i++) {
    let t = performance.now();
    let c = process.cpuUsage();
    await metric.score(ref, test);
    s.push(performance.now() - t);
    sCpu.push(cpu(c));
    t = performance.now();
    c = process.cpuUsage();
    await metric.map(ref, test);
    m.push(performance.now() - t);
    mCpu.push(cpu(c));
  }
  const ratio = median(m.map((x, i) => x / s[i]));
  const cpuRatio = median(mCpu.map((x, i) => x / sCpu[i]));
  rows.push(
    `| ${w}×${h} | ${tiling} | ${rounds} | ${median(s).toFixed(0)} | ${median(m).toFixed(0)} | ${ratio.toFixed(2)}× | ${median(sCpu).toFixed(0)} | ${median(mCpu).toFixed(0)} | ${cpuRatio.toFixed(2)}× |`,
  );
  process.stderr.write(`${rows.at(-1)}\n`);
}
const loadAfter = load();
await tiled.dispose();
await untiled.dispose();
const md = [
  '# Local map cost vs a global score (MobileNet v1 α = 0.75, genuine weights)',
  '',
  '`npx tsx bench/local-map.ts` — pair = a crop of kodim23 and the same crop shifted by (3, 2) px (1280×960: from',
  'kodim23 upscaled 2×, Lanczos); score() and map() alternate, both with decoding and both network passes.',
  '',
  '| size | features | rounds | score() median ms | map() median ms | map / score (median of per-round ratios) | score() CPU ms | map() CPU ms | CPU map / score |',
  '|---|---|---|---|---|---|---|---|---|',
  ...rows,
  '',
  `Load average (1 / 5 / 15 min) on this shared 2-core machine: ${loadBefore} at the start, ${loadAfter} at the end.`,
  '',
].join('\n');
await writeFile(join('bench', 'results', 'local-map.md'), md);
process.stdout.write(md);
