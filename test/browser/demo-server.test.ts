/**
 * `deepssim demo`'s static server (no browser needed): 127.0.0.1 only, only the files of its table (no path
 * traversal whatever the encoding), GET/HEAD only, COOP/COEP for cross-origin isolation, the weights it was started
 * with and their SHA-256 in /config.json.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { startDemoServer, type DemoServer } from '../../src/cli/commands/demo.js';
import { syntheticWeightFiles } from '../support/weights.js';

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** A raw HTTP request (the path is sent exactly as given, unnormalised). */
function get(port: number, path: string, method = 'GET'): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('deepssim demo server', () => {
  let server: DemoServer;
  let weights: string;

  before(async () => {
    weights = (await syntheticWeightFiles()).safetensors;
    server = await startDemoServer({ port: 0, weights });
  });
  after(async () => {
    await server?.close();
  });

  test('listens on 127.0.0.1 and serves the page, the web build and ONNX Runtime Web with COOP/COEP', async () => {
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    const page = await get(server.port, '/');
    assert.equal(page.status, 200);
    assert.match(String(page.headers['content-type']), /text\/html/);
    assert.match(page.body.toString(), /<title>DeepSSIM in the browser<\/title>/);
    assert.equal(page.headers['cross-origin-opener-policy'], 'same-origin');
    assert.equal(page.headers['cross-origin-embedder-policy'], 'require-corp');
    const entry = await get(server.port, '/web/index.js');
    assert.equal(entry.status, 200);
    assert.match(String(entry.headers['content-type']), /text\/javascript/);
    const wasm = await get(server.port, '/ort/ort-wasm-simd-threaded.jsep.wasm', 'HEAD');
    assert.equal(wasm.status, 200);
    assert.equal(wasm.headers['content-type'], 'application/wasm');
  });

  test('serves the weights it was started with, and their SHA-256 in /config.json', async () => {
    const config = JSON.parse((await get(server.port, '/config.json')).body.toString());
    assert.equal(config.backbone, 'vgg16');
    assert.equal(config.weightsUrl, server.weightsUrl);
    const bytes = readFileSync(weights);
    assert.equal(config.weightsSha256, createHash('sha256').update(bytes).digest('hex'));
    const served = await get(server.port, server.weightsUrl!);
    assert.equal(served.status, 200);
    assert.ok(served.body.equals(bytes));
  });

  test('no path reaches a file outside its table', async () => {
    const attempts = [
      '/../package.json',
      '/web/../../package.json',
      '/web/..%2f..%2fpackage.json',
      '/web/%2e%2e/%2e%2e/package.json',
      '/ort/../package.json',
      '/ort/..%2fpackage.json',
      '/weights/..%2f..%2fpackage.json',
      '/web/demo/%2e%2e%2f%2e%2e%2f%2e%2e%2fpackage.json',
      '//etc/passwd',
      '/%2fetc%2fpasswd',
      '/web/index.js%00.html',
      '/web\\..\\..\\package.json',
      '/src/cli/commands/demo.ts',
      '/node_modules/onnxruntime-web/package.json',
    ];
    for (const path of attempts) {
      const r = await get(server.port, path);
      assert.equal(r.status, 404, `${path} → ${r.status}`);
      assert.doesNotMatch(r.body.toString(), /"name": "deepssim"|root:/);
    }
  });

  test('only GET and HEAD', async () => {
    for (const method of ['POST', 'PUT', 'DELETE']) {
      const r = await get(server.port, '/', method);
      assert.equal(r.status, 405, method);
      assert.equal(r.headers.allow, 'GET, HEAD');
    }
  });

  test('a port in use and a missing weights file are clear errors', async () => {
    await assert.rejects(startDemoServer({ port: server.port }), {
      code: 'INVALID_OPTION',
      message: new RegExp(`port ${server.port} on 127\\.0\\.0\\.1 is in use`),
    });
    await assert.rejects(startDemoServer({ port: 0, weights: '/nonexistent/w.safetensors' }), {
      code: 'WEIGHTS_NOT_FOUND',
    });
    await assert.rejects(startDemoServer({ port: 70000 }), { code: 'INVALID_OPTION' });
  });
});
