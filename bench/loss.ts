/**
 * Issue 7, acceptance 2: DeepSSIM loss + gradient vs forward-only time, 256×256, batch 8 (target ratio ≤ 3.5).
 *
 *   npx tsx bench/loss.ts [--threads N] [--repeats 5] [--size 256] [--batch 8]
 *
 * Forward-only baselines: the metric's own backbone graph (src/backbones/vgg16.ts → Gram) and the loss's Gram graph
 * (same layer stack as the loss, no backward). Loss rows use a fixed reference whose Gram is cached (the usual
 * training case); the `wrtReference` row runs 2N images and returns both gradients.
 * Weights are the synthetic VGG16 weights (speed does not depend on their values).
 */
import { availableParallelism, cpus } from 'node:os';
import { parseArgs } from 'node:util';
import * as ort from 'onnxruntime-node';
import { vgg16 } from '../src/backbones/vgg16.js';
import { cpuSessionOptions } from '../src/node/onnx.js';
import { createLoss } from '../src/index.js';
import { buildGramGraph, buildMetricGraph } from '../src/graph/emit.js';
import { syntheticVgg16Weights } from '../tools/synthetic-weights/generator.js';
import { median, timeRuns } from './support.js';

const { values } = parseArgs({
  options: {
    threads: { type: 'string' },
    repeats: { type: 'string' },
    size: { type: 'string' },
    batch: { type: 'string' },
  },
});
const threads = Number(values.threads ?? availableParallelism());
const repeats = Number(values.repeats ?? 5);
const size = Number(values.size ?? 256);
const batch = Number(values.batch ?? 8);

/** Median of `repeats` runs after a warm-up (session creation, first-run allocations). */
const time = async (fn: () => Promise<unknown>): Promise<number> => median(await timeRuns(fn, repeats));
function images(n: number, seed: number): Float32Array {
  const d = new Float32Array(n * 3 * size * size);
  let s = seed;
  for (let i = 0; i < d.length; i++) d[i] = (s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32;
  return d;
}
const sessionOptions = cpuSessionOptions(threads);

const weights = syntheticVgg16Weights();
const shape = [batch, 3, size, size] as const;
const test = { data: images(batch, 1), shape };
const reference = { data: images(batch, 2), shape };
const rows: [string, number][] = [];

const metricGraph = await ort.InferenceSession.create(buildMetricGraph(vgg16, weights), sessionOptions);
const pixels = new ort.Tensor('float32', test.data, [...shape]);
const crop = new ort.Tensor('int64', BigInt64Array.from([0n, 2n ** 62n, 0n, 2n ** 62n]), [4]);
const forward = await time(() => metricGraph.run({ pixels, crop }));
rows.push(['forward only: metric backbone graph (vgg16 → Gram)', forward]);
await metricGraph.release();

const lite = await createLoss({ variant: 'lite', weights, threads });
const gramGraph = await ort.InferenceSession.create(buildGramGraph(vgg16, weights, size, size), sessionOptions);
rows.push(['forward only: loss Gram graph', await time(() => gramGraph.run({ pixels }))]);
await gramGraph.release();

rows.push(['lite: loss + ∂/∂test (cached reference Gram)', await time(() => lite.valueAndGrad(test, reference))]);
const full = await createLoss({ variant: 'full', weights, threads });
rows.push(['full: loss + ∂/∂test (cached reference Gram)', await time(() => full.valueAndGrad(test, reference))]);
rows.push([
  'lite: loss + ∂/∂test + ∂/∂reference (2N images)',
  await time(() => lite.valueAndGrad(test, reference, { wrtReference: true })),
]);
await lite.dispose();
await full.dispose();

console.log(
  `machine: ${cpus()[0]?.model ?? 'unknown CPU'}, ${availableParallelism()} cores; ORT threads ${threads}; onnxruntime-node ${ort.env.versions?.common ?? ''}`,
);
console.log(`${size}×${size}, batch ${batch}, VGG16 to relu5_1, median of ${repeats} runs after one warm-up\n`);
const header = ['run', 'median ms', 'ms/image', '× forward'];
const table = rows.map(([name, ms]) => [name, ms.toFixed(0), (ms / batch).toFixed(1), (ms / forward).toFixed(2)]);
const widths = header.map((h, i) => Math.max(h.length, ...table.map((r) => r[i].length)));
const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
console.log(line(header));
console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
for (const r of table) console.log(line(r));
