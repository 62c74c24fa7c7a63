/**
 * `merge`: combine shard outputs into what one unsharded run gives.
 * - eval shards (scores JSONL, scores-file.ts): pairs and votes are united, checked complete and consistent, then the
 *   statistics are computed once on the whole — identical to an unsharded run's, since they depend only on scores.
 * - batch shards (CSV or JSONL with a `pair` column = 1-based index in the full pairs file, and a `shard` column):
 *   rows are put back in the original order and the two bookkeeping columns dropped, giving the unsharded bytes.
 */
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { DataError, quote } from '../errors.js';
import type { Manifest } from './datasets/types.js';
import type { ScoreDirection } from './load.js';
import type { MetricEvaluation } from './run.js';
import { metricsFromRecords, type ScoresFileContent, type ScoresHeader } from './scores-file.js';
import { parseShard } from './shard.js';
import type { ItemKey, VotesData } from './votes.js';

type Scored = Pick<MetricEvaluation, 'name' | 'higherIsBetter' | 'scores' | 'notApplicable' | 'failures'>;

export type MergedEval =
  | { kind: 'mos'; header: ScoresHeader; manifest: Manifest; direction: ScoreDirection; metrics: Scored[] }
  | { kind: 'votes'; header: ScoresHeader; data: VotesData; items: ItemKey[]; metrics: Scored[] };

/** Check that the shard labels of `n` inputs form exactly 1/n … n/n (or a single unsharded input). */
function checkShardSet(labels: Array<string | null>, names: string[]): void {
  if (labels.length === 1 && labels[0] === null) return;
  if (labels.some((l) => l === null))
    throw new DataError(`cannot merge an unsharded output with shards (${names.map((n) => quote(n)).join(', ')})`);
  const shards = labels.map((l) => parseShard(l!));
  const n = shards[0].count;
  if (shards.some((s) => s.count !== n))
    throw new DataError(`the inputs come from different shard counts (${labels.join(', ')})`);
  const seen = new Set<number>();
  shards.forEach((s, k) => {
    if (seen.has(s.index)) throw new DataError(`shard ${s.index}/${n} is given twice (${quote(names[k])})`);
    seen.add(s.index);
  });
  if (seen.size !== n) {
    const missing = Array.from({ length: n }, (_, i) => i + 1).filter((i) => !seen.has(i));
    throw new DataError(`shards missing: ${missing.map((i) => `${i}/${n}`).join(', ')}`);
  }
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** Merge eval score files (see the module comment). */
export function mergeEvalScores(files: ScoresFileContent[], names: string[]): MergedEval {
  if (files.length === 0) throw new DataError('merge needs at least one input');
  const h = files[0].header;
  files.forEach((f, k) => {
    const g = f.header;
    for (const key of ['kind', 'layout', 'root', 'pairs', 'votes', 'metrics', 'options', 'direction'] as const) {
      if (!same(g[key], h[key]))
        throw new DataError(`${quote(names[k])} differs from ${quote(names[0])} in ${key}: not shards of one run`);
    }
  });
  checkShardSet(
    files.map((f) => f.header.shard),
    names,
  );
  const records = files.flatMap((f) => f.pairs);
  const seen = new Set<number>();
  for (const r of records) {
    if (seen.has(r.pair)) throw new DataError(`pair ${r.pair + 1} appears in more than one input`);
    seen.add(r.pair);
  }
  if (seen.size !== h.pairs)
    throw new DataError(`the inputs hold ${seen.size} of ${h.pairs} pairs; a shard is incomplete`);
  records.sort((a, b) => a.pair - b.pair);
  const metrics = metricsFromRecords(h, records);
  if (h.kind === 'mos') {
    const manifest: Manifest = {
      layout: h.layout,
      root: h.root,
      higherIsBetter: h.direction!.higherIsBetter,
      entries: records.map((r) => {
        const e = { reference: String(r.reference), distorted: String(r.distorted), score: Number(r.score) };
        return r.type === undefined ? e : { ...e, type: String(r.type) };
      }),
    };
    return { kind: 'mos', header: h, manifest, direction: h.direction!, metrics };
  }
  const votes = files.flatMap((f) => f.votes).sort((a, b) => a.index - b.index);
  if (votes.length !== h.votes || votes.some((v, i) => v.index !== i)) {
    throw new DataError(`the inputs hold ${votes.length} of ${h.votes} votes, or a vote twice; a shard is incomplete`);
  }
  const items = records.map((r) => ({ reference: String(r.reference), test: String(r.test) }));
  return {
    kind: 'votes',
    header: h,
    data: { layout: h.layout as VotesData['layout'], root: h.root, votes },
    items,
    metrics,
  };
}

// ---- batch ------------------------------------------------------------------------------------------------------

/** Columns a sharded batch adds (and merge removes). */
export const BATCH_PAIR_COLUMN = 'pair';
export const BATCH_SHARD_COLUMN = 'shard';

/** True when the text looks like a batch output (not an eval scores file). */
export function isEvalScoresText(text: string): boolean {
  const first = text.slice(0, 200);
  return first.startsWith('{') && first.includes('"deepssim-eval-scores"');
}

/** Merge batch shard outputs (all CSV or all JSONL) into the unsharded output text. */
export function mergeBatchOutputs(texts: string[], names: string[]): { text: string; format: 'csv' | 'jsonl' } {
  const nonEmpty = texts.map((t, k) => ({ t, k })).filter(({ t }) => t.trim() !== '');
  if (nonEmpty.length === 0) throw new DataError('every input is empty');
  const jsonl = nonEmpty[0].t.trimStart().startsWith('{');
  const rows: Array<{ pair: number; shard: string; record: Record<string, unknown>; from: number }> = [];
  let columns: string[] | undefined;
  const labels: Array<string | null> = texts.map(() => null);
  for (const { t, k } of nonEmpty) {
    if (t.trimStart().startsWith('{') !== jsonl)
      throw new DataError(`${quote(names[k])} is ${jsonl ? 'CSV' : 'JSONL'}, the others are not`);
    let records: Record<string, unknown>[];
    try {
      records = jsonl
        ? t
            .split('\n')
            .filter((l) => l.trim() !== '')
            .map((l) => JSON.parse(l) as Record<string, unknown>)
        : (parse(t, { columns: true, bom: true, skip_empty_lines: true }) as Record<string, string>[]);
    } catch (err) {
      throw new DataError(`cannot parse ${quote(names[k])}: ${quote((err as Error).message)}`, {
        path: names[k],
        cause: err,
      });
    }
    if (!jsonl) {
      const header = parse(t, { to_line: 1, bom: true }) as string[][];
      const cols = header[0] ?? [];
      if (!cols.includes(BATCH_PAIR_COLUMN) || !cols.includes(BATCH_SHARD_COLUMN)) {
        throw new DataError(
          `${quote(names[k])} has no ${BATCH_PAIR_COLUMN}/${BATCH_SHARD_COLUMN} columns: not the output of batch --shard`,
          { path: names[k] },
        );
      }
      const kept = cols.filter((c) => c !== BATCH_PAIR_COLUMN && c !== BATCH_SHARD_COLUMN);
      if (columns && !same(columns, kept))
        throw new DataError(`${quote(names[k])} has other columns than ${quote(names[nonEmpty[0].k])}`);
      columns = kept;
    }
    for (const r of records) {
      const pair = Number(r[BATCH_PAIR_COLUMN]);
      const shard = String(r[BATCH_SHARD_COLUMN] ?? '');
      if (!Number.isInteger(pair) || pair < 1 || shard === '') {
        throw new DataError(
          `${quote(names[k])} has a row without a valid ${BATCH_PAIR_COLUMN}/${BATCH_SHARD_COLUMN}: not the output of batch --shard`,
          { path: names[k] },
        );
      }
      if (labels[k] !== null && labels[k] !== shard)
        throw new DataError(`${quote(names[k])} mixes shards ${labels[k]} and ${shard}`);
      labels[k] = shard;
      const { [BATCH_PAIR_COLUMN]: _p, [BATCH_SHARD_COLUMN]: _s, ...record } = r;
      rows.push({ pair, shard, record, from: k });
    }
  }
  // Empty inputs are shards that got no reference; they count towards n.
  const named = labels.filter((l): l is string => l !== null);
  const n = parseShard(named[0]).count;
  const indices = new Set(named.map((l) => parseShard(l).index));
  if (named.some((l) => parseShard(l).count !== n)) throw new DataError(`the inputs come from different shard counts`);
  if (indices.size !== named.length) throw new DataError('a shard is given twice');
  if (texts.length !== n) throw new DataError(`${texts.length} inputs for ${n} shards`);
  rows.sort((a, b) => a.pair - b.pair);
  rows.forEach((r, i) => {
    if (r.pair !== i + 1)
      throw new DataError(r.pair <= i ? `pair ${r.pair} appears twice` : `pair ${i + 1} is missing`);
  });
  if (jsonl) return { text: rows.map((r) => JSON.stringify(r.record)).join('\n') + '\n', format: 'jsonl' };
  return {
    text: stringify(
      rows.map((r) => r.record),
      { header: true, columns },
    ),
    format: 'csv',
  };
}
