/**
 * Options shared by every command that runs DeepSSIM, parsed and validated once, mapped to library options. Choices
 * and ranges come from the library's constants (variants, saliency modes, backbones and their strides, threads).
 */
import { InvalidArgumentError, type Command } from 'commander';
import { backboneNames, getBackbone } from '../backbones/registry.js';
import {
  createDeepSSIMWith,
  DEFAULT_BACKBONE,
  type DeepSSIM,
  SALIENCY_MODES,
  VARIANTS,
  type SaliencyMode,
  type Variant,
} from '../deepssim.js';
import { UsageError } from '../errors.js';
import { geometry } from '../graph/geometry.js';
import type { MetricFactoryOptions } from '../metrics/registry.js';
import { createNodePlatform } from '../node/platform.js';
import type { Platform } from '../platform.js';
import { MAX_THREADS } from '../validate.js';
import { resolvePath, type CliIO } from './io.js';
import type { Progress } from './progress.js';

export function parseNumber(what: string, check: (v: number) => boolean, rule: string) {
  return (value: string): number => {
    const v = Number(value);
    if (value.trim() === '' || !Number.isFinite(v) || !check(v))
      throw new InvalidArgumentError(`${what} must be ${rule}.`);
    return v;
  };
}

const choices = (values: readonly string[]): string => values.map((x) => `'${x}'`).join(', ');

function oneOf<T extends string>(values: readonly T[]) {
  return (v: string): T => {
    if (!(values as readonly string[]).includes(v))
      throw new InvalidArgumentError(`must be one of ${choices(values)}.`);
    return v as T;
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
      oneOf(VARIANTS),
    )
    .option('--backbone <name>', `feature backbone: ${backboneNames().join(', ')} (default ${DEFAULT_BACKBONE})`)
    .option(
      '--weights <file>',
      'local weights file: .pth/.safetensors for vgg16 (or $DEEPSSIM_WEIGHTS), model.json for mobilenet_v1_0.75',
    )
    .option(
      '--threads <n>',
      'inference threads (default: all cores)',
      parseNumber(
        '--threads',
        (v) => Number.isInteger(v) && v >= 1 && v <= MAX_THREADS,
        `an integer from 1 to ${MAX_THREADS}`,
      ),
    )
    .option(
      '--tile <px>',
      "tile side in pixels for bounded memory, at least the backbone's stride (default: automatic above 1.2 MP)",
      // The backbone is known only after parsing: its stride (the minimum) is checked in tileFor() below.
      (v: string) => parseNumber('--tile', (n) => Number.isInteger(n) && n >= 1, 'a positive integer')(v),
    )
    .option('--no-tile', 'never tile (fastest; memory grows with image size)')
    .option(
      '--saliency <mode>',
      `saliency calibration: ${SALIENCY_MODES.join(' or ')} (gbvs for retargeting-like cases)`,
      oneOf(SALIENCY_MODES),
    )
    .option(
      '--saliency-threshold <t>',
      'binarise saliency maps at map > t (0 ≤ t < 1; default 0 = nonzero after 8-bit quantisation)',
      parseNumber('--saliency-threshold', (v) => v >= 0 && v < 1, 'a number in [0, 1)'),
    )
    .option('--no-download', 'never download weights; fail with instructions instead');
}

/** --tile checked against the chosen backbone's stride (the library constant), in CLI words. */
function tileFor(o: MetricCliOptions): number | false | undefined {
  // commander sets tile=true when only --no-tile's default applies.
  const tile = (o.tile as unknown) === true ? undefined : o.tile;
  if (typeof tile !== 'number') return tile;
  const name = o.backbone ?? DEFAULT_BACKBONE;
  if (!backboneNames().includes(name)) return tile; // the library reports the unknown backbone
  const stride = geometry(getBackbone(name).spec).stride;
  if (tile < stride)
    throw new UsageError(`--tile must be an integer ≥ ${stride} (the ${name} stride, in pixels), got ${tile}`, {
      code: 'INVALID_OPTION',
      option: 'tile',
    });
  return tile;
}

/** The Node platform of a run: the weights lookup reads the run's environment, not the process's. */
export function cliPlatform(io: CliIO): Platform {
  return createNodePlatform({ env: io.env });
}

/** Library options from the parsed flags; weights messages and progress go to the run's stderr. */
export function metricOptions(o: MetricCliOptions, io: CliIO, progress?: Progress): MetricFactoryOptions {
  return {
    variant: o.variant,
    backbone: o.backbone,
    weights: o.weights === undefined || o.weights === '' ? o.weights : resolvePath(io, o.weights),
    threads: o.threads,
    tile: tileFor(o),
    saliency: o.saliency,
    saliencyThreshold: o.saliencyThreshold,
    download: o.download,
    log: (m: string) => void io.stderr.write(`${m}\n`),
    ...(progress ? { onProgress: (e) => progress.onEvent(e) } : {}),
    platform: cliPlatform(io),
  };
}

/** A DeepSSIM metric for a command (Node platform bound to the run's environment); `overrides` win over the flags. */
export function createCliMetric(
  o: MetricCliOptions,
  io: CliIO,
  progress?: Progress,
  overrides: Partial<MetricFactoryOptions> = {},
): Promise<DeepSSIM> {
  const { platform, ...options } = { ...metricOptions(o, io, progress), ...overrides };
  return createDeepSSIMWith(platform ?? cliPlatform(io), options);
}
