/**
 * What `npm pack` publishes — the tarball a user installs — checked without installing it (the install itself is
 * test/package-install.test.ts, `npm run test:install`): its file list, its package.json fields, that every entry
 * point exists, that types resolve for ESM consumers (publint, are-the-types-wrong, both offline), that CommonJS
 * callers get a clear error, and that every README link works from the npm page.
 * Needs dist/ (npm test builds it first).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ROOT } from './support/paths.js';

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
const BUILT = existsSync(join(ROOT, 'dist', 'index.js'));
const SKIP = BUILT ? false : 'dist/ is not built (run `npm run build`; `npm test` does it first)';
const bin = (name: string) => join(ROOT, 'node_modules', '.bin', name);

function run(cmd: string, args: string[], cwd = ROOT): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

describe('the packed tarball', { skip: SKIP }, () => {
  let dir: string;
  let tarball: string;
  let files: string[];

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'deepssim-pack-'));
    // --ignore-scripts: dist/ is already built; prepack would rebuild it.
    const r = run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir]);
    assert.equal(r.status, 0, r.stderr);
    const [info] = JSON.parse(r.stdout) as { filename: string; files: { path: string }[] }[];
    tarball = join(dir, info.filename);
    files = info.files.map((f) => f.path).sort();
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('carries the build, the CommonJS guard, LICENSE, README and package.json — and nothing else', () => {
    for (const f of [
      'LICENSE',
      'README.md',
      'package.json',
      'dist/index.js',
      'dist/index.d.ts',
      'dist/cli/main.js',
      'dist/tfjs/index.js',
      'compat/esm-only.cjs',
    ]) {
      assert.ok(files.includes(f), `${f} is missing from the tarball`);
    }
    const stray = files.filter((f) => !/^(dist\/|compat\/|LICENSE$|README\.md$|package\.json$)/.test(f));
    assert.deepEqual(stray, [], 'unexpected files in the tarball');
    assert.ok(!files.some((f) => /^(src|test|bench|tools|examples|\.scratch|node_modules)\//.test(f)));
  });

  test('no source map points at a file the tarball does not carry', () => {
    const shipped = new Set(files);
    for (const f of files) {
      if (f.endsWith('.map')) {
        const map = JSON.parse(readFileSync(join(ROOT, f), 'utf8')) as { sources: string[] };
        for (const s of map.sources) {
          const target = join(f, '..', s).replace(/\\/g, '/');
          assert.ok(shipped.has(target), `${f} points at ${s}, which is not shipped`);
        }
      } else if (/\.(js|d\.ts)$/.test(f)) {
        const m = /\/\/# sourceMappingURL=(\S+)\s*$/.exec(readFileSync(join(ROOT, f), 'utf8'));
        if (m) assert.ok(shipped.has(join(f, '..', m[1]).replace(/\\/g, '/')), `${f} names a missing map ${m[1]}`);
      }
    }
  });

  test('every entry point named in package.json is in the tarball', () => {
    const targets: string[] = [pkg.main, pkg.types, ...Object.values(pkg.bin as Record<string, string>)];
    const walk = (v: unknown): void => {
      if (typeof v === 'string') targets.push(v);
      else if (v && typeof v === 'object') Object.values(v).forEach(walk);
    };
    walk(pkg.exports);
    for (const t of targets) assert.ok(files.includes(t.replace(/^\.\//, '')), `${t} is not in the tarball`);
    assert.match(readFileSync(join(ROOT, pkg.bin.deepssim), 'utf8'), /^#!\/usr\/bin\/env node\n/);
  });

  test('package.json names the licence, the repository, the home page and the issue tracker', () => {
    assert.equal(pkg.license, 'MIT');
    assert.match(
      readFileSync(join(ROOT, 'LICENSE'), 'utf8'),
      /^MIT License\n\nCopyright \(c\) .*deepssim contributors/,
    );
    assert.match(pkg.repository.url, /^git\+https:\/\/github\.com\/.+\.git$/);
    assert.match(pkg.homepage, /^https:\/\//);
    assert.match(pkg.bugs.url, /^https:\/\//);
    assert.equal(pkg.type, 'module');
    assert.equal(pkg.scripts.prepare, 'npm run build', 'a fresh clone must build on npm ci');
    assert.equal(pkg.scripts.prepack, 'npm run build');
  });

  test('publint finds nothing to fix', () => {
    const r = run(bin('publint'), ['--strict', tarball]);
    assert.equal(r.status, 0, r.stdout + r.stderr);
  });

  test('types resolve for ESM consumers (are-the-types-wrong, ESM-only profile)', () => {
    const r = run(bin('attw'), [tarball, '--profile', 'esm-only', '--format', 'json']);
    const report = JSON.parse(r.stdout) as { analysis: { problems: { kind: string; resolutionKind?: string }[] } };
    // The JSON lists every resolution mode; an ESM-only package answers for ESM importers and bundlers (CommonJS
    // and node10 resolution are the esm-only profile's ignored modes — CommonJS callers get compat/esm-only.*).
    const esm = report.analysis.problems.filter(
      (p) => !p.resolutionKind || ['node16-esm', 'bundler'].includes(p.resolutionKind),
    );
    assert.deepEqual(esm, []);
    assert.equal(r.status, 0, r.stderr);
  });
});

describe('as a dependency (the package linked into a scratch project)', { skip: SKIP }, () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'deepssim-consumer-'));
    mkdirSync(join(dir, 'node_modules'));
    symlinkSync(ROOT, join(dir, 'node_modules', 'deepssim'), 'dir');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('require() gets one clear ESM-only error; import() works from CommonJS', () => {
    writeFileSync(
      join(dir, 'req.cjs'),
      "try { require('deepssim'); } catch (e) { console.log(e.code + ': ' + e.message); }\n",
    );
    const r = run(process.execPath, ['req.cjs'], dir);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^ERR_DEEPSSIM_ESM_ONLY: deepssim is ESM-only: use .*import\('deepssim'\)/);
    writeFileSync(join(dir, 'imp.cjs'), "import('deepssim').then((m) => console.log(typeof m.createDeepSSIM));\n");
    const i = run(process.execPath, ['imp.cjs'], dir);
    assert.equal(i.status, 0, i.stderr);
    assert.equal(i.stdout.trim(), 'function');
  });
});

test('every README link and image works from the npm page (absolute, an in-page anchor, or a shipped file)', () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8').replace(/```[\s\S]*?```/g, '');
  const shipped = new Set(pkg.files as string[]);
  const targets = [
    ...readme.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g),
    ...readme.matchAll(/<img [^>]*src="([^"]+)"/g),
  ].map((m) => m[1]);
  assert.ok(targets.length > 0);
  const bad = targets.filter(
    (t) => !/^(https?:|mailto:|#)/.test(t) && !shipped.has(t.replace(/^\.\//, '').split('#')[0]),
  );
  assert.deepEqual(bad, [], 'relative README links do not resolve on the npm page; use absolute URLs');
});
