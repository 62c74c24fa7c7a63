/**
 * PyTorch `.pth` readers on top of the restricted unpickler, working from the file's bytes (platform-neutral):
 *  - legacy (torch.save with `_use_new_zipfile_serialization=False`, and all pre-1.6 files such as torchvision's
 *    VGG16): magic pickle, protocol pickle, sys_info pickle, main pickle, storage-key pickle, then per storage an
 *    int64 element count and the raw data. Every storage's declared size is checked against the bytes that remain
 *    (so truncation is always reported); only the storages selected tensors use are converted.
 *  - zip (torch ≥ 1.6 default): `<root>/data.pkl` + `<root>/data/<key>`, read with the strict zip reader
 *    (src/util/zip.ts): duplicate entries are refused, every entry's declared size must match what the pickle
 *    says before it is read, and data.pkl is capped at MAX_PICKLE_BYTES.
 * Tensor views are checked against their storages before anything is converted: a view may not address more
 * elements than the storage span it covers (stride-0 "expanded" tensors would multiply a few bytes into gigabytes).
 */
import { LimitError, WeightsError, quote } from '../errors.js';
import { nameOf } from '../util/names.js';
import {
  MAX_EXPANDED_ELEMENTS,
  MAX_ZIP_INFLATED_BYTES,
  MAX_PICKLE_BYTES,
  MAX_PICKLE_DEPTH,
  MAX_PICKLE_OBJECTS,
  MAX_TENSOR_NAME,
  MAX_TENSORS,
} from '../limits.js';
import { ZipFailure, readZipDirectory, readZipEntry, type ZipEntry } from '../util/zip.js';
import { DTYPE_SIZE, checkLayout, gatherStrided, isContiguous, maxStorageIndex, numelOf, toFloat32 } from './dtype.js';
import { PyDict, describePyValue, unpickle } from './pickle.js';
import { TensorRef, torchGlobals, torchPersistentLoader, type StorageRef } from './torch-globals.js';
import type { WeightMap } from './types.js';

export type TensorSelector = (name: string) => boolean;

/** First bytes of every legacy torch.save file: PROTO 2, LONG1 0x1950a86a20f9469cfc6c, STOP. */
export const LEGACY_MAGIC = Uint8Array.from([
  0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, 0x2e,
]);
const LEGACY_MAGIC_NUMBER = 0x1950a86a20f9469cfc6cn;
const LEGACY_PROTOCOL_VERSION = 1001;

/**
 * Name → TensorRef for every tensor in the unpickled object (nested dicts are joined with '.'). Iterative, with a
 * depth limit (a pickle can make a dict contain itself) and a bound on the entries visited.
 */
export function collectTensors(root: unknown, source: string): Map<string, TensorRef> {
  if (!(root instanceof PyDict))
    throw new WeightsError(`${source}: does not contain a state dict (found ${describePyValue(root)})`);
  const out = new Map<string, TensorRef>();
  const todo: { d: PyDict; prefix: string; depth: number }[] = [{ d: root, prefix: '', depth: 1 }];
  // A dict that contains itself nests forever and hits the depth limit; one shared by many parents is visited
  // once per path, so visits are counted too.
  let visits = 0;
  let steps = 0;
  while (todo.length > 0) {
    const { d, prefix, depth } = todo.pop()!;
    if (depth > MAX_PICKLE_DEPTH) {
      throw new LimitError(
        `${source}: state dict nested deeper than ${MAX_PICKLE_DEPTH} levels, or containing itself (MAX_PICKLE_DEPTH)`,
        { limit: 'MAX_PICKLE_DEPTH' },
      );
    }
    if (++visits > MAX_TENSORS)
      throw new LimitError(`${source}: more than ${MAX_TENSORS} nested dicts (MAX_TENSORS)`, { limit: 'MAX_TENSORS' });
    const children: { d: PyDict; prefix: string; depth: number }[] = [];
    for (const [k, v] of d.map) {
      if (++steps > MAX_PICKLE_OBJECTS)
        throw new LimitError(
          `${source}: the state dict has more than ${MAX_PICKLE_OBJECTS} entries (MAX_PICKLE_OBJECTS)`,
          { limit: 'MAX_PICKLE_OBJECTS' },
        );
      if (typeof k !== 'string' && typeof k !== 'number') continue;
      const name = prefix + String(k);
      if (name.length > MAX_TENSOR_NAME)
        throw new LimitError(
          `${source}: a tensor name is longer than ${MAX_TENSOR_NAME} characters (MAX_TENSOR_NAME)`,
          { limit: 'MAX_TENSOR_NAME' },
        );
      if (v instanceof TensorRef) {
        if (out.has(name)) throw new WeightsError(`${source}: tensor name ${nameOf(name)} appears twice`);
        out.set(name, v);
        if (out.size > MAX_TENSORS)
          throw new LimitError(`${source}: more than ${MAX_TENSORS} tensors (MAX_TENSORS)`, { limit: 'MAX_TENSORS' });
      } else if (v instanceof PyDict) children.push({ d: v, prefix: name + '.', depth: depth + 1 });
    }
    // Depth-first in map order, like the recursive walk this replaces.
    for (let i = children.length - 1; i >= 0; i--) todo.push(children[i]);
  }
  return out;
}

/** Storage keys the selected tensors need. */
function neededStorages(tensors: Map<string, TensorRef>): Set<string> {
  const keys = new Set<string>();
  for (const t of tensors.values()) keys.add(t.storage.key);
  return keys;
}

function selectTensors(all: Map<string, TensorRef>, select?: TensorSelector): Map<string, TensorRef> {
  if (!select) return all;
  return new Map([...all].filter(([name]) => select(name)));
}

/** Turn TensorRefs into float32 tensors given the raw bytes of their root storages. */
export function materialise(tensors: Map<string, TensorRef>, raw: Map<string, Uint8Array>, source: string): WeightMap {
  const out: WeightMap = new Map();
  let expanded = 0;
  for (const [name, t] of tensors) {
    const where = `${source}: tensor ${nameOf(name)}`;
    checkLayout(where, t.shape, t.stride, t.offset);
    const s = t.storage;
    const bytes = raw.get(s.key);
    if (!bytes) throw new WeightsError(`${where}: storage ${nameOf(s.key)} was not loaded`);
    const base = s.view ? s.view.offset : 0;
    const limit = s.view ? s.view.size : s.numel;
    const n = numelOf(t.shape);
    const maxIdx = maxStorageIndex(t.offset, t.shape, t.stride);
    if (n > 0 && !(maxIdx < limit)) {
      throw new WeightsError(
        `${where}: shape [${t.shape.join(',')}] at offset ${t.offset} does not fit in its storage of ${limit} elements`,
      );
    }
    // A view addressing more elements than the span it covers repeats storage elements (stride 0, i.e. an expanded
    // tensor, or overlapping strides): a few bytes could become gigabytes, so such views share a small budget that
    // is checked before anything is allocated. Every other view is bounded by its storage, hence by the file.
    if (n > 0 && n > maxIdx - t.offset + 1) {
      expanded += n;
      if (expanded > MAX_EXPANDED_ELEMENTS) {
        throw new LimitError(
          `${where}: shape [${t.shape.join(',')}] with stride [${t.stride.join(',')}] repeats a span of ${maxIdx - t.offset + 1} elements into ${n}, beyond the limit of ${MAX_EXPANDED_ELEMENTS} expanded elements (MAX_EXPANDED_ELEMENTS)`,
          { limit: 'MAX_EXPANDED_ELEMENTS' },
        );
      }
    }
    if (base + maxIdx >= bytes.length / DTYPE_SIZE[s.dtype])
      throw new WeightsError(`${where}: storage ${nameOf(s.key)} is shorter than declared`);
    let data: Float32Array;
    if (n === 0) data = new Float32Array(0);
    else {
      // Convert only the span the view touches, then gather its elements when the strides are not row-major.
      const span = toFloat32(bytes, s.dtype, base + t.offset, maxIdx - t.offset + 1);
      data = isContiguous(t.shape, t.stride) ? span : gatherStrided(span, 0, t.shape, t.stride);
    }
    out.set(name, { shape: [...t.shape], data });
  }
  return out;
}

/** Map a zip-reader failure to the library's errors. */
function zipError(e: unknown, source: string): never {
  if (e instanceof ZipFailure) {
    const msg = e.message.startsWith('is ') ? `${source} ${e.message}` : `${source}: ${e.message}`;
    if (e.kind === 'limit') throw new LimitError(msg, { cause: e });
    throw new WeightsError(msg, { cause: e });
  }
  throw e;
}

/** Read a legacy (non-zip) torch.save file from its bytes. `source` names it in messages. */
export function readLegacyPthBytes(bytes: Uint8Array, source: string, select?: TensorSelector): WeightMap {
  const parse = (start: number, opts: Omit<Parameters<typeof unpickle>[2], 'source'>, what: string) => {
    try {
      return unpickle(bytes, start, { ...opts, source: `${source} (${what})` });
    } catch (e) {
      if (e instanceof WeightsError && e.name === 'PickleEOFError') {
        throw new WeightsError(`${source} is truncated: the ${what} pickle ends unexpectedly at byte ${bytes.length}`);
      }
      throw e;
    }
  };
  const noGlobals = { globals: new Map() };
  const magic = parse(0, noGlobals, 'magic number');
  if (magic.value !== LEGACY_MAGIC_NUMBER) throw new WeightsError(`${source}: not a PyTorch file (wrong magic number)`);
  const proto = parse(magic.end, noGlobals, 'protocol version');
  if (proto.value !== LEGACY_PROTOCOL_VERSION)
    throw new WeightsError(`${source}: unsupported legacy protocol version ${quote(describePyValue(proto.value))}`);
  const sysInfo = parse(proto.end, noGlobals, 'sys_info');
  if (sysInfo.value instanceof PyDict && sysInfo.value.map.get('little_endian') === false) {
    throw new WeightsError(`${source}: big-endian PyTorch files are not supported`);
  }
  const storages = new Map<string, StorageRef>();
  const main = parse(
    sysInfo.end,
    { globals: torchGlobals(source), persistentLoad: torchPersistentLoader(source, storages) },
    'main',
  );
  const keysPickle = parse(main.end, noGlobals, 'storage keys');
  const keys = keysPickle.value;
  if (!Array.isArray(keys) || !keys.every((k) => typeof k === 'string' || typeof k === 'number')) {
    throw new WeightsError(`${source}: malformed storage key list`);
  }

  const tensors = selectTensors(collectTensors(main.value, source), select);
  const needed = neededStorages(tensors);
  const raw = new Map<string, Uint8Array>();
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = keysPickle.end;
  const seen = new Set<string>();
  for (const k of keys as (string | number)[]) {
    const key = String(k);
    if (seen.has(key)) throw new WeightsError(`${source}: storage ${nameOf(key)} is listed twice`);
    seen.add(key);
    const s = storages.get(key);
    if (!s) throw new WeightsError(`${source}: storage ${nameOf(key)} is listed but never used`);
    if (pos + 8 > bytes.length)
      throw new WeightsError(
        `${source} is truncated: expected 8 bytes for the size of storage ${nameOf(key)}, found ${Math.max(0, bytes.length - pos)}`,
      );
    const count = dv.getBigInt64(pos, true);
    if (count !== BigInt(s.numel))
      throw new WeightsError(`${source}: storage ${nameOf(key)} has ${count} elements, the pickle says ${s.numel}`);
    const nbytes = s.numel * DTYPE_SIZE[s.dtype];
    const dataPos = pos + 8;
    const available = Math.max(0, bytes.length - dataPos);
    if (available < nbytes)
      throw new WeightsError(
        `${source} is truncated: expected ${nbytes} bytes for storage ${nameOf(key)}, found ${available}`,
      );
    if (needed.has(key)) raw.set(key, bytes.subarray(dataPos, dataPos + nbytes));
    pos = dataPos + nbytes;
  }
  for (const key of needed) {
    if (!raw.has(key)) throw new WeightsError(`${source}: storage ${nameOf(key)} is missing from the storage list`);
  }
  return materialise(tensors, raw, source);
}

/** Read a zip-format torch.save file from its bytes. `source` names it in messages. */
export function readZipPthBytes(bytes: Uint8Array, source: string, select?: TensorSelector): WeightMap {
  let list: ZipEntry[];
  try {
    list = readZipDirectory(bytes);
  } catch (e) {
    return zipError(e, source);
  }
  const entries = new Map(list.map((e) => [e.name, e]));
  let inflateBudget = MAX_ZIP_INFLATED_BYTES;
  const get = (entry: ZipEntry, cap: number): Uint8Array => {
    if (entry.method !== 0) {
      if (entry.size > inflateBudget) {
        throw new LimitError(
          `${source}: deflated entry ${nameOf(entry.name)} declares ${entry.size} bytes, beyond the ${MAX_ZIP_INFLATED_BYTES} bytes deflated entries may inflate to (MAX_ZIP_INFLATED_BYTES)`,
          { limit: 'MAX_ZIP_INFLATED_BYTES' },
        );
      }
      inflateBudget -= entry.size;
    }
    try {
      return readZipEntry(bytes, entry, cap);
    } catch (e) {
      return zipError(e, source);
    }
  };
  // The archive root folder is named after the saved file; find it from data.pkl (exactly one).
  const pkls = list.filter((e) => /^[^/]+\/data\.pkl$/.test(e.name));
  if (pkls.length === 0)
    throw new WeightsError(`${source}: zip archive is not a PyTorch file (no <root>/data.pkl entry)`);
  if (pkls.length > 1) throw new WeightsError(`${source}: zip archive holds ${pkls.length} <root>/data.pkl entries`);
  const pklName = pkls[0].name;
  const prefix = pklName.slice(0, -'data.pkl'.length);
  const byteorder = entries.get(prefix + 'byteorder');
  if (byteorder) {
    const order = new TextDecoder('latin1').decode(get(byteorder, 16)).trim();
    if (order === 'big') throw new WeightsError(`${source}: big-endian PyTorch files are not supported`);
    if (order !== 'little') throw new WeightsError(`${source}: unknown byte order ${quote(order)}`);
  }
  const pkl = get(pkls[0], MAX_PICKLE_BYTES);
  const storages = new Map<string, StorageRef>();
  const pklSource = `${source} (${nameOf(pklName)})`;
  let value: unknown;
  try {
    ({ value } = unpickle(pkl, 0, {
      globals: torchGlobals(source),
      persistentLoad: torchPersistentLoader(source, storages),
      source: pklSource,
    }));
  } catch (e) {
    if (e instanceof WeightsError && e.name === 'PickleEOFError')
      throw new WeightsError(`${pklSource} is truncated: the pickle ends unexpectedly`);
    throw e;
  }
  const tensors = selectTensors(collectTensors(value, source), select);
  const raw = new Map<string, Uint8Array>();
  for (const key of neededStorages(tensors)) {
    const s = storages.get(key)!;
    const name = `${prefix}data/${key}`;
    const entry = entries.get(name);
    if (!entry) throw new WeightsError(`${source}: storage ${nameOf(key)} is missing (no ${nameOf(name)} entry)`);
    const nbytes = s.numel * DTYPE_SIZE[s.dtype];
    if (entry.size !== nbytes) {
      throw new WeightsError(
        `${source}: entry ${nameOf(name)} has ${entry.size} bytes, expected ${nbytes} for storage ${nameOf(key)}`,
      );
    }
    raw.set(key, get(entry, nbytes));
  }
  return materialise(tensors, raw, source);
}
