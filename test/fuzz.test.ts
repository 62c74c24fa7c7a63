/**
 * Fixed-seed smoke run of the mutation fuzzer (fuzz/fuzz.ts) over every reader: a few dozen inputs each, in a
 * watched child process. Any defect (non-DeepSSIMError exception), crash, hang or memory outcome fails the test and
 * names the input's reader and message; the full run is `npm run fuzz` (bench/results/fuzz.md).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { READERS } from '../fuzz/readers.js';
import { runFuzz } from '../fuzz/fuzz.js';

test('mutation fuzzing, fixed seed, 30 inputs per reader: every input is accepted or refused with a DeepSSIMError', async () => {
  const summaries = await runFuzz({ perReader: 30, seed: 20261130, timeoutMs: 60_000, rssLimitMb: 1536, heapMb: 1024 });
  const covered = new Set(summaries.map((s) => s.name.split(' ')[0]));
  assert.deepEqual([...covered].sort(), Object.keys(READERS).sort(), 'every reader is fuzzed');
  const failures = summaries.flatMap((s) =>
    s.failures.map((f) => `${s.name}: ${f.outcome} ${f.code ?? ''} ${f.message ?? ''}`),
  );
  assert.deepEqual(failures, []);
  // The mutations must reach past the first checks: some inputs of most readers are still accepted.
  assert.ok(summaries.filter((s) => s.counts.accepted > 0).length >= summaries.length / 2);
});
