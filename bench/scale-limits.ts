/**
 * Two limits a user must know before choosing a variant or a threshold, measured with genuine ImageNet features
 * (MobileNet v1 α = 0.75 from ../shared; VGG16 ImageNet weights are not available here):
 *
 * 1. Rescaling. An image against itself resized by 0.5×, 0.75×, 1.5×, 2× (the robustness suite's antialiased bicubic,
 *    src/eval/transforms `scale`), full and lite variant, on kodim23 and as mean/min over the 24 Kodak images,
 *    next to the score of *different* images (kodim23 against each other Kodak image); also the full-normalized
 *    extension (Gram ÷ h·w before the block statistic; not in the paper). The published full variant
 *    compares unnormalised Gram matrices, whose magnitude grows with the number of feature cells, so a size change
 *    alone moves it; the lite variant normalises the Gram.
 * 2. Local content. A synthetic 800×600 UI-like screenshot drawn here (bars, text-like strokes, a price in
 *    seven-segment digits, a button) against small local edits — one price digit changed, the button recoloured,
 *    the button removed, one text line removed — and against benign global changes (1-px shift, JPEG q = 75).
 *    PSNR and SSIM are listed for contrast.
 *
 *   npx tsx bench/scale-limits.ts [--weights <model.json>] [--out bench/results/scale-limits] [--dump <dir>]
 * Writes <out>.md and <out>.json; --dump also writes the synthetic screenshots as PNG files.
 */
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createDeepSSIM, type PreparedImage } from '../src/index.js';
import { decodeImage } from '../src/index.js';
import type { RGBImage } from '../src/image/types.js';
import { createRng, jpeg, scale, shiftCrop } from '../src/eval/transforms.js';
import { psnrRGB } from '../src/metrics/psnr.js';
import { ssim } from '../src/metrics/ssim.js';
import { ROOT, SHARED } from '../test/support/paths.js';
import { printTable } from './support.js';

const { values } = parseArgs({
  options: { weights: { type: 'string' }, out: { type: 'string' }, dump: { type: 'string' } },
});
const weights =
  values.weights ??
  process.env.DEEPSSIM_MOBILENET_WEIGHTS ??
  join(SHARED, 'weights', 'mobilenet_v1_0.75_224', 'model.json');
const outBase = values.out ?? join(ROOT, 'bench', 'results', 'scale-limits');
const KODAK = join(SHARED, 'images', 'kodak');
const FACTORS = [0.5, 0.75, 1.5, 2] as const;

const raw = (img: RGBImage) => ({ data: img.data, width: img.width, height: img.height, channels: 3 as const });
const metric = await createDeepSSIM({ backbone: 'mobilenet_v1_0.75', weights, tile: false });
const both = (a: PreparedImage, b: PreparedImage) => ({
  full: metric.compare(a, b, 'full'),
  lite: metric.compare(a, b, 'lite'),
  normalized: metric.compare(a, b, 'full-normalized'),
});
const f3 = (v: number) => v.toFixed(3);
const f6 = (v: number) => v.toFixed(6);

// ------------------------------------------------------------------------------------------------ 1. rescaling
const files = (await readdir(KODAK)).filter((f) => /^kodim\d+\.png$/.test(f)).sort();
if (files.length !== 24) throw new Error(`expected 24 Kodak images in ${KODAK}, found ${files.length}`);
const originals = new Map<string, PreparedImage>();
type Pair = { full: number; lite: number; normalized: number };
const rescaled: Record<string, Record<string, Pair>> = {};
const t0 = performance.now();
for (const f of files) {
  const name = f.replace('.png', '');
  const img = await decodeImage(join(KODAK, f));
  const original = await metric.prepare(raw(img));
  originals.set(name, original);
  rescaled[name] = {};
  for (const s of name === 'kodim23' ? FACTORS : ([0.5, 2] as const)) {
    rescaled[name][String(s)] = both(original, await metric.prepare(raw(scale(img, s))));
  }
  process.stderr.write(`\rrescaling: ${originals.size}/24`);
}
process.stderr.write(`\rrescaling: ${((performance.now() - t0) / 1000).toFixed(0)} s\n`);
const k23 = originals.get('kodim23')!;
const others = [...originals].filter(([n]) => n !== 'kodim23').map(([n, p]) => ({ image: n, ...both(k23, p) }));
const stats = (xs: number[]) => ({
  mean: xs.reduce((a, b) => a + b, 0) / xs.length,
  min: Math.min(...xs),
  max: Math.max(...xs),
});
const over24 = Object.fromEntries(
  (['0.5', '2'] as const).map((s) => {
    const of = (k: keyof Pair) => stats(files.map((f) => rescaled[f.replace('.png', '')][s][k]));
    return [s, { full: of('full'), lite: of('lite'), normalized: of('normalized') }];
  }),
);
const different = {
  full: stats(others.map((o) => o.full)),
  lite: stats(others.map((o) => o.lite)),
  normalized: stats(others.map((o) => o.normalized)),
};
const k01 = others.find((o) => o.image === 'kodim01')!;

// ------------------------------------------------------------------------------------------------ 2. local content
const W = 800;
const H = 600;
type Rgb = [number, number, number];
function canvas(): RGBImage {
  return { data: new Uint8Array(W * H * 3), width: W, height: H };
}
function rect(img: RGBImage, x: number, y: number, w: number, h: number, c: Rgb): void {
  for (let j = Math.max(0, y); j < Math.min(H, y + h); j++) {
    for (let i = Math.max(0, x); i < Math.min(W, x + w); i++) img.data.set(c, 3 * (j * W + i));
  }
}
/** A line of "text": dark strokes of word-like widths (deterministic), `h` px high. */
function textLine(img: RGBImage, x: number, y: number, width: number, h: number, c: Rgb, seed: number): void {
  const rng = createRng(seed);
  let cx = x;
  while (cx < x + width) {
    const word = 3 + Math.floor(rng.uniform() * 8);
    for (let k = 0; k < word && cx < x + width; k++) {
      const gw = Math.max(2, Math.round(h * (0.35 + 0.3 * rng.uniform())));
      rect(
        img,
        cx,
        y + (rng.uniform() < 0.3 ? 0 : Math.round(h * 0.25)),
        gw,
        h - (rng.uniform() < 0.3 ? 0 : Math.round(h * 0.25)),
        c,
      );
      cx += gw + 2;
    }
    cx += Math.round(h * 0.6);
  }
}
// Seven-segment glyphs: segments a b c d e f g.
const SEGMENTS: Record<string, string> = {
  '0': 'abcdef',
  '1': 'bc',
  '2': 'abdeg',
  '3': 'abcdg',
  '4': 'bcfg',
  '5': 'acdfg',
  '6': 'acdefg',
  '7': 'abc',
  '8': 'abcdefg',
  '9': 'abcdfg',
};
function glyph(img: RGBImage, ch: string, x: number, y: number, s: number, c: Rgb): number {
  const t = Math.max(2, Math.round(s / 6));
  const w = Math.round(s * 0.55);
  if (ch === '.' || ch === ',') {
    rect(img, x, y + s - t, t, ch === ',' ? t + 4 : t, c);
    return x + t + 6;
  }
  const on = ch === '$' ? 'afgcd' : SEGMENTS[ch];
  const half = Math.round(s / 2);
  const seg: Record<string, [number, number, number, number]> = {
    a: [x, y, w, t],
    b: [x + w - t, y, t, half],
    c: [x + w - t, y + half, t, s - half],
    d: [x, y + s - t, w, t],
    e: [x, y + half, t, s - half],
    f: [x, y, t, half],
    g: [x, y + half - Math.floor(t / 2), w, t],
  };
  for (const k of on) rect(img, ...seg[k], c);
  if (ch === '$') rect(img, x + Math.floor(w / 2) - 1, y - 4, t, s + 8, c);
  return x + w + 8;
}
type Ui = { price: string; button: 'blue' | 'red' | 'none'; dropLine: boolean };
function drawUi(o: Ui): RGBImage {
  const img = canvas();
  rect(img, 0, 0, W, H, [245, 246, 248]);
  rect(img, 0, 0, W, 56, [31, 41, 55]); // top bar
  rect(img, 16, 14, 28, 28, [96, 165, 250]); // logo
  for (let i = 0; i < 4; i++) textLine(img, 300 + i * 110, 22, 80, 12, [209, 213, 219], 10 + i);
  rect(img, 0, 56, 180, H - 56, [229, 231, 235]); // sidebar
  for (let i = 0; i < 9; i++) textLine(img, 20, 84 + i * 36, 120, 11, [75, 85, 99], 20 + i);
  // cards
  const card = (x: number, y: number, w: number, h: number) => {
    rect(img, x - 1, y - 1, w + 2, h + 2, [209, 213, 219]);
    rect(img, x, y, w, h, [255, 255, 255]);
  };
  card(204, 80, 572, 150);
  textLine(img, 224, 100, 260, 18, [17, 24, 39], 40); // title
  for (let i = 0; i < 5; i++)
    if (!(o.dropLine && i === 2)) textLine(img, 224, 136 + i * 18, 520 - (i % 3) * 60, 10, [107, 114, 128], 50 + i);
  card(204, 250, 278, 200);
  textLine(img, 224, 270, 140, 14, [17, 24, 39], 60);
  let x = 224;
  for (const ch of o.price) x = glyph(img, ch, x, 310, 44, [17, 24, 39]);
  for (let i = 0; i < 3; i++) textLine(img, 224, 380 + i * 18, 230, 10, [107, 114, 128], 70 + i);
  card(498, 250, 278, 200);
  for (let i = 0; i < 6; i++) textLine(img, 518, 270 + i * 20, 238 - (i % 2) * 50, 10, [107, 114, 128], 80 + i);
  if (o.button !== 'none') {
    rect(img, 518, 392, 160, 44, o.button === 'blue' ? [37, 99, 235] : [220, 38, 38]);
    textLine(img, 548, 408, 100, 12, [255, 255, 255], 90);
  }
  card(204, 470, 572, 110);
  for (let i = 0; i < 4; i++) textLine(img, 224, 490 + i * 20, 530 - (i % 2) * 90, 10, [107, 114, 128], 100 + i);
  return img;
}
const base: Ui = { price: '$1,234.56', button: 'blue', dropLine: false };
const ui = drawUi(base);
const edits: [string, RGBImage | { reference: RGBImage; test: RGBImage }][] = [
  ['price digit changed ($1,234.56 → $9,234.56)', drawUi({ ...base, price: '$9,234.56' })],
  ['button recoloured (blue → red)', drawUi({ ...base, button: 'red' })],
  ['button removed', drawUi({ ...base, button: 'none' })],
  ['one text line removed', drawUi({ ...base, dropLine: true })],
  ['1-px horizontal shift (benign)', shiftCrop(ui, 1)],
  ['JPEG quality 75 (benign)', await jpeg(ui, 75)],
];
if (values.dump) {
  const { default: sharp } = await import('sharp');
  const png = (img: RGBImage, name: string) =>
    sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } })
      .png()
      .toFile(join(values.dump!, name));
  await png(ui, 'ui.png');
  for (const [i, [, t]] of edits.entries()) if (!('reference' in t)) await png(t, `ui-edit-${i + 1}.png`);
}
const uiPrepared = await metric.prepare(raw(ui));
const local: ({ change: string; changedPixels: number; psnr: number; ssim: number } & Pair)[] = [];
for (const [change, t] of edits) {
  const { reference, test } = 'reference' in t ? t : { reference: ui, test: t };
  const r = reference === ui ? uiPrepared : await metric.prepare(raw(reference));
  const s = both(r, await metric.prepare(raw(test)));
  let changed = 0;
  for (let p = 0; p < reference.width * reference.height; p++) {
    if (
      reference.data[3 * p] !== test.data[3 * p] ||
      reference.data[3 * p + 1] !== test.data[3 * p + 1] ||
      reference.data[3 * p + 2] !== test.data[3 * p + 2]
    )
      changed++;
  }
  local.push({
    change,
    changedPixels: changed / (reference.width * reference.height),
    ...s,
    psnr: psnrRGB(reference, test),
    ssim: ssim(reference, test),
  });
}
await metric.dispose();

// ------------------------------------------------------------------------------------------------ report
const md: string[] = [];
const table = (header: string[], rows: string[][]) => {
  printTable(header, rows);
  console.log();
  md.push(
    `| ${header.join(' | ')} |`,
    `|${header.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
    '',
  );
};
md.push(
  '# Limits: rescaling and local content (MobileNet v1 0.75, genuine ImageNet weights)',
  '',
  'Generated by `npx tsx bench/scale-limits.ts` (see its header for the method). Scores are DeepSSIM with the MobileNet',
  'backbone (`--backbone mobilenet_v1_0.75`); 1 = identical.',
  '',
  '## Rescaling: an image against itself resized (antialiased bicubic)',
  '',
);
table(
  ['test image', 'full', 'lite', 'full-normalized'],
  [
    ...FACTORS.map((s) => {
      const r = rescaled.kodim23[String(s)];
      return [`kodim23 resized ${s}×`, f3(r.full), f3(r.lite), f3(r.normalized)];
    }),
    ['kodim01 (a different image)', f3(k01.full), f3(k01.lite), f3(k01.normalized)],
  ],
);
const range = (x: { min: number; max: number }) => `${f3(x.min)}–${f3(x.max)}`;
table(
  [
    '24 Kodak images',
    'full mean',
    'full range',
    'lite mean',
    'lite range',
    'full-normalized mean',
    'full-normalized range',
  ],
  [
    ...(['0.5', '2'] as const).map((s) => {
      const o = over24[s];
      return [
        `each against itself resized ${s}×`,
        f3(o.full.mean),
        range(o.full),
        f3(o.lite.mean),
        range(o.lite),
        f3(o.normalized.mean),
        range(o.normalized),
      ];
    }),
    [
      'kodim23 against each of the 23 others',
      f3(different.full.mean),
      range(different.full),
      f3(different.lite.mean),
      range(different.lite),
      f3(different.normalized.mean),
      range(different.normalized),
    ],
  ],
);
md.push('## Local content: an 800×600 UI-like screenshot against small edits', '');
table(
  ['change', 'pixels changed', 'full', 'lite', 'full-normalized', 'PSNR dB', 'SSIM'],
  local.map((l) => [
    l.change,
    `${(100 * l.changedPixels).toFixed(2)} %`,
    f6(l.full),
    f6(l.lite),
    f6(l.normalized),
    l.psnr.toFixed(2),
    l.ssim.toFixed(4),
  ]),
);
await writeFile(`${outBase}.md`, md.join('\n'));
await writeFile(
  `${outBase}.json`,
  `${JSON.stringify({ weights: 'mobilenet_v1_0.75_224 (genuine ImageNet)', rescaling: { kodim23: rescaled.kodim23, kodim01: k01, over24, different }, local }, null, 1)}\n`,
);
console.log(`wrote ${outBase}.md, ${outBase}.json`);
