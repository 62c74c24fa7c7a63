/**
 * Issue 12, point 2: the matchers' engine and snapshot flow, in-process with a Jest/Vitest-shaped matcher context
 * (the real runners in fresh projects: `npm run test:matchers`, test/matchers-runners.test.ts). Genuine MobileNet weights.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import sharp from 'sharp';
import { decodeImage } from '../src/index.js';
import type { RGBImage } from '../src/image/types.js';
import { configureDeepSSIM, disposeDeepSSIM, matchImages } from '../src/matchers/core.js';
import { deepssimMatchers } from '../src/matchers/expect.js';
import { UsageError } from '../src/errors.js';
import { cropImage, replacePatch } from './support/edits.js';
import { SHARED } from './support/paths.js';

const MODEL_JSON = join(SHARED, 'weights', 'mobilenet_v1_0.75_224', 'model.json');
const SKIP = existsSync(MODEL_JSON)
  ? false
  : `genuine MobileNet weights absent (${MODEL_JSON}); skipping the matcher tests`;

describe('deepssim matchers (in-process, Jest/Vitest matcher context)', { skip: SKIP }, () => {
  let dir: string;
  let ref: RGBImage;
  let shifted: Buffer;
  let changed: Buffer;
  const png = (img: RGBImage) =>
    sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } })
      .png()
      .toBuffer();
  const savedEnv = { CI: process.env.CI, UPDATE_SNAPSHOTS: process.env.UPDATE_SNAPSHOTS };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'deepssim-matchers-'));
    configureDeepSSIM({ weights: MODEL_JSON, threads: 2 });
    const full = await decodeImage(join(SHARED, 'images', 'kodak', 'kodim23.png'));
    ref = cropImage(full, 8, 8, 512, 384);
    shifted = await png(cropImage(full, 10, 9, 512, 384));
    const donor = await decodeImage(join(SHARED, 'images', 'kodak', 'kodim05.png'));
    changed = await png(replacePatch(ref, { x: 200, y: 150, width: 64, height: 64 }, donor, 300, 200));
    await writeFile(join(dir, 'ref.png'), await png(ref));
    delete process.env.CI;
    delete process.env.UPDATE_SNAPSHOTS;
  });
  after(async () => {
    await disposeDeepSSIM();
    await rm(dir, { recursive: true, force: true });
    for (const [k, v] of Object.entries(savedEnv))
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
  });

  const ctx = (name: string, mode?: 'all' | 'new' | 'none') => ({
    testPath: join(dir, 'page.test.ts'),
    currentTestName: name,
    snapshotState: { _updateSnapshot: mode },
  });

  test('toMatchDeepSSIM: a 2-px shift passes; a replaced patch fails with score, minLocal, where, and a diff image', async () => {
    const ok = await deepssimMatchers.toMatchDeepSSIM.call(ctx('a'), shifted, join(dir, 'ref.png'));
    assert.equal(ok.pass, true, ok.message());
    const bad = await deepssimMatchers.toMatchDeepSSIM.call(ctx('a'), changed, join(dir, 'ref.png'));
    assert.equal(bad.pass, false);
    assert.match(
      bad.message(),
      /score 0\.\d{4} \(min [\d.]+\), minLocal 0\.\d{4} \(min [\d.]+\) at x=\d+ y=\d+ \d+×\d+/,
    );
    const diff = join(dir, '__diff_output__', 'ref-diff.png');
    assert.ok(bad.message().includes(diff));
    const meta = await sharp(await readFile(diff)).metadata();
    assert.deepEqual([meta.width, meta.height], [3 * 512 + 16, 384]);
    // Raw pixels and explicit thresholds.
    const rawRef = { data: ref.data, width: ref.width, height: ref.height, channels: 3 as const };
    const lenient = await deepssimMatchers.toMatchDeepSSIM.call(ctx('a'), changed, rawRef, {
      minScore: 0.5,
      minLocal: 0.5,
    });
    assert.equal(lenient.pass, true, lenient.message());
    await assert.rejects(
      deepssimMatchers.toMatchDeepSSIM.call(ctx('a'), changed, rawRef, { minLocal: 2 }),
      (e: unknown) => e instanceof UsageError && e.code === 'INVALID_OPTION',
    );
  });

  test('snapshot flow: first run writes, later runs compare, update rewrites, CI refuses to write a missing one', async () => {
    const first = await deepssimMatchers.toMatchDeepSSIMSnapshot.call(ctx('home', 'new'), await png(ref), {
      name: 'home',
    });
    assert.equal(first.pass, true);
    const file = join(dir, '__image_snapshots__', 'home.png');
    const written = (await stat(file)).mtimeMs;
    assert.equal(
      (await deepssimMatchers.toMatchDeepSSIMSnapshot.call(ctx('home', 'new'), shifted, { name: 'home' })).pass,
      true,
    );
    const fail = await deepssimMatchers.toMatchDeepSSIMSnapshot.call(ctx('home', 'new'), changed, { name: 'home' });
    assert.equal(fail.pass, false);
    assert.ok(existsSync(join(dir, '__image_snapshots__', '__diff_output__', 'home-diff.png')), fail.message());
    // -u (the runner's update mode) and UPDATE_SNAPSHOTS=1 rewrite it.
    assert.equal(
      (await deepssimMatchers.toMatchDeepSSIMSnapshot.call(ctx('home', 'all'), changed, { name: 'home' })).pass,
      true,
    );
    assert.ok((await stat(file)).mtimeMs >= written);
    assert.equal(
      (await deepssimMatchers.toMatchDeepSSIMSnapshot.call(ctx('home', 'new'), changed, { name: 'home' })).pass,
      true,
    );
    process.env.UPDATE_SNAPSHOTS = '1';
    assert.equal(
      (await deepssimMatchers.toMatchDeepSSIMSnapshot.call(ctx('home', 'new'), await png(ref), { name: 'home' })).pass,
      true,
    );
    delete process.env.UPDATE_SNAPSHOTS;
    assert.equal(
      (await deepssimMatchers.toMatchDeepSSIMSnapshot.call(ctx('home', 'new'), changed, { name: 'home' })).pass,
      false,
    );
    // CI: a missing snapshot fails and nothing is written (env CI, or the runner's --ci mode).
    process.env.CI = 'true';
    const ci = await deepssimMatchers.toMatchDeepSSIMSnapshot.call(ctx('other', 'new'), shifted, { name: 'other' });
    delete process.env.CI;
    assert.equal(ci.pass, false);
    assert.match(ci.message(), /missing and CI mode does not write/);
    assert.equal(existsSync(join(dir, '__image_snapshots__', 'other.png')), false);
    const ciMode = await deepssimMatchers.toMatchDeepSSIMSnapshot.call(ctx('other', 'none'), shifted, {
      name: 'other',
    });
    assert.equal(ciMode.pass, false);
    // Unnamed snapshots get the test name and a counter.
    assert.equal(
      (await deepssimMatchers.toMatchDeepSSIMSnapshot.call(ctx('my page / wide', 'new'), shifted)).pass,
      true,
    );
    assert.ok(existsSync(join(dir, '__image_snapshots__', 'my-page-wide-1.png')));
  });

  test('one engine per worker: loaded once on its thread, reused by every assertion, inputs from any realm', async () => {
    const first = await matchImages(shifted, join(dir, 'ref.png'), {}, undefined);
    const second = await matchImages(changed, join(dir, 'ref.png'), {}, undefined);
    assert.equal(first.map.loads, 1);
    assert.equal(second.map.loads, 1);
    // Typed arrays of another realm (what Jest's vm context hands the matcher) are accepted: only copies cross.
    const { runInNewContext } = await import('node:vm');
    const foreign = runInNewContext('(n) => new Uint8Array(n)', {}) as (n: number) => Uint8Array;
    const bytes = foreign(shifted.length);
    bytes.set(shifted);
    assert.equal(bytes instanceof Uint8Array, false);
    const r = await matchImages(bytes, join(dir, 'ref.png'), {}, undefined);
    assert.equal(r.pass, true, r.message);
    assert.equal(r.map.loads, 1);
    assert.equal(bytes.length, shifted.length, 'the caller keeps its bytes (a copy was transferred)');
    await assert.rejects(
      matchImages(42 as never, join(dir, 'ref.png'), {}, undefined),
      (e: unknown) => e instanceof UsageError && /file path/.test(e.message),
    );
    // After dispose the next assertion starts a new engine.
    await disposeDeepSSIM();
    assert.equal((await matchImages(shifted, join(dir, 'ref.png'), {}, undefined)).map.loads, 1);
  });
});
