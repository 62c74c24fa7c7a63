/**
 * Visual-regression corpus, rendered by Debian's Chromium driven by playwright-core (the corpus is not committed):
 *
 *   npx tsx bench/visual-corpus/generate.ts [outDir=bench/out/visual-corpus] [--seeds 3]
 *
 * Pages: 6 templates (bench/visual-corpus/pages.ts) × seeds; seed 0 is the **tuning** split (defaults are chosen
 * on it), seeds ≥ 1 are **held out** (reported). Per page: a baseline (DSF 1, 640×480 viewport) and
 * - benign: sub-pixel offset, font hinting/antialiasing flags (--font-render-hinting=none --disable-lcd-text
 *   --disable-font-subpixel-positioning), device scale factor 1.25 and 2 (a different size), a 2/1 px layout nudge,
 *   nearest-neighbour image resampling;
 * - regressions: a block removed, the primary button's colour changed, a block moved by 32/24 px, the title's text
 *   changed, the header icon swapped, a paragraph's font size +3 px.
 * Writes <outDir>/<page>/<variant>.png and <outDir>/manifest.json.
 */
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import sharp from 'sharp';
import { pageHtml, TEMPLATES, type Mod, type Template } from './pages.js';

const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
const HINTING_FLAGS = ['--font-render-hinting=none', '--disable-lcd-text', '--disable-font-subpixel-positioning'];
const KODAK = join(import.meta.dirname, '..', '..', '..', 'shared', 'images', 'kodak');

export interface CorpusPair {
  page: string;
  split: 'tuning' | 'heldout';
  kind: 'benign' | 'regression';
  variant: string;
  reference: string;
  test: string;
}

interface Variant {
  name: string;
  kind: 'benign' | 'regression' | 'baseline';
  mods: Mod[];
  dsf?: number;
  hinting?: boolean;
}

export const VARIANTS: Variant[] = [
  { name: 'baseline', kind: 'baseline', mods: [] },
  { name: 'subpixel', kind: 'benign', mods: ['subpixel'] },
  { name: 'hinting', kind: 'benign', mods: [], hinting: true },
  { name: 'dsf1.25', kind: 'benign', mods: [], dsf: 1.25 },
  { name: 'dsf2', kind: 'benign', mods: [], dsf: 2 },
  { name: 'nudge', kind: 'benign', mods: ['nudge'] },
  { name: 'resample', kind: 'benign', mods: ['resample'] },
  { name: 'removed', kind: 'regression', mods: ['removed'] },
  { name: 'colour', kind: 'regression', mods: ['colour'] },
  { name: 'moved', kind: 'regression', mods: ['moved'] },
  { name: 'text', kind: 'regression', mods: ['text'] },
  { name: 'icon', kind: 'regression', mods: ['icon'] },
  { name: 'fontsize', kind: 'regression', mods: ['fontsize'] },
];

async function photos(): Promise<string[]> {
  const files = (await readdir(KODAK))
    .filter((f) => f.endsWith('.png'))
    .sort()
    .slice(0, 12);
  return Promise.all(
    files.map(
      async (f) =>
        `data:image/jpeg;base64,${(await sharp(join(KODAK, f)).resize(320).jpeg({ quality: 85 }).toBuffer()).toString('base64')}`,
    ),
  );
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const out = args.find((a) => !a.startsWith('--')) ?? join('bench', 'out', 'visual-corpus');
  const seeds = Number(args[args.indexOf('--seeds') + 1] ?? 3) || 3;
  const pics = await photos();
  const browsers: Record<string, Browser> = {
    plain: await chromium.launch({ executablePath: CHROMIUM, args: FLAGS }),
    hinting: await chromium.launch({ executablePath: CHROMIUM, args: [...FLAGS, ...HINTING_FLAGS] }),
  };
  const pairs: CorpusPair[] = [];
  try {
    for (let seed = 0; seed < seeds; seed++) {
      for (const template of TEMPLATES as readonly Template[]) {
        const page = `${template}-${seed}`;
        await mkdir(join(out, page), { recursive: true });
        for (const v of VARIANTS) {
          const ctx = await browsers[v.hinting ? 'hinting' : 'plain'].newContext({
            viewport: { width: 640, height: 480 },
            deviceScaleFactor: v.dsf ?? 1,
          });
          const p = await ctx.newPage();
          await p.setContent(pageHtml(template, seed, new Set(v.mods), pics), { waitUntil: 'load' });
          const file = join(out, page, `${v.name}.png`);
          await p.screenshot({ path: file, animations: 'disabled', caret: 'hide' });
          await ctx.close();
          if (v.kind !== 'baseline')
            pairs.push({
              page,
              split: seed === 0 ? 'tuning' : 'heldout',
              kind: v.kind,
              variant: v.name,
              reference: join(page, 'baseline.png'),
              test: join(page, `${v.name}.png`),
            });
        }
        process.stderr.write(`${page}\n`);
      }
    }
  } finally {
    for (const b of Object.values(browsers)) await b.close();
  }
  await writeFile(join(out, 'manifest.json'), JSON.stringify({ chromium: CHROMIUM, flags: FLAGS, pairs }, null, 1));
  process.stderr.write(`${pairs.length} pairs in ${out}\n`);
}

await main();
