/**
 * Verified download (served by a local HTTP server on 127.0.0.1), cache resolution order and import, with
 * DEEPSSIM_CACHE_DIR pointing at a temporary directory.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import { WeightsError } from '../src/errors.js';
import { cacheDir, cacheInfo, compactVgg16Path, importWeights, resolveVgg16Weights, resolveVgg16WeightsDetailed } from '../src/weights/cache.js';
import { downloadVerified } from '../src/weights/download.js';
import { readWeightsFile, writeSafetensors } from '../src/node/read-weights-file.js';
import type { WeightMap } from '../src/weights/types.js';
import { VGG16_COMPACT_FILENAME, VGG16_OFFICIAL_URL, VGG16_RELU51_SHAPES } from '../src/weights/vgg16-shapes.js';
import { syntheticVgg16Weights } from '../tools/synthetic-weights.js';
import { syntheticWeightFiles, type SyntheticWeightFiles } from './support/weights.js';

const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

let tmp: string;
let server: Server;
let base: string;
let syn: SyntheticWeightFiles;
let legacyBytes: Buffer;
let legacySha: string;
const small = Buffer.from('0123456789abcdef'.repeat(4096)); // 64 KiB
const hits = new Map<string, number>();

before(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'deepssim-cache-test-'));
  syn = await syntheticWeightFiles();
  legacyBytes = await readFile(syn.pthLegacy);
  legacySha = sha256(legacyBytes);
  server = createServer((req, res) => {
    hits.set(req.url!, (hits.get(req.url!) ?? 0) + 1);
    if (req.url === '/small.bin') {
      res.writeHead(200, { 'content-length': small.length });
      res.end(small);
    } else if (req.url === '/vgg16.pth') {
      res.writeHead(200, { 'content-length': legacyBytes.length });
      res.end(legacyBytes);
    } else if (req.url === '/drop.bin') {
      // Promise the whole file, send half, then cut the connection.
      res.writeHead(200, { 'content-length': small.length });
      res.write(small.subarray(0, small.length / 2), () => setTimeout(() => res.socket?.destroy(), 20));
    } else {
      res.writeHead(404);
      res.end('not found');
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  await rm(tmp, { recursive: true, force: true });
});

/** A URL on 127.0.0.1 where nothing listens (connection refused, like being offline). */
async function deadUrl(): Promise<string> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return `http://127.0.0.1:${port}/vgg16.pth`;
}

async function rejectsWeights(fn: () => Promise<unknown>, re: RegExp): Promise<void> {
  await assert.rejects(fn, (e: unknown) => {
    assert.ok(e instanceof WeightsError, `expected WeightsError, got ${String(e)}`);
    assert.match(e.message, re);
    assert.ok(!e.message.includes('\n'));
    return true;
  });
}

describe('downloadVerified', () => {
  test('success: the verified file appears under its final name, no .part left', async () => {
    const dest = join(tmp, 'dl', 'ok.bin');
    const progress: [number, number | undefined][] = [];
    const r = await downloadVerified(`${base}/small.bin`, dest, { sha256: sha256(small).toUpperCase(), onProgress: (a, b) => progress.push([a, b]) });
    assert.deepEqual(await readFile(dest), small);
    assert.equal(r.bytes, small.length);
    assert.equal(r.sha256, sha256(small));
    assert.equal(existsSync(dest + '.part'), false);
    assert.ok(progress.length >= 1);
    assert.deepEqual(progress.at(-1), [small.length, small.length]);
  });

  test('SHA-256 mismatch: WeightsError naming both hashes, nothing kept', async () => {
    const dest = join(tmp, 'dl', 'bad.bin');
    const wrong = '0'.repeat(64);
    await rejectsWeights(
      () => downloadVerified(`${base}/small.bin`, dest, { sha256: wrong }),
      new RegExp(`^SHA-256 mismatch for ${base}/small\\.bin: expected ${wrong}, got ${sha256(small)}`),
    );
    assert.equal(existsSync(dest), false);
    assert.equal(existsSync(dest + '.part'), false);
  });

  test('connection lost mid-way: WeightsError, no .part left', async () => {
    const dest = join(tmp, 'dl', 'drop.bin');
    await rejectsWeights(() => downloadVerified(`${base}/drop.bin`, dest, { sha256: sha256(small) }), /could not download .*drop\.bin/);
    assert.equal(existsSync(dest), false);
    assert.equal(existsSync(dest + '.part'), false);
  });

  test('offline and HTTP errors give instructions', async () => {
    const dest = join(tmp, 'dl', 'off.bin');
    const url = await deadUrl();
    await rejectsWeights(
      () => downloadVerified(url, dest, { sha256: sha256(small) }),
      /could not download .* \(offline\?.*--weights <file>.*DEEPSSIM_WEIGHTS=<file>.*deepssim weights import <file>/,
    );
    await rejectsWeights(() => downloadVerified(`${base}/missing`, dest, { sha256: sha256(small) }), /could not download .*\(HTTP 404/);
    assert.deepEqual((await readdir(join(tmp, 'dl'))).filter((f) => f.startsWith('off') || f.endsWith('.part')), []);
  });
});

describe('cache resolution and import', () => {
  let cache: string;
  beforeEach(async () => {
    cache = await mkdtemp(join(tmp, 'cache-'));
    process.env.DEEPSSIM_CACHE_DIR = cache;
    delete process.env.DEEPSSIM_WEIGHTS;
  });

  test('cacheDir honours DEEPSSIM_CACHE_DIR', () => {
    assert.equal(cacheDir(), cache);
    assert.equal(compactVgg16Path(), join(cache, VGG16_COMPACT_FILENAME));
  });

  test('order: explicit > DEEPSSIM_WEIGHTS > cache > download', async () => {
    // Nothing anywhere → download (from the local server), compacted into the cache; the big file is deleted.
    const url = `${base}/vgg16.pth`;
    hits.delete('/vgg16.pth');
    const logs: string[] = [];
    const first = await resolveVgg16WeightsDetailed({ url, sha256: legacySha, log: (m) => logs.push(m) });
    assert.deepEqual(first, { path: join(cache, VGG16_COMPACT_FILENAME), source: 'download' });
    assert.equal(hits.get('/vgg16.pth'), 1);
    assert.deepEqual(await readdir(cache), [VGG16_COMPACT_FILENAME]);
    assert.ok(logs.some((l) => l.includes('downloading')));
    const compact = await readWeightsFile(first.path);
    assert.equal(compact.format, 'safetensors');
    assert.deepEqual(compact.metadata, { source_url: url, source_sha256: legacySha, backbone: 'vgg16', layers: 'conv1_1..conv5_1' });
    assert.deepEqual([...compact.tensors.keys()], Object.keys(VGG16_RELU51_SHAPES));
    const gen = syntheticVgg16Weights(syn.seed);
    for (const [name, t] of gen) assert.deepEqual(compact.tensors.get(name)!.data, t.data, name);

    // Cached now → no second download, even with downloading disabled.
    assert.deepEqual(await resolveVgg16WeightsDetailed({ url, sha256: legacySha, download: false }), { path: first.path, source: 'cache' });
    assert.equal(hits.get('/vgg16.pth'), 1);

    // DEEPSSIM_WEIGHTS beats the cache; an explicit path beats both.
    process.env.DEEPSSIM_WEIGHTS = syn.pthZip;
    assert.deepEqual(await resolveVgg16WeightsDetailed({}), { path: syn.pthZip, source: 'env' });
    assert.equal(await resolveVgg16Weights({ weights: syn.safetensors }), syn.safetensors);
    assert.deepEqual(await resolveVgg16WeightsDetailed({ weights: syn.pthLegacy }), { path: syn.pthLegacy, source: 'explicit' });

    // Missing files are reported with where they came from.
    await rejectsWeights(() => resolveVgg16Weights({ weights: join(tmp, 'nope.pth') }), /nope\.pth \(from --weights\) does not exist/);
    process.env.DEEPSSIM_WEIGHTS = join(tmp, 'gone.pth');
    await rejectsWeights(() => resolveVgg16Weights(), /gone\.pth \(from DEEPSSIM_WEIGHTS\) does not exist/);
  });

  test('nothing cached and offline: instructions, nothing left in the cache', async () => {
    const url = await deadUrl();
    await rejectsWeights(() => resolveVgg16Weights({ url, sha256: legacySha }), /could not download .*\(offline\?.*--weights <file>.*DEEPSSIM_WEIGHTS.*deepssim weights import/);
    assert.deepEqual(await readdir(cache), []);
  });

  test('nothing cached and downloads disabled: instructions naming the official URL', async () => {
    await rejectsWeights(() => resolveVgg16Weights({ download: false }), new RegExp(`downloading is disabled.*${VGG16_OFFICIAL_URL.replaceAll('.', '\\.')}.*--weights <file>.*deepssim weights import`));
  });

  test('a download with the wrong hash is discarded and nothing is cached', async () => {
    await rejectsWeights(() => resolveVgg16Weights({ url: `${base}/vgg16.pth`, sha256: 'f'.repeat(64) }), /SHA-256 mismatch/);
    assert.deepEqual(await readdir(cache), []);
  });

  test('importWeights writes the compact file from any format; cacheInfo reports it', async () => {
    assert.deepEqual(await cacheInfo(), { dir: cache, exists: true, files: [], vgg16: null });
    for (const file of [syn.pthZip, syn.pthLegacy, syn.safetensors]) {
      const r = await importWeights(file);
      assert.equal(r.path, compactVgg16Path());
      assert.equal(r.tensors, 22);
      const back = await readWeightsFile(r.path);
      assert.equal(back.metadata?.source_file, file);
      assert.deepEqual(back.tensors.get('features.24.bias')!.data, syntheticVgg16Weights(syn.seed).get('features.24.bias')!.data);
    }
    const info = await cacheInfo();
    assert.equal(info.files.length, 1, 'no temporary files left behind');
    assert.equal(info.vgg16?.path, compactVgg16Path());
    assert.ok(info.vgg16!.bytes > 39_980_000 && info.vgg16!.bytes < 40_000_000);
    assert.equal(info.vgg16!.metadata.backbone, 'vgg16');
    assert.equal((await resolveVgg16WeightsDetailed({ download: false })).source, 'cache');
  });

  test('importWeights refuses wrong shapes and leaves the cache untouched', async () => {
    const bad: WeightMap = new Map(syntheticVgg16Weights(5));
    bad.set('features.0.weight', { shape: [64, 3, 5, 5], data: new Float32Array(64 * 3 * 25) });
    const p = join(tmp, 'bad-shapes.safetensors');
    await writeSafetensors(p, bad);
    await rejectsWeights(() => importWeights(p), /bad-shapes\.safetensors: features\.0\.weight has shape \[64,3,5,5\], expected \[64,3,3,3\]/);
    const missing = join(tmp, 'missing.safetensors');
    await writeSafetensors(missing, new Map([...syntheticVgg16Weights(5)].filter(([n]) => n !== 'features.24.bias')));
    await rejectsWeights(() => importWeights(missing), /tensor features\.24\.bias is missing/);
    await writeFile(join(tmp, 'junk.pth'), 'junk junk junk junk');
    await rejectsWeights(() => importWeights(join(tmp, 'junk.pth')), /not a recognised weights format/);
    assert.deepEqual(await readdir(cache), []);
  });

  test('cacheInfo on a cache directory that does not exist', async () => {
    process.env.DEEPSSIM_CACHE_DIR = join(cache, 'not-there');
    const info = await cacheInfo();
    assert.equal(info.exists, false);
    assert.deepEqual(info.files, []);
  });
});
