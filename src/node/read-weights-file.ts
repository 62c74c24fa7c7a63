/**
 * Node wrappers for the platform-neutral weights readers: read a file into bytes (size checked against
 * MAX_WEIGHTS_FILE_BYTES before anything is read), hand the bytes to the parser, write files atomically.
 */
import { open, readFile, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { LimitError, WeightsError, quote } from '../errors.js';
import { MAX_MODEL_JSON_BYTES, MAX_WEIGHTS_FILE_BYTES } from '../limits.js';
import { nameOf } from '../util/names.js';
import { writeFileAtomic } from './atomic-write.js';
import {
  asWeightsError,
  detectWeightsFormat,
  readWeightsBytes,
  type ReadWeightsOptions,
  type WeightsFile,
} from '../weights/read.js';
import { encodeSafetensors, readSafetensorsBytes } from '../weights/safetensors.js';
import { readTfjsLayers, type ReadTfjsOptions, type TfjsLayersModel } from '../weights/tfjs-layers.js';
import type { WeightMap, WeightsFormat } from '../weights/types.js';

const label = (path: string): string => `weights file ${path}`;

function fsError(e: unknown, path: string, what = label(path)): never {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT')
    throw new WeightsError(`${what} does not exist`, { code: 'WEIGHTS_NOT_FOUND', path, cause: e });
  if (code === 'EISDIR') throw new WeightsError(`${what} is a directory`, { path, cause: e });
  throw new WeightsError(`cannot read ${what}: ${code ?? quote((e as Error).message)}`, { path, cause: e });
}

/** Read a whole file whose size must not exceed `max` bytes (checked before reading). */
export async function readBoundedFile(
  path: string,
  max: number,
  what = label(path),
  limit = 'MAX_WEIGHTS_FILE_BYTES',
): Promise<Uint8Array> {
  let size: number;
  try {
    const st = await stat(path);
    if (st.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    // A device or FIFO has no size and may never end: regular files only.
    if (!st.isFile()) throw new WeightsError(`${what} is not a regular file`, { path });
    size = st.size;
  } catch (e) {
    if (e instanceof WeightsError) throw e;
    return fsError(e, path, what);
  }
  if (size > max)
    throw new LimitError(`${what} is ${size} bytes, more than the limit of ${max} (${limit})`, { path, limit });
  try {
    const bytes = await readFile(path);
    if (bytes.length > max)
      throw new LimitError(`${what} is ${bytes.length} bytes, more than the limit of ${max} (${limit})`, {
        path,
        limit,
      });
    return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length);
  } catch (e) {
    if (e instanceof LimitError) throw e;
    return fsError(e, path, what);
  }
}

/** Detect the format of a weights file from its first bytes (throws WeightsError for missing/empty/unknown files). */
export async function detectWeightsFileFormat(path: string): Promise<Exclude<WeightsFormat, 'tfjs-layers'>> {
  let head: Uint8Array;
  let size: number;
  try {
    const fh = await open(path, 'r');
    try {
      size = (await fh.stat()).size;
      head = new Uint8Array(Math.min(16, size));
      await fh.read(head, 0, head.length, 0);
    } finally {
      await fh.close();
    }
  } catch (e) {
    return fsError(e, path);
  }
  return detectWeightsFormat(head, size, label(path));
}

/** Read a .pth (zip or legacy) or .safetensors file into float32 tensors. */
export async function readWeightsFile(path: string, options: ReadWeightsOptions = {}): Promise<WeightsFile> {
  const bytes = await readBoundedFile(path, MAX_WEIGHTS_FILE_BYTES);
  return readWeightsBytes(bytes, label(path), options);
}

/** Read a safetensors file (only the tensors `select` accepts). */
export async function readSafetensors(
  path: string,
  select?: (name: string) => boolean,
): Promise<{ tensors: WeightMap; metadata?: Record<string, string> }> {
  const bytes = await readBoundedFile(path, MAX_WEIGHTS_FILE_BYTES);
  try {
    return readSafetensorsBytes(bytes, label(path), select);
  } catch (e) {
    throw asWeightsError(e, label(path));
  }
}

/** Write float32 tensors (in map order) as safetensors, atomically (temporary sibling + rename). */
export async function writeSafetensors(
  path: string,
  tensors: WeightMap,
  metadata?: Record<string, string>,
): Promise<void> {
  await writeFileAtomic(path, encodeSafetensors(tensors, metadata));
}

/** Read a TensorFlow.js layers model from its model.json path (shards are resolved beside it). */
export async function readTfjsLayersModel(modelJson: string, options: ReadTfjsOptions = {}): Promise<TfjsLayersModel> {
  let text: Uint8Array;
  try {
    text = await readBoundedFile(modelJson, MAX_MODEL_JSON_BYTES, label(modelJson), 'MAX_MODEL_JSON_BYTES');
  } catch (e) {
    if (e instanceof WeightsError && /is a directory$/.test(e.message)) {
      throw new WeightsError(`${label(modelJson)} is a directory (pass the path of its model.json)`, {
        path: modelJson,
      });
    }
    throw e;
  }
  const dir = dirname(modelJson);
  const source = `model ${modelJson}`;
  return readTfjsLayers(text, source, {
    ...options,
    modelPath: modelJson,
    async shardSize(p) {
      let st;
      try {
        st = await stat(join(dir, p));
      } catch {
        throw new WeightsError(`${source}: weight shard ${nameOf(p)} is missing (expected at ${join(dir, p)})`);
      }
      if (!st.isFile()) throw new WeightsError(`${source}: weight shard ${nameOf(p)} is not a regular file`);
      return st.size;
    },
    async readShard(p) {
      try {
        const b = await readFile(join(dir, p));
        return new Uint8Array(b.buffer, b.byteOffset, b.length);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'ENOENT')
          throw new WeightsError(`${source}: weight shard ${nameOf(p)} is missing (expected at ${join(dir, p)})`);
        throw new WeightsError(
          `${source}: cannot read weight shard ${join(dir, p)}: ${code ?? quote((e as Error).message)}`,
          { cause: e },
        );
      }
    },
  });
}
