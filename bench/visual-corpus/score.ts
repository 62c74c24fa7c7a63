/**
 * Score every pair of the visual-regression corpus (bench/visual-corpus/generate.ts) with pixelmatch (at
 * jest-image-snapshot's and at Playwright's defaults), odiff, ssim.js, and DeepSSIM global and local (MobileNet
 * v1 α = 0.75, genuine ImageNet weights):
 *
 *   npx tsx bench/visual-corpus/score.ts [corpusDir=bench/out/visual-corpus]   → <corpusDir>/scores.json
 *
 * Each comparator's value is a *difference* (higher = more different): pixelmatch and odiff the fraction of
 * differing pixels, ssim.js 1 − mssim, DeepSSIM 1 − score and 1 − minLocal. Pixel comparators cannot compare images
 * of different sizes: those pairs get +∞ (a failure at any threshold).
 *
 * odiff is not a devDependency: odiff-bin lists a prebuilt package per platform as optional dependencies, and a lock
 * file that must install on every platform cannot be written where only some of them are published (npm ci would
 * refuse it). Install it for a run: `npm install --no-save odiff-bin`; without it the odiff column is left out.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pixelmatch from 'pixelmatch';
import sharp from 'sharp';
import { ssim } from 'ssim.js';
import { createDeepSSIM } from '../../src/index.js';
import type { CorpusPair } from './generate.js';

const WEIGHTS = resolve(
  import.meta.dirname,
  '..',
  '..',
  '..',
  'shared',
  'weights',
  'mobilenet_v1_0.75_224',
  'model.json',
);

export interface ScoredPair extends CorpusPair {
  sameSize: boolean;
  values: Record<string, number>;
  deepssim: { score: number; minLocal: number; minLocation: { x: number; y: number; width: number; height: number } };
}

async function rgba(path: string): Promise<{ data: Uint8Array; width: number; height: number }> {
  const { data, info } = await sharp(path).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height };
}

async function main(): Promise<void> {
  const dir = process.argv[2] ?? join('bench', 'out', 'visual-corpus');
  const { pairs } = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as { pairs: CorpusPair[] };
  const metric = await createDeepSSIM({ backbone: 'mobilenet_v1_0.75', weights: WEIGHTS });
  const out: ScoredPair[] = [];
  // Optional comparator (see the header): loaded only if installed.
  type OdiffCompare = (
    a: string,
    b: string,
    diff: string,
    o: object,
  ) => Promise<{ match: boolean; reason?: string; diffPercentage?: number }>;
  const odiffModule = 'odiff-bin';
  const odiff = await import(odiffModule).then((m: { compare: OdiffCompare }) => m.compare).catch(() => undefined);
  if (!odiff)
    process.stderr.write(
      'odiff-bin is not installed (npm install --no-save odiff-bin): the odiff column is left out\n',
    );
  try {
    for (const [i, p] of pairs.entries()) {
      const refPath = join(dir, p.reference);
      const testPath = join(dir, p.test);
      const [a, b] = await Promise.all([rgba(refPath), rgba(testPath)]);
      const sameSize = a.width === b.width && a.height === b.height;
      const n = a.width * a.height;
      const values: Record<string, number> = {};
      if (sameSize) {
        values['pixelmatch (jest-image-snapshot defaults)'] =
          pixelmatch(a.data, b.data, undefined, a.width, a.height, { threshold: 0.01 }) / n;
        values['pixelmatch (Playwright defaults)'] =
          pixelmatch(a.data, b.data, undefined, a.width, a.height, { threshold: 0.2 }) / n;
        if (odiff) {
          const o = await odiff(refPath, testPath, join(tmpdir(), `odiff-${process.pid}.png`), {
            threshold: 0.1,
            antialiasing: false,
          });
          values.odiff = o.match ? 0 : o.reason === 'pixel-diff' ? (o.diffPercentage ?? 100) / 100 : Infinity;
        }
        values['ssim.js'] =
          1 -
          ssim(
            { ...a, data: new Uint8ClampedArray(a.data.buffer, a.data.byteOffset, a.data.length) },
            { ...b, data: new Uint8ClampedArray(b.data.buffer, b.data.byteOffset, b.data.length) },
          ).mssim;
      } else {
        for (const k of [
          'pixelmatch (jest-image-snapshot defaults)',
          'pixelmatch (Playwright defaults)',
          ...(odiff ? ['odiff'] : []),
          'ssim.js',
        ])
          values[k] = Infinity;
      }
      const m = await metric.map(refPath, testPath);
      values['deepssim global'] = 1 - m.score;
      values['deepssim local'] = 1 - m.minLocal;
      out.push({
        ...p,
        sameSize,
        values,
        deepssim: { score: m.score, minLocal: m.minLocal, minLocation: m.minLocation },
      });
      process.stderr.write(
        `${i + 1}/${pairs.length} ${p.test} score ${m.score.toFixed(4)} minLocal ${m.minLocal.toFixed(4)}\n`,
      );
    }
  } finally {
    await metric.dispose();
  }
  // JSON has no Infinity: store it as null.
  await writeFile(
    join(dir, 'scores.json'),
    JSON.stringify(out, (_, v) => (v === Infinity ? null : v), 1),
  );
}

await main();
