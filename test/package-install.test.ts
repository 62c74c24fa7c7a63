/**
 * The packed tarball installed into a fresh project the way the README tells users to (CPU only:
 * ONNXRUNTIME_NODE_INSTALL=skip), then `deepssim --version` and a MobileNet `score` run from there.
 *
 * Slow (an npm install of ~150 packages), so it runs as `npm run test:install` (.ci/run calls it after `npm test`)
 * and skips inside `npm test`; DEEPSSIM_TEST_INSTALL=1 runs it directly. The install uses --prefer-offline: the
 * package tarballs come from the npm cache that `npm ci` filled; npm may still fetch package metadata (a fresh
 * project has no lockfile, and `npm ci` caches tarballs, not metadata), which CI's registry access allows.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ROOT, SHARED } from './support/paths.js';

const ENABLED = process.env.npm_lifecycle_event === 'test:install' || process.env.DEEPSSIM_TEST_INSTALL === '1';
const SKIP = !ENABLED
  ? 'slow: runs with `npm run test:install` (or DEEPSSIM_TEST_INSTALL=1)'
  : !existsSync(join(ROOT, 'dist', 'index.js'))
    ? 'dist/ is not built (run `npm run build`)'
    : false;
const MODEL = join(SHARED, 'weights', 'mobilenet_v1_0.75_224', 'model.json');
const KODAK = join(SHARED, 'images', 'kodak');
const version = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version as string;

let dir: string;
let project: string;

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(cmd, args, { cwd: project, encoding: 'utf8', env: { ...process.env, ...env } });
  return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

before(() => {
  if (SKIP) return;
  dir = mkdtempSync(join(tmpdir(), 'deepssim-install-'));
  project = join(dir, 'project');
  mkdirSync(project);
  writeFileSync(
    join(project, 'package.json'),
    JSON.stringify({ name: 'consumer', version: '1.0.0', private: true, type: 'module' }),
  );
  const pack = spawnSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  assert.equal(pack.status, 0, pack.stderr);
  const tarball = join(dir, (JSON.parse(pack.stdout) as { filename: string }[])[0].filename);
  // Exactly the README's user install (with the CPU-only choice), plus --prefer-offline for CI.
  const r = run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', tarball], {
    ONNXRUNTIME_NODE_INSTALL: 'skip',
  });
  assert.equal(r.status, 0, `npm install failed:\n${r.stderr.slice(-3000)}`);
});
after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('the installed package is CPU-only: no CUDA provider libraries were downloaded', { skip: SKIP }, () => {
  const bin = join(project, 'node_modules', 'onnxruntime-node', 'bin', 'napi-v6', process.platform, process.arch);
  assert.ok(existsSync(bin), `${bin} is missing`);
  assert.deepEqual(
    readdirSync(bin).filter((f) => /providers_(cuda|tensorrt)/.test(f)),
    [],
  );
});

test('npx deepssim --version prints the packed version', { skip: SKIP }, () => {
  const r = run('npx', ['--no-install', 'deepssim', '--version']);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), version);
});

test(
  'npx deepssim score with MobileNet (genuine weights from ../shared)',
  { skip: SKIP || (!existsSync(MODEL) && `MobileNet weights absent (expected at ${MODEL})`) },
  () => {
    const [a, b] = [join(KODAK, 'kodim23.png'), join(KODAK, 'kodim01.png')];
    const args = ['--backbone', 'mobilenet_v1_0.75', '--weights', MODEL];
    const same = run('npx', ['--no-install', 'deepssim', 'score', a, a, ...args]);
    assert.equal(same.status, 0, same.stderr);
    assert.ok(Math.abs(Number(same.stdout.trim()) - 1) < 1e-6, `an image against itself scored ${same.stdout}`);
    const other = run('npx', ['--no-install', 'deepssim', 'score', a, b, ...args]);
    assert.equal(other.status, 0, other.stderr);
    const s = Number(other.stdout.trim());
    assert.ok(s > 0 && s < 0.95, `kodim23 vs kodim01 scored ${other.stdout}`);
  },
);
