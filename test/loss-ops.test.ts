/**
 * Issue 7: the backward pass of every layer op the loss graph knows (strided and depthwise Conv with TF-'same'
 * asymmetric pads, Clip as ReLU6, Relu, MaxPool on odd sizes, the input affine map) against PyTorch float64 autograd
 * of L = Σ F ⊙ R on a small random stack (tools/reference/loss_reference.py ops → test/fixtures/loss/ops.json).
 * This covers the MobileNet-style ops that the VGG16 fixtures do not.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { GraphBuilder } from '../src/onnx/builder.js';
import { emitBackward, emitForward } from '../src/graph/emit.js';
import type { LayerSpec } from '../src/graph/spec.js';
import type { WeightMap } from '../src/weights/types.js';
import { fixture } from './support/paths.js';

type StackEntry = ['pool'] | ['conv', number, number, number, number, 'same' | number, number, 'clip' | 'relu'];
interface OpsFixture {
  stack: StackEntry[];
  params: ({ weight: number[]; shape: number[]; bias: number[] } | null)[];
  cases: {
    shape: [number, number, number, number];
    input: number[];
    featureShape: number[];
    r: number[];
    grad: number[];
  }[];
}
const fx = JSON.parse(readFileSync(fixture('loss', 'ops.json'), 'utf8')) as OpsFixture;

/** The fixture's stack as spec layers (x ↦ 2x − 1 first) and its weights. */
function stackOf(f: OpsFixture): { layers: LayerSpec[]; weights: WeightMap } {
  const layers: LayerSpec[] = [{ kind: 'normalize', mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] }];
  const weights: WeightMap = new Map();
  let channels = 3;
  f.stack.forEach((e, i) => {
    if (e[0] === 'pool') {
      layers.push({ kind: 'maxpool', kernel: [2, 2], strides: [2, 2] });
      return;
    }
    const [, , cout, , s, pad, group, act] = e;
    const p = f.params[i]!;
    weights.set(`c${i}.weight`, { shape: p.shape, data: Float32Array.from(p.weight) });
    weights.set(`c${i}.bias`, { shape: [cout], data: Float32Array.from(p.bias) });
    layers.push({
      kind: 'conv',
      name: `c${i}`,
      weight: `c${i}.weight`,
      bias: `c${i}.bias`,
      inChannels: channels,
      outChannels: cout,
      kernel: [p.shape[2], p.shape[3]],
      strides: [s, s],
      pads: pad === 'same' ? 'same' : [pad, pad, pad, pad],
      group,
    });
    layers.push(act === 'clip' ? { kind: 'relu6' } : { kind: 'relu' });
    channels = cout;
  });
  return { layers, weights };
}

for (const c of fx.cases) {
  test(`layer-op backward vs PyTorch autograd, input [${c.shape.join(',')}] (relative L2 ≤ 1e-4)`, async () => {
    const [n, , h, w] = c.shape;
    const g = new GraphBuilder('ops_backward');
    const { layers, weights } = stackOf(fx);
    const fwd = emitForward(g, { name: 'ops', layers }, weights, g.input('x', 'float32', [n, 3, h, w]), {
      size: [h, w],
      tape: true,
    });
    assert.deepEqual([n, ...fwd.shape!], c.featureShape);
    g.op('Identity', [emitBackward(g, weights, fwd, g.input('r', 'float32', c.featureShape))], {}, 'grad');
    g.output('grad', 'float32', c.shape);
    const session = await ort.InferenceSession.create(g.build(), {
      graphOptimizationLevel: 'all',
      intraOpNumThreads: 2,
    });
    const out = await session.run({
      x: new ort.Tensor('float32', Float32Array.from(c.input), c.shape),
      r: new ort.Tensor('float32', Float32Array.from(c.r), c.featureShape),
    });
    await session.release();
    const got = out.grad.data as Float32Array;
    let num = 0;
    let den = 0;
    c.grad.forEach((v, i) => {
      num += (got[i] - v) ** 2;
      den += v * v;
    });
    assert.ok(Math.sqrt(num / den) <= 1e-4, `relative L2 error ${Math.sqrt(num / den).toExponential(3)}`);
  });
}
