/**
 * The test-runner matchers' shared engine (Node: files, snapshots): one DeepSSIM metric per test worker, loaded once,
 * and the two assertions — against a given reference, and against a stored snapshot (first run writes it, update
 * mode rewrites it, CI mode refuses to write a missing one). On failure a three-panel image (reference | received |
 * heatmap) is written next to the snapshot / reference.
 *
 * Defaults (docs/visual-regression.md): MobileNet v1 α = 0.75 (the backbone with genuine weights the local map is
 * validated with) and the thresholds chosen on the tuning pages of the browser corpus (bench/visual-corpus).
 */
import { stat } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import { UsageError } from '../errors.js';
import type { ImageInput } from '../image/types.js';
import { compareInEngine, disposeEngine, loadEngine, writePngInEngine } from './engine.js';
import type { CompareReply, WireConfig } from './engine-protocol.js';

/**
 * Defaults chosen on the corpus's tuning pages (bench/results/visual-regression.md), not on the held-out pages:
 * minLocal 0.98; no global threshold improved on the local one there (the global score collapses at another device
 * scale factor), so minScore 0 — the global score is reported, not gated on, unless the caller sets it.
 */
export const MATCHER_DEFAULTS = {
  backbone: 'mobilenet_v1_0.75',
  minScore: 0,
  minLocal: 0.98,
} as const;

export interface EngineConfig {
  backbone?: string;
  /** Weights file (else DEEPSSIM_MOBILENET_WEIGHTS / DEEPSSIM_WEIGHTS, the cache, a verified download). */
  weights?: string;
  threads?: number;
}

export interface MatchOptions {
  /** Lowest accepted global DeepSSIM score. */
  minScore?: number;
  /** Lowest accepted local-map window (where the images differ most). */
  minLocal?: number;
  /** Where to write the three-panel diff image on failure (default: next to the reference or snapshot). */
  diffPath?: string;
}

export interface SnapshotOptions extends MatchOptions {
  /** Snapshot name (file `<name>.png` in `__image_snapshots__` next to the test file). */
  name?: string;
}

let config: EngineConfig = {};

/** Set the backbone / weights / threads the matchers use in this worker (before the first assertion). */
export function configureDeepSSIM(next: EngineConfig): void {
  config = { ...config, ...next };
}

/** The engine configuration an assertion uses now: configureDeepSSIM, else the environment, else the defaults. */
function engineConfig(): WireConfig {
  const backbone = config.backbone ?? process.env.DEEPSSIM_BACKBONE ?? MATCHER_DEFAULTS.backbone;
  const weights =
    config.weights ??
    (backbone === 'mobilenet_v1_0.75' ? process.env.DEEPSSIM_MOBILENET_WEIGHTS : process.env.DEEPSSIM_WEIGHTS);
  return { backbone, weights, threads: config.threads };
}

/**
 * Load the network now, on the worker thread (optional: the first assertion does it otherwise). Useful in a
 * `beforeAll` with a long timeout, so the first test does not pay the load.
 */
export function preloadDeepSSIM(): Promise<void> {
  return loadEngine(engineConfig());
}

/** Release the worker's engine and stop its thread (optional; it never keeps the process alive). */
export function disposeDeepSSIM(): Promise<void> {
  return disposeEngine();
}

function thresholds(o: MatchOptions): { minScore: number; minLocal: number } {
  const check = (name: 'minScore' | 'minLocal') => {
    const v = o[name];
    if (v === undefined) return MATCHER_DEFAULTS[name];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < -1 || v > 1) {
      throw new UsageError(`Expected a number from -1 to 1 for ${name} but received ${String(v)}`, {
        code: 'INVALID_OPTION',
        option: name,
      });
    }
    return v;
  };
  return { minScore: check('minScore'), minLocal: check('minLocal') };
}

export interface MatchResult {
  pass: boolean;
  message: string;
  /** The global score and the local map's summary, as the worker computed them. */
  map: CompareReply;
  diffPath?: string;
}

function describeInput(x: unknown): string {
  const tag = Object.prototype.toString.call(x);
  return typeof x === 'string'
    ? x
    : tag === '[object URL]'
      ? (x as URL).href
      : ArrayBuffer.isView(x)
        ? `<${x.byteLength}-byte buffer>`
        : x && typeof x === 'object' && 'width' in x && 'height' in x
          ? `<raw ${String(x.width)}×${String(x.height)}>`
          : `<${typeof x}>`;
}

/** Compare (in the engine's worker thread) and, on failure, have it write the three-panel image. */
export async function matchImages(
  received: ImageInput,
  reference: ImageInput,
  options: MatchOptions,
  defaultDiff: string | undefined,
): Promise<MatchResult> {
  const { minScore, minLocal } = thresholds(options);
  const diff = options.diffPath ?? defaultDiff;
  const map = await compareInEngine(engineConfig(), reference, received, { minScore, minLocal }, diff);
  const m = map.minLocation;
  const where = `at x=${m.x} y=${m.y} ${m.width}×${m.height} (reference pixels)`;
  const figures = `score ${map.score.toFixed(4)} (min ${minScore}), minLocal ${map.minLocal.toFixed(4)} (min ${minLocal}) ${where}`;
  const diffPath = map.diffWritten ? diff : undefined;
  const message = map.pass
    ? `expected the image not to match ${describeInput(reference)} by DeepSSIM, but it does: ${figures}`
    : `expected the image to match ${describeInput(reference)} by DeepSSIM: ${figures}${diffPath ? `; diff image (reference | received | map): ${diffPath}` : ''}`;
  return { pass: map.pass, message, map, diffPath };
}

/** Default diff path for a reference given as a file: `<dir>/__diff_output__/<name>-diff.png`. */
export function diffPathFor(reference: ImageInput): string | undefined {
  if (typeof reference !== 'string') return undefined;
  return join(dirname(reference), '__diff_output__', `${basename(reference, extname(reference))}-diff.png`);
}

export interface SnapshotContext {
  /** Absolute path of the test file. */
  testPath: string;
  /** Name of the running test (for default snapshot names). */
  testName: string;
  /** Rewrite snapshots (`-u`, UPDATE_SNAPSHOTS=1). */
  update: boolean;
  /** CI mode: never write a missing snapshot. */
  ci: boolean;
  /** Per-test counter for unnamed snapshots. */
  counter: number;
  /** Where the runner keeps this snapshot (Playwright); default `<test dir>/__image_snapshots__/<name>.png`. */
  snapshotFile?: string;
}

const exists = (p: string) =>
  stat(p).then(
    () => true,
    () => false,
  );

export function snapshotName(ctx: SnapshotContext, name: string | undefined): string {
  const base = name ?? `${ctx.testName} ${ctx.counter}`;
  return (
    base
      .replace(/[^a-zA-Z0-9._-]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 120) || 'snapshot'
  );
}

/** The snapshot flow. `received` is what the test produced. */
export async function matchSnapshot(
  received: ImageInput,
  options: SnapshotOptions,
  ctx: SnapshotContext,
): Promise<MatchResult | { pass: boolean; message: string; written: string }> {
  const name = snapshotName(ctx, options.name);
  const file = ctx.snapshotFile ?? join(dirname(ctx.testPath), '__image_snapshots__', `${name}.png`);
  const dir = dirname(file);
  const present = await exists(file);
  if (!present || ctx.update) {
    if (!present && ctx.ci && !ctx.update) {
      return {
        pass: false,
        message: `snapshot ${file} is missing and CI mode does not write snapshots (run the tests locally, or with -u / UPDATE_SNAPSHOTS=1, and commit it)`,
        written: '',
      };
    }
    await writePngInEngine(received, file);
    return { pass: true, message: `snapshot ${file} ${present ? 'updated' : 'written'}`, written: file };
  }
  return matchImages(received, file, options, options.diffPath ?? join(dir, '__diff_output__', `${name}-diff.png`));
}

/** Whether the environment asks for CI behaviour / snapshot updates. */
export function envFlags(): { ci: boolean; update: boolean } {
  const truthy = (v: string | undefined) => v !== undefined && v !== '' && v !== '0' && v.toLowerCase() !== 'false';
  return { ci: truthy(process.env.CI), update: truthy(process.env.UPDATE_SNAPSHOTS) };
}
