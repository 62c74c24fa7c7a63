/**
 * `deepssim robustness <images…>`: run the transform robustness suite over reference images with several metrics and
 * write the Markdown/JSON report and plots into --out. The metric factory is injected by the core CLI so this command
 * does not depend on the registry.
 */
import { basename } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { createMetrics } from '../../metrics/registry.js';
import type { FullReferenceMetric } from '../../metrics/types.js';
import { UsageError } from '../../errors.js';
import { decodeImage } from '../../node/decode.js';
import { formatRobustnessMarkdown, runRobustness, type RobustnessImage } from '../../eval/robustness.js';
import { TRANSFORMS } from '../../eval/transforms.js';
import { createProgress } from '../progress.js';
import { toJson } from '../../util/json.js';
import { resolvePath, type CliContext } from '../io.js';
import { addMetricOptions, metricOptions, parseNumber, type MetricCliOptions } from '../options.js';

interface RobustnessCliOptions extends MetricCliOptions {
  metrics: string[];
  out: string;
  json?: boolean;
  transforms?: string[];
  seed: number;
  progress?: boolean;
}

function parseList(what: string) {
  return (value: string): string[] => {
    const items = value
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
    if (items.length === 0) throw new InvalidArgumentError(`${what} needs at least one name.`);
    if (new Set(items).size !== items.length) throw new InvalidArgumentError(`${what} lists a name twice.`);
    return items;
  };
}

/** Unique display names: the file name, or the path as given when file names collide. */
function imageNames(paths: readonly string[]): string[] {
  const base = paths.map((p) => basename(p));
  return paths.map((p, i) => (base.filter((b) => b === base[i]).length > 1 ? p : base[i]));
}

export function registerRobustnessCommand(program: Command, ctx: CliContext): Command {
  const { io, deps } = ctx;
  const cmd = program
    .command('robustness')
    .description(
      'score reference images against geometric and photometric transforms of themselves; write a Markdown/JSON report and plots',
    )
    .argument('<images...>', 'reference images (any decodable format)')
    .requiredOption('--out <dir>', 'output directory for robustness.md, robustness.json and the SVG/PNG plots')
    .option('--metrics <list>', 'comma-separated metric names', parseList('--metrics'), ['deepssim', 'psnr', 'ssim'])
    .option(
      '--transforms <list>',
      `comma-separated subset of: ${Object.keys(TRANSFORMS).join(', ')}`,
      parseList('--transforms'),
    )
    .option(
      '--seed <n>',
      'base seed of the random transforms',
      parseNumber('--seed', (v) => Number.isInteger(v) && v >= 0, 'a non-negative integer'),
      1,
    )
    .option('--json', 'print the full result as JSON on stdout instead of the Markdown report')
    .option('--no-progress', 'no progress bar (terminal) or heartbeat lines (otherwise) on stderr');
  return addMetricOptions(cmd).action(async (paths: string[], opts: RobustnessCliOptions) => {
    // Validate cheap things before loading weights or images.
    for (const t of opts.transforms ?? []) {
      if (!Object.hasOwn(TRANSFORMS, t)) {
        throw new UsageError(`unknown transform '${t}' (known: ${Object.keys(TRANSFORMS).join(', ')})`);
      }
    }
    const load = deps.loadImage ?? ((p: string) => decodeImage(p));
    const names = imageNames(paths);
    const images: RobustnessImage[] = [];
    for (let i = 0; i < paths.length; i++)
      images.push({ name: names[i], image: await load(resolvePath(io, paths[i])) });

    const progress = createProgress(io, { command: 'robustness', unit: 'pairs', enabled: opts.progress !== false });
    const metrics: FullReferenceMetric[] = [];
    try {
      const options = metricOptions(opts, io, progress);
      for (const name of opts.metrics)
        metrics.push(
          await (deps.createMetric ? deps.createMetric(name, options) : (await createMetrics([name], options))[0]),
        );
      const result = await runRobustness(images, metrics, {
        transforms: opts.transforms,
        seed: opts.seed,
        outDir: resolvePath(io, opts.out),
        onProgress: (done, total, label) => progress.update(done, total, `last: ${label}`),
      });
      progress.stop();
      io.stdout.write(opts.json ? `${toJson(result, 2)}\n` : formatRobustnessMarkdown(result));
      io.stderr.write(`wrote ${Object.values(result.files ?? {}).join(', ')}\n`);
    } finally {
      progress.stop();
      for (const m of metrics) await m.dispose?.();
    }
  });
}
