import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  correlationStats,
  fitMapping,
  krcc,
  pearson,
  percentile,
  perTypeStats,
  plccAfterFit,
  predict,
  rankAverage,
  srcc,
} from '../src/eval/statistics.js';

const fixtures = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'eval');
interface Case {
  name: string;
  x: number[];
  y: number[];
  metricHigherIsBetter: boolean;
  subjectiveHigherIsBetter: boolean;
}
interface Ref {
  name: string;
  srcc: number;
  krcc: number;
  pearson_raw: number;
  plcc: number;
  rmse: number;
  fit: string;
}
const inputs: Case[] = JSON.parse(readFileSync(join(fixtures, 'stats_inputs.json'), 'utf8')).cases;
const refs: Ref[] = JSON.parse(readFileSync(join(fixtures, 'stats_reference.json'), 'utf8')).results;

function close(actual: number, expected: number, tol: number, what: string): void {
  assert.ok(Math.abs(actual - expected) <= tol, `${what}: ${actual} vs ${expected} (tol ${tol})`);
}

test('rankAverage gives tied values their average rank', () => {
  assert.deepEqual(Array.from(rankAverage([10, 20, 20, 5, 20])), [2, 4, 4, 1, 4]);
});

for (const c of inputs) {
  const ref = refs.find((r) => r.name === c.name)!;
  test(`matches SciPy on ${c.name} (n=${c.x.length})`, () => {
    const sign = c.metricHigherIsBetter === c.subjectiveHigherIsBetter ? 1 : -1;
    close(sign * srcc(c.x, c.y), ref.srcc, 1e-12, 'srcc');
    close(sign * krcc(c.x, c.y), ref.krcc, 1e-12, 'krcc');
    close(pearson(c.x, c.y), ref.pearson_raw, 1e-12, 'pearson');
    const s = correlationStats(c.x, c.y, { ...c, resamples: 0 });
    assert.equal(s.fit.kind, ref.fit, `fit kind (${s.fit.fallbackReasons.join('; ')})`);
    // Both optimisers stop at the same least-squares minimum up to their tolerances (on flat valleys, where the
    // optimum lies at infinity, at slightly different points: hence 1e-6 / 1e-5 rather than machine precision).
    close(s.plcc, ref.plcc, 1e-6, 'plcc');
    close(s.rmse, ref.rmse, 1e-5 * ref.rmse, 'rmse');
    close(s.srcc, ref.srcc, 1e-12, 'signed srcc');
  });
}

test('krcc O(n log n) equals the O(n²) definition of tau-b on random tied data', () => {
  let seed = 7;
  const rnd = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  const x = Array.from({ length: 300 }, () => Math.floor(rnd() * 20));
  const y = x.map((v) => Math.floor(v / 3 + rnd() * 8));
  let conc = 0;
  let disc = 0;
  let tx = 0;
  let ty = 0;
  for (let i = 0; i < x.length; i++) {
    for (let j = i + 1; j < x.length; j++) {
      const a = Math.sign(x[i] - x[j]);
      const b = Math.sign(y[i] - y[j]);
      if (a === 0 && b === 0) continue;
      if (a === 0) tx++;
      else if (b === 0) ty++;
      else if (a === b) conc++;
      else disc++;
    }
  }
  const expected = (conc - disc) / Math.sqrt((conc + disc + tx) * (conc + disc + ty));
  close(krcc(x, y), expected, 1e-12, 'tau-b');
});

test('fallback: three distinct metric values give a linear fit with the reasons reported', () => {
  const c = inputs.find((v) => v.name === 'fallback-3-values')!;
  const fit = fitMapping(c.x, c.y);
  assert.equal(fit.kind, 'linear');
  assert.equal(fit.fallbackReasons.length, 2);
  assert.match(fit.fallbackReasons[0], /distinct/);
});

test('logistic fit recovers a noiseless logistic exactly', () => {
  const truth = [60, 0.4, 30, 0.2, 40];
  const x = Array.from({ length: 60 }, (_, i) => 15 + i * 0.5);
  const y = x.map((v) => predict({ kind: 'logistic5', params: truth }, v));
  const r = plccAfterFit(x, y);
  assert.equal(r.fit.kind, 'logistic5');
  assert.ok(r.rmse < 1e-6, `rmse ${r.rmse}`);
  close(r.plcc, 1, 1e-10, 'plcc');
});

test('signs: a metric that agrees with DMOS observers gets positive correlations, a disagreeing one negative', () => {
  const dmos = [10, 20, 30, 40, 50, 60, 70, 80];
  const psnrLike = [45, 40, 38, 33, 31, 28, 25, 21]; // higher = better, falls as DMOS rises: agreement
  const good = correlationStats(psnrLike, dmos, {
    metricHigherIsBetter: true,
    subjectiveHigherIsBetter: false,
    resamples: 0,
  });
  assert.ok(good.srcc > 0.99 && good.krcc > 0.99 && good.plcc > 0.9, JSON.stringify(good));
  const bad = correlationStats(psnrLike.slice().reverse(), dmos, {
    metricHigherIsBetter: true,
    subjectiveHigherIsBetter: false,
    resamples: 0,
  });
  assert.ok(bad.srcc < -0.99 && bad.krcc < -0.99 && bad.plcc < -0.9, JSON.stringify(bad));
});

test('bootstrap CIs are seeded, bracket the estimate, and shrink with n', () => {
  const c = inputs.find((v) => v.name === 'dmos-logistic')!;
  const opts = { metricHigherIsBetter: true, subjectiveHigherIsBetter: false, resamples: 300, seed: 42 };
  const a = correlationStats(c.x, c.y, opts);
  const b = correlationStats(c.x, c.y, opts);
  assert.deepEqual(a.ci, b.ci);
  for (const k of ['srcc', 'krcc', 'plcc', 'rmse'] as const) {
    const [lo, hi] = a.ci![k];
    assert.ok(lo <= a[k] && a[k] <= hi, `${k}: ${lo} ≤ ${a[k]} ≤ ${hi}`);
    assert.ok(hi - lo > 0, `${k} width`);
  }
  const small = correlationStats(c.x.slice(0, 40), c.y.slice(0, 40), opts);
  assert.ok(small.ci!.srcc[1] - small.ci!.srcc[0] > a.ci!.srcc[1] - a.ci!.srcc[0]);
  const other = correlationStats(c.x, c.y, { ...opts, seed: 43 });
  assert.notDeepEqual(other.ci, a.ci);
});

test('percentile interpolates like numpy', () => {
  close(percentile([1, 2, 3, 4], 0.5), 2.5, 1e-15, 'median');
  close(percentile([0, 10], 0.975), 9.75, 1e-12, 'p97.5');
});

test('perTypeStats splits by type', () => {
  const c = inputs.find((v) => v.name === 'dmos-logistic')!;
  const types = c.x.map((_, i) => (i % 2 ? 'odd' : 'even'));
  const t = perTypeStats(c.x, c.y, types, { metricHigherIsBetter: true, subjectiveHigherIsBetter: false });
  assert.deepEqual(
    t.map((v) => [v.type, v.n]),
    [
      ['even', 100],
      ['odd', 100],
    ],
  );
  const even = c.x.filter((_, i) => i % 2 === 0);
  const evenY = c.y.filter((_, i) => i % 2 === 0);
  close(t[0].srcc, -srcc(even, evenY), 1e-12, 'even srcc');
});
