/**
 * `deepssim eval <manifest.csv | dataset-dir>`: correlate metrics with subjective scores (SRCC, KRCC, PLCC, RMSE
 * with bootstrap CIs) and optionally write a Markdown/JSON/plot report. Metric factories come from the registry
 * unless the caller injects its own.
 */
import { InvalidArgumentError, type Command } from 'commander';
import { loadDataset } from '../../eval/datasets/index.js';
import { formatMarkdown, summarize, writeReport } from '../../eval/report.js';
import { evaluate } from '../../eval/run.js';
import { createMetrics, type MetricFactoryOptions } from '../../metrics/registry.js';
import type { FullReferenceMetric } from '../../metrics/types.js';
import { createProgress, type Progress } from '../../util/progress.js';
import { addMetricOptions, parseNumber, type MetricCliOptions } from '../options.js';

export interface EvalCommandDeps {
  /** Build metrics by name (default: src/metrics/registry.ts). */
  createMetrics?(names: string[], options: MetricFactoryOptions): Promise<FullReferenceMetric[]>;
  /** Where to print (default process.stdout / process.stderr). */
  stdout?: NodeJS.WritableStream;
  stderr?: NodeJS.WriteStream;
}

interface EvalCliOptions extends MetricCliOptions {
  metrics: string[];
  lowerBetter?: boolean;
  json?: boolean;
  out?: string;
  bootstrap: number;
  seed: number;
  concurrency: number;
  progress?: boolean;
}

function parseList(value: string): string[] {
  const items = value.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (items.length === 0) throw new InvalidArgumentError('--metrics needs at least one name.');
  if (new Set(items).size !== items.length) throw new InvalidArgumentError('--metrics lists a name twice.');
  return items;
}

function jsonSafe(_key: string, v: unknown): unknown {
  return typeof v === 'number' && !Number.isFinite(v) ? (Number.isNaN(v) ? null : String(v)) : v;
}

export function registerEvalCommand(program: Command, deps: EvalCommandDeps = {}): Command {
  const cmd = program
    .command('eval')
    .description('correlate metrics with subjective scores on a manifest CSV or a dataset folder (LIVE, CSIQ, TID2013, KADID-10k)')
    .argument('<dataset>', 'manifest CSV (reference,distorted,score[,type]; paths relative to it) or dataset root folder')
    .option('--metrics <list>', 'comma-separated metric names', parseList, ['psnr', 'psnr-y', 'ssim', 'ms-ssim'])
    .option('--lower-better', 'the manifest score is DMOS-like (lower = better); dataset folders know their direction')
    .option('--json', 'print one JSON object {dataset, n, metrics: {name: {srcc, krcc, plcc, rmse, n, …}}} on stdout')
    .option('--out <dir>', 'write eval.md, eval.json and scatter plots (SVG, PNG) into this directory')
    .option('--bootstrap <n>', 'bootstrap resamples for 95 % CIs (0 = none)', parseNumber('--bootstrap', (v) => Number.isInteger(v) && v >= 0, 'a non-negative integer'), 1000)
    .option('--seed <n>', 'bootstrap seed', parseNumber('--seed', (v) => Number.isInteger(v) && v >= 0, 'a non-negative integer'), 1)
    .option('--concurrency <n>', 'pairs in flight', parseNumber('--concurrency', (v) => Number.isInteger(v) && v >= 1 && v <= 64, 'an integer from 1 to 64'), 2)
    .option('--no-progress', 'no progress bar even on a terminal');
  return addMetricOptions(cmd).action(async (dataset: string, opts: EvalCliOptions) => {
    const stdout = deps.stdout ?? process.stdout;
    const stderr = deps.stderr ?? process.stderr;
    const manifest = await loadDataset(dataset, { higherIsBetter: !opts.lowerBetter });
    const metrics = await (deps.createMetrics ?? createMetrics)(opts.metrics, opts as unknown as MetricFactoryOptions);
    try {
      let progress: Progress | undefined;
      const ev = await evaluate(manifest, metrics, {
        concurrency: opts.concurrency,
        resamples: opts.bootstrap,
        seed: opts.seed,
        onProgress: (done, total) => {
          progress ??= opts.progress === false ? { tick() {}, stop() {} } : createProgress(total, 'eval', stderr);
          progress.tick();
          if (done === total) progress.stop();
        },
      });
      const files = opts.out ? await writeReport(ev, opts.out, { title: `Evaluation: ${dataset}` }) : undefined;
      if (opts.json) {
        const doc = {
          dataset,
          layout: ev.layout,
          n: ev.n,
          subjectiveHigherIsBetter: ev.subjectiveHigherIsBetter,
          seconds: ev.seconds,
          metrics: summarize(ev),
          ...(files ? { files } : {}),
        };
        stdout.write(`${JSON.stringify(doc, jsonSafe)}\n`);
      } else {
        stdout.write(formatMarkdown(ev, `Evaluation: ${dataset}`));
      }
      if (files) stderr.write(`wrote ${Object.values(files).join(', ')}\n`);
    } finally {
      for (const m of metrics) await m.dispose?.();
    }
  });
}
