/**
 * Beyond one machine (issue 13.3): `--shard i/n` splits pairs by reference, and `merge` of the shard outputs gives the
 * unsharded result — byte for byte for the scores (eval scores.jsonl, batch CSV/JSONL).
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import sharp from 'sharp';
import type { CliDeps } from '../src/cli/run.js';
import { UsageError } from '../src/errors.js';
import { parseShard, shardIndices } from '../src/eval/shard.js';
import type { FullReferenceMetric } from '../src/metrics/types.js';
import { runCli } from './support/cli.js';
import { fixture } from './support/paths.js';
import { syntheticWeightFiles } from './support/weights.js';

const tmp = mkdtempSync(join(tmpdir(), 'deepssim-shard-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

test('parseShard and shardIndices: each reference in exactly one shard, balanced, independent of row order', () => {
  assert.deepEqual(parseShard('2/5'), { index: 2, count: 5 });
  for (const bad of ['0/3', '4/3', '1/0', 'a/b', '1', '1/3/4', '-1/2'])
    assert.throws(() => parseShard(bad), UsageError, bad);
  const refs = ['c', 'a', 'b', 'a', 'd', 'c', 'e', 'b', 'a'];
  const shards = [1, 2, 3].map((index) => shardIndices(refs, { index, count: 3 }));
  assert.deepEqual(
    shards.flat().sort((x, y) => x - y),
    refs.map((_, i) => i),
  );
  for (const r of new Set(refs)) {
    assert.equal(shards.filter((s) => s.some((i) => refs[i] === r)).length, 1, `reference ${r} in one shard`);
  }
  // Sorted distinct references a,b,c,d,e round-robin: {a,d}, {b,e}, {c}.
  assert.deepEqual(
    shards.map((s) => [...new Set(s.map((i) => refs[i]))].sort()),
    [['a', 'd'], ['b', 'e'], ['c']],
  );
  const shuffled = [...refs].reverse();
  assert.deepEqual(
    shardIndices(shuffled, { index: 1, count: 3 })
      .map((i) => shuffled[i])
      .sort(),
    shards[0].map((i) => refs[i]).sort(),
  );
  // More shards than references: some shards are empty.
  assert.deepEqual(shardIndices(['x', 'x'], { index: 2, count: 2 }), []);
});

async function png(path: string, w: number, h: number, f: (x: number, y: number) => number): Promise<void> {
  const d = Buffer.alloc(w * h * 3);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      d.fill(Math.max(0, Math.min(255, Math.round(f(x, y)))), (y * w + x) * 3, (y * w + x) * 3 + 3);
  mkdirSync(dirname(path), { recursive: true });
  await sharp(d, { raw: { width: w, height: h, channels: 3 } })
    .png()
    .toFile(path);
}

const mad: FullReferenceMetric = {
  name: 'mad',
  higherIsBetter: false,
  requiresSameSize: true,
  score(r, t) {
    let s = 0;
    for (let i = 0; i < r.data.length; i++) s += Math.abs(r.data[i] - t.data[i]);
    return s / r.data.length;
  },
};
const sizeFree: FullReferenceMetric = {
  name: 'mean',
  higherIsBetter: true,
  requiresSameSize: false,
  score(_r, t) {
    let s = 0;
    for (let i = 0; i < t.data.length; i++) s += t.data[i];
    return s / t.data.length / 255;
  },
};

/** `deepssim <args>` in-process; stdout, or a rejection naming the exit code and stderr. */
async function cli(args: string[], deps?: CliDeps): Promise<string> {
  const r = await runCli(args, { deps });
  if (r.code !== 0) throw new Error(`exit ${r.code}: ${r.stderr}`);
  return r.stdout;
}

const runEval = (args: string[]): Promise<string> =>
  cli(['eval', ...args, '--metrics', 'mad,mean', '--bootstrap', '100'], { createMetrics: async () => [mad, sizeFree] });

const runMerge = (args: string[]): Promise<string> => cli(['merge', ...args, '--bootstrap', '100']);

const withoutTimes = (doc: Record<string, unknown>) =>
  JSON.stringify(doc, (k, v) => (k === 'seconds' || k === 'scoringSeconds' || k === 'files' ? undefined : v));

describe('eval: shards merged = unsharded', () => {
  const dir = join(tmp, 'ds');
  before(async () => {
    const base = (r: number) => (x: number, y: number) => 128 + 70 * Math.sin(x / (3 + r) + y / 5);
    const mos = ['reference,distorted,mos,type'];
    const votes = ['set,reference,a,b,winner'];
    for (let r = 0; r < 5; r++) {
      await png(join(dir, `ref${r}.png`), 20, 16, base(r));
      for (let k = 0; k < 3; k++) {
        const size = r === 2 && k === 1 ? 18 : 20; // one pair of another size: n/a for the pixel metric
        await png(
          join(dir, `d${r}_${k}.png`),
          size,
          16,
          (x, y) => base(r)(x, y) + (5 + 9 * k) * Math.sin(3.7 * x * (r + 1) + y),
        );
        mos.push(`ref${r}.png,d${r}_${k}.png,${90 - 20 * k - r},${k ? 'noise' : 'mild'}`);
      }
      votes.push(
        `S${r},ref${r}.png,d${r}_0.png,d${r}_1.png,a`,
        `S${r},ref${r}.png,d${r}_2.png,d${r}_1.png,${r % 2 ? 'a' : 'b'}`,
        `S${r},ref${r}.png,d${r}_0.png,d${r}_2.png,a`,
      );
    }
    writeFileSync(join(dir, 'mos.csv'), mos.join('\n') + '\n');
    writeFileSync(join(dir, 'votes.csv'), votes.join('\n') + '\n');
  });

  for (const kind of ['mos', 'votes']) {
    test(`${kind}: 3 shards + merge give the unsharded scores.jsonl byte for byte and the same statistics`, async () => {
      const csv = join(dir, `${kind}.csv`);
      const full = join(tmp, `${kind}-full`);
      const fullJson = JSON.parse(await runEval([csv, '--out', full, '--json']));
      const shards: string[] = [];
      for (let i = 1; i <= 3; i++) {
        const f = join(tmp, `${kind}-shard${i}.jsonl`);
        shards.push(f);
        assert.equal(await runEval([csv, '--shard', `${i}/3`, '--scores', f]), '', 'a shard prints no statistics');
      }
      // Shards hold disjoint pair sets whose references differ.
      const refsOf = (f: string) =>
        new Set(
          readFileSync(f, 'utf8')
            .trim()
            .split('\n')
            .slice(1)
            .map((l) => JSON.parse(l).reference),
        );
      const sets = shards.map(refsOf);
      assert.equal(
        sets.reduce((n, s) => n + s.size, 0),
        5,
      );
      const merged = join(tmp, `${kind}-merged`);
      const mergedJson = JSON.parse(await runMerge([shards[2], shards[0], shards[1], '-o', merged, '--json']));
      assert.equal(
        readFileSync(join(merged, 'scores.jsonl'), 'utf8'),
        readFileSync(join(full, 'scores.jsonl'), 'utf8'),
      );
      assert.equal(withoutTimes(mergedJson.metrics), withoutTimes(fullJson.metrics));
      const a = JSON.parse(readFileSync(join(full, 'eval.json'), 'utf8'));
      const b = JSON.parse(readFileSync(join(merged, 'eval.json'), 'utf8'));
      assert.equal(withoutTimes(b), withoutTimes(a));
      if (kind === 'mos') {
        assert.equal(a.metrics.mad.notApplicable, 1);
        assert.equal(a.settings.saliency, 'none');
        assert.match(a.pairs[0].reference, /ref0\.png$/);
        assert.match(a.pairs[0].distorted, /d0_0\.png$/);
      } else {
        assert.equal(a.votes, 15);
        assert.equal(typeof a.ceiling, 'number');
      }
      // Incomplete, duplicated or foreign inputs are refused.
      await assert.rejects(
        runMerge([shards[0], shards[1], '-o', join(tmp, 'x')]),
        /exit 1: error: .*shards missing: 3\/3/,
      );
      await assert.rejects(runMerge([shards[0], shards[0], shards[1], '-o', join(tmp, 'x')]), /given twice/);
    });
  }

  test('merge refuses shards of different runs; --shard needs --scores', async () => {
    const a = join(tmp, 'mos-shard1.jsonl');
    const foreign = join(tmp, 'foreign.jsonl');
    const lines = readFileSync(join(tmp, 'votes-shard2.jsonl'), 'utf8');
    writeFileSync(foreign, lines);
    await assert.rejects(
      runMerge([a, foreign, join(tmp, 'mos-shard3.jsonl'), '-o', join(tmp, 'y')]),
      /differs .* in kind/,
    );
    await assert.rejects(runEval([join(dir, 'mos.csv'), '--shard', '1/2']), /--shard needs --scores/);
  });
});

describe('batch: shards merged = unsharded (DeepSSIM, synthetic VGG16 weights)', () => {
  let W: string;
  before(async () => {
    W = (await syntheticWeightFiles()).safetensors;
  });

  async function runBatch(args: string[]): Promise<void> {
    await cli(['batch', ...args, '--weights', W, '--no-progress', '--threads', '1']);
  }

  for (const format of ['csv', 'jsonl']) {
    test(`${format}: 2 shards + merge = unsharded, byte for byte`, async () => {
      const dir = join(tmp, `batch-${format}`);
      mkdirSync(dir, { recursive: true });
      copyFileSync(fixture('images', 'scene_a.png'), join(dir, 'a.png'));
      copyFileSync(fixture('images', 'scene_b.png'), join(dir, 'b.png'));
      // Tab-delimited, mixed-case header, the `distorted` alias and a pass-through column with a comma.
      writeFileSync(
        join(dir, 'pairs.tsv'),
        'Reference\tDistorted\tNote\na.png\tb.png\tx, y\nb.png\ta.png\tswap\na.png\ta.png\tsame\nb.png\tb.png\tself\n',
      );
      const full = join(dir, `full.${format}`);
      await runBatch([join(dir, 'pairs.tsv'), '-o', full]);
      const shards = [1, 2].map((i) => join(dir, `shard${i}.${format}`));
      for (let i = 0; i < 2; i++) await runBatch([join(dir, 'pairs.tsv'), '--shard', `${i + 1}/2`, '-o', shards[i]]);
      const merged = join(dir, `merged.${format}`);
      await runMerge([shards[1], shards[0], '-o', merged]);
      const text = readFileSync(full, 'utf8');
      assert.equal(readFileSync(merged, 'utf8'), text);
      if (format === 'csv') {
        assert.match(text, /^Reference,Distorted,Note,score,variant,backbone,saliency,saliency_threshold,error\n/);
        assert.match(text, /"x, y",/);
      } else {
        const rows = text
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l));
        assert.deepEqual(
          rows.map((r) => r.Note),
          ['x, y', 'swap', 'same', 'self'],
        );
        assert.equal(rows[2].score, 1);
        assert.equal(rows[0].saliency, 'none');
      }
    });
  }
});
