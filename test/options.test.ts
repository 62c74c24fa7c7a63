/**
 * Issue 10, point 3: options are validated once, at each public entry, by one validator (src/validate.ts). Every
 * entry rejects a bad option the same way: a UsageError with code INVALID_OPTION, the structured fields `option`,
 * `expected` and `actual`, and the sharp-style message "Expected <what> for <option> but received <value>".
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  createDeepSSIM,
  createDeepSSIMWith,
  createLoss,
  createLossWith,
  MAX_THREADS,
  nodePlatform,
  SALIENCY_MODES,
  saliencyToMask,
  scorePairs,
  scorePairsCore,
  tileMinimum,
  UsageError,
  VARIANTS,
  type DeepSSIM,
  type DeepSSIMLoss,
  type Platform,
  type RawImage,
} from '../src/index.js';
import { checkOneOf, describeValue, invalidOption } from '../src/validate.js';
import { syntheticVgg16Weights } from '../tools/synthetic-weights/generator.js';

/** Assert an INVALID_OPTION UsageError about `option` in the "Expected … for … but received …" form. */
function invalid(option: string, received?: RegExp) {
  return (e: unknown): boolean => {
    assert.ok(e instanceof UsageError, `expected a UsageError, got ${String(e)}`);
    assert.equal(e.code, 'INVALID_OPTION');
    assert.equal(e.details.option, option);
    assert.equal(typeof e.details.expected, 'string');
    assert.ok('actual' in e.details);
    const escaped = option.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    assert.match(e.message, new RegExp(`^Expected .+ for ${escaped} but received .+$`));
    if (received) assert.match(e.message, received);
    return true;
  };
}

/** A platform that fails the test if the core gets as far as using it: validation must come first. */
const untouchable: Platform = new Proxy({} as Platform, {
  get(_t, key) {
    if (key === 'then') return undefined;
    throw new Error(`the platform was used (${String(key)}) before the options were checked`);
  },
});

const image: RawImage = { data: new Uint8Array(32 * 32 * 3).fill(128), width: 32, height: 32, channels: 3 };

describe('the validator', () => {
  test('describes received values safely and briefly', () => {
    assert.equal(describeValue(300), '300 of type number');
    assert.equal(describeValue('x\ny'), '"x\\u000ay" of type string');
    assert.equal(describeValue(null), 'null');
    assert.equal(describeValue([1, 2]), 'an array of length 2');
    assert.equal(describeValue(new Map()), 'an instance of Map');
    const long = describeValue('a'.repeat(500));
    assert.ok(long.length < 80, long);
  });
  test('builds one message form and the structured fields', () => {
    const e = invalidOption('threads', 'an integer between 1 and 256', 300);
    assert.equal(e.message, 'Expected an integer between 1 and 256 for threads but received 300 of type number');
    assert.deepEqual(
      { option: e.details.option, expected: e.details.expected, actual: e.details.actual },
      { option: 'threads', expected: 'an integer between 1 and 256', actual: 300 },
    );
    assert.throws(() => checkOneOf('variant', 'medium', VARIANTS), invalid('variant', /'full', 'lite'/));
  });
  test('the shared constants are what the entries enforce', () => {
    assert.equal(MAX_THREADS, 256);
    assert.deepEqual([...SALIENCY_MODES], ['none', 'gbvs']);
    assert.ok(VARIANTS.includes('full') && VARIANTS.includes('lite'));
    assert.equal(tileMinimum('vgg16'), 16);
    assert.equal(tileMinimum('mobilenet_v1_0.75'), 16); // the feature layer's total stride
  });
});

describe('createDeepSSIM / createDeepSSIMWith reject bad options before any work', () => {
  const cases: [string, Record<string, unknown>, RegExp?][] = [
    ['variant', { variant: 'medium' }, /received "medium" of type string$/],
    ['threads', { threads: MAX_THREADS + 1 }, /between 1 and 256 .*received 257/],
    ['threads', { threads: 1.5 }],
    ['saliency', { saliency: 'itti' }, /'none', 'gbvs'/],
    ['saliencyThreshold', { saliencyThreshold: 1 }, /\[0, 1\)/],
    ['backbone', { backbone: 7 }],
    ['weights', { weights: 42 }],
    ['download', { download: 'no' }],
    ['log', { log: 'console' }],
    ['onProgress', { onProgress: {} }],
  ];
  for (const [option, bad, received] of cases) {
    test(`${option}: ${JSON.stringify(bad)}`, async () => {
      await assert.rejects(createDeepSSIM(bad as never), invalid(option, received));
      await assert.rejects(createDeepSSIMWith(untouchable, bad as never), invalid(option, received));
    });
  }
  test('options itself must be an object', async () => {
    await assert.rejects(createDeepSSIM('fast' as never), invalid('options'));
    await assert.rejects(createDeepSSIMWith(untouchable, [] as never), invalid('options'));
  });
  test("tile below the backbone's stride", async () => {
    await assert.rejects(
      createDeepSSIM({ tile: tileMinimum('vgg16') - 1, weights: syntheticVgg16Weights(), threads: 1 }),
      invalid('tile', /at least 16 .*received 15 of type number/),
    );
  });
});

describe('createLoss / createLossWith reject bad options before any work', () => {
  const cases: [string, Record<string, unknown>][] = [
    ['variant', { variant: 'full-normalized' }],
    ['threads', { threads: 0 }],
    ['backbone', { backbone: '' }],
    ['weights', { weights: 3 }],
    ['download', { download: 1 }],
    ['log', { log: true }],
  ];
  for (const [option, bad] of cases) {
    test(`${option}: ${JSON.stringify(bad)}`, async () => {
      await assert.rejects(createLoss(bad as never), invalid(option));
      await assert.rejects(createLossWith(untouchable, bad as never), invalid(option));
    });
  }
  test('options itself must be an object', async () => {
    await assert.rejects(createLoss(null as never), invalid('options', /received null$/));
  });
});

describe('per-call options of a metric, a loss and a batch', () => {
  let metric: DeepSSIM;
  let loss: DeepSSIMLoss;
  before(async () => {
    const weights = syntheticVgg16Weights();
    metric = await createDeepSSIM({ weights, threads: 1 });
    loss = await createLoss({ weights, threads: 1 });
  });
  after(async () => {
    await metric?.dispose();
    await loss?.dispose();
  });

  test('score', async () => {
    await assert.rejects(metric.score(image, image, 'x' as never), invalid('options'));
    await assert.rejects(metric.score(image, image, { saliencyMaps: [image] as never }), invalid('saliencyMaps'));
  });
  test('prepare and compare', async () => {
    await assert.rejects(metric.prepare(image, 5 as never), invalid('options'));
    const p = await metric.prepare(image);
    assert.throws(() => metric.compare(p, p, 'medium' as never), invalid('variant'));
    assert.throws(() => metric.compare(p, {} as never), invalid('test', /received an object$/));
  });
  test('map', async () => {
    await assert.rejects(metric.map(image, image, [] as never), invalid('options'));
  });
  test('valueAndGrad', async () => {
    const batch = { data: new Float32Array(3 * 32 * 32), shape: [1, 3, 32, 32] as const };
    await assert.rejects(loss.valueAndGrad(batch, batch, { wrtReference: 'yes' as never }), invalid('wrtReference'));
    await assert.rejects(loss.valueAndGrad({} as never, batch), invalid('test'));
  });
  test('scorePairs and scorePairsCore', async () => {
    assert.throws(() => scorePairs(metric, 'pairs.csv' as never), invalid('pairs'));
    assert.throws(() => scorePairs({} as never, []), invalid('metric'));
    assert.throws(() => scorePairs(metric, [], { referenceCacheSize: 0 }), invalid('referenceCacheSize'));
    assert.throws(() => scorePairs(metric, [], { baseDir: 3 as never }), invalid('baseDir'));
    await assert.rejects(
      scorePairsCore(metric, [], { resolveLocation: 'x' as never }).next(),
      invalid('resolveLocation'),
    );
  });
  test('saliencyToMask', () => {
    assert.throws(() => saliencyToMask({ data: new Float32Array(4), width: 2, height: 2 }, 1), invalid('threshold'));
  });
});

test('the Node platform is what createDeepSSIM uses (same validation, same messages)', async () => {
  const a = await createDeepSSIM({ threads: 0 }).catch((e: unknown) => e);
  const b = await createDeepSSIMWith(nodePlatform, { threads: 0 }).catch((e: unknown) => e);
  assert.ok(a instanceof UsageError && b instanceof UsageError);
  assert.equal(a.message, b.message);
});
