/**
 * GBVS timing: median over several runs for a 768×512 image (Kodak kodim01 from ../shared/images/kodak when
 * present, else a synthetic image), plus a stage breakdown.
 *
 *   node --import tsx bench/gbvs.ts [--runs 9] [--image path.png]
 *
 * Writes bench/results/gbvs.md (the figures docs/gbvs.md quotes).
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import type { RGBImage } from '../src/image/types.js';
import { featureMaps } from '../src/saliency/features.js';
import { gbvs, gbvsDetailed } from '../src/saliency/gbvs.js';
import { activationChain, ChainWorkspace } from '../src/saliency/markov.js';
import { resolveGbvsParams } from '../src/saliency/params.js';
import { median } from './support.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function loadImage(): Promise<{ img: RGBImage; source: string }> {
  const path = arg('image') ?? join(repoRoot, '..', 'shared', 'images', 'kodak', 'kodim01.png');
  if (existsSync(path)) {
    const { data, info } = await sharp(path).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    return { img: { data: new Uint8Array(data), width: info.width, height: info.height }, source: path };
  }
  const w = 768;
  const h = 512;
  const data = new Uint8Array(w * h * 3);
  let s = 12345;
  for (let i = 0; i < data.length; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    const y = Math.floor(i / 3 / w);
    const x = (i / 3) % w;
    data[i] = (Math.floor(x / 16 + y / 24) * 37 + (s >>> 24) / 8) & 255;
  }
  return { img: { data, width: w, height: h }, source: 'synthetic 768x512 (Kodak not found)' };
}

const runs = Number(arg('runs') ?? 9);
const { img, source } = await loadImage();
console.log(`image: ${source} (${img.width}x${img.height}), runs: ${runs} (+1 warm-up)`);

gbvs(img); // warm-up: JIT, FFT plans, distance-weight cache
const total: number[] = [];
const feats: number[] = [];
const chains: number[] = [];
let iterations = 0;
const p = resolveGbvsParams();
for (let r = 0; r < runs; r++) {
  let t = performance.now();
  const res = gbvsDetailed(img);
  total.push(performance.now() - t);
  iterations = res.iterations.reduce((a, b) => a + b, 0);
  const lh = res.master.height;
  const lw = res.master.width;
  t = performance.now();
  const f = featureMaps(img, p, lh, lw);
  feats.push(performance.now() - t);
  t = performance.now();
  const ws = new ChainWorkspace();
  for (const ch of f.channels) for (const m of ch.maps) activationChain(m, p.sigma_frac_act, p.cyclic_type, p.tol, ws);
  chains.push(performance.now() - t);
}

const rows: [string, number][] = [
  ['gbvs() total', median(total)],
  ['  feature maps (pyramid, DKL, Gabor FFT, resize)', median(feats)],
  ['  activation chains (24 × dense 672-node Markov chain)', median(chains)],
];
const width = Math.max(...rows.map(([k]) => k.length));
console.log(`${'stage'.padEnd(width)}  median ms`);
console.log(`${'-'.repeat(width)}  ---------`);
for (const [k, v] of rows) console.log(`${k.padEnd(width)}  ${v.toFixed(1).padStart(9)}`);
console.log(
  `power iterations per image: ${iterations}; min/max total ms: ${Math.min(...total).toFixed(1)} / ${Math.max(...total).toFixed(1)}`,
);
console.log(`target < 300 ms: ${median(total) < 300 ? 'met' : 'NOT met'}`);

const name = source.startsWith('synthetic') ? source : source.replace(/^.*\//, '');
const md = [
  '# GBVS timing (bench/gbvs.ts)',
  '',
  `Machine: ${cpus()[0]?.model ?? 'unknown CPU'}, ${availableParallelism()} cores; Node ${process.version}; image ${name} (${img.width}×${img.height}); median of ${runs} runs after one warm-up; load average (1 min) at the end ${loadavg()[0].toFixed(1)}.`,
  '',
  '| stage | median ms |',
  '|---|---:|',
  ...rows.map(([k, v]) => `| ${k.trim()} | ${v.toFixed(1)} |`),
  '',
  `Power iterations per image: ${iterations}; total ms min ${Math.min(...total).toFixed(1)}, max ${Math.max(...total).toFixed(1)}.`,
  '',
  'Command: `node --import tsx bench/gbvs.ts`',
  '',
].join('\n');
mkdirSync(join(repoRoot, 'bench', 'results'), { recursive: true });
writeFileSync(join(repoRoot, 'bench', 'results', 'gbvs.md'), md);
console.log('wrote bench/results/gbvs.md');
