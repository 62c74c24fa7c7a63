/**
 * Verified download: stream to `<dest>.part`, hash with SHA-256 while streaming, rename to `dest` only when the
 * hash matches. On any failure the part file is removed, so `dest` is either absent or complete and verified.
 * Progress goes to an `onProgress` callback; drawing it is the caller's business (the CLI renders a bar).
 */
import { createHash } from 'node:crypto';
import { mkdir, open, rename, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { WeightsError, quote } from '../errors.js';

export interface DownloadOptions {
  /** Expected lower-case hex SHA-256 of the whole file. */
  readonly sha256: string;
  /** Called after every chunk with the bytes received so far and the total (if the server sent Content-Length). */
  readonly onProgress?: (received: number, total: number | undefined) => void;
}

export interface DownloadResult {
  readonly path: string;
  readonly bytes: number;
  readonly sha256: string;
}

function describeCause(e: unknown): string {
  const err = e as Error & { cause?: { code?: string; message?: string } };
  return String(err.cause?.code ?? err.cause?.message ?? err.message ?? e);
}

/**
 * Download `url` to `dest`, verifying its SHA-256. Throws WeightsError WEIGHTS_DOWNLOAD_FAILED on network failure
 * and WEIGHTS_HASH_MISMATCH when the bytes are not the expected ones.
 */
export async function downloadVerified(url: string, dest: string, options: DownloadOptions): Promise<DownloadResult> {
  const expected = options.sha256.toLowerCase();
  const part = `${dest}.part`;
  await mkdir(dirname(dest), { recursive: true });
  const failed = (why: string, cause?: unknown): WeightsError =>
    new WeightsError(`could not download ${url} (${why})`, { code: 'WEIGHTS_DOWNLOAD_FAILED', url, path: dest, cause });

  let response: Response;
  try {
    response = await fetch(url);
  } catch (e) {
    throw failed(`offline? ${quote(describeCause(e))}`, e);
  }
  if (!response.ok || !response.body) {
    await response.body?.cancel().catch(() => undefined);
    throw failed(`HTTP ${response.status} ${quote(response.statusText)}`);
  }
  const lengthHeader = Number(response.headers.get('content-length'));
  const total = Number.isFinite(lengthHeader) && lengthHeader > 0 ? lengthHeader : undefined;

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
      }
    } catch (e) {
      throw failed(`offline? connection lost after ${received} bytes: ${quote(describeCause(e))}`, e);
    }
    await fh.close();
    if (total !== undefined && received !== total) throw failed(`received ${received} of ${total} bytes`);
    const actual = hash.digest('hex');
    if (actual !== expected) {
      throw new WeightsError(
        `SHA-256 mismatch for ${url}: expected ${expected}, got ${actual} (the download was discarded)`,
        {
          code: 'WEIGHTS_HASH_MISMATCH',
          url,
          sha256: expected,
          actual,
        },
      );
    }
    await rename(part, dest);
    ok = true;
    return { path: dest, bytes: received, sha256: actual };
  } finally {
    if (!ok) {
      await fh.close().catch(() => undefined);
      await unlink(part).catch(() => undefined);
    }
  }
}
