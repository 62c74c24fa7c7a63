/**
 * Progress on stderr (never stdout) for the commands that score: the library's events (weights download, tiles of
 * a tiled image, pairs of a batch) and the evaluation harness's callbacks, rendered as
 *  - on a terminal: a cli-progress bar (and a percentage line for a weights download);
 *  - otherwise (CI logs, pipes, nohup): a heartbeat line at most every DEEPSSIM_PROGRESS_INTERVAL_MS milliseconds
 *    (default 30 000), e.g. `deepssim: score 12/40 tiles, 1m 30s elapsed`, also while nothing reports progress;
 *  - nothing with --no-progress.
 */
import cliProgress from 'cli-progress';
import type { ProgressEvent } from '../platform.js';
import type { CliIO, CliStream } from './io.js';

/** Default heartbeat interval without a terminal. */
export const DEFAULT_PROGRESS_INTERVAL_MS = 30_000;
/** The environment variable that overrides it (milliseconds, ≥ 0). */
export const PROGRESS_INTERVAL_ENV = 'DEEPSSIM_PROGRESS_INTERVAL_MS';

export interface Progress {
  /** A library progress event (download; tiles or pairs when they are this renderer's unit). */
  onEvent(event: ProgressEvent): void;
  /** Units done of total (callbacks of the evaluation harness); `detail` is appended to heartbeat lines. */
  update(done: number, total: number, detail?: string): void;
  /** A message line on stderr that does not break a bar. */
  log(line: string): void;
  stop(): void;
}

export interface ProgressOptions {
  /** Command name, the bar's label and the heartbeat's subject (`score`, `batch`, …). */
  command: string;
  /** What is counted: `tiles` (score, diff) or `pairs` (batch, eval, robustness). */
  unit: 'tiles' | 'pairs';
  /** False with --no-progress. */
  enabled: boolean;
}

/** Bytes of a weights download (the library's `download` event, or the weights API's progress). */
export type DownloadProgress = Omit<Extract<ProgressEvent, { kind: 'download' }>, 'kind'>;

function mb(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

/** 45s, 1m 30s, 2h 5m. */
export function formatElapsed(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
}

function intervalMs(io: CliIO): number {
  const raw = io.env[PROGRESS_INTERVAL_ENV];
  const v = raw === undefined || raw.trim() === '' ? NaN : Number(raw);
  return Number.isFinite(v) && v >= 0 ? v : DEFAULT_PROGRESS_INTERVAL_MS;
}

/** A weights download as a percentage line redrawn in place (terminals only; `weights fetch`/`export` and scoring). */
export function downloadRenderer(stream: CliStream): { onProgress: (p: DownloadProgress) => void; end: () => void } {
  if (!stream.isTTY) return { onProgress: () => undefined, end: () => undefined };
  let last = -1;
  let drawn = false;
  return {
    onProgress(p) {
      const pct = p.bytesTotal ? Math.floor((100 * p.bytesDone) / p.bytesTotal) : -1;
      if (pct === last) return;
      last = pct;
      drawn = true;
      const of = p.bytesTotal ? ` of ${mb(p.bytesTotal)} (${pct} %)` : '';
      stream.write(`\r\x1b[2K${p.backbone} weights: ${mb(p.bytesDone)}${of}`);
      // Complete: clear the line so later messages start clean (end() may never be called by a scoring command).
      if (p.bytesTotal !== undefined && p.bytesDone >= p.bytesTotal) {
        stream.write('\r\x1b[2K');
        drawn = false;
      }
    },
    end() {
      if (drawn) stream.write('\r\x1b[2K');
    },
  };
}

export function createProgress(io: CliIO, options: ProgressOptions): Progress {
  const stream = io.stderr;
  if (!options.enabled) {
    return { onEvent() {}, update() {}, log: (line) => void stream.write(`${line}\n`), stop() {} };
  }
  const download = downloadRenderer(stream);
  // Tiles come per image (a score computes the reference and the test concurrently): the totals are summed.
  const parts = new Map<string, { done: number; total: number }>();
  let done = 0;
  let total = 0;
  let detail = '';
  const set = (d: number, t: number): void => {
    done = d;
    total = t;
  };
  const fromEvent = (event: ProgressEvent): boolean => {
    if (event.kind === 'download') {
      download.onProgress(event);
      return false;
    }
    if (event.kind !== options.unit) return false;
    if (event.kind === 'tiles') {
      parts.set(event.image ?? '', { done: event.done, total: event.total });
      let d = 0;
      let t = 0;
      for (const p of parts.values()) {
        d += p.done;
        t += p.total;
      }
      set(d, t);
    } else set(event.done, event.total);
    return true;
  };

  if (stream.isTTY) {
    let bar: cliProgress.SingleBar | undefined;
    const draw = (): void => {
      if (total <= 1) return;
      if (!bar) {
        bar = new cliProgress.SingleBar(
          {
            format: `${options.command} [{bar}] {value}/{total} ${options.unit} {percentage}% | eta {eta_formatted}`,
            stream: stream as unknown as NodeJS.WritableStream,
            hideCursor: true,
            clearOnComplete: false,
          },
          cliProgress.Presets.shades_classic,
        );
        bar.start(total, done);
      } else {
        if (bar.getTotal() !== total) bar.setTotal(total);
        bar.update(done);
      }
    };
    return {
      onEvent: (event) => {
        if (fromEvent(event)) draw();
      },
      update: (d, t) => {
        set(d, t);
        draw();
      },
      // The bar owns the current line: a message starts on the next one.
      log: (line) => void stream.write(`${bar ? '\n' : ''}${line}\n`),
      stop: () => {
        bar?.stop();
        bar = undefined;
        download.end();
      },
    };
  }

  const interval = intervalMs(io);
  const started = performance.now();
  let lastBeat = started;
  const beat = (force = false): void => {
    const now = performance.now();
    if (!force && now - lastBeat < interval) return;
    lastBeat = now;
    const status = total > 0 ? ` ${done}/${total} ${options.unit}` : ' running';
    stream.write(
      `deepssim: ${options.command}${status}, ${formatElapsed(now - started)} elapsed${detail ? ` (${detail})` : ''}\n`,
    );
  };
  // A heartbeat also while nothing reports progress (loading weights, one long untiled image); checked at least
  // every second, so a sub-second interval (tests) only changes how often events print.
  const timer = setInterval(() => beat(), Math.max(interval, 1000));
  timer.unref();
  return {
    onEvent: (event) => {
      if (fromEvent(event)) beat();
    },
    update: (d, t, why) => {
      set(d, t);
      detail = why ?? '';
      beat();
    },
    log: (line) => void stream.write(`${line}\n`),
    stop: () => clearInterval(timer),
  };
}
