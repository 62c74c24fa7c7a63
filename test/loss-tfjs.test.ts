/**
 * Issue 7: the TensorFlow.js adapter. The surrogate scalar equals the loss and carries ∂loss/∂prediction (checked
 * against the loss's own gradient, NHWC and NCHW), and one deepssimStep moves a model's variables exactly as
 * tf.variableGrads of Σ ŷ ⊙ g predicts. Synthetic VGG16 weights.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
// tfjs-core's Node bundle registers no op gradients; tfjs-layers (like the umbrella @tensorflow/tfjs) does.
import '@tensorflow/tfjs-layers';
import { createLoss, type DeepSSIMLoss } from '../src/index.js';
import { deepssimLossTf, deepssimStep } from '../src/tfjs/index.js';
import { syntheticVgg16Weights } from '../tools/synthetic-weights/generator.js';

const [N, H, W] = [2, 32, 40];
let loss: DeepSSIMLoss;
before(async () => {
  tf.env().set('IS_TEST', true); // silences tfjs-backend-cpu's "install tfjs-node" banner
  await tf.setBackend('cpu');
  loss = await createLoss({ variant: 'lite', weights: syntheticVgg16Weights(), threads: 2 });
});
after(async () => loss.dispose());

const pattern = (seed: number) =>
  tf.tidy(
    () =>
      tf.reshape(tf.add(0.5, tf.mul(0.3, tf.sin(tf.add(tf.mul(tf.range(0, N * H * W * 3), 0.013 * seed), seed)))), [
        N,
        H,
        W,
        3,
      ]) as tf.Tensor4D,
  );

test('attach(): value = mean loss, gradient = ∂loss/∂prediction / N (NHWC and NCHW)', async () => {
  const pred = pattern(1);
  const target = pattern(2);
  const nchw = (t: tf.Tensor4D) => ({
    data: tf.transpose(t, [0, 3, 1, 2]).dataSync() as Float32Array,
    shape: [N, 3, H, W] as const,
  });
  const direct = await loss.valueAndGrad(nchw(pred), nchw(target));
  for (const layout of ['NHWC', 'NCHW'] as const) {
    const p = layout === 'NHWC' ? pred : (tf.transpose(pred, [0, 3, 1, 2]) as tf.Tensor4D);
    const t = layout === 'NHWC' ? target : (tf.transpose(target, [0, 3, 1, 2]) as tf.Tensor4D);
    const term = await deepssimLossTf(loss, p, t, { layout });
    assert.ok(Math.abs(term.value - (direct.value[0] + direct.value[1]) / 2) < 1e-7);
    const { value, grads } = tf.variableGrads(() => term.attach(tf.mul(p, tfVar) as tf.Tensor4D), [tfVar]);
    // d/dk of attach(k·p) at k = 1 is ⟨p, g⟩: compare with the direct gradient.
    const gNchw = layout === 'NHWC' ? tf.transpose(term.gradient, [0, 3, 1, 2]) : term.gradient;
    const gd = gNchw.dataSync();
    direct.grad.forEach((v, i) => assert.ok(Math.abs(gd[i] - v / N) <= 1e-6 * Math.abs(v) + 1e-12));
    const pn = (layout === 'NHWC' ? tf.transpose(p, [0, 3, 1, 2]) : p).dataSync();
    const want = direct.grad.reduce((s, v, i) => s + (v / N) * pn[i], 0);
    assert.ok(Math.abs(value.dataSync()[0] - term.value) < 1e-7);
    assert.ok(
      Math.abs(grads[tfVar.name].dataSync()[0] - want) <= 1e-4 * Math.abs(want),
      `${grads[tfVar.name].dataSync()[0]} vs ${want}`,
    );
    term.dispose();
  }
});
const tfVar = tf.variable(tf.scalar(1), true, 'k');

test('deepssimStep applies the gradient to a model variable (SGD step = −lr · ∂/∂θ)', async () => {
  const x = pattern(3);
  const target = pattern(4);
  const theta = tf.variable(tf.fill([1, 1, 1, 3], 0.9), true, 'theta');
  const predict = () => tf.mul(x, theta) as tf.Tensor4D;
  // Expected: ∂/∂θ of L1 + λ·DeepSSIM, with the DeepSSIM part Σ over pixels of g ⊙ x per channel.
  const term = await deepssimLossTf(loss, predict(), target);
  const lambda = 0.5;
  const l1 = (y: tf.Tensor4D) => tf.losses.absoluteDifference(target, y) as tf.Scalar;
  const gL1 = tf.variableGrads(() => l1(predict()), [theta]).grads.theta.dataSync();
  const gDs = tf.sum(tf.mul(term.gradient, x), [0, 1, 2]).dataSync();
  const before0 = theta.dataSync().slice();
  const lr = 0.01;
  const out = await deepssimStep({
    optimizer: tf.train.sgd(lr),
    loss,
    predict,
    target,
    lambda,
    pixelLoss: l1,
    varList: [theta],
  });
  const after0 = theta.dataSync();
  for (let c = 0; c < 3; c++) {
    const want = before0[c] - lr * (gL1[c] + lambda * gDs[c]);
    assert.ok(Math.abs(after0[c] - want) < 1e-6, `channel ${c}: ${after0[c]} vs ${want}`);
  }
  assert.ok(
    Math.abs(out.deepssim - term.value) < 1e-7 && Math.abs(out.total - (out.pixel + lambda * out.deepssim)) < 1e-6,
  );
  assert.ok(after0.some((v, c) => v !== before0[c]));
  term.dispose();
});
