import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RGBImage } from '../src/image/types.js';
import {
  TRANSFORMS,
  anisotropicScale,
  createRng,
  cropCentre,
  downscale,
  elastic,
  gaussianBlur,
  gaussianNoise,
  jpeg,
  maxInscribedRect,
  perspective,
  perspectivePair,
  rotate,
  rotatePair,
  scale,
  shiftCrop,
  subpixelShift,
  translate,
} from '../src/eval/transforms.js';
import { UsageError } from '../src/errors.js';

function make(w: number, h: number, f: (x: number, y: number, c: number) => number): RGBImage {
  const data = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) for (let c = 0; c < 3; c++) data[(y * w + x) * 3 + c] = f(x, y, c);
  return { data, width: w, height: h };
}
const px = (img: RGBImage, x: number, y: number, c = 0): number => img.data[(y * img.width + x) * 3 + c];
const constant = (w: number, h: number, v: number): RGBImage => make(w, h, () => v);
/** Pixel coordinates encoded in the channels: R = x, G = y, B = hash. */
const coords = (w: number, h: number): RGBImage =>
  make(w, h, (x, y, c) => (c === 0 ? x : c === 1 ? y : (x * 7 + y * 13) % 256));
function smooth(w: number, h: number): RGBImage {
  return make(w, h, (x, y, c) => Math.round(128 + 60 * Math.sin(x / 5 + c) * Math.cos(y / 7 - c)));
}
function random(w: number, h: number, seed: number): RGBImage {
  const rng = createRng(seed);
  return make(w, h, () => Math.floor(rng.uniform() * 256));
}
function meanAbsDiff(a: RGBImage, b: RGBImage): number {
  assert.equal(a.data.length, b.data.length);
  let s = 0;
  for (let i = 0; i < a.data.length; i++) s += Math.abs(a.data[i] - b.data[i]);
  return s / a.data.length;
}
function mean(img: RGBImage): number {
  let s = 0;
  for (const v of img.data) s += v;
  return s / img.data.length;
}

test('translate / shiftCrop move a known pattern by exactly k px', () => {
  const img = coords(20, 10);
  const { reference, test: t } = shiftCrop(img);
  assert.equal(reference.width, 18);
  assert.equal(t.width, 18);
  assert.equal(t.height, 10);
  for (let y = 0; y < 10; y++) {
    for (let x = 0; x < 18; x++) {
      assert.equal(px(reference, x, y), x); // reference window x ∈ [0, W−2)
      assert.equal(px(t, x, y), x + 2); // test window x ∈ [2, W)
      assert.equal(px(t, x, y, 1), y);
    }
  }
  const p = translate(img, -3, 4);
  assert.deepEqual([p.test.width, p.test.height], [17, 6]);
  assert.equal(px(p.reference, 5, 0), 8);
  assert.equal(px(p.test, 5, 0), 5);
  assert.equal(px(p.reference, 5, 0, 1), 0);
  assert.equal(px(p.test, 5, 0, 1), 4);
  const id = translate(img, 0, 0);
  assert.deepEqual(id.test.data, img.data);
  assert.throws(() => translate(img, 20, 0), UsageError);
  assert.throws(() => translate(img, 1.5, 0), UsageError);
});

test('subpixelShift: identity at 0, exact on a linear ramp, integer offsets are pure shifts', () => {
  const ramp = make(40, 12, (x, y, c) => (c === 0 ? 4 * x + 10 : c === 1 ? 3 * y + 20 : 100));
  const zero = subpixelShift(ramp, 0, 0);
  assert.deepEqual(zero.test.data, ramp.data);
  assert.deepEqual(zero.reference.data, ramp.data);
  const half = subpixelShift(ramp, 0.5, 0);
  assert.equal(half.test.width, 40 - 2 * 3);
  assert.equal(half.reference.width, half.test.width);
  // bicubic (a = −0.5) reproduces linear functions: red rises by 4·0.5 = 2 everywhere
  for (let y = 0; y < half.test.height; y++) {
    for (let x = 0; x < half.test.width; x++) {
      assert.equal(px(half.test, x, y) - px(half.reference, x, y), 2);
      assert.equal(px(half.test, x, y, 1), px(half.reference, x, y, 1));
    }
  }
  const one = subpixelShift(coords(30, 9), 1, 0);
  assert.equal(one.test.width, 28);
  assert.equal(px(one.test, 0, 0), 2);
  assert.equal(px(one.reference, 0, 0), 1);
});

test('rotate: identity at 0°, 90° on a square equals transpose+flip, 180° flips both axes', () => {
  const sq = random(15, 15, 3);
  assert.deepEqual(rotate(sq, 0).data, sq.data);
  const r90 = rotate(sq, 90);
  assert.deepEqual([r90.width, r90.height], [15, 15]);
  for (let y = 0; y < 15; y++)
    for (let x = 0; x < 15; x++)
      for (let c = 0; c < 3; c++) {
        // counter-clockwise as displayed: new(x, y) = old(W−1−y, x)
        assert.equal(px(r90, x, y, c), px(sq, 14 - y, x, c));
      }
  const rect = random(12, 7, 4);
  const r180 = rotate(rect, 180);
  assert.deepEqual([r180.width, r180.height], [12, 7]);
  for (let y = 0; y < 7; y++) for (let x = 0; x < 12; x++) assert.equal(px(r180, x, y, 1), px(rect, 11 - x, 6 - y, 1));
  const r90rect = rotate(
    make(12, 8, () => 9),
    90,
  );
  assert.deepEqual([r90rect.width, r90rect.height], [8, 8]); // H×H square remains valid on the 12×8 canvas
});

test('rotate: small angles crop to a valid centred rectangle (no black wedges), pair stays aligned', () => {
  const flat = constant(64, 48, 200);
  for (const deg of [0.5, 2, 4, 30, -10]) {
    const r = rotate(flat, deg);
    assert.ok(r.width < 64 && r.height <= 48, `size ${r.width}x${r.height} at ${deg}°`);
    assert.equal((64 - r.width) % 2, 0);
    assert.equal((48 - r.height) % 2, 0);
    assert.ok(
      r.data.every((v) => v === 200),
      `undefined pixels at ${deg}°`,
    );
  }
  // expected size from the closed form: 4° on 63×47 extents
  const [ew, eh] = maxInscribedRect(63, 47, (4 * Math.PI) / 180);
  const r4 = rotate(flat, 4);
  assert.ok(Math.abs(r4.width - (ew + 1)) <= 2 && Math.abs(r4.height - (eh + 1)) <= 2, `${r4.width}x${r4.height}`);
  // 45° on a square: inscribed side = s/√2
  const [s45] = maxInscribedRect(100, 100, Math.PI / 4);
  assert.ok(Math.abs(s45 - 100 / Math.SQRT2) < 1e-9);
  // a radially symmetric blob is (almost) unchanged by rotation about the centre
  const blob = make(41, 41, (x, y) => Math.round(50 + 150 * Math.exp(-((x - 20) ** 2 + (y - 20) ** 2) / 120)));
  const pair = rotatePair(blob, 3);
  assert.deepEqual([pair.reference.width, pair.reference.height], [pair.test.width, pair.test.height]);
  assert.ok(meanAbsDiff(pair.reference, pair.test) < 0.6, `blob diff ${meanAbsDiff(pair.reference, pair.test)}`);
  // …but a non-symmetric image is changed
  const sm = smooth(41, 41);
  const p2 = rotatePair(sm, 3);
  assert.ok(meanAbsDiff(p2.reference, p2.test) > 2);
});

test('scale / anisotropicScale / downscale / cropCentre: sizes, identity, constants preserved', () => {
  const img = smooth(50, 30);
  assert.deepEqual(scale(img, 1).data, img.data);
  const s = scale(img, 0.8);
  assert.deepEqual([s.width, s.height], [40, 24]);
  assert.ok(Math.abs(mean(s) - mean(img)) < 1.5);
  const up = scale(img, 1.1);
  assert.deepEqual([up.width, up.height], [55, 33]);
  const a = anisotropicScale(img, 1, 0.9);
  assert.deepEqual([a.width, a.height], [50, 27]);
  assert.ok(scale(constant(20, 20, 77), 0.55).data.every((v) => v === 77));
  const d1 = downscale(img, 0.5);
  const d2 = downscale(img, 2);
  assert.deepEqual([d1.width, d1.height], [25, 15]);
  assert.deepEqual(d1.data, d2.data);
  assert.ok(downscale(constant(16, 16, 130), 0.25).data.every((v) => v === 130));
  // antialiasing: a 1-px checkerboard averages to mid-grey instead of aliasing to black/white
  const checker = make(32, 32, (x, y) => ((x + y) % 2 ? 255 : 0));
  const dc = downscale(checker, 0.5);
  assert.ok(
    dc.data.every((v) => Math.abs(v - 127.5) < 6),
    'checkerboard downscale aliases',
  );
  const c = cropCentre(coords(20, 10), 0.9);
  assert.deepEqual([c.width, c.height], [18, 9]);
  assert.equal(px(c, 0, 0), 1);
  assert.equal(px(c, 0, 0, 1), 0);
  assert.deepEqual(cropCentre(img, 1).data, img.data);
  assert.throws(() => scale(img, 0), UsageError);
});

test('perspective: identity at 0, seeded determinism, valid crop without black borders', () => {
  const img = smooth(64, 48);
  const zero = perspectivePair(img, 0, 1);
  assert.deepEqual(zero.test.data, img.data);
  const a = perspective(img, 0.04, 7);
  const b = perspective(img, 0.04, 7);
  const c = perspective(img, 0.04, 8);
  assert.deepEqual(a.data, b.data);
  assert.ok(a.width !== c.width || a.height !== c.height || meanAbsDiff(a, c) > 0.5, 'seed has no effect');
  assert.ok(a.width < 64 && a.height < 48 && a.width > 40);
  const pair = perspectivePair(constant(64, 48, 150), 0.04, 7);
  assert.deepEqual([pair.test.width, pair.test.height], [a.width, a.height]);
  assert.deepEqual([pair.reference.width, pair.reference.height], [a.width, a.height]);
  assert.ok(pair.test.data.every((v) => v === 150));
  const mild = perspectivePair(img, 0.01, 7);
  const strong = perspectivePair(img, 0.04, 7);
  assert.ok(meanAbsDiff(mild.reference, mild.test) < meanAbsDiff(strong.reference, strong.test));
});

test('elastic: identity at alpha 0, seeded, RMS displacement ≈ alpha on a ramp', () => {
  const ramp = make(120, 120, (x, y, c) => (c === 0 ? 2 * x : c === 1 ? 2 * y : 90));
  assert.deepEqual(elastic(ramp, 0, 1).data, ramp.data);
  const a = elastic(ramp, 2, 5);
  assert.deepEqual(elastic(ramp, 2, 5).data, a.data);
  assert.notDeepEqual(elastic(ramp, 2, 6).data, a.data);
  assert.deepEqual([a.width, a.height], [120, 120]);
  // away from the (reflected) border, dR = 2·ux and dG = 2·uy
  let sq = 0;
  let n = 0;
  for (let y = 10; y < 110; y++)
    for (let x = 10; x < 110; x++) {
      const dx = (px(a, x, y, 0) - px(ramp, x, y, 0)) / 2;
      const dy = (px(a, x, y, 1) - px(ramp, x, y, 1)) / 2;
      sq += dx * dx + dy * dy;
      n++;
    }
  const rms = Math.sqrt(sq / n);
  assert.ok(Math.abs(rms - 2) < 0.25, `rms displacement ${rms}`);
  assert.ok(elastic(constant(30, 30, 60), 4, 1).data.every((v) => v === 60));
});

test('gaussianBlur: constant preserved, identity at 0, mean preserved, smoothing reduces variation', () => {
  assert.ok(gaussianBlur(constant(17, 11, 123), 2).data.every((v) => v === 123));
  const img = random(40, 30, 9);
  assert.deepEqual(gaussianBlur(img, 0).data, img.data);
  const b = gaussianBlur(img, 2);
  assert.deepEqual([b.width, b.height], [40, 30]);
  assert.ok(Math.abs(mean(b) - mean(img)) < 1.5, `mean ${mean(b)} vs ${mean(img)}`);
  const tv = (im: RGBImage): number => {
    let s = 0;
    for (let i = 3; i < im.data.length; i++) s += Math.abs(im.data[i] - im.data[i - 3]);
    return s;
  };
  assert.ok(tv(b) < 0.25 * tv(img));
  // an impulse in the interior spreads but keeps its mass (radius ceil(3σ) = 3 for σ = 1)
  const imp = make(21, 21, (x, y) => (x === 10 && y === 10 ? 255 : 0));
  const bi = gaussianBlur(imp, 1);
  let mass = 0;
  for (let y = 0; y < 21; y++) for (let x = 0; x < 21; x++) mass += px(bi, x, y);
  assert.ok(Math.abs(mass - 255) < 10, `mass ${mass}`);
  assert.equal(px(bi, 14, 10), 0); // outside the 3-px radius
  assert.ok(px(bi, 13, 10) === 0 || px(bi, 13, 10) === 1);
  assert.ok(px(bi, 10, 10) > 30 && px(bi, 10, 10) < 50, `centre ${px(bi, 10, 10)}`); // 255/(2π) ≈ 40.6
});

test('gaussianNoise: seeded, zero mean, std ≈ σ, clipped', () => {
  const grey = constant(100, 100, 128);
  const a = gaussianNoise(grey, 10, 42);
  assert.deepEqual(gaussianNoise(grey, 10, 42).data, a.data);
  assert.notDeepEqual(gaussianNoise(grey, 10, 43).data, a.data);
  let s = 0;
  let s2 = 0;
  for (const v of a.data) {
    s += v - 128;
    s2 += (v - 128) ** 2;
  }
  const n = a.data.length;
  const m = s / n;
  const sd = Math.sqrt(s2 / n - m * m);
  assert.ok(Math.abs(m) < 0.3, `mean ${m}`);
  assert.ok(Math.abs(sd - 10) < 0.3, `std ${sd}`);
  const black = gaussianNoise(constant(50, 50, 0), 20, 1);
  assert.ok(black.data.some((v) => v > 0));
  assert.ok(Math.abs(mean(black) - 20 / Math.sqrt(2 * Math.PI)) < 0.6, `clipped mean ${mean(black)}`); // E[max(0, X)]
  assert.deepEqual(gaussianNoise(grey, 0, 1).data, grey.data);
});

test('jpeg: keeps size, changes pixels, error grows as quality drops', async () => {
  const img = smooth(48, 32);
  const hi = await jpeg(img, 90);
  const lo = await jpeg(img, 10);
  assert.deepEqual([lo.width, lo.height, lo.data.length], [48, 32, 48 * 32 * 3]);
  assert.ok(meanAbsDiff(img, lo) > 0.5);
  assert.ok(meanAbsDiff(img, lo) > meanAbsDiff(img, hi));
  assert.deepEqual((await jpeg(img, 10)).data, lo.data);
  await assert.rejects(jpeg(img, 0), UsageError);
});

test('catalogue: graded entries, valid pairs, deterministic, identities where defined', async () => {
  const img = smooth(64, 48);
  const names = Object.keys(TRANSFORMS);
  assert.ok(names.length >= 11);
  const pairAligned = new Set(['shift', 'subpixel-shift', 'rotation', 'perspective']);
  for (const name of names) {
    const spec = TRANSFORMS[name];
    assert.ok(spec.magnitudes.length >= 3, name);
    assert.ok(spec.kind === 'geometric' || spec.kind === 'photometric');
    let prevDiff = -1;
    for (const m of spec.magnitudes) {
      const p = await spec.apply(img, m, 11);
      const q = await spec.apply(img, m, 11);
      for (const im of [p.reference, p.test]) assert.equal(im.data.length, im.width * im.height * 3, name);
      assert.deepEqual(p.test.data, q.test.data, `${name} not deterministic`);
      if (spec.kind === 'photometric' || pairAligned.has(name) || name === 'elastic') {
        assert.deepEqual([p.test.width, p.test.height], [p.reference.width, p.reference.height], name);
        const d = meanAbsDiff(p.reference, p.test);
        assert.ok(d > 0, `${name} ${m} changes nothing`);
        // photometric magnitudes are graded: the error grows monotonically
        if (spec.kind === 'photometric') assert.ok(d > prevDiff, `${name} not graded at ${m}`);
        prevDiff = d;
      } else {
        assert.ok(p.test.width !== img.width || p.test.height !== img.height, `${name} keeps size`);
        assert.equal(p.reference, img);
      }
    }
  }
  for (const [name, identity] of [
    ['shift', 0],
    ['subpixel-shift', 0],
    ['rotation', 0],
    ['perspective', 0],
    ['elastic', 0],
    ['scale', 1],
    ['aniso-scale', 1],
    ['crop', 1],
    ['blur', 0],
    ['noise', 0],
  ] as const) {
    const p = await TRANSFORMS[name].apply(img, identity, 3);
    assert.deepEqual(p.test.data, img.data, `${name} at ${identity} is not the identity`);
  }
});
