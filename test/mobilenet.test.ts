/**
 * Issue 6, acceptance 1: the MobileNet v1 α = 0.75 graph built from our TF.js layers reader agrees with
 * TensorFlow.js (tfjs-core CPU backend + tfjs-layers, an independent implementation) and, completed to the full
 * classifier (test-only code), predicts the expected ImageNet classes.
 *
 * Classifier input: the whole photo resized to 224×224 without keeping the aspect ratio (what Keras'
 * `load_img(target_size=(224, 224))` does), sharp's default Lanczos-3 kernel, then x/127.5 − 1.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import { foldConvStack, kerasStackLayers, parseConvStack, type KerasConvOp } from '../src/backbones/keras.js';
import { MOBILENET_FEATURE_LAYER, mobilenetV1 } from '../src/backbones/mobilenet-v1.js';
import { emitForward } from '../src/graph/emit.js';
import { featureSize } from '../src/graph/geometry.js';
import type { LayerSpec } from '../src/graph/spec.js';
import { createDeepSSIM, decodeImage } from '../src/index.js';
import type { RGBImage } from '../src/image/types.js';
import { GraphBuilder } from '../src/onnx/builder.js';
import { readTfjsLayersModel } from '../src/node/read-weights-file.js';
import type { KerasLayer, TfjsLayersModel } from '../src/weights/tfjs-layers.js';
import type { WeightMap } from '../src/weights/types.js';
import { SHARED, SHARED_SKIP } from './support/paths.js';
import { lcg } from './support/gram.js';

const MODEL_JSON = join(SHARED, 'weights', 'mobilenet_v1_0.75_224', 'model.json');
const SAMPLES = join(SHARED, 'images', 'imagenet-samples');

// ---------------------------------------------------------------------------------------------------------------
// TensorFlow.js reference: tf.loadLayersModel has no file:// handler without tfjs-node, so a tiny IOHandler reads
// model.json and its shards. The input shape is freed ([null, null, null, 3]) so any image size can be run.

let backendReady: Promise<boolean> | undefined;
tf.env().set('IS_TEST', true); // silences tfjs-backend-cpu's "install tfjs-node" banner

async function loadTfjsModel(modelJson: string): Promise<tfl.LayersModel> {
  backendReady ??= tf.setBackend('cpu');
  await backendReady;
  const json = JSON.parse(await readFile(modelJson, 'utf8'));
  const topology = json.modelTopology;
  (topology.model_config ?? topology).config.layers[0].config.batch_input_shape = [null, null, null, 3];
  const groups = json.weightsManifest as { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
  const shards: Buffer[] = [];
  for (const g of groups) for (const p of g.paths) shards.push(await readFile(join(dirname(modelJson), p)));
  const all = Buffer.concat(shards);
  const handler: tf.io.IOHandler = {
    load: async () => ({
      modelTopology: topology,
      weightSpecs: groups.flatMap((g) => g.weights),
      weightData: all.buffer.slice(all.byteOffset, all.byteOffset + all.length) as ArrayBuffer,
    }),
  };
  return tfl.loadLayersModel(handler);
}

/** NHWC output of layer `name` for one NHWC input. */
function tfjsLayer(
  model: tfl.LayersModel,
  name: string,
  nhwc: Float32Array,
  h: number,
  w: number,
): { data: Float32Array; shape: number[] } {
  const sub = tfl.model({ inputs: model.inputs, outputs: model.getLayer(name).output as tfl.SymbolicTensor });
  return tf.tidy(() => {
    const y = sub.predict(tf.tensor4d(nhwc, [1, h, w, 3])) as tf.Tensor;
    return { data: Float32Array.from(y.dataSync() as Float32Array), shape: y.shape };
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Our side: graphs built with the project's builder, run by ONNX Runtime.

async function runOnnx(model: Uint8Array, feeds: Record<string, ort.Tensor>): Promise<Record<string, ort.Tensor>> {
  const session = await ort.InferenceSession.create(model, { intraOpNumThreads: 2 });
  try {
    return await session.run(feeds);
  } finally {
    await session.release();
  }
}

/** The MobileNet spec's input normalisation (2p − 1). */
const SCALING = mobilenetV1.layers[0];

/** Emit a conv stack through the project's emitter; returns the last activation. */
function addConvStack(
  g: GraphBuilder,
  x: string,
  ops: readonly KerasConvOp[],
  weights: WeightMap,
  scale = false,
): string {
  const layers: LayerSpec[] = [...(scale ? [SCALING] : []), ...kerasStackLayers(ops)];
  return emitForward(g, { name: 'stack', layers }, weights, x).features;
}

/** Graph: NCHW input (optionally the 2p − 1 scaling) → conv stack; outputs the last activation. */
function stackGraph(ops: readonly KerasConvOp[], weights: WeightMap, scale: boolean): Uint8Array {
  const g = new GraphBuilder('stack');
  const x = g.input('x', 'float32', [1, 3, 'H', 'W']);
  g.op('Identity', [addConvStack(g, x, ops, weights, scale)], {}, 'y');
  g.output('y', 'float32');
  return g.build();
}

/** NCHW → NHWC. */
function toNHWC(chw: Float32Array, c: number, h: number, w: number): Float32Array {
  const out = new Float32Array(chw.length);
  for (let k = 0; k < c; k++) for (let i = 0; i < h * w; i++) out[i * c + k] = chw[k * h * w + i];
  return out;
}

/** ‖a − b‖ / ‖b‖ in float64. */
function relL2(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num += (a[i] - b[i]) ** 2;
    den += b[i] ** 2;
  }
  return Math.sqrt(num / den);
}

/** Pixels as our graphs take them (CHW, v/255) and as Keras takes them (NHWC, v/127.5 − 1). */
function inputs(img: RGBImage): { chw: Float32Array; nhwc: Float32Array } {
  const n = img.width * img.height;
  const chw = new Float32Array(3 * n);
  const nhwc = new Float32Array(3 * n);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < 3; c++) {
      const v = img.data[3 * i + c];
      chw[c * n + i] = v / 255;
      nhwc[3 * i + c] = v / 127.5 - 1;
    }
  }
  return { chw, nhwc };
}

// ---------------------------------------------------------------------------------------------------------------

describe('conv stack on a small synthetic Keras model written by TensorFlow.js (no ../shared needed)', () => {
  let dir: string;
  let reference: tfl.LayersModel;
  let ours: TfjsLayersModel;

  before(async () => {
    backendReady ??= tf.setBackend('cpu');
    await backendReady;
    dir = await mkdtemp(join(tmpdir(), 'deepssim-keras-'));
    // Strides 2 and 'same' padding at odd sizes exercise TensorFlow's asymmetric padding; ReLU6 clips (weights
    // large enough); BN epsilon is not the default; one conv has a bias, one BN has neither centre nor scale.
    const input = tfl.input({ shape: [null, null, 3] as unknown as number[], name: 'input_1' });
    let x = tfl.layers
      .conv2d({ name: 'c1', filters: 6, kernelSize: 3, strides: 2, padding: 'same', useBias: false })
      .apply(input) as tfl.SymbolicTensor;
    x = tfl.layers.batchNormalization({ name: 'c1_bn', epsilon: 0.01 }).apply(x) as tfl.SymbolicTensor;
    x = tfl.layers.activation({ name: 'c1_relu', activation: 'relu6' }).apply(x) as tfl.SymbolicTensor;
    x = tfl.layers
      .depthwiseConv2d({ name: 'd2', kernelSize: 3, strides: 2, padding: 'same', useBias: false })
      .apply(x) as tfl.SymbolicTensor;
    x = tfl.layers.batchNormalization({ name: 'd2_bn', center: false, scale: false }).apply(x) as tfl.SymbolicTensor;
    x = tfl.layers.reLU({ name: 'd2_relu', maxValue: 6 }).apply(x) as tfl.SymbolicTensor;
    x = tfl.layers.conv2d({ name: 'p2', filters: 5, kernelSize: 1, useBias: true }).apply(x) as tfl.SymbolicTensor;
    x = tfl.layers.batchNormalization({ name: 'p2_bn' }).apply(x) as tfl.SymbolicTensor;
    x = tfl.layers.activation({ name: 'p2_relu', activation: 'relu6' }).apply(x) as tfl.SymbolicTensor;
    const model = tfl.model({ inputs: input, outputs: x });
    let seed = 7;
    const rnd = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
    for (const layer of model.layers) {
      const ws = layer.weights.map((w) => {
        const name = w.originalName;
        const shape = w.shape as number[];
        const v = Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () =>
          name.includes('variance') ? 0.2 + rnd() : name.includes('gamma') ? 0.5 + rnd() : 2 * rnd() - 1,
        );
        return tf.tensor(v, shape);
      });
      if (ws.length > 0) layer.setWeights(ws);
    }
    // Save through an IOHandler into model.json + one shard, the layout the converter produces.
    await model.save({
      save: async (artifacts) => {
        const data = new Uint8Array(artifacts.weightData as ArrayBuffer);
        await writeFile(join(dir, 'group1-shard1of1.bin'), data);
        const json = {
          modelTopology: artifacts.modelTopology,
          weightsManifest: [{ paths: ['group1-shard1of1.bin'], weights: artifacts.weightSpecs }],
        };
        await writeFile(join(dir, 'model.json'), JSON.stringify(json));
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      },
    });
    reference = await loadTfjsModel(join(dir, 'model.json'));
    ours = await readTfjsLayersModel(join(dir, 'model.json'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('parseConvStack reads the chain with its BN epsilons, flags and activations', () => {
    const ops = parseConvStack(ours.layers, 'p2_relu');
    assert.deepEqual(
      ops.map((o) => [
        o.kind,
        o.name,
        o.strides[0],
        o.inChannels,
        o.outChannels,
        o.useBias,
        o.bn?.epsilon,
        o.activation,
      ]),
      [
        ['conv', 'c1', 2, 3, 6, false, 0.01, 'relu6'],
        ['depthwise', 'd2', 2, 6, 6, false, 0.001, 'relu6'],
        ['conv', 'p2', 1, 6, 5, true, 0.001, 'relu6'],
      ],
    );
    assert.equal(ops[1].bn?.center, false);
    assert.equal(ops[1].bn?.scale, false);
    assert.throws(() => parseConvStack(ours.layers, 'nope'), /no layer nope/);
  });

  for (const [h, w] of [
    [16, 16],
    [17, 23],
    [9, 30],
    [1, 5],
  ]) {
    test(`${h}×${w}: folded ONNX graph = TensorFlow.js to 1e-5 (relative L2), feature size ⌈n/4⌉`, async () => {
      const ops = parseConvStack(ours.layers, 'p2_relu');
      const folded = foldConvStack(ops, ours.weights, 'synthetic');
      const rnd = lcg(h * 1000 + w);
      const nhwc = Float32Array.from({ length: h * w * 3 }, () => 4 * rnd() - 2);
      const chw = new Float32Array(nhwc.length);
      for (let i = 0; i < h * w; i++) for (let c = 0; c < 3; c++) chw[c * h * w + i] = nhwc[3 * i + c];
      const out = await runOnnx(stackGraph(ops, folded, false), { x: new ort.Tensor('float32', chw, [1, 3, h, w]) });
      const y = out.y;
      assert.deepEqual(y.dims, [1, 5, Math.ceil(h / 4), Math.ceil(w / 4)]);
      const ref = tfjsLayer(reference, 'p2_relu', nhwc, h, w);
      assert.deepEqual(ref.shape, [1, Math.ceil(h / 4), Math.ceil(w / 4), 5]);
      const mine = toNHWC(y.data as Float32Array, 5, y.dims[2], y.dims[3]);
      let clipped = 0;
      for (const v of ref.data) if (v === 6) clipped++;
      const err = relL2(mine, ref.data);
      assert.ok(err < 1e-5, `relative L2 error ${err.toExponential(2)}`);
      if (h * w >= 256) assert.ok(clipped > 0, 'the test should exercise the ReLU6 clip');
    });
  }
});

describe('MobileNet v1 α = 0.75 with the genuine ImageNet weights (../shared)', { skip: SHARED_SKIP }, () => {
  let model: TfjsLayersModel;
  let reference: tfl.LayersModel;
  before(async () => {
    model = await readTfjsLayersModel(MODEL_JSON);
    reference = await loadTfjsModel(MODEL_JSON);
  });

  /** Test-only: the whole classifier, conv stack to conv_pw_13 then the head exactly as the topology lists it. */
  function classifierGraph(): Uint8Array {
    const layers = model.layers;
    const ops = parseConvStack(layers, 'conv_pw_13_relu');
    const g = new GraphBuilder('mobilenet_classifier');
    let x = addConvStack(
      g,
      g.input('pixels', 'float32', [1, 3, 224, 224]),
      ops,
      foldConvStack(ops, model.weights, MODEL_JSON),
      true,
    );
    let channels = ops[ops.length - 1].outChannels;
    const head = layers.slice(layers.findIndex((l) => l.name === 'conv_pw_13_relu') + 1);
    for (const l of head) {
      const c = l.config;
      switch (l.className) {
        case 'GlobalAveragePooling2D':
          x = g.op('ReduceMean', [x], { axes: [2, 3], keepdims: 1 }); // [1, C, 1, 1]
          break;
        case 'Reshape': // [1,1,C] in NHWC is our [1,C,1,1]; the final [1000] flattens.
          if (JSON.stringify(c.target_shape) === JSON.stringify([1, 1, channels])) break;
          assert.deepEqual(c.target_shape, [channels]);
          x = g.op('Flatten', [x], { axis: 1 });
          break;
        case 'Dropout': // identity at inference
          break;
        case 'Conv2D': {
          const op: KerasConvOp = {
            kind: 'conv',
            name: l.name,
            kernel: [1, 1],
            strides: [1, 1],
            padding: 'same',
            inChannels: channels,
            outChannels: Number(c.filters),
            useBias: c.use_bias === true,
            activation: 'linear',
            output: l.name,
          };
          assert.deepEqual(c.kernel_size, [1, 1]);
          x = addConvStack(g, x, [op], foldConvStack([op], model.weights, MODEL_JSON));
          channels = op.outChannels;
          break;
        }
        case 'Activation':
          assert.equal(c.activation, 'softmax');
          x = g.op('Softmax', [x], { axis: 1 });
          break;
        default:
          assert.fail(`unexpected head layer ${l.className}`);
      }
    }
    g.op('Flatten', [x], { axis: 1 }, 'probs');
    g.output('probs', 'float32', [1, 1000]);
    return g.build();
  }

  test('the full classifier predicts the expected class of the three ImageNet sample photos', async () => {
    const labels = (await readFile(join(SAMPLES, 'imagenet_labels.txt'), 'utf8')).split('\n');
    const graph = classifierGraph();
    const session = await ort.InferenceSession.create(graph, { intraOpNumThreads: 2 });
    try {
      for (const [file, expected] of [
        ['cat.png', 285],
        ['grace_hopper.png', 652],
        ['bird.png', 19],
      ] as const) {
        const { data } = await sharp(join(SAMPLES, file))
          .removeAlpha()
          .resize(224, 224, { fit: 'fill' })
          .raw()
          .toBuffer({ resolveWithObject: true });
        const { chw } = inputs({ data, width: 224, height: 224 });
        const out = await session.run({ pixels: new ort.Tensor('float32', chw, [1, 3, 224, 224]) });
        const p = out.probs.data as Float32Array;
        let sum = 0;
        let top = 0;
        for (let i = 0; i < p.length; i++) {
          sum += p[i];
          if (p[i] > p[top]) top = i;
        }
        assert.ok(Math.abs(sum - 1) < 1e-4, `softmax sums to ${sum}`);
        assert.equal(
          top,
          expected,
          `${file}: top-1 ${top} "${labels[top]}" (p = ${p[top].toFixed(3)}), expected ${expected} "${labels[expected]}" (p = ${p[expected].toFixed(3)})`,
        );
      }
    } finally {
      await session.release();
    }
  });

  // bird.png at its own 512×343: the odd height gives symmetric padding at conv1 and dw6 and asymmetric (bottom
  // only) at dw2 and dw4, so both cases of TensorFlow 'same' are checked; the 224×224 classifier input has only even sizes.
  for (const [file, size] of [
    ['bird.png', null],
    ['grace_hopper.png', 224],
  ] as const) {
    test(`${file}${size ? ` at ${size}×${size}` : ' at its own size'}: conv_pw_11 ReLU6 features and their Gram = TensorFlow.js to 1e-4`, async () => {
      const path = join(SAMPLES, file);
      const img: RGBImage = size
        ? {
            ...(await sharp(path)
              .removeAlpha()
              .resize(size, size, { fit: 'fill' })
              .raw()
              .toBuffer({ resolveWithObject: true })),
            width: size,
            height: size,
          }
        : await decodeImage(path);
      const { width: w, height: h } = img;
      const { chw, nhwc } = inputs(img);
      const ops = parseConvStack(model.layers, MOBILENET_FEATURE_LAYER);
      const out = await runOnnx(stackGraph(ops, foldConvStack(ops, model.weights, MODEL_JSON), true), {
        x: new ort.Tensor('float32', chw, [1, 3, h, w]),
      });
      const [fh, fw] = featureSize(mobilenetV1, h, w);
      assert.deepEqual(out.y.dims, [1, 384, fh, fw]);
      const ref = tfjsLayer(reference, MOBILENET_FEATURE_LAYER, nhwc, h, w);
      assert.deepEqual(ref.shape, [1, fh, fw, 384]);
      const featErr = relL2(toNHWC(out.y.data as Float32Array, 384, fh, fw), ref.data);
      assert.ok(featErr < 1e-4, `features: relative L2 error ${featErr.toExponential(2)}`);

      // The registered backbone end to end (registry loader, BN folding, Gram head) against the Gram of tfjs features.
      const metric = await createDeepSSIM({ backbone: 'mobilenet_v1_0.75', weights: MODEL_JSON, threads: 2 });
      try {
        const prepared = await metric.prepare({ data: img.data, width: w, height: h, channels: 3 });
        assert.equal(prepared.cells, fh * fw);
        const gram = new Float64Array(384 * 384);
        for (let p = 0; p < fh * fw; p++) {
          const f = ref.data.subarray(p * 384, (p + 1) * 384);
          for (let i = 0; i < 384; i++) {
            const fi = f[i];
            if (fi === 0) continue;
            for (let j = 0; j < 384; j++) gram[i * 384 + j] += fi * f[j];
          }
        }
        const gramErr = relL2(prepared.gram, gram);
        assert.ok(gramErr < 1e-4, `Gram: relative L2 error ${gramErr.toExponential(2)}`);
      } finally {
        await metric.dispose();
      }
    });
  }

  test('the registry rejects a topology that is not MobileNet v1 α = 0.75', async () => {
    const { mobilenetWeightsFromModel } = await import('../src/backbones/mobilenet-v1.js');
    const layers: KerasLayer[] = model.layers.map((l) =>
      l.name === 'conv_pw_5' ? { ...l, config: { ...l.config, filters: 256 } } : l,
    );
    assert.throws(() => mobilenetWeightsFromModel({ ...model, layers }), /conv_pw_5 differs from MobileNet v1/);
    const weights = new Map(model.weights);
    weights.delete('conv_dw_7_bn/moving_variance');
    assert.throws(() => mobilenetWeightsFromModel({ ...model, weights }), /conv_dw_7_bn\/moving_variance is missing/);
  });
});
