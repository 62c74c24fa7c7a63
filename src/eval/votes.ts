/**
 * Paired-comparison (2AFC) studies: observers chose the better of two test images of the same reference.
 *
 * Inputs:
 * - a votes CSV, one row per vote: `set,reference,a,b,winner` (any column order, case-insensitive; `;`/tab accepted;
 *   paths relative to the CSV; `winner` is `a` or `b`). A set is a group of test images ranked together, e.g. the
 *   retargeting results of one source image in RetargetMe.
 * - a BAPPS 2AFC folder: `ref/`, `p0/`, `p1/` images and `judge/*.npy` (fraction of observers who preferred p1);
 *   each triplet is its own set.
 *
 * Every vote is stored as the weight `pB` ∈ [0, 1] on image b (a CSV vote: 0 or 1; BAPPS: judge).
 *
 * Figures, per metric (scores oriented so that "preferred" = higher for higher-better metrics):
 * - pairwise accuracy: mean over votes of pB if the metric prefers b, 1 − pB if it prefers a, 0.5 on a tie
 *   (for BAPPS this is the paper's judge-weighted 2AFC score);
 * - Kendall τ-b per set between the metric's scores of the set's test images and their vote win-rates
 *   (wins / comparisons), averaged over the sets where τ-b is defined (RetargetMe's protocol);
 * - 95 % percentile-bootstrap intervals resampling sets (fixed seed).
 * Ceiling: each vote predicted by the majority of the other votes on the same pair (ties and pairs with no other
 * vote count 0.5), averaged over votes; for BAPPS (no individual votes) the expected agreement of two observers,
 * p² + (1 − p)², as in the BAPPS paper's human figure.
 */
import { readdir, readFile } from 'node:fs/promises';
import { basename, extname, join, resolve } from 'node:path';
import { DataError, quote } from '../errors.js';
import { readNpyFloats } from './npy.js';
import { findColumn, resolveIn, type CsvTable } from './pairs-csv.js';
import { krcc, percentile, seededRandom, type Interval } from './statistics.js';

export interface Vote {
  /** 0-based vote index in the file. */
  index: number;
  set: string;
  /** Absolute paths. */
  reference: string;
  a: string;
  b: string;
  /** Weight on b: 1 when b won, 0 when a won; BAPPS: fraction of observers preferring b (p1). */
  pB: number;
}

export interface VotesData {
  layout: 'votes-csv' | 'bapps-2afc';
  /** The votes file or BAPPS folder. */
  root: string;
  votes: Vote[];
}

/** A (reference, test) pair whose metric scores the statistics need. */
export interface ItemKey {
  reference: string;
  test: string;
}

export const itemKey = (reference: string, test: string): string => `${reference}\u0000${test}`;

/** Distinct (reference, test) pairs of the votes, in order of first appearance. */
export function voteItems(votes: readonly Vote[]): ItemKey[] {
  const seen = new Set<string>();
  const out: ItemKey[] = [];
  for (const v of votes) {
    for (const test of [v.a, v.b]) {
      const k = itemKey(v.reference, test);
      if (!seen.has(k)) {
        seen.add(k);
        out.push({ reference: v.reference, test });
      }
    }
  }
  return out;
}

// ---- reading ---------------------------------------------------------------------------------------------------

/** Votes from a parsed CSV table whose header has set,reference,a,b,winner. */
export function votesFromTable(table: CsvTable): VotesData {
  const name = table.name;
  for (const k of ['set', 'reference', 'a', 'b', 'winner']) {
    if (findColumn(table, [k]) === undefined) {
      throw new DataError(`votes file ${quote(name)} has no ${k} column (expected set,reference,a,b,winner)`, {
        path: name,
        row: 1,
      });
    }
  }
  if (table.rows.length === 0)
    throw new DataError(`votes file ${quote(name)} has a header but no votes`, { path: name });
  const votes = table.rows.map((r, index): Vote => {
    const f = r.fields;
    const at = `votes file ${quote(name)}, line ${r.line} (vote ${index + 1})`;
    for (const k of ['set', 'reference', 'a', 'b'])
      if (!f[k]) throw new DataError(`${at}: empty ${k}`, { path: name, row: r.line });
    const w = f.winner.toLowerCase();
    if (w !== 'a' && w !== 'b')
      throw new DataError(`${at}: winner must be a or b, got ${quote(f.winner, 40)}`, { path: name, row: r.line });
    const a = resolveIn(table, f.a);
    const b = resolveIn(table, f.b);
    if (a === b) throw new DataError(`${at}: a and b are the same image`, { path: name, row: r.line });
    return { index, set: f.set, reference: resolveIn(table, f.reference), a, b, pB: w === 'b' ? 1 : 0 };
  });
  return { layout: 'votes-csv', root: resolve(table.name === 'standard input' ? '.' : table.name), votes };
}

const IMAGE_EXT = new Set(['.png', '.jpg', '.jpeg', '.bmp', '.webp', '.tif', '.tiff']);

/** True when a folder has the BAPPS 2AFC layout (ref/, p0/, p1/, judge/). */
export async function isBappsLayout(root: string): Promise<boolean> {
  try {
    const names = new Set(await readdir(root));
    return ['ref', 'p0', 'p1', 'judge'].every((d) => names.has(d));
  } catch {
    return false;
  }
}

/** Read a BAPPS 2AFC folder: one vote per judge/*.npy with the matching ref/, p0/, p1/ images (same base name). */
export async function loadBapps(root: string): Promise<VotesData> {
  const abs = resolve(root);
  const list = async (d: string) => {
    try {
      return await readdir(join(abs, d));
    } catch (err) {
      throw new DataError(`BAPPS folder ${quote(root)}: cannot list ${d}/`, { path: join(abs, d), cause: err });
    }
  };
  const images = async (d: string) => {
    const m = new Map<string, string>();
    for (const f of await list(d))
      if (IMAGE_EXT.has(extname(f).toLowerCase())) m.set(basename(f, extname(f)), join(abs, d, f));
    return m;
  };
  const [ref, p0, p1] = await Promise.all([images('ref'), images('p0'), images('p1')]);
  const judges = (await list('judge')).filter((f) => extname(f).toLowerCase() === '.npy').sort();
  if (judges.length === 0) throw new DataError(`BAPPS folder ${quote(root)}: judge/ has no .npy files`, { path: abs });
  const votes: Vote[] = [];
  for (const file of judges) {
    const id = basename(file, extname(file));
    const paths = [ref.get(id), p0.get(id), p1.get(id)];
    if (paths.some((p) => p === undefined)) {
      throw new DataError(
        `BAPPS folder ${quote(root)}: judge/${quote(file, 80)} has no matching image in ref/, p0/ and p1/`,
        { path: abs },
      );
    }
    const values = readNpyFloats(new Uint8Array(await readFile(join(abs, 'judge', file))), join(abs, 'judge', file));
    const j = values[0];
    if (values.length !== 1 || !(j >= 0 && j <= 1)) {
      throw new DataError(
        `BAPPS judge ${quote(file, 80)} must hold one value in [0, 1], got ${values.length} value(s) starting ${j}`,
        { path: join(abs, 'judge', file) },
      );
    }
    votes.push({ index: votes.length, set: id, reference: paths[0]!, a: paths[1]!, b: paths[2]!, pB: j });
  }
  return { layout: 'bapps-2afc', root: abs, votes };
}

// ---- statistics ------------------------------------------------------------------------------------------------

export interface VotesMetricStats {
  /** Votes where both scores were available. */
  votes: number;
  /** Sets contributing to the τ average (τ-b defined: ≥ 2 items, neither ranking constant). */
  setsWithTau: number;
  pairwiseAccuracy: number | null;
  kendallTau: number | null;
  ci: { pairwiseAccuracy: Interval | null; kendallTau: Interval | null; resamples: number; seed: number } | null;
}

export interface VotesStatsOptions {
  resamples?: number;
  seed?: number;
}

/** Order two scores for a metric: +1 when `x` is the better one, −1 when `y` is, 0 on a tie. */
function prefer(x: number, y: number, higherIsBetter: boolean): number {
  if (x === y) return 0;
  return x > y === higherIsBetter ? 1 : -1;
}

/** Ceiling: leave-one-out majority of the other votes on the same unordered pair (BAPPS: p² + (1 − p)²). */
export function votesCeiling(data: VotesData): number {
  const votes = data.votes;
  if (votes.length === 0) return NaN;
  if (data.layout === 'bapps-2afc')
    return votes.reduce((s, v) => s + v.pB * v.pB + (1 - v.pB) * (1 - v.pB), 0) / votes.length;
  // Per pair: how many votes went to the lexicographically first image.
  const key = (v: Vote) =>
    v.a < v.b
      ? `${v.set}\u0000${v.reference}\u0000${v.a}\u0000${v.b}`
      : `${v.set}\u0000${v.reference}\u0000${v.b}\u0000${v.a}`;
  const firstWon = (v: Vote) => (v.a < v.b === v.pB < 0.5 ? 1 : 0);
  const tally = new Map<string, { n: number; first: number }>();
  for (const v of votes) {
    const t = tally.get(key(v)) ?? { n: 0, first: 0 };
    t.n++;
    t.first += firstWon(v);
    tally.set(key(v), t);
  }
  let sum = 0;
  for (const v of votes) {
    const t = tally.get(key(v))!;
    const mine = firstWon(v);
    const othersFirst = t.first - mine;
    const othersSecond = t.n - 1 - othersFirst;
    if (othersFirst === othersSecond) sum += 0.5;
    else sum += (othersFirst > othersSecond ? 1 : 0) === mine ? 1 : 0;
  }
  return sum / votes.length;
}

interface SetData {
  /** Per vote of the set: credit (1, 0, 0.5 or judge-weighted), or null when a score is missing. */
  credits: Array<number | null>;
  tau: number | null;
}

/** 1-based average ranks with a total order that handles ±Infinity. */
function ranks(x: readonly number[]): number[] {
  const idx = x.map((_, i) => i).sort((p, q) => (x[p] < x[q] ? -1 : x[p] > x[q] ? 1 : 0));
  const r = new Array<number>(x.length);
  for (let i = 0; i < idx.length;) {
    let j = i;
    while (j + 1 < idx.length && x[idx[j + 1]] === x[idx[i]]) j++;
    for (let k = i; k <= j; k++) r[idx[k]] = (i + j) / 2 + 1;
    i = j + 1;
  }
  return r;
}

/**
 * Per-metric figures from the votes and the metric's score per (reference, test) (null = not available).
 * Deterministic: sets are visited in order of first appearance, the bootstrap uses a seeded generator.
 */
export function votesStatistics(
  data: VotesData,
  score: (reference: string, test: string) => number | null,
  higherIsBetter: boolean,
  options: VotesStatsOptions = {},
): VotesMetricStats {
  const bySet = new Map<string, Vote[]>();
  for (const v of data.votes) {
    if (!bySet.has(v.set)) bySet.set(v.set, []);
    bySet.get(v.set)!.push(v);
  }
  const sets: SetData[] = [];
  for (const votes of bySet.values()) {
    const credits = votes.map((v) => {
      const sa = score(v.reference, v.a);
      const sb = score(v.reference, v.b);
      if (sa === null || sb === null || Number.isNaN(sa) || Number.isNaN(sb)) return null;
      const p = prefer(sb, sa, higherIsBetter); // +1: metric prefers b
      return p > 0 ? v.pB : p < 0 ? 1 - v.pB : 0.5;
    });
    // Win-rate per test image (keyed by reference and test), over the votes it took part in.
    const wins = new Map<string, { reference: string; test: string; won: number; n: number }>();
    for (const v of votes) {
      for (const [test, w] of [
        [v.a, 1 - v.pB],
        [v.b, v.pB],
      ] as const) {
        const k = itemKey(v.reference, test);
        const e = wins.get(k) ?? { reference: v.reference, test, won: 0, n: 0 };
        e.won += w;
        e.n++;
        wins.set(k, e);
      }
    }
    const items = [...wins.values()];
    const s = items.map((e) => score(e.reference, e.test));
    let tau: number | null = null;
    if (items.length >= 2 && s.every((x) => x !== null && !Number.isNaN(x))) {
      const oriented = (s as number[]).map((x) => (higherIsBetter ? x : -x));
      const t = krcc(
        ranks(oriented),
        items.map((e) => e.won / e.n),
      );
      tau = Number.isFinite(t) ? t : null;
    }
    sets.push({ credits, tau });
  }
  const summarise = (chosen: readonly SetData[]) => {
    let sum = 0;
    let n = 0;
    let tauSum = 0;
    let tauN = 0;
    for (const s of chosen) {
      for (const c of s.credits) {
        if (c === null) continue;
        sum += c;
        n++;
      }
      if (s.tau !== null) {
        tauSum += s.tau;
        tauN++;
      }
    }
    return { n, tauN, acc: n > 0 ? sum / n : null, tau: tauN > 0 ? tauSum / tauN : null };
  };
  const full = summarise(sets);
  const resamples = options.resamples ?? 1000;
  const seed = options.seed ?? 1;
  let ci: VotesMetricStats['ci'] = null;
  if (resamples > 0 && sets.length >= 2) {
    const rand = seededRandom(seed);
    const accs: number[] = [];
    const taus: number[] = [];
    const pick: SetData[] = new Array(sets.length);
    for (let r = 0; r < resamples; r++) {
      for (let i = 0; i < sets.length; i++) pick[i] = sets[Math.floor(rand() * sets.length)];
      const s = summarise(pick);
      if (s.acc !== null) accs.push(s.acc);
      if (s.tau !== null) taus.push(s.tau);
    }
    const interval = (v: number[]): Interval | null => {
      if (v.length === 0) return null;
      v.sort((p, q) => p - q);
      return [percentile(v, 0.025), percentile(v, 0.975)];
    };
    ci = {
      pairwiseAccuracy: full.acc === null ? null : interval(accs),
      kendallTau: full.tau === null ? null : interval(taus),
      resamples,
      seed,
    };
  }
  return { votes: full.n, setsWithTau: full.tauN, pairwiseAccuracy: full.acc, kendallTau: full.tau, ci };
}

/** Number of distinct sets. */
export function countSets(data: VotesData): number {
  return new Set(data.votes.map((v) => v.set)).size;
}
