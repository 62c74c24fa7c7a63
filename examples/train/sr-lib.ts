/**
 * Shared pieces of the ×2 super-resolution experiments (train.ts: aligned targets; misaligned.ts: shifted targets):
 * seeded crops, the ×2 degradation, the small residual CNN with its fast 3×3 convolution, and held-out evaluation.
 * TensorFlow.js cpu backend; everything seeded.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
// The WebAssembly backend (SIMD, threads) trains this network ~13× faster than tfjs-cpu on the same machine
// (measured: 128² × 4 crops, one Adam step 2.8–3.9 s vs 38.7–42.3 s under the same load).
import '@tensorflow/tfjs-backend-wasm';
// Side effect only: registers the op gradients that tfjs-core's Node bundle lacks.
import '@tensorflow/tfjs-layers';
import type { RGBImage } from 'deepssim';

export { tf };

/** Select the tfjs backend ('wasm' or 'cpu') before any tensor is created. */
export async function useBackend(name: string): Promise<void> {
  if (!(await tf.setBackend(name))) throw new Error(`tfjs backend '${name}' is not available`);
  await tf.ready();
}

/** Seeded uniform [0,1) generator (a 32-bit integer hash chain). */
export function rng(s: number): () => number {
  let x = s >>> 0;
  return () => (x = (Math.imul(x ^ (x >>> 15), 0x2c1b3c6d) + 0x9e3779b9) >>> 0) / 2 ** 32;
}

export interface CropOptions {
  steps: number;
  batch: number;
  crop: number;
  seed: number;
  /**
   * Largest target displacement in pixels per axis (0 = aligned). Each sample draws (dx, dy) uniformly in
   * [−maxShift, maxShift]; the target is the HR image sampled at (x + dx, y + dy) with bilinear interpolation, so
   * the shift is sub-pixel in general and integer sometimes only by chance.
   */
  maxShift?: number;
}

/** Crop batches: `input` is the aligned HR crop (degraded later), `target` the (possibly shifted) HR crop, NHWC. */
export function cropBatches(
  images: readonly RGBImage[],
  o: CropOptions,
): { input: Float32Array; target: Float32Array }[] {
  const r = rng(o.seed * 7919);
  // Margin so shifted samples stay inside the image; none when aligned (then the draws are those of train.ts's
  // original crop sequence: image, x0, y0, flip).
  const m = o.maxShift ? Math.ceil(o.maxShift) + 1 : 0;
  const usable = images.filter((im) => im.width >= o.crop + 2 * m && im.height >= o.crop + 2 * m);
  const out: { input: Float32Array; target: Float32Array }[] = [];
  const px = (im: RGBImage, x: number, y: number, c: number) => im.data[(y * im.width + x) * 3 + c] / 255;
  for (let s = 0; s < o.steps; s++) {
    const input = new Float32Array(o.batch * o.crop * o.crop * 3);
    const target = o.maxShift ? new Float32Array(input.length) : input;
    for (let n = 0; n < o.batch; n++) {
      const im = usable[Math.floor(r() * usable.length)];
      const x0 = m + Math.floor(r() * (im.width - o.crop - 2 * m + 1));
      const y0 = m + Math.floor(r() * (im.height - o.crop - 2 * m + 1));
      const flip = r() < 0.5;
      const dx = o.maxShift ? (2 * r() - 1) * o.maxShift : 0;
      const dy = o.maxShift ? (2 * r() - 1) * o.maxShift : 0;
      for (let y = 0; y < o.crop; y++) {
        for (let x = 0; x < o.crop; x++) {
          const sx = flip ? x0 + o.crop - 1 - x : x0 + x;
          const dst = ((n * o.crop + y) * o.crop + x) * 3;
          for (let c = 0; c < 3; c++) input[dst + c] = px(im, sx, y0 + y, c);
          if (target === input) continue;
          // Bilinear sample at the displaced position (the flip mirrors x, so the shift is applied in output space).
          const fx = sx + (flip ? -dx : dx);
          const fy = y0 + y + dy;
          const ix = Math.floor(fx);
          const iy = Math.floor(fy);
          const ax = fx - ix;
          const ay = fy - iy;
          for (let c = 0; c < 3; c++) {
            target[dst + c] =
              (1 - ay) * ((1 - ax) * px(im, ix, iy, c) + ax * px(im, ix + 1, iy, c)) +
              ay * ((1 - ax) * px(im, ix, iy + 1, c) + ax * px(im, ix + 1, iy + 1, c));
          }
        }
      }
    }
    out.push({ input, target });
  }
  return out;
}

/** ×2 degradation: 2×2 mean, then bilinear back to the original size (the network input). */
export function degrade(hr: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => {
    const [, h, w] = hr.shape;
    const lr = tf.avgPool(hr, 2, 2, 'valid');
    return tf.image.resizeBilinear(lr, [h, w], false, true);
  });
}

/**
 * 3×3 'same' convolution with a hand-written gradient: tfjs-cpu's conv2DBackpropFilter is a naive loop (measured
 * 18.6 s vs 0.47 s for [8,64,64,24] → 24 channels), so ∂/∂W is computed as a conv2d with the batch as channels.
 */
const conv3x3 = tf.customGrad(((x: tf.Tensor4D, w: tf.Tensor4D, b: tf.Tensor1D, save: (t: tf.Tensor[]) => void) => {
  save([x, w]);
  return {
    value: tf.add(tf.conv2d(x, w, 1, 'same'), b),
    gradFunc: (dy: tf.Tensor4D, [xs, ws]: tf.Tensor[]) => {
      const x4 = xs as tf.Tensor4D;
      const dx = tf.conv2dTranspose(dy, ws as tf.Tensor4D, x4.shape, 1, 'same');
      const xt = tf.transpose(
        tf.pad(x4, [
          [0, 0],
          [1, 1],
          [1, 1],
          [0, 0],
        ]),
        [3, 1, 2, 0],
      ) as tf.Tensor4D; // [Cin, H+2, W+2, N]
      const dyt = tf.transpose(dy, [1, 2, 0, 3]) as tf.Tensor4D; // [H, W, N, Cout]
      const dw = tf.transpose(tf.conv2d(xt, dyt, 1, 'valid'), [1, 2, 0, 3]); // [3, 3, Cin, Cout]
      return [dx, dw, tf.sum(dy, [0, 1, 2])];
    },
  };
}) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (
  x: tf.Tensor4D,
  w: tf.Variable,
  b: tf.Variable,
) => tf.Tensor4D;

export interface Net {
  readonly vars: tf.Variable[];
  apply(x: tf.Tensor4D): tf.Tensor4D;
  dispose(): void;
}

/** Residual CNN: 3 → F → F → F → 3 (3×3 convs, ReLU), output = input + residual. Seeded Glorot-uniform init. */
export function buildModel(seed: number, features: number): Net {
  const r = rng(seed * 104729);
  const widths = [3, features, features, features, 3];
  const layers: { w: tf.Variable; b: tf.Variable }[] = [];
  for (let i = 0; i + 1 < widths.length; i++) {
    const [cin, cout] = [widths[i], widths[i + 1]];
    // The last layer starts near zero, so the untrained model is the bilinear baseline.
    const limit = i + 2 === widths.length ? 1e-3 : Math.sqrt(6 / (9 * cin + 9 * cout));
    const w = Float32Array.from({ length: 9 * cin * cout }, () => (2 * r() - 1) * limit);
    layers.push({ w: tf.variable(tf.tensor4d(w, [3, 3, cin, cout])), b: tf.variable(tf.zeros([cout])) });
  }
  return {
    vars: layers.flatMap((l) => [l.w, l.b]),
    apply: (x) =>
      tf.tidy(() => {
        let h = x;
        layers.forEach((l, i) => {
          h = conv3x3(h, l.w, l.b);
          if (i + 1 < layers.length) h = tf.relu(h);
        });
        return tf.add(x, h) as tf.Tensor4D;
      }),
    dispose: () => layers.forEach((l) => (l.w.dispose(), l.b.dispose())),
  };
}

export const l1 = (target: tf.Tensor4D) => (y: tf.Tensor4D) => tf.mean(tf.abs(tf.sub(y, target))) as tf.Scalar;

export function toTensor(im: RGBImage): tf.Tensor4D {
  return tf.tidy(
    () => tf.div(tf.tensor4d(Float32Array.from(im.data), [1, im.height, im.width, 3]), 255) as tf.Tensor4D,
  );
}

export function toImage(t: tf.Tensor4D): RGBImage {
  const [, h, w] = t.shape;
  const d = tf.tidy(() => tf.round(tf.mul(tf.clipByValue(t, 0, 1), 255))).dataSync();
  return { data: Uint8Array.from(d), width: w, height: h };
}

/** Even-sized view of an image (the ×2 degradation needs even sides). */
export function evenCrop(im: RGBImage): RGBImage {
  const w = im.width & ~1;
  const h = im.height & ~1;
  if (w === im.width && h === im.height) return im;
  const d = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) d.set(im.data.subarray(y * im.width * 3, (y * im.width + w) * 3), y * w * 3);
  return { data: d, width: w, height: h };
}

export const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
