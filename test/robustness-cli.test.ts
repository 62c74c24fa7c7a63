import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import type { RGBImage } from '../src/image/types.js';
import type { FullReferenceMetric } from '../src/metrics/types.js';
import type { CliDeps } from '../src/cli/run.js';
import { runCli } from './support/cli.js';

function image(w: number, h: number, phase: number): RGBImage {
  const data = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      for (let c = 0; c < 3; c++) {
        data[(y * w + x) * 3 + c] = Math.round(128 + 90 * Math.sin(x / 3 + phase + c) * Math.cos(y / 4));
      }
  return { data, width: w, height: h };
}

const mae = (name: string): FullReferenceMetric => ({
  name,
  higherIsBetter: false,
  requiresSameSize: true,
  score(a, b) {
    let s = 0;
    for (let i = 0; i < a.data.length; i++) s += Math.abs(a.data[i] - b.data[i]);
    return s / a.data.length;
  },
});

let lastStderr = '';

/** `deepssim robustness <args>` in-process with injected metrics/decoder; stdout, or a rejection with the exit code. */
async function run(args: string[], deps: CliDeps): Promise<string> {
  // A heartbeat on every progress update (stderr is not a terminal here).
  const r = await runCli(['robustness', ...args], { deps, env: { DEEPSSIM_PROGRESS_INTERVAL_MS: '0' } });
  lastStderr = r.stderr;
  if (r.code !== 0) throw new Error(`exit ${r.code}: ${r.stderr}`);
  return r.stdout;
}

test('robustness command: decodes images, builds metrics via deps, writes report, disposes metrics', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'robustness-cli-'));
  try {
    const paths = [join(dir, 'a.png'), join(dir, 'b.png')];
    for (const [i, p] of paths.entries()) {
      const img = image(40, 32, i);
      await writeFile(
        p,
        await sharp(img.data, { raw: { width: 40, height: 32, channels: 3 } })
          .png()
          .toBuffer(),
      );
    }
    const created: { name: string; options: Record<string, unknown> }[] = [];
    let disposed = 0;
    const deps = {
      createMetric(name: string, options: Record<string, unknown>): FullReferenceMetric {
        created.push({ name, options });
        return { ...mae(name), dispose: () => void disposed++ };
      },
    };
    const outDir = join(dir, 'out');
    const md = await run(
      [
        ...paths,
        '--metrics',
        'mae1,mae2',
        '--transforms',
        'shift,scale',
        '--out',
        outDir,
        '--variant',
        'lite',
        '--seed',
        '5',
      ],
      deps,
    );
    assert.deepEqual(
      created.map((c) => c.name),
      ['mae1', 'mae2'],
    );
    assert.equal(created[0].options.variant, 'lite');
    assert.equal(disposed, 2);
    assert.match(md, /^# Metric robustness/);
    assert.match(md, /\| shift \| geometric \| 1 px \| \d+\.\d{4} ± \d+\.\d{4} \| /);
    assert.match(md, /\| scale \| geometric \| 0\.9 factor \| n\/a \| n\/a \|/);
    assert.match(md, /2 image\(s\): a\.png \(40×32\), b\.png \(40×32\)\. Seed 5\./);
    assert.equal((await readdir(outDir)).length, 6);
    // Not a terminal: no bar, but heartbeat lines on stderr (every update with a 0 ms interval), none on stdout.
    assert.match(lastStderr, /^deepssim: robustness (\d+)\/\1 pairs, \d+s elapsed \(last: b\.png /m);
    assert.doesNotMatch(md, /deepssim: robustness/);
    const json = JSON.parse(
      await run([...paths, '--metrics', 'mae1', '--transforms', 'rotation', '--out', outDir, '--json'], deps),
    );
    assert.deepEqual(
      json.transforms.map((t: { name: string }) => t.name),
      ['rotation'],
    );
    assert.equal(json.rankConsistency.length, 2);
    const onDisk = JSON.parse(await readFile(join(outDir, 'robustness.json'), 'utf8'));
    assert.deepEqual(onDisk.summary, json.summary);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('robustness command: usage errors before any metric is built', async () => {
  let built = 0;
  const deps = {
    createMetric: (name: string) => {
      built++;
      return mae(name);
    },
    loadImage: async () => image(20, 20, 0),
  };
  await assert.rejects(
    run(['x.png', '--transforms', 'shift,warp', '--out', '/tmp/unused'], deps),
    /^Error: exit 2: error: unknown transform 'warp'/,
  );
  assert.equal(built, 0);
  await assert.rejects(run(['x.png', '--metrics', 'a,a', '--out', '/tmp/unused'], deps), /exit 2: .*twice/);
  await assert.rejects(run(['x.png', '--metrics', 'a'], deps), /exit 2: .*--out/);
  await assert.rejects(run(['x.png', '--out', '/tmp/unused', '--seed', '-1'], deps), /exit 2: .*--seed/);
});
