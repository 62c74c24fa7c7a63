/**
 * Issue 6, acceptance 2 (committed script until the evaluation harness runs it): correlation with human scores on
 * the LIVE Release 2 JPEG subset (29 references, 175 JPEG images, realigned DMOS) for DeepSSIM on MobileNet v1
 * α = 0.75 (conv_pw_11 ReLU6; full and lite) next to PSNR, PSNR-Y and SSIM. Layer and statistic are fixed by
 * principle; whatever the numbers are, they are reported as measured.
 *
 * Signs: DMOS is lower-is-better, every metric here higher-is-better; SRCC/KRCC are reported so that positive =
 * agreement (i.e. −SRCC against DMOS), PLCC after the 5-parameter logistic (VQEG) fit; 95 % bootstrap intervals.
 *
 *   npx tsx bench/mobilenet-live.ts [--weights <model.json>] [--resamples 1000]
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createDeepSSIM, type PreparedImage } from '../src/index.js';
import { decodeImage } from '../src/index.js';
import type { RGBImage } from '../src/image/types.js';
import { correlationStats } from '../src/eval/statistics.js';
import { psnrRGB, psnrY } from '../src/metrics/psnr.js';
import { ssim } from '../src/metrics/ssim.js';
import { blockGramSimilarity, liteGramSimilarity } from '../src/statistic/gram-ssim.js';
import { ROOT, SHARED } from '../test/support/paths.js';

const { values } = parseArgs({ options: { weights: { type: 'string' }, resamples: { type: 'string' } } });
const weights =
  values.weights ??
  process.env.DEEPSSIM_MOBILENET_WEIGHTS ??
  join(SHARED, 'weights', 'mobilenet_v1_0.75_224', 'model.json');
const resamples = Number(values.resamples ?? 1000);
const LIVE = join(SHARED, 'datasets', 'live-jpeg');

const rows = (await readFile(join(LIVE, 'manifest.csv'), 'utf8'))
  .trim()
  .split('\n')
  .slice(1)
  .map((line) => {
    const [reference, distorted, score] = line.split(',');
    return { reference, distorted, dmos: Number(score) };
  });

const METRICS = ['deepssim-mobilenet-full', 'deepssim-mobilenet-lite', 'psnr', 'psnr-y', 'ssim'] as const;
type Metric = (typeof METRICS)[number];
const scores: Record<Metric, number[]> = Object.fromEntries(METRICS.map((m) => [m, []])) as unknown as Record<
  Metric,
  number[]
>;

const raw = (img: RGBImage) => ({ data: img.data, width: img.width, height: img.height, channels: 3 as const });
const metric = await createDeepSSIM({ backbone: 'mobilenet_v1_0.75', weights, tile: false });
const refs = new Map<string, { img: RGBImage; prepared: PreparedImage }>();
const t0 = performance.now();
for (const [i, r] of rows.entries()) {
  let ref = refs.get(r.reference);
  if (!ref) {
    const img = await decodeImage(join(LIVE, r.reference));
    ref = { img, prepared: await metric.prepare(raw(img)) };
    refs.set(r.reference, ref);
  }
  const img = await decodeImage(join(LIVE, r.distorted));
  const p = await metric.prepare(raw(img));
  scores['deepssim-mobilenet-full'].push(blockGramSimilarity(ref.prepared.gram, p.gram, 384));
  scores['deepssim-mobilenet-lite'].push(
    liteGramSimilarity(ref.prepared.gram, ref.prepared.cells, p.gram, p.cells, 384),
  );
  scores.psnr.push(psnrRGB(ref.img, img));
  scores['psnr-y'].push(psnrY(ref.img, img));
  scores.ssim.push(ssim(ref.img, img));
  process.stderr.write(`\r${i + 1}/${rows.length}`);
}
const seconds = (performance.now() - t0) / 1000;
process.stderr.write(`\r${seconds.toFixed(1)} s for ${rows.length} pairs\n`);
await metric.dispose();

const dmos = rows.map((r) => r.dmos);
const f = (v: number) => v.toFixed(4);
const ci = (iv?: [number, number]) => (iv ? ` [${f(iv[0])}, ${f(iv[1])}]` : '');
const header = ['metric', 'SRCC [95 % CI]', 'KRCC [95 % CI]', 'PLCC [95 % CI]', 'RMSE (DMOS units)', 'fit'];
const stats = METRICS.map((m) => ({
  m,
  s: correlationStats(scores[m], dmos, {
    metricHigherIsBetter: true,
    subjectiveHigherIsBetter: false,
    resamples,
    seed: 6,
  }),
}));
const table = [
  `| ${header.join(' | ')} |`,
  `|${header.map(() => '---').join('|')}|`,
  ...stats.map(
    ({ m, s }) =>
      `| ${m} | ${f(s.srcc)}${ci(s.ci?.srcc)} | ${f(s.krcc)}${ci(s.ci?.krcc)} | ${f(s.plcc)}${ci(s.ci?.plcc)} | ${s.rmse.toFixed(3)} | ${s.fit.kind} |`,
  ),
];
const md = [
  '# LIVE JPEG subset: DeepSSIM on MobileNet v1 α = 0.75 vs PSNR and SSIM (bench/mobilenet-live.ts)',
  '',
  `${rows.length} JPEG images, ${refs.size} references, realigned DMOS (lower = better); correlations signed so that positive = agreement with the observers.`,
  `Bootstrap: ${resamples} resamples of the ${rows.length} pairs, seed 6. DeepSSIM layer conv_pw_11 ReLU6 (fixed by principle, not tuned), Gram 384×384, 4×4 blocks (full) / normalised Gram (lite).`,
  'PSNR = RGB, peak 255; PSNR-Y = MATLAB rgb2ycbcr luma; SSIM = ssim.m semantics (gray, automatic downsampling).',
  '',
  ...table,
  '',
  `Time: ${seconds.toFixed(1)} s for all pairs (all metrics, one process). Command: \`npx tsx bench/mobilenet-live.ts\`.`,
  '',
].join('\n');
console.log(md);
await writeFile(join(ROOT, 'bench', 'results', 'mobilenet-live.md'), md);
await writeFile(
  join(ROOT, 'bench', 'results', 'mobilenet-live.json'),
  `${JSON.stringify({ pairs: rows.map((r, i) => ({ ...r, ...Object.fromEntries(METRICS.map((m) => [m, scores[m][i]])) })), stats: Object.fromEntries(stats.map(({ m, s }) => [m, { n: s.n, srcc: s.srcc, krcc: s.krcc, plcc: s.plcc, rmse: s.rmse, fit: s.fit.kind, ci: s.ci }])) }, null, 1)}\n`,
);
