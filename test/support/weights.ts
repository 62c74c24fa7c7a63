/**
 * Synthetic VGG16 weight files for tests and benchmarks, written once per machine (per generator version and seed)
 * into the OS temp dir and reused. Every file is written under a temporary name and renamed, and a `complete`
 * marker is written last, so concurrent test processes never see a partial file.
 */
import { existsSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeSafetensors } from '../../src/node/read-weights-file.js';
import { DEFAULT_SYNTHETIC_SEED, syntheticVgg16Weights } from '../../tools/synthetic-weights/generator.js';
import { writeLegacyPth, writeZipPth } from '../../tools/synthetic-weights/pth-writer.js';

/** Bump when the generator or the writers change, so stale cached files are not reused. */
const GENERATOR_VERSION = 1;

export interface SyntheticWeightFiles {
  readonly dir: string;
  readonly seed: number;
  readonly safetensors: string;
  readonly pthLegacy: string;
  readonly pthZip: string;
}

const pending = new Map<number, Promise<SyntheticWeightFiles>>();

/** Paths of the synthetic weights (seed 20251 by default) in the three formats, creating them if needed. */
export function syntheticWeightFiles(seed: number = DEFAULT_SYNTHETIC_SEED): Promise<SyntheticWeightFiles> {
  let p = pending.get(seed);
  if (!p) {
    p = create(seed);
    pending.set(seed, p);
  }
  return p;
}

async function create(seed: number): Promise<SyntheticWeightFiles> {
  const dir = join(tmpdir(), `deepssim-synthetic-weights-v${GENERATOR_VERSION}-seed${seed}`);
  const files: SyntheticWeightFiles = {
    dir,
    seed,
    safetensors: join(dir, 'vgg16-synthetic.safetensors'),
    pthLegacy: join(dir, 'vgg16-synthetic-legacy.pth'),
    pthZip: join(dir, 'vgg16-synthetic-zip.pth'),
  };
  const marker = join(dir, 'complete');
  if (existsSync(marker)) return files;
  await mkdir(dir, { recursive: true });
  const tensors = syntheticVgg16Weights(seed);
  const tmp = (p: string): string => `${p}.${process.pid}.${Date.now()}.tmp`;
  await writeSafetensors(files.safetensors, tensors, { backbone: 'vgg16', synthetic: 'true', seed: String(seed) });
  const legacyTmp = tmp(files.pthLegacy);
  await writeLegacyPth(legacyTmp, tensors);
  await rename(legacyTmp, files.pthLegacy);
  const zipTmp = tmp(files.pthZip);
  await writeZipPth(zipTmp, tensors, 'vgg16-synthetic-zip');
  await rename(zipTmp, files.pthZip);
  await writeFile(marker, 'ok\n');
  return files;
}
