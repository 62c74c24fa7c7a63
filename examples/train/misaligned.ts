/**
 * Issue 13, point 4 — the loss experiment that tests the paper's thesis: a Gram-based loss tolerates geometric
 * disparity, so it should help where pixel losses are known to blur — training against MISALIGNED targets.
 *
 * The same small ×2 SR network as train.ts is trained on crops whose target is the HR crop displaced by a random
 * sub-pixel offset (dx, dy) uniform in [−shift, shift] px per axis (bilinear resampling), while its input is the
 * degraded ALIGNED crop. Runs per seed: (0) L1 on aligned targets (reference), (1) L1 on misaligned targets,
 * (2…) L1 + λ·DeepSSIM-Lite on misaligned targets for each λ of the sweep. Evaluation on held-out images against
 * their aligned originals: PSNR, SSIM, DeepSSIM full and Lite (same backbone as the loss), plus a sharpness ratio.
 *
 *   npx tsx examples/train/misaligned.ts --out examples/train/results-misaligned     # the committed run
 *   npx tsx examples/train/misaligned.ts --steps 40 --seeds 1 --lambdas 0.3          # a quick look (→ .scratch/)
 *
 * On 2 cores the committed sweep ran as one process per seed, then --combine (same flags, no training):
 *   npx tsx examples/train/misaligned.ts --seeds 1 --out R/seed1 &
 *   npx tsx examples/train/misaligned.ts --seeds 2 --reference no --out R/seed2
 *   npx tsx examples/train/misaligned.ts --combine R/seed1,R/seed2 --out R
 *
 * Loss backbone: MobileNet v1 α = 0.75, Google's genuine ImageNet weights (../shared/weights); no VGG16 claim.
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { createDeepSSIM, createLoss, decodeImage, psnr as psnrRGB, ssim, type RGBImage } from 'deepssim';
import { deepssimStep } from 'deepssim/tfjs';
import {
  buildModel,
  cropBatches,
  degrade,
  evenCrop,
  l1,
  mean,
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
    steps: { type: 'string', default: '120' },
    batch: { type: 'string', default: '4' },
    crop: { type: 'string', default: '96' },
    shift: { type: 'string', default: '2' },
    lambdas: { type: 'string', default: '0.1,0.3,1' },
    seeds: { type: 'string', default: '1,2' },
    lr: { type: 'string', default: '0.002' },
    features: { type: 'string', default: '16' },
    backbone: { type: 'string', default: 'mobilenet_v1_0.75' },
    weights: { type: 'string' },
    out: { type: 'string', default: join(ROOT, '.scratch', 'train-misaligned') },
    backend: { type: 'string', default: 'wasm' },
    // Merge the results.json of runs made in separate processes (e.g. one per seed, in parallel) into --out.
    combine: { type: 'string' },
    // Also train the aligned-target L1 reference (on the first seed of this process).
    reference: { type: 'string', default: 'yes' },
  },
});
const steps = Number(args.steps);
const batch = Number(args.batch);
const crop = Number(args.crop);
const shift = Number(args.shift);
const lambdas = args.lambdas.split(',').map(Number);
const seeds = args.seeds.split(',').map(Number);
const features = Number(args.features);
for (const [k, v] of Object.entries({ steps, batch, crop, shift, features }))
  if (!Number.isFinite(v) || v < 0) throw new Error(`--${k} must be a number ≥ 0`);
if (crop % 2 !== 0) throw new Error('--crop must be even');
if (lambdas.some((l) => !(l > 0)) || seeds.some((s) => !Number.isInteger(s)))
  throw new Error('--lambdas must be positive numbers, --seeds integers');
const weights =
  args.weights ??
  (args.backbone === 'mobilenet_v1_0.75'
    ? resolve(ROOT, '..', 'shared', 'weights', 'mobilenet_v1_0.75_224', 'model.json')
    : undefined);
if (weights && !existsSync(weights)) throw new Error(`weights ${weights} not found (pass --weights)`);
await useBackend(args.backend);
const log = (m: string) => console.log(`[${(performance.now() / 1000).toFixed(0).padStart(5)} s] ${m}`);

// ---------------------------------------------------------------- data
const files = readdirSync(args.images)
  .filter((f) => /\.(png|jpe?g|bmp|tiff?|webp)$/i.test(f))
  .sort();
const nHeld = Number(args.heldout);
if (files.length <= nHeld) throw new Error(`${args.images}: need more than ${nHeld} images, found ${files.length}`);
const images: RGBImage[] = [];
for (const f of files) images.push(await decodeImage(join(args.images, f)));
const train = images.slice(0, files.length - nHeld);
const held = images.slice(files.length - nHeld).map(evenCrop);
const heldNames = files.slice(files.length - nHeld);
log(
  `${train.length} training images, held out: ${heldNames.join(', ')}; ${steps} steps × batch ${batch} × ${crop}² crops, shift ±${shift} px, λ ∈ {${lambdas.join(', ')}}, seeds ${seeds.join(', ')}`,
);

const loss = await createLoss({ variant: 'lite', backbone: args.backbone, weights });

interface Run {
  name: string;
  seed: number;
  lambda: number;
  aligned: boolean;
  seconds: number;
  model: Net;
}

async function trainRun(seed: number, aligned: boolean, lambda: number): Promise<Run> {
  const name = aligned
    ? 'L1, aligned targets'
    : lambda === 0
      ? 'L1, misaligned'
      : `L1 + ${lambda}·DeepSSIM-Lite, misaligned`;
  const batches = cropBatches(train, { steps, batch, crop, seed, maxShift: aligned ? 0 : shift });
  const model = buildModel(seed, features);
  const optimizer = tf.train.adam(Number(args.lr));
  const t0 = performance.now();
  let acc = { l1: 0, ds: 0, n: 0 };
  for (let s = 0; s < steps; s++) {
    const hr = tf.tensor4d(batches[s].input, [batch, crop, crop, 3]);
    const target = aligned ? hr : tf.tensor4d(batches[s].target, [batch, crop, crop, 3]);
    const lrUp = degrade(hr);
    const predict = () => model.apply(lrUp);
    if (lambda > 0) {
      const r = await deepssimStep({
        optimizer,
        loss,
        predict,
        target,
        lambda,
        pixelLoss: l1(target),
        varList: model.vars,
      });
      acc = { l1: acc.l1 + r.pixel, ds: acc.ds + r.deepssim, n: acc.n + 1 };
    } else {
      const cost = optimizer.minimize(() => l1(target)(predict()), true, model.vars)!;
      acc = { l1: acc.l1 + cost.dataSync()[0], ds: 0, n: acc.n + 1 };
      cost.dispose();
    }
    if (target !== hr) target.dispose();
    hr.dispose();
    lrUp.dispose();
    if ((s + 1) % 40 === 0 || s === steps - 1) {
      log(
        `seed ${seed} ${name} step ${s + 1}/${steps}: L1 ${(acc.l1 / acc.n).toFixed(5)}${lambda > 0 ? `, DeepSSIM-Lite loss ${(acc.ds / acc.n).toFixed(5)}` : ''}`,
      );
      acc = { l1: 0, ds: 0, n: 0 };
    }
  }
  optimizer.dispose();
  return { name, seed, lambda, aligned, seconds: (performance.now() - t0) / 1000, model };
}

// ---------------------------------------------------------------- evaluation
const metricFull = await createDeepSSIM({ variant: 'full', backbone: args.backbone, weights, tile: false });
const metricLite = await createDeepSSIM({ variant: 'lite', backbone: args.backbone, weights, tile: false });
const raw = (im: RGBImage) => ({ ...im, channels: 3 as const });

/** Mean gradient magnitude (luma, central differences) of out over that of ref: < 1 blurrier, > 1 sharper. */
function sharpness(ref: RGBImage, out: RGBImage): number {
  const g = (im: RGBImage) => {
    let s = 0;
    const L = (x: number, y: number) => {
      const i = (y * im.width + x) * 3;
      return 0.299 * im.data[i] + 0.587 * im.data[i + 1] + 0.114 * im.data[i + 2];
    };
    for (let y = 1; y < im.height - 1; y++)
      for (let x = 1; x < im.width - 1; x++) s += Math.hypot(L(x + 1, y) - L(x - 1, y), L(x, y + 1) - L(x, y - 1));
    return s;
  };
  return g(out) / g(ref);
}

type Scores = { psnr: number; ssim: number; dsFull: number; dsLite: number; sharpness: number };
async function evaluate(out: RGBImage, ref: RGBImage): Promise<Scores> {
  return {
    psnr: psnrRGB(ref, out),
    ssim: ssim(ref, out),
    dsFull: await metricFull.score(raw(ref), raw(out)),
    dsLite: await metricLite.score(raw(ref), raw(out)),
    sharpness: sharpness(ref, out),
  };
}

/** Write results.md/json (after every run, so an interrupted sweep keeps what it finished). */
function writeResults(): string[] {
  mkdirSync(args.out, { recursive: true });
  const names = [...new Set(rows.map((r) => r.name))];
  const fmt = (xs: number[], d: number) =>
    xs.length > 1
      ? `${mean(xs).toFixed(d)} (${Math.min(...xs).toFixed(d)}–${Math.max(...xs).toFixed(d)})`
      : mean(xs).toFixed(d);
  const summary = names.map((name) => {
    const rs = rows.filter((r) => r.name === name);
    // Per seed: mean over held-out images; then mean and range over seeds.
    const per = (k: keyof Scores) => rs.map((r) => mean(r.perImage.map((p) => p[k])));
    return {
      name,
      psnr: per('psnr'),
      ssim: per('ssim'),
      dsFull: per('dsFull'),
      dsLite: per('dsLite'),
      sharpness: per('sharpness'),
      seconds: rs.map((r) => r.seconds ?? 0),
    };
  });
  const table = [
    '| model (training targets) | PSNR dB | SSIM | DeepSSIM (full) | DeepSSIM-Lite | sharpness | train s |',
    '|---|---|---|---|---|---|---|',
    ...summary.map(
      (s) =>
        `| ${s.name} | ${fmt(s.psnr, 3)} | ${fmt(s.ssim, 4)} | ${fmt(s.dsFull, 4)} | ${fmt(s.dsLite, 4)} | ${fmt(s.sharpness, 3)} | ${s.name.startsWith('bilinear') ? '—' : mean(s.seconds).toFixed(0)} |`,
    ),
  ];
  const md = [
    '# ×2 SR trained against misaligned targets: L1 vs L1 + λ·DeepSSIM-Lite',
    '',
    `Command: \`npx tsx examples/train/misaligned.ts ${process.argv.slice(2).join(' ')}\``.replace(/ `$/, '`'),
    ...(args.combine
      ? [
          '',
          `Combined from ${args.combine
            .split(',')
            .map((d) => `\`${d}/results.md\``)
            .join(', ')} (each names the command that made it: one process per seed, run in parallel).`,
        ]
      : []),
    '',
    `Training: ${train.length} Kodak images (held out: ${heldNames.join(', ')}), ${steps} steps × batch ${batch} × ${crop}² crops (a ${crop / 16}×${crop / 16} MobileNet feature map), Adam lr ${args.lr}, tfjs backend ${args.backend}, target displaced by (dx, dy) ~ U[−${shift}, ${shift}]² px per sample (bilinear), input = degraded aligned crop. Seeds ${seeds.join(', ')}: each seed fixes the crops, offsets and initialisation, identical across the runs of that seed. Loss and DeepSSIM columns: ${args.backbone} (genuine ImageNet weights).`,
    '',
    'Held-out images against their aligned originals; mean over the 4 images, then mean (min–max) over seeds. Sharpness = mean luma gradient magnitude of the output / of the original (1 = as sharp as the original, < 1 blurrier).',
    '',
    ...table,
    '',
  ];
  writeFileSync(join(args.out, 'results.md'), md.join('\n'));
  writeFileSync(
    join(args.out, 'results.json'),
    JSON.stringify({ args, heldout: heldNames, rows: rows.map((r) => ({ ...r })) }, null, 1),
  );
  return table;
}

const inputs = held.map((im) => {
  const hr = toTensor(im);
  const x = degrade(hr);
  hr.dispose();
  return x;
});
const rows: { name: string; seed: number | null; lambda: number; seconds: number | null; perImage: Scores[] }[] = [];
if (args.combine) {
  const dirs = args.combine.split(',');
  dirs.forEach((d, k) => {
    const j = JSON.parse(readFileSync(join(d, 'results.json'), 'utf8')) as { rows: typeof rows };
    rows.push(...j.rows.filter((r) => k === 0 || r.seed !== null)); // the bilinear row once
  });
  seeds.splice(0, seeds.length, ...new Set(rows.flatMap((r) => (r.seed === null ? [] : [r.seed]))));
  console.log(writeResults().join('\n'));
  copyFileSync(join(dirs[0], 'samples.png'), join(args.out, 'samples.png'));
  process.exit(0);
}
rows.push({
  name: 'bilinear (input)',
  seed: null,
  lambda: 0,
  seconds: null,
  perImage: await Promise.all(held.map((im, i) => evaluate(toImage(inputs[i]), im))),
});
const samples = new Map<string, RGBImage[]>([['bilinear (input)', inputs.map((x) => toImage(x))]]);

for (const seed of seeds) {
  // The aligned-target L1 run is a reference point (what misalignment costs), made on the first seed only.
  const configs: [boolean, number][] = [
    ...(seed === seeds[0] && args.reference !== 'no' ? [[true, 0] as [boolean, number]] : []),
    [false, 0],
    ...lambdas.map((l): [boolean, number] => [false, l]),
  ];
  for (const [aligned, lambda] of configs) {
    const run = await trainRun(seed, aligned, lambda);
    const outs = inputs.map((x) => {
      const y = run.model.apply(x);
      const im = toImage(y);
      y.dispose();
      return im;
    });
    const perImage: Scores[] = [];
    for (let i = 0; i < held.length; i++) perImage.push(await evaluate(outs[i], held[i]));
    rows.push({ name: run.name, seed, lambda, seconds: run.seconds, perImage });
    if (seed === seeds[0]) samples.set(run.name, outs);
    log(
      `seed ${seed} ${run.name}: PSNR ${mean(perImage.map((p) => p.psnr)).toFixed(3)} dB, SSIM ${mean(perImage.map((p) => p.ssim)).toFixed(4)}, DeepSSIM ${mean(perImage.map((p) => p.dsFull)).toFixed(4)}, sharpness ${mean(perImage.map((p) => p.sharpness)).toFixed(3)} (${run.seconds.toFixed(0)} s)`,
    );
    run.model.dispose();
    writeResults();
  }
}
await loss.dispose();
await metricFull.dispose();
await metricLite.dispose();

// ---------------------------------------------------------------- outputs
const table = writeResults();

// Side by side: the central 128×128 patch of each held-out image, one column per model of the first seed.
const patch = 128;
const cols = [...samples.keys()];
const gap = 4;
const Wd = (cols.length + 1) * patch + cols.length * gap;
const Hd = held.length * patch + (held.length - 1) * gap;
const canvas = new Uint8Array(Wd * Hd * 3).fill(255);
held.forEach((im, row) => {
  const x0 = Math.max(0, Math.floor(im.width / 2 - patch / 2));
  const y0 = Math.max(0, Math.floor(im.height / 2 - patch / 2));
  [...cols.map((c) => samples.get(c)![row]), im].forEach((src, col) => {
    for (let y = 0; y < patch; y++) {
      for (let x = 0; x < patch; x++) {
        const s = ((y0 + y) * src.width + x0 + x) * 3;
        const d = ((row * (patch + gap) + y) * Wd + col * (patch + gap) + x) * 3;
        canvas.set(src.data.subarray(s, s + 3), d);
      }
    }
  });
});
await sharp(Buffer.from(canvas), { raw: { width: Wd, height: Hd, channels: 3 } })
  .png({ compressionLevel: 9 })
  .toFile(join(args.out, 'samples.png'));
console.log(`\n${table.join('\n')}\n\ncolumns of samples.png (seed ${seeds[0]}): ${[...cols, 'original'].join(' | ')}`);
log(`wrote ${join(args.out, 'results.md')}, results.json, samples.png`);
