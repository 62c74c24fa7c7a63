/**
 * What a CLI run talks to: its output streams, environment, working directory and standard input. The bin
 * (src/cli/main.ts) passes the process's; tests pass their own and run commands in-process (src/cli/run.ts).
 * Commands write, read the environment and resolve relative paths only through this.
 */
import { isAbsolute, resolve } from 'node:path';
import type { FullReferenceMetric } from '../metrics/types.js';
import type { MetricFactoryOptions } from '../metrics/registry.js';
import type { RGBImage } from '../image/types.js';

/** A writable text stream: process.stdout/stderr, or anything with `write` (tests). */
export interface CliStream {
  write(text: string): unknown;
  /** A terminal: progress bars and colours (default false). */
  isTTY?: boolean;
  /** Terminal width, for help text and progress bars. */
  columns?: number;
  hasColors?(): boolean;
}

export interface CliIO {
  stdout: CliStream;
  stderr: CliStream;
  /** Environment variables the commands read (weights, cache directory, DEEPSSIM_DEBUG, progress interval, colours). */
  env: Readonly<Record<string, string | undefined>>;
  /**
   * The folder relative paths resolve against. Omitted: the process's working directory (paths are passed on as
   * typed, so messages show them as the user wrote them).
   */
  cwd?: string;
  /** Standard input, for `batch -` and `eval -` (default: nothing to read). */
  stdin?: NodeJS.ReadableStream;
  /** Called with a handler to run on Ctrl+C / SIGTERM (long-running commands such as `demo`); default: none. */
  onInterrupt?(handler: () => void): void;
}

/** Replaceable parts (tests inject small metrics or decoders). */
export interface CliDeps {
  /** Build metrics by registry name (eval; default src/metrics/registry.ts). */
  createMetrics?(names: string[], options: MetricFactoryOptions): Promise<FullReferenceMetric[]>;
  /** Build one metric by registry name (robustness; default: the registry). */
  createMetric?(name: string, options: MetricFactoryOptions): Promise<FullReferenceMetric> | FullReferenceMetric;
  /** Decode an image file (robustness; default: the library decoder). */
  loadImage?(path: string): Promise<RGBImage>;
}

/** The state of one run that commands share: its IO, injected parts, and the exit code a command asks for. */
export interface CliContext {
  readonly io: CliIO;
  readonly deps: CliDeps;
  /** Set by a command that finishes with a non-zero code without throwing (e.g. 3 below --fail-below). */
  exitCode: number;
}

/** The process's own streams, environment and signals (the bin). */
export function nodeIO(): CliIO {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    // A getter: process.stdin is created only when a command reads it (`batch -`, `eval -`).
    get stdin() {
      return process.stdin;
    },
    onInterrupt(handler) {
      process.once('SIGINT', handler);
      process.once('SIGTERM', handler);
    },
  };
}

/** A path from the command line as the commands read it: relative ones against io.cwd when given. */
export function resolvePath(io: CliIO, path: string): string {
  return io.cwd === undefined || isAbsolute(path) ? path : resolve(io.cwd, path);
}

/** The absolute working directory of a run. */
export function workingDir(io: CliIO): string {
  return io.cwd ?? process.cwd();
}

/** Whether a stream should get colours, by the usual conventions (NO_COLOR, FORCE_COLOR, CLICOLOR_FORCE). */
export function useColor(io: CliIO, stream: CliStream): boolean {
  const env = io.env;
  if (env.NO_COLOR || env.FORCE_COLOR === '0' || env.FORCE_COLOR === 'false') return false;
  if (env.FORCE_COLOR || env.CLICOLOR_FORCE !== undefined) return true;
  return stream.isTTY === true && stream.hasColors?.() === true;
}
