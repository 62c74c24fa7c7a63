/**
 * Issue 2, acceptance 3: single-pair latency of deepssim (library call, weights loaded, session warm) against the
 * PyTorch reference computation on the same machine, float32, same thread count.
 *
 *   npx tsx bench/speed.ts [--threads N] [--repeats 7]
 *
 * The PyTorch column needs Debian's python3-torch (/usr/bin/python3); it prints n/a without it.
 * Weights are the synthetic VGG16 weights (speed does not depend on their values).
 */
import { spawnSync } from 'node:child_process';
import { availableParallelism, cpus } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { vgg16Macs } from '../src/backbones/vgg16.js';
import { createDeepSSIM } from '../src/index.js';
import { ROOT } from '../test/support/paths.js';
import { syntheticWeightFiles } from '../test/support/weights.js';
import { median, noise, printTable, timeRuns } from './support.js';

const { values } = parseArgs({ options: { threads: { type: 'string' }, repeats: { type: 'string' } } });
const threads = Number(values.threads ?? availableParallelism());
const repeats = Number(values.repeats ?? 7);
const SIZES: [number, number][] = [
  [224, 224],
  [512, 384],
];

const metric = await createDeepSSIM({ weights: (await syntheticWeightFiles()).safetensors, threads, tile: false });
const ours: number[] = [];
for (const [w, h] of SIZES) {
  const a = noise(w, h, 1);
  const b = noise(w, h, 2);
  ours.push(median(await timeRuns(() => metric.score(a, b), repeats)));
}
await metric.dispose();

// Saliency calibration overhead (issue 4): the same 768×512 pair scored plain and with GBVS masks.
const salW = 768;
const salH = 512;
const salA = noise(salW, salH, 3);
const salB = noise(salW, salH, 4);
const salMs: Record<string, number> = {};
for (const saliency of ['none', 'gbvs'] as const) {
  const m = await createDeepSSIM({
    weights: (await syntheticWeightFiles()).safetensors,
    threads,
    tile: false,
    saliency,
  });
  salMs[saliency] = median(await timeRuns(() => m.score(salA, salB), repeats));
  await m.dispose();
}

let torch: number[] | undefined;
let torchNote: string;
const py = spawnSync(
  '/usr/bin/python3',
  [
    join(ROOT, 'tools/reference/deepssim_reference.py'),
    'bench',
    '--threads',
    String(threads),
    '--repeats',
    String(repeats),
    '--sizes',
    SIZES.map(([w, h]) => `${w}x${h}`).join(','),
  ],
  { encoding: 'utf8' },
);
if (py.status === 0) {
  const r = JSON.parse(py.stdout.trim().split('\n').pop()!);
  torch = r.rows.map((x: { median_ms: number }) => x.median_ms);
  torchNote = `PyTorch ${r.torch} (float32, ${r.threads} threads, mkldnn ${r.mkldnn})`;
} else {
  torchNote = `PyTorch reference unavailable (${(py.stderr || String(py.error)).trim().split('\n').pop()})`;
}

console.log(
  `machine: ${cpus()[0]?.model ?? 'unknown CPU'}, ${availableParallelism()} cores; deepssim threads ${threads}; ${torchNote}`,
);
console.log(`median of ${repeats} runs per pair (two images through VGG16 to relu5_1 + Gram + statistic)\n`);
printTable(
  ['size', 'deepssim ms/pair', 'PyTorch ms/pair', 'speed-up', 'deepssim GFLOP/s'],
  SIZES.map(([w, h], i) => [
    `${w}×${h}`,
    ours[i].toFixed(1),
    torch ? torch[i].toFixed(1) : 'n/a',
    torch ? `${(torch[i] / ours[i]).toFixed(2)}×` : 'n/a',
    // 2 FLOP per MAC, two images per pair.
    ((2 * 2 * vgg16Macs(h, w)) / (ours[i] * 1e6)).toFixed(0),
  ]),
);

console.log(
  `\nsaliency calibration at ${salW}×${salH} (GBVS on both images + masked relu1_1), median of ${repeats}:\n`,
);
printTable(
  ['variant', 'ms/pair', 'added by saliency'],
  [
    ['plain', salMs.none.toFixed(1), '—'],
    ['saliency (gbvs)', salMs.gbvs.toFixed(1), `${(salMs.gbvs - salMs.none).toFixed(1)} ms`],
  ],
);
