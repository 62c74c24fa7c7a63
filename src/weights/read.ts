/**
 * Entry point for reading any supported weights file: the format is detected from magic bytes, never from the
 * file name. Also the shape check every consumer runs before using a WeightMap.
 */
import { open } from 'node:fs/promises';
import { WeightsError } from '../errors.js';
import { readSafetensors } from './safetensors.js';
import { LEGACY_MAGIC, readLegacyPth, readZipPth } from './torch-pth.js';
import type { WeightMap, WeightsFormat } from './types.js';

export interface ReadWeightsOptions {
  /** Load only the tensors whose state-dict name this accepts; the others are skipped without reading their data. */
  readonly select?: (name: string) => boolean;
}

export interface WeightsFile {
  readonly format: WeightsFormat;
  readonly tensors: WeightMap;
  /** safetensors `__metadata__`, when present. */
  readonly metadata?: Record<string, string>;
}

/** Detect the format of a weights file from its first bytes (throws WeightsError for missing/empty/unknown files). */
export async function detectWeightsFormat(path: string): Promise<Exclude<WeightsFormat, 'tfjs-layers'>> {
  let head: Buffer;
  let size: number;
  try {
    const fh = await open(path, 'r');
    try {
      size = (await fh.stat()).size;
      head = Buffer.alloc(Math.min(16, size));
      await fh.read(head, 0, head.length, 0);
    } finally {
      await fh.close();
    }
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new WeightsError(`weights file ${path} does not exist`);
    if (code === 'EISDIR') throw new WeightsError(`weights file ${path} is a directory`);
    throw new WeightsError(`cannot read weights file ${path}: ${(e as Error).message}`, { cause: e });
  }
  if (size === 0) throw new WeightsError(`weights file ${path} is empty`);
  if (head.length >= 4 && head.readUInt32LE(0) === 0x04034b50) return 'pth-zip';
  if (head.length >= LEGACY_MAGIC.length && LEGACY_MAGIC.every((b, i) => head[i] === b)) return 'pth-legacy';
  if (head.length >= 9 && head[8] === 0x7b /* '{' */ && head.readBigUInt64LE(0) <= BigInt(size - 8)) return 'safetensors';
  if (head.length >= 9 && head[8] === 0x7b) throw new WeightsError(`weights file ${path} is truncated: its safetensors header is longer than the file`);
  // Too short to hold any format's signature: most likely a cut-off download.
  if (size < 16) throw new WeightsError(`weights file ${path} is truncated or not a weights file (only ${size} bytes)`);
  throw new WeightsError(
    `weights file ${path} is not a recognised weights format (expected a PyTorch .pth, zip or legacy, or a .safetensors file; starts with ${head.subarray(0, 8).toString('hex')})`,
  );
}

/** Read a .pth (zip or legacy) or .safetensors file into float32 tensors. */
export async function readWeightsFile(path: string, options: ReadWeightsOptions = {}): Promise<WeightsFile> {
  const format = await detectWeightsFormat(path);
  switch (format) {
    case 'pth-zip':
      return { format, tensors: await readZipPth(path, options.select) };
    case 'pth-legacy':
      return { format, tensors: await readLegacyPth(path, options.select) };
    case 'safetensors': {
      const { tensors, metadata } = await readSafetensors(path, options.select);
      return metadata ? { format, tensors, metadata } : { format, tensors };
    }
  }
}

/**
 * Throw a WeightsError naming the first tensor of `expected` that is missing from `tensors` or has another shape.
 * `file` names the source in the message.
 */
export function validateShapes(tensors: WeightMap, expected: Readonly<Record<string, readonly number[]>>, file: string): void {
  for (const [name, shape] of Object.entries(expected)) {
    const t = tensors.get(name);
    if (!t) throw new WeightsError(`weights file ${file}: tensor ${name} is missing (expected shape [${shape.join(',')}])`);
    if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
      throw new WeightsError(`weights file ${file}: ${name} has shape [${t.shape.join(',')}], expected [${shape.join(',')}]`);
    }
    if (t.data.length !== shape.reduce((a, b) => a * b, 1)) {
      throw new WeightsError(`weights file ${file}: ${name} has ${t.data.length} values for shape [${shape.join(',')}]`);
    }
  }
}
