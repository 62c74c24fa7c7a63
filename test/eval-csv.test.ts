/**
 * The CSV rough edges of issue 15: one reader for batch and eval (case-insensitive headers, `,`/`;`/tab, `test` or
 * `distorted`, score/mos/dmos), stdin, folders, line vs pair numbers, score direction stated, batch --fail-below,
 * non-TTY stderr.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { DataError } from '../src/errors.js';
import { loadEvalInput } from '../src/eval/load.js';
import { detectDelimiter, readPairsFile } from '../src/eval/pairs-csv.js';
import { runCli } from './support/cli.js';
import { fixture } from './support/paths.js';
import { syntheticWeightFiles } from './support/weights.js';

const tmp = mkdtempSync(join(tmpdir(), 'deepssim-csv-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

test('delimiter from the header line: the most frequent of , ; tab outside quotes', () => {
  assert.equal(detectDelimiter('reference,test\n'), ',');
  assert.equal(detectDelimiter('\uFEFFreference;test;note\na;b;c,d\n'), ';');
  assert.equal(detectDelimiter('# comment, with, commas\nreference\ttest\n'), '\t');
  assert.equal(detectDelimiter('"a;b;c",test\n'), ',');
  assert.equal(detectDelimiter('single\n'), ',');
});

test('pairs: case-insensitive header, distorted alias, quoted fields, comments; errors name line and pair', async () => {
  const f = join(tmp, 'pairs.csv');
  writeFileSync(f, '# made by hand\r\nREFERENCE;Distorted;Label\r\nr.png;"t;1.png";x\r\n\r\nr.png;t2.png;y\r\n');
  const { table, pairs } = await readPairsFile({ path: f });
  assert.equal(table.delimiter, ';');
  assert.deepEqual(
    pairs.map((p) => [p.index, p.line, p.reference, p.test, p.columns.Label]),
    [
      [0, 3, 'r.png', 't;1.png', 'x'],
      [1, 5, 'r.png', 't2.png', 'y'],
    ],
  );
  writeFileSync(f, 'reference,test\na.png,b.png\n\nc.png,\n');
  await assert.rejects(
    readPairsFile({ path: f }),
    (e: unknown) => e instanceof DataError && /line 4 \(pair 2\): empty reference or test/.test(e.message),
  );
  writeFileSync(f, 'ref,other\na,b\n');
  await assert.rejects(
    readPairsFile({ path: f }),
    /needs a header with columns reference and test \(or distorted\); found "ref", "other"/,
  );
  await assert.rejects(
    readPairsFile({ path: tmp }),
    (e: unknown) => e instanceof DataError && /is a folder; expected a pairs file/.test(e.message),
  );
  await assert.rejects(
    readPairsFile({ path: join(tmp, 'nope.csv') }),
    (e: unknown) => e instanceof DataError && e.code === 'DATA_NOT_FOUND',
  );
  // `-` reads standard input; paths then resolve against the current directory.
  const stdin = Readable.from([Buffer.from('Reference\tTest\nx.png\ty.png\n')]);
  const fromStdin = await readPairsFile({ path: '-', stdin });
  assert.equal(fromStdin.table.name, 'standard input');
  assert.equal(fromStdin.pairs[0].test, 'y.png');
});

describe('eval manifests: direction stated, never silently assumed', () => {
  const dir = join(tmp, 'm');
  before(() => {
    mkdirSync(dir, { recursive: true });
    for (const n of ['r.png', 'd.png']) copyFileSync(fixture('images', 'scene_a.png'), join(dir, n));
  });
  const write = (text: string) => {
    const f = join(dir, `m${Math.random().toString(36).slice(2)}.csv`);
    writeFileSync(f, text);
    return f;
  };

  test('mos/dmos columns carry the direction; score is assumed MOS-like and says so', async () => {
    const dmos = await loadEvalInput(write('Reference,Test,DMOS\nr.png,d.png,30\n'));
    assert.ok(dmos.kind === 'mos' && dmos.manifest.higherIsBetter === false && dmos.direction.source === 'column');
    assert.match(dmos.direction.description, /lower = better.*dmos column/);
    const mos = await loadEvalInput(write('reference\tdistorted\tmos\ttype\nr.png\td.png\t4.2\tjpeg\n'));
    assert.ok(mos.kind === 'mos' && mos.manifest.higherIsBetter === true && mos.manifest.entries[0].type === 'jpeg');
    const plain = await loadEvalInput(write('reference,distorted,score\nr.png,d.png,1\n'));
    assert.ok(plain.kind === 'mos' && plain.direction.source === 'assumed');
    assert.match(plain.direction.description, /assumed/);
    const told = await loadEvalInput(write('reference,distorted,score\nr.png,d.png,1\n'), { higherIsBetter: false });
    assert.ok(told.kind === 'mos' && told.manifest.higherIsBetter === false && told.direction.source === 'option');
    await assert.rejects(
      loadEvalInput(write('reference,distorted,dmos\nr.png,d.png,1\n'), { higherIsBetter: true }),
      /dmos column, which is DMOS-like/,
    );
    // Headerless manifests still read positionally.
    const bare = await loadEvalInput(write('r.png,d.png,3\n'));
    assert.ok(bare.kind === 'mos' && bare.manifest.entries.length === 1);
  });

  test('missing images and bad scores name the line and the pair', async () => {
    await assert.rejects(
      loadEvalInput(write('reference,distorted,score\nr.png,d.png,1\nr.png,gone.png,2\n')),
      /line 3 \(pair 2\): no such image file/,
    );
    await assert.rejects(
      loadEvalInput(write('reference,distorted,score\nr.png,d.png,high\n')),
      /line 2 \(pair 1\): expected reference, distorted and a numeric score/,
    );
    await assert.rejects(
      loadEvalInput(join(dir, 'nothing-here')),
      (e: unknown) => e instanceof DataError && e.code === 'DATA_NOT_FOUND',
    );
  });

  test('a votes header switches to the paired-comparison reader', async () => {
    const v = await loadEvalInput(write('set,reference,a,b,winner\n1,r.png,d.png,r.png,b\n'));
    assert.ok(v.kind === 'votes' && v.data.votes.length === 1 && v.data.votes[0].pB === 1);
  });
});

/** `deepssim <args>` in-process with `input` on standard input. */
const run = (args: string[], input?: string) => runCli(args, { input });

describe('batch CLI rough edges (in-process CLI, synthetic VGG16 weights)', () => {
  let W: string;
  const A = fixture('images', 'scene_a.png');
  const B = fixture('images', 'scene_b.png');
  before(async () => {
    W = (await syntheticWeightFiles()).safetensors;
  });

  test('a folder gives one clear line, not EISDIR', async () => {
    const r = await run(['batch', tmp, '--weights', W]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^error: ".*" is a folder; expected a pairs file\n$/);
  });

  test('- reads pairs from stdin; --fail-below exits 3 when any score is below; stderr has no leading empty line', async () => {
    const csv = `reference;test\n${A};${A}\n${A};${B}\n`;
    const pass = await run(['batch', '-', '--weights', W, '--fail-below', '0.1'], csv);
    assert.equal(pass.code, 0, pass.stderr);
    const rows = pass.stdout.trim().split('\n');
    assert.equal(rows.length, 3);
    assert.match(rows[1], /,1,full,vgg16,none,,$/);
    const gate = await run(['batch', '-', '--weights', W, '--fail-below', '0.999', '--format', 'jsonl'], csv);
    assert.equal(gate.code, 3);
    assert.match(gate.stderr, /1 of 2 pairs scored below --fail-below 0\.999/);
    const bad = await run(
      ['batch', '-', '--weights', W],
      `reference,test\n${A},${A}\n${A},${join(tmp, 'missing.png')}\n`,
    );
    assert.equal(bad.code, 1);
    assert.ok(!bad.stderr.startsWith('\n'), JSON.stringify(bad.stderr));
    assert.match(bad.stderr, /^pair 2 \(line 3\): /m);
  });

  test('saliency mode and threshold are recorded per row', async () => {
    const csv = `reference,test,reference_saliency,test_saliency\n${A},${B},${A},${B}\n`;
    const r = await run(['batch', '-', '--weights', W, '--saliency-threshold', '0.25', '--format', 'jsonl'], csv);
    assert.equal(r.code, 0, r.stderr);
    const row = JSON.parse(r.stdout);
    assert.equal(row.saliency, 'maps');
    assert.equal(row.saliency_threshold, 0.25);
  });
});
