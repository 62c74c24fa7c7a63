/**
 * Issue 7, acceptance 3: train a small ×2 super-resolution CNN in TensorFlow.js (cpu backend) with
 * (a) L1 and (b) L1 + λ·DeepSSIM-Lite (gradients from ONNX Runtime through src/tfjs), same steps, seed and crops,
 * then report held-out PSNR, SSIM and DeepSSIM and write side-by-side sample outputs.
 *
 *   npx tsx examples/train/train.ts                     # Kodak from ../shared, MobileNet v1 0.75 (genuine weights) → .scratch/train
 *   npx tsx examples/train/train.ts --images DIR --steps 400 --lambda 0.5 --out /tmp/sr
 *
 * Degradation: 2×2 box downsampling, then bilinear upsampling back to full size; the network predicts the residual.
 * Held-out images: the last --heldout files of the folder in name order (never used for training crops).
 * See examples/train/README.md for the measured results.
 */
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { createDeepSSIM, createLoss, decodeImage, psnr as psnrRGB, ssim, type RGBImage } from 'deepssim';
import { deepssimStep } from 'deepssim/tfjs';
import {
  buildModel as buildNet,
  cropBatches as cropPairs,
  degrade,
  evenCrop,
  l1,
  tf,
  toImage,
  toTensor,
  useBackend,
  type Net,
} from './sr-lib.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const { values: args } = parseArgs({
  options: {
    images: { type: 'string', default: resolve(ROOT, '..', 'shared', 'images', 'kodak') },
    heldout: { type: 'string', default: '4' },
    steps: { type: 'string', default: '300' },
    batch: { type: 'string', default: '6' },
    crop: { type: 'string', default: '64' },
    lambda: { type: 'string', default: '1' },
    lr: { type: 'string', default: '0.002' },
    seed: { type: 'string', default: '7' },
    features: { type: 'string', default: '16' },
    backbone: { type: 'string', default: 'mobilenet_v1_0.75' },
    weights: { type: 'string' },
    threads: { type: 'string' },
    out: { type: 'string', default: join(ROOT, '.scratch', 'train') },
    backend: { type: 'string', default: 'cpu' },
    only: { type: 'string' },
  },
});
const steps = Number(args.steps);
const batch = Number(args.batch);
const crop = Number(args.crop);
const lambda = Number(args.lambda);
const seed = Number(args.seed);
const features = Number(args.features);
if (crop % 2 !== 0) throw new Error('--crop must be even');
const weights =
  args.weights ??
  (args.backbone === 'mobilenet_v1_0.75'
    ? resolve(ROOT, '..', 'shared', 'weights', 'mobilenet_v1_0.75_224', 'model.json')
    : undefined);
if (weights && !existsSync(weights)) throw new Error(`weights ${weights} not found (pass --weights)`);
await useBackend(args.backend);
const log = (m: string) => console.log(`[${(performance.now() / 1000).toFixed(0).padStart(4)} s] ${m}`);

// ---------------------------------------------------------------- data
const files = readdirSync(args.images)
  .filter((f) => /\.(png|jpe?g|bmp|tiff?|webp)$/i.test(f))
  .sort();
const nHeld = Number(args.heldout);
if (files.length <= nHeld) throw new Error(`${args.images}: need more than ${nHeld} images, found ${files.length}`);
const images: RGBImage[] = [];
for (const f of files) images.push(await decodeImage(join(args.images, f)));
const train = images.slice(0, files.length - nHeld).filter((im) => im.width >= crop && im.height >= crop);
const held = images.slice(files.length - nHeld);
const heldNames = files.slice(files.length - nHeld);
log(`${files.length} images in ${args.images}: ${train.length} for training crops, held out: ${heldNames.join(', ')}`);

/** The same crop sequence for both runs: [N, crop, crop, 3] in [0,1]. */
const cropBatches = () => cropPairs(train, { steps, batch, crop, seed }).map((b) => b.input);
const buildModel = () => buildNet(seed, features);

// ---------------------------------------------------------------- model
interface RunResult {
  name: string;
  model: Net;
  seconds: number;
  curve: { step: number; l1: number; deepssim?: number }[];
}

async function trainRun(name: string, withDeepSSIM: boolean, batches: Float32Array[]): Promise<RunResult> {
  const model = buildModel();
  const optimizer = tf.train.adam(Number(args.lr));
  const loss = withDeepSSIM
    ? await createLoss({
        variant: 'lite',
        backbone: args.backbone,
        weights,
        threads: args.threads ? Number(args.threads) : undefined,
      })
    : undefined;
  const curve: RunResult['curve'] = [];
  const t0 = performance.now();
  let acc = { l1: 0, ds: 0, n: 0 };
  for (let s = 0; s < steps; s++) {
    const hr = tf.tensor4d(batches[s], [batch, crop, crop, 3]);
    const lrUp = degrade(hr);
    const predict = () => model.apply(lrUp);
    if (loss) {
      const r = await deepssimStep({
        optimizer,
        loss,
        predict,
        target: hr,
        lambda,
        pixelLoss: l1(hr),
        varList: model.vars,
      });
      acc = { l1: acc.l1 + r.pixel, ds: acc.ds + r.deepssim, n: acc.n + 1 };
    } else {
      const cost = optimizer.minimize(() => l1(hr)(predict()), true, model.vars)!;
      acc = { l1: acc.l1 + cost.dataSync()[0], ds: 0, n: acc.n + 1 };
      cost.dispose();
    }
    hr.dispose();
    lrUp.dispose();
    if ((s + 1) % 25 === 0 || s === steps - 1) {
      curve.push({ step: s + 1, l1: acc.l1 / acc.n, ...(loss ? { deepssim: acc.ds / acc.n } : {}) });
      log(
        `${name} step ${s + 1}/${steps}: L1 ${(acc.l1 / acc.n).toFixed(5)}${loss ? `, DeepSSIM-Lite ${(acc.ds / acc.n).toFixed(5)}` : ''}`,
      );
      acc = { l1: 0, ds: 0, n: 0 };
    }
  }
  await loss?.dispose();
  optimizer.dispose();
  return { name, model, seconds: (performance.now() - t0) / 1000, curve };
}

const batches = cropBatches();
log(
  `${steps} steps × batch ${batch} × ${crop}² crops, λ = ${lambda}, lr ${args.lr}, seed ${seed}, backbone ${args.backbone}`,
);
const runs: RunResult[] = [];
if (args.only !== 'b') runs.push(await trainRun('(a) L1', false, batches));
if (args.only !== 'a') runs.push(await trainRun(`(b) L1 + ${lambda}·DeepSSIM-Lite`, true, batches));

const metricFull = await createDeepSSIM({ variant: 'full', backbone: args.backbone, weights, tile: false });
const metricLite = await createDeepSSIM({ variant: 'lite', backbone: args.backbone, weights, tile: false });
type Row = { psnr: number[]; ssim: number[]; dsFull: number[]; dsLite: number[] };
const table = new Map<string, Row>();
const outputs = new Map<string, RGBImage[]>();
const raw = (im: RGBImage) => ({ ...im, channels: 3 as const });
const addRow = async (name: string, ref: RGBImage, out: RGBImage) => {
  const row = table.get(name) ?? { psnr: [], ssim: [], dsFull: [], dsLite: [] };
  row.psnr.push(psnrRGB(ref, out));
  row.ssim.push(ssim(ref, out));
  row.dsFull.push(await metricFull.score(raw(ref), raw(out)));
  row.dsLite.push(await metricLite.score(raw(ref), raw(out)));
  table.set(name, row);
  outputs.set(name, [...(outputs.get(name) ?? []), out]);
};
for (const im0 of held) {
  const im = evenCrop(im0);
  const hr = toTensor(im);
  const input = degrade(hr);
  await addRow('bilinear (input)', im, toImage(input));
  for (const r of runs) {
    const y = r.model.apply(input);
    await addRow(r.name, im, toImage(y));
    y.dispose();
  }
  hr.dispose();
  input.dispose();
}
await metricFull.dispose();
await metricLite.dispose();
log('evaluated held-out images');

// ---------------------------------------------------------------- outputs
mkdirSync(args.out, { recursive: true });
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const lines = [
  `| model | PSNR dB | SSIM | DeepSSIM (full) | DeepSSIM-Lite | train s |`,
  `|---|---|---|---|---|---|`,
  ...[...table].map(([name, r]) => {
    const run = runs.find((x) => x.name === name);
    return `| ${name} | ${mean(r.psnr).toFixed(3)} | ${mean(r.ssim).toFixed(4)} | ${mean(r.dsFull).toFixed(4)} | ${mean(r.dsLite).toFixed(4)} | ${run ? run.seconds.toFixed(0) : '—'} |`;
  }),
];
const perImage = heldNames.map(
  (f, i) =>
    `| ${f} | ${[...table].map(([, r]) => `${r.psnr[i].toFixed(2)} / ${r.ssim[i].toFixed(4)} / ${r.dsFull[i].toFixed(4)}`).join(' | ')} |`,
);
const md = [
  `# ×2 SR demo: (a) L1 vs (b) L1 + λ·DeepSSIM-Lite`,
  '',
  `Command: \`npx tsx examples/train/train.ts ${process.argv.slice(2).join(' ')}\``.replace(/ `$/, '`'),
  `Images: ${args.images} (${train.length} training images, held out: ${heldNames.join(', ')}); ${steps} steps, batch ${batch}, ${crop}² crops, Adam lr ${args.lr}, seed ${seed}, λ = ${lambda}, loss backbone ${args.backbone}. DeepSSIM columns use the same backbone.`,
  '',
  'Held-out means (full images):',
  '',
  ...lines,
  '',
  `Per image (PSNR / SSIM / DeepSSIM full), columns: ${[...table.keys()].join(' | ')}`,
  '',
  `| image | ${[...table.keys()].join(' | ')} |`,
  `|---|${[...table.keys()].map(() => '---').join('|')}|`,
  ...perImage,
  '',
  'Training curves (mean over the last 25 steps):',
  '',
  ...runs.map(
    (r) =>
      `- ${r.name}: ${r.curve.map((c) => `${c.step}: L1 ${c.l1.toFixed(4)}${c.deepssim !== undefined ? ` DS ${c.deepssim.toFixed(4)}` : ''}`).join('; ')}`,
  ),
  '',
];
writeFileSync(join(args.out, 'results.md'), md.join('\n'));
writeFileSync(
  join(args.out, 'results.json'),
  JSON.stringify(
    {
      args,
      heldout: heldNames,
      table: Object.fromEntries(table),
      curves: runs.map((r) => ({ name: r.name, seconds: r.seconds, curve: r.curve })),
    },
    null,
    1,
  ),
);

// Side by side: the central 160×160 patch of each held-out image, columns [bilinear, (a), (b), original], 1:1.
const patch = 160;
const names = [...outputs.keys()];
const cols = names.length + 1;
const gap = 4;
const Wd = cols * patch + (cols - 1) * gap;
const Hd = held.length * patch + (held.length - 1) * gap;
const canvas = new Uint8Array(Wd * Hd * 3).fill(255);
held.forEach((im0, row) => {
  const im = evenCrop(im0);
  const x0 = Math.max(0, Math.floor(im.width / 2 - patch / 2));
  const y0 = Math.max(0, Math.floor(im.height / 2 - patch / 2));
  const sources = [...names.map((n) => outputs.get(n)![row]), im];
  sources.forEach((src, col) => {
    for (let y = 0; y < Math.min(patch, src.height); y++) {
      for (let x = 0; x < Math.min(patch, src.width); x++) {
        const s = ((y0 + y) * src.width + x0 + x) * 3;
        const d = ((row * (patch + gap) + y) * Wd + col * (patch + gap) + x) * 3;
        canvas[d] = src.data[s];
        canvas[d + 1] = src.data[s + 1];
        canvas[d + 2] = src.data[s + 2];
      }
    }
  });
});
await sharp(Buffer.from(canvas), { raw: { width: Wd, height: Hd, channels: 3 } })
  .png({ compressionLevel: 9 })
  .toFile(join(args.out, 'samples.png'));
console.log(`\n${lines.join('\n')}\n\ncolumns of samples.png: ${[...names, 'original'].join(' | ')}`);
log(`wrote ${join(args.out, 'results.md')}, results.json, samples.png`);
