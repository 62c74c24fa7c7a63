/**
 * The weights store for a state-dict backbone (VGG16): verified download (served by a local HTTP server on
 * 127.0.0.1), lookup order, genuineness of files given by path, import into an official or unverified cache entry,
 * the cache integrity record (fast path on size+mtime, full check when they change) and the finite-value check.
 * "Official" here is the synthetic legacy .pth, pinned in a test declaration: the real 528 MB file is not available.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, open, readFile, readdir, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import { getBackbone } from '../src/backbones/registry.js';
import { WeightsError } from '../src/errors.js';
import { downloadVerified } from '../src/node/weights-download.js';
import {
  cacheDir,
  cacheInfo,
  exportWeights,
  fetchWeights,
  importWeights,
  loadWeights,
  resolveWeights,
} from '../src/node/weights-store.js';
import { VGG16_WEIGHTS } from '../src/backbones/vgg16.js';
import type { BackboneWeights } from '../src/weights/official.js';
import { readWeightsFile, writeSafetensors } from '../src/node/read-weights-file.js';
import type { WeightMap } from '../src/weights/types.js';
import { VGG16_RELU51_SHAPES } from '../src/backbones/vgg16.js';
import { syntheticVgg16Weights } from '../tools/synthetic-weights.js';
import { syntheticWeightFiles, type SyntheticWeightFiles } from './support/weights.js';

const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

let tmp: string;
let server: Server;
let base: string;
let syn: SyntheticWeightFiles;
let legacyBytes: Buffer;
let legacySha: string;
/** VGG16 with the synthetic legacy .pth declared as the official file (served by the local server). */
let testVgg: BackboneWeights;
const small = Buffer.from('0123456789abcdef'.repeat(4096)); // 64 KiB
const hits = new Map<string, number>();
const saved = { cache: process.env.DEEPSSIM_CACHE_DIR, env: process.env.DEEPSSIM_WEIGHTS };

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
  const real = getBackbone('vgg16').weights;
  testVgg = {
    ...real,
    declaration: {
      ...VGG16_WEIGHTS,
      official: [
        { name: 'vgg16-synthetic.pth', url: `${base}/vgg16.pth`, sha256: legacySha, bytes: legacyBytes.length },
      ],
      entry: 'vgg16-synthetic.pth',
    },
  };
});
after(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  await rm(tmp, { recursive: true, force: true });
  for (const [k, v] of [
    ['DEEPSSIM_CACHE_DIR', saved.cache],
    ['DEEPSSIM_WEIGHTS', saved.env],
  ] as const) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
});

/** A URL on 127.0.0.1 where nothing listens (connection refused, like being offline). */
async function deadUrl(): Promise<string> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return `http://127.0.0.1:${port}/vgg16.pth`;
}

async function rejectsWeights(fn: () => Promise<unknown>, code: string, re: RegExp): Promise<void> {
  await assert.rejects(fn, (e: unknown) => {
    assert.ok(e instanceof WeightsError, `expected WeightsError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    assert.match(e.message, re);
    assert.ok(!e.message.includes('\n'));
    assert.ok(!/--weights|deepssim weights/.test(e.message), `library messages name no CLI flag: ${e.message}`);
    return true;
  });
}

describe('downloadVerified', () => {
  test('success: the verified file appears under its final name, no .part left', async () => {
    const dest = join(tmp, 'dl', 'ok.bin');
    const progress: [number, number | undefined][] = [];
    const r = await downloadVerified(`${base}/small.bin`, dest, {
      sha256: sha256(small).toUpperCase(),
      onProgress: (a, b) => progress.push([a, b]),
    });
    assert.deepEqual(await readFile(dest), small);
    assert.equal(r.bytes, small.length);
    assert.equal(r.sha256, sha256(small));
    assert.equal(existsSync(dest + '.part'), false);
    assert.ok(progress.length >= 1);
    assert.deepEqual(progress.at(-1), [small.length, small.length]);
  });

  test('SHA-256 mismatch: WEIGHTS_HASH_MISMATCH naming both hashes, nothing kept', async () => {
    const dest = join(tmp, 'dl', 'bad.bin');
    const wrong = '0'.repeat(64);
    await rejectsWeights(
      () => downloadVerified(`${base}/small.bin`, dest, { sha256: wrong }),
      'WEIGHTS_HASH_MISMATCH',
      new RegExp(`^SHA-256 mismatch for ${base}/small\\.bin: expected ${wrong}, got ${sha256(small)}`),
    );
    assert.equal(existsSync(dest), false);
    assert.equal(existsSync(dest + '.part'), false);
  });

  test('connection lost mid-way: WEIGHTS_DOWNLOAD_FAILED, no .part left', async () => {
    const dest = join(tmp, 'dl', 'drop.bin');
    await rejectsWeights(
      () => downloadVerified(`${base}/drop.bin`, dest, { sha256: sha256(small) }),
      'WEIGHTS_DOWNLOAD_FAILED',
      /could not download .*drop\.bin/,
    );
    assert.equal(existsSync(dest), false);
    assert.equal(existsSync(dest + '.part'), false);
  });

  test('offline and HTTP errors: WEIGHTS_DOWNLOAD_FAILED with the URL in the details', async () => {
    const dest = join(tmp, 'dl', 'off.bin');
    const url = await deadUrl();
    await rejectsWeights(
      () => downloadVerified(url, dest, { sha256: sha256(small) }),
      'WEIGHTS_DOWNLOAD_FAILED',
      /could not download .* \(offline\?/,
    );
    await assert.rejects(
      downloadVerified(url, dest, { sha256: sha256(small) }),
      (e: WeightsError) => e.details.url === url,
    );
    await rejectsWeights(
      () => downloadVerified(`${base}/missing`, dest, { sha256: sha256(small) }),
      'WEIGHTS_DOWNLOAD_FAILED',
      /could not download .*\(HTTP 404/,
    );
    assert.deepEqual(
      (await readdir(join(tmp, 'dl'))).filter((f) => f.startsWith('off') || f.endsWith('.part')),
      [],
    );
  });
});

describe('VGG16 weights store', () => {
  let cache: string;
  beforeEach(async () => {
    cache = await mkdtemp(join(tmp, 'cache-'));
    process.env.DEEPSSIM_CACHE_DIR = cache;
    delete process.env.DEEPSSIM_WEIGHTS;
  });
  const compact = (): string => join(cache, VGG16_WEIGHTS.cacheName);
  const unverified = (): string => join(cache, VGG16_WEIGHTS.unverifiedCacheName);

  test('cacheDir honours DEEPSSIM_CACHE_DIR', () => {
    assert.equal(cacheDir(), cache);
  });

  test('order: explicit > env > cache > download; download reports progress and keeps only the compact file', async () => {
    hits.delete('/vgg16.pth');
    const logs: string[] = [];
    const progress: number[] = [];
    const first = await resolveWeights(testVgg, {
      log: (m) => logs.push(m),
      onProgress: (p) => progress.push(p.bytesDone / p.bytesTotal!),
    });
    assert.deepEqual(first, { path: compact(), origin: 'download', verified: true });
    assert.equal(hits.get('/vgg16.pth'), 1);
    assert.deepEqual((await readdir(cache)).sort(), [
      VGG16_WEIGHTS.cacheName,
      `${VGG16_WEIGHTS.cacheName}.integrity.json`,
    ]);
    assert.ok(logs.some((l) => l.startsWith('downloading')));
    assert.equal(progress.at(-1), 1);
    assert.ok(
      progress.every((v, i) => i === 0 || v >= progress[i - 1]),
      'progress never goes back',
    );
    const back = await readWeightsFile(first.path);
    assert.equal(back.format, 'safetensors');
    assert.deepEqual(back.metadata, VGG16_WEIGHTS.compact!.metadata);
    assert.deepEqual([...back.tensors.keys()], Object.keys(VGG16_RELU51_SHAPES).sort());
    for (const [name, t] of syntheticVgg16Weights(syn.seed))
      assert.deepEqual(back.tensors.get(name)!.data, t.data, name);

    // Cached now: no second download, even with downloading disabled.
    assert.deepEqual(await resolveWeights(testVgg, { download: false }), {
      path: compact(),
      origin: 'cache',
      verified: true,
    });
    assert.equal(hits.get('/vgg16.pth'), 1);

    // The env variable beats the cache; an explicit path beats both. Neither is the official file here.
    process.env.DEEPSSIM_WEIGHTS = syn.pthZip;
    const env = await resolveWeights(testVgg);
    assert.equal(env.origin, 'env');
    assert.equal(env.verified, false);
    assert.equal((await resolveWeights(testVgg, { weights: syn.safetensors })).path, syn.safetensors);
    // The official file given by path is verified by its hash.
    assert.deepEqual(await resolveWeights(testVgg, { weights: syn.pthLegacy }), {
      path: syn.pthLegacy,
      origin: 'explicit',
      verified: true,
    });
    // Its hash is remembered (keyed by path, size and mtime) so a 553 MB file is not hashed on every run.
    const memo = JSON.parse(await readFile(join(cache, 'hashes.json'), 'utf8'));
    assert.equal(memo[syn.pthLegacy].sha256, legacySha);
    const copy = join(cache, 'copy.pth');
    await writeFile(copy, legacyBytes);
    assert.equal((await resolveWeights(testVgg, { weights: copy })).verified, true);
    // Same size, other bytes, new mtime: hashed again, and no longer the official file.
    const changed = Buffer.from(legacyBytes);
    changed[changed.length - 100] ^= 1;
    await writeFile(copy, changed);
    await utimes(copy, new Date(Date.now() + 5000), new Date(Date.now() + 5000));
    const r = await resolveWeights(testVgg, { weights: copy });
    assert.deepEqual([r.verified, r.note], [false, 'its SHA-256 differs from the official vgg16-synthetic.pth']);

    // Missing files are reported with where they came from.
    await rejectsWeights(
      () => resolveWeights(testVgg, { weights: join(tmp, 'nope.pth') }),
      'WEIGHTS_NOT_FOUND',
      /nope\.pth" does not exist/,
    );
    process.env.DEEPSSIM_WEIGHTS = join(tmp, 'gone.pth');
    await rejectsWeights(
      () => resolveWeights(testVgg),
      'WEIGHTS_NOT_FOUND',
      /gone\.pth" \(from DEEPSSIM_WEIGHTS\) does not exist/,
    );
  });

  test('files given by path that are not the official one are flagged; the real declaration pins torchvision', async () => {
    const real = getBackbone('vgg16').weights;
    assert.equal(
      real.declaration.official[0].sha256,
      '397923af8e79cdbb6a7127f12361acd7a2f83e06b05044ddf496e83de57a5bf0',
    );
    assert.equal(real.declaration.official[0].bytes, 553_433_881);
    for (const f of [syn.pthLegacy, syn.pthZip, syn.safetensors]) {
      const r = await loadWeights(real, { weights: f });
      assert.equal(r.verified, false, f);
      assert.match(r.note!, /not the official vgg16-397923af\.pth/);
      assert.equal(r.weights.size, 22);
    }
  });

  test('nothing cached and offline: WEIGHTS_DOWNLOAD_FAILED, nothing left in the cache', async () => {
    const url = await deadUrl();
    const dead = {
      ...testVgg,
      declaration: { ...testVgg.declaration, official: [{ ...testVgg.declaration.official[0], url }] },
    };
    await rejectsWeights(() => resolveWeights(dead), 'WEIGHTS_DOWNLOAD_FAILED', /could not download .*\(offline\?/);
    assert.deepEqual(await readdir(cache), []);
  });

  test('nothing cached and downloads disabled: WEIGHTS_NOT_FOUND naming the official URL', async () => {
    await rejectsWeights(
      () => resolveWeights(getBackbone('vgg16').weights, { download: false }),
      'WEIGHTS_NOT_FOUND',
      /downloading is disabled; the official files are at https:\/\/download\.pytorch\.org\/models\/vgg16-397923af\.pth/,
    );
  });

  test('a download with the wrong hash is discarded and nothing is cached', async () => {
    const bad = {
      ...testVgg,
      declaration: {
        ...testVgg.declaration,
        official: [{ ...testVgg.declaration.official[0], sha256: 'f'.repeat(64) }],
      },
    };
    await rejectsWeights(() => resolveWeights(bad), 'WEIGHTS_HASH_MISMATCH', /SHA-256 mismatch/);
    assert.deepEqual(await readdir(cache), []);
  });

  test('import: the official file goes to the official entry, anything else to the unverified entry', async () => {
    const official = await importWeights(testVgg, syn.pthLegacy);
    assert.deepEqual([official.path, official.verified], [compact(), true]);
    for (const file of [syn.pthZip, syn.safetensors]) {
      const r = await importWeights(testVgg, file);
      assert.deepEqual([r.path, r.verified], [unverified(), false], file);
      assert.match(r.note!, /not the official/);
    }
    // The official entry wins over the unverified one …
    assert.deepEqual(await resolveWeights(testVgg, { download: false }), {
      path: compact(),
      origin: 'cache',
      verified: true,
    });
    // … and without it, default runs use the import and say it is unverified.
    await rm(compact());
    const r = await resolveWeights(testVgg, { download: false });
    assert.deepEqual([r.path, r.origin, r.verified], [unverified(), 'cache', false]);
    assert.match(r.note!, /imported from .*vgg16-synthetic\.safetensors/);
    const info = await cacheInfo([testVgg]);
    assert.deepEqual(
      info.entries.map((e) => [e.kind, e.verified, e.integrity]),
      [['unverified', false, 'ok']],
    );
  });

  test('import refuses wrong shapes and non-finite weights, and leaves the cache untouched', async () => {
    const bad: WeightMap = new Map(syntheticVgg16Weights(5));
    bad.set('features.0.weight', { shape: [64, 3, 5, 5], data: new Float32Array(64 * 3 * 25) });
    const p = join(tmp, 'bad-shapes.safetensors');
    await writeSafetensors(p, bad);
    await rejectsWeights(
      () => importWeights(testVgg, p),
      'WEIGHTS_WRONG_MODEL',
      /bad-shapes\.safetensors: features\.0\.weight has shape \[64,3,5,5\], expected \[64,3,3,3\]/,
    );
    const nan: WeightMap = new Map(syntheticVgg16Weights(5));
    const w = nan.get('features.17.weight')!;
    const data = Float32Array.from(w.data);
    data[1234] = Number.NaN;
    nan.set('features.17.weight', { shape: w.shape, data });
    const pn = join(tmp, 'nan.safetensors');
    await writeSafetensors(pn, nan);
    await rejectsWeights(
      () => importWeights(testVgg, pn),
      'WEIGHTS_NOT_FINITE',
      /tensor "features\.17\.weight" holds a non-finite value \(NaN\) at index 1234/,
    );
    await writeFile(join(tmp, 'junk.pth'), 'junk junk junk junk');
    await rejectsWeights(
      () => importWeights(testVgg, join(tmp, 'junk.pth')),
      'WEIGHTS_CORRUPT',
      /not a recognised weights format/,
    );
    assert.deepEqual(await readdir(cache), []);
  });

  test('a NaN weight given by path never reaches the metric: WEIGHTS_NOT_FINITE names the tensor', async () => {
    const inf: WeightMap = new Map(syntheticVgg16Weights(7));
    const b = inf.get('features.24.bias')!;
    const data = Float32Array.from(b.data);
    data[3] = Number.POSITIVE_INFINITY;
    inf.set('features.24.bias', { shape: b.shape, data });
    const p = join(tmp, 'inf.safetensors');
    await writeSafetensors(p, inf);
    await assert.rejects(
      loadWeights(testVgg, { weights: p }),
      (e: WeightsError) => e.code === 'WEIGHTS_NOT_FINITE' && e.details.tensor === 'features.24.bias',
    );
  });

  test('cache integrity: fast path on unchanged size+mtime, full check when they change, tampering is an error', async () => {
    await importWeights(testVgg, syn.pthLegacy);
    const record = JSON.parse(await readFile(`${compact()}.integrity.json`, 'utf8'));
    assert.equal(record.files[0].sha256, sha256(await readFile(compact())));
    // Same bytes, new mtime (e.g. the cache was copied): the full check passes and the record follows the file.
    const later = new Date(Date.now() + 5000);
    await utimes(compact(), later, later);
    assert.equal((await resolveWeights(testVgg, { download: false })).verified, true);
    const refreshed = JSON.parse(await readFile(`${compact()}.integrity.json`, 'utf8'));
    assert.equal(refreshed.files[0].mtimeMs, (await stat(compact())).mtimeMs);

    // Zero conv1_1 (features.0.weight) in place: size unchanged, mtime changed → full check → mismatch.
    const st = await readWeightsFile(compact(), { select: () => false });
    assert.ok(st);
    const bytes = await readFile(compact());
    const headerLen = Number(bytes.readBigUInt64LE(0));
    const header = JSON.parse(bytes.subarray(8, 8 + headerLen).toString('utf8'));
    const [b0, e0] = header['features.0.weight'].data_offsets as number[];
    const fh = await open(compact(), 'r+');
    await fh.write(Buffer.alloc(e0 - b0), 0, e0 - b0, 8 + headerLen + b0);
    await fh.close();
    const tampered = new Date(Date.now() + 10000);
    await utimes(compact(), tampered, tampered);
    await rejectsWeights(
      () => resolveWeights(testVgg, { download: false }),
      'WEIGHTS_HASH_MISMATCH',
      /were changed since they were written/,
    );
    const info = await cacheInfo([testVgg]);
    assert.match(info.entries[0].integrity, /changed since they were written/);

    // A tamperer who restores size and mtime passes the fast path; the full check still catches it.
    await utimes(compact(), new Date(refreshed.files[0].mtimeMs), new Date(refreshed.files[0].mtimeMs));
    await rejectsWeights(
      () => resolveWeights(testVgg, { download: false, verifyCache: 'full' }),
      'WEIGHTS_HASH_MISMATCH',
      /changed/,
    );
    // fetch always runs the full check.
    await rejectsWeights(() => fetchWeights(testVgg), 'WEIGHTS_HASH_MISMATCH', /changed/);
  });

  test('a compact file cached by an older deepssim (no integrity record) is used, but as unverified', async () => {
    await importWeights(testVgg, syn.pthLegacy);
    await rm(`${compact()}.integrity.json`);
    const r = await resolveWeights(testVgg, { download: false });
    assert.deepEqual([r.origin, r.verified], ['cache', false]);
    assert.match(r.note!, /without an integrity record/);
    assert.ok(existsSync(`${compact()}.integrity.json`), 'the record is written on first use');
  });

  test('export: byte-identical from legacy .pth, zip .pth and safetensors, and across runs', async () => {
    const outs: Buffer[] = [];
    for (const [i, src] of [syn.pthLegacy, syn.pthZip, syn.safetensors, syn.pthLegacy].entries()) {
      const out = join(tmp, `export-${i}.safetensors`);
      const r = await exportWeights(testVgg, out, { weights: src });
      const bytes = await readFile(out);
      assert.equal(r.sha256, sha256(bytes));
      assert.equal(r.bytes, bytes.length);
      assert.equal(r.source.verified, src === syn.pthLegacy);
      outs.push(bytes);
    }
    for (const o of outs.slice(1)) assert.ok(o.equals(outs[0]), 'identical bytes');
    // Canonical layout: sorted names, fixed metadata, data block 8-byte aligned, tensors back to back.
    const headerLen = Number(outs[0].readBigUInt64LE(0));
    assert.equal((8 + headerLen) % 8, 0);
    const header = JSON.parse(outs[0].subarray(8, 8 + headerLen).toString('utf8'));
    const names = Object.keys(header).filter((k) => k !== '__metadata__');
    assert.deepEqual(names, [...names].sort());
    assert.deepEqual(header.__metadata__, { backbone: 'vgg16', dtype: 'F32', layers: 'conv1_1..conv5_1' });
    assert.equal(outs[0].length, 8 + headerLen + (header[names.at(-1)!].data_offsets[1] as number));
    // The cache entry made from the official file is this very export.
    await importWeights(testVgg, syn.pthLegacy);
    assert.ok((await readFile(compact())).equals(outs[0]));
    // Reading it back gives the same tensors.
    const back = await readWeightsFile(join(tmp, 'export-0.safetensors'));
    for (const [name, t] of syntheticVgg16Weights(syn.seed))
      assert.deepEqual(back.tensors.get(name)!.data, t.data, name);
    // An export into a missing folder is a clear error, and nothing is left behind.
    await rejectsWeights(
      () => exportWeights(testVgg, join(tmp, 'no', 'such', 'x.safetensors'), { weights: syn.safetensors }),
      'WEIGHTS_NOT_FOUND',
      /folder does not exist/,
    );
  });

  test('export is refused for a backbone whose files are used as published', async () => {
    await assert.rejects(
      exportWeights(getBackbone('mobilenet_v1_0.75').weights, join(tmp, 'x')),
      (e: Error & { code?: string }) => e.code === 'UNSUPPORTED',
    );
  });

  test('wrong storage: a TF.js model.json or a model folder given to VGG16 names what it is', async () => {
    const folder = join(tmp, 'tfjs-model');
    await rm(folder, { recursive: true, force: true });
    await import('node:fs/promises').then((fs) => fs.mkdir(folder));
    await writeFile(join(folder, 'model.json'), '{"modelTopology": {}, "weightsManifest": []}');
    for (const p of [join(folder, 'model.json'), folder]) {
      await assert.rejects(resolveWeights(testVgg, { weights: p }), (e: WeightsError) => {
        assert.equal(e.code, 'WEIGHTS_WRONG_MODEL');
        assert.match(
          e.message,
          /is a TensorFlow\.js layers model .* but backbone 'vgg16' reads a PyTorch \(\.pth\) or safetensors weights file/,
        );
        assert.equal(e.details.storage, 'tfjs-layers');
        return true;
      });
    }
    await rejectsWeights(
      () => resolveWeights(testVgg, { weights: tmp }),
      'WEIGHTS_NOT_FOUND',
      /is a folder without a model\.json/,
    );
    await rejectsWeights(
      () => resolveWeights(testVgg, { weights: '/dev/zero' }),
      'WEIGHTS_NOT_FOUND',
      /"\/dev\/zero" is not a regular file/,
    );
    const { execFileSync } = await import('node:child_process');
    const fifo = join(tmp, 'fifo');
    let made = true;
    try {
      execFileSync('mkfifo', [fifo]);
    } catch {
      made = false; // no mkfifo on this platform: the /dev/zero case above covers non-regular files
    }
    if (made)
      await rejectsWeights(
        () => resolveWeights(testVgg, { weights: fifo }),
        'WEIGHTS_NOT_FOUND',
        /is not a regular file/,
      );
  });
});
