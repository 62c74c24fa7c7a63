/**
 * Issue 7, acceptance 1: the loss's hand-derived gradient (one ONNX graph) against PyTorch float64 autograd of the
 * reference computation (tools/reference/loss_reference.py → test/fixtures/loss), central finite differences,
 * finiteness on degenerate images, batching and the reference-Gram cache. Synthetic VGG16 weights.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { ImageError, UsageError } from '../src/errors.js';
import { createLoss, type DeepSSIMLoss, type ImageBatch } from '../src/index.js';
import { syntheticVgg16Weights } from '../tools/synthetic-weights/generator.js';
import { fixture } from './support/paths.js';

const TOL_AUTOGRAD = 1e-4;

interface Case {
  name: string;
  shape: [number, number, number, number];
  test: string;
  reference: string;
  variants: Record<'lite' | 'full', { loss: number[]; grad: string; gradReference?: string }>;
}
const meta = JSON.parse(readFileSync(fixture('loss', 'cases.json'), 'utf8')) as { cases: Case[] };
const f32 = (name: string): Float32Array => {
  const b = readFileSync(fixture('loss', name));
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
};
const batchOf = (c: Case, which: 'test' | 'reference'): ImageBatch => ({ data: f32(c[which]), shape: c.shape });

function relL2(got: ArrayLike<number>, want: ArrayLike<number>): number {
  assert.equal(got.length, want.length);
  let num = 0;
  let den = 0;
  for (let i = 0; i < want.length; i++) {
    num += (got[i] - want[i]) ** 2;
    den += want[i] ** 2;
  }
  return Math.sqrt(num / den);
}

/** One image n of a batch as its own batch. */
function slice(b: ImageBatch, n: number): ImageBatch {
  const [, c, h, w] = b.shape;
  const size = c * h * w;
  return { data: b.data.slice(n * size, (n + 1) * size), shape: [1, c, h, w] };
}

const losses: Partial<Record<'lite' | 'full', DeepSSIMLoss>> = {};
before(async () => {
  const weights = syntheticVgg16Weights();
  losses.lite = await createLoss({ variant: 'lite', weights, threads: 2 });
  losses.full = await createLoss({ variant: 'full', weights, threads: 2 });
});
after(async () => {
  await losses.lite?.dispose();
  await losses.full?.dispose();
});

test('fixtures cover both variants at two sizes, one odd, with a batch of 2', () => {
  assert.ok(meta.cases.some((c) => c.shape[0] === 2));
  assert.ok(meta.cases.some((c) => c.shape[2] % 2 === 1 && c.shape[3] % 2 === 1));
  for (const c of meta.cases) assert.deepEqual(Object.keys(c.variants).sort(), ['full', 'lite']);
});

for (const variant of ['lite', 'full'] as const) {
  describe(`${variant}: gradient vs PyTorch float64 autograd (relative L2 ≤ ${TOL_AUTOGRAD})`, () => {
    for (const c of meta.cases) {
      test(`${c.name}: ∂/∂test and loss`, async () => {
        const r = await losses[variant]!.valueAndGrad(batchOf(c, 'test'), batchOf(c, 'reference'));
        const e = relL2(r.grad, f32(c.variants[variant].grad));
        assert.ok(e <= TOL_AUTOGRAD, `relative L2 error ${e.toExponential(3)}`);
        c.variants[variant].loss.forEach((want, i) =>
          assert.ok(Math.abs(r.value64[i] - want) < 1e-6, `loss ${r.value64[i]} vs ${want}`),
        );
        assert.equal(r.value.length, c.shape[0]);
      });
      if (c.variants[variant].gradReference) {
        test(`${c.name}: ∂/∂reference (wrtReference) and the same ∂/∂test`, async () => {
          const r = await losses[variant]!.valueAndGrad(batchOf(c, 'test'), batchOf(c, 'reference'), {
            wrtReference: true,
          });
          const eRef = relL2(r.gradReference!, f32(c.variants[variant].gradReference!));
          const eTest = relL2(r.grad, f32(c.variants[variant].grad));
          assert.ok(
            eRef <= TOL_AUTOGRAD && eTest <= TOL_AUTOGRAD,
            `relative L2 errors ref ${eRef.toExponential(3)}, test ${eTest.toExponential(3)}`,
          );
        });
      }
    }
  });
}

/**
 * Central differences through the same graph (the loss is returned in float64, its features are float32).
 * Why patches and loose-ish tolerances: the float32 features make the loss noisy at ~1e-7 absolute, and ReLU /
 * max-pool kinks lie within ~1e-3 of almost any pixel, so a single-pixel difference quotient is good to ~10 % at
 * best (measured). Perturbing a 6×6×3 patch along sign(grad) with h = 1e-4 raises the signal ~100× and measures
 * ≤ 2.6 % error (max of 24 patches); a random ascent direction over all pixels ≤ 1 %. The 1e-4 agreement is the autograd
 * test above; the float64 reference itself is checked against float64 differences by `loss_reference.py fdcheck`.
 */
describe('central finite differences (float32 graph, float64 statistic)', () => {
  const c = meta.cases[1];
  const [, , H, W] = c.shape;
  for (const variant of ['lite', 'full'] as const) {
    test(`${variant}: five random pixel patches and one random direction`, async () => {
      const loss = losses[variant]!;
      const test0 = batchOf(c, 'test');
      const ref = batchOf(c, 'reference');
      const { grad } = await loss.valueAndGrad(test0, ref);
      const at = async (data: Float32Array) => (await loss.valueAndGrad({ data, shape: c.shape }, ref)).value64[0];
      let seed = 12345;
      const rand = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
      const central = async (dir: Float32Array, h: number) => {
        const p = Float32Array.from(test0.data, (v, i) => v + h * dir[i]);
        const m = Float32Array.from(test0.data, (v, i) => v - h * dir[i]);
        return ((await at(p)) - (await at(m))) / (2 * h);
      };
      const k = 6;
      for (let n = 0; n < 5; n++) {
        const y0 = Math.floor(rand() * (H - k));
        const x0 = Math.floor(rand() * (W - k));
        const dir = new Float32Array(grad.length);
        for (let ch = 0; ch < 3; ch++) {
          for (let y = y0; y < y0 + k; y++)
            for (let x = x0; x < x0 + k; x++) dir[(ch * H + y) * W + x] = Math.sign(grad[(ch * H + y) * W + x]);
        }
        const analytic = grad.reduce((s, g, i) => s + g * dir[i], 0);
        const fd = await central(dir, 1e-4);
        assert.ok(
          Math.abs(fd - analytic) <= 0.04 * Math.abs(analytic),
          `patch at (${y0},${x0}): fd ${fd.toExponential(4)} vs ⟨grad, v⟩ ${analytic.toExponential(4)}`,
        );
      }
      // A random ascent direction over all pixels: sign(grad) times uniform weights.
      const dir = Float32Array.from(grad, (g) => Math.sign(g) * rand());
      const analytic = grad.reduce((s, g, i) => s + g * dir[i], 0);
      const fd = await central(dir, 1e-4);
      assert.ok(
        Math.abs(fd - analytic) <= 0.01 * Math.abs(analytic),
        `direction: fd ${fd.toExponential(5)} vs ⟨grad, v⟩ ${analytic.toExponential(5)}`,
      );
    });
  }
});

describe('degenerate images give finite values and gradients', () => {
  const [H, W] = [40, 56];
  const shape = [1, 3, H, W] as const;
  const constant = (v: number): ImageBatch => ({ data: new Float32Array(3 * H * W).fill(v), shape });
  const textured: ImageBatch = {
    data: Float32Array.from({ length: 3 * H * W }, (_, i) => 0.5 + 0.4 * Math.sin(i * 0.37) * Math.cos(i * 0.011)),
    shape,
  };
  const cases: [string, ImageBatch, ImageBatch][] = [
    ['identical textured', textured, { ...textured }],
    ['constant vs constant (same)', constant(0.5), constant(0.5)],
    ['constant vs textured', constant(0.5), textured],
    ['textured vs constant', textured, constant(0.3)],
    ['all-zero vs all-zero', constant(0), constant(0)],
    ['all-zero vs textured', constant(0), textured],
  ];
  for (const variant of ['lite', 'full'] as const) {
    for (const [name, t, r] of cases) {
      test(`${variant}: ${name}`, async () => {
        const out = await losses[variant]!.valueAndGrad(t, r, { wrtReference: true });
        assert.ok(Number.isFinite(out.value64[0]), `loss ${out.value64[0]}`);
        assert.ok(out.grad.every(Number.isFinite) && out.gradReference!.every(Number.isFinite), 'non-finite gradient');
        if (name.startsWith('identical') || name.includes('(same)') || name === 'all-zero vs all-zero') {
          assert.ok(Math.abs(out.value64[0]) < 1e-9, `identical images: loss ${out.value64[0]}`);
        }
      });
    }
  }
});

describe('batching and the reference cache', () => {
  const c = meta.cases[0];
  for (const variant of ['lite', 'full'] as const) {
    test(`${variant}: batch of 2 equals two single runs; reference batch 1 broadcasts`, async () => {
      const loss = losses[variant]!;
      const t = batchOf(c, 'test');
      const r = batchOf(c, 'reference');
      const both = await loss.valueAndGrad(t, r);
      const size = both.grad.length / 2;
      for (let n = 0; n < 2; n++) {
        const one = await loss.valueAndGrad(slice(t, n), slice(r, n));
        assert.ok(Math.abs(one.value64[0] - both.value64[n]) < 1e-9);
        assert.ok(relL2(both.grad.subarray(n * size, (n + 1) * size), one.grad) < 1e-6);
      }
      const r0 = slice(r, 0);
      const broadcast = await loss.valueAndGrad(t, r0);
      const pair1 = await loss.valueAndGrad(slice(t, 1), r0);
      assert.ok(Math.abs(broadcast.value64[1] - pair1.value64[0]) < 1e-9);
      assert.ok(relL2(broadcast.grad.subarray(size), pair1.grad) < 1e-6);
    });
  }
  test('the reference Gram is computed once per reference object', async () => {
    const loss = losses.lite!;
    const t = batchOf(c, 'test');
    const r = batchOf(c, 'reference');
    const before0 = loss.stats.referenceGrams;
    const a = await loss.valueAndGrad(t, r);
    const b = await loss.valueAndGrad(t, r);
    assert.equal(loss.stats.referenceGrams, before0 + 1);
    assert.deepEqual(a.grad, b.grad);
    await loss.valueAndGrad(t, { data: r.data.slice(), shape: r.shape });
    assert.equal(loss.stats.referenceGrams, before0 + 2);
  });
  test('bad shapes are usage errors', async () => {
    const loss = losses.lite!;
    const t = batchOf(c, 'test');
    await assert.rejects(loss.valueAndGrad({ data: t.data, shape: [2, 3, 48, 63] }, t), UsageError);
    await assert.rejects(
      loss.valueAndGrad({ data: new Float32Array(4 * 15 * 15), shape: [1, 4, 15, 15] } as never, t),
      UsageError,
    );
    await assert.rejects(
      loss.valueAndGrad({ data: new Float32Array(3 * 15 * 15), shape: [1, 3, 15, 15] }, t),
      ImageError,
    );
    await assert.rejects(
      loss
        .valueAndGrad(t, t, { wrtReference: true })
        .then(() => loss.valueAndGrad(t, slice(t, 0), { wrtReference: true })),
      UsageError,
    );
    await assert.rejects(createLoss({ variant: 'medium' as never }), UsageError);
  });
  test('variant defaults to full, like createDeepSSIM', async () => {
    const loss = await createLoss({ weights: syntheticVgg16Weights(), threads: 2 });
    try {
      assert.equal(loss.variant, 'full');
    } finally {
      await loss.dispose();
    }
  });
});
