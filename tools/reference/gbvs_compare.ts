/**
 * Compare this project's GBVS maps with maps from another GBVS implementation.
 *
 *   node --import tsx tools/reference/gbvs_compare.ts --ref <dir> [--images ../shared/images/kodak]
 *        [--out bench/results/gbvs_compare] [--label "reference"]
 *
 * <dir> holds one reference map per image, named after the image's stem, either
 *   <stem>.f64  raw little-endian float64, row-major, image height × width (full-resolution map), or
 *   <stem>.png  8-bit grayscale map of the image size (no resizing is done).
 * For each image: Pearson correlation (PLCC), Spearman rank correlation (SRCC, average ranks for ties),
 * maximum absolute difference, and the agreement of the default 8-bit masks (fraction of pixels equal).
 * Writes <out>.csv and <out>.md. Nothing here runs or builds the other implementation.
 */
import { existsSync, readFileSync, readdirSync, writeFileSync, mkdirSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { pearson, srcc } from '../../src/eval/statistics.js';
import { gbvs, saliencyToMask } from '../../src/saliency/gbvs.js';
import type { SaliencyMap } from '../../src/saliency/types.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

function arg(name: string, fallback?: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

async function loadReference(dir: string, stem: string, w: number, h: number): Promise<Float64Array> {
  const f64 = join(dir, `${stem}.f64`);
  if (existsSync(f64)) {
    const buf = readFileSync(f64);
    if (buf.length !== w * h * 8) throw new Error(`${f64}: expected ${w * h * 8} bytes, got ${buf.length}`);
    return new Float64Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.length));
  }
  const png = join(dir, `${stem}.png`);
  const { data, info } = await sharp(png).greyscale().raw().toBuffer({ resolveWithObject: true });
  if (info.width !== w || info.height !== h)
    throw new Error(`${png}: size ${info.width}x${info.height}, image ${w}x${h}`);
  return Float64Array.from(data, (v) => v / 255);
}

async function main(): Promise<void> {
  const refDir = arg('ref');
  if (!refDir) {
    console.error('usage: gbvs_compare.ts --ref <dir> [--images <dir>] [--out <path-prefix>] [--label <text>]');
    process.exit(2);
  }
  const imgDir = resolve(arg('images', join(repoRoot, '..', 'shared', 'images', 'kodak'))!);
  const out = resolve(arg('out', join(repoRoot, 'bench', 'results', 'gbvs_compare'))!);
  const label = arg('label', basename(resolve(refDir)))!;
  const files = readdirSync(imgDir)
    .filter((f) => /\.(png|jpe?g|bmp|tiff?)$/i.test(f))
    .sort();
  const rows: string[] = [
    'image,width,height,plcc,one_minus_plcc,srcc,one_minus_srcc,max_abs_diff,mask_agreement,mask_ones_ours,mask_ones_ref',
  ];
  const md: string[] = [
    `# GBVS: this implementation vs ${label}`,
    '',
    '| image | size | PLCC | 1 − PLCC | SRCC | 1 − SRCC | max abs diff | 8-bit mask agreement |',
    '|---|---|---|---|---|---|---|---|',
  ];
  let sumP = 0;
  let sumS = 0;
  let n = 0;
  for (const f of files) {
    const stem = basename(f, extname(f));
    const { data, info } = await sharp(join(imgDir, f)).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    const ours = gbvs({ data: new Uint8Array(data), width: info.width, height: info.height });
    const ref = await loadReference(refDir, stem, info.width, info.height);
    const p = pearson(ours.data, ref);
    const s = srcc(ours.data, ref);
    let maxd = 0;
    for (let i = 0; i < ref.length; i++) maxd = Math.max(maxd, Math.abs(ours.data[i] - ref[i]));
    const refMap: SaliencyMap = { data: Float32Array.from(ref), width: info.width, height: info.height };
    const m1 = saliencyToMask(ours);
    const m2 = saliencyToMask(refMap);
    let agree = 0;
    let ones1 = 0;
    let ones2 = 0;
    for (let i = 0; i < m1.length; i++) {
      if (m1[i] === m2[i]) agree++;
      ones1 += m1[i];
      ones2 += m2[i];
    }
    const L = m1.length;
    rows.push(
      [
        stem,
        info.width,
        info.height,
        p.toFixed(10),
        (1 - p).toExponential(3),
        s.toFixed(10),
        (1 - s).toExponential(3),
        maxd.toExponential(3),
        (agree / L).toFixed(6),
        (ones1 / L).toFixed(6),
        (ones2 / L).toFixed(6),
      ].join(','),
    );
    md.push(
      `| ${stem} | ${info.width}×${info.height} | ${p.toFixed(6)} | ${(1 - p).toExponential(2)} | ${s.toFixed(6)} | ${(1 - s).toExponential(2)} | ${maxd.toExponential(2)} | ${(agree / L).toFixed(5)} |`,
    );
    console.log(`${stem}: PLCC ${p.toFixed(6)} SRCC ${s.toFixed(6)} max|d| ${maxd.toExponential(2)}`);
    sumP += p;
    sumS += s;
    n++;
  }
  md.push(
    `| **mean** (${n}) | | **${(sumP / n).toFixed(6)}** | ${(1 - sumP / n).toExponential(2)} | **${(sumS / n).toFixed(6)}** | ${(1 - sumS / n).toExponential(2)} | | |`,
  );
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(`${out}.csv`, rows.join('\n') + '\n');
  writeFileSync(`${out}.md`, md.join('\n') + '\n');
  console.log(
    `mean PLCC ${(sumP / n).toFixed(6)} mean SRCC ${(sumS / n).toFixed(6)} over ${n} images -> ${out}.{csv,md}`,
  );
}

await main();
