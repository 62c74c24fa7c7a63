import type { Command } from 'commander';
import { UsageError } from '../../errors.js';
import { resolvePath, type CliContext } from '../io.js';
import { addMetricOptions, createCliMetric, parseNumber, type MetricCliOptions } from '../options.js';
import { EXIT_BELOW_THRESHOLD } from '../exit-codes.js';
import { createProgress } from '../progress.js';
import { unverifiedWarning } from './weights.js';

interface ScoreCliOptions extends MetricCliOptions {
  json?: boolean;
  failBelow?: number;
  saliencyMaps?: string[];
  referenceSaliency?: string;
  testSaliency?: string;
  progress?: boolean;
}

export function registerScoreCommand(program: Command, ctx: CliContext): void {
  const { io } = ctx;
  const cmd = program
    .command('score')
    .description('score a test image against a reference (higher is better, 1 = identical)')
    .argument('<reference>', 'reference image (PNG, JPEG, WebP, TIFF, BMP, GIF)')
    .argument('<test>', 'test image; may differ in size from the reference')
    .option('--json', 'print one JSON object instead of the bare score')
    .option(
      '--fail-below <score>',
      `exit with code ${EXIT_BELOW_THRESHOLD} when the score is below this (CI gate)`,
      parseNumber('--fail-below', () => true, 'a number'),
    )
    // A variadic option takes every following word, so `--saliency-maps a b ref test` would swallow the positionals:
    // the two single-valued options below are the unambiguous form; --saliency-maps stays for existing scripts.
    .option(
      '--reference-saliency <map>',
      'saliency map image for <reference> (with --test-saliency; enables saliency calibration)',
    )
    .option('--test-saliency <map>', 'saliency map image for <test> (with --reference-saliency)')
    .option(
      '--saliency-maps <maps...>',
      'both saliency maps at once; must come AFTER <reference> <test> (it takes every following word)',
    )
    .option('--no-progress', 'no progress bar or heartbeat lines on stderr (tiled images)');
  addMetricOptions(cmd).action(async (reference: string, test: string, opts: ScoreCliOptions) => {
    if (opts.saliencyMaps && opts.saliencyMaps.length !== 2) {
      throw new UsageError(
        `--saliency-maps takes two files (reference map, test map), got ${opts.saliencyMaps.length}; put it after <reference> <test>, or use --reference-saliency and --test-saliency`,
      );
    }
    if ((opts.referenceSaliency === undefined) !== (opts.testSaliency === undefined)) {
      throw new UsageError('--reference-saliency and --test-saliency go together');
    }
    if (opts.saliencyMaps && opts.referenceSaliency)
      throw new UsageError('give the saliency maps once: --saliency-maps or --reference-saliency/--test-saliency');
    const pairMaps = opts.referenceSaliency ? [opts.referenceSaliency, opts.testSaliency!] : opts.saliencyMaps;
    // A threshold only binarises saliency maps: without maps or GBVS it would be silently ignored.
    if (opts.saliencyThreshold !== undefined && opts.saliency !== 'gbvs' && !pairMaps) {
      throw new UsageError('--saliency-threshold applies only with --saliency gbvs or saliency maps');
    }
    const progress = createProgress(io, { command: 'score', unit: 'tiles', enabled: opts.progress !== false });
    let metric;
    try {
      metric = await createCliMetric(opts, io, progress);
      if (!metric.weightsVerified) io.stderr.write(unverifiedWarning(metric.weightsSource, metric.weightsNote));
      const maps = pairMaps?.map((m) => resolvePath(io, m)) as [string, string] | undefined;
      const score = await metric.score(resolvePath(io, reference), resolvePath(io, test), { saliencyMaps: maps });
      progress.stop();
      const below = opts.failBelow !== undefined && score < opts.failBelow;
      if (opts.json) {
        const out = {
          reference,
          test,
          score,
          variant: metric.variant,
          backbone: metric.backboneName,
          saliency: maps ? 'maps' : (opts.saliency ?? 'none'),
          weights: metric.weightsSource,
          weightsVerified: metric.weightsVerified,
          ...(opts.failBelow !== undefined ? { failBelow: opts.failBelow, pass: !below } : {}),
        };
        io.stdout.write(`${JSON.stringify(out)}\n`);
      } else {
        io.stdout.write(`${score.toFixed(6)}\n`);
      }
      if (below) {
        io.stderr.write(`score ${score.toFixed(6)} is below --fail-below ${opts.failBelow}\n`);
        ctx.exitCode = EXIT_BELOW_THRESHOLD;
      }
    } finally {
      progress.stop();
      await metric?.dispose();
    }
  });
}
