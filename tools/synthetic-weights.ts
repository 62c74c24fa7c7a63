/**
 * Synthetic VGG16 weights in the three supported formats, for tests and benchmarks without the real 528 MB file.
 *   npx tsx tools/synthetic-weights.ts --out <dir> [--seed 20251]
 * writes vgg16-synthetic.safetensors, vgg16-synthetic-legacy.pth and vgg16-synthetic-zip.pth.
 */
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { writeSafetensors } from '../src/node/read-weights-file.js';
import { DEFAULT_SYNTHETIC_SEED, syntheticVgg16Weights } from './synthetic-weights/generator.js';
import { writeLegacyPth, writeZipPth } from './synthetic-weights/pth-writer.js';

export { DEFAULT_SYNTHETIC_SEED, mix32, syntheticVgg16Weights } from './synthetic-weights/generator.js';
export { writeLegacyPth, writeZipPth } from './synthetic-weights/pth-writer.js';

export interface SyntheticFiles {
  readonly safetensors: string;
  readonly legacy: string;
  readonly zip: string;
}

/** Write the synthetic weights for `seed` into `dir` in all three formats. */
export async function writeSyntheticWeights(
  dir: string,
  seed: number = DEFAULT_SYNTHETIC_SEED,
): Promise<SyntheticFiles> {
  await mkdir(dir, { recursive: true });
  const tensors = syntheticVgg16Weights(seed);
  const files: SyntheticFiles = {
    safetensors: join(dir, 'vgg16-synthetic.safetensors'),
    legacy: join(dir, 'vgg16-synthetic-legacy.pth'),
    zip: join(dir, 'vgg16-synthetic-zip.pth'),
  };
  await writeSafetensors(files.safetensors, tensors, { backbone: 'vgg16', synthetic: 'true', seed: String(seed) });
  await writeLegacyPth(files.legacy, tensors);
  await writeZipPth(files.zip, tensors, 'vgg16-synthetic-zip');
  return files;
}

async function main(argv: string[]): Promise<void> {
  let out: string | undefined;
  let seed = DEFAULT_SYNTHETIC_SEED;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--out') out = argv[++i];
    else if (argv[i] === '--seed') seed = Number(argv[++i]);
    else throw new Error(`unknown argument ${argv[i]}`);
  }
  if (!out || !Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    console.error('usage: npx tsx tools/synthetic-weights.ts --out <dir> [--seed <uint32>]');
    process.exit(2);
  }
  const t0 = performance.now();
  const files = await writeSyntheticWeights(resolve(out), seed);
  console.log(`wrote ${Object.values(files).join(', ')} in ${((performance.now() - t0) / 1000).toFixed(2)} s`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main(process.argv.slice(2)).catch((e) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
}
