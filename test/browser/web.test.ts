/**
 * Issue 11: deepssim/web in a real Chromium (Debian's, driven by playwright-core) against the Node entry.
 * Scores in the page equal Node's within 1e-5 (VGG16 with synthetic weights; MobileNet with the genuine weights in
 * ../shared), decoding gives Node's pixels, errors are clear and leave the page usable, weights come from the Cache
 * API on a second visit, the metric runs in a Web Worker, and the demo page works end to end.
 *
 * Images are kept small (VGG16 in WebAssembly on a loaded 2-core machine costs about a second per 50×40 image).
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import sharp from 'sharp';
import { createDeepSSIM, decodeImage, type DeepSSIM } from '../../src/index.js';
import { fixture, SHARED, SHARED_SKIP } from '../support/paths.js';
import { syntheticWeightFiles } from '../support/weights.js';
import { BROWSER_SKIP, openDemo, type BrowserSession } from './support.js';

const TOL = 1e-5;
const MOBILENET_JSON = join(SHARED, 'weights', 'mobilenet_v1_0.75_224', 'model.json');

/** PNG bytes of a crop of a fixture image (pairs of odd and different sizes, small enough for quick tests). */
async function crop(name: string, left: number, top: number, width: number, height: number): Promise<Uint8Array> {
  return sharp(fixture('images', name)).extract({ left, top, width, height }).png().toBuffer();
}

const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64');

interface PageScores {
  full: number;
  lite: number;
}

/** Score a pair of encoded images in the page with the metric stored as window[name] (both variants, one run each). */
async function pageScores(s: BrowserSession, metric: string, a: Uint8Array, b: Uint8Array): Promise<PageScores> {
  return s.page.evaluate(
    async ({ metric, a, b }) => {
      const t = (window as unknown as { __t: { bytes(s: string): Uint8Array } }).__t;
      const m = (
        window as unknown as Record<
          string,
          { prepare(x: unknown): Promise<unknown>; compare(r: unknown, t: unknown, v: string): number }
        >
      )[metric];
      const [r, q] = await Promise.all([
        m.prepare(new Blob([t.bytes(a) as Uint8Array<ArrayBuffer>])),
        m.prepare(new Blob([t.bytes(b) as Uint8Array<ArrayBuffer>])),
      ]);
      return { full: m.compare(r, q, 'full'), lite: m.compare(r, q, 'lite') };
    },
    { metric, a: b64(a), b: b64(b) },
  );
}

async function nodeScores(m: DeepSSIM, a: Uint8Array, b: Uint8Array): Promise<PageScores> {
  const [r, q] = [await m.prepare(a), await m.prepare(b)];
  return { full: m.compare(r, q, 'full'), lite: m.compare(r, q, 'lite') };
}

function assertClose(web: PageScores, node: PageScores, what: string): void {
  for (const v of ['full', 'lite'] as const) {
    assert.ok(Number.isFinite(web[v]), `${what} ${v}: page score ${web[v]}`);
    assert.ok(
      Math.abs(web[v] - node[v]) <= TOL,
      `${what} ${v}: page ${web[v]} vs Node ${node[v]} (|Δ| ${Math.abs(web[v] - node[v]).toExponential(2)} > ${TOL})`,
    );
  }
}

/** Create a metric in the page as window[name]; returns what it reports. */
async function createInPage(
  s: BrowserSession,
  name: string,
  options: Record<string, unknown>,
): Promise<{ ep: string; threads: number; cached: number; downloaded: number }> {
  return s.page.evaluate(
    async ({ name, options }) => {
      const w = window as unknown as Record<string, unknown> & {
        deepssim: { createDeepSSIM(o: unknown): Promise<Record<string, unknown>> };
      };
      const m = await w.deepssim.createDeepSSIM({ wasmPaths: '/ort/', ...options });
      w[name] = m;
      const files = m.weightsFiles as { cached: number; downloaded: number };
      return {
        ep: m.executionProvider as string,
        threads: m.threads as number,
        cached: files.cached,
        downloaded: files.downloaded,
      };
    },
    { name, options },
  );
}

/** Run `fn(metric)` in the page and return the error it throws as { name, code, message } (or null). */
async function pageError(
  s: BrowserSession,
  script: string,
  arg: unknown = null,
): Promise<{ name: string; code: string; message: string } | null> {
  return s.page.evaluate(
    async ({ script, arg }) => {
      try {
        await (new Function('arg', `return (async () => { ${script} })();`) as (a: unknown) => Promise<unknown>)(arg);
        return null;
      } catch (e) {
        const err = e as { name: string; code: string; message: string };
        return { name: err.name, code: err.code, message: err.message };
      }
    },
    { script, arg },
  );
}

// One browser, one page and one server for every test (ONNX Runtime Web's WebAssembly compiles once); the tests run
// in order and some build on the page state of the previous ones (a reload, the cached weights).
describe('deepssim/web in Chromium', { skip: BROWSER_SKIP }, () => {
  let s: BrowserSession;
  let node: DeepSSIM;
  let nodeGbvs: DeepSSIM;
  let weightsPath: string;

  before(async () => {
    weightsPath = (await syntheticWeightFiles()).safetensors;
    s = await openDemo({ weights: weightsPath, extraWeights: SHARED_SKIP ? [] : [MOBILENET_JSON] });
    node = await createDeepSSIM({ weights: weightsPath });
    nodeGbvs = await createDeepSSIM({ weights: weightsPath, saliency: 'gbvs' });
    const created = await createInPage(s, 'vgg', {
      weights: await s.page.evaluate(() => (window as unknown as { deepssimWeightsUrl: string }).deepssimWeightsUrl),
      executionProvider: 'wasm',
    });
    assert.equal(created.ep, 'wasm');
  });

  after(async () => {
    await s?.close();
    await node?.dispose();
    await nodeGbvs?.dispose();
  });

  test('page scores equal Node scores within 1e-5: odd sizes, different sizes, the 16-px minimum, full and lite', async () => {
    const pairs: [string, Uint8Array, Uint8Array][] = [
      ['odd 45×37', await crop('scene_a.png', 30, 20, 45, 37), await crop('scene_a_shift3.png', 30, 20, 45, 37)],
      ['53×41 vs 39×47', await crop('scene_a.png', 10, 10, 53, 41), await crop('scene_b.png', 40, 30, 39, 47)],
      ['16×16', readFileSync(fixture('images', 'tiny16_a.png')), readFileSync(fixture('images', 'tiny16_b.png'))],
    ];
    for (const [what, a, b] of pairs) assertClose(await pageScores(s, 'vgg', a, b), await nodeScores(node, a, b), what);
  });

  test('saliency: GBVS masks (on Web Workers) and user maps give Node scores', async () => {
    const a = await crop('scene_a.png', 40, 30, 47, 39);
    const b = await crop('scene_a_shift3.png', 40, 30, 47, 39);
    await createInPage(s, 'vggGbvs', { weights: s.server.weightsUrl, executionProvider: 'wasm', saliency: 'gbvs' });
    assertClose(await pageScores(s, 'vggGbvs', a, b), await nodeScores(nodeGbvs, a, b), 'gbvs 47×39');

    const ma = await sharp(fixture('images', 'mask_a.png'))
      .extract({ left: 40, top: 30, width: 47, height: 39 })
      .png()
      .toBuffer();
    const mb = await sharp(fixture('images', 'mask_a_shift3.png'))
      .extract({ left: 40, top: 30, width: 47, height: 39 })
      .png()
      .toBuffer();
    // Explicit maps take the place of GBVS: the same (masked) session serves both.
    const web = await s.page.evaluate(
      async ([a, b, ma, mb]) => {
        const t = (window as unknown as { __t: { bytes(s: string): Uint8Array } }).__t;
        const m = (
          window as unknown as {
            vggGbvs: { score(a: unknown, b: unknown, o: unknown): Promise<number>; dispose(): Promise<void> };
          }
        ).vggGbvs;
        const blob = (x: string) => new Blob([t.bytes(x) as Uint8Array<ArrayBuffer>]);
        const score = await m.score(blob(a), blob(b), { saliencyMaps: [blob(ma), blob(mb)] });
        await m.dispose();
        return score;
      },
      [b64(a), b64(b), b64(ma), b64(mb)],
    );
    const want = await nodeGbvs.score(a, b, { saliencyMaps: [ma, mb] });
    assert.ok(Math.abs(web - want) <= TOL, `user maps: page ${web} vs Node ${want}`);
  });

  test('every browser input kind decodes to the Node pixels (Blob, File, bytes, URL, ImageBitmap, ImageData, <img>, canvas, OffscreenCanvas, raw)', async () => {
    const png = await crop('scene_a.png', 0, 0, 33, 21);
    const want = await decodeImage(png);
    const got = await s.page.evaluate(async (pngB64) => {
      const t = (window as unknown as { __t: { bytes(s: string): Uint8Array } }).__t;
      const d = (
        window as unknown as {
          deepssim: { decodeImage(x: unknown): Promise<{ data: Uint8Array; width: number; height: number }> };
        }
      ).deepssim;
      const bytes = t.bytes(pngB64) as Uint8Array<ArrayBuffer>;
      const blob = new Blob([bytes], { type: 'image/png' });
      const url = URL.createObjectURL(blob);
      const bitmap = await createImageBitmap(blob);
      const canvas = document.createElement('canvas');
      canvas.width = bitmap.width;
      canvas.height = bitmap.height;
      canvas.getContext('2d')!.drawImage(bitmap, 0, 0);
      const off = new OffscreenCanvas(bitmap.width, bitmap.height);
      off.getContext('2d')!.drawImage(bitmap, 0, 0);
      const imageData = canvas.getContext('2d')!.getImageData(0, 0, bitmap.width, bitmap.height);
      const img = new Image();
      img.src = url;
      await img.decode();
      const inputs: Record<string, unknown> = {
        blob,
        file: new File([bytes], 'a.png'),
        bytes,
        arrayBuffer: bytes.buffer.slice(0),
        url,
        urlObject: new URL(url),
        bitmap,
        imageData,
        img,
        canvas,
        offscreen: off,
        raw: { data: imageData.data, width: imageData.width, height: imageData.height, channels: 4 },
      };
      const out: Record<string, string> = {};
      for (const [k, v] of Object.entries(inputs)) {
        const r = await d.decodeImage(v);
        out[k] = `${r.width}x${r.height}:${Array.from(r.data).join(',')}`;
      }
      return out;
    }, b64(png));
    const expected = `${want.width}x${want.height}:${Array.from(want.data).join(',')}`;
    for (const [kind, pixels] of Object.entries(got))
      assert.equal(pixels, expected, `${kind}: pixels differ from Node's decode`);
  });

  test('decoding the format fixtures gives Node pixels (exact except lossy JPEG/WebP, measured); EXIF orientation is not applied', async () => {
    const files = readdirSync(fixture('decode')).filter((f) => /\.(png|bmp|gif|webp|jpg)$/.test(f));
    const got: Record<string, { width: number; height: number; data: string } | { error: string }> =
      await s.page.evaluate(
        async (items) => {
          const t = (window as unknown as { __t: { bytes(s: string): Uint8Array } }).__t;
          const d = (
            window as unknown as {
              deepssim: { decodeImage(x: unknown): Promise<{ data: Uint8Array; width: number; height: number }> };
            }
          ).deepssim;
          const out: Record<string, unknown> = {};
          for (const [name, data] of items) {
            try {
              const r = await d.decodeImage(t.bytes(data));
              out[name] = { width: r.width, height: r.height, data: btoa(String.fromCharCode(...r.data)) };
            } catch (e) {
              out[name] = { error: String(e) };
            }
          }
          return out as never;
        },
        files.map((f) => [f, b64(readFileSync(fixture('decode', f)))]),
      );
    const report: string[] = [];
    for (const f of files) {
      const want = await decodeImage(fixture('decode', f));
      const g = got[f];
      assert.ok(!('error' in g), `${f}: ${'error' in g ? g.error : ''}`);
      assert.deepEqual([g.width, g.height], [want.width, want.height], `${f}: size (EXIF orientation must not rotate)`);
      const px = Buffer.from(g.data, 'base64');
      let maxDiff = 0;
      for (let i = 0; i < px.length; i++) maxDiff = Math.max(maxDiff, Math.abs(px[i] - want.data[i]));
      if (maxDiff > 0) report.push(`${f}: max |Δ| ${maxDiff}`);
      // Lossless formats must match exactly; lossy decoders may differ by a few levels (documented in docs/web.md).
      if (/\.(png|bmp|gif)$/.test(f) || f === 'webp_lossless.webp')
        assert.equal(maxDiff, 0, `${f}: browser pixels differ from Node's (max |Δ| ${maxDiff})`);
      else assert.ok(maxDiff <= 8, `${f}: max |Δ| ${maxDiff}`);
    }
    console.log(`# decode fixtures: ${files.length} files; differences: ${report.length ? report.join('; ') : 'none'}`);
  });

  test('bad inputs give clear errors and leave the metric usable', async () => {
    const notImage = await pageError(s, `await window.vgg.score(new Blob(['hello, not an image']), new Blob(['x']));`);
    assert.equal(notImage?.code, 'IMAGE_UNREADABLE', JSON.stringify(notImage));
    assert.match(notImage!.message, /cannot decode image/);
    const tiny = await pageError(
      s,
      `await window.vgg.score(window.__t.bytes(arg), window.__t.bytes(arg));`,
      b64(readFileSync(fixture('images', 'tiny15x40.png'))),
    );
    assert.equal(tiny?.code, 'IMAGE_TOO_SMALL', JSON.stringify(tiny));
    assert.match(tiny!.message, /15×40; DeepSSIM needs at least 16×16/);
    const wrongType = await pageError(s, `await window.vgg.score(42, 43);`);
    assert.equal(wrongType?.code, 'INVALID_OPTION', JSON.stringify(wrongType));
    // Still usable.
    const a = readFileSync(fixture('images', 'tiny16_a.png'));
    const b = readFileSync(fixture('images', 'tiny16_b.png'));
    assertClose(await pageScores(s, 'vgg', a, b), await nodeScores(node, a, b), 'after errors');
  });

  test('weights: a wrong file and a hash mismatch are clear errors; a second visit downloads nothing (Cache API)', async () => {
    const wrong = await pageError(
      s,
      `await window.deepssim.createDeepSSIM({ weights: '/web/demo/index.html', wasmPaths: '/ort/', executionProvider: 'wasm', cacheWeights: false });`,
    );
    assert.equal(wrong?.name, 'WeightsError', JSON.stringify(wrong));
    const mismatch = await pageError(
      s,
      `await window.deepssim.createDeepSSIM({ weights: window.deepssimWeightsUrl, weightsSha256: '0'.repeat(64), wasmPaths: '/ort/', executionProvider: 'wasm', cacheWeights: false });`,
    );
    assert.equal(mismatch?.code, 'WEIGHTS_HASH_MISMATCH', JSON.stringify(mismatch));
    assert.match(mismatch!.message, /expected 0{64}/);
    const missing = await pageError(
      s,
      `await window.deepssim.createDeepSSIM({ wasmPaths: '/ort/', executionProvider: 'wasm' });`,
    );
    assert.equal(missing?.code, 'WEIGHTS_NOT_FOUND', JSON.stringify(missing));

    // The metric created in before() cached the weights; reload the page (a second visit) and create again.
    await s.page.reload();
    await s.page.waitForFunction(() => document.body.dataset.state === 'ready');
    const requests: string[] = [];
    const onRequest = (r: { url(): string }): void => {
      if (r.url().includes('/weights/')) requests.push(r.url());
    };
    s.page.on('request', onRequest);
    const again = await createInPage(s, 'vgg', { weights: s.server.weightsUrl, executionProvider: 'wasm' });
    s.page.off('request', onRequest);
    assert.deepEqual(requests, [], 'second visit requested weights over the network');
    assert.deepEqual([again.cached, again.downloaded], [1, 0]);
    const a = readFileSync(fixture('images', 'tiny16_a.png'));
    const b = readFileSync(fixture('images', 'tiny16_b.png'));
    assertClose(await pageScores(s, 'vgg', a, b), await nodeScores(node, a, b), 'cached weights');
  });

  test('the metric runs inside a Web Worker (the documented pattern)', async () => {
    const a = await crop('scene_a.png', 5, 5, 21, 17);
    const b = await crop('scene_b.png', 5, 5, 19, 23);
    const web = await s.page.evaluate(
      async ([a, b]) => {
        const t = (window as unknown as { __t: { bytes(s: string): Uint8Array } }).__t;
        const code = `
          self.onmessage = async (e) => {
            try {
              const { createDeepSSIM } = await import(${JSON.stringify(location.origin + '/web/index.js')});
              const m = await createDeepSSIM({ weights: e.data.weights, wasmPaths: ${JSON.stringify(location.origin + '/ort/')}, executionProvider: 'wasm' });
              const score = await m.score(new Blob([e.data.a]), new Blob([e.data.b]));
              self.postMessage({ score, ep: m.executionProvider });
              await m.dispose();
            } catch (err) { self.postMessage({ error: String(err) }); }
          };`;
        const worker = new Worker(URL.createObjectURL(new Blob([code], { type: 'text/javascript' })), {
          type: 'module',
        });
        const weights = new URL((window as unknown as { deepssimWeightsUrl: string }).deepssimWeightsUrl, location.href)
          .href;
        const reply = await new Promise<{ score?: number; ep?: string; error?: string }>((resolve) => {
          worker.onmessage = (e) => resolve(e.data);
          worker.onerror = (e) => resolve({ error: e.message });
          worker.postMessage({ weights, a: t.bytes(a), b: t.bytes(b) });
        });
        worker.terminate();
        return reply;
      },
      [b64(a), b64(b)],
    );
    assert.equal(web.error, undefined, web.error);
    assert.equal(web.ep, 'wasm');
    const want = await node.score(a, b);
    assert.ok(Math.abs(web.score! - want) <= TOL, `worker ${web.score} vs Node ${want}`);
  });

  test('WebGPU agrees with WebAssembly where headless Chromium offers an adapter', async (t) => {
    const probe = await s.page.evaluate(() =>
      (window as unknown as { deepssim: { probeWebGpu(): Promise<Record<string, unknown>> } }).deepssim.probeWebGpu(),
    );
    console.log(`# WebGPU: headless Chromium offered ${JSON.stringify(probe)}`);
    if (!probe.available) return t.skip(`no WebGPU adapter offered (${probe.reason})`);
    // A software fallback adapter (SwiftShader) takes about a minute for even a 16-px VGG16 image (shader compilation
    // and emulation): measured on demand, not in every run. `auto` never picks it (see chooseExecutionProvider).
    if (probe.fallback && !process.env.DEEPSSIM_TEST_WEBGPU)
      return t.skip('only a software fallback adapter (SwiftShader); set DEEPSSIM_TEST_WEBGPU=1 to run');
    const a = readFileSync(fixture('images', 'tiny16_a.png'));
    const b = await crop('scene_b.png', 7, 9, 24, 20);
    await createInPage(s, 'vggGpu', { weights: s.server.weightsUrl, executionProvider: 'webgpu' });
    const gpu = await pageScores(s, 'vggGpu', a, b);
    const wasm = await pageScores(s, 'vgg', a, b);
    assertClose(gpu, wasm, 'webgpu vs wasm');
    assertClose(gpu, await nodeScores(node, a, b), 'webgpu vs Node');
    await s.page.evaluate(() => (window as unknown as { vggGpu: { dispose(): Promise<void> } }).vggGpu.dispose());
  });

  test('demo page end to end: upload two files, read the score; a bad file shows an error and the page stays usable', async () => {
    const a = await crop('scene_a.png', 12, 8, 41, 35);
    const b = await crop('scene_a_shift3.png', 12, 8, 41, 35);
    const page = s.page;
    // The page was reloaded by the weights test and is untouched since.
    assert.equal(await page.evaluate(() => document.body.dataset.state), 'ready');
    await page.setInputFiles('#reference-input', { name: 'ref.png', mimeType: 'image/png', buffer: Buffer.from(a) });
    await page.setInputFiles('#test-input', {
      name: 'bad.png',
      mimeType: 'image/png',
      buffer: Buffer.from('not an image at all'),
    });
    await page.waitForFunction(() => document.body.dataset.state === 'error', undefined, { timeout: 60_000 });
    assert.match((await page.textContent('#error')) ?? '', /IMAGE_UNREADABLE.*cannot decode image bad\.png/);
    await page.setInputFiles('#test-input', { name: 'test.png', mimeType: 'image/png', buffer: Buffer.from(b) });
    await page.waitForFunction(() => document.body.dataset.state === 'done', undefined, { timeout: 60_000 });
    const shown = Number(await page.getAttribute('#score', 'data-value'));
    const want = await node.score(a, b);
    assert.ok(Math.abs(shown - want) <= TOL, `demo shows ${shown}, Node ${want}`);
    assert.match((await page.textContent('#ep')) ?? '', /wasm|webgpu/);
    assert.equal(await page.textContent('#error'), '');
    // Lite from the same prepared images.
    await page.selectOption('#variant', 'lite');
    await page.waitForFunction(
      (full) =>
        document.body.dataset.state === 'done' && document.getElementById('score')!.dataset.value !== String(full),
      shown,
      { timeout: 60_000 },
    );
    const lite = Number(await page.getAttribute('#score', 'data-value'));
    const [r, q] = [await node.prepare(a), await node.prepare(b)];
    assert.ok(Math.abs(lite - node.compare(r, q, 'lite')) <= TOL);
    assert.deepEqual(
      s.errors.filter((e) => !/404|Failed to load resource/.test(e)),
      [],
    );
  });

  describe('MobileNet (genuine weights)', { skip: SHARED_SKIP }, () => {
    let mnet: DeepSSIM;
    before(async () => {
      mnet = await createDeepSSIM({ backbone: 'mobilenet_v1_0.75', weights: MOBILENET_JSON });
      const created = await createInPage(s, 'mnet', {
        backbone: 'mobilenet_v1_0.75',
        weights: s.server.extraWeightsUrls[0],
        executionProvider: 'wasm',
      });
      assert.equal(created.ep, 'wasm');
    });
    after(async () => {
      await mnet?.dispose();
    });

    test('page scores equal Node scores within 1e-5 on the fixtures (full, lite; different sizes; JPEG; BMP)', async () => {
      const img = (n: string) => readFileSync(fixture('images', n));
      const pairs: [string, Uint8Array, Uint8Array][] = [
        ['scene_a vs shift3', img('scene_a.png'), img('scene_a_shift3.png')],
        ['scene_a_small vs scene_b', img('scene_a_small.png'), img('scene_b.png')],
        ['png vs jpeg q15', img('scene_a.png'), img('scene_a_q15.jpg')],
        ['bmp vs palette bmp', img('scene_a.bmp'), img('scene_b_palette.bmp')],
        ['odd 37×33 crops', await crop('scene_a.png', 3, 7, 37, 33), await crop('scene_b.png', 11, 5, 37, 33)],
      ];
      for (const [what, a, b] of pairs)
        assertClose(await pageScores(s, 'mnet', a, b), await nodeScores(mnet, a, b), what);
    });

    test('the shards are verified against the official hashes', async () => {
      const verified = await s.page.evaluate(
        () => (window as unknown as { mnet: { weightsVerified: boolean } }).mnet.weightsVerified,
      );
      assert.equal(verified, true);
    });
  });
});
