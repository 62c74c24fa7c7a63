/**
 * The library in a few lines. Runs as written from the repository root:
 *
 *   npx tsx examples/library.ts
 *
 * It uses the genuine MobileNet weights in ../shared when present (the project's machines); elsewhere it uses the
 * default VGG16 weights (downloaded once on first use, 528 MB, SHA-256 verified).
 */
import { existsSync } from 'node:fs';
import { createDeepSSIM, scorePairs } from 'deepssim';

const mobilenet = '../shared/weights/mobilenet_v1_0.75_224/model.json';
const options = existsSync(mobilenet) ? { backbone: 'mobilenet_v1_0.75', weights: mobilenet } : {};

const metric = await createDeepSSIM({ ...options, variant: 'full' });
try {
  // One pair: paths, encoded Buffers or raw pixels are all accepted.
  const a = 'test/fixtures/images/scene_a.png';
  console.log('identical      ', await metric.score(a, a)); // 1
  console.log('shifted by 3 px', await metric.score(a, 'test/fixtures/images/scene_a_shift3.png'));
  console.log('JPEG q=15      ', await metric.score(a, 'test/fixtures/images/scene_a_q15.jpg'));
  console.log('smaller (120×90)', await metric.score(a, 'test/fixtures/images/scene_a_small.png'));

  // One reference, many tests: the reference goes through the network once.
  const ref = await metric.prepare(a);
  for (const t of ['scene_b.png', 'scene_a_gray.png']) {
    console.log(t.padEnd(15), await metric.score(ref, `test/fixtures/images/${t}`));
  }

  // The batch path used by `deepssim batch`: errors are reported per pair, not thrown.
  for await (const r of scorePairs(metric, [
    { reference: a, test: 'test/fixtures/images/scene_a.bmp' },
    { reference: a, test: 'does-not-exist.png' },
  ])) {
    console.log(r.pair.test.padEnd(33), r.score ?? `error: ${r.error}`);
  }
} finally {
  await metric.dispose();
}
