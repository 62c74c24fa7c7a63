/**
 * Options shared by every command that runs DeepSSIM, parsed and validated once, mapped to library options.
 */
import { InvalidArgumentError, type Command } from 'commander';
import { VARIANTS, type DeepSSIMOptions, type SaliencyMode, type Variant } from '../deepssim.js';
import type { WeightsProgress } from '../node/weights-api.js';
import type { ProgressEvent } from '../platform.js';
import { progressRenderer } from './commands/weights.js';

export function parseNumber(what: string, check: (v: number) => boolean, rule: string) {
  return (value: string): number => {
    const v = Number(value);
    if (value.trim() === '' || !Number.isFinite(v) || !check(v))
      throw new InvalidArgumentError(`${what} must be ${rule}.`);
    return v;
  };
}

export interface MetricCliOptions {
  variant?: Variant;
  backbone?: string;
  weights?: string;
  threads?: number;
  tile?: number | false;
  saliency?: SaliencyMode;
  saliencyThreshold?: number;
  download?: boolean;
}

/** Add --variant, --backbone, --weights, --threads, --tile/--no-tile, --saliency, --saliency-threshold, --no-download. */
export function addMetricOptions(cmd: Command): Command {
  return cmd
    .option(
      '--variant <name>',
      'full (published metric), lite (normalised Gram, one window) or full-normalized (full with Gram ÷ h·w; extension, not in the paper)',
      (v) => {
        if (!(VARIANTS as readonly string[]).includes(v))
          throw new InvalidArgumentError(`must be one of ${VARIANTS.map((x) => `'${x}'`).join(', ')}.`);
        return v;
      },
    )
    .option('--backbone <name>', 'feature backbone (default vgg16)')
    .option(
      '--weights <file>',
      'local weights file: .pth/.safetensors for vgg16 (or $DEEPSSIM_WEIGHTS), model.json for mobilenet_v1_0.75',
    )
    .option(
      '--threads <n>',
      'inference threads (default: all cores)',
      parseNumber('--threads', (v) => Number.isInteger(v) && v >= 1 && v <= 256, 'an integer from 1 to 256'),
    )
    .option(
      '--tile <px>',
      'tile side in pixels for bounded memory (default: automatic above 1.2 MP)',
      parseNumber('--tile', (v) => Number.isInteger(v) && v >= 16, 'an integer ≥ 16'),
    )
    .option('--no-tile', 'never tile (fastest; memory grows with image size)')
    .option('--saliency <mode>', 'saliency calibration: none or gbvs (for retargeting-like cases)', (v) => {
      if (v !== 'none' && v !== 'gbvs') throw new InvalidArgumentError("must be 'none' or 'gbvs'.");
      return v;
    })
    .option(
      '--saliency-threshold <t>',
      'binarise saliency maps at map > t (0 ≤ t < 1; default 0 = nonzero after 8-bit quantisation)',
      parseNumber('--saliency-threshold', (v) => v >= 0 && v < 1, 'a number in [0, 1)'),
    )
    .option('--no-download', 'never download weights; fail with instructions instead');
}

/** Route the library's download events to a weights-progress renderer (other events are rendered by each command). */
function downloadProgress(render: (p: WeightsProgress) => void): (event: ProgressEvent) => void {
  return (event) => {
    if (event.kind === 'download') render(event);
  };
}

export function metricOptions(o: MetricCliOptions): DeepSSIMOptions {
  return {
    variant: o.variant,
    backbone: o.backbone,
    weights: o.weights,
    threads: o.threads,
    // commander sets tile=true when only --no-tile's default applies.
    tile: (o.tile as unknown) === true ? undefined : o.tile,
    saliency: o.saliency,
    saliencyThreshold: o.saliencyThreshold,
    download: o.download,
    log: (m: string) => process.stderr.write(`${m}\n`),
    onProgress: downloadProgress(progressRenderer().onProgress),
  };
}
