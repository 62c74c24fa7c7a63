/**
 * Issue 7 with the genuine MobileNet v1 α = 0.75 weights (../shared): the loss graph's forward agrees with the
 * metric (loss = 1 − score, same backbone graph semantics incl. TF 'same' pads on an odd size) and its gradient
 * agrees with central differences along a random ascent direction. Skips without ../shared.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { createDeepSSIM } from '../src/index.js';
import type { RawImage } from '../src/image/types.js';
import { createLoss } from '../src/index.js';
import { SHARED, SHARED_SKIP } from './support/paths.js';

const WEIGHTS = join(SHARED, 'weights', 'mobilenet_v1_0.75_224', 'model.json');
const [H, W] = [97, 131];

/** A smooth pattern with a little noise, quantised to 8 bits so the metric (8-bit input) sees the same pixels. */
function image(seed: number): { raw: RawImage; nchw: Float32Array } {
  let s = seed;
  const data = new Uint8Array(H * W * 3);
  const nchw = new Float32Array(3 * H * W);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      for (let c = 0; c < 3; c++) {
        s = (Math.imul(s, 1103515245) + 12345) >>> 0;
        const v = 0.5 + 0.3 * Math.sin(x * 0.11 + c + seed) * Math.cos(y * 0.07 - seed) + 0.1 * (s / 2 ** 32);
        const q = Math.round(Math.min(1, Math.max(0, v)) * 255);
        data[(y * W + x) * 3 + c] = q;
        nchw[(c * H + y) * W + x] = q / 255;
      }
    }
  }
  return { raw: { data, width: W, height: H, channels: 3 }, nchw };
}

for (const variant of ['lite', 'full'] as const) {
  test(
    `mobilenet_v1_0.75 ${variant}: loss = 1 − metric score; gradient vs central differences`,
    { skip: SHARED_SKIP },
    async () => {
      const loss = await createLoss({ variant, backbone: 'mobilenet_v1_0.75', weights: WEIGHTS, threads: 2 });
      const metric = await createDeepSSIM({
        variant,
        backbone: 'mobilenet_v1_0.75',
        weights: WEIGHTS,
        threads: 2,
        tile: false,
      });
      try {
        const t = image(1);
        const r = image(2);
        const shape = [1, 3, H, W] as const;
        const ref = { data: r.nchw, shape };
        const res = await loss.valueAndGrad({ data: t.nchw, shape }, ref);
        const score = await metric.score(r.raw, t.raw);
        assert.ok(Math.abs(res.value64[0] - (1 - score)) < 1e-6, `loss ${res.value64[0]} vs 1 − score ${1 - score}`);
        assert.ok(res.grad.every(Number.isFinite));
        // Random ascent direction; h = 1e-4 (ReLU6 saturations make larger steps curve, measured: 9 % at 1e-3, < 1 % at 1e-4).
        let seed = 3;
        const rand = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
        const dir = Float32Array.from(res.grad, (g) => Math.sign(g) * rand());
        const analytic = res.grad.reduce((s, g, i) => s + g * dir[i], 0);
        const h = 1e-4;
        const at = async (sign: number) =>
          (await loss.valueAndGrad({ data: Float32Array.from(t.nchw, (v, i) => v + sign * h * dir[i]), shape }, ref))
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
    },
  );
}
