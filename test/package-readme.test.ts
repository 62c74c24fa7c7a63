/**
 * Every figure the README and docs/*.md quote from a benchmark is checked against the committed result file it comes
 * from. A block (in the README or a docs page) between `<!-- bench: bench/results/a.md[, bench/results/b.md] -->` and `<!-- /bench -->` may only
 * contain numbers that occur in those files; a README number with d decimals matches a file number that rounds to
 * it at d decimals (so "128" matches "128.3" and "0.892" matches "0.8923"; "1.7e-10" matches "1.72e-10").
 * Inline code and URLs are not figures.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ROOT } from './support/paths.js';

const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
/** The README and every docs page, by repository path. */
const DOCUMENTS: [string, string][] = [
  ['README.md', README],
  ...readdirSync(join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .sort()
    .map((f): [string, string] => [`docs/${f}`, readFileSync(join(ROOT, 'docs', f), 'utf8')]),
];
const NUMBER = /(?<![\w.])[-−]?\d+(?:\.\d+)?(?:e[-+]?\d+)?(?![\w])/gi;

interface Block {
  files: string[];
  text: string;
  line: number;
}

function blocks(md: string): Block[] {
  const out: Block[] = [];
  const re = /<!--\s*bench:\s*([^>]*?)\s*-->([\s\S]*?)<!--\s*\/bench\s*-->/g;
  for (const m of md.matchAll(re)) {
    out.push({
      files: m[1].split(',').map((s) => s.trim()),
      text: m[2],
      line: md.slice(0, m.index).split('\n').length,
    });
  }
  return out;
}

/** Numbers as written (sign normalised), after dropping inline code, code blocks, links' URLs and HTML comments. */
function figures(text: string): string[] {
  const prose = text
    .replace(/```[\s\S]*?```/g, ' ')
    .replace(/`[^`]*`/g, ' ')
    .replace(/\]\([^)]*\)/g, ']')
    .replace(/<!--[\s\S]*?-->/g, ' ')
    .replace(/https?:\/\/\S+/g, ' ');
  return [...prose.matchAll(NUMBER)].map((m) => m[0].replace('−', '-'));
}

function decimals(s: string): number {
  const m = /\.(\d+)/.exec(s);
  return m ? m[1].length : 0;
}

/** Whether README figure `r` is one of the file's numbers, exactly or rounded to r's precision. */
function matches(r: string, values: string[]): boolean {
  const target = Number(r);
  const scientific = /e/i.test(r);
  const digits = scientific ? r.replace(/e.*$/i, '').replace(/[^\d]/g, '').replace(/^0+/, '').length : decimals(r);
  return values.some((v) => {
    if (v === r) return true;
    const x = Number(v);
    if (scientific) return /e/i.test(v) && Number(x.toPrecision(digits)) === target;
    return decimals(v) >= digits && Math.abs(Number(x.toFixed(digits)) - target) < 1e-12;
  });
}

test('the README marks the figures it quotes from bench/results', () => {
  const b = blocks(README);
  assert.ok(b.length >= 5, `expected the README's benchmark figures to be marked, found ${b.length} blocks`);
  const opened = (README.match(/<!--\s*bench:/g) ?? []).length;
  const closed = (README.match(/<!--\s*\/bench\s*-->/g) ?? []).length;
  assert.equal(opened, closed, 'every <!-- bench: … --> needs a <!-- /bench -->');
});

for (const [doc, text] of DOCUMENTS) {
  const opened = (text.match(/<!--\s*bench:/g) ?? []).length;
  const closed = (text.match(/<!--\s*\/bench\s*-->/g) ?? []).length;
  if (doc !== 'README.md' && opened + closed > 0)
    test(`${doc}: every <!-- bench: … --> has its <!-- /bench -->`, () => assert.equal(opened, closed));
  for (const block of blocks(text)) {
    test(`${doc} line ${block.line}: figures match ${block.files.join(', ')}`, () => {
      const values: string[] = [];
      for (const f of block.files) {
        assert.match(
          f,
          /^(bench\/results|examples\/[\w-]+\/results[\w-]*)\//,
          `${f}: figures must come from a committed bench or example result`,
        );
        assert.ok(existsSync(join(ROOT, f)), `${f} does not exist`);
        values.push(...[...readFileSync(join(ROOT, f), 'utf8').matchAll(NUMBER)].map((m) => m[0].replace('−', '-')));
      }
      const quoted = figures(block.text);
      assert.ok(quoted.length > 0, 'a marked block without figures');
      const missing = quoted.filter((r) => !matches(r, values));
      assert.deepEqual(missing, [], `${doc} figures not found in ${block.files.join(', ')}`);
    });
  }
}

test('the MobileNet speed claim is the committed one everywhere (bench/results/mobilenet-backbones.md)', () => {
  const results = readFileSync(join(ROOT, 'bench/results/mobilenet-backbones.md'), 'utf8');
  const faster = [...results.matchAll(/\| ([\d.]+)× faster \|/g)].map((m) => Number(m[1]));
  assert.ok(faster.length >= 2);
  const [lo, hi] = [Math.min(...faster), Math.max(...faster)];
  assert.ok(
    /(\d+(?:\.\d+)?)[–-](\d+(?:\.\d+)?)× faster/.test(README),
    'the README states how much faster MobileNet is',
  );
  for (const [doc, text] of DOCUMENTS) {
    for (const c of text.matchAll(/(\d+(?:\.\d+)?)[–-](\d+(?:\.\d+)?)× faster/g))
      assert.deepEqual([Number(c[1]), Number(c[2])], [lo, hi], `${doc} says ${c[0]}; the results say ${lo}–${hi}×`);
  }
});

test('docs, the README and examples import the package by its name, never its sources', () => {
  const files: [string, string][] = [...DOCUMENTS];
  const walk = (dir: string): void => {
    for (const e of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
      const rel = `${dir}/${e.name}`;
      if (e.isDirectory()) walk(rel);
      else if (/\.(ts|mts|js|mjs)$/.test(e.name)) files.push([rel, readFileSync(join(ROOT, rel), 'utf8')]);
    }
  };
  walk('examples');
  const offenders = files.flatMap(([f, text]) =>
    [...text.matchAll(/(?:from|import)\s*\(?\s*['"]((?:\.\.?\/)+(?:src|dist)\/[^'"]*)['"]/g)].map(
      (m) => `${f}: ${m[1]}`,
    ),
  );
  assert.deepEqual(offenders, [], "import 'deepssim' (or 'deepssim/tfjs', …) instead");
  assert.ok(
    files.some(([f]) => f.startsWith('examples/')),
    'no examples found',
  );
});
