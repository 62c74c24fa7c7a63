/**
 * Issue 6, acceptance 3: ms per pair for the MobileNet v1 α = 0.75 and VGG16 backbones on the same machine, both
 * through createDeepSSIM (library call, weights loaded, session warm, untiled), full variant.
 *
 *   npx tsx bench/backbones.ts [--threads N] [--repeats 9] [--out bench/results/mobilenet-backbones.md]
 *
 * MobileNet uses the genuine weights in ../shared (or DEEPSSIM_MOBILENET_WEIGHTS); VGG16 the project's synthetic
 * weights (speed does not depend on the values). Inputs are deterministic noise images.
 */
import { writeFile } from 'node:fs/promises';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { mobilenetMacs } from '../src/backbones/mobilenet-v1.js';
import { vgg16Macs } from '../src/backbones/vgg16.js';
import { createDeepSSIM } from '../src/index.js';
import { ROOT, SHARED } from '../test/support/paths.js';
import { syntheticWeightFiles } from '../test/support/weights.js';
import { median, noise, printTable } from './support.js';

const { values } = parseArgs({
  options: { threads: { type: 'string' }, repeats: { type: 'string' }, out: { type: 'string' } },
});
const threads = Number(values.threads ?? availableParallelism());
const repeats = Number(values.repeats ?? 9);
const out = values.out ?? join(ROOT, 'bench', 'results', 'mobilenet-backbones.md');
const SIZES: [number, number][] = [
  [512, 384],
  [224, 224],
  [768, 512],
];

interface Row {
  backbone: string;
  size: string;
  ms: number;
  gmacs: number;
}

const mobilenetWeights =
  process.env.DEEPSSIM_MOBILENET_WEIGHTS ?? join(SHARED, 'weights', 'mobilenet_v1_0.75_224', 'model.json');
const BACKBONES = [
  { name: 'mobilenet_v1_0.75', weights: mobilenetWeights, macs: mobilenetMacs },
  { name: 'vgg16', weights: (await syntheticWeightFiles()).safetensors, macs: vgg16Macs },
];
const createMs: number[] = [];
const metrics = [];
for (const b of BACKBONES) {
  const t0 = performance.now();
  metrics.push(await createDeepSSIM({ backbone: b.name, weights: b.weights, threads, tile: false }));
  createMs.push(performance.now() - t0);
}
// Pairs of the two backbones alternate, so load from other processes on a shared machine hits both alike.
const mobile: Row[] = [];
const vgg: Row[] = [];
for (const [w, h] of SIZES) {
  const a = noise(w, h, 1);
  const b = noise(w, h, 2);
  for (const m of metrics) await m.score(a, b); // warm-up (the first run of a shape plans memory)
  const times: number[][] = metrics.map(() => []);
  for (let k = 0; k < repeats; k++) {
    for (let i = 0; i < metrics.length; i++) {
      const t = performance.now();
      await metrics[i].score(a, b);
      times[i].push(performance.now() - t);
    }
  }
  const row = (i: number): Row => ({
    backbone: BACKBONES[i].name,
    size: `${w}×${h}`,
    ms: median(times[i]),
    gmacs: BACKBONES[i].macs(h, w) / 1e9,
  });
  mobile.push(row(0));
  vgg.push(row(1));
}
for (const m of metrics) await m.dispose();

const header = ['size', 'backbone', 'feature layer', 'GMAC/image', 'ms/pair (median)', 'GFLOP/s', 'vs VGG16'];
const rows = SIZES.flatMap((_, i) =>
  [mobile[i], vgg[i]].map((r) => [
    r.size,
    r.backbone,
    r.backbone === 'vgg16' ? 'relu5_1 (512)' : 'conv_pw_11 ReLU6 (384)',
    r.gmacs.toFixed(2),
    r.ms.toFixed(1),
    // 2 FLOP per MAC, two images per pair.
    ((4 * r.gmacs * 1e9) / (r.ms * 1e6)).toFixed(0),
    r.backbone === 'vgg16' ? '1×' : `${(vgg[i].ms / r.ms).toFixed(1)}× faster`,
  ]),
);
const machine = `${cpus()[0]?.model ?? 'unknown CPU'}, ${availableParallelism()} cores; ONNX Runtime threads ${threads}; median of ${repeats} pairs after one warm-up, backbones alternating; load average at the end ${loadavg()[0].toFixed(1)}`;
console.log(machine);
console.log(
  `session creation: MobileNet ${createMs[0].toFixed(0)} ms, VGG16 ${createMs[1].toFixed(0)} ms (weights read + graph + session)\n`,
);
printTable(header, rows);

const md = [
  '# DeepSSIM backbones: ms per pair (bench/backbones.ts)',
  '',
  `Machine: ${machine}. Full variant, untiled, noise images; each pair = two images through the backbone + Gram + statistic.`,
  'VGG16 runs with synthetic weights (speed does not depend on the values); MobileNet with the genuine ImageNet weights.',
  `Session creation: MobileNet ${createMs[0].toFixed(0)} ms, VGG16 ${createMs[1].toFixed(0)} ms.`,
  '',
  `| ${header.join(' | ')} |`,
  `|${header.map(() => '---').join('|')}|`,
  ...rows.map((r) => `| ${r.join(' | ')} |`),
  '',
  'Command: `npx tsx bench/backbones.ts`',
  '',
].join('\n');
await writeFile(out, md);
console.log(`\nwrote ${out}`);
