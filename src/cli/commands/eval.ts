/**
 * `deepssim eval <manifest.csv | votes.csv | dataset-dir | ->`: correlate metrics with subjective scores (SRCC, KRCC,
 * PLCC, RMSE with bootstrap CIs), or — for a paired-comparison study — pairwise accuracy and per-set Kendall τ, and
 * optionally write a Markdown/JSON/plot report. With --shard it scores one shard and writes its per-pair scores
 * (--scores) for `deepssim merge`. Metric factories come from the registry unless the caller injects its own.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { UsageError } from '../../errors.js';
import { loadEvalInput, type EvalInput } from '../../eval/load.js';
import { formatMarkdown, summarize, writeReport } from '../../eval/report.js';
import { finishEvaluation, scoreItems, type Evaluation } from '../../eval/run.js';
import { mosScoresText, votesScoresText } from '../../eval/scores-file.js';
import { formatShard, parseShard, shardIndices, type Shard } from '../../eval/shard.js';
import { finishVotesEvaluation, type VotesEvaluation } from '../../eval/votes-run.js';
import { formatVotesMarkdown, votesJsonSummary, writeVotesReport } from '../../eval/votes-report.js';
import { voteItems } from '../../eval/votes.js';
import { createMetrics, metricNames } from '../../metrics/registry.js';
import { writeFileAtomic } from '../../node/atomic-write.js';
import { resolvePath, workingDir, type CliContext, type CliStream } from '../io.js';
import { createProgress } from '../progress.js';
import { addMetricOptions, metricOptions, parseNumber, type MetricCliOptions } from '../options.js';
import { toJson } from '../../util/json.js';

interface EvalCliOptions extends MetricCliOptions {
  metrics: string[];
  lowerBetter?: boolean;
  higherBetter?: boolean;
  json?: boolean;
  out?: string;
  scores?: string;
  shard?: Shard;
  bootstrap: number;
  seed: number;
  concurrency: number;
  progress?: boolean;
}

function parseList(value: string): string[] {
  const items = value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (items.length === 0) throw new InvalidArgumentError('--metrics needs at least one name.');
  if (new Set(items).size !== items.length) throw new InvalidArgumentError('--metrics lists a name twice.');
  return items;
}

/** The options that change scores: shards of one run must agree on them (checked by merge). */
export function scoringOptions(opts: MetricCliOptions & { metrics?: string[] }): Record<string, unknown> {
  return {
    variant: opts.variant ?? null,
    backbone: opts.backbone ?? null,
    saliency: opts.saliency ?? 'none',
    saliencyThreshold: opts.saliencyThreshold ?? null,
    tile: typeof opts.tile === 'number' ? opts.tile : opts.tile === false ? false : null,
  };
}

/** Print an evaluation (Markdown or --json) and write the report; shared with `merge`. */
export async function emitEvaluation(
  ev: { kind: 'mos'; ev: Evaluation } | { kind: 'votes'; ev: VotesEvaluation },
  dataset: string,
  opts: { json?: boolean; out?: string },
  stdout: CliStream,
  stderr: CliStream,
): Promise<void> {
  const title = `Evaluation: ${dataset}`;
  if (ev.kind === 'votes') {
    const files = opts.out ? await writeVotesReport(ev.ev, opts.out, { title }) : undefined;
    if (opts.json) stdout.write(`${toJson({ ...votesJsonSummary(ev.ev, dataset), ...(files ? { files } : {}) })}\n`);
    else stdout.write(formatVotesMarkdown(ev.ev, title));
    if (files) stderr.write(`wrote ${Object.values(files).join(', ')}\n`);
    return;
  }
  const e = ev.ev;
  const files = opts.out ? await writeReport(e, opts.out, { title }) : undefined;
  if (opts.json) {
    const doc = {
      dataset,
      layout: e.layout,
      n: e.n,
      subjectiveHigherIsBetter: e.subjectiveHigherIsBetter,
      direction: e.direction ?? null,
      settings: e.settings ?? null,
      seconds: e.seconds,
      metrics: summarize(e),
      ...(files ? { files } : {}),
    };
    stdout.write(`${toJson(doc)}\n`);
  } else {
    stdout.write(formatMarkdown(e, title));
  }
  if (files) stderr.write(`wrote ${Object.values(files).join(', ')}\n`);
}

export function registerEvalCommand(program: Command, ctx: CliContext): Command {
  const { io, deps } = ctx;
  const cmd = program
    .command('eval')
    .description(
      'correlate metrics with subjective scores (manifest CSV or dataset folder: LIVE, CSIQ, TID2013, KADID-10k), or measure ' +
        'agreement with paired-comparison votes (votes CSV set,reference,a,b,winner, or a BAPPS 2AFC folder)',
    )
    .argument(
      '<dataset>',
      'manifest CSV (reference, distorted|test, score|mos|dmos[, type]), votes CSV (set,reference,a,b,winner), dataset folder, or - for standard input; paths relative to the CSV',
    )
    .option('--metrics <list>', `comma-separated metric names, from: ${metricNames().join(', ')}`, parseList, [
      'psnr',
      'psnr-y',
      'ssim',
      'ms-ssim',
    ])
    .option(
      '--lower-better',
      'the manifest score is DMOS-like (lower = better); mos/dmos columns and dataset folders know their direction',
    )
    .option(
      '--higher-better',
      'the manifest score is MOS-like (higher = better; assumed, with a notice, when nothing says)',
    )
    .option(
      '--json',
      'print one JSON object {dataset, n, metrics: {name: {srcc, krcc, plcc, rmse, n, …}}} on stdout (votes: {votes, sets, ceiling, metrics: {name: {pairwiseAccuracy, kendallTau, ci}}})',
    )
    .option('--out <dir>', 'write eval.md, eval.json, scores.jsonl and plots (SVG, PNG) into this directory')
    .option(
      '--scores <file>',
      'write the per-pair scores (JSON Lines) here; with --shard this is the shard output for deepssim merge',
    )
    .option(
      '--shard <i/n>',
      'score only shard i of n (pairs grouped by reference) and write its --scores; no statistics',
      (v) => parseShard(v),
    )
    .option(
      '--bootstrap <n>',
      'bootstrap resamples for 95 % CIs (0 = none)',
      parseNumber('--bootstrap', (v) => Number.isInteger(v) && v >= 0, 'a non-negative integer'),
      1000,
    )
    .option(
      '--seed <n>',
      'bootstrap seed',
      parseNumber('--seed', (v) => Number.isInteger(v) && v >= 0, 'a non-negative integer'),
      1,
    )
    .option(
      '--concurrency <n>',
      'pairs in flight',
      parseNumber('--concurrency', (v) => Number.isInteger(v) && v >= 1 && v <= 64, 'an integer from 1 to 64'),
      2,
    )
    .option('--no-progress', 'no progress bar (terminal) or heartbeat lines (otherwise) on stderr');
  return addMetricOptions(cmd).action(async (dataset: string, opts: EvalCliOptions) => {
    const { stdout, stderr } = io;
    const out = opts.out === undefined ? undefined : resolvePath(io, opts.out);
    const scoresFile = opts.scores === undefined ? undefined : resolvePath(io, opts.scores);
    if (opts.lowerBetter && opts.higherBetter)
      throw new UsageError('--lower-better and --higher-better contradict each other', { option: 'lowerBetter' });
    if (opts.shard && !opts.scores)
      throw new UsageError('--shard needs --scores <file> (the shard output that deepssim merge combines)', {
        option: 'shard',
      });
    const input: EvalInput = await loadEvalInput(dataset === '-' ? dataset : resolvePath(io, dataset), {
      higherIsBetter: opts.lowerBetter ? false : opts.higherBetter ? true : undefined,
      stdin: io.stdin,
      cwd: workingDir(io),
    });
    if (input.kind === 'mos') {
      stderr.write(`score direction: ${input.direction.description}\n`);
    }
    const progress = createProgress(io, { command: 'eval', unit: 'pairs', enabled: opts.progress !== false });
    const metrics = await (deps.createMetrics ?? createMetrics)(opts.metrics, metricOptions(opts, io, progress)).catch(
      (err: unknown) => {
        progress.stop();
        throw err;
      },
    );
    try {
      const items =
        input.kind === 'mos'
          ? input.manifest.entries.map((e) => ({ reference: e.reference, test: e.distorted }))
          : voteItems(input.data.votes);
      const indices = opts.shard
        ? shardIndices(
            items.map((it) => it.reference),
            opts.shard,
          )
        : undefined;
      const t0 = performance.now();
      const scored = await scoreItems(items, metrics, {
        concurrency: opts.concurrency,
        indices,
        onProgress: (done, total) => progress.update(done, total),
      });
      progress.stop();
      const seconds = (performance.now() - t0) / 1000;
      const all = indices ?? items.map((_, i) => i);
      const options = scoringOptions(opts);
      const scoresText =
        input.kind === 'mos'
          ? mosScoresText(input.manifest, input.direction, scored.metrics, all, options, opts.shard ?? null)
          : votesScoresText(input.data, items, scored.metrics, all, options, opts.shard ?? null);
      if (scoresFile) await writeFileAtomic(scoresFile, scoresText);
      if (opts.shard) {
        stderr.write(
          `shard ${formatShard(opts.shard)}: scored ${all.length} of ${items.length} pairs; wrote ${opts.scores}\n`,
        );
        return;
      }
      if (out) {
        await mkdir(out, { recursive: true });
        await writeFileAtomic(join(out, 'scores.jsonl'), scoresText);
      }
      const resamples = { resamples: opts.bootstrap, seed: opts.seed, seconds };
      if (input.kind === 'mos') {
        const ev = finishEvaluation(input.manifest, scored.metrics, resamples);
        ev.direction = input.direction.description;
        ev.settings = options;
        await emitEvaluation({ kind: 'mos', ev }, dataset, { json: opts.json, out }, stdout, stderr);
        if (
          input.direction.source === 'assumed' &&
          ev.metrics.some((m) => m.stats) &&
          ev.metrics.every((m) => !m.stats || m.stats.srcc < -0.3)
        ) {
          stderr.write(
            'hint: every correlation is negative; if lower scores mean better quality (DMOS), run again with --lower-better\n',
          );
        }
      } else {
        const ev = finishVotesEvaluation(input.data, items, scored.metrics, resamples);
        ev.settings = options;
        await emitEvaluation({ kind: 'votes', ev }, dataset, { json: opts.json, out }, stdout, stderr);
      }
    } finally {
      progress.stop();
      for (const m of metrics) await m.dispose?.();
    }
  });
}
