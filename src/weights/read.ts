/**
 * Entry point for reading any supported weights file from its bytes (platform-neutral; src/node/read-weights-file.ts
 * reads files from disk): the format is detected from magic bytes, never from the file name. Also the shape check
 * every consumer runs before using a WeightMap.
 */
import { DeepSSIMError, LimitError, WeightsError, quote } from '../errors.js';
import { readSafetensorsBytes } from './safetensors.js';
import { LEGACY_MAGIC, readLegacyPthBytes, readZipPthBytes } from './torch-pth.js';
import type { WeightMap, WeightsFormat } from './types.js';

export interface ReadWeightsOptions {
  /** Load only the tensors whose state-dict name this accepts; the others are skipped without converting their data. */
  readonly select?: (name: string) => boolean;
}

export interface WeightsFile {
  readonly format: WeightsFormat;
  readonly tensors: WeightMap;
  /** safetensors `__metadata__`, when present. */
  readonly metadata?: Record<string, string>;
}

const hex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');

/**
 * Detect the format of a weights file from its first bytes and its size (throws WeightsError for empty/unknown
 * files). `head` needs at most 16 bytes; `source` names the file in messages (e.g. `weights file x.pth`).
 */
export function detectWeightsFormat(
  head: Uint8Array,
  size: number,
  source: string,
): Exclude<WeightsFormat, 'tfjs-layers'> {
  if (size === 0) throw new WeightsError(`${source} is empty`);
  const dv = new DataView(head.buffer, head.byteOffset, head.byteLength);
  if (head.length >= 4 && dv.getUint32(0, true) === 0x04034b50) return 'pth-zip';
  if (head.length >= LEGACY_MAGIC.length && LEGACY_MAGIC.every((b, i) => head[i] === b)) return 'pth-legacy';
  if (head.length >= 9 && head[8] === 0x7b /* '{' */) {
    if (dv.getBigUint64(0, true) <= BigInt(size - 8)) return 'safetensors';
    throw new WeightsError(`${source} is truncated: its safetensors header is longer than the file`);
  }
  // Too short to hold any format's signature: most likely a cut-off download.
  if (size < 16) throw new WeightsError(`${source} is truncated or not a weights file (only ${size} bytes)`);
  throw new WeightsError(
    `${source} is not a recognised weights format (expected a PyTorch .pth, zip or legacy, or a .safetensors file; starts with ${hex(head.subarray(0, 8))})`,
  );
}

/**
 * Read a .pth (zip or legacy) or .safetensors file from its bytes into float32 tensors. `source` names it in
 * messages. Every failure is a DeepSSIMError (WeightsError, or LimitError past a documented limit).
 */
export function readWeightsBytes(bytes: Uint8Array, source: string, options: ReadWeightsOptions = {}): WeightsFile {
  const format = detectWeightsFormat(bytes.subarray(0, 16), bytes.length, source);
  try {
    switch (format) {
      case 'pth-zip':
        return { format, tensors: readZipPthBytes(bytes, source, options.select) };
      case 'pth-legacy':
        return { format, tensors: readLegacyPthBytes(bytes, source, options.select) };
      case 'safetensors': {
        const { tensors, metadata } = readSafetensorsBytes(bytes, source, options.select);
        return metadata ? { format, tensors, metadata } : { format, tensors };
      }
    }
  } catch (e) {
    throw asWeightsError(e, source);
  }
}

/**
 * Last line of defence: the readers check everything they know of, but an engine error from a case they missed
 * must still reach the caller as a one-line DeepSSIMError (the fuzzing harness reports these as defects).
 */
export function asWeightsError(e: unknown, source: string): DeepSSIMError {
  if (e instanceof DeepSSIMError) return e;
  if (e instanceof RangeError && /call stack/i.test(e.message)) {
    return new LimitError(`${source}: nested too deeply to read`, { cause: e, internal: true });
  }
  if (e instanceof RangeError && /allocation|array length|buffer/i.test(e.message)) {
    return new LimitError(`${source}: needs more memory than allowed (${quote(e.message, 80)})`, {
      cause: e,
      internal: true,
    });
  }
  return new WeightsError(
    `${source}: malformed weights file (internal error ${quote(e instanceof Error ? `${e.name}: ${e.message}` : e, 120)})`,
    { cause: e, internal: true },
  );
}

/**
 * Throw a WeightsError (code WEIGHTS_WRONG_MODEL) naming the first tensor of `expected` that is missing from
 * `tensors` or has another shape. `file` names the source in the message.
 */
export function validateShapes(
  tensors: WeightMap,
  expected: Readonly<Record<string, readonly number[]>>,
  file: string,
): void {
  const code = 'WEIGHTS_WRONG_MODEL';
  for (const [name, shape] of Object.entries(expected)) {
    const t = tensors.get(name);
    if (!t)
      throw new WeightsError(`weights file ${file}: tensor ${name} is missing (expected shape [${shape.join(',')}])`, {
        code,
        tensor: name,
      });
    if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
      throw new WeightsError(
        `weights file ${file}: ${name} has shape [${t.shape.join(',')}], expected [${shape.join(',')}]`,
        { code, tensor: name },
      );
    }
    if (t.data.length !== shape.reduce((a, b) => a * b, 1)) {
      throw new WeightsError(
        `weights file ${file}: ${name} has ${t.data.length} values for shape [${shape.join(',')}]`,
        { code, tensor: name },
      );
    }
  }
}
