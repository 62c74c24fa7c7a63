/**
 * The weights store for a TF.js backbone (MobileNet v1 0.75): --weights > DEEPSSIM_MOBILENET_WEIGHTS > cache >
 * verified download; the genuine files are recognised by their pinned SHA-256 wherever they are; the cache is
 * integrity-checked (an overwritten shard is WEIGHTS_HASH_MISMATCH); imports of other files are kept apart.
 * Downloads are served by a local HTTP server (no internet in tests) from ../shared, which also proves the pinned
 * SHA-256 values and sizes match the official files.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, readdir, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, test } from 'node:test';
import { getBackbone } from '../src/backbones/registry.js';
import { loadBackboneWeights } from '../src/node/backbone-weights.js';
import { WeightsError } from '../src/errors.js';
import { cacheInfo, importWeights, loadWeights, resolveWeights } from '../src/node/weights-store.js';
import { MOBILENET_V1_075_WEIGHTS } from '../src/backbones/mobilenet-v1.js';
import type { BackboneWeights } from '../src/weights/official.js';
import { SHARED, SHARED_SKIP } from './support/paths.js';

const MODEL_DIR = join(SHARED, 'weights', 'mobilenet_v1_0.75_224');
const saved = { cache: process.env.DEEPSSIM_CACHE_DIR, env: process.env.DEEPSSIM_MOBILENET_WEIGHTS };
const D = MOBILENET_V1_075_WEIGHTS;
let cache: string;
let work: string;
let mn: BackboneWeights;

/** The MobileNet declaration with its files served from `url` instead of Google's bucket. */
const servedFrom = (url: string): BackboneWeights => ({
  ...mn,
  declaration: { ...D, official: D.official.map((f) => ({ ...f, url: `${url}/${f.name}` })) },
});

/** Serve files of `dir` (or, with `tamper`, garbage for `tamper`); counts requests. */
async function serve(dir: string, tamper?: string): Promise<{ url: string; server: Server; requests: string[] }> {
  const requests: string[] = [];
  const server = createServer((req, res) => {
    const name = decodeURIComponent((req.url ?? '/').split('/').pop() ?? '');
    requests.push(name);
    if (name === tamper) return void res.end(Buffer.from('not the official bytes'));
    readFile(join(dir, name)).then(
      (data) => res.end(data),
      () => {
        res.statusCode = 404;
        res.end();
      },
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/mobilenet`, server, requests };
}

before(async () => {
  cache = await mkdtemp(join(tmpdir(), 'deepssim-mncache-'));
  work = await mkdtemp(join(tmpdir(), 'deepssim-mnwork-'));
  mn = getBackbone('mobilenet_v1_0.75').weights;
});
afterEach(async () => {
  process.env.DEEPSSIM_CACHE_DIR = cache;
  delete process.env.DEEPSSIM_MOBILENET_WEIGHTS;
  for (const f of await readdir(cache)) await rm(join(cache, f), { recursive: true, force: true });
});
after(async () => {
  await rm(cache, { recursive: true, force: true });
  await rm(work, { recursive: true, force: true });
  for (const [k, v] of [
    ['DEEPSSIM_CACHE_DIR', saved.cache],
    ['DEEPSSIM_MOBILENET_WEIGHTS', saved.env],
  ] as const) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
});

test('pins model.json and all 55 shards, with sizes', () => {
  assert.equal(D.official.length, 56);
  assert.equal(D.official[0].name, 'model.json');
  for (let i = 1; i <= 55; i++) {
    const f = D.official.find((o) => o.name === `group${i}-shard1of1`)!;
    assert.match(f.sha256, /^[0-9a-f]{64}$/);
    assert.ok(f.bytes > 0);
    assert.equal(f.url, `https://storage.googleapis.com/tfjs-models/tfjs/mobilenet_v1_0.75_224/group${i}-shard1of1`);
  }
});

test('the pinned hashes and sizes are those of the files in ../shared', { skip: SHARED_SKIP }, async () => {
  for (const f of D.official) {
    const bytes = await readFile(join(MODEL_DIR, f.name));
    assert.equal(bytes.length, f.bytes, f.name);
    assert.equal(createHash('sha256').update(bytes).digest('hex'), f.sha256, f.name);
  }
});

test('--weights wins; a missing explicit file or env file is a clear error', async () => {
  process.env.DEEPSSIM_CACHE_DIR = cache;
  process.env.DEEPSSIM_MOBILENET_WEIGHTS = '/nonexistent/model.json';
  const here = join(work, 'x.json');
  await assert.rejects(resolveWeights(mn, { weights: here }), /weights file ".*x\.json" does not exist/);
  await assert.rejects(
    resolveWeights(mn),
    /"\/nonexistent\/model\.json" \(from DEEPSSIM_MOBILENET_WEIGHTS\) does not exist/,
  );
  await writeFile(here, '{}');
  const r = await resolveWeights(mn, { weights: here });
  assert.deepEqual([r.path, r.origin, r.verified], [here, 'explicit', false]);
  assert.match(r.note!, /model\.json is not the official file/);
  await rm(here);
});

test('no weights and downloads disabled: WEIGHTS_NOT_FOUND naming the official location', async () => {
  process.env.DEEPSSIM_CACHE_DIR = cache;
  await assert.rejects(resolveWeights(mn, { download: false }), (e: unknown) => {
    assert.ok(e instanceof WeightsError);
    assert.equal(e.code, 'WEIGHTS_NOT_FOUND');
    assert.match(
      e.message,
      /MobileNet v1 0\.75 weights not found .*DEEPSSIM_MOBILENET_WEIGHTS unset.* downloading is disabled; the official files are at https:\/\/storage\.googleapis\.com\/tfjs-models\/tfjs\/mobilenet_v1_0\.75_224\/model\.json/,
    );
    return true;
  });
});

test('offline: the download fails (WEIGHTS_DOWNLOAD_FAILED) and the cache has no usable entry', async () => {
  process.env.DEEPSSIM_CACHE_DIR = cache;
  const { url, server } = await serve(cache);
  server.close();
  await new Promise((r) => server.once('close', r));
  await assert.rejects(resolveWeights(servedFrom(url)), (e: unknown) => {
    assert.ok(e instanceof WeightsError);
    assert.equal(e.code, 'WEIGHTS_DOWNLOAD_FAILED');
    assert.match(e.message, /could not download http:\/\/127\.0\.0\.1:\d+\/mobilenet\/model\.json \(offline\? /);
    return true;
  });
  assert.equal(existsSync(join(cache, `${D.cacheName}.integrity.json`)), false);
  await assert.rejects(resolveWeights(servedFrom(url), { download: false }), /not found/);
});

test(
  'a file that does not match its pinned SHA-256 is rejected and no integrity record is written',
  { skip: SHARED_SKIP },
  async () => {
    process.env.DEEPSSIM_CACHE_DIR = cache;
    const { url, server } = await serve(MODEL_DIR, 'group3-shard1of1');
    try {
      await assert.rejects(
        resolveWeights(servedFrom(url)),
        (e: WeightsError) => e.code === 'WEIGHTS_HASH_MISMATCH' && /group3-shard1of1/.test(e.message),
      );
      assert.equal(existsSync(join(cache, `${D.cacheName}.integrity.json`)), false);
      const left = await readdir(join(cache, D.cacheName));
      assert.deepEqual(left.sort(), ['group1-shard1of1', 'group2-shard1of1', 'model.json'], 'only verified files stay');
    } finally {
      server.close();
    }
  },
);

test(
  'downloads and verifies the official files into the cache, then uses the cache (and the env variable)',
  { skip: SHARED_SKIP },
  async () => {
    process.env.DEEPSSIM_CACHE_DIR = cache;
    const { url, server, requests } = await serve(MODEL_DIR);
    const messages: string[] = [];
    const progress: number[] = [];
    const cachedModel = join(cache, D.cacheName, 'model.json');
    try {
      const r = await resolveWeights(servedFrom(url), {
        log: (m) => messages.push(m),
        onProgress: (p) => progress.push(p.bytesDone),
      });
      assert.deepEqual(r, { path: cachedModel, origin: 'download', verified: true });
      assert.equal(requests.length, 56);
      assert.match(messages[0], /downloading Google's ImageNet MobileNet v1 0\.75 weights/);
      assert.equal(
        progress.at(-1),
        D.official.reduce((s, f) => s + f.bytes, 0),
      );
    } finally {
      server.close();
    }
    assert.deepEqual(await resolveWeights(servedFrom(url)), { path: cachedModel, origin: 'cache', verified: true });
    // The registry loads the cached copy with no option at all …
    const cached = await loadBackboneWeights(getBackbone('mobilenet_v1_0.75'), { download: false });
    assert.deepEqual([cached.source, cached.verified], [cachedModel, true]);
    assert.equal(cached.weights.get('conv_pw_11.weight')?.shape.join(','), '384,384,1,1');
    // … and DEEPSSIM_MOBILENET_WEIGHTS (the genuine files elsewhere) takes precedence over the cache, still verified.
    process.env.DEEPSSIM_MOBILENET_WEIGHTS = join(MODEL_DIR, 'model.json');
    assert.deepEqual(await resolveWeights(mn), { path: join(MODEL_DIR, 'model.json'), origin: 'env', verified: true });
  },
);

test(
  'the genuine files given by path (model.json or its folder) are verified; a changed copy is flagged',
  { skip: SHARED_SKIP },
  async () => {
    process.env.DEEPSSIM_CACHE_DIR = cache;
    assert.deepEqual(await resolveWeights(mn, { weights: MODEL_DIR }), {
      path: join(MODEL_DIR, 'model.json'),
      origin: 'explicit',
      verified: true,
    });
    // A local copy with a changed batch-norm epsilon loads (it is a valid model) but is not the published metric.
    const copy = join(work, 'eps');
    await cp(MODEL_DIR, copy, { recursive: true });
    const json = await readFile(join(copy, 'model.json'), 'utf8');
    await writeFile(join(copy, 'model.json'), json.replace(/"epsilon": ?0\.001/, '"epsilon": 0.01'));
    const r = await loadWeights(mn, { weights: join(copy, 'model.json') });
    assert.deepEqual([r.verified, r.note], [false, 'model.json is not the official file']);
  },
);

test(
  'cache integrity: a shard overwritten with random bytes is WEIGHTS_HASH_MISMATCH, not NaN',
  { skip: SHARED_SKIP },
  async () => {
    process.env.DEEPSSIM_CACHE_DIR = cache;
    const r = await importWeights(mn, MODEL_DIR);
    assert.deepEqual([r.path, r.verified], [join(cache, D.cacheName), true]);
    const shard = join(cache, D.cacheName, 'group20-shard1of1');
    const size = (await stat(shard)).size;
    await writeFile(shard, randomBytes(size));
    const later = new Date(Date.now() + 5000);
    await utimes(shard, later, later);
    await assert.rejects(resolveWeights(mn, { download: false }), (e: WeightsError) => {
      assert.equal(e.code, 'WEIGHTS_HASH_MISMATCH');
      assert.match(e.message, /group20-shard1of1" were changed since they were written/);
      return true;
    });
    // A removed shard likewise.
    await rm(join(cache, D.cacheName, 'group7-shard1of1'));
    await assert.rejects(
      resolveWeights(mn, { download: false }),
      (e: WeightsError) => e.code === 'WEIGHTS_HASH_MISMATCH',
    );
  },
);

test(
  'a cached model folder without an integrity record is checked against the pinned hashes',
  { skip: SHARED_SKIP },
  async () => {
    process.env.DEEPSSIM_CACHE_DIR = cache;
    await cp(MODEL_DIR, join(cache, D.cacheName), { recursive: true });
    assert.equal((await resolveWeights(mn, { download: false })).verified, true);
    assert.ok(existsSync(join(cache, `${D.cacheName}.integrity.json`)));
    await rm(join(cache, `${D.cacheName}.integrity.json`));
    await writeFile(join(cache, D.cacheName, 'group2-shard1of1'), Buffer.alloc(384));
    await assert.rejects(
      resolveWeights(mn, { download: false }),
      (e: WeightsError) => e.code === 'WEIGHTS_HASH_MISMATCH',
    );
  },
);

test(
  'import of a model that is not the official one goes to the unverified entry; default runs say so',
  { skip: SHARED_SKIP },
  async () => {
    process.env.DEEPSSIM_CACHE_DIR = cache;
    const copy = join(work, 'changed');
    await cp(MODEL_DIR, copy, { recursive: true });
    const json = await readFile(join(copy, 'model.json'), 'utf8');
    await writeFile(join(copy, 'model.json'), json.replace(/"epsilon": ?0\.001/, '"epsilon": 0.002'));
    const r = await importWeights(mn, copy);
    assert.deepEqual([r.path, r.verified], [join(cache, D.unverifiedCacheName), false]);
    assert.equal(existsSync(join(cache, D.cacheName)), false, 'never under the official name');
    const used = await resolveWeights(mn, { download: false });
    assert.deepEqual([used.path, used.verified], [join(cache, D.unverifiedCacheName, 'model.json'), false]);
    assert.match(used.note!, /imported from .*changed.*model\.json is not the official file/);
    const info = await cacheInfo([mn]);
    assert.deepEqual(
      info.entries.map((e) => [e.kind, e.verified, e.integrity]),
      [['unverified', false, 'ok']],
    );
  },
);

test('wrong storage: a VGG16 safetensors given to MobileNet names what it is, no raw bytes', async () => {
  const { syntheticWeightFiles } = await import('./support/weights.js');
  const st = (await syntheticWeightFiles()).safetensors;
  await assert.rejects(resolveWeights(mn, { weights: st }), (e: WeightsError) => {
    assert.equal(e.code, 'WEIGHTS_WRONG_MODEL');
    assert.match(
      e.message,
      /is a PyTorch \(\.pth\) or safetensors weights file, but backbone 'mobilenet_v1_0\.75' reads a TensorFlow\.js layers model/,
    );
    // eslint-disable-next-line no-control-regex
    assert.doesNotMatch(e.message, /[\u0000-\u0008\u000e-\u001f\ufffd]/);
    return true;
  });
  const bin = join(work, 'random.bin');
  await mkdir(work, { recursive: true });
  await writeFile(bin, Buffer.from([0, 1, 2, 3, 200, 201, 202, 203, 7, 7, 7, 7, 7, 7, 7, 7, 7]));
  await assert.rejects(
    resolveWeights(mn, { weights: bin }),
    /is not a TensorFlow\.js layers model .*starts with bytes 00010203c8c9cacb/,
  );
});
