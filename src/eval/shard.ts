/**
 * Splitting a run across machines, like Playwright's and Jest's `--shard i/n`: the pairs are grouped by reference
 * image, the distinct references are sorted (as written, a total order independent of the machine), and reference k
 * of that order goes to shard (k mod n) + 1. Every reference is therefore computed by exactly one shard, shards differ
 * by at most one reference, and the split depends only on the list of references — not on the order of the file,
 * the machine, or n's other shards.
 */
import { UsageError, quote } from '../errors.js';

export interface Shard {
  /** 1-based shard index. */
  index: number;
  count: number;
}

/** Parse `i/n` (1 ≤ i ≤ n ≤ 10000). */
export function parseShard(text: string): Shard {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!m || !(count >= 1 && count <= 10000 && index >= 1 && index <= count)) {
    throw new UsageError(`shard must be i/n with 1 ≤ i ≤ n ≤ 10000, got ${quote(text, 40)}`, { option: 'shard' });
  }
  return { index, count };
}

export const formatShard = (s: Shard): string => `${s.index}/${s.count}`;

/** Indices (ascending) of the items whose reference falls into `shard`. */
export function shardIndices(references: readonly string[], shard: Shard): number[] {
  const distinct = [...new Set(references)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const owner = new Map(distinct.map((r, k) => [r, (k % shard.count) + 1]));
  const out: number[] = [];
  references.forEach((r, i) => {
    if (owner.get(r) === shard.index) out.push(i);
  });
  return out;
}
