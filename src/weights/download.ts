/**
 * Verified download: stream to `<dest>.part`, hash with SHA-256 while streaming, rename to `dest` only when the
 * hash matches. On any failure the part file is removed, so `dest` is either absent or complete and verified.
 */
import { createHash } from 'node:crypto';
import { mkdir, open, rename, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import cliProgress from 'cli-progress';
import { WeightsError } from '../errors.js';

export interface DownloadOptions {
  /** Expected lower-case hex SHA-256 of the whole file. */
  readonly sha256: string;
  /** Called after every chunk with the bytes received so far and the total (if the server sent Content-Length). */
  readonly onProgress?: (received: number, total: number | undefined) => void;
  /** Show a progress bar on stderr (default: when stderr is a TTY). */
  readonly progressBar?: boolean;
}

export interface DownloadResult {
  readonly path: string;
  readonly bytes: number;
  readonly sha256: string;
}

const manualHint = (url: string): string =>
  `Download it yourself from ${url} and pass --weights <file> or set DEEPSSIM_WEIGHTS=<file>, or run \`deepssim weights import <file>\``;

function describeCause(e: unknown): string {
  const err = e as Error & { cause?: { code?: string; message?: string } };
  return err.cause?.code ?? err.cause?.message ?? err.message ?? String(e);
}

/** Download `url` to `dest`, verifying its SHA-256. Throws WeightsError on network failure or hash mismatch. */
export async function downloadVerified(url: string, dest: string, options: DownloadOptions): Promise<DownloadResult> {
  const expected = options.sha256.toLowerCase();
  const part = `${dest}.part`;
  await mkdir(dirname(dest), { recursive: true });

  let response: Response;
  try {
    response = await fetch(url);
  } catch (e) {
    throw new WeightsError(`could not download ${url} (offline? ${describeCause(e)}). ${manualHint(url)}`, { cause: e });
  }
  if (!response.ok || !response.body) {
    await response.body?.cancel().catch(() => undefined);
    throw new WeightsError(`could not download ${url} (HTTP ${response.status} ${response.statusText}). ${manualHint(url)}`);
  }
  const lengthHeader = Number(response.headers.get('content-length'));
  const total = Number.isFinite(lengthHeader) && lengthHeader > 0 ? lengthHeader : undefined;

  const showBar = options.progressBar ?? process.stderr.isTTY === true;
  const bar = showBar
    ? new cliProgress.SingleBar(
        { stream: process.stderr, format: ' {bar} {percentage}% | {value}/{total} MB', hideCursor: true, clearOnComplete: true },
        cliProgress.Presets.shades_classic,
      )
    : undefined;
  const mb = (n: number): number => Math.round(n / 1e5) / 10;
  bar?.start(total !== undefined ? mb(total) : 0, 0);

  const hash = createHash('sha256');
  let received = 0;
  const fh = await open(part, 'w');
  let ok = false;
  try {
    try {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        hash.update(chunk);
        await fh.write(chunk);
        received += chunk.length;
        options.onProgress?.(received, total);
        bar?.update(mb(received));
      }
    } catch (e) {
      throw new WeightsError(`could not download ${url} (offline? connection lost after ${received} bytes: ${describeCause(e)}). ${manualHint(url)}`, { cause: e });
    }
    await fh.close();
    if (total !== undefined && received !== total) {
      throw new WeightsError(`could not download ${url} (received ${received} of ${total} bytes). ${manualHint(url)}`);
    }
    const actual = hash.digest('hex');
    if (actual !== expected) {
      throw new WeightsError(`SHA-256 mismatch for ${url}: expected ${expected}, got ${actual} (the download was discarded)`);
    }
    await rename(part, dest);
    ok = true;
    return { path: dest, bytes: received, sha256: actual };
  } finally {
    bar?.stop();
    if (!ok) {
      await fh.close().catch(() => undefined);
      await unlink(part).catch(() => undefined);
    }
  }
}
