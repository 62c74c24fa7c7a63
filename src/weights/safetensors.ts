/**
 * safetensors reader and writer. Layout: u64 LE header length N, N bytes of JSON
 * `{ name: { dtype, shape, data_offsets: [begin, end] }, __metadata__?: { str: str } }`, then the data block
 * (offsets are relative to its start). The reader validates the whole header before reading any data and reads
 * only the selected tensors, straight into their Float32Arrays when they are F32.
 */
import { open, rename, unlink } from 'node:fs/promises';
import { WeightsError } from '../errors.js';
import { DTYPE_SIZE, numelOf, toFloat32, type DType } from './dtype.js';
import type { WeightMap } from './types.js';

const ST_DTYPES: Readonly<Record<string, DType>> = {
  F32: 'float32', F64: 'float64', F16: 'float16', BF16: 'bfloat16',
  I64: 'int64', I32: 'int32', I16: 'int16', I8: 'int8', U8: 'uint8', BOOL: 'bool',
};
/** Header larger than this is refused (real headers are KBs; this guards against absurd allocations). */
const MAX_HEADER_BYTES = 100 * 1024 * 1024;

export interface SafetensorsEntry {
  readonly name: string;
  readonly dtype: DType;
  readonly shape: readonly number[];
  /** Absolute byte range in the file. */
  readonly begin: number;
  readonly end: number;
}

export interface SafetensorsHeader {
  readonly entries: readonly SafetensorsEntry[];
  readonly metadata?: Record<string, string>;
  /** Absolute file offset of the data block. */
  readonly dataStart: number;
}

/** Parse and validate the JSON header (the bytes after the 8-byte length) of a file of `fileSize` bytes. */
export function parseSafetensorsHeader(headerJson: Uint8Array, fileSize: number, source: string): SafetensorsHeader {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(headerJson.buffer, headerJson.byteOffset, headerJson.byteLength).toString('utf8'));
  } catch (e) {
    throw new WeightsError(`${source}: invalid safetensors header JSON (${(e as Error).message})`);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new WeightsError(`${source}: safetensors header is not a JSON object`);
  const dataStart = 8 + headerJson.length;
  const dataLength = fileSize - dataStart;
  let metadata: Record<string, string> | undefined;
  const entries: SafetensorsEntry[] = [];
  for (const [name, info] of Object.entries(parsed as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (!info || typeof info !== 'object' || Array.isArray(info) || !Object.values(info).every((v) => typeof v === 'string')) {
        throw new WeightsError(`${source}: safetensors __metadata__ must map strings to strings`);
      }
      metadata = { ...(info as Record<string, string>) };
      continue;
    }
    const where = `${source}: tensor ${name}`;
    if (!info || typeof info !== 'object') throw new WeightsError(`${where}: header entry is not an object`);
    const { dtype, shape, data_offsets: offs } = info as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    const dt = typeof dtype === 'string' ? ST_DTYPES[dtype] : undefined;
    if (!dt) throw new WeightsError(`${where}: unsupported dtype ${JSON.stringify(dtype)} (expected one of ${Object.keys(ST_DTYPES).join(', ')})`);
    const isDim = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
    if (!Array.isArray(shape) || !shape.every(isDim)) throw new WeightsError(`${where}: invalid shape ${JSON.stringify(shape)}`);
    if (!Array.isArray(offs) || offs.length !== 2 || !offs.every(isDim) || offs[0] > offs[1]) {
      throw new WeightsError(`${where}: invalid data_offsets ${JSON.stringify(offs)}`);
    }
    const [b, e] = offs as number[];
    const nbytes = numelOf(shape) * DTYPE_SIZE[dt];
    if (e - b !== nbytes) throw new WeightsError(`${where}: data_offsets [${b},${e}] span ${e - b} bytes, shape [${shape.join(',')}] ${dtype} needs ${nbytes}`);
    if (e > dataLength) throw new WeightsError(`${source} is truncated: expected ${e} data bytes for tensor ${name}, found ${Math.max(0, dataLength)}`);
    entries.push({ name, dtype: dt, shape: [...shape], begin: dataStart + b, end: dataStart + e });
  }
  const sorted = [...entries].sort((x, y) => x.begin - y.begin || x.end - y.end);
  for (let i = 1; i < sorted.length; i++) {
    const prev = sorted[i - 1];
    const cur = sorted[i];
    if (cur.begin < prev.end) throw new WeightsError(`${source}: tensors ${prev.name} and ${cur.name} overlap in the data block`);
  }
  return { entries, metadata, dataStart };
}

/** Read a safetensors file (only the tensors `select` accepts). */
export async function readSafetensors(
  path: string,
  select?: (name: string) => boolean,
): Promise<{ tensors: WeightMap; metadata?: Record<string, string> }> {
  const source = `weights file ${path}`;
  const fh = await open(path, 'r');
  try {
    const fileSize = (await fh.stat()).size;
    const lenBuf = Buffer.alloc(8);
    const { bytesRead } = await fh.read(lenBuf, 0, 8, 0);
    if (bytesRead < 8) throw new WeightsError(`${source} is truncated: expected an 8-byte safetensors header length, found ${bytesRead} bytes`);
    const n = lenBuf.readBigUInt64LE(0);
    if (n > BigInt(MAX_HEADER_BYTES)) throw new WeightsError(`${source}: safetensors header length ${n} is implausible`);
    const headerLen = Number(n);
    if (8 + headerLen > fileSize) throw new WeightsError(`${source} is truncated: expected ${headerLen} header bytes, found ${fileSize - 8}`);
    const headerJson = new Uint8Array(headerLen);
    await fh.read(headerJson, 0, headerLen, 8);
    const header = parseSafetensorsHeader(headerJson, fileSize, source);
    const tensors: WeightMap = new Map();
    for (const e of header.entries) {
      if (select && !select(e.name)) continue;
      const count = numelOf(e.shape);
      let data: Float32Array;
      if (e.dtype === 'float32' && isLittleEndianHost) {
        // Read straight into the destination: no intermediate copy.
        data = new Float32Array(count);
        await readInto(fh, new Uint8Array(data.buffer), e.begin);
      } else {
        const raw = new Uint8Array(e.end - e.begin);
        await readInto(fh, raw, e.begin);
        data = toFloat32(raw, e.dtype, 0, count);
      }
      tensors.set(e.name, { shape: e.shape, data });
    }
    return header.metadata ? { tensors, metadata: header.metadata } : { tensors };
  } finally {
    await fh.close();
  }
}

const isLittleEndianHost = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

async function readInto(fh: import('node:fs/promises').FileHandle, dst: Uint8Array, position: number): Promise<void> {
  let done = 0;
  while (done < dst.length) {
    const { bytesRead } = await fh.read(dst, done, Math.min(dst.length - done, 1 << 30), position + done);
    if (bytesRead === 0) throw new WeightsError(`file ended while reading tensor data at byte ${position + done}`);
    done += bytesRead;
  }
}

/**
 * Write float32 tensors (in map order) as safetensors, atomically: a temporary file in the same directory is
 * renamed over `path` once complete. The data block starts on an 8-byte boundary (header padded with spaces).
 */
export async function writeSafetensors(path: string, tensors: WeightMap, metadata?: Record<string, string>): Promise<void> {
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  let offset = 0;
  for (const [name, t] of tensors) {
    if (t.data.length !== numelOf(t.shape)) throw new WeightsError(`cannot write tensor ${name}: ${t.data.length} values for shape [${t.shape.join(',')}]`);
    const nbytes = t.data.length * 4;
    header[name] = { dtype: 'F32', shape: [...t.shape], data_offsets: [offset, offset + nbytes] };
    offset += nbytes;
  }
  let json = JSON.stringify(header);
  const jsonBytes = Buffer.byteLength(json, 'utf8');
  json += ' '.repeat((8 - ((8 + jsonBytes) % 8)) % 8);
  const headerBuf = Buffer.from(json, 'utf8');
  const lenBuf = Buffer.alloc(8);
  lenBuf.writeBigUInt64LE(BigInt(headerBuf.length));

  const tmp = `${path}.${process.pid}.${Date.now()}.tmp`;
  const fh = await open(tmp, 'w');
  try {
    await fh.write(lenBuf);
    await fh.write(headerBuf);
    for (const t of tensors.values()) {
      const bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
      await fh.write(isLittleEndianHost ? bytes : swap32(bytes));
    }
    await fh.close();
    await rename(tmp, path);
  } catch (e) {
    await fh.close().catch(() => undefined);
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
}

function swap32(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes.length);
  for (let i = 0; i < bytes.length; i += 4) {
    out[i] = bytes[i + 3]; out[i + 1] = bytes[i + 2]; out[i + 2] = bytes[i + 1]; out[i + 3] = bytes[i];
  }
  return out;
}
