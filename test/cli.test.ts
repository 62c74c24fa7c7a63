/**
 * Issue 2, acceptance 5: bad input gives one clear line on stderr and the documented exit code
 * (0 ok, 1 runtime error, 2 usage error, 3 below --fail-below); outputs are written atomically.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runCli, spawnCli, type CliResult } from './support/cli.js';
import { CLI, fixture } from './support/paths.js';
import { syntheticWeightFiles } from './support/weights.js';

const A = fixture('images', 'scene_a.png');
const B = fixture('images', 'scene_b.png');
let W: string;
let dir: string;

before(async () => {
  W = (await syntheticWeightFiles()).safetensors;
  dir = await mkdtemp(join(tmpdir(), 'deepssim-cli-'));
});
after(() => rm(dir, { recursive: true, force: true }));

/** Exactly one non-empty stderr line, starting with "error:" and matching `pattern`. */
function oneErrorLine(r: CliResult, code: number, pattern: RegExp): void {
  assert.equal(r.code, code, `exit code (stderr: ${r.stderr})`);
  // The synthetic test weights are not the published ones: commands that score say so in one warning line first.
  const lines = r.stderr.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('warning: the weights '));
  assert.equal(lines.length, 1, `expected one stderr line, got:\n${r.stderr}`);
  assert.match(lines[0], /^error: /);
  assert.match(lines[0], pattern);
  assert.equal(r.stdout, '');
}

describe('score: success and thresholds', () => {
  test('prints the bare score; identical images score 1', async () => {
    const r = await runCli(['score', A, A, '--weights', W]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), '1.000000');
  });
  test('--json has reference, test, score, variant', async () => {
    const r = await runCli(['score', A, B, '--weights', W, '--json', '--variant', 'lite']);
    assert.equal(r.code, 0, r.stderr);
    const o = JSON.parse(r.stdout);
    assert.equal(o.reference, A);
    assert.equal(o.test, B);
    assert.equal(o.variant, 'lite');
    assert.ok(o.score > 0 && o.score < 1);
  });
  test('--fail-below: exit 3 below the threshold, 0 at or above it', async () => {
    const below = await runCli(['score', A, B, '--weights', W, '--fail-below', '0.999']);
    assert.equal(below.code, 3);
    assert.match(below.stderr, /below --fail-below 0.999/);
    assert.match(below.stdout, /^0\.\d{6}\n$/);
    const above = await runCli(['score', A, A, '--weights', W, '--fail-below', '0.999']);
    assert.equal(above.code, 0);
  });
});

describe('score: bad input', () => {
  test('missing image file → 1', async () => {
    oneErrorLine(
      await runCli(['score', A, join(dir, 'nope.png'), '--weights', W]),
      1,
      /cannot read image .*nope\.png: no such file/,
    );
  });
  test('unreadable image (text named .png) → 1', async () => {
    const bad = join(dir, 'text.png');
    await writeFile(bad, 'this is not an image\n');
    oneErrorLine(await runCli(['score', A, bad, '--weights', W]), 1, /cannot decode image .*text\.png/);
  });
  test('truncated PNG → 1', async () => {
    const bytes = await readFile(A);
    const cut = join(dir, 'cut.png');
    await writeFile(cut, bytes.subarray(0, Math.floor(bytes.length / 3)));
    oneErrorLine(await runCli(['score', A, cut, '--weights', W]), 1, /cut\.png/);
  });
  test('image under 16 px → 1 with the size in the message', async () => {
    oneErrorLine(
      await runCli(['score', A, fixture('images', 'tiny15x40.png'), '--weights', W]),
      1,
      /15×40.*at least 16×16/,
    );
  });
  test('corrupt weights (truncated safetensors) → 1', async () => {
    const bytes = await readFile(W);
    const cut = join(dir, 'cut.safetensors');
    await writeFile(cut, bytes.subarray(0, 1_000_000));
    oneErrorLine(await runCli(['score', A, B, '--weights', cut]), 1, /truncated/);
  });
  test('weights file of the wrong kind → 1', async () => {
    oneErrorLine(await runCli(['score', A, B, '--weights', A]), 1, /not a recognised weights format/);
  });
  test('missing weights file → 1', async () => {
    oneErrorLine(await runCli(['score', A, B, '--weights', join(dir, 'none.pth')]), 1, /does not exist/);
  });
  test('no weights anywhere and --no-download → 1 with instructions', async () => {
    const empty = await mkdtemp(join(dir, 'empty-cache-'));
    const r = await runCli(['score', A, B, '--no-download'], {
      env: { DEEPSSIM_CACHE_DIR: empty, DEEPSSIM_WEIGHTS: '' },
    });
    oneErrorLine(r, 1, /--weights|DEEPSSIM_WEIGHTS|weights import/);
  });
  test('unknown option → 2', async () => {
    oneErrorLine(await runCli(['score', A, B, '--bogus']), 2, /unknown option '--bogus'/);
  });
  test('bad option value → 2', async () => {
    oneErrorLine(await runCli(['score', A, B, '--variant', 'huge']), 2, /one of 'full', 'lite', 'full-normalized'/);
    oneErrorLine(await runCli(['score', A, B, '--threads', 'zero']), 2, /--threads/);
  });
  test('missing argument and unknown command → 2', async () => {
    oneErrorLine(await runCli(['score', A]), 2, /missing required argument/);
    oneErrorLine(await runCli(['scroe', A, B]), 2, /unknown command/);
  });
});

describe('batch', () => {
  test('scores every row, passes columns through, computes each reference once', async () => {
    const csv = join(dir, 'pairs.csv');
    await copyFile(A, join(dir, 'a.png'));
    await copyFile(B, join(dir, 'b.png'));
    await writeFile(csv, 'reference,test,label\na.png,a.png,same\na.png,b.png,other\nb.png,a.png,swap\n');
    const out = join(dir, 'out.jsonl');
    const r = await runCli(['batch', csv, '--weights', W, '--out', out, '--profile']);
    assert.equal(r.code, 0, r.stderr);
    const rows = readFileSync(out, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.deepEqual(
      rows.map((x) => x.label),
      ['same', 'other', 'swap'],
    );
    assert.equal(rows[0].score, 1);
    assert.ok(rows[1].score < 1);
    // 2 distinct references + 3 tests = 5 network runs, not 6.
    assert.match(r.stderr, /5 network runs/);
  });
  test('a failing row is reported in the error column and makes the exit code 1', async () => {
    const csv = join(dir, 'pairs-bad.csv');
    await writeFile(csv, `reference,test\n${A},${A}\n${A},${join(dir, 'missing.png')}\n`);
    const r = await runCli(['batch', csv, '--weights', W]);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /^reference,test,score,variant,backbone,saliency,saliency_threshold,error\n/);
    assert.match(r.stdout, /missing\.png: no such file/);
    assert.match(r.stderr, /1 of 2 pairs failed/);
  });
  test('CSV without a test column → 1 (a data error), and no output file is left behind', async () => {
    const csv = join(dir, 'nocol.csv');
    await writeFile(csv, 'reference,other\na.png,b.png\n');
    const out = join(dir, 'never.csv');
    oneErrorLine(
      await runCli(['batch', csv, '--weights', W, '--out', out]),
      1,
      /needs a header with columns reference and test/,
    );
    assert.equal(existsSync(out), false);
    assert.deepEqual(
      readdirSync(dir).filter((f) => f.endsWith('.tmp')),
      [],
    );
  });
});

describe('score: saliency options', () => {
  test('--reference-saliency/--test-saliency give the same score as --saliency-maps after the positionals', async () => {
    const a = await runCli(['score', A, B, '--weights', W, '--reference-saliency', A, '--test-saliency', B]);
    const b = await runCli(['score', A, B, '--weights', W, '--saliency-maps', A, B]);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(a.stdout, b.stdout);
  });
  test('--saliency-threshold without saliency is refused, not ignored', async () => {
    oneErrorLine(
      await runCli(['score', A, B, '--weights', W, '--saliency-threshold', '0.2']),
      2,
      /applies only with --saliency gbvs or saliency maps/,
    );
  });
  test('one of the two map options alone is refused', async () => {
    oneErrorLine(await runCli(['score', A, B, '--weights', W, '--reference-saliency', A]), 2, /go together/);
  });
});

describe('the bin, in a real process (everything else runs in-process)', () => {
  test(
    'shebang; exit code 3 with the score alone on stdout and the reason on stderr; a usage error exits 2 with one line',
    { skip: existsSync(CLI) ? false : 'dist/ not built (npm run build)' },
    async () => {
      assert.equal(readFileSync(CLI, 'utf8').split('\n')[0], '#!/usr/bin/env node');
      const below = await spawnCli(['score', A, B, '--weights', W, '--fail-below', '0.999']);
      assert.equal(below.code, 3, below.stderr);
      assert.match(below.stdout, /^0\.\d{6}\n$/);
      assert.match(below.stderr, /^score 0\.\d{6} is below --fail-below 0\.999$/m);
      assert.doesNotMatch(below.stderr, /^0\.\d{6}$/m);
      oneErrorLine(await spawnCli(['scroe', A, B]), 2, /unknown command 'scroe'/);
    },
  );
});
