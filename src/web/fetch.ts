/// <reference lib="dom" />
/**
 * Weights over the network in a browser: fetch with progress, SHA-256 with SubtleCrypto, and the Cache API so a
 * second visit downloads nothing. Browser-only module (fetch, crypto.subtle, caches); no Node import.
 */
import { quote, WeightsError } from '../errors.js';

/** Name of the Cache API cache that keeps verified weight files. */
export const WEIGHTS_CACHE_NAME = 'deepssim-weights-v1';
/** Response header under which a cached file keeps the SHA-256 it was verified with. */
const SHA_HEADER = 'x-deepssim-sha256';

export interface FetchOptions {
  /** Expected SHA-256 (hex); the bytes are rejected (WEIGHTS_HASH_MISMATCH) when they differ. */
  sha256?: string;
  /** Keep the file in the Cache API (default true where `caches` exists: secure contexts). */
  cache?: boolean;
  /** Bytes of this file received so far, and its size when the server says it. */
  onBytes?: (done: number, total: number | undefined) => void;
  signal?: AbortSignal;
}

export interface FetchedFile {
  bytes: Uint8Array;
  /** SHA-256 (hex) of the bytes. */
  sha256: string;
  /** True when the bytes came from the Cache API without a network request. */
  fromCache: boolean;
  url: string;
}

/** SHA-256 of bytes, lower-case hex (SubtleCrypto: available in secure contexts and workers). */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const subtle = globalThis.crypto?.subtle;
  if (!subtle) {
    throw new WeightsError(
      'SubtleCrypto is unavailable (the page is not a secure context: serve it over https or from localhost)',
      {
        code: 'WEIGHTS_HASH_MISMATCH',
      },
    );
  }
  const digest = await subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

function checkHash(expected: string | undefined, actual: string, url: string): void {
  if (expected !== undefined && expected.toLowerCase() !== actual) {
    throw new WeightsError(`weights ${quote(url)} have SHA-256 ${actual}, expected ${expected.toLowerCase()}`, {
      code: 'WEIGHTS_HASH_MISMATCH',
      url,
      sha256: actual,
      expected: expected.toLowerCase(),
      actual,
    });
  }
}

function cacheStorage(enabled: boolean | undefined): CacheStorage | undefined {
  if (enabled === false) return undefined;
  return typeof caches === 'object' && caches !== null ? caches : undefined;
}

/** Read a response body to bytes, reporting progress. */
async function readBody(
  response: Response,
  onBytes?: (done: number, total: number | undefined) => void,
): Promise<Uint8Array> {
  const header = response.headers.get('content-length');
  const totalBytes = header !== null && /^\d+$/.test(header) ? Number(header) : undefined;
  if (!response.body) return new Uint8Array(await response.arrayBuffer());
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let receivedBytes = 0;
  onBytes?.(receivedBytes, totalBytes);
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    receivedBytes += value.length;
    onBytes?.(receivedBytes, totalBytes);
  }
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(receivedBytes);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/**
 * Get a file by URL: from the Cache API when a verified copy is there (no network request), otherwise fetched,
 * verified (when `sha256` is given) and then cached. A cached copy whose bytes no longer match is dropped and fetched
 * again.
 */
export async function fetchVerified(url: string, options: FetchOptions = {}): Promise<FetchedFile> {
  const absolute = new URL(url, globalThis.location?.href).href;
  const store = cacheStorage(options.cache);
  const cache = store ? await store.open(WEIGHTS_CACHE_NAME) : undefined;
  if (cache) {
    const hit = await cache.match(absolute);
    if (hit) {
      const bytes = new Uint8Array(await hit.arrayBuffer());
      const sha256 = await sha256Hex(bytes);
      const expected = options.sha256?.toLowerCase() ?? hit.headers.get(SHA_HEADER) ?? undefined;
      if (expected === undefined || expected === sha256) {
        options.onBytes?.(bytes.length, bytes.length);
        return { bytes, sha256, fromCache: true, url: absolute };
      }
      await cache.delete(absolute);
    }
  }
  let response: Response;
  try {
    response = await fetch(absolute, { signal: options.signal, cache: 'no-store' });
  } catch (err) {
    throw new WeightsError(`cannot download weights ${quote(absolute)}: ${(err as Error).message}`, {
      code: 'WEIGHTS_DOWNLOAD_FAILED',
      url: absolute,
      cause: err,
    });
  }
  if (!response.ok) {
    throw new WeightsError(`cannot download weights ${quote(absolute)}: HTTP ${response.status}`, {
      code: response.status === 404 ? 'WEIGHTS_NOT_FOUND' : 'WEIGHTS_DOWNLOAD_FAILED',
      url: absolute,
      actual: response.status,
    });
  }
  const bytes = await readBody(response, options.onBytes);
  const sha256 = await sha256Hex(bytes);
  checkHash(options.sha256, sha256, absolute);
  if (cache) {
    const headers = {
      'content-type': 'application/octet-stream',
      'content-length': String(bytes.length),
      [SHA_HEADER]: sha256,
    };
    // A full quota is no reason to fail: the file is verified and in memory; the next visit downloads it again.
    await cache.put(absolute, new Response(bytes as Uint8Array<ArrayBuffer>, { headers })).catch(() => undefined);
  }
  return { bytes, sha256, fromCache: false, url: absolute };
}

/** Verify bytes the caller already has (weights passed as bytes). */
export async function verifyBytes(bytes: Uint8Array, expected: string | undefined, label: string): Promise<string> {
  const sha256 = await sha256Hex(bytes);
  checkHash(expected, sha256, label);
  return sha256;
}

/** Remove every cached weights file (e.g. a "clear cache" button); resolves to whether a cache existed. */
export async function clearWeightsCache(): Promise<boolean> {
  const store = cacheStorage(true);
  return store ? store.delete(WEIGHTS_CACHE_NAME) : false;
}
