/**
 * The metric graph's optional `features` output (for per-cell, local comparisons): the cropped feature map
 * [N,C,h,w], consistent with `cells` and with `gram` = F·Fᵀ; graphs without the option keep today's outputs.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { mobilenetV1 } from '../src/backbones/mobilenet-v1.js';
import { buildMetricGraph } from '../src/graph/emit.js';
import { expectedShapes, featureSize } from '../src/graph/geometry.js';
import type { WeightMap } from '../src/weights/types.js';

function weights(): WeightMap {
  let s = 3;
  const rnd = () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32;
  const m: WeightMap = new Map();
  for (const [name, shape] of Object.entries(expectedShapes(mobilenetV1))) {
    const n = shape.reduce((a, b) => a * b, 1);
    const fanIn = shape.length === 4 ? shape[1] * shape[2] * shape[3] : 1;
    m.set(name, {
      shape: [...shape],
      data: Float32Array.from({ length: n }, () =>
        shape.length === 4 ? (2 * rnd() - 0.9) * (2 / Math.sqrt(fanIn)) : 0.1 * rnd(),
      ),
    });
  }
  return m;
}

test('features output: cropped [N,C,h,w] map whose Gram is the gram output; absent unless asked for', async () => {
  const w = weights();
  const [H, W] = [75, 98];
  const pixels = new ort.Tensor(
    'float32',
    Float32Array.from({ length: 3 * H * W }, (_, i) => ((i * 7919) % 256) / 255),
    [1, 3, H, W],
  );
  const crop = new ort.Tensor('int64', BigInt64Array.from([1n, 4n, 2n, 6n]), [4]);
  const withFeatures = await ort.InferenceSession.create(buildMetricGraph(mobilenetV1, w, { features: true }));
  const plain = await ort.InferenceSession.create(buildMetricGraph(mobilenetV1, w));
  try {
    assert.deepEqual([...plain.outputNames].sort(), ['cells', 'gram']);
    assert.deepEqual([...withFeatures.outputNames].sort(), ['cells', 'features', 'gram']);
    const out = await withFeatures.run({ pixels, crop });
    const [fh, fw] = featureSize(mobilenetV1, H, W);
    assert.ok(fh >= 4 && fw >= 6);
    assert.deepEqual(out.features.dims, [1, 384, 3, 4]);
    assert.deepEqual(Array.from(out.cells.data as BigInt64Array, Number), [3, 4]);
    const f = out.features.data as Float32Array;
    const g = out.gram.data as Float32Array;
    let maxAbs = 0;
    let maxDiff = 0;
    for (let i = 0; i < 384; i++) {
      for (let j = 0; j < 384; j++) {
        let acc = 0;
        for (let p = 0; p < 12; p++) acc += f[i * 12 + p] * f[j * 12 + p];
        maxAbs = Math.max(maxAbs, Math.abs(acc));
        maxDiff = Math.max(maxDiff, Math.abs(acc - g[i * 384 + j]));
      }
    }
    assert.ok(maxAbs > 0 && maxDiff / maxAbs < 1e-5, `gram vs features: ${(maxDiff / maxAbs).toExponential(2)}`);
    const same = await plain.run({ pixels, crop });
    assert.deepEqual(same.gram.data, out.gram.data);
  } finally {
    await withFeatures.release();
    await plain.release();
  }
});
