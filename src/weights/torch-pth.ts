/**
 * PyTorch `.pth` readers on top of the restricted unpickler:
 *  - legacy (torch.save with `_use_new_zipfile_serialization=False`, and all pre-1.6 files such as torchvision's
 *    VGG16): magic pickle, protocol pickle, sys_info pickle, main pickle, storage-key pickle, then per storage an
 *    int64 element count and the raw data. Read as a stream: only the storages that selected tensors use are read,
 *    the others are seeked over (their length is still checked so truncation is always reported).
 *  - zip (torch ≥ 1.6 default): `<root>/data.pkl` + `<root>/data/<key>`, read with yauzl random access.
 */
import { open, type FileHandle } from 'node:fs/promises';
import yauzl from 'yauzl';
import { WeightsError } from '../errors.js';
import { DTYPE_SIZE, checkLayout, gatherStrided, isContiguous, maxStorageIndex, numelOf, toFloat32 } from './dtype.js';
import { PickleEOFError, PyDict, describePyValue, unpickle } from './pickle.js';
import { TensorRef, torchGlobals, torchPersistentLoader, type StorageRef } from './torch-globals.js';
import type { WeightMap } from './types.js';

export type TensorSelector = (name: string) => boolean;

/** First bytes of every legacy torch.save file: PROTO 2, LONG1 0x1950a86a20f9469cfc6c, STOP. */
export const LEGACY_MAGIC = Uint8Array.from([0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, 0x2e]);
const LEGACY_MAGIC_NUMBER = 0x1950a86a20f9469cfc6cn;
const LEGACY_PROTOCOL_VERSION = 1001;

const label = (path: string): string => `weights file ${path}`;

/** Name → TensorRef for every tensor in the unpickled object (nested dicts are joined with '.'). */
export function collectTensors(root: unknown, source: string): Map<string, TensorRef> {
  if (!(root instanceof PyDict)) throw new WeightsError(`${source}: does not contain a state dict (found ${describePyValue(root)})`);
  const out = new Map<string, TensorRef>();
  const walk = (d: PyDict, prefix: string): void => {
    for (const [k, v] of d.map) {
      if (typeof k !== 'string' && typeof k !== 'number') continue;
      const name = prefix + String(k);
      if (v instanceof TensorRef) out.set(name, v);
      else if (v instanceof PyDict) walk(v, name + '.');
    }
  };
  walk(root, '');
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
  for (const [name, t] of tensors) {
    const where = `${source}: tensor ${name}`;
    checkLayout(where, t.shape, t.stride, t.offset);
    const s = t.storage;
    const bytes = raw.get(s.key);
    if (!bytes) throw new WeightsError(`${where}: storage ${s.key} was not loaded`);
    const base = s.view ? s.view.offset : 0;
    const limit = s.view ? s.view.size : s.numel;
    const n = numelOf(t.shape);
    const maxIdx = maxStorageIndex(t.offset, t.shape, t.stride);
    if (maxIdx >= limit) {
      throw new WeightsError(`${where}: shape [${t.shape.join(',')}] at offset ${t.offset} does not fit in its storage of ${limit} elements`);
    }
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

async function readFully(fh: FileHandle, position: number, length: number): Promise<Uint8Array> {
  const buf = new Uint8Array(length);
  let done = 0;
  while (done < length) {
    const chunk = Math.min(length - done, 1 << 30);
    const { bytesRead } = await fh.read(buf, done, chunk, position + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return done === length ? buf : buf.subarray(0, done);
}

/** Read a legacy (non-zip) torch.save file. */
export async function readLegacyPth(path: string, select?: TensorSelector): Promise<WeightMap> {
  const source = label(path);
  const fh = await open(path, 'r');
  try {
    const fileSize = (await fh.stat()).size;
    // The pickles sit at the start of the file and are small; grow the window only if one does not fit.
    let window = await readFully(fh, 0, Math.min(fileSize, 1 << 20));
    const parse = async (start: number, opts: Omit<Parameters<typeof unpickle>[2], 'source'>, what: string) => {
      for (;;) {
        try {
          return unpickle(window, start, { ...opts, source: `${source} (${what})` });
        } catch (e) {
          if (!(e instanceof PickleEOFError)) throw e;
          if (window.length >= fileSize) throw new WeightsError(`${source} is truncated: the ${what} pickle ends unexpectedly at byte ${fileSize}`);
          window = await readFully(fh, 0, Math.min(fileSize, window.length * 4));
        }
      }
    };
    const noGlobals = { globals: new Map() };
    const magic = await parse(0, noGlobals, 'magic number');
    if (magic.value !== LEGACY_MAGIC_NUMBER) throw new WeightsError(`${source}: not a PyTorch file (wrong magic number)`);
    const proto = await parse(magic.end, noGlobals, 'protocol version');
    if (proto.value !== LEGACY_PROTOCOL_VERSION) throw new WeightsError(`${source}: unsupported legacy protocol version ${String(proto.value)}`);
    const sysInfo = await parse(proto.end, noGlobals, 'sys_info');
    if (sysInfo.value instanceof PyDict && sysInfo.value.map.get('little_endian') === false) {
      throw new WeightsError(`${source}: big-endian PyTorch files are not supported`);
    }
    const storages = new Map<string, StorageRef>();
    const main = await parse(sysInfo.end, { globals: torchGlobals(source), persistentLoad: torchPersistentLoader(source, storages) }, 'main');
    const keysPickle = await parse(main.end, noGlobals, 'storage keys');
    const keys = keysPickle.value;
    if (!Array.isArray(keys) || !keys.every((k) => typeof k === 'string' || typeof k === 'number')) {
      throw new WeightsError(`${source}: malformed storage key list`);
    }

    const tensors = selectTensors(collectTensors(main.value, source), select);
    const needed = neededStorages(tensors);
    const raw = new Map<string, Uint8Array>();
    let pos = keysPickle.end;
    const header = new Uint8Array(8);
    const hv = new DataView(header.buffer);
    for (const k of keys as (string | number)[]) {
      const key = String(k);
      const s = storages.get(key);
      if (!s) throw new WeightsError(`${source}: storage ${key} is listed but never used`);
      const { bytesRead } = await fh.read(header, 0, 8, pos);
      if (bytesRead < 8) throw new WeightsError(`${source} is truncated: expected 8 bytes for the size of storage ${key}, found ${bytesRead}`);
      const count = hv.getBigInt64(0, true);
      if (count !== BigInt(s.numel)) throw new WeightsError(`${source}: storage ${key} has ${count} elements, the pickle says ${s.numel}`);
      const nbytes = s.numel * DTYPE_SIZE[s.dtype];
      const dataPos = pos + 8;
      const available = Math.max(0, fileSize - dataPos);
      if (available < nbytes) throw new WeightsError(`${source} is truncated: expected ${nbytes} bytes for storage ${key}, found ${available}`);
      if (needed.has(key)) raw.set(key, await readFully(fh, dataPos, nbytes));
      pos = dataPos + nbytes;
    }
    for (const key of needed) {
      if (!raw.has(key)) throw new WeightsError(`${source}: storage ${key} is missing from the storage list`);
    }
    return materialise(tensors, raw, source);
  } finally {
    await fh.close();
  }
}

function openZip(path: string): Promise<yauzl.ZipFile> {
  return new Promise((resolve, reject) => {
    yauzl.open(path, { lazyEntries: true, autoClose: false }, (err, zip) => (err ? reject(err) : resolve(zip)));
  });
}

function listEntries(zip: yauzl.ZipFile): Promise<Map<string, yauzl.Entry>> {
  return new Promise((resolve, reject) => {
    const entries = new Map<string, yauzl.Entry>();
    zip.on('entry', (e: yauzl.Entry) => {
      entries.set(e.fileName, e);
      zip.readEntry();
    });
    zip.on('end', () => resolve(entries));
    zip.on('error', reject);
    zip.readEntry();
  });
}

function readEntry(zip: yauzl.ZipFile, entry: yauzl.Entry): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    zip.openReadStream(entry, (err, stream) => {
      if (err) return reject(err);
      const out = new Uint8Array(entry.uncompressedSize);
      let done = 0;
      stream.on('data', (chunk: Buffer) => {
        if (done + chunk.length > out.length) {
          stream.destroy(new Error('entry is longer than its declared size'));
          return;
        }
        out.set(chunk, done);
        done += chunk.length;
      });
      stream.on('error', reject);
      stream.on('end', () => (done === out.length ? resolve(out) : reject(new Error(`entry has ${done} bytes, expected ${out.length}`))));
    });
  });
}

/** Read a zip-format torch.save file. */
export async function readZipPth(path: string, select?: TensorSelector): Promise<WeightMap> {
  const source = label(path);
  let zip: yauzl.ZipFile;
  try {
    zip = await openZip(path);
  } catch (e) {
    throw new WeightsError(`${source} is truncated or not a valid zip archive (${(e as Error).message})`, { cause: e });
  }
  try {
    let entries: Map<string, yauzl.Entry>;
    try {
      entries = await listEntries(zip);
    } catch (e) {
      throw new WeightsError(`${source}: corrupt zip archive (${(e as Error).message})`, { cause: e });
    }
    // The archive root folder is named after the saved file; find it from data.pkl.
    const pklName = [...entries.keys()].find((n) => /^[^/]+\/data\.pkl$/.test(n));
    if (!pklName) throw new WeightsError(`${source}: zip archive is not a PyTorch file (no <root>/data.pkl entry)`);
    const prefix = pklName.slice(0, -'data.pkl'.length);
    const get = async (entry: yauzl.Entry, what: string): Promise<Uint8Array> => {
      try {
        return await readEntry(zip, entry);
      } catch (e) {
        throw new WeightsError(`${source}: cannot read ${what} (${(e as Error).message})`, { cause: e });
      }
    };
    const byteorder = entries.get(prefix + 'byteorder');
    if (byteorder && Buffer.from(await get(byteorder, 'byteorder')).toString('latin1').trim() === 'big') {
      throw new WeightsError(`${source}: big-endian PyTorch files are not supported`);
    }
    const pkl = await get(entries.get(pklName)!, pklName);
    const storages = new Map<string, StorageRef>();
    const { value } = unpickle(pkl, 0, { globals: torchGlobals(source), persistentLoad: torchPersistentLoader(source, storages), source: `${source} (${pklName})` });
    const tensors = selectTensors(collectTensors(value, source), select);
    const raw = new Map<string, Uint8Array>();
    for (const key of neededStorages(tensors)) {
      const s = storages.get(key)!;
      const name = `${prefix}data/${key}`;
      const entry = entries.get(name);
      if (!entry) throw new WeightsError(`${source}: storage ${key} is missing (no ${name} entry)`);
      const nbytes = s.numel * DTYPE_SIZE[s.dtype];
      if (entry.uncompressedSize !== nbytes) {
        throw new WeightsError(`${source}: entry ${name} has ${entry.uncompressedSize} bytes, expected ${nbytes} for storage ${key}`);
      }
      raw.set(key, await get(entry, name));
    }
    return materialise(tensors, raw, source);
  } finally {
    zip.close();
  }
}
