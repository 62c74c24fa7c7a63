/**
 * Where the MobileNet weights come from: --weights > DEEPSSIM_MOBILENET_WEIGHTS > cache > verified download.
 * Downloads are served by a local HTTP server (no internet in tests) from ../shared, which also proves the pinned
 * SHA-256 values match the official files.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, test } from 'node:test';
import { getBackbone } from '../src/backbones/registry.js';
import { WeightsError } from '../src/errors.js';
import { MOBILENET_FILES_SHA256, cachedMobileNetPath, resolveMobileNetWeightsDetailed } from '../src/weights/mobilenet-cache.js';
import { SHARED, SHARED_SKIP } from './support/paths.js';

const MODEL_DIR = join(SHARED, 'weights', 'mobilenet_v1_0.75_224');
const saved = { cache: process.env.DEEPSSIM_CACHE_DIR, env: process.env.DEEPSSIM_MOBILENET_WEIGHTS };
let cache: string;

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
});
afterEach(async () => {
  process.env.DEEPSSIM_CACHE_DIR = cache;
  delete process.env.DEEPSSIM_MOBILENET_WEIGHTS;
  await rm(join(cache, 'mobilenet_v1_0.75_224'), { recursive: true, force: true });
});
after(async () => {
  await rm(cache, { recursive: true, force: true });
  for (const [k, v] of [['DEEPSSIM_CACHE_DIR', saved.cache], ['DEEPSSIM_MOBILENET_WEIGHTS', saved.env]] as const) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
});

test('pins model.json and all 55 shards', () => {
  const names = Object.keys(MOBILENET_FILES_SHA256);
  assert.equal(names.length, 56);
  assert.equal(names[0], 'model.json');
  for (let i = 1; i <= 55; i++) assert.match(MOBILENET_FILES_SHA256[`group${i}-shard1of1`], /^[0-9a-f]{64}$/);
});

test('--weights wins; a missing explicit file or env file is a clear error', async () => {
  process.env.DEEPSSIM_CACHE_DIR = cache;
  process.env.DEEPSSIM_MOBILENET_WEIGHTS = '/nonexistent/model.json';
  const here = join(cache, 'x.json');
  await assert.rejects(resolveMobileNetWeightsDetailed({ weights: here }), /weights file .*x\.json \(from --weights\) does not exist/);
  await assert.rejects(resolveMobileNetWeightsDetailed({}), /\/nonexistent\/model\.json \(from DEEPSSIM_MOBILENET_WEIGHTS\) does not exist/);
  await writeFile(here, '{}');
  assert.deepEqual(await resolveMobileNetWeightsDetailed({ weights: here }), { path: here, source: 'explicit' });
  await rm(here);
});

test('no weights and downloads disabled: says where to put them', async () => {
  process.env.DEEPSSIM_CACHE_DIR = cache;
  delete process.env.DEEPSSIM_MOBILENET_WEIGHTS;
  await assert.rejects(resolveMobileNetWeightsDetailed({ download: false }), (e: unknown) => {
    assert.ok(e instanceof WeightsError);
    assert.match(e.message, /MobileNet weights not found .* downloading is disabled\. Download https:\/\/storage\.googleapis\.com\/tfjs-models\/tfjs\/mobilenet_v1_0\.75_224\/model\.json .*DEEPSSIM_MOBILENET_WEIGHTS=/);
    return true;
  });
});

test('offline: the download fails with the manual instructions and leaves nothing in the cache', async () => {
  process.env.DEEPSSIM_CACHE_DIR = cache;
  const { url, server } = await serve(cache);
  server.close();
  await new Promise((r) => server.once('close', r));
  await assert.rejects(resolveMobileNetWeightsDetailed({ baseUrl: url }), (e: unknown) => {
    assert.ok(e instanceof WeightsError);
    assert.match(e.message, /could not download http:\/\/127\.0\.0\.1:\d+\/mobilenet\/group1-shard1of1 \(offline\? .*\)\. Download .*model\.json and its 55 group\*-shard1of1 files .*--weights <folder>\/model\.json/);
    return true;
  });
  assert.equal(existsSync(cachedMobileNetPath()), false);
});

test('a file that does not match its pinned SHA-256 is rejected and model.json is never written', { skip: SHARED_SKIP }, async () => {
  process.env.DEEPSSIM_CACHE_DIR = cache;
  const { url, server } = await serve(MODEL_DIR, 'group3-shard1of1');
  try {
    await assert.rejects(resolveMobileNetWeightsDetailed({ baseUrl: url }), /SHA-256 mismatch for .*group3-shard1of1/);
    assert.equal(existsSync(cachedMobileNetPath()), false);
    const left = await readdir(join(cache, 'mobilenet_v1_0.75_224'));
    assert.deepEqual(left.sort(), ['group1-shard1of1', 'group2-shard1of1'], 'only verified files stay');
  } finally {
    server.close();
  }
});

test('downloads and verifies the official files into the cache, then uses the cache (and the env variable)', { skip: SHARED_SKIP }, async () => {
  process.env.DEEPSSIM_CACHE_DIR = cache;
  const { url, server, requests } = await serve(MODEL_DIR);
  const messages: string[] = [];
  try {
    const r = await resolveMobileNetWeightsDetailed({ baseUrl: url, log: (m) => messages.push(m) });
    assert.deepEqual(r, { path: cachedMobileNetPath(), source: 'download' });
    assert.equal(requests.length, 56);
    assert.equal(requests[requests.length - 1], 'model.json', 'model.json comes last');
    assert.match(messages[0], /downloading the MobileNet v1 0\.75 weights/);
  } finally {
    server.close();
  }
  assert.deepEqual(await resolveMobileNetWeightsDetailed({ baseUrl: url }), { path: cachedMobileNetPath(), source: 'cache' });
  // The registry loads the cached copy with no option at all …
  const entry = getBackbone('mobilenet_v1_0.75');
  const cached = await entry.loadWeights({ download: false });
  assert.equal(cached.source, cachedMobileNetPath());
  assert.equal(cached.weights.get('conv_pw_11.weight')?.shape.join(','), '384,384,1,1');
  // … and DEEPSSIM_MOBILENET_WEIGHTS takes precedence over the cache.
  process.env.DEEPSSIM_MOBILENET_WEIGHTS = join(MODEL_DIR, 'model.json');
  assert.deepEqual(await resolveMobileNetWeightsDetailed({}), { path: join(MODEL_DIR, 'model.json'), source: 'env' });
});
