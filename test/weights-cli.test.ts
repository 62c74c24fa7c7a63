/**
 * The weights rough edges and the quality gate, through the CLI (run in-process; each run checks several
 * things): wrong-format hints, unverified weights flagged in JSON and in one stderr line, a NaN weight and a tampered
 * cache failing `--fail-below` with exit 1, `weights import | export | info` for every backbone.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, open, readFile, readdir, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { MOBILENET_V1_075_WEIGHTS } from '../src/backbones/mobilenet-v1.js';
import { VGG16_WEIGHTS } from '../src/backbones/vgg16.js';
import { writeSafetensors } from '../src/node/read-weights-file.js';
import type { WeightMap } from '../src/weights/types.js';
import { syntheticVgg16Weights } from '../tools/synthetic-weights.js';
import { runCli, type CliResult } from './support/cli.js';
import { SHARED, SHARED_SKIP, fixture } from './support/paths.js';
import { syntheticWeightFiles, type SyntheticWeightFiles } from './support/weights.js';

const A = fixture('images', 'scene_a.png');
const B = fixture('images', 'scene_b.png');
const MODEL_DIR = join(SHARED, 'weights', 'mobilenet_v1_0.75_224');
let dir: string;
let syn: SyntheticWeightFiles;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'deepssim-weights-cli-'));
  syn = await syntheticWeightFiles();
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

const env = (cache: string): NodeJS.ProcessEnv => ({
  DEEPSSIM_CACHE_DIR: cache,
  DEEPSSIM_WEIGHTS: '',
  DEEPSSIM_MOBILENET_WEIGHTS: '',
});
const lines = (s: string): string[] => s.split('\n').filter((l) => l.trim() !== '');

/** Exit 1 with exactly one stderr line (after an optional unverified-weights warning), nothing on stdout. */
function failsWithOneLine(r: CliResult, pattern: RegExp): void {
  assert.equal(r.code, 1, `exit code (stderr: ${r.stderr})`);
  const errs = lines(r.stderr).filter((l) => !l.startsWith('warning: the weights '));
  assert.equal(errs.length, 1, r.stderr);
  assert.match(errs[0], /^error: /);
  assert.match(errs[0], pattern);
  assert.equal(r.stdout, '');
}

describe('wrong weights for the backbone', () => {
  test(
    'a TF.js model.json (or its folder) without --backbone: says what it is and suggests the backbone',
    { skip: SHARED_SKIP },
    async () => {
      const r = await runCli(['score', A, B, '--weights', join(MODEL_DIR, 'model.json')], { env: env(dir) });
      failsWithOneLine(r, /is a TensorFlow\.js layers model .*; did you mean --backbone mobilenet_v1_0\.75\?$/);
      const f = await runCli(['score', A, B, '--weights', MODEL_DIR], { env: env(dir) });
      failsWithOneLine(f, /did you mean --backbone mobilenet_v1_0\.75\?$/);
    },
  );

  test('MobileNet with a VGG16 safetensors: no raw bytes, suggests vgg16', async () => {
    const r = await runCli(['score', A, B, '--backbone', 'mobilenet_v1_0.75', '--weights', syn.safetensors], {
      env: env(dir),
    });
    failsWithOneLine(
      r,
      /is a PyTorch \(\.pth\) or safetensors weights file, but backbone 'mobilenet_v1_0\.75' reads .*; did you mean --backbone vgg16\?$/,
    );
    // eslint-disable-next-line no-control-regex
    assert.doesNotMatch(r.stderr, /[\u0000-\u0008\u000e-\u001f\ufffd]/);
  });
});

describe('the quality gate never passes on broken weights', () => {
  test('a NaN weight: WEIGHTS_NOT_FINITE naming the tensor, exit 1 under --fail-below', async () => {
    const w: WeightMap = new Map(syntheticVgg16Weights(11));
    const t = w.get('features.0.weight')!;
    const data = Float32Array.from(t.data);
    data[0] = Number.NaN;
    w.set('features.0.weight', { shape: t.shape, data });
    const p = join(dir, 'nan.safetensors');
    await writeSafetensors(p, w);
    const r = await runCli(['score', A, A, '--weights', p, '--fail-below', '0.5', '--json'], { env: env(dir) });
    failsWithOneLine(r, /tensor "features\.0\.weight" holds a non-finite value \(NaN\)/);
  });

  test('import (unverified, flagged) → default runs warn and report weightsVerified: false → a zeroed conv1_1 fails the gate', async () => {
    const cache = await mkdtemp(join(dir, 'cache-'));
    const imp = await runCli(['weights', 'import', syn.safetensors], { env: env(cache) });
    assert.equal(imp.code, 0, imp.stderr);
    assert.match(imp.stderr, /^warning: .*is not the official vgg16 weights file .*cached as unverified/);
    assert.match(imp.stdout, new RegExp(`${VGG16_WEIGHTS.unverifiedCacheName} \\(vgg16, unverified, 40\\.0 MB\\)`));
    assert.deepEqual(
      (await readdir(cache)).filter((f) => f === VGG16_WEIGHTS.cacheName),
      [],
      'never under the official name',
    );

    const ok = await runCli(['score', A, B, '--json', '--no-download'], { env: env(cache) });
    assert.equal(ok.code, 0, ok.stderr);
    const o = JSON.parse(ok.stdout);
    assert.equal(o.weightsVerified, false);
    assert.ok(Number.isFinite(o.score));
    assert.equal(lines(ok.stderr).length, 1, ok.stderr);
    assert.match(
      ok.stderr,
      /^warning: the weights .*vgg16-relu5_1\.unverified\.safetensors are not verified \(imported from .*\); scores are not the published metric's/,
    );

    // Zero conv1_1 in the cached file (the issue's tamper): the score would become 1.0; instead the cache check fails.
    const file = join(cache, VGG16_WEIGHTS.unverifiedCacheName);
    const bytes = await readFile(file);
    const headerLen = Number(bytes.readBigUInt64LE(0));
    const [b0, e0] = JSON.parse(bytes.subarray(8, 8 + headerLen).toString('utf8'))['features.0.weight']
      .data_offsets as number[];
    const fh = await open(file, 'r+');
    await fh.write(Buffer.alloc(e0 - b0), 0, e0 - b0, 8 + headerLen + b0);
    await fh.close();
    const later = new Date(Date.now() + 5000);
    await utimes(file, later, later);
    const bad = await runCli(['score', A, B, '--no-download', '--fail-below', '0.5'], { env: env(cache) });
    failsWithOneLine(bad, /were changed since they were written .*; run `deepssim weights info`/);

    const info = await runCli(['weights', 'info'], { env: env(cache) });
    assert.equal(info.code, 0, info.stderr);
    assert.match(info.stdout, /vgg16: .* \(40\.0 MB, unverified, INTEGRITY CHECK FAILED: /);
    assert.match(
      info.stdout,
      /mobilenet_v1_0\.75: not cached \(run `deepssim weights fetch --backbone mobilenet_v1_0\.75`/,
    );
  });

  test(
    'genuine MobileNet imported into the cache: verified; an overwritten shard fails the gate with exit 1',
    { skip: SHARED_SKIP },
    async () => {
      const cache = await mkdtemp(join(dir, 'cache-'));
      const imp = await runCli(['weights', 'import', MODEL_DIR], { env: env(cache) });
      assert.equal(imp.code, 0, imp.stderr);
      assert.equal(imp.stderr, '');
      assert.match(imp.stdout, /mobilenet_v1_0\.75_224 \(mobilenet_v1_0\.75, verified, 10\.5 MB\)/);
      const ok = await runCli(['score', A, B, '--backbone', 'mobilenet_v1_0.75', '--json', '--no-download'], {
        env: env(cache),
      });
      assert.equal(ok.code, 0, ok.stderr);
      assert.equal(ok.stderr, '', 'no warning for the genuine weights');
      assert.equal(JSON.parse(ok.stdout).weightsVerified, true);

      const shard = join(cache, MOBILENET_V1_075_WEIGHTS.cacheName, 'group11-shard1of1');
      await writeFile(shard, randomBytes((await stat(shard)).size));
      const later = new Date(Date.now() + 5000);
      await utimes(shard, later, later);
      const bad = await runCli(
        ['score', A, B, '--backbone', 'mobilenet_v1_0.75', '--no-download', '--fail-below', '0.1'],
        { env: env(cache) },
      );
      failsWithOneLine(bad, /group11-shard1of1" were changed since they were written/);
    },
  );
});

describe('weights export', () => {
  test('two exports are byte-identical; unverified sources are said so; MobileNet has nothing to export', async () => {
    const cache = await mkdtemp(join(dir, 'cache-'));
    const out1 = join(dir, 'e1.safetensors');
    const out2 = join(dir, 'e2.safetensors');
    const r1 = await runCli(['weights', 'export', '-o', out1, '--weights', syn.pthLegacy], { env: env(cache) });
    const r2 = await runCli(['weights', 'export', '-o', out2, '--weights', syn.pthZip], { env: env(cache) });
    assert.equal(r1.code, 0, r1.stderr);
    assert.equal(r2.code, 0, r2.stderr);
    assert.ok((await readFile(out1)).equals(await readFile(out2)));
    assert.match(r1.stdout, /e1\.safetensors 40\.0 MB sha256 [0-9a-f]{64}\n$/);
    assert.equal(r1.stdout.split(' sha256 ')[1], r2.stdout.split(' sha256 ')[1]);
    assert.match(r1.stderr, /^warning: the weights .* are not verified/);
    const mn = await runCli(
      ['weights', 'export', '-o', join(dir, 'mn.safetensors'), '--backbone', 'mobilenet_v1_0.75'],
      { env: env(cache) },
    );
    assert.equal(mn.code, 2, mn.stderr);
    assert.match(mn.stderr, /^error: backbone 'mobilenet_v1_0\.75' has nothing to export/);
  });
});
