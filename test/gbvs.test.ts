import assert from 'node:assert/strict';
import { test } from 'node:test';
import { seededRandom } from '../src/eval/statistics.js';
import { UsageError } from '../src/errors.js';
import type { RGBImage } from '../src/image/types.js';
import { DEFAULT_GBVS_PARAMS, gbvs, gbvsDetailed, quantizeSaliency, saliencyToMask } from '../src/saliency/gbvs.js';
import type { SaliencyMap } from '../src/saliency/types.js';

type RGB = [number, number, number];

function makeImage(w: number, h: number, px: (x: number, y: number) => RGB): RGBImage {
  const data = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const [r, g, b] = px(x, y);
      data.set([r, g, b], (y * w + x) * 3);
    }
  }
  return { data, width: w, height: h };
}

/** Deterministic pseudo-random generator for textures (the project's one seeded PRNG). */
const rng = seededRandom;

function argmax(m: SaliencyMap): { x: number; y: number; v: number } {
  let best = 0;
  for (let i = 1; i < m.data.length; i++) if (m.data[i] > m.data[best]) best = i;
  return { x: best % m.width, y: Math.floor(best / m.width), v: m.data[best] };
}

function assertValidMap(m: SaliencyMap, w: number, h: number): void {
  assert.equal(m.width, w);
  assert.equal(m.height, h);
  assert.equal(m.data.length, w * h);
  let max = -Infinity;
  for (const v of m.data) {
    assert.ok(Number.isFinite(v), 'finite');
    assert.ok(v >= 0 && v <= 1, `value ${v} in [0,1]`);
    if (v > max) max = v;
  }
  assert.equal(max, 1, 'max is 1');
}

const W = 256;
const H = 192;

// Red disc (radius 16) centred off-centre so a centre bias cannot explain a hit.
const DISC = { cx: 180, cy: 70, r: 16 };
const inDisc = (x: number, y: number): boolean => (x - DISC.cx) ** 2 + (y - DISC.cy) ** 2 <= DISC.r ** 2;

test('colour pop-out on a uniform background: argmax inside the red disc', () => {
  const img = makeImage(W, H, (x, y) => (inDisc(x, y) ? [220, 30, 30] : [60, 150, 60]));
  const m = gbvs(img);
  assertValidMap(m, W, H);
  const a = argmax(m);
  // Margin of 8 px: the reference's 32-node lattice and final blur blur the peak by ~a lattice cell.
  assert.ok(Math.hypot(a.x - DISC.cx, a.y - DISC.cy) <= DISC.r + 8, `argmax (${a.x},${a.y})`);
});

test('colour pop-out on a textured grey background: argmax inside the red disc', () => {
  const rand = rng(7);
  const noise = Float64Array.from({ length: W * H }, () => rand());
  const img = makeImage(W, H, (x, y) => {
    if (inDisc(x, y)) return [220, 30, 30];
    const v = 90 + Math.round(60 * noise[y * W + x]);
    return [v, v, v];
  });
  const m = gbvs(img);
  assertValidMap(m, W, H);
  const a = argmax(m);
  assert.ok(Math.hypot(a.x - DISC.cx, a.y - DISC.cy) <= DISC.r + 8, `argmax (${a.x},${a.y})`);
  // Contrast: the disc is clearly more salient than the far-away background.
  let bg = 0;
  let n = 0;
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < 96; x++) {
      bg += m.data[y * W + x];
      n++;
    }
  }
  assert.ok(bg / n < 0.5, `mean background saliency ${bg / n}`);
});

// Bars: 2 px wide, 6 px period. Patch of vertical bars among horizontal ones.
const PATCH = { x0: 40, y0: 100, x1: 88, y1: 148 };
function barsImage(textured: boolean): RGBImage {
  const rand = rng(11);
  return makeImage(W, H, (x, y) => {
    const inPatch = x >= PATCH.x0 && x < PATCH.x1 && y >= PATCH.y0 && y < PATCH.y1;
    const bar = inPatch ? x % 6 < 2 : y % 6 < 2;
    const base = textured ? 100 + Math.round(30 * rand()) : 110;
    const v = bar ? 230 : base;
    return [v, v, v];
  });
}

for (const textured of [false, true]) {
  test(`orientation pop-out (${textured ? 'noisy' : 'uniform'} background): argmax inside the vertical-bar patch`, () => {
    const m = gbvs(barsImage(textured));
    assertValidMap(m, W, H);
    const a = argmax(m);
    const margin = 8;
    assert.ok(
      a.x >= PATCH.x0 - margin && a.x < PATCH.x1 + margin && a.y >= PATCH.y0 - margin && a.y < PATCH.y1 + margin,
      `argmax (${a.x},${a.y})`,
    );
  });
}

test('deterministic: identical output on repeated calls', () => {
  const img = barsImage(true);
  const a = gbvs(img);
  const b = gbvs(img);
  assert.deepEqual(Buffer.from(a.data.buffer), Buffer.from(b.data.buffer));
});

test('mirror-symmetric input gives a mirror-symmetric map (|diff| <= 1e-7)', () => {
  // Even sizes at every pyramid level (256x192 -> … -> 16x12): the reference's subsampling kernel is only
  // mirror-symmetric for even lengths, so odd sizes are legitimately slightly asymmetric.
  const rand = rng(3);
  const q = Array.from({ length: (W / 2) * (H / 2) }, () => [rand(), rand(), rand()]);
  const img = makeImage(W, H, (x, y) => {
    const xx = x < W / 2 ? x : W - 1 - x;
    const yy = y < H / 2 ? y : H - 1 - y;
    const [r, g, b] = q[yy * (W / 2) + xx];
    const blob = (xx - 70) ** 2 + (yy - 40) ** 2 < 144;
    return blob ? [240, 40, 200] : [Math.round(80 + 40 * r), Math.round(100 + 40 * g), Math.round(90 + 40 * b)];
  });
  const m = gbvs(img);
  let lr = 0;
  let ud = 0;
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const v = m.data[y * W + x];
      lr = Math.max(lr, Math.abs(v - m.data[y * W + (W - 1 - x)]));
      ud = Math.max(ud, Math.abs(v - m.data[(H - 1 - y) * W + x]));
    }
  }
  // Observed < 1e-18; the bound (about 2 float32 ulps at 1) leaves room for rounding in sums and FFTs,
  // which differs between mirrored positions.
  assert.ok(lr <= 1e-7, `left-right asymmetry ${lr}`);
  assert.ok(ud <= 1e-7, `up-down asymmetry ${ud}`);
});

test('constant images give the defined border-attenuation profile (no NaN)', () => {
  for (const c of [0, 128, 255]) {
    const m = gbvs(makeImage(120, 80, () => [c, c, c]));
    assertValidMap(m, 120, 80);
    // Every feature map is flat -> uniform activations -> the master map is the reference's border ramp:
    // 1 in the interior, falling towards the edges; identical for any constant colour.
    assert.ok(m.data[40 * 120 + 60] > 0.99, `centre ${m.data[40 * 120 + 60]}`);
    assert.ok(m.data[0] < 0.05, `corner ${m.data[0]}`);
    const ref = gbvs(makeImage(120, 80, () => [50, 90, 200]));
    let d = 0;
    for (let i = 0; i < m.data.length; i++) d = Math.max(d, Math.abs(m.data[i] - ref.data[i]));
    assert.ok(d < 1e-6, `constant maps differ by ${d}`);
  }
});

test('odd, small and non-square sizes work', () => {
  const rand = rng(5);
  for (const [w, h] of [
    [23, 17],
    [17, 23],
    [5, 7],
    [1, 1],
    [3, 200],
    [301, 47],
  ] as const) {
    const img = makeImage(w, h, () => [Math.floor(rand() * 256), Math.floor(rand() * 256), Math.floor(rand() * 256)]);
    const m = gbvs(img);
    assert.equal(m.width, w);
    assert.equal(m.height, h);
    for (const v of m.data) assert.ok(Number.isFinite(v) && v >= 0 && v <= 1, `${w}x${h}: value ${v}`);
    if (w * h > 1) assert.equal(Math.max(...m.data), 1, `${w}x${h}: max 1`);
  }
  // Lattice follows the reference: larger side = salmapmaxsize, the other rounded proportionally.
  const r = gbvsDetailed(makeImage(23, 17, (x, y) => [x * 10, y * 10, 0]));
  assert.equal(r.master.width, 32);
  assert.equal(r.master.height, 24);
});

test('mask helper: default is "nonzero after 8-bit quantisation"; thresholds are configurable', () => {
  const half = 0.5 / 255;
  // Values are stored as float32; none sits within float32 rounding of a decision boundary.
  const values = [0, half - 1e-6, half + 1e-7, 0.002, 0.01, 0.049, 0.0501, 0.5, 1];
  const map: SaliencyMap = { data: Float32Array.from(values), width: values.length, height: 1 };
  assert.deepEqual([...quantizeSaliency(map)], [0, 0, 1, 1, 3, 12, 13, 128, 255]);
  assert.deepEqual([...saliencyToMask(map)], [0, 0, 1, 1, 1, 1, 1, 1, 1]);
  // Threshold applies to the quantised value q/255: 12/255 = 0.0471 < 0.05 < 13/255 = 0.0510.
  assert.deepEqual([...saliencyToMask(map, 0.05)], [0, 0, 0, 0, 0, 0, 1, 1, 1]);
  assert.deepEqual([...saliencyToMask(map, 0.051)], [0, 0, 0, 0, 0, 0, 0, 1, 1]);
  assert.deepEqual([...saliencyToMask(map, 0.0485, { quantize: false })], [0, 0, 0, 0, 0, 1, 1, 1, 1]);
  assert.deepEqual([...saliencyToMask(map, 0, { quantize: false })], [0, 1, 1, 1, 1, 1, 1, 1, 1]);
  assert.throws(() => saliencyToMask(map, 1), UsageError);
  assert.throws(() => saliencyToMask(map, -0.1), UsageError);
  // On a real map most pixels are 1 (mat2gray puts only the least salient corner at 0).
  const m = gbvs(barsImage(true));
  const mask = saliencyToMask(m);
  const ones = mask.reduce((s, v) => s + v, 0) / mask.length;
  assert.ok(ones > 0.8 && ones < 1, `fraction of ones ${ones}`);
});

test('defaults are the reference makeGBVSParams values; bad options are rejected', () => {
  assert.equal(DEFAULT_GBVS_PARAMS.salmapmaxsize, 32);
  assert.equal(DEFAULT_GBVS_PARAMS.channels, 'DIO');
  assert.deepEqual([...DEFAULT_GBVS_PARAMS.gaborangles], [0, 45, 90, 135]);
  assert.deepEqual([...DEFAULT_GBVS_PARAMS.levels], [2, 3, 4]);
  assert.equal(DEFAULT_GBVS_PARAMS.sigma_frac_act, 0.15);
  assert.equal(DEFAULT_GBVS_PARAMS.sigma_frac_norm, 0.06);
  assert.equal(DEFAULT_GBVS_PARAMS.tol, 1e-4);
  assert.equal(DEFAULT_GBVS_PARAMS.blurfrac, 0.02);
  const img = makeImage(40, 30, (x) => [x * 6, 0, 0]);
  assert.throws(() => gbvs(img, { channels: 'X' }), UsageError);
  assert.throws(() => gbvs(img, { levels: [10] }), UsageError);
  assert.throws(() => gbvs(img, { multilevels: [1, 2] }), UsageError);
  assert.throws(() => gbvs(img, { tol: 0 }), UsageError);
  assert.throws(() => gbvs({ data: new Uint8Array(5), width: 2, height: 2 }));
  // Non-default but supported variants run and stay in range.
  for (const opts of [
    { normalizationType: 2 as const },
    { channels: 'CIO' },
    { cyclic_type: 1 as const },
    { normalizeTopChannelMaps: 1 as const },
    { blurfrac: 0 },
  ]) {
    assertValidMap(gbvs(barsImage(false), opts), W, H);
  }
});
