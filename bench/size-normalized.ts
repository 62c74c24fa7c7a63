/**
 * Issue 15.2: what the size-normalised full variant (Gram ÷ h·w before the 4×4 block statistic; an extension, not the
 * paper's metric) does to the full variant's scale weakness, with genuine ImageNet weights (MobileNet v1 α = 0.75).
 *
 * Reads the robustness suite's scores on the 24 Kodak images (bench/results/robustness-kodak-mobilenet-normalized,
 * made by `deepssim robustness … --metrics deepssim,deepssim-lite,deepssim-full-normalized,psnr,ssim`) and adds the
 * yardstick a rescaled copy must beat: the scores of *different* images (all 276 pairs of distinct Kodak images, each
 * image through the network once). For each variant and each real size change it reports the mean score of the
 * rescaled copy and on how many images the copy scores above every different image (it should, always).
 *
 *   npx tsx bench/size-normalized.ts [--weights <model.json>]
 */
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createDeepSSIM, type PreparedImage, type Variant } from '../src/index.js';
import { ROOT, SHARED } from '../test/support/paths.js';
import { printTable } from './support.js';

const { values } = parseArgs({ options: { weights: { type: 'string' } } });
const weights = values.weights ?? join(SHARED, 'weights', 'mobilenet_v1_0.75_224', 'model.json');
const resultsDir = join(ROOT, 'bench', 'results', 'robustness-kodak-mobilenet-normalized');
const KODAK = join(SHARED, 'images', 'kodak');

const VARIANTS: Array<{ variant: Variant; metric: string }> = [
  { variant: 'full', metric: 'deepssim' },
  { variant: 'full-normalized', metric: 'deepssim-full-normalized' },
  { variant: 'lite', metric: 'deepssim-lite' },
];
const SIZES = [0.5, 0.75, 1.5, 2];

interface Score {
  image: string;
  metric: string;
  transform: string;
  magnitude: number;
  score: number | null;
}

const suite = JSON.parse(await readFile(join(resultsDir, 'robustness.json'), 'utf8')) as { scores: Score[] };
const files = (await readdir(KODAK)).filter((f) => f.endsWith('.png')).sort();
const metric = await createDeepSSIM({ backbone: 'mobilenet_v1_0.75', weights });
const prepared: PreparedImage[] = [];
try {
  for (const f of files) prepared.push(await metric.prepare(join(KODAK, f)));
} finally {
  await metric.dispose();
}

const f4 = (v: number) => v.toFixed(4);
const rows: string[][] = [];
const json: Record<string, unknown> = { images: files.length, variants: {} };
for (const { variant, metric: name } of VARIANTS) {
  // Different images: every unordered pair, both directions (the statistic is symmetric up to rounding).
  const cross: number[] = [];
  const maxOther = new Map<string, number>();
  for (let i = 0; i < files.length; i++) {
    for (let j = 0; j < files.length; j++) {
      if (i === j) continue;
      const s = metric.compare(prepared[i], prepared[j], variant);
      if (i < j) cross.push(s);
      maxOther.set(files[i], Math.max(maxOther.get(files[i]) ?? -Infinity, s));
    }
  }
  cross.sort((a, b) => a - b);
  const mean = cross.reduce((a, b) => a + b, 0) / cross.length;
  const entry: Record<string, unknown> = {
    crossMean: mean,
    crossMax: cross[cross.length - 1],
    crossMin: cross[0],
    sizes: {},
  };
  const row = [name, `${f4(mean)} (max ${f4(cross[cross.length - 1])})`];
  for (const m of SIZES) {
    const s = suite.scores.filter(
      (r) => r.metric === name && r.transform === 'resize' && r.magnitude === m && r.score !== null,
    );
    const copyMean = s.reduce((a, r) => a + r.score!, 0) / s.length;
    const beats = s.filter((r) => r.score! > maxOther.get(r.image)!).length;
    (entry.sizes as Record<string, unknown>)[String(m)] = { mean: copyMean, beatsEveryOtherImage: beats, n: s.length };
    row.push(`${f4(copyMean)} (${beats}/${s.length})`);
  }
  (json.variants as Record<string, unknown>)[name] = entry;
  rows.push(row);
}

const header = ['metric', 'different images: mean (max)', ...SIZES.map((m) => `copy ×${m}: mean (beats all others)`)];
printTable(header, rows);
const md = [
  '# Size-normalised full variant vs the scale weakness (MobileNet v1 0.75, genuine ImageNet weights, 24 Kodak images)',
  '',
  'A rescaled copy of an image (antialiased bicubic, the copy keeps its new size; scores from the robustness suite) against',
  'the scores of different images (all 276 pairs of distinct Kodak images). "beats all others": on how many of the 24',
  'images the rescaled copy scores above every one of the 23 other images compared with the same reference.',
  '',
  `| ${header.join(' | ')} |`,
  `|${header.map(() => '---').join('|')}|`,
  ...rows.map((r) => `| ${r.join(' | ')} |`),
  '',
  'Reproduce: `npx tsx bench/size-normalized.ts` after the robustness run in bench/results/robustness-kodak-mobilenet-normalized/.',
  '',
].join('\n');
await writeFile(join(resultsDir, 'size-normalized.md'), md);
await writeFile(join(resultsDir, 'size-normalized.json'), JSON.stringify(json, null, 1) + '\n');
console.log(`wrote ${join(resultsDir, 'size-normalized.md')}`);
