/**
 * Issue 11, acceptance 6: DeepSSIM in Chromium (deepssim/web on onnxruntime-web) next to Node (onnxruntime-node),
 * ms per pair (two images scored, weights loaded, session warm), at 224×224 and 512×384, both backbones:
 * WebAssembly with 1 thread, WebAssembly with 2 threads (the demo server's COOP/COEP headers make the page
 * cross-origin isolated), WebGPU when headless Chromium offers an adapter; and the transferred size of the web entry
 * (gzip; ONNX Runtime's own .wasm excluded and listed separately).
 *
 *   npm run build && npx tsx bench/web.ts [--repeats 3] [--webgpu]
 *   npx tsx bench/web.ts --quick      # one 64×48 pair per configuration, one timed run; writes nothing
 *
 * VGG16 runs with the synthetic weights (speed does not depend on their values); MobileNet with the genuine weights
 * in ../shared (skipped when absent). WebGPU on a software fallback adapter (SwiftShader, what headless Chromium
 * offers without a GPU) is measured only with --webgpu (minutes per VGG16 pair).
 * Writes bench/results/web.md.
 */
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { createDeepSSIM } from '../src/index.js';
import { HAS_SHARED, ROOT, SHARED } from '../test/support/paths.js';
import { syntheticWeightFiles } from '../test/support/weights.js';
import { launchChromium } from '../test/browser/support.js';
import { startDemoServer } from '../src/cli/commands/demo.js';
import { noise, printTable, timeRuns } from './support.js';

const loadAtStart = loadavg()[0];
const { values } = parseArgs({
  options: { repeats: { type: 'string' }, webgpu: { type: 'boolean' }, quick: { type: 'boolean' } },
});
const repeats = values.quick ? 1 : Number(values.repeats ?? 3);
const SIZES: [number, number][] = values.quick
  ? [[64, 48]]
  : [
      [224, 224],
      [512, 384],
    ];
const MOBILENET_JSON = join(SHARED, 'weights', 'mobilenet_v1_0.75_224', 'model.json');

interface Backend {
  backbone: string;
  weights: string;
}
const backends: Backend[] = [{ backbone: 'vgg16', weights: (await syntheticWeightFiles()).safetensors }];
if (HAS_SHARED) backends.push({ backbone: 'mobilenet_v1_0.75', weights: MOBILENET_JSON });

type Column = 'node 1 thread' | 'node 2 threads' | 'wasm 1 thread' | 'wasm 2 threads' | 'webgpu';
const results = new Map<string, Partial<Record<Column, string>>>();
const key = (b: string, w: number, h: number): string => `${b} ${w}×${h}`;
const put = (b: string, w: number, h: number, col: Column, v: string): void => {
  const k = key(b, w, h);
  results.set(k, { ...results.get(k), [col]: v });
};

// ---- Node
for (const { backbone, weights } of backends) {
  for (const threads of [1, 2]) {
    const metric = await createDeepSSIM({ backbone, weights, threads, tile: false });
    for (const [w, h] of SIZES) {
      const a = noise(w, h, 1);
      const b = noise(w, h, 2);
      const best = Math.min(...(await timeRuns(() => metric.score(a, b), repeats)));
      put(backbone, w, h, threads === 1 ? 'node 1 thread' : 'node 2 threads', best.toFixed(0));
      console.log(`node ${backbone} ${w}×${h} ${threads}t: ${best.toFixed(0)} ms/pair`);
    }
    await metric.dispose();
  }
}

// ---- Chromium
const browser = await launchChromium();
let adapter = 'none';
for (const { backbone, weights } of backends) {
  const server = await startDemoServer({ port: 0, weights, backbone });
  const configs: { col: Column; provider: 'wasm' | 'webgpu'; threads: number }[] = [
    { col: 'wasm 1 thread', provider: 'wasm', threads: 1 },
    { col: 'wasm 2 threads', provider: 'wasm', threads: 2 },
    { col: 'webgpu', provider: 'webgpu', threads: 1 },
  ];
  for (const c of configs) {
    // A new page per configuration: ONNX Runtime Web fixes its thread count when it first initialises in a page.
    const context = await browser.newContext();
    const page = await context.newPage();
    // The page times with the same function as Node (its source shipped in; __name is tsx's helper).
    await context.addInitScript({
      content: `globalThis.__name = (f) => f; globalThis.timeRuns = ${timeRuns.toString()};`,
    });
    await page.goto(server.url);
    await page.waitForFunction(() => document.body.dataset.state === 'ready');
    const probe = await page.evaluate(() =>
      (window as unknown as { deepssim: { probeWebGpu(): Promise<Record<string, unknown>> } }).deepssim.probeWebGpu(),
    );
    if (probe.available)
      adapter = `${probe.vendor}/${probe.architecture}${probe.fallback ? ' (fallback adapter)' : ''}`;
    if (c.provider === 'webgpu' && (!probe.available || (probe.fallback && !values.webgpu))) {
      for (const [w, h] of SIZES) put(backbone, w, h, c.col, probe.available ? 'skipped (fallback)' : 'n/a');
      await context.close();
      continue;
    }
    const setup = await page.evaluate(
      async ({ backbone, threads, provider }) => {
        const w = window as unknown as Record<string, unknown> & {
          deepssim: { createDeepSSIM(o: unknown): Promise<Record<string, unknown>> };
          deepssimWeightsUrl: string;
        };
        const m = await w.deepssim.createDeepSSIM({
          backbone,
          weights: w.deepssimWeightsUrl,
          wasmPaths: '/ort/',
          executionProvider: provider,
          threads,
        });
        w.metric = m;
        return { ep: m.executionProvider, threads: m.threads, isolated: crossOriginIsolated };
      },
      { backbone, threads: c.threads, provider: c.provider },
    );
    console.log(`chromium ${backbone} ${c.col}:`, setup);
    for (const [w, h] of SIZES) {
      const ms = await page.evaluate(
        async ({ w, h, repeats }) => {
          const metric = (window as unknown as { metric: { score(a: unknown, b: unknown): Promise<number> } }).metric;
          // The same deterministic noise as bench/support.ts would be slower to ship over; any texture serves timing.
          const img = (seed: number) => {
            const data = new Uint8Array(w * h * 3);
            let s = seed;
            for (let i = 0; i < data.length; i++) {
              s = (s * 1664525 + 1013904223) >>> 0;
              data[i] = s >>> 24;
            }
            return { data, width: w, height: h, channels: 3 };
          };
          const a = img(1);
          const b = img(2);
          const time = (window as unknown as { timeRuns: typeof timeRuns }).timeRuns;
          return Math.min(...(await time(() => metric.score(a, b), repeats)));
        },
        { w, h, repeats },
      );
      put(backbone, w, h, c.col, ms.toFixed(0));
      console.log(`chromium ${backbone} ${w}×${h} ${c.col}: ${ms.toFixed(0)} ms/pair`);
    }
    await context.close();
  }
  await server.close();
}
const chromiumVersion = browser.version();
await browser.close();

// ---- Transferred size of the web entry
const gz = (p: string): number => gzipSync(readFileSync(p), { level: 9 }).length;
const kb = (n: number): string => `${(n / 1024).toFixed(1)} KiB`;
const web = join(ROOT, 'dist', 'web');
const entry = gz(join(web, 'index.js'));
const worker = gz(join(web, 'gbvs-worker.js'));
const ortWasm = join(ROOT, 'node_modules', 'onnxruntime-web', 'dist', 'ort-wasm-simd-threaded.jsep.wasm');

const columns: Column[] = ['node 1 thread', 'node 2 threads', 'wasm 1 thread', 'wasm 2 threads', 'webgpu'];
const rows = [...results.entries()].map(([k, v]) => [k, ...columns.map((c) => v[c] ?? 'n/a')]);
printTable(['pair', ...columns], rows);
const md = [
  '# DeepSSIM in Chromium vs Node (bench/web.ts)',
  '',
  `Machine: ${cpus()[0]?.model ?? 'unknown CPU'}, ${availableParallelism()} cores; Chromium ${chromiumVersion} headless (Debian); ` +
    `Node ${process.version}. Best of ${repeats} pairs after a warm-up pair (the minimum: the machine is shared, and the minimum is the ` +
    'least disturbed run), ms per pair (two images through the network + statistic), ' +
    'full variant, no tiling. VGG16 with synthetic weights, MobileNet v1 0.75 with the genuine weights.',
  `WebGPU adapter offered by headless Chromium: ${adapter}. Load average (1 min) at start ${loadAtStart.toFixed(1)}, at end ${loadavg()[0].toFixed(1)}.`,
  '',
  `| pair | ${columns.join(' | ')} |`,
  `|---|${columns.map(() => '---:').join('|')}|`,
  ...rows.map((r) => `| ${r.join(' | ')} |`),
  '',
  '## Transferred size (gzip -9)',
  '',
  '| file | gzip |',
  '|---|---:|',
  `| dist/web/index.js (deepssim/web with ONNX Runtime Web's JavaScript) | ${kb(entry)} |`,
  `| dist/web/gbvs-worker.js (only with saliency \`gbvs\`) | ${kb(worker)} |`,
  `| ONNX Runtime's ort-wasm-simd-threaded.jsep.wasm (not part of the entry; ${(statSync(ortWasm).size / 1e6).toFixed(1)} MB raw) | ${kb(gz(ortWasm))} |`,
  '',
];
if (values.quick) console.log(`entry ${kb(entry)} gzip, gbvs worker ${kb(worker)} gzip; --quick: nothing written`);
else {
  writeFileSync(join(ROOT, 'bench', 'results', 'web.md'), md.join('\n'));
  console.log(`entry ${kb(entry)} gzip, gbvs worker ${kb(worker)} gzip; wrote bench/results/web.md`);
}
