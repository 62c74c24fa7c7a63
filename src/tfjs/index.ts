/**
 * TensorFlow.js adapter for the DeepSSIM loss (separate entry point: only this folder imports tfjs, which is an
 * optional peer dependency of the package).
 *
 * tfjs records gradients only during a synchronous function, while ONNX Runtime is asynchronous, so a training
 * step has two phases: (1) outside the tape, run the model, then `await deepssimLossTf(...)` computes the loss and
 * g = ∂loss/∂prediction with ONNX Runtime; (2) inside `optimizer.minimize` / `tf.variableGrads`, run the model again
 * and `term.attach(prediction)` returns a scalar equal to the loss whose gradient with respect to the prediction is g
 * (tf.customGrad), so it propagates to the model's variables. `deepssimStep` does both phases.
 *
 *   const loss = await createLoss({ variant: 'lite', backbone: 'mobilenet_v1_0.75', weights });
 *   const { total, deepssim } = await deepssimStep({
 *     optimizer, loss, target,                       // target: tf.Tensor4D NHWC in [0,1]
 *     predict: () => model.apply(input) as tf.Tensor4D,
 *     lambda: 0.1,
 *     pixelLoss: (y) => tf.losses.absoluteDifference(target, y), // optional extra terms, traced normally
 *   });
 *
 * The cost is one extra forward pass of the model (the tape-free one in phase 1).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { DeepSSIMLoss, ImageBatch } from '../loss/loss.js';
import { UsageError } from '../errors.js';
import { checkOneOf } from '../validate.js';

/** Tensor layout of predictions and targets: tfjs's usual NHWC (default) or NCHW. Values in [0,1], RGB. */
export type TfLayout = 'NHWC' | 'NCHW';
export const TF_LAYOUTS: readonly TfLayout[] = ['NHWC', 'NCHW'];

export interface DeepSSIMTfOptions {
  layout?: TfLayout;
}

export interface DeepSSIMTfTerm {
  /** Mean loss over the batch (1 − score). */
  readonly value: number;
  /** Per-image losses. */
  readonly values: Float32Array;
  /** ∂(mean loss)/∂prediction, in the prediction's layout. Disposed by `dispose()`. */
  readonly gradient: tf.Tensor4D;
  /** Inside a gradient tape: a scalar equal to `value` whose gradient w.r.t. `prediction` is `gradient`. */
  attach(prediction: tf.Tensor4D): tf.Scalar;
  dispose(): void;
}

function toBatch(t: tf.Tensor4D, layout: TfLayout, what: string): ImageBatch {
  const nchw = layout === 'NHWC' ? tf.transpose(t, [0, 3, 1, 2]) : t;
  try {
    const [n, c, h, w] = nchw.shape;
    if (c !== 3)
      throw new UsageError(`${what} must have 3 channels in ${layout} layout, got shape [${t.shape.join(', ')}]`);
    const data = nchw.dataSync();
    return { data: data instanceof Float32Array ? data : Float32Array.from(data), shape: [n, c, h, w] };
  } finally {
    if (nchw !== t) nchw.dispose();
  }
}

/**
 * Compute the DeepSSIM loss of `prediction` against `target` and its gradient with ONNX Runtime (outside any
 * tape). `target` may also be an ImageBatch (NCHW): pass the same object again to reuse its cached Gram matrix.
 */
export async function deepssimLossTf(
  loss: DeepSSIMLoss,
  prediction: tf.Tensor4D,
  target: tf.Tensor4D | ImageBatch,
  options: DeepSSIMTfOptions = {},
): Promise<DeepSSIMTfTerm> {
  const layout = options.layout ?? 'NHWC';
  checkOneOf('layout', layout, TF_LAYOUTS);
  const test = toBatch(prediction, layout, 'prediction');
  const reference = target instanceof tf.Tensor ? toBatch(target, layout, 'target') : target;
  const { value, grad } = await loss.valueAndGrad(test, reference);
  const n = test.shape[0];
  // Mean over the batch: each image's gradient / N.
  const gradient = tf.tidy(() => {
    const g = tf.div(tf.tensor4d(grad, test.shape as [number, number, number, number]), n) as tf.Tensor4D;
    return layout === 'NHWC' ? (tf.transpose(g, [0, 2, 3, 1]) as tf.Tensor4D) : g;
  });
  const mean = value.reduce((s, v) => s + v, 0) / n;
  // The value does not depend on y (it is the ONNX Runtime loss); only the gradient wiring does.
  const surrogate = tf.customGrad(((_y: tf.Tensor) => ({
    value: tf.scalar(mean),
    gradFunc: (dy: tf.Tensor) => tf.mul(dy, gradient),
  })) as Parameters<typeof tf.customGrad>[0]);
  return {
    value: mean,
    values: value,
    gradient,
    attach(p: tf.Tensor4D): tf.Scalar {
      if (p.shape.some((d, i) => d !== gradient.shape[i])) {
        throw new UsageError(
          `attach: prediction shape [${p.shape.join(', ')}] differs from [${gradient.shape.join(', ')}]`,
        );
      }
      return surrogate(p) as tf.Scalar;
    },
    dispose: () => gradient.dispose(),
  };
}

export interface DeepSSIMStepOptions {
  optimizer: tf.Optimizer;
  loss: DeepSSIMLoss;
  /** Runs the model; called twice (once without tape, once inside optimizer.minimize). Must be deterministic. */
  predict: () => tf.Tensor4D;
  target: tf.Tensor4D | ImageBatch;
  /** Weight of the DeepSSIM term (default 1). */
  lambda?: number;
  /** Other loss terms on the prediction, traced by tfjs as usual (e.g. L1). */
  pixelLoss?: (prediction: tf.Tensor4D) => tf.Scalar;
  layout?: TfLayout;
  varList?: tf.Variable[];
}

/** One optimizer step on pixelLoss(ŷ) + λ·DeepSSIM(ŷ, target). Returns the loss values of this step. */
export async function deepssimStep(
  o: DeepSSIMStepOptions,
): Promise<{ total: number; deepssim: number; pixel: number }> {
  const lambda = o.lambda ?? 1;
  const prediction = tf.tidy(o.predict);
  let term: DeepSSIMTfTerm;
  try {
    term = await deepssimLossTf(o.loss, prediction, o.target, { layout: o.layout });
  } finally {
    prediction.dispose();
  }
  let pixel = 0;
  try {
    const cost = o.optimizer.minimize(
      () => {
        const y = o.predict();
        const d = tf.mul(term.attach(y), lambda) as tf.Scalar;
        if (!o.pixelLoss) return d;
        const p = o.pixelLoss(y);
        pixel = p.dataSync()[0];
        return tf.add(p, d) as tf.Scalar;
      },
      true,
      o.varList,
    );
    const total = cost!.dataSync()[0];
    cost!.dispose();
    return { total, deepssim: term.value, pixel };
  } finally {
    term.dispose();
  }
}
