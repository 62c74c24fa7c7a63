/**
 * JSON in and out. Parsing untrusted files: the nesting depth is measured by one linear scan *before* JSON.parse, so a
 * deeply nested document is refused instead of overflowing the stack later (JSON.stringify, error messages and
 * any recursive walk of the value are recursive in JavaScript engines).
 */
import { MAX_JSON_DEPTH } from '../limits.js';

export class JsonFailure extends Error {
  constructor(
    readonly kind: 'limit' | 'corrupt',
    message: string,
  ) {
    super(message);
    this.name = 'JsonFailure';
  }
}

/** Deepest `[`/`{` nesting of `text`, counting only brackets outside strings (stops early past `limit`). */
export function jsonDepth(text: string, limit = Infinity): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) {
        max = depth;
        if (max > limit) return max;
      }
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return max;
}

/** JSON.parse with a depth limit; failures are JsonFailure with a one-line message (no input echoed). */
export function parseJsonLimited(text: string, maxDepth = MAX_JSON_DEPTH): unknown {
  if (jsonDepth(text, maxDepth) > maxDepth) {
    throw new JsonFailure('limit', `JSON nested deeper than ${maxDepth} levels (MAX_JSON_DEPTH)`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    // V8's messages quote a slice of the input; keep only the part before it.
    const msg =
      e instanceof Error
        ? e.message
            .split(/[,\n]/)[0]
            .slice(0, 80)
            .replace(/[^\x20-\x7e]/g, '?')
        : 'syntax error';
    throw new JsonFailure('corrupt', `malformed JSON (${msg})`);
  }
}

/**
 * JSON for results that may hold non-finite numbers — one rule for every JSON file and stream deepssim writes
 * (JSON itself has no NaN or infinities):
 * - NaN (an undefined statistic, e.g. a correlation over constant scores) → `null`;
 * - +∞ / −∞ (e.g. PSNR of identical images) → the strings `"Infinity"` / `"-Infinity"`, which `Number()` reads back;
 * - typed arrays → plain arrays.
 */
export function jsonReplacer(_key: string, value: unknown): unknown {
  if (typeof value === 'number' && !Number.isFinite(value)) return Number.isNaN(value) ? null : String(value);
  if (ArrayBuffer.isView(value) && !(value instanceof DataView))
    return Array.from(value as unknown as ArrayLike<number>);
  return value;
}

/** `JSON.stringify` with {@link jsonReplacer}. */
export function toJson(value: unknown, indent?: number): string {
  return JSON.stringify(value, jsonReplacer, indent);
}
