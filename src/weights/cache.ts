/**
 * Where the VGG16 weights come from, in order: explicit path > DEEPSSIM_WEIGHTS > the compact cache file >
 * a verified download of the official file, reduced to the 22 tensors DeepSSIM needs (the 528 MB original is
 * deleted afterwards). The cache directory is DEEPSSIM_CACHE_DIR or the platform cache dir for 'deepssim'.
 */
import { mkdir, readdir, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import envPaths from 'env-paths';
import { WeightsError } from '../errors.js';
import { downloadVerified } from './download.js';
import { readSafetensors, readWeightsFile, writeSafetensors } from '../node/read-weights-file.js';
import { validateShapes } from './read.js';
import type { WeightMap, WeightsFormat } from './types.js';
import {
  VGG16_COMPACT_FILENAME,
  VGG16_OFFICIAL_FILENAME,
  VGG16_OFFICIAL_SHA256,
  VGG16_OFFICIAL_URL,
  VGG16_RELU51_SHAPES,
  isVgg16Relu51Tensor,
} from './vgg16-shapes.js';

/** The cache directory (not created here). */
export function cacheDir(): string {
  const fromEnv = process.env.DEEPSSIM_CACHE_DIR;
  return fromEnv && fromEnv.length > 0 ? fromEnv : envPaths('deepssim', { suffix: '' }).cache;
}

/** Path of the compact VGG16 file in the cache (it may not exist). */
export function compactVgg16Path(): string {
  return join(cacheDir(), VGG16_COMPACT_FILENAME);
}

export type WeightsSource = 'explicit' | 'env' | 'cache' | 'download';

export interface ResolveOptions {
  /** A weights file given by the user (--weights); wins over everything else. */
  readonly weights?: string;
  /** Allow downloading the official file when nothing else is found (default true). */
  readonly download?: boolean;
  /** Progress messages (e.g. console.error); silent by default. */
  readonly log?: (message: string) => void;
  /** Override the download source (tests, mirrors); the SHA-256 is still enforced. */
  readonly url?: string;
  readonly sha256?: string;
}

export interface ResolvedWeights {
  readonly path: string;
  readonly source: WeightsSource;
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/** Locate the VGG16 weights file, downloading and compacting the official one if needed. */
export async function resolveVgg16WeightsDetailed(options: ResolveOptions = {}): Promise<ResolvedWeights> {
  const log = options.log ?? (() => undefined);
  if (options.weights !== undefined && options.weights !== '') {
    if (!(await isFile(options.weights))) throw new WeightsError(`weights file ${options.weights} (from --weights) does not exist`);
    return { path: options.weights, source: 'explicit' };
  }
  const fromEnv = process.env.DEEPSSIM_WEIGHTS;
  if (fromEnv) {
    if (!(await isFile(fromEnv))) throw new WeightsError(`weights file ${fromEnv} (from DEEPSSIM_WEIGHTS) does not exist`);
    return { path: fromEnv, source: 'env' };
  }
  const compact = compactVgg16Path();
  if (await isFile(compact)) return { path: compact, source: 'cache' };

  const url = options.url ?? VGG16_OFFICIAL_URL;
  const sha256 = options.sha256 ?? VGG16_OFFICIAL_SHA256;
  if (options.download === false) {
    throw new WeightsError(
      `VGG16 weights not found (no --weights, DEEPSSIM_WEIGHTS unset, no cached ${compact}) and downloading is disabled. Download ${url} yourself and pass --weights <file> or set DEEPSSIM_WEIGHTS=<file>, or run \`deepssim weights import <file>\``,
    );
  }
  const big = join(cacheDir(), VGG16_OFFICIAL_FILENAME);
  log(`downloading the VGG16 weights (about 528 MB, once) from ${url} to ${cacheDir()}`);
  await downloadVerified(url, big, { sha256 });
  try {
    log('extracting the 22 tensors DeepSSIM needs');
    const { tensors } = await readWeightsFile(big, { select: isVgg16Relu51Tensor });
    validateShapes(tensors, VGG16_RELU51_SHAPES, big);
    await writeSafetensors(compact, orderedVgg16(tensors), { source_url: url, source_sha256: sha256, backbone: 'vgg16', layers: 'conv1_1..conv5_1' });
  } finally {
    await unlink(big).catch(() => undefined);
  }
  log(`cached ${compact}`);
  return { path: compact, source: 'download' };
}

/** Locate the VGG16 weights file (see resolveVgg16WeightsDetailed); returns its path. */
export async function resolveVgg16Weights(options: ResolveOptions = {}): Promise<string> {
  return (await resolveVgg16WeightsDetailed(options)).path;
}

/** The 22 VGG16 tensors in canonical order (for a deterministic compact file). */
function orderedVgg16(tensors: WeightMap): WeightMap {
  return new Map(Object.keys(VGG16_RELU51_SHAPES).map((name) => [name, tensors.get(name)!]));
}

export interface ImportResult {
  readonly path: string;
  readonly format: WeightsFormat;
  readonly tensors: number;
  readonly bytes: number;
}

/**
 * Import a user-supplied VGG16 weights file (.pth zip/legacy or .safetensors): validate the 22 tensors and write
 * them atomically as the compact cache file, which resolveVgg16Weights then finds.
 */
export async function importWeights(file: string, options: { log?: (message: string) => void } = {}): Promise<ImportResult> {
  const { format, tensors } = await readWeightsFile(file, { select: isVgg16Relu51Tensor });
  validateShapes(tensors, VGG16_RELU51_SHAPES, file);
  const dest = compactVgg16Path();
  await mkdir(cacheDir(), { recursive: true });
  await writeSafetensors(dest, orderedVgg16(tensors), { source_file: file, source_format: format, backbone: 'vgg16', layers: 'conv1_1..conv5_1' });
  const bytes = (await stat(dest)).size;
  options.log?.(`imported ${file} (${format}) into ${dest}`);
  return { path: dest, format, tensors: tensors.size, bytes };
}

export interface CacheInfo {
  readonly dir: string;
  readonly exists: boolean;
  /** Every file in the cache directory. */
  readonly files: readonly { readonly name: string; readonly path: string; readonly bytes: number }[];
  /** The compact VGG16 file, if cached, with its safetensors metadata. */
  readonly vgg16: { readonly path: string; readonly bytes: number; readonly metadata: Record<string, string> } | null;
}

/** What is cached, where, and how big. */
export async function cacheInfo(): Promise<CacheInfo> {
  const dir = cacheDir();
  let names: string[];
  try {
    names = (await readdir(dir)).sort();
  } catch {
    return { dir, exists: false, files: [], vgg16: null };
  }
  const files: { name: string; path: string; bytes: number }[] = [];
  for (const name of names) {
    const path = join(dir, name);
    const st = await stat(path).catch(() => undefined);
    if (st?.isFile()) files.push({ name, path, bytes: st.size });
  }
  const compact = files.find((f) => f.name === VGG16_COMPACT_FILENAME);
  let vgg16: CacheInfo['vgg16'] = null;
  if (compact) {
    // Header only: select nothing, so no tensor data is read.
    const { metadata } = await readSafetensors(compact.path, () => false);
    vgg16 = { path: compact.path, bytes: compact.bytes, metadata: metadata ?? {} };
  }
  return { dir, exists: true, files, vgg16 };
}
