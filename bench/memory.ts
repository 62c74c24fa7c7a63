/**
 * Issue 3, acceptance 1–3: any image size in bounded memory with the same score, and dataset throughput.
 *
 *   npx tsx bench/memory.ts                # all sizes, tiled-vs-untiled check, LIVE batch throughput
 *   npx tsx bench/memory.ts --skip-33mp    # without the 7680×4320 pair (≈ 3 minutes less)
 *
 * Each size runs in a fresh child process so its peak RSS (getrusage maxrss) is its own. Images are synthetic
 * textures (content does not change time or memory); weights are the synthetic VGG16 weights.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { parse } from 'csv-parse/sync';
import { createDeepSSIM } from '../src/index.js';
import { ROOT, SHARED } from '../test/support/paths.js';
import { syntheticWeightFiles } from '../test/support/weights.js';
import { parseTile, printTable, reportRun, runChild, texture } from './support.js';

const { values } = parseArgs({
  options: {
    child: { type: 'string' }, // "W,H,tile" — internal
    'skip-33mp': { type: 'boolean' },
  },
});

async function child(spec: string): Promise<void> {
  const [w, h, tileArg] = spec.split(',');
  const metric = await createDeepSSIM({
    weights: (await syntheticWeightFiles()).safetensors,
    tile: parseTile(tileArg),
  });
  const a = texture(Number(w), Number(h), 1);
  const b = texture(Number(w), Number(h), 2);
  await reportRun(
    () => metric.score(a, b),
    () => metric.dispose(),
  );
}

const runChildAt = (w: number, h: number, tile: string) => runChild(join(ROOT, 'bench/memory.ts'), `${w},${h},${tile}`);

async function main(): Promise<void> {
  await syntheticWeightFiles(); // write once, before the children race for it
  console.log('## Tiled vs untiled (same weights, same pair)\n');
  const eqRows: string[][] = [];
  for (const [w, h] of [
    [1024, 768],
    [2000, 1500],
    [3840, 2160],
  ] as const) {
    const untiled = runChildAt(w, h, 'none');
    const tiled = runChildAt(w, h, '512');
    eqRows.push([
      `${w}×${h}`,
      untiled.full.toFixed(9),
      tiled.full.toFixed(9),
      Math.abs(untiled.full - tiled.full).toExponential(2),
      untiled.rssMB.toFixed(0),
      tiled.rssMB.toFixed(0),
    ]);
  }
  printTable(
    ['size', 'untiled score', 'tiled (512 px) score', '|Δ|', 'untiled peak RSS MB', 'tiled peak RSS MB'],
    eqRows,
  );

  console.log('\n## Time and peak RSS per pair (default settings: automatic tiling)\n');
  const sizes: [number, number][] = [
    [512, 512],
    [1000, 1000],
    [2000, 2000],
    [3840, 2160],
  ];
  if (!values['skip-33mp']) sizes.push([7680, 4320]);
  const rows: { mp: number; ms: number; rss: number; label: string }[] = [];
  for (const [w, h] of sizes) {
    const r = runChildAt(w, h, 'auto');
    rows.push({ mp: (w * h) / 1e6, ms: r.ms, rss: r.rssMB, label: `${w}×${h}` });
  }
  const perMp1 = rows.find((r) => r.label === '1000×1000')!.ms / 1;
  printTable(
    ['size', 'MP', 'ms/pair', 'ms/MP', 'vs 1 MP', 'peak RSS MB'],
    rows.map((r) => [
      r.label,
      r.mp.toFixed(2),
      r.ms.toFixed(0),
      (r.ms / r.mp).toFixed(0),
      `${(r.ms / r.mp / perMp1).toFixed(2)}×`,
      r.rss.toFixed(0),
    ]),
  );

  console.log('\n## deepssim batch on LIVE JPEG (175 pairs, 29 references)\n');
  const manifest = join(SHARED, 'datasets/live-jpeg/manifest.csv');
  if (!existsSync(manifest)) {
    console.log(`skipped: ${manifest} not found`);
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'deepssim-bench-'));
  const rowsIn = parse(readFileSync(manifest, 'utf8'), { columns: true }) as { reference: string; distorted: string }[];
  const base = join(SHARED, 'datasets/live-jpeg');
  writeFileSync(
    join(dir, 'pairs.csv'),
    ['reference,test', ...rowsIn.map((r) => `${resolve(base, r.reference)},${resolve(base, r.distorted)}`)].join('\n'),
  );
  const r = spawnSync(
    process.execPath,
    [
      '--import',
      'tsx',
      join(ROOT, 'src/cli/main.ts'),
      'batch',
      join(dir, 'pairs.csv'),
      '--weights',
      (await syntheticWeightFiles()).safetensors,
      '--profile',
      '--no-progress',
      '--out',
      join(dir, 'out.csv'),
    ],
    { encoding: 'utf8', cwd: ROOT },
  );
  if (r.status !== 0) throw new Error(r.stderr);
  console.log(r.stderr.trim());
}

if (values.child) await child(values.child);
else await main();
