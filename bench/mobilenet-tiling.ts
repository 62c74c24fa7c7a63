/**
 * Issue 15: MobileNet v1 0.75 (genuine weights, ../shared) is tiled exactly like VGG16. For a 6000×4000 pair (and a
 * 2000×1500 one): score, time and peak RSS untiled vs tiled (automatic: 1024-px tiles above 16 MP, 768 px above
 * 1.2 MP), with and without GBVS-free saliency masks given as maps. Each run is a fresh child process so its peak RSS
 * (getrusage maxrss) is its own. Writes bench/results/mobilenet-tiling.md.
 *
 *   npx tsx bench/mobilenet-tiling.ts
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createDeepSSIM } from '../src/index.js';
import type { RawImage } from '../src/image/types.js';
import { ROOT, SHARED } from '../test/support/paths.js';
import { parseTile, printTable, reportRun, runChild, texture } from './support.js';

const WEIGHTS = join(SHARED, 'weights', 'mobilenet_v1_0.75_224', 'model.json');
const { values } = parseArgs({ options: { child: { type: 'string' } } });

/** A one-channel 0/255 map: an ellipse covering about half the image. */
function ellipse(width: number, height: number): RawImage {
  const data = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++)
      data[y * width + x] =
        ((x - width / 2) / (0.4 * width)) ** 2 + ((y - height / 2) / (0.4 * height)) ** 2 < 1 ? 255 : 0;
  }
  return { data, width, height, channels: 1 };
}

async function child(arg: string): Promise<void> {
  const [w, h, tileArg, maskArg] = arg.split(',');
  const metric = await createDeepSSIM({ backbone: 'mobilenet_v1_0.75', weights: WEIGHTS, tile: parseTile(tileArg) });
  const [W, H] = [Number(w), Number(h)];
  const a = texture(W, H, 1);
  const b = texture(W, H, 2);
  const maps = maskArg === 'mask' ? ([ellipse(W, H), ellipse(W, H)] as const) : undefined;
  await reportRun(
    () => metric.score(a, b, { saliencyMaps: maps }),
    () => metric.dispose(),
  );
}

const run = (w: number, h: number, tile: string, mask: boolean) =>
  runChild(join(ROOT, 'bench/mobilenet-tiling.ts'), `${w},${h},${tile},${mask ? 'mask' : ''}`);

async function main(): Promise<void> {
  if (!existsSync(WEIGHTS)) {
    console.log(`skipped: ${WEIGHTS} not found`);
    return;
  }
  const rows: string[][] = [];
  for (const [w, h] of [
    [2000, 1500],
    [6000, 4000],
  ] as const) {
    for (const mask of [false, true]) {
      const untiled = run(w, h, 'none', mask);
      const tiled = run(w, h, 'auto', mask);
      rows.push([
        `${w}×${h}`,
        mask ? 'yes' : 'no',
        untiled.full.toFixed(9),
        tiled.full.toFixed(9),
        Math.abs(untiled.full - tiled.full).toExponential(2),
        untiled.ms.toFixed(0),
        tiled.ms.toFixed(0),
        untiled.rssMB.toFixed(0),
        tiled.rssMB.toFixed(0),
      ]);
    }
  }
  const header = [
    'size',
    'masks',
    'untiled score',
    'tiled score (auto)',
    '|Δ|',
    'untiled ms',
    'tiled ms',
    'untiled peak RSS MB',
    'tiled peak RSS MB',
  ];
  printTable(header, rows);
  const md = [
    '# MobileNet v1 0.75 (genuine weights): tiled vs untiled',
    '',
    'Command: `npx tsx bench/mobilenet-tiling.ts` (one child process per run; full variant; automatic tiles: 768 px above',
    '1.2 MP, 1024 px above 16 MP; masks: an ellipse over about half the image, given as saliency maps).',
    'Timings are from a shared machine and only indicative; scores and memory are the point.',
    '',
    `| ${header.join(' | ')} |`,
    `|${header.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
    '',
  ].join('\n');
  writeFileSync(join(ROOT, 'bench/results/mobilenet-tiling.md'), md);
}

if (values.child) await child(values.child);
else await main();
