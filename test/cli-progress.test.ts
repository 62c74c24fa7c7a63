/**
 * Progress on stderr, never stdout (issue 15: a long score ran silently): tiles of a tiled score or diff, pairs of a
 * batch, eval or robustness run. Without a terminal, heartbeat lines at most every DEEPSSIM_PROGRESS_INTERVAL_MS
 * (0 here: every update prints, so no assertion depends on the clock); on a terminal, a bar; --no-progress: nothing.
 */
import assert from 'node:assert/strict';
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import sharp from 'sharp';
import { formatElapsed } from '../src/cli/progress.js';
import { runCli } from './support/cli.js';
import { texture } from './support/texture.js';
import { syntheticWeightFiles } from './support/weights.js';

// Small textured images with tiles of one stride (16 px): 4 × 3 tiles each, 24 for a pair, each run cheap.
let A: string;
let B: string;
const TILE = ['--tile', '16'];
const EVERY_UPDATE = { DEEPSSIM_PROGRESS_INTERVAL_MS: '0' };
const NEVER = { DEEPSSIM_PROGRESS_INTERVAL_MS: String(24 * 3600 * 1000) };
let W: string;
let dir: string;

before(async () => {
  W = (await syntheticWeightFiles()).safetensors;
  dir = await mkdtemp(join(tmpdir(), 'deepssim-progress-'));
  [A, B] = [join(dir, 'a.png'), join(dir, 'b.png')];
  for (const [path, seed] of [
    [A, 1],
    [B, 2],
  ] as const) {
    const t = texture(64, 48, seed);
    await sharp(t.data, { raw: { width: t.width, height: t.height, channels: 3 } })
      .png()
      .toFile(path);
  }
});
after(() => rm(dir, { recursive: true, force: true }));

const beats = (stderr: string, command: string): string[] =>
  stderr.split('\n').filter((l) => l.startsWith(`deepssim: ${command} `));

test('elapsed time reads like a person would write it', () => {
  assert.equal(formatElapsed(0), '0s');
  assert.equal(formatElapsed(45_900), '45s');
  assert.equal(formatElapsed(90_000), '1m 30s');
  assert.equal(formatElapsed(2 * 3600_000 + 5 * 60_000 + 7_000), '2h 5m');
});

describe('score and diff: tiles', () => {
  test('a tiled score reports tiles of both images on stderr; stdout is the bare score', async () => {
    const r = await runCli(['score', A, B, '--weights', W, ...TILE], { env: EVERY_UPDATE });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^0\.\d{6}\n$/);
    const lines = beats(r.stderr, 'score');
    assert.ok(lines.length >= 2, r.stderr);
    // Before the first tile (loading weights), the 1-s timer may say it is running.
    for (const l of lines) assert.match(l, /^deepssim: score (\d+\/\d+ tiles|running), \d+s elapsed$/);
    assert.match(lines.at(-1)!, /^deepssim: score 24\/24 tiles, /);
  });

  test('--no-progress and a long interval print no heartbeat; an untiled score has no tiles to count', async () => {
    const quiet = await runCli(['score', A, B, '--weights', W, ...TILE, '--no-progress'], { env: EVERY_UPDATE });
    assert.equal(quiet.code, 0, quiet.stderr);
    assert.deepEqual(beats(quiet.stderr, 'score'), []);
    const slow = await runCli(['score', A, B, '--weights', W, ...TILE], { env: NEVER });
    assert.deepEqual(beats(slow.stderr, 'score'), []);
    assert.equal(slow.stdout, quiet.stdout);
    // Untiled, nothing is counted: heartbeats (if the run outlasts the 1-s timer) only say it is running.
    const untiled = await runCli(['score', A, B, '--weights', W], { env: EVERY_UPDATE });
    for (const l of beats(untiled.stderr, 'score')) assert.match(l, /^deepssim: score running, \d+s elapsed$/);
  });

  test('on a terminal: a progress bar on stderr, stdout unchanged', async () => {
    const r = await runCli(['score', A, B, '--weights', W, ...TILE], { env: EVERY_UPDATE, stderrTTY: true });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^0\.\d{6}\n$/);
    assert.match(r.stderr, /score \[[^\]]*\] 24\/24 tiles 100%/);
    assert.deepEqual(beats(r.stderr, 'score'), [], 'a bar, not heartbeat lines');
  });

  test('diff reports tiles too; its JSON on stdout stays parseable', async () => {
    const r = await runCli(['diff', A, B, '--backbone', 'vgg16', '--weights', W, ...TILE, '--json'], {
      env: EVERY_UPDATE,
    });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(typeof JSON.parse(r.stdout).minLocal, 'number');
    assert.match(beats(r.stderr, 'diff').at(-1)!, /^deepssim: diff 24\/24 tiles, \d+s elapsed$/);
  });

  test('--tile below the backbone stride is a usage error naming the stride', async () => {
    const r = await runCli(['score', A, B, '--weights', W, '--tile', '8']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^error: --tile must be an integer ≥ 16 \(the vgg16 stride, in pixels\), got 8\n$/);
  });
});

describe('batch and eval: pairs', () => {
  test('batch: one heartbeat per pair, stderr starts with no empty line, stdout is only the CSV', async () => {
    const csv = join(dir, 'pairs.csv');
    await writeFile(csv, `reference,test\n${A},${A}\n${A},${B}\n${B},${join(dir, 'missing.png')}\n`);
    const r = await runCli(['batch', csv, '--weights', W], { env: EVERY_UPDATE });
    assert.equal(r.code, 1, 'one pair fails');
    assert.ok(!r.stderr.startsWith('\n'), JSON.stringify(r.stderr));
    // One line per pair (the 1-s timer may repeat a line while a pair runs).
    const counts = beats(r.stderr, 'batch')
      .map((l) => l.replace(/, \d+s elapsed$/, ''))
      .filter((l) => !l.endsWith(' running'));
    assert.deepEqual(
      counts.filter((l, i) => l !== counts[i - 1]),
      ['deepssim: batch 1/3 pairs', 'deepssim: batch 2/3 pairs', 'deepssim: batch 3/3 pairs'],
    );
    assert.match(r.stderr, /^pair 3 \(line 4\): /m);
    assert.equal(r.stdout.trim().split('\n').length, 4);
    assert.doesNotMatch(r.stdout, /deepssim:/);
    const quiet = await runCli(['batch', csv, '--weights', W, '--no-progress'], { env: EVERY_UPDATE });
    assert.deepEqual(beats(quiet.stderr, 'batch'), []);
    assert.equal(quiet.stdout, r.stdout);
  });

  test('eval: pairs scored, on stderr only', async () => {
    const sub = await mkdtemp(join(dir, 'eval-'));
    for (const [n, f] of [
      ['r.png', A],
      ['t1.png', B],
      ['t2.png', A],
    ])
      await copyFile(f, join(sub, n));
    await writeFile(join(sub, 'm.csv'), 'reference,distorted,mos\nr.png,t1.png,1\nr.png,t2.png,5\nr.png,r.png,5\n');
    const r = await runCli(['eval', join(sub, 'm.csv'), '--metrics', 'psnr', '--json', '--bootstrap', '0'], {
      env: EVERY_UPDATE,
    });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).n, 3);
    assert.match(beats(r.stderr, 'eval').at(-1)!, /^deepssim: eval 3\/3 pairs, \d+s elapsed$/);
  });
});
