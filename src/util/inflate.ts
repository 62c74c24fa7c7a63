/**
 * DEFLATE / zlib decompression with a hard output cap, platform-neutral (fflate, pure JavaScript). The input is fed
 * in small slices so no single step can produce more than MAX_DEFLATE_RATIO × slice bytes; decompression stops as
 * soon as the output would pass the cap. A decompression bomb therefore costs at most `cap` bytes and the time to
 * produce them, never more.
 */
import { Inflate, Unzlib } from 'fflate';

/** Raised by `inflateCapped`; callers map it to their own error class (WeightsError, DataError, LimitError…). */
export class InflateFailure extends Error {
  constructor(
    readonly kind: 'limit' | 'corrupt',
    message: string,
  ) {
    super(message);
    this.name = 'InflateFailure';
  }
}

const SLICE = 16 * 1024;

export interface InflateOptions {
  /** zlib-wrapped (RFC 1950, MAT-files) instead of raw DEFLATE (RFC 1951, zip entries). */
  readonly zlib?: boolean;
  /** Never produce more than this many bytes. */
  readonly cap: number;
  /** When known (zip entries), the output must be exactly this long (≤ cap); the buffer is allocated once. */
  readonly exact?: number;
}

/** Inflate `data`; throws InflateFailure('limit') past the cap, InflateFailure('corrupt') on a malformed stream. */
export function inflateCapped(data: Uint8Array, options: InflateOptions): Uint8Array {
  const { cap, exact } = options;
  if (exact !== undefined && exact > cap)
    throw new InflateFailure('limit', `declared size ${exact} exceeds the limit of ${cap} bytes`);
  const out = exact !== undefined ? new Uint8Array(exact) : undefined;
  const chunks: Uint8Array[] = [];
  let total = 0;
  let ended = false;
  const onData = (chunk: Uint8Array, final: boolean): void => {
    if (chunk.length > 0) {
      if (ended) throw new InflateFailure('corrupt', 'data after the end of the compressed stream');
      if (total + chunk.length > (exact ?? cap)) {
        throw exact !== undefined && exact <= cap
          ? new InflateFailure('corrupt', `inflates to more than its declared ${exact} bytes`)
          : new InflateFailure('limit', `inflates to more than ${cap} bytes`);
      }
      if (out) out.set(chunk, total);
      else chunks.push(chunk.slice());
      total += chunk.length;
    }
    if (final) ended = true;
  };
  const stream = options.zlib ? new Unzlib(onData) : new Inflate(onData);
  try {
    if (data.length === 0) stream.push(new Uint8Array(0), true);
    for (let i = 0; i < data.length; i += SLICE) {
      if (ended) break;
      const end = Math.min(data.length, i + SLICE);
      stream.push(data.subarray(i, end), end === data.length);
    }
  } catch (e) {
    if (e instanceof InflateFailure) throw e;
    throw new InflateFailure(
      'corrupt',
      `corrupt compressed data (${e instanceof Error ? e.message : 'unknown error'})`,
    );
  }
  if (!ended) throw new InflateFailure('corrupt', 'the compressed stream is truncated');
  if (out) {
    if (total !== exact) throw new InflateFailure('corrupt', `inflates to ${total} bytes, declared ${exact}`);
    return out;
  }
  if (chunks.length === 1) return chunks[0];
  const joined = new Uint8Array(total);
  let o = 0;
  for (const c of chunks) {
    joined.set(c, o);
    o += c.length;
  }
  return joined;
}
