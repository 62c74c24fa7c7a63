import { dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import { stringify } from 'csv-stringify/sync';
import { scorePairs } from '../../node/index.js';
import { UsageError } from '../../errors.js';
import { BATCH_PAIR_COLUMN, BATCH_SHARD_COLUMN } from '../../eval/merge.js';
import { readPairsFile } from '../../eval/pairs-csv.js';
import { formatShard, parseShard, shardIndices, type Shard } from '../../eval/shard.js';
import { writeFileAtomic } from '../../node/atomic-write.js';
import { createProgress } from '../progress.js';
import { EXIT_BELOW_THRESHOLD, EXIT_RUNTIME } from '../exit-codes.js';
import { resolvePath, workingDir, type CliContext } from '../io.js';
import { addMetricOptions, createCliMetric, parseNumber, type MetricCliOptions } from '../options.js';
import { unverifiedWarning } from './weights.js';

interface BatchCliOptions extends MetricCliOptions {
  out?: string;
  format?: 'csv' | 'jsonl';
  progress?: boolean;
  profile?: boolean;
  failBelow?: number;
  shard?: Shard;
}

export function registerBatchCommand(program: Command, ctx: CliContext): void {
  const { io } = ctx;
  const cmd = program
    .command('batch')
    .description(
      'score many pairs from a CSV (columns reference,test; others passed through); each reference is computed once',
    )
    .argument(
      '<pairs.csv>',
      'CSV with a header (case-insensitive; , ; or tab) with reference and test (alias distorted), optional reference_saliency,test_saliency; paths relative to the CSV; - reads standard input',
    )
    .option('-o, --out <file>', 'write results here (atomically) instead of stdout')
    .option('--format <fmt>', 'csv or jsonl (default: from --out extension, else csv)')
    .option(
      '--fail-below <score>',
      `exit with code ${EXIT_BELOW_THRESHOLD} when any score is below this (CI gate)`,
      parseNumber('--fail-below', () => true, 'a number'),
    )
    .option(
      '--shard <i/n>',
      'score only shard i of n (pairs grouped by reference); combine the outputs with deepssim merge',
      (v) => parseShard(v),
    )
    .option('--no-progress', 'no progress bar (terminal) or heartbeat lines (otherwise) on stderr')
    .option('--profile', 'print throughput and the share of time inside/outside inference on stderr');
  addMetricOptions(cmd).action(async (file: string, opts: BatchCliOptions) => {
    const format = opts.format ?? (opts.out?.endsWith('.jsonl') || opts.out?.endsWith('.json') ? 'jsonl' : 'csv');
    if (format !== 'csv' && format !== 'jsonl') throw new UsageError(`--format must be csv or jsonl, got '${format}'`);
    const path = file === '-' ? file : resolvePath(io, file);
    const { table, pairs: all } = await readPairsFile({ path, stdin: io.stdin, cwd: workingDir(io) });
    const baseDir = file === '-' ? workingDir(io) : dirname(resolve(workingDir(io), path));
    const shard = opts.shard;
    const pairs = shard
      ? shardIndices(
          all.map((p) => resolve(baseDir, p.reference)),
          shard,
        ).map((i) => all[i])
      : all;
    const started = performance.now();
    const progress = createProgress(io, { command: 'batch', unit: 'pairs', enabled: opts.progress !== false });
    let metric;
    try {
      metric = await createCliMetric(opts, io, progress);
    } catch (err) {
      progress.stop();
      throw err;
    }
    if (!metric.weightsVerified) io.stderr.write(unverifiedWarning(metric.weightsSource, metric.weightsNote));
    const results: Record<string, string | number | boolean | null>[] = [];
    let failed = 0;
    let below = 0;
    let stats: ReturnType<typeof metric.stats>;
    const saliency = opts.saliency ?? 'none';
    try {
      for await (const r of scorePairs(metric, pairs, { baseDir, onProgress: (e) => progress.onEvent(e) })) {
        const p = r.pair;
        const mode = p.referenceSaliency || p.testSaliency ? 'maps' : saliency;
        results.push({
          ...(shard ? { [BATCH_PAIR_COLUMN]: p.index + 1, [BATCH_SHARD_COLUMN]: formatShard(shard) } : {}),
          ...p.columns,
          score: r.score ?? null,
          variant: metric.variant,
          backbone: metric.backboneName,
          saliency: mode,
          saliency_threshold: mode === 'none' ? null : (opts.saliencyThreshold ?? 0),
          ...(format === 'jsonl' ? { weightsVerified: metric.weightsVerified } : {}),
          error: r.error ?? '',
        });
        if (r.error) {
          failed++;
          // On a terminal the progress bar owns the current line; elsewhere messages start at column 0.
          progress.log(`pair ${p.index + 1} (line ${p.line}): ${r.error}`);
        } else if (opts.failBelow !== undefined && r.score! < opts.failBelow) below++;
      }
    } finally {
      progress.stop();
      stats = metric.stats();
      await metric.dispose();
    }
    const columns = [
      ...(shard ? [BATCH_PAIR_COLUMN, BATCH_SHARD_COLUMN] : []),
      ...table.columns,
      'score',
      'variant',
      'backbone',
      'saliency',
      'saliency_threshold',
      'error',
    ];
    const text =
      format === 'csv'
        ? stringify(results, { header: true, columns, cast: { number: (v) => String(v) } })
        : results.map((r) => JSON.stringify(r)).join('\n') + (results.length ? '\n' : '');
    if (opts.out) await writeFileAtomic(resolvePath(io, opts.out), text);
    else io.stdout.write(text);
    if (opts.profile) {
      const wall = performance.now() - started;
      const { runs, inferenceMs } = stats;
      const share = (ms: number) => `${((100 * ms) / wall).toFixed(1)} %`;
      io.stderr.write(
        `profile: ${pairs.length} pairs in ${(wall / 1000).toFixed(2)} s (${((1000 * pairs.length) / wall).toFixed(2)} pairs/s), ` +
          `${runs} network runs; inference ${(inferenceMs / 1000).toFixed(2)} s (${share(inferenceMs)}), ` +
          `outside inference ${((wall - inferenceMs) / 1000).toFixed(2)} s (${share(wall - inferenceMs)})\n`,
      );
    }
    if (shard) io.stderr.write(`shard ${formatShard(shard)}: ${pairs.length} of ${all.length} pairs\n`);
    if (failed > 0) {
      io.stderr.write(`${failed} of ${pairs.length} pairs failed (see the error column)\n`);
      ctx.exitCode = EXIT_RUNTIME;
    } else if (below > 0) {
      io.stderr.write(`${below} of ${pairs.length} pairs scored below --fail-below ${opts.failBelow}\n`);
      ctx.exitCode = EXIT_BELOW_THRESHOLD;
    }
  });
}
