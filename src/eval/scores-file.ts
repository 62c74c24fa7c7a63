/**
 * Per-pair scores of an `eval` run as JSON Lines — what a shard writes and `merge` reads. Line 1 is a header (kind,
 * dataset, metrics, options, shard); then one line per scored pair (MOS manifests) or per vote and per scored
 * (reference, test) pair (votes studies), each with its index in the whole dataset. Nothing time-dependent is written,
 * so the file of an unsharded run and the merge of its shards are byte-identical.
 *
 * Self-contained: a shard file carries the subjective data of its pairs (scores, types, votes), so `merge` needs only
 * the shard files, not the dataset.
 */
import { readFile } from 'node:fs/promises';
import { DataError, LimitError, quote } from '../errors.js';
import type { Manifest } from './datasets/types.js';
import type { MetricEvaluation } from './run.js';
import { formatShard, type Shard } from './shard.js';
import type { ItemKey, Vote, VotesData } from './votes.js';
import type { ScoreDirection } from './load.js';

export const SCORES_FORMAT = 'deepssim-eval-scores';
export const SCORES_VERSION = 1;
const MAX_SCORES_BYTES = 1024 * 1024 * 1024;

export interface ScoresHeader {
  format: typeof SCORES_FORMAT;
  version: number;
  kind: 'mos' | 'votes';
  layout: string;
  root: string;
  /** Total pairs (MOS entries, or distinct (reference, test) pairs of a votes study) and votes. */
  pairs: number;
  votes?: number;
  direction?: ScoreDirection;
  metrics: Array<{ name: string; higherIsBetter: boolean }>;
  /** Options that change scores (variant, backbone, saliency…): shards must agree on them. */
  options: Record<string, unknown>;
  shard: string | null;
}

type Scored = Pick<MetricEvaluation, 'name' | 'higherIsBetter' | 'scores' | 'notApplicable' | 'failures'>;

const enc = (v: number | null): number | string | null =>
  v === null ? null : Number.isFinite(v) ? v : Number.isNaN(v) ? 'NaN' : String(v);
const dec = (v: unknown): number | null =>
  v === null
    ? null
    : typeof v === 'number'
      ? v
      : v === 'Infinity'
        ? Infinity
        : v === '-Infinity'
          ? -Infinity
          : v === 'NaN'
            ? NaN
            : null;

/** Per-pair status of every metric: score, "n/a" or a failure message. */
function pairRecord(metrics: readonly Scored[], i: number, na: ReadonlyArray<Set<number>>): Record<string, unknown> {
  const scores: Record<string, unknown> = {};
  const notApplicable: string[] = [];
  const failed: Record<string, string> = {};
  metrics.forEach((m, k) => {
    scores[m.name] = enc(m.scores[i]);
    if (na[k].has(i)) notApplicable.push(m.name);
    const f = m.failures.find((x) => x.index === i);
    if (f) failed[m.name] = f.message;
  });
  return {
    scores,
    ...(notApplicable.length ? { notApplicable } : {}),
    ...(Object.keys(failed).length ? { failed } : {}),
  };
}

function headerLine(h: Omit<ScoresHeader, 'format' | 'version'>): string {
  return JSON.stringify({ format: SCORES_FORMAT, version: SCORES_VERSION, ...h });
}

/** Which items each metric found not applicable: scored items with a null score and no failure. */
function naSets(metrics: readonly Scored[], indices: readonly number[]): Array<Set<number>> {
  return metrics.map((m) => {
    const failed = new Set(m.failures.map((f) => f.index));
    return new Set(indices.filter((i) => m.scores[i] === null && !failed.has(i)));
  });
}

export function mosScoresText(
  manifest: Manifest,
  direction: ScoreDirection,
  metrics: readonly Scored[],
  indices: readonly number[],
  options: Record<string, unknown>,
  shard: Shard | null,
): string {
  const na = naSets(metrics, indices);
  const lines = [
    headerLine({
      kind: 'mos',
      layout: manifest.layout,
      root: manifest.root,
      pairs: manifest.entries.length,
      direction,
      metrics: metrics.map((m) => ({ name: m.name, higherIsBetter: m.higherIsBetter })),
      options,
      shard: shard ? formatShard(shard) : null,
    }),
  ];
  for (const i of [...indices].sort((a, b) => a - b)) {
    const e = manifest.entries[i];
    lines.push(
      JSON.stringify({
        pair: i,
        reference: e.reference,
        distorted: e.distorted,
        score: e.score,
        ...(e.type !== undefined ? { type: e.type } : {}),
        ...pairRecord(metrics, i, na),
      }),
    );
  }
  return lines.join('\n') + '\n';
}

export function votesScoresText(
  data: VotesData,
  items: readonly ItemKey[],
  metrics: readonly Scored[],
  indices: readonly number[],
  options: Record<string, unknown>,
  shard: Shard | null,
): string {
  const na = naSets(metrics, indices);
  const refs = new Set(indices.map((i) => items[i].reference));
  const lines = [
    headerLine({
      kind: 'votes',
      layout: data.layout,
      root: data.root,
      pairs: items.length,
      votes: data.votes.length,
      metrics: metrics.map((m) => ({ name: m.name, higherIsBetter: m.higherIsBetter })),
      options,
      shard: shard ? formatShard(shard) : null,
    }),
  ];
  for (const v of data.votes)
    if (refs.has(v.reference))
      lines.push(JSON.stringify({ vote: v.index, set: v.set, reference: v.reference, a: v.a, b: v.b, pB: v.pB }));
  for (const i of [...indices].sort((a, b) => a - b)) {
    lines.push(
      JSON.stringify({ pair: i, reference: items[i].reference, test: items[i].test, ...pairRecord(metrics, i, na) }),
    );
  }
  return lines.join('\n') + '\n';
}

export interface ScoresFileContent {
  header: ScoresHeader;
  pairs: Array<Record<string, unknown> & { pair: number }>;
  votes: Vote[];
}

/** Read one scores file (validated structurally; values are checked by merge). */
export async function readScoresFile(path: string): Promise<ScoresFileContent> {
  let text: string;
  try {
    const buf = await readFile(path);
    if (buf.length > MAX_SCORES_BYTES)
      throw new LimitError(`scores file ${quote(path)} exceeds ${MAX_SCORES_BYTES} bytes`, {
        path,
        limit: 'MAX_SCORES_BYTES',
      });
    text = buf.toString('utf8');
  } catch (err) {
    if (err instanceof LimitError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new DataError(
      `cannot read ${quote(path)}: ${code === 'EISDIR' ? 'it is a folder' : (code ?? 'read error')}`,
      { code: code === 'ENOENT' ? 'DATA_NOT_FOUND' : 'DATA_INVALID', path, cause: err },
    );
  }
  return parseScoresText(text, path);
}

export function parseScoresText(text: string, path: string): ScoresFileContent {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  const parseLine = (l: string, n: number): Record<string, unknown> => {
    try {
      const v = JSON.parse(l) as unknown;
      if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('not an object');
      return v as Record<string, unknown>;
    } catch {
      throw new DataError(`${quote(path)}, line ${n}: not a JSON object`, { path, row: n });
    }
  };
  if (lines.length === 0) throw new DataError(`${quote(path)} is empty`, { path });
  const header = parseLine(lines[0], 1) as unknown as ScoresHeader;
  if (
    header.format !== SCORES_FORMAT ||
    header.version !== SCORES_VERSION ||
    (header.kind !== 'mos' && header.kind !== 'votes')
  ) {
    throw new DataError(`${quote(path)} is not a deepssim eval scores file (version ${SCORES_VERSION})`, {
      path,
      row: 1,
    });
  }
  const pairs: ScoresFileContent['pairs'] = [];
  const votes: Vote[] = [];
  lines.slice(1).forEach((l, k) => {
    const o = parseLine(l, k + 2);
    if (typeof o.vote === 'number') {
      votes.push({
        index: o.vote,
        set: String(o.set),
        reference: String(o.reference),
        a: String(o.a),
        b: String(o.b),
        pB: Number(o.pB),
      });
    } else if (typeof o.pair === 'number' && Number.isInteger(o.pair) && o.pair >= 0 && o.pair < header.pairs) {
      pairs.push(o as ScoresFileContent['pairs'][number]);
    } else throw new DataError(`${quote(path)}, line ${k + 2}: neither a pair nor a vote record`, { path, row: k + 2 });
  });
  return { header, pairs, votes };
}

/** Metric results (scores, n/a counts, failures) from pair records, for items 0…n−1. */
export function metricsFromRecords(header: ScoresHeader, records: ScoresFileContent['pairs']): Scored[] {
  return header.metrics.map((m) => {
    const scores = new Array<number | null>(header.pairs).fill(null);
    let notApplicable = 0;
    const failures: Array<{ index: number; message: string }> = [];
    for (const r of records) {
      scores[r.pair] = dec((r.scores as Record<string, unknown>)?.[m.name] ?? null);
      if (Array.isArray(r.notApplicable) && r.notApplicable.includes(m.name)) notApplicable++;
      const f = (r.failed as Record<string, string> | undefined)?.[m.name];
      if (f !== undefined) failures.push({ index: r.pair, message: String(f) });
    }
    return { name: m.name, higherIsBetter: m.higherIsBetter, scores, notApplicable, failures };
  });
}
