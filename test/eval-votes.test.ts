/**
 * Paired-comparison evaluation (issue 13.2): accuracy, per-set τ-b, ceiling and bootstrap on studies whose answers
 * are known by construction; agreement with an independent SciPy computation (tools/reference/votes_reference.py);
 * the .npy reader against files NumPy wrote; BAPPS folders; the CLI end to end with each image decoded once.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, test } from 'node:test';
import sharp from 'sharp';
import { runCli } from './support/cli.js';
import { DataError, LimitError } from '../src/errors.js';
import { readNpyFloats } from '../src/eval/npy.js';
import { parseCsvTable } from '../src/eval/pairs-csv.js';
import { evaluateVotes } from '../src/eval/votes-run.js';
import {
  loadBapps,
  votesCeiling,
  votesFromTable,
  votesStatistics,
  type Vote,
  type VotesData,
} from '../src/eval/votes.js';
import { decodeImage } from '../src/index.js';
import type { RGBImage } from '../src/image/types.js';
import type { FullReferenceMetric } from '../src/metrics/types.js';
import { fixture } from './support/paths.js';

const tmp = mkdtempSync(join(tmpdir(), 'deepssim-votes-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const close = (a: number | null, b: number, tol = 1e-12, what = '') => {
  assert.ok(a !== null && Math.abs(a - b) <= tol, `${what}: ${a} vs ${b}`);
};

function study(rows: Array<[set: string, a: string, b: string, winner: 'a' | 'b']>, reference = '/r.png'): VotesData {
  return {
    layout: 'votes-csv',
    root: '/',
    votes: rows.map(([set, a, b, w], index): Vote => ({ index, set, reference, a, b, pB: w === 'b' ? 1 : 0 })),
  };
}

test('accuracy, τ-b and ceiling by construction (one set of three tests, plus a metric tie)', () => {
  // t1 beats t2 3×, t2 beats t1 1×, t1 beats t3 2×, t3 beats t2 2×. Metric: t1 0.9 > t3 0.7 > t2 0.5.
  const data = study([
    ['S', 't1', 't2', 'a'],
    ['S', 't2', 't1', 'b'],
    ['S', 't1', 't2', 'a'],
    ['S', 't2', 't1', 'a'],
    ['S', 't1', 't3', 'a'],
    ['S', 't3', 't1', 'b'],
    ['S', 't3', 't2', 'a'],
    ['S', 't2', 't3', 'b'],
  ]);
  const s: Record<string, number> = { t1: 0.9, t2: 0.5, t3: 0.7 };
  const r = votesStatistics(data, (_ref, t) => s[t], true, { resamples: 0 });
  // Agrees with 7 of the 8 votes (not the one t2-over-t1 vote).
  close(r.pairwiseAccuracy, 7 / 8);
  // Win-rates t1 5/6, t3 2/4, t2 1/6: the same order as the metric → τ = 1.
  close(r.kendallTau, 1);
  assert.equal(r.votes, 8);
  assert.equal(r.setsWithTau, 1);
  // A lower-better metric with negated scores gives the same figures; the reversed metric the complement.
  const neg = votesStatistics(data, (_ref, t) => -s[t], false, { resamples: 0 });
  close(neg.pairwiseAccuracy, 7 / 8);
  close(neg.kendallTau, 1);
  const rev = votesStatistics(data, (_ref, t) => -s[t], true, { resamples: 0 });
  close(rev.pairwiseAccuracy, 1 / 8);
  close(rev.kendallTau, -1);
  // Ceiling: on (t1,t2) three t1 votes agree with the others' majority, the t2 vote does not (3/4); the two
  // (t1,t3) and the two (t3,t2) votes each agree with the other vote: 7/8.
  close(votesCeiling(data), 7 / 8);
  // A metric tie counts 0.5 per vote; τ-b is undefined (constant ranking) and the set is left out of the mean.
  const tie = votesStatistics(data, () => 0.3, true, { resamples: 0 });
  close(tie.pairwiseAccuracy, 0.5);
  assert.equal(tie.kendallTau, null);
  assert.equal(tie.setsWithTau, 0);
});

test('ceiling: ties and lone votes count 0.5; accuracy skips votes without scores', () => {
  const data = study([
    ['S', 'x', 'y', 'a'],
    ['S', 'x', 'y', 'b'],
    ['T', 'u', 'v', 'a'],
  ]);
  // Each (x,y) vote faces one opposite vote: 0; the lone (u,v) vote: 0.5 → (0 + 0 + 0.5) / 3.
  close(votesCeiling(data), 0.5 / 3);
  const r = votesStatistics(data, (_r, t) => (t === 'u' ? null : t === 'x' ? 2 : 1), true, { resamples: 0 });
  assert.equal(r.votes, 2);
  close(r.pairwiseAccuracy, 0.5);
});

test('bootstrap over sets: seeded, interval contains the estimate, width 0 when every set agrees', () => {
  const rows: Array<[string, string, string, 'a' | 'b']> = [];
  for (let s = 0; s < 6; s++) {
    rows.push(
      [`S${s}`, `p${s}`, `q${s}`, 'a'],
      [`S${s}`, `q${s}`, `r${s}`, 'a'],
      [`S${s}`, `p${s}`, `r${s}`, s % 2 ? 'b' : 'a'],
    );
  }
  const data = study(rows);
  const score = (_r: string, t: string) => ({ p: 3, q: 2, r: 1 })[t[0] as 'p' | 'q' | 'r'];
  const a = votesStatistics(data, score, true, { resamples: 300, seed: 4 });
  const b = votesStatistics(data, score, true, { resamples: 300, seed: 4 });
  assert.deepEqual(a, b);
  const ci = a.ci!.pairwiseAccuracy!;
  assert.ok(ci[0] <= a.pairwiseAccuracy! && a.pairwiseAccuracy! <= ci[1] && ci[0] < ci[1]);
  const perfect = study(rows.map(([s, x, y]) => [s, x, y, score('', x) > score('', y) ? 'a' : 'b']));
  const p = votesStatistics(perfect, score, true, { resamples: 100, seed: 1 });
  assert.deepEqual(p.ci!.pairwiseAccuracy, [1, 1]);
  assert.deepEqual(p.ci!.kendallTau, [1, 1]);
});

test('agrees with the independent SciPy computation (tools/reference/votes_reference.py)', () => {
  const ref = JSON.parse(readFileSync(fixture('votes', 'reference.json'), 'utf8'));
  const votesText = readFileSync(fixture('votes', 'votes.csv'), 'utf8');
  const data = votesFromTable(parseCsvTable(votesText, 'votes.csv', '/study'));
  const scoreTable = parseCsvTable(readFileSync(fixture('votes', 'scores.csv'), 'utf8'), 'scores.csv', '/study');
  const scores = new Map(
    scoreTable.rows.map((r) => [`/study/${r.fields.reference}|/study/${r.fields.test}`, Number(r.fields.score)]),
  );
  const r = votesStatistics(data, (reference, t) => scores.get(`${reference}|${t}`) ?? null, true, { resamples: 0 });
  assert.equal(data.votes.length, ref.votes);
  assert.equal(new Set(data.votes.map((v) => v.set)).size, ref.sets);
  close(r.pairwiseAccuracy, ref.pairwiseAccuracy, 1e-12, 'accuracy');
  close(r.kendallTau, ref.kendallTau, 1e-12, 'tau');
  assert.equal(r.setsWithTau, ref.setsWithTau);
  close(votesCeiling(data), ref.ceiling, 1e-12, 'ceiling');
});

test('votes CSV: header case-insensitive, any column order, ; delimiter; bad winner names the line and vote', () => {
  const t = parseCsvTable('Winner;B;A;Reference;SET\nB;y.png;x.png;r.png;1\na;y.png;x.png;r.png;1\n', 'v.csv', '/d');
  const d = votesFromTable(t);
  assert.deepEqual(
    d.votes.map((v) => [v.a, v.b, v.pB, v.reference]),
    [
      ['/d/x.png', '/d/y.png', 1, '/d/r.png'],
      ['/d/x.png', '/d/y.png', 0, '/d/r.png'],
    ],
  );
  const bad = parseCsvTable(
    'set,reference,a,b,winner\n1,r.png,x.png,y.png,a\n\n1,r.png,x.png,y.png,c\n',
    'v.csv',
    '/d',
  );
  assert.throws(
    () => votesFromTable(bad),
    (e: unknown) => e instanceof DataError && /line 4 \(vote 2\): winner must be a or b/.test(e.message),
  );
});

test('.npy reader: files written by NumPy (0-d, 1-d, f2/f4/f8, big-endian); refuses ints, matrices, garbage', () => {
  const npy = (n: string) => new Uint8Array(readFileSync(fixture('votes', n)));
  close(readNpyFloats(npy('judge_f4_0d.npy'))[0], 0.4, 1e-7);
  assert.deepEqual(Array.from(readNpyFloats(npy('judge_f8_1d.npy'))), [0.8]);
  assert.deepEqual(Array.from(readNpyFloats(npy('judge_f2_1d.npy'))), [0.25, 1]);
  assert.deepEqual(Array.from(readNpyFloats(npy('judge_be_f8.npy'))), [0.125, 0.5, 0.75]);
  assert.throws(() => readNpyFloats(npy('not_float_i4.npy')), /not a float/);
  assert.throws(() => readNpyFloats(npy('matrix_f4.npy')), /not 0-d or 1-d/);
  assert.throws(() => readNpyFloats(new Uint8Array([1, 2, 3])), /NUMPY magic/);
  assert.throws(() => readNpyFloats(npy('judge_be_f8.npy').subarray(0, 140)), /truncated/);
  // A header claiming a billion values is refused before any allocation.
  const h = "{'descr': '<f8', 'fortran_order': False, 'shape': (1000000000,), }";
  const bytes = new Uint8Array(10 + h.length);
  bytes.set([0x93, ...Buffer.from('NUMPY'), 1, 0, h.length & 255, h.length >> 8]);
  bytes.set(Buffer.from(h, 'latin1'), 10);
  assert.throws(
    () => readNpyFloats(bytes),
    (e: unknown) => e instanceof LimitError,
  );
});

async function png(path: string, w: number, h: number, f: (x: number, y: number) => number): Promise<void> {
  const d = Buffer.alloc(w * h * 3);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      d.fill(Math.max(0, Math.min(255, Math.round(f(x, y)))), (y * w + x) * 3, (y * w + x) * 3 + 3);
  mkdirSync(dirname(path), { recursive: true });
  await sharp(d, { raw: { width: w, height: h, channels: 3 } })
    .png()
    .toFile(path);
}

/** Mean absolute difference (lower is better) and a counter of score calls per (reference, test). */
function madMetric(calls: Map<string, number>, paths: Map<RGBImage, string>): FullReferenceMetric {
  return {
    name: 'mad',
    higherIsBetter: false,
    requiresSameSize: true,
    score(r, t) {
      const k = `${paths.get(r)}|${paths.get(t)}`;
      calls.set(k, (calls.get(k) ?? 0) + 1);
      let s = 0;
      for (let i = 0; i < r.data.length; i++) s += Math.abs(r.data[i] - t.data[i]);
      return s / r.data.length;
    },
  };
}

test('BAPPS 2AFC folder: judge-weighted accuracy (p1 preferred scores judge), ceiling p² + (1 − p)²', async () => {
  const root = join(tmp, 'bapps');
  const base = (x: number, y: number) => 128 + 60 * Math.sin(x / 3) * Math.cos(y / 5);
  const judges = [0.8, 0.4, 1];
  for (let i = 0; i < 3; i++) {
    const id = String(i).padStart(6, '0');
    await png(join(root, 'ref', `${id}.png`), 32, 32, base);
    await png(join(root, 'p0', `${id}.png`), 32, 32, (x, y) => base(x, y) + (i === 1 ? 2 : 30) * Math.sin(x * y));
    await png(join(root, 'p1', `${id}.png`), 32, 32, (x, y) => base(x, y) + (i === 1 ? 30 : 2) * Math.sin(x * y));
    const h = `{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }`.padEnd(117, ' ') + '\n';
    const b = Buffer.alloc(10 + h.length + 4);
    b.set([0x93, ...Buffer.from('NUMPY'), 1, 0, h.length & 255, h.length >> 8]);
    b.write(h, 10, 'latin1');
    b.writeFloatLE(judges[i], 10 + h.length);
    mkdirSync(join(root, 'judge'), { recursive: true });
    writeFileSync(join(root, 'judge', `${id}.npy`), b);
  }
  const data = await loadBapps(root);
  assert.equal(data.votes.length, 3);
  const calls = new Map<string, number>();
  const paths = new Map<RGBImage, string>();
  const decode = async (p: string) => {
    const img = await decodeImage(p);
    paths.set(img, p);
    return img;
  };
  const ev = await evaluateVotes(data, [madMetric(calls, paths)], { decode, resamples: 0 });
  // MAD prefers p1 in triplets 0 and 2 (judge 0.8, 1) and p0 in triplet 1 (judge 0.4 → 0.6): (0.8 + 0.6 + 1) / 3.
  close(ev.metrics[0].stats.pairwiseAccuracy, (0.8 + 0.6 + 1) / 3, 1e-7);
  close(ev.ceiling, (0.8 ** 2 + 0.2 ** 2 + 0.4 ** 2 + 0.6 ** 2 + 1) / 3, 1e-7);
  assert.equal(ev.sets, 3);
});

test('CLI: eval votes.csv (detected by its header) — report figures, JSON shape, each image scored once', async () => {
  const dir = join(tmp, 'study');
  const base = (x: number, y: number) => 128 + 70 * Math.sin(x / 4 + y / 7);
  // Two sets; in each, test k has noise amplitude 8·(k+1): MAD ranks them exactly by k.
  for (const s of ['s1', 's2']) {
    await png(join(dir, s, 'ref.png'), 24, 24, base);
    for (let k = 0; k < 3; k++)
      await png(join(dir, s, `t${k}.png`), 24, 24, (x, y) => base(x, y) + 8 * (k + 1) * Math.sin(7.1 * x + 3.3 * y));
  }
  // Votes: lower k wins, except one upset in s2 (t2 over t1).
  const lines = ['Set;Reference;A;B;Winner'];
  for (const s of ['s1', 's2']) {
    lines.push(
      `${s};${s}/ref.png;${s}/t0.png;${s}/t1.png;a`,
      `${s};${s}/ref.png;${s}/t1.png;${s}/t2.png;a`,
      `${s};${s}/ref.png;${s}/t2.png;${s}/t0.png;b`,
    );
  }
  lines.push(`s2;s2/ref.png;s2/t1.png;s2/t2.png;b`);
  writeFileSync(join(dir, 'votes.csv'), lines.join('\n') + '\n');
  const calls = new Map<string, number>();
  const out = join(tmp, 'study-out');
  const createMetrics = async () => {
    // The CLI decodes with the library decoder; map images back to paths by content hash.
    const paths = new Map<RGBImage, string>();
    const m = madMetric(calls, paths);
    return [
      {
        ...m,
        score(r: RGBImage, t: RGBImage) {
          for (const img of [r, t]) if (!paths.has(img)) paths.set(img, `img${paths.size}`);
          return m.score(r, t);
        },
      },
    ];
  };
  const { code, stdout, stderr } = await runCli(
    ['eval', join(dir, 'votes.csv'), '--metrics', 'mad', '--json', '--out', out, '--bootstrap', '200'],
    { deps: { createMetrics } },
  );
  assert.equal(code, 0, stderr);
  const doc = JSON.parse(stdout);
  assert.match(stderr, /wrote .*eval\.json/);
  assert.equal(doc.votes, 7);
  assert.equal(doc.sets, 2);
  // 6 of 7 votes follow the noise order; the upset is the only disagreement.
  close(doc.metrics.mad.pairwiseAccuracy, 6 / 7);
  // s1: τ = 1. s2 win-rates: t0 2/2, t1 1/3, t2 1/3 (tie) vs metric t0 > t1 > t2: τ-b = 2/√6.
  close(doc.metrics.mad.kendallTau, (1 + 2 / Math.sqrt(6)) / 2);
  assert.ok(Array.isArray(doc.metrics.mad.ci.pairwiseAccuracy) && Array.isArray(doc.metrics.mad.ci.kendallTau));
  // Ceiling: s1 votes are lone pairs (0.5 each); s2 (t1,t2) has two opposite votes (0 each), the others 0.5.
  close(doc.ceiling, (3 * 0.5 + 2 * 0.5 + 0 + 0) / 7);
  // Six distinct (reference, test) pairs, each scored exactly once.
  assert.equal(calls.size, 6);
  assert.ok([...calls.values()].every((n) => n === 1));
  const report = JSON.parse(readFileSync(join(out, 'eval.json'), 'utf8'));
  assert.equal(report.ceiling, doc.ceiling);
  assert.equal(report.pairs.length, 6);
  assert.match(report.pairs[0].reference, /ref\.png$/);
  assert.match(readFileSync(join(out, 'eval.md'), 'utf8'), /\| mad \| 7 \| 0\.8571/);
  for (const f of ['eval-votes.svg', 'eval-votes.png', 'scores.jsonl'])
    assert.ok(readFileSync(join(out, f)).length > 100, f);
  copyFileSync(join(out, 'eval.json'), join(tmp, 'keep.json'));
});
