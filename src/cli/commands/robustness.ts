/**
 * `deepssim robustness <images…>`: run the transform robustness suite over reference images with several metrics and
 * write the Markdown/JSON report and plots into --out. The metric factory is injected by the core CLI so this command
 * does not depend on the registry.
 */
import { basename } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import type { RGBImage } from '../../image/types.js';
import type { FullReferenceMetric } from '../../metrics/types.js';
import { UsageError } from '../../errors.js';
import { decodeImage } from '../../node/decode.js';
import { formatRobustnessMarkdown, runRobustness, type RobustnessImage } from '../../eval/robustness.js';
import { TRANSFORMS } from '../../eval/transforms.js';
import { createProgress } from '../progress.js';
import { toJson } from '../../util/json.js';
import { addMetricOptions, parseNumber, type MetricCliOptions } from '../options.js';

export interface RobustnessCommandDeps {
  /** Build a metric by registry name; `options` are the parsed DeepSSIM options (--weights, --backbone, --variant, …). */
  createMetric(name: string, options: MetricCliOptions): Promise<FullReferenceMetric> | FullReferenceMetric;
  /** Decode an image file (default: the library decoder). */
  loadImage?(path: string): Promise<RGBImage>;
}

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

export function registerRobustnessCommand(program: Command, deps: RobustnessCommandDeps): Command {
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
    .option('--no-progress', 'no progress bar even on a terminal');
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
    for (let i = 0; i < paths.length; i++) images.push({ name: names[i], image: await load(paths[i]) });

    const metrics: FullReferenceMetric[] = [];
    try {
      for (const name of opts.metrics) metrics.push(await deps.createMetric(name, opts));
      let progress: ReturnType<typeof createProgress> | undefined;
      let lastBeat = performance.now();
      const result = await runRobustness(images, metrics, {
        transforms: opts.transforms,
        seed: opts.seed,
        outDir: opts.out,
        onProgress: (done, total, label) => {
          progress ??= opts.progress === false ? { tick() {}, stop() {} } : createProgress(total, 'robustness');
          progress.tick();
          if (done === total) progress.stop();
          // Without a terminal (CI logs, nohup) there is no bar: a heartbeat line at most every 30 s instead.
          if (
            opts.progress !== false &&
            !process.stderr.isTTY &&
            (performance.now() - lastBeat > 30_000 || done === total)
          ) {
            lastBeat = performance.now();
            process.stderr.write(`robustness: ${done}/${total} pairs scored (last: ${label})\n`);
          }
        },
      });
      process.stdout.write(opts.json ? `${toJson(result, 2)}\n` : formatRobustnessMarkdown(result));
      process.stderr.write(`wrote ${Object.values(result.files ?? {}).join(', ')}\n`);
    } finally {
      for (const m of metrics) await m.dispose?.();
    }
  });
}
