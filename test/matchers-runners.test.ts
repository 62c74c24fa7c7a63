/**
 * Issue 12, point 2, as a user meets it: the packed tarball installed into a fresh temporary project with Vitest,
 * Jest and @playwright/test (the versions in our package-lock, so they come from the npm cache), a small test per
 * runner written there with exactly the configuration docs/visual-regression.md gives, and each runner run from that
 * project: benign images pass; a regression fails with the global score, minLocal and where in the message and
 * writes the three-panel diff; the snapshot flow (first run writes, CI refuses to write a missing one, the runner's
 * update mode rewrites it). Jest also runs with --detectOpenHandles (the engine's worker thread must not show).
 *
 * Slow (an npm install, three runners, a browser), so it runs as `npm run test:matchers` (.ci/run calls it after
 * `npm run test:install`) and skips inside `npm test`; DEEPSSIM_TEST_MATCHERS=1 runs it directly. Needs the genuine
 * MobileNet weights and Kodak images in ../shared, and a Chromium (CHROMIUM_PATH or chromium on PATH) for Playwright.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import sharp from 'sharp';
import { decodeImage } from '../src/index.js';
import type { RGBImage } from '../src/image/types.js';
import { CHROMIUM } from './browser/support.js';
import { cropImage, replacePatch } from './support/edits.js';
import { ROOT, SHARED } from './support/paths.js';

const MODEL = join(SHARED, 'weights', 'mobilenet_v1_0.75_224', 'model.json');
const KODAK = join(SHARED, 'images', 'kodak');
const ENABLED = process.env.npm_lifecycle_event === 'test:matchers' || process.env.DEEPSSIM_TEST_MATCHERS === '1';
const SKIP = !ENABLED
  ? 'slow: runs with `npm run test:matchers` (or DEEPSSIM_TEST_MATCHERS=1)'
  : !existsSync(join(ROOT, 'dist', 'index.js'))
    ? 'dist/ is not built (run `npm run build`)'
    : !existsSync(MODEL) || !existsSync(join(KODAK, 'kodim23.png'))
      ? `genuine MobileNet weights or Kodak images absent (expected ${MODEL} and ${KODAK}); skipping the runner tests`
      : false;
if (SKIP && ENABLED) console.log(`# ${SKIP}`);

const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as {
  packages: Record<string, { version: string }>;
};
const pinned = (name: string) => `${name}@${lock.packages[`node_modules/${name}`].version}`;

let dir: string;
let project: string;

/** The environment of a run from the fresh project: no inherited CI / update flags, the genuine weights. */
function env(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const e: NodeJS.ProcessEnv = { ...process.env, DEEPSSIM_MOBILENET_WEIGHTS: MODEL, FORCE_COLOR: '0', NO_COLOR: '1' };
  for (const k of ['CI', 'UPDATE_SNAPSHOTS', 'NODE_OPTIONS', 'npm_lifecycle_event', 'NODE_TEST_CONTEXT']) delete e[k];
  return { ...e, ...extra };
}

function run(cmd: string, args: string[], extra: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(cmd, args, { cwd: project, encoding: 'utf8', env: env(extra), timeout: 15 * 60_000 });
  const out = `${r.stdout ?? ''}\n${r.stderr ?? ''}`;
  return { status: r.status, out, tail: out.slice(-4000) };
}

const png = (img: RGBImage) =>
  sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } })
    .png()
    .toBuffer();

function write(rel: string, text: string) {
  const file = join(project, rel);
  mkdirSync(join(file, '..'), { recursive: true });
  writeFileSync(file, text);
}

/** The failure message the matchers print: global score, minLocal, and where (reference pixels). */
const FAILURE = /score \d\.\d{4} \(min [\d.]+\), minLocal -?\d\.\d{4} \(min [\d.]+\) at x=\d+ y=\d+ \d+×\d+/;

before(async () => {
  if (SKIP) return;
  dir = mkdtempSync(join(tmpdir(), 'deepssim-runners-'));
  project = join(dir, 'project');
  mkdirSync(project);
  writeFileSync(
    join(project, 'package.json'),
    JSON.stringify({ name: 'consumer', version: '1.0.0', private: true, type: 'module' }, null, 2),
  );
  const pack = spawnSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  assert.equal(pack.status, 0, pack.stderr);
  const tarball = join(dir, (JSON.parse(pack.stdout) as { filename: string }[])[0].filename);
  // The README's user install (CPU only), the runners at our lockfile's versions, from the npm cache when possible.
  const install = run(
    'npm',
    [
      'install',
      '--prefer-offline',
      '--no-audit',
      '--no-fund',
      tarball,
      pinned('vitest'),
      pinned('jest'),
      pinned('@playwright/test'),
    ],
    { ONNXRUNTIME_NODE_INSTALL: 'skip', PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: '1' },
  );
  assert.equal(install.status, 0, `npm install failed:\n${install.tail}`);

  // Fixtures: a 512×384 Kodak crop; the same crop shifted by 2 px (benign); a 64-px patch replaced (a regression).
  const full = await decodeImage(join(KODAK, 'kodim23.png'));
  const ref = cropImage(full, 8, 8, 512, 384);
  const donor = await decodeImage(join(KODAK, 'kodim05.png'));
  mkdirSync(join(project, 'fixtures'));
  writeFileSync(join(project, 'fixtures', 'ref.png'), await png(ref));
  writeFileSync(join(project, 'fixtures', 'shifted.png'), await png(cropImage(full, 10, 9, 512, 384)));
  writeFileSync(
    join(project, 'fixtures', 'changed.png'),
    await png(replacePatch(ref, { x: 200, y: 150, width: 64, height: 64 }, donor, 300, 200)),
  );

  // The same three tests for Vitest and Jest (the matchers are the same; only the set-up differs).
  // ENGINE_LOG: each test file appends the engine thread's id (read from the matchers' process-wide registry, an
  // internal) so the Jest run can check that its two test files shared one engine.
  const common = `
import { appendFileSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import workerThreads from 'node:worker_threads';
const fixture = (name) => fileURLToPath(new URL('../fixtures/' + name, import.meta.url));
afterAll(() => {
  const engine = workerThreads[Symbol.for('deepssim.matchers.engine')];
  if (process.env.ENGINE_LOG) appendFileSync(process.env.ENGINE_LOG, (engine ? engine.worker.threadId : 'none') + '\\n');
});
`;
  const body = (runner: string) => `${common}
test('${runner}: benign drift passes', async () => {
  await expect(fixture('shifted.png')).toMatchDeepSSIM(fixture('ref.png'));
  await expect(readFileSync(fixture('ref.png'))).toMatchDeepSSIM(fixture('ref.png'), { minScore: 0.99, minLocal: 0.99 });
});

test('${runner}: snapshot', async () => {
  await expect(readFileSync(fixture(process.env.SNAPSHOT_IMAGE ?? 'ref.png'))).toMatchDeepSSIMSnapshot({ name: 'home' });
});

test('${runner}: regression', async () => {
  if (!process.env.RUN_REGRESSION) return;
  await expect(fixture('changed.png')).toMatchDeepSSIM(fixture('ref.png'));
});
`;
  write(
    'vitest.config.js',
    `import { defineConfig } from 'vitest/config';
export default defineConfig({
  test: { include: ['vitest/**/*.test.js'], setupFiles: ['deepssim/vitest'], testTimeout: 120_000 },
});
`,
  );
  write('vitest/images.test.js', `import { afterAll, test, expect } from 'vitest';\n${body('vitest')}`);
  write(
    'jest.config.js',
    `export default {
  testMatch: ['**/jest/**/*.test.js'],
  transform: {},
  setupFilesAfterEnv: ['<rootDir>/jest.setup.js'],
  testTimeout: 120_000,
};
`,
  );
  // Jest resolves setupFilesAfterEnv entries with the CommonJS conditions (deepssim/jest would resolve to the
  // ESM-only stub), so the setup is a one-line ES module of the project's own.
  write('jest.setup.js', "import 'deepssim/jest';\n");
  write('jest/images.test.js', body('jest'));
  write(
    'jest/second.test.js',
    `${common}\ntest('jest: a second test file', async () => {\n  await expect(fixture('shifted.png')).toMatchDeepSSIM(fixture('ref.png'));\n});\n`,
  );
  // Playwright: Debian's Chromium; a page rendered from an inline HTML string; expect(page) and expect(locator).
  write(
    'playwright.config.js',
    `import { defineConfig } from '@playwright/test';
export default defineConfig({
  testDir: 'pw',
  timeout: 120_000,
  workers: 1,
  reporter: 'line',
  use: {
    viewport: { width: 800, height: 600 },
    launchOptions: { executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: ['--no-sandbox'] },
  },
});
`,
  );
  write(
    'pw/page.spec.js',
    `import { test, expect as base } from '@playwright/test';
import { deepssimPlaywrightMatchers } from 'deepssim/playwright';
const expect = base.extend(deepssimPlaywrightMatchers);

// PAGE: 'base', 'nudge' (everything 1 px lower: benign), 'removed' (the chart card is gone: a regression).
const variant = process.env.PAGE ?? 'base';
const bars = [70, 120, 90, 160, 130, 60, 150]
  .map((h, i) => '<div style="position:absolute;bottom:0;left:' + (20 + i * 44) + 'px;width:30px;height:' + h + 'px;background:#' + ['3b82f6', 'f59e0b', '10b981'][i % 3] + '"></div>')
  .join('');
const html = \`<!doctype html><html><body style="margin:\${variant === 'nudge' ? 9 : 8}px;font:16px sans-serif;color:#222;background:#f4f5f7">
<h1 style="margin:0 0 12px">Quarterly dashboard</h1>
<div id="card" style="background:#fff;border:1px solid #ccd;border-radius:8px;padding:16px;width:720px">
  <p style="margin:0 0 12px">Revenue grew in every region; the table and chart below summarise it.</p>
  <table style="border-collapse:collapse;width:100%"><tr style="background:#e8ecf4"><th>Region</th><th>Q1</th><th>Q2</th></tr>
  <tr><td>North</td><td>1,234</td><td>1,410</td></tr><tr><td>South</td><td>980</td><td>1,122</td></tr></table>
  \${variant === 'removed' ? '' : '<div style="position:relative;height:180px;margin-top:16px;background:#fafbff;border:1px solid #dde">' + bars + '</div>'}
  <button style="margin-top:16px;padding:8px 20px;background:#2563eb;color:#fff;border:0;border-radius:6px">Export</button>
</div></body></html>\`;

test('dashboard', async ({ page }) => {
  await page.setContent(html);
  await expect(page).toMatchDeepSSIMSnapshot({ name: 'dashboard' });
  await expect(page.locator('#card')).toMatchDeepSSIMSnapshot({ name: 'card' });
});
`,
  );
});

after(() => {
  if (dir && !process.env.DEEPSSIM_KEEP) rmSync(dir, { recursive: true, force: true });
  else if (dir) console.log(`# kept ${project}`);
});

const snapshotDir = () => join(project, 'vitest', '__image_snapshots__');

describe('Vitest from a fresh project (setupFiles: deepssim/vitest)', { skip: SKIP }, () => {
  const vitest = (args: string[], extra: NodeJS.ProcessEnv = {}) =>
    run('npx', ['--no-install', 'vitest', 'run', ...args], extra);
  const snap = () => join(snapshotDir(), 'home.png');

  test('benign images pass; the first run writes the snapshot', () => {
    const r = vitest([]);
    assert.equal(r.status, 0, r.tail);
    assert.match(r.out, /3 passed/);
    assert.doesNotMatch(r.out, /close timed out|prevents .* from exiting|hanging/i); // the engine thread is unref'd
    assert.ok(existsSync(snap()), `no snapshot at ${snap()}`);
  });

  test('a regression fails with score, minLocal and where, and writes the three-panel diff', async () => {
    const r = vitest(['-t', 'regression'], { RUN_REGRESSION: '1' });
    assert.equal(r.status, 1, r.tail);
    assert.match(r.out, FAILURE);
    const diff = join(project, 'fixtures', '__diff_output__', 'ref-diff.png');
    assert.ok(r.out.includes(diff), r.tail);
    const meta = await sharp(diff).metadata();
    assert.deepEqual([meta.width, meta.height], [3 * 512 + 16, 384]);
  });

  test('snapshot flow: a changed image fails; CI refuses to write a missing one; -u and UPDATE_SNAPSHOTS rewrite', () => {
    const changed = vitest(['-t', 'snapshot'], { SNAPSHOT_IMAGE: 'changed.png' });
    assert.equal(changed.status, 1, changed.tail);
    assert.match(changed.out, FAILURE);
    assert.ok(existsSync(join(snapshotDir(), '__diff_output__', 'home-diff.png')));
    const before = readFileSync(snap());
    const update = vitest(['-t', 'snapshot', '-u'], { SNAPSHOT_IMAGE: 'changed.png' });
    assert.equal(update.status, 0, update.tail);
    assert.notDeepEqual(readFileSync(snap()), before, '-u did not rewrite the snapshot');
    assert.equal(vitest(['-t', 'snapshot'], { SNAPSHOT_IMAGE: 'changed.png' }).status, 0);
    const env = vitest(['-t', 'snapshot'], { SNAPSHOT_IMAGE: 'ref.png', UPDATE_SNAPSHOTS: '1' });
    assert.equal(env.status, 0, env.tail);
    assert.deepEqual(readFileSync(snap()), before, 'UPDATE_SNAPSHOTS=1 did not rewrite the snapshot');
    rmSync(snap());
    const ci = vitest(['-t', 'snapshot'], { CI: 'true' });
    assert.equal(ci.status, 1, ci.tail);
    assert.match(ci.out, /missing and CI mode does not write/);
    assert.equal(existsSync(snap()), false);
  });
});

describe(
  'Jest from a fresh project (NODE_OPTIONS=--experimental-vm-modules, setupFilesAfterEnv)',
  { skip: SKIP },
  () => {
    const jest = (args: string[], extra: NodeJS.ProcessEnv = {}) =>
      run('npx', ['--no-install', 'jest', ...args], { NODE_OPTIONS: '--experimental-vm-modules', ...extra });
    const dirJ = () => join(project, 'jest', '__image_snapshots__');
    const snap = () => join(dirJ(), 'home.png');

    test('benign images pass, the snapshot is written, one engine serves both test files, no open handle is left', () => {
      const log = join(dir, 'engine-threads.txt');
      const r = jest(['--detectOpenHandles'], { ENGINE_LOG: log }); // --detectOpenHandles runs the files in band
      assert.equal(r.status, 0, r.tail);
      assert.match(r.out, /Tests:\s+4 passed, 4 total/);
      assert.doesNotMatch(r.out, /open handle|did not exit/i);
      assert.ok(existsSync(snap()), `no snapshot at ${snap()}`);
      const threads = readFileSync(log, 'utf8').trim().split('\n');
      assert.equal(threads.length, 2, `one line per test file expected:\n${threads.join('\n')}`);
      assert.ok(/^\d+$/.test(threads[0]) && threads[1] === threads[0], `not one engine: threads ${threads.join(', ')}`);
    });

    test('a regression fails with score, minLocal and where, and writes the three-panel diff', () => {
      rmSync(join(project, 'fixtures', '__diff_output__'), { recursive: true, force: true });
      const r = jest(['-t', 'regression', 'jest/images'], { RUN_REGRESSION: '1' });
      assert.equal(r.status, 1, r.tail);
      assert.match(r.out, FAILURE);
      assert.ok(existsSync(join(project, 'fixtures', '__diff_output__', 'ref-diff.png')), r.tail);
    });

    test('snapshot flow: a changed image fails; --ci refuses to write a missing one; -u rewrites', () => {
      const changed = jest(['-t', 'snapshot'], { SNAPSHOT_IMAGE: 'changed.png' });
      assert.equal(changed.status, 1, changed.tail);
      assert.match(changed.out, FAILURE);
      assert.ok(existsSync(join(dirJ(), '__diff_output__', 'home-diff.png')));
      const before = readFileSync(snap());
      const update = jest(['-t', 'snapshot', '-u'], { SNAPSHOT_IMAGE: 'changed.png' });
      assert.equal(update.status, 0, update.tail);
      assert.notDeepEqual(readFileSync(snap()), before, '-u did not rewrite the snapshot');
      rmSync(snap());
      for (const [args, extra] of [
        [['--ci'], {}],
        [[], { CI: 'true' }],
      ] as const) {
        const ci = jest(['-t', 'snapshot', ...args], extra);
        assert.equal(ci.status, 1, ci.tail);
        assert.match(ci.out, /missing and CI mode does not write/);
        assert.equal(existsSync(snap()), false);
      }
    });
  },
);

describe(
  'Playwright from a fresh project (expect.extend, Debian Chromium, expect(page) and expect(locator))',
  { skip: SKIP || (!CHROMIUM && 'no Chromium found (set CHROMIUM_PATH, or apt-get install chromium)') },
  () => {
    const pw = (args: string[], extra: NodeJS.ProcessEnv = {}) =>
      run('npx', ['--no-install', 'playwright', 'test', ...args], { CHROMIUM_PATH: CHROMIUM, ...extra });
    const snaps = () => {
      const d = join(project, 'pw', 'page.spec.js-snapshots');
      return existsSync(d) ? readdirSync(d).filter((f) => f.endsWith('.png')) : [];
    };

    test('CI refuses to write missing snapshots; the first run writes them; a 1-px nudge passes', () => {
      const ci = pw([], { CI: 'true' });
      assert.equal(ci.status, 1, ci.tail);
      assert.match(ci.out, /missing and CI mode does not write/);
      assert.deepEqual(snaps(), []);
      const first = pw([]);
      assert.equal(first.status, 0, first.tail);
      assert.deepEqual(snaps().sort(), ['card-linux.png', 'dashboard-linux.png']);
      const nudge = pw([], { PAGE: 'nudge' });
      assert.equal(nudge.status, 0, nudge.tail);
    });

    test('a removed block fails with score, minLocal and where, writes the diff; --update-snapshots rewrites', () => {
      const file = join(project, 'pw', 'page.spec.js-snapshots', 'dashboard-linux.png');
      const before = statSync(file).size;
      const r = pw([], { PAGE: 'removed' });
      assert.equal(r.status, 1, r.tail);
      assert.match(r.out, FAILURE);
      assert.ok(existsSync(join(project, 'pw', 'page.spec.js-snapshots', '__diff_output__', 'dashboard-diff.png')));
      const update = pw(['--update-snapshots'], { PAGE: 'removed' });
      assert.equal(update.status, 0, update.tail);
      assert.notEqual(statSync(file).size, before, '--update-snapshots did not rewrite the snapshot');
      assert.equal(pw([], { PAGE: 'removed' }).status, 0);
    });
  },
);
