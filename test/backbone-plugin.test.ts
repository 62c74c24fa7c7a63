/**
 * Issue 10, point 1: a backbone is one declarative spec plus one registry line, and then works for the metric and
 * the loss. Everything here goes through the package entry only (no internal paths): a small backbone with a
 * strided TF-'same' first layer (saliency site), a fixed-pad conv, a max-pool and a 1×1 conv is registered, given
 * its weights in memory, and used for `score` (checked against an independent plain-TypeScript forward pass of the
 * same network), for tiled = untiled, for a saliency mask, and for `createLoss().valueAndGrad` (checked against
 * central finite differences).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  backboneNames,
  blockGramSimilarity,
  createDeepSSIM,
  createLoss,
  IMAGENET_NORMALIZE,
  liteGramSimilarity,
  registerBackbone,
  UsageError,
  type BackboneSpec,
  type ConvLayer,
  type RawImage,
  type WeightMap,
} from '../src/index.js';

const C = 8;
const conv = (
  name: string,
  cin: number,
  cout: number,
  k: number,
  s: number,
  pads: ConvLayer['pads'],
  group = 1,
): ConvLayer => ({
  kind: 'conv',
  name,
  weight: `${name}.w`,
  bias: `${name}.b`,
  inChannels: cin,
  outChannels: cout,
  kernel: [k, k],
  strides: [s, s],
  pads,
  group,
});

const tiny: BackboneSpec = {
  name: 'tiny',
  description: 'a test backbone',
  layers: [
    IMAGENET_NORMALIZE,
    conv('a', 3, C, 3, 2, 'same'),
    { kind: 'relu6', name: 'a_relu' },
    conv('b', C, C, 3, 1, 'same', C), // depthwise
    { kind: 'relu' },
    conv('c', C, C, 3, 1, [1, 1, 1, 1]),
    { kind: 'relu' },
    { kind: 'maxpool', kernel: [2, 2], strides: [2, 2] },
    conv('d', C, C, 1, 1, 'same'),
    { kind: 'relu', name: 'd_relu' },
  ],
  featureLayer: 'd_relu',
  channels: C,
  minSide: 4,
  saliency: { after: 'a_relu' },
  weights: { storage: 'state-dict', select: () => true },
};

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32;
}

/** Deterministic weights for every conv of the spec (scaled so activations stay in a useful range, ReLU6 clips some). */
function weightsFor(spec: BackboneSpec, seed: number): WeightMap {
  const r = rng(seed);
  const m: WeightMap = new Map();
  for (const l of spec.layers) {
    if (l.kind !== 'conv') continue;
    const fanIn = (l.inChannels / l.group) * l.kernel[0] * l.kernel[1];
    const shape = [l.outChannels, l.inChannels / l.group, ...l.kernel];
    m.set(l.weight, {
      shape,
      data: Float32Array.from(
        { length: shape.reduce((a, b) => a * b, 1) },
        () => (2 * r() - 0.6) * (2.5 / Math.sqrt(fanIn)),
      ),
    });
    m.set(l.bias!, { shape: [l.outChannels], data: Float32Array.from({ length: l.outChannels }, () => 0.2 * r()) });
  }
  return m;
}

const WEIGHTS = weightsFor(tiny, 11);
registerBackbone(tiny);

function image(width: number, height: number, seed: number): RawImage {
  const r = rng(seed);
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < 3; c++) {
        const v = 128 + 70 * Math.sin(x * 0.23 + c + seed) * Math.cos(y * 0.17 - seed) + 40 * (r() - 0.5);
        data[(y * width + x) * 3 + c] = Math.max(0, Math.min(255, Math.round(v)));
      }
    }
  }
  return { data, width, height, channels: 3 };
}

// ---------------------------------------------------------------------------------------------------------------
// An independent forward pass of the tiny network in float64 (direct loops; TF 'same' pads written out here).

type Map3 = { c: number; h: number; w: number; d: Float64Array };

function convRef(x: Map3, l: ConvLayer, wm: WeightMap): Map3 {
  const [k] = l.kernel;
  const [s] = l.strides;
  let top: number;
  let left: number;
  let h: number;
  let w: number;
  if (l.pads === 'same') {
    h = Math.ceil(x.h / s);
    w = Math.ceil(x.w / s);
    top = Math.floor(Math.max(0, (h - 1) * s + k - x.h) / 2);
    left = Math.floor(Math.max(0, (w - 1) * s + k - x.w) / 2);
  } else {
    [top, left] = l.pads;
    h = Math.floor((x.h + l.pads[0] + l.pads[2] - k) / s) + 1;
    w = Math.floor((x.w + l.pads[1] + l.pads[3] - k) / s) + 1;
  }
  const W = wm.get(l.weight)!.data;
  const B = wm.get(l.bias!)!.data;
  const ig = l.inChannels / l.group;
  const og = l.outChannels / l.group;
  const d = new Float64Array(l.outChannels * h * w);
  for (let o = 0; o < l.outChannels; o++) {
    const g0 = Math.floor(o / og) * ig;
    for (let i = 0; i < h; i++) {
      for (let j = 0; j < w; j++) {
        let acc = B[o];
        for (let ci = 0; ci < ig; ci++) {
          for (let a = 0; a < k; a++) {
            const y = i * s - top + a;
            if (y < 0 || y >= x.h) continue;
            for (let b = 0; b < k; b++) {
              const xx = j * s - left + b;
              if (xx < 0 || xx >= x.w) continue;
              acc += W[((o * ig + ci) * k + a) * k + b] * x.d[((g0 + ci) * x.h + y) * x.w + xx];
            }
          }
        }
        d[(o * h + i) * w + j] = acc;
      }
    }
  }
  return { c: l.outChannels, h, w, d };
}

/** Features of an 8-bit image through `spec` (optionally masking the saliency site's output at kernel centres). */
function forwardRef(spec: BackboneSpec, wm: WeightMap, img: RawImage, mask?: Uint8Array): Map3 {
  const n = img.width * img.height;
  let x: Map3 = { c: 3, h: img.height, w: img.width, d: new Float64Array(3 * n) };
  for (let i = 0; i < n; i++) for (let c = 0; c < 3; c++) x.d[c * n + i] = img.data[3 * i + c] / 255;
  let centre = { top: 0, left: 0, stride: 1 };
  for (const l of spec.layers) {
    if (l.kind === 'normalize') {
      for (let c = 0; c < 3; c++) for (let i = 0; i < n; i++) x.d[c * n + i] = (x.d[c * n + i] - l.mean[c]) / l.std[c];
    } else if (l.kind === 'conv') {
      const before = x;
      x = convRef(x, l, wm);
      // Where each unit's kernel centre falls in the input (pixels, for the layer before the saliency site).
      const total = Math.max(0, (x.h - 1) * l.strides[0] + l.kernel[0] - before.h);
      centre = {
        top: (l.kernel[0] - 1) / 2 - (l.pads === 'same' ? Math.floor(total / 2) : l.pads[0]),
        left: 0,
        stride: l.strides[0],
      };
      const totalW = Math.max(0, (x.w - 1) * l.strides[1] + l.kernel[1] - before.w);
      centre.left = (l.kernel[1] - 1) / 2 - (l.pads === 'same' ? Math.floor(totalW / 2) : l.pads[1]);
    } else if (l.kind === 'relu' || l.kind === 'relu6') {
      for (let i = 0; i < x.d.length; i++)
        x.d[i] = l.kind === 'relu' ? Math.max(0, x.d[i]) : Math.min(6, Math.max(0, x.d[i]));
      if (mask && l.name === spec.saliency?.after) {
        for (let i = 0; i < x.h; i++) {
          for (let j = 0; j < x.w; j++) {
            const m = mask[(i * centre.stride + centre.top) * img.width + j * centre.stride + centre.left];
            for (let c = 0; c < x.c; c++) x.d[(c * x.h + i) * x.w + j] *= m;
          }
        }
      }
    } else {
      const h = Math.floor((x.h - l.kernel[0]) / l.strides[0]) + 1;
      const w = Math.floor((x.w - l.kernel[1]) / l.strides[1]) + 1;
      const d = new Float64Array(x.c * h * w).fill(-Infinity);
      for (let c = 0; c < x.c; c++) {
        for (let i = 0; i < h; i++) {
          for (let j = 0; j < w; j++) {
            for (let a = 0; a < l.kernel[0]; a++) {
              for (let b = 0; b < l.kernel[1]; b++) {
                d[(c * h + i) * w + j] = Math.max(
                  d[(c * h + i) * w + j],
                  x.d[(c * x.h + i * l.strides[0] + a) * x.w + j * l.strides[1] + b],
                );
              }
            }
          }
        }
      }
      x = { c: x.c, h, w, d };
    }
  }
  return x;
}

function gramRef(f: Map3): Float64Array {
  const g = new Float64Array(f.c * f.c);
  const p = f.h * f.w;
  for (let i = 0; i < f.c; i++)
    for (let j = 0; j < f.c; j++) for (let k = 0; k < p; k++) g[i * f.c + j] += f.d[i * p + k] * f.d[j * p + k];
  return g;
}

// ---------------------------------------------------------------------------------------------------------------

test('the registered backbone is listed; a duplicate name or an inconsistent spec is refused', () => {
  assert.ok(backboneNames().includes('tiny'));
  registerBackbone(tiny); // the same spec again: a no-op
  assert.throws(() => registerBackbone({ ...tiny }), UsageError);
  assert.throws(
    () => registerBackbone({ ...tiny, name: 'tiny2', channels: 16 }),
    /channels is 16 but the last convolution gives 8/,
  );
  assert.throws(() => registerBackbone({ ...tiny, name: 'tiny3', saliency: { after: 'nope' } }), /saliency\.after/);
});

test('score with a registered backbone and in-memory weights = an independent float64 forward pass', async () => {
  const metric = await createDeepSSIM({ backbone: 'tiny', weights: WEIGHTS, threads: 1, tile: false });
  const lite = await createDeepSSIM({ backbone: 'tiny', weights: WEIGHTS, threads: 1, tile: false, variant: 'lite' });
  try {
    const a = image(45, 37, 1);
    const b = image(41, 38, 2);
    const fa = forwardRef(tiny, WEIGHTS, a);
    const fb = forwardRef(tiny, WEIGHTS, b);
    const pa = await metric.prepare(a);
    assert.equal(pa.cells, fa.h * fa.w);
    const ga = gramRef(fa);
    let maxAbs = 0;
    let maxDiff = 0;
    for (let i = 0; i < ga.length; i++) {
      maxAbs = Math.max(maxAbs, Math.abs(ga[i]));
      maxDiff = Math.max(maxDiff, Math.abs(ga[i] - pa.gram[i]));
    }
    assert.ok(maxAbs > 1, 'features should not vanish');
    assert.ok(maxDiff / maxAbs < 1e-5, `Gram differs by ${(maxDiff / maxAbs).toExponential(2)} of its largest entry`);
    const want = blockGramSimilarity(ga, gramRef(fb), C);
    const got = await metric.score(a, b);
    assert.ok(Math.abs(got - want) < 1e-5, `full: ${got} vs reference ${want}`);
    assert.ok(got < 0.999, `different images should not score 1 (${got})`);
    const wantLite = liteGramSimilarity(ga, fa.h * fa.w, gramRef(fb), fb.h * fb.w, C);
    assert.ok(Math.abs((await lite.score(a, b)) - wantLite) < 1e-5);
    assert.equal(await metric.score(a, a), 1);
  } finally {
    await metric.dispose();
    await lite.dispose();
  }
});

test('tiny backbone: tiled = untiled (odd sizes, strided TF-same first layer), with and without a saliency mask', async () => {
  const untiled = await createDeepSSIM({ backbone: 'tiny', weights: WEIGHTS, threads: 1, tile: false });
  const tiled = await createDeepSSIM({ backbone: 'tiny', weights: WEIGHTS, threads: 1, tile: 8 });
  try {
    for (const [w, h] of [
      [61, 47],
      [64, 50],
    ]) {
      const a = image(w, h, 3);
      const r = rng(w);
      const maskImg: RawImage = {
        data: Uint8Array.from({ length: w * h }, (_, i) =>
          (i % w) + Math.floor(i / w) * 0.7 + 20 * r() > 40 ? 255 : 0,
        ),
        width: w,
        height: h,
        channels: 1,
      };
      for (const map of [undefined, maskImg]) {
        const u = await untiled.prepare(a, { saliencyMap: map });
        const t = await tiled.prepare(a, { saliencyMap: map });
        assert.equal(t.cells, u.cells);
        let maxAbs = 0;
        let maxDiff = 0;
        for (let i = 0; i < u.gram.length; i++) {
          maxAbs = Math.max(maxAbs, Math.abs(u.gram[i]));
          maxDiff = Math.max(maxDiff, Math.abs(u.gram[i] - t.gram[i]));
        }
        assert.ok(
          maxDiff / maxAbs < 1e-6,
          `${w}×${h}${map ? ' masked' : ''}: tiled Gram differs by ${(maxDiff / maxAbs).toExponential(2)}`,
        );
        if (map) {
          // The mask is applied as documented: sampled at the centre of each first-layer unit's window.
          const binary = Uint8Array.from(map.data, (v) => (v > 0 ? 1 : 0));
          const ref = gramRef(forwardRef(tiny, WEIGHTS, a, binary));
          let d = 0;
          for (let i = 0; i < ref.length; i++) d = Math.max(d, Math.abs(ref[i] - u.gram[i]));
          assert.ok(d / maxAbs < 1e-5, `masked Gram vs reference: ${(d / maxAbs).toExponential(2)}`);
          const plain = await untiled.prepare(a);
          assert.ok(Math.abs(plain.gram[0] - u.gram[0]) > 1e-3 * maxAbs, 'the mask should change the Gram matrix');
        }
      }
    }
    // The tile minimum is the backbone's stride (4 here), not a literal 16.
    const small = await createDeepSSIM({ backbone: 'tiny', weights: WEIGHTS, threads: 1, tile: 4 });
    await small.dispose();
    await assert.rejects(
      createDeepSSIM({ backbone: 'tiny', weights: WEIGHTS, threads: 1, tile: 3 }),
      (e: unknown) =>
        e instanceof UsageError &&
        e.code === 'INVALID_OPTION' &&
        e.details.option === 'tile' &&
        /^Expected false or an integer of at least 4 .*for tile but received 3 of type number$/.test(e.message),
    );
  } finally {
    await untiled.dispose();
    await tiled.dispose();
  }
});

for (const variant of ['full', 'lite'] as const) {
  test(`createLoss with the registered backbone (${variant}): loss = 1 − score, gradient = central differences`, async () => {
    const loss = await createLoss({ variant, backbone: 'tiny', weights: WEIGHTS, threads: 1 });
    const metric = await createDeepSSIM({ variant, backbone: 'tiny', weights: WEIGHTS, threads: 1, tile: false });
    try {
      const [H, W] = [27, 33];
      const ti = image(W, H, 5);
      const ri = image(W, H, 6);
      const nchw = (img: RawImage) => {
        const out = new Float32Array(3 * H * W);
        for (let i = 0; i < H * W; i++) for (let c = 0; c < 3; c++) out[c * H * W + i] = img.data[3 * i + c] / 255;
        return out;
      };
      const shape = [1, 3, H, W] as const;
      const test0 = nchw(ti);
      const ref = { data: nchw(ri), shape };
      const res = await loss.valueAndGrad({ data: test0, shape }, ref);
      const score = await metric.score(ri, ti);
      assert.ok(Math.abs(res.value64[0] - (1 - score)) < 1e-6, `loss ${res.value64[0]} vs 1 − score ${1 - score}`);
      assert.ok(res.value64[0] > 1e-4, 'the images should differ');
      // Central differences along a random ascent direction; the loss is evaluated in float64 from float32 features.
      const r = rng(9);
      const dir = Float32Array.from(res.grad, (g) => Math.sign(g) * r());
      const analytic = res.grad.reduce((s, g, i) => s + g * dir[i], 0);
      const h = 1e-3;
      const at = async (sign: number) =>
        (await loss.valueAndGrad({ data: Float32Array.from(test0, (v, i) => v + sign * h * dir[i]), shape }, ref))
          .value64[0];
      const fd = ((await at(1)) - (await at(-1))) / (2 * h);
      assert.ok(
        Math.abs(fd - analytic) <= 0.02 * Math.abs(analytic),
        `fd ${fd.toExponential(5)} vs ⟨grad, v⟩ ${analytic.toExponential(5)}`,
      );
    } finally {
      await loss.dispose();
      await metric.dispose();
    }
  });
}
