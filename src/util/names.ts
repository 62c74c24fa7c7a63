import { quote } from '../errors.js';

/**
 * A name from an untrusted file (tensor, storage, global, shard path) for an error message: as it is when it is
 * short and made of ordinary identifier/path characters (so messages stay readable and greppable), otherwise
 * through `quote()` (escaped, at most 200 characters, in double quotes).
 */
/** A shape from an untrusted file for a message: `[2,-3]` when it is a short list of numbers, else its type. */
export function shapeOf(v: unknown): string {
  if (Array.isArray(v) && v.length <= 16 && v.every((d) => typeof d === 'number')) return `[${v.join(',')}]`;
  return v === null ? 'null' : Array.isArray(v) ? `a list of ${v.length} items` : typeof v;
}

export function nameOf(text: string): string {
  return text.length <= 200 && /^[\w.\-/+:<>@, ]+$/.test(text) ? text : quote(text);
}
