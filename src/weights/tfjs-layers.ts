/**
 * Reader for TensorFlow.js *layers* models: `model.json` (Keras `modelTopology` + `weightsManifest`) and the binary
 * weight shards beside it. Within a manifest group the shards are concatenated in `paths` order and the group's
 * weights lie back to back in that buffer, each in its stored dtype: float32/int32 (little-endian), or quantised
 * uint8/uint16 (value = q·scale + min) or float16. Everything is converted to float32; shapes stay in TensorFlow
 * order (e.g. Conv2D kernels [kh, kw, in, out]).
 *
 * Platform-neutral: model.json arrives as bytes and shards through callbacks (src/node/read-weights-file.ts reads
 * them from disk). The JSON's nesting is limited before parsing, shard paths may not leave the model's folder, and
 * every group's shard sizes are checked against what its manifest needs before a shard is read.
 */
import { LimitError, WeightsError, quote } from '../errors.js';
import { nameOf, shapeOf } from '../util/names.js';
import { MAX_TENSORS, MAX_WEIGHTS_FILE_BYTES } from '../limits.js';
import { JsonFailure, parseJsonLimited } from '../util/json.js';
import { checkedNumel, numelOf, toFloat32, type DType } from './dtype.js';
import type { WeightMap } from './types.js';

/** One weight of the manifest (after validation). */
export interface TfjsWeightSpec {
  readonly name: string;
  readonly shape: readonly number[];
  /** Type of the decoded values (`original_dtype` when the quantisation names one). */
  readonly dtype: 'float32' | 'int32';
  /** How the bytes are stored. */
  readonly stored: 'float32' | 'int32' | 'uint8' | 'uint16' | 'float16';
  readonly scale?: number;
  readonly min?: number;
}

export interface TfjsWeightGroup {
  /** Shard files, relative to the directory of model.json. */
  readonly paths: readonly string[];
  readonly weights: readonly TfjsWeightSpec[];
}

/** A Keras layer of the topology (functional or sequential model config). */
export interface KerasLayer {
  readonly className: string;
  readonly name: string;
  readonly config: Readonly<Record<string, unknown>>;
  /** Names of the layers feeding this one (empty for inputs and for sequential configs). */
  readonly inbound: readonly string[];
}

export interface TfjsLayersModel {
  /** The model.json path. */
  readonly source: string;
  /** The raw `modelTopology` object (for tools that want it whole, e.g. tf.loadLayersModel). */
  readonly topology: Readonly<Record<string, unknown>>;
  readonly layers: readonly KerasLayer[];
  readonly groups: readonly TfjsWeightGroup[];
  /** Decoded weights keyed by their manifest names (e.g. `conv1/kernel`). */
  readonly weights: WeightMap;
}

export interface ReadTfjsOptions {
  /** Decode only the weights whose manifest name this accepts (groups with none selected are not read). */
  readonly select?: (name: string) => boolean;
}

const STORED_SIZE = { float32: 4, int32: 4, uint8: 1, uint16: 2, float16: 2 } as const;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isDim = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
/** A JSON value for a message: strings as they are (the caller quotes), anything else by its type. */
const describe = (v: unknown): string =>
  typeof v === 'string' ? v : v === null ? 'null' : Array.isArray(v) ? 'a list' : typeof v;

/**
 * True when a shard path stays inside the model's folder: relative, no `..` segment, no drive letter, backslash,
 * NUL or empty segment. Checked on the text itself (platform-neutral), so it means the same on every OS.
 */
function isSafeShardPath(p: string): boolean {
  if (p.length === 0 || p.length > 1024 || p.startsWith('/') || /[\\\0:]/.test(p)) return false;
  return p.split('/').every((seg) => seg !== '' && seg !== '..');
}

function parseWeightSpec(raw: unknown, where: string): TfjsWeightSpec {
  if (!isObject(raw)) throw new WeightsError(`${where}: weight entry is not an object`);
  const { name, shape, dtype, quantization } = raw;
  if (typeof name !== 'string' || name === '') throw new WeightsError(`${where}: weight entry without a name`);
  const at = `${where}: weight ${nameOf(name)}`;
  if (!Array.isArray(shape) || !shape.every(isDim))
    throw new WeightsError(`${at}: invalid shape ${shapeOf(shape)} (expected a list of non-negative integers)`);
  checkedNumel(shape, at);
  if (dtype !== 'float32' && dtype !== 'int32') {
    throw new WeightsError(`${at}: unsupported dtype ${quote(describe(dtype))} (expected float32 or int32)`);
  }
  if (quantization === undefined || quantization === null) return { name, shape: [...shape], dtype, stored: dtype };
  if (!isObject(quantization)) throw new WeightsError(`${at}: quantization is not an object`);
  const q = quantization;
  const out = q.original_dtype ?? dtype;
  if (out !== 'float32' && out !== 'int32')
    throw new WeightsError(`${at}: unsupported original_dtype ${quote(describe(q.original_dtype))}`);
  if (q.dtype === 'float16') {
    if (out !== 'float32') throw new WeightsError(`${at}: float16 quantisation is only defined for float32 weights`);
    return { name, shape: [...shape], dtype: out, stored: 'float16' };
  }
  if (q.dtype !== 'uint8' && q.dtype !== 'uint16') {
    throw new WeightsError(
      `${at}: unknown quantization dtype ${quote(describe(q.dtype))} (expected uint8, uint16 or float16)`,
    );
  }
  if (
    typeof q.scale !== 'number' ||
    !Number.isFinite(q.scale) ||
    typeof q.min !== 'number' ||
    !Number.isFinite(q.min)
  ) {
    throw new WeightsError(`${at}: ${q.dtype} quantization needs finite numeric scale and min`);
  }
  return { name, shape: [...shape], dtype: out, stored: q.dtype, scale: q.scale, min: q.min };
}

function parseLayers(topology: Record<string, unknown>, source: string): KerasLayer[] {
  // Keras ≥ 2 saves {keras_version, backend, model_config: {class_name, config}}; tfjs saves {class_name, config}.
  const modelConfig = isObject(topology.model_config) ? topology.model_config : topology;
  const config = modelConfig.config;
  const rawLayers = Array.isArray(config) ? config : isObject(config) ? config.layers : undefined;
  if (!Array.isArray(rawLayers)) throw new WeightsError(`${source}: modelTopology has no layer list`);
  return rawLayers.map((l, i) => {
    if (!isObject(l) || typeof l.class_name !== 'string' || !isObject(l.config)) {
      throw new WeightsError(`${source}: layer ${i} of modelTopology is malformed`);
    }
    const name = typeof l.name === 'string' ? l.name : typeof l.config.name === 'string' ? l.config.name : `layer_${i}`;
    const inbound: string[] = [];
    // Classic Keras format: inbound_nodes = [[[layer_name, node_index, tensor_index, kwargs], …], …].
    if (Array.isArray(l.inbound_nodes)) {
      for (const node of l.inbound_nodes) {
        if (!Array.isArray(node)) continue;
        for (const ref of node) if (Array.isArray(ref) && typeof ref[0] === 'string') inbound.push(ref[0]);
      }
    }
    return { className: l.class_name, name, config: l.config, inbound };
  });
}

/** Parse and validate the text of a model.json (no shard is read). */
export function parseTfjsModelJson(
  text: string,
  source: string,
): { topology: Record<string, unknown>; layers: KerasLayer[]; groups: TfjsWeightGroup[] } {
  let parsed: unknown;
  try {
    parsed = parseJsonLimited(text);
  } catch (e) {
    if (e instanceof JsonFailure && e.kind === 'limit')
      throw new LimitError(`${source}: ${e.message}`, { limit: 'MAX_JSON_DEPTH' });
    throw new WeightsError(`${source}: ${e instanceof Error ? e.message : 'malformed JSON'}`);
  }
  if (!isObject(parsed)) throw new WeightsError(`${source}: model.json is not a JSON object`);
  if (parsed.format === 'graph-model')
    throw new WeightsError(`${source} is a TensorFlow.js graph model; a layers model (Keras topology) is needed`);
  const { modelTopology, weightsManifest } = parsed;
  if (!isObject(modelTopology))
    throw new WeightsError(`${source}: modelTopology is missing (is this a TensorFlow.js layers model.json?)`);
  if (!Array.isArray(weightsManifest)) throw new WeightsError(`${source}: weightsManifest is missing or not an array`);
  const groups = weightsManifest.map((g, i): TfjsWeightGroup => {
    const where = `${source}: weightsManifest[${i}]`;
    if (!isObject(g) || !Array.isArray(g.paths) || !Array.isArray(g.weights))
      throw new WeightsError(`${where} needs paths and weights arrays`);
    const paths = g.paths.map((p) => {
      if (typeof p !== 'string' || p === '')
        throw new WeightsError(`${where}: shard path ${quote(describe(p))} is not a file name`);
      // Shards live beside model.json; refuse paths that would read elsewhere.
      if (!isSafeShardPath(p))
        throw new WeightsError(`${where}: shard path ${nameOf(p)} leaves the model directory`, {
          code: 'WEIGHTS_UNSAFE',
        });
      return p;
    });
    if (g.weights.length > MAX_TENSORS)
      throw new LimitError(`${where}: more than ${MAX_TENSORS} weights (MAX_TENSORS)`, { limit: 'MAX_TENSORS' });
    if (paths.length === 0 && g.weights.length > 0) throw new WeightsError(`${where} lists weights but no shard files`);
    return { paths, weights: g.weights.map((w) => parseWeightSpec(w, where)) };
  });
  return { topology: modelTopology, layers: parseLayers(modelTopology, source), groups };
}

/** Decode one group's concatenated shard bytes into float32 tensors. */
export function decodeWeightGroup(
  group: TfjsWeightGroup,
  bytes: Uint8Array,
  source: string,
  select?: (name: string) => boolean,
): WeightMap {
  const out: WeightMap = new Map();
  let offset = 0;
  for (const w of group.weights) {
    const count = numelOf(w.shape);
    const nbytes = count * STORED_SIZE[w.stored];
    if (offset + nbytes > bytes.length) {
      throw new WeightsError(
        `${source}: shards ${nameOf(group.paths.join(', '))} hold ${bytes.length} bytes, fewer than the manifest needs (weight ${nameOf(w.name)} ends at ${offset + nbytes})`,
      );
    }
    if (!select || select(w.name)) {
      const slice = bytes.subarray(offset, offset + nbytes);
      out.set(w.name, { shape: w.shape, data: dequantise(w, slice) });
    }
    offset += nbytes;
  }
  if (offset !== bytes.length) {
    throw new WeightsError(
      `${source}: shards ${nameOf(group.paths.join(', '))} hold ${bytes.length} bytes, the manifest describes ${offset}`,
    );
  }
  return out;
}

function dequantise(w: TfjsWeightSpec, bytes: Uint8Array): Float32Array {
  const count = numelOf(w.shape);
  if (w.stored === 'uint8' || w.stored === 'uint16') {
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const out = new Float32Array(count);
    // Same arithmetic as tfjs-core (float64 q·scale + min rounded to float32); int32 weights are rounded back.
    const scale = w.scale!;
    const min = w.min!;
    const wide = w.stored === 'uint16';
    for (let i = 0; i < count; i++) {
      const v = (wide ? dv.getUint16(2 * i, true) : bytes[i]) * scale + min;
      out[i] = w.dtype === 'int32' ? Math.round(v) : v;
    }
    return out;
  }
  return toFloat32(bytes, w.stored satisfies DType, 0, count);
}

/** Total shard bytes a group needs according to its manifest (shapes were validated by parseWeightSpec). */
function groupBytes(group: TfjsWeightGroup): number {
  return group.weights.reduce((s, w) => s + numelOf(w.shape) * STORED_SIZE[w.stored], 0);
}

export interface ReadTfjsSources extends ReadTfjsOptions {
  /** The model.json path or URL, recorded as `source` of the result. */
  readonly modelPath: string;
  /** Size in bytes of a shard (path relative to model.json), without reading it. */
  shardSize(path: string): Promise<number>;
  /** The bytes of a shard. */
  readShard(path: string): Promise<Uint8Array>;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Read a TensorFlow.js layers model from the bytes of its model.json; shards come through `sources`. Each group's
 * shard sizes are checked against its manifest before any shard is read. `source` names the model in messages.
 */
export async function readTfjsLayers(
  modelJson: Uint8Array,
  source: string,
  sources: ReadTfjsSources,
): Promise<TfjsLayersModel> {
  let text: string;
  try {
    text = utf8.decode(modelJson);
  } catch {
    throw new WeightsError(`${source}: model.json is not valid UTF-8`);
  }
  const { topology, layers, groups } = parseTfjsModelJson(text.replace(/^\uFEFF/, ''), source);
  const weights: WeightMap = new Map();
  const seen = new Set<string>();
  for (const group of groups) {
    for (const w of group.weights) {
      if (seen.has(w.name)) throw new WeightsError(`${source}: weight ${nameOf(w.name)} appears twice in the manifest`);
      seen.add(w.name);
    }
    const need = groupBytes(group);
    if (need > MAX_WEIGHTS_FILE_BYTES) {
      throw new LimitError(
        `${source}: a weight group needs ${need} bytes, more than the limit of ${MAX_WEIGHTS_FILE_BYTES} (MAX_WEIGHTS_FILE_BYTES)`,
        { limit: 'MAX_WEIGHTS_FILE_BYTES' },
      );
    }
    let total = 0;
    for (const p of group.paths) total += await sources.shardSize(p);
    if (total !== need)
      throw new WeightsError(
        `${source}: shards ${nameOf(group.paths.join(', '))} hold ${total} bytes, the manifest describes ${need}`,
      );
    const wanted = !sources.select || group.weights.some((w) => sources.select!(w.name));
    if (!wanted) continue;
    const bytes = new Uint8Array(need);
    let at = 0;
    for (const p of group.paths) {
      const part = await sources.readShard(p);
      // A shard that changed since its size was taken must not overflow the buffer.
      if (at + part.length > need)
        throw new WeightsError(
          `${source}: shards ${nameOf(group.paths.join(', '))} hold more bytes than the manifest describes (${need})`,
        );
      bytes.set(part, at);
      at += part.length;
    }
    if (at !== need)
      throw new WeightsError(
        `${source}: shards ${nameOf(group.paths.join(', '))} hold ${at} bytes, the manifest describes ${need}`,
      );
    for (const [k, v] of decodeWeightGroup(group, bytes, source, sources.select)) weights.set(k, v);
  }
  return { source: sources.modelPath, topology, layers, groups, weights };
}

/** Every file a model needs: model.json's shard paths in manifest order (for downloads and integrity checks). */
export function shardPaths(groups: readonly TfjsWeightGroup[]): string[] {
  return groups.flatMap((g) => g.paths);
}
