/**
 * The visual-regression evidence: false failures on benign drift and misses on regressions per comparator, at its
 * documented default and over all thresholds (ROC AUC), from <corpusDir>/scores.json (bench/visual-corpus/score.ts):
 *
 *   npx tsx bench/visual-corpus/report.ts [corpusDir=bench/out/visual-corpus]
 *     → bench/results/visual-regression.md, bench/results/visual-regression-roc.png
 *
 * DeepSSIM's thresholds (and the matchers' defaults) are chosen on the **tuning** pages (seed 0) only; every figure
 * in the tables is on the **held-out** pages (seeds ≥ 1). Regression pairs whose screenshot is pixel-identical to the
 * baseline (the change is below the fold of the 640×480 viewport) are left out and counted.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { renderChart } from '../../src/eval/plot.js';
import type { ScoredPair } from './score.js';

const PIXEL = ['pixelmatch (jest-image-snapshot defaults)', 'pixelmatch (Playwright defaults)', 'odiff', 'ssim.js'];
const DEFAULT_RULE: Record<string, string> = {
  'pixelmatch (jest-image-snapshot defaults)': 'fails on ≥ 1 differing pixel (threshold 0.01, failureThreshold 0)',
  'pixelmatch (Playwright defaults)': 'fails on ≥ 1 differing pixel (threshold 0.2, maxDiffPixels 0)',
  odiff: 'fails on ≥ 1 differing pixel (threshold 0.1)',
  'ssim.js': 'fails when mssim < 1 (jest-image-snapshot ssim mode, failureThreshold 0)',
};

type Pair = ScoredPair & { v: Record<string, number> };

function auc(neg: number[], pos: number[]): number {
  // P(pos > neg) + ½ P(tie): Mann–Whitney.
  let s = 0;
  for (const p of pos) for (const n of neg) s += p > n ? 1 : p === n ? 0.5 : 0;
  return s / (pos.length * neg.length);
}

/** Threshold t (fail when value > t) minimising false failures + misses on `pairs`; ties → the larger t. */
function bestThreshold(pairs: Pair[], key: string): { t: number; errors: number } {
  const values = [...new Set(pairs.map((p) => p.v[key]))].sort((a, b) => a - b);
  const cands = [
    0,
    ...values.map((v, i) => (i + 1 < values.length && Number.isFinite(values[i + 1]) ? (v + values[i + 1]) / 2 : v)),
  ];
  let best = { t: 0, errors: Infinity };
  for (const t of cands) {
    const errors = pairs.filter((p) => (p.kind === 'benign' ? p.v[key] > t : !(p.v[key] > t))).length;
    if (errors <= best.errors) best = { t, errors };
  }
  return best;
}

function rates(pairs: Pair[], fails: (p: Pair) => boolean): { ff: number; benign: number; miss: number; reg: number } {
  const benign = pairs.filter((p) => p.kind === 'benign');
  const reg = pairs.filter((p) => p.kind === 'regression');
  return {
    ff: benign.filter(fails).length,
    benign: benign.length,
    miss: reg.filter((p) => !fails(p)).length,
    reg: reg.length,
  };
}

const pct = (a: number, b: number) => `${a}/${b} (${((100 * a) / b).toFixed(0)} %)`;
const r4 = (x: number) => (Math.round(x * 1e4) / 1e4).toFixed(4);

async function main(): Promise<void> {
  const dir = process.argv[2] ?? join('bench', 'out', 'visual-corpus');
  const raw = JSON.parse(await readFile(join(dir, 'scores.json'), 'utf8')) as ScoredPair[];
  const all: Pair[] = raw.map((p) => ({
    ...p,
    v: Object.fromEntries(Object.entries(p.values).map(([k, x]) => [k, x === null ? Infinity : x])),
  }));
  const invisible = all.filter(
    (p) => p.kind === 'regression' && p.sameSize && p.v['pixelmatch (jest-image-snapshot defaults)'] === 0,
  );
  const pairs = all.filter((p) => !invisible.includes(p));
  const tuning = pairs.filter((p) => p.split === 'tuning');
  const held = pairs.filter((p) => p.split === 'heldout');
  const comparators = Object.keys(pairs[0].v);

  // DeepSSIM thresholds, chosen on the tuning pages.
  const tGlobal = bestThreshold(tuning, 'deepssim global').t;
  const tLocal = bestThreshold(tuning, 'deepssim local').t;
  // The matchers' rule: fail when score < minScore or minLocal < minLocal; both chosen jointly on the tuning pages.
  const gs = [...new Set(tuning.map((p) => p.v['deepssim global']))];
  const ls = [...new Set(tuning.map((p) => p.v['deepssim local']))];
  let rule = { g: Infinity, l: Infinity, errors: Infinity };
  for (const g of [...gs, Infinity]) {
    for (const l of [...ls, Infinity]) {
      const e = tuning.filter((p) => {
        const fails = p.v['deepssim global'] > g || p.v['deepssim local'] > l;
        return p.kind === 'benign' ? fails : !fails;
      }).length;
      // Ties: the most lenient pair (fewest false failures in use).
      if (e < rule.errors || (e === rule.errors && g + l > rule.g + rule.l)) rule = { g, l, errors: e };
    }
  }
  // Thresholds halfway to the next observed value above them, rounded to 0.005 downwards (a plain, stable number).
  // No global threshold at all (rule.g = ∞) is reported as minScore 0: the global score never gates.
  const minScore = Number.isFinite(rule.g) ? Math.floor((1 - rule.g) * 200) / 200 : 0;
  const minLocal = Number.isFinite(rule.l) ? Math.floor((1 - rule.l) * 200) / 200 : 0;
  const matcherFails = (p: Pair) => 1 - p.v['deepssim global'] < minScore || 1 - p.v['deepssim local'] < minLocal;

  const lines: string[] = [];
  lines.push('# Visual-regression evidence: pixel comparators vs DeepSSIM (global and local)', '');
  lines.push(
    `Corpus: \`npx tsx bench/visual-corpus/generate.ts\` (Debian Chromium, playwright-core), ${all.length} pairs from ${new Set(all.map((p) => p.page)).size} pages`,
    `(6 templates × ${new Set(all.map((p) => p.page.split('-')[1])).size} seeds), 640×480 CSS px. Scores: \`npx tsx bench/visual-corpus/score.ts\`; this file: \`npx tsx bench/visual-corpus/report.ts\`.`,
    `Tuning split: seed 0 (${tuning.length} pairs) — DeepSSIM thresholds and the matcher defaults are chosen there only. **All figures below: held-out split`,
    `(seeds ≥ 1, ${held.length} pairs: ${held.filter((p) => p.kind === 'benign').length} benign, ${held.filter((p) => p.kind === 'regression').length} regressions).**`,
    `${invisible.length} regression pairs are left out because their screenshot is pixel-identical to the baseline (the change is below the fold): ${invisible.map((p) => p.test.replace('.png', '')).join(', ')}.`,
    'DeepSSIM: MobileNet v1 α = 0.75 with its genuine ImageNet weights. Pixel comparators cannot compare images of different sizes (the DSF 1.25 and 2 variants): counted as failures at any threshold.',
    'DeepSSIM values come from `metric.map()` (one pass per image): "deepssim global" is the score `map()` returns, for which a test of another size is first resampled to the reference\'s size (since the local map works at the reference\'s pixel scale; `deepssim score` does not resample). That resampling was added after an earlier run of this report showed every other-DSF rendering failing, held-out pages included: the held-out figures below are therefore not a blind estimate for the DSF variants. Thresholds and matcher defaults are still chosen on the tuning split only.',
    '',
  );
  lines.push(
    `Chosen on the tuning split: deepssim global fails below ${r4(1 - tGlobal)}, deepssim local below ${r4(1 - tLocal)}; matcher rule (fail if score < minScore or minLocal < minLocal): **minScore ${minScore}, minLocal ${minLocal}** (${rule.errors} errors on ${tuning.length} tuning pairs${Number.isFinite(rule.g) ? '' : '; no global threshold improved on the local one, so minScore 0 = off'}).`,
    '',
  );
  lines.push(
    '| comparator | rule at its default | false failures (benign) | misses (regressions) | ROC AUC | best trade-off on held-out (oracle threshold): errors |',
    '|---|---|---|---|---|---|',
  );
  const rows: { name: string; rule: string; fails: (p: Pair) => boolean; key?: string }[] = [
    ...PIXEL.map((k) => ({ name: k, rule: DEFAULT_RULE[k], fails: (p: Pair) => p.v[k] > 0, key: k })),
    {
      name: 'deepssim global',
      rule: `fails below ${r4(1 - tGlobal)} (tuned on the tuning split)`,
      fails: (p: Pair) => p.v['deepssim global'] > tGlobal,
      key: 'deepssim global',
    },
    {
      name: 'deepssim local',
      rule: `fails below ${r4(1 - tLocal)} (tuned on the tuning split)`,
      fails: (p: Pair) => p.v['deepssim local'] > tLocal,
      key: 'deepssim local',
    },
    {
      name: 'deepssim matchers (defaults)',
      rule: `score < ${minScore} or minLocal < ${minLocal}`,
      fails: matcherFails,
    },
  ];
  for (const r of rows) {
    const x = rates(held, r.fails);
    const a = r.key
      ? auc(
          held.filter((p) => p.kind === 'benign').map((p) => p.v[r.key!]),
          held.filter((p) => p.kind === 'regression').map((p) => p.v[r.key!]),
        )
      : NaN;
    const best = r.key ? bestThreshold(held, r.key).errors : NaN;
    lines.push(
      `| ${r.name} | ${r.rule} | ${pct(x.ff, x.benign)} | ${pct(x.miss, x.reg)} | ${Number.isNaN(a) ? '—' : a.toFixed(3)} | ${Number.isNaN(best) ? '—' : `${best}/${held.length}`} |`,
    );
  }
  lines.push('', '## Held-out pairs failed (benign) or passed (regressions) at the defaults, per variant', '');
  const variants = [...new Set(held.map((p) => `${p.kind}:${p.variant}`))];
  lines.push(
    `| variant | pairs | ${rows.map((r) => r.name).join(' | ')} |`,
    `|---|---|${rows.map(() => '---').join('|')}|`,
  );
  for (const kv of variants) {
    const [kind, variant] = kv.split(':');
    const ps = held.filter((p) => p.kind === kind && p.variant === variant);
    const wrong = (r: (typeof rows)[number]) => ps.filter((p) => (kind === 'benign' ? r.fails(p) : !r.fails(p))).length;
    lines.push(
      `| ${kind === 'benign' ? 'benign' : 'regression'}: ${variant} | ${ps.length} | ${rows.map((r) => wrong(r)).join(' | ')} |`,
    );
  }
  lines.push(
    '',
    '(cells: number of pairs the comparator gets wrong — a false failure for benign variants, a miss for regressions)',
    '',
  );
  lines.push(
    '## DeepSSIM values per held-out pair',
    '',
    '| pair | kind | score | minLocal | minLocation |',
    '|---|---|---|---|---|',
  );
  for (const p of held) {
    const m = p.deepssim.minLocation;
    lines.push(
      `| ${p.test.replace('.png', '')} | ${p.kind} | ${r4(p.deepssim.score)} | ${r4(p.deepssim.minLocal)} | ${m.x},${m.y} ${m.width}×${m.height} |`,
    );
  }
  await writeFile(join('bench', 'results', 'visual-regression.md'), `${lines.join('\n')}\n`);

  // ROC curves on the held-out split.
  const roc: { comparator: string; fpr: number; tpr: number }[] = [];
  for (const k of comparators) {
    const ts = [-Infinity, ...[...new Set(held.map((p) => p.v[k]))].sort((a, b) => a - b)];
    for (const t of ts) {
      const x = rates(held, (p) => p.v[k] > t);
      roc.push({ comparator: k, fpr: x.ff / x.benign, tpr: (x.reg - x.miss) / x.reg });
    }
    roc.push({ comparator: k, fpr: 1, tpr: 1 });
  }
  const chart = await renderChart({
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: 'Held-out pages: regressions caught vs benign drift failed',
    width: 360,
    height: 300,
    data: { values: roc },
    mark: { type: 'line', interpolate: 'step-after', point: true },
    encoding: {
      x: {
        field: 'fpr',
        type: 'quantitative',
        title: 'false failures (benign pairs failed)',
        scale: { domain: [0, 1] },
      },
      y: { field: 'tpr', type: 'quantitative', title: 'regressions caught', scale: { domain: [0, 1] } },
      color: { field: 'comparator', type: 'nominal' },
      order: { field: 'fpr', type: 'quantitative' },
    },
  });
  await writeFile(join('bench', 'results', 'visual-regression-roc.png'), chart.png);
  process.stdout.write(`${lines.slice(0, 20).join('\n')}\n`);
}

await main();
