/**
 * `deepssim merge <shard outputs…> [-o out]`: combine the outputs of `batch --shard` (CSV/JSONL; -o is a file) or
 * `eval --shard --scores` (scores JSONL; -o is a report folder) into the result of one unsharded run.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Command } from 'commander';
import { DataError, UsageError, quote } from '../../errors.js';
import { isEvalScoresText, mergeBatchOutputs, mergeEvalScores } from '../../eval/merge.js';
import { finishEvaluation } from '../../eval/run.js';
import { mosScoresText, parseScoresText, votesScoresText } from '../../eval/scores-file.js';
import { finishVotesEvaluation } from '../../eval/votes-run.js';
import { writeFileAtomic } from '../../node/atomic-write.js';
import { resolvePath, type CliContext } from '../io.js';
import { parseNumber } from '../options.js';
import { emitEvaluation } from './eval.js';

interface MergeCliOptions {
  out?: string;
  json?: boolean;
  bootstrap: number;
  seed: number;
}

async function readText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new DataError(
      `cannot read shard output ${quote(path)}: ${code === 'EISDIR' ? 'it is a folder' : code === 'ENOENT' ? 'no such file' : (code ?? 'read error')}`,
      {
        code: code === 'ENOENT' ? 'DATA_NOT_FOUND' : 'DATA_INVALID',
        path,
        cause: err,
      },
    );
  }
}

export function registerMergeCommand(program: Command, { io }: CliContext): Command {
  return program
    .command('merge')
    .description('combine the outputs of batch --shard or eval --shard into the result of one unsharded run')
    .argument('<outputs...>', 'every shard output (1/n … n/n), in any order')
    .option(
      '-o, --out <path>',
      'batch: the merged CSV/JSONL file (default stdout); eval: the report folder (eval.md, eval.json, scores.jsonl, plots)',
    )
    .option('--json', 'eval: print the JSON summary instead of Markdown')
    .option(
      '--bootstrap <n>',
      'eval: bootstrap resamples for 95 % CIs (0 = none)',
      parseNumber('--bootstrap', (v) => Number.isInteger(v) && v >= 0, 'a non-negative integer'),
      1000,
    )
    .option(
      '--seed <n>',
      'eval: bootstrap seed',
      parseNumber('--seed', (v) => Number.isInteger(v) && v >= 0, 'a non-negative integer'),
      1,
    )
    .action(async (paths: string[], opts: MergeCliOptions) => {
      const { stdout, stderr } = io;
      const out = opts.out === undefined ? undefined : resolvePath(io, opts.out);
      const texts = await Promise.all(paths.map((p) => readText(resolvePath(io, p))));
      const evalKinds = texts.map(isEvalScoresText);
      if (evalKinds.some((k) => k !== evalKinds[0]) && texts.some((t) => t.trim() !== '')) {
        throw new UsageError('merge inputs mix eval scores files and batch outputs');
      }
      if (!evalKinds[0]) {
        const merged = mergeBatchOutputs(texts, paths);
        if (out) await writeFileAtomic(out, merged.text);
        else stdout.write(merged.text);
        return;
      }
      const m = mergeEvalScores(
        texts.map((t, k) => parseScoresText(t, paths[k])),
        paths,
      );
      const all = m.metrics[0]?.scores.map((_, i) => i) ?? [];
      const stats = { resamples: opts.bootstrap, seed: opts.seed };
      const scoresText =
        m.kind === 'mos'
          ? mosScoresText(m.manifest, m.direction, m.metrics, all, m.header.options, null)
          : votesScoresText(m.data, m.items, m.metrics, all, m.header.options, null);
      if (out) {
        await mkdir(out, { recursive: true });
        await writeFileAtomic(join(out, 'scores.jsonl'), scoresText);
      }
      const scored = m.metrics.map((x) => ({ ...x, nonFinite: 0, stats: null, perType: [], scoringSeconds: 0 }));
      const dataset = m.header.root;
      if (m.kind === 'mos') {
        const ev = finishEvaluation(m.manifest, scored, stats);
        ev.direction = m.direction.description;
        ev.settings = m.header.options;
        await emitEvaluation({ kind: 'mos', ev }, dataset, { json: opts.json, out }, stdout, stderr);
      } else {
        const ev = finishVotesEvaluation(m.data, m.items, scored, stats);
        ev.settings = m.header.options;
        await emitEvaluation({ kind: 'votes', ev }, dataset, { json: opts.json, out }, stdout, stderr);
      }
    });
}
