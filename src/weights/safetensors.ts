/**
 * safetensors reader and encoder, platform-neutral (bytes in, bytes out). Layout: u64 LE header length N, N bytes
 * of UTF-8 JSON `{ name: { dtype, shape, data_offsets: [begin, end] }, __metadata__?: { str: str } }` (may be padded
 * with trailing spaces), then the data block (offsets are relative to its start).
 *
 * Validated as the specification says before any tensor is converted: header length ≤ 100 MB and inside the file,
 * valid UTF-8 starting with `{`, nesting within MAX_JSON_DEPTH, known dtypes, shapes whose element count × dtype size
 * equals the span of their offsets, and offsets that tile the data block exactly — no overlaps, no gaps, no
 * trailing bytes. Only the selected tensors are converted.
 */
import { LimitError, WeightsError, quote } from '../errors.js';
import { nameOf, shapeOf } from '../util/names.js';
import { MAX_SAFETENSORS_HEADER_BYTES, MAX_TENSOR_NAME, MAX_TENSORS } from '../limits.js';
import { JsonFailure, parseJsonLimited } from '../util/json.js';
import { DTYPE_SIZE, checkedNumel, numelOf, toFloat32, type DType } from './dtype.js';
import type { WeightMap } from './types.js';

const ST_DTYPES: Readonly<Record<string, DType>> = {
  F32: 'float32',
  F64: 'float64',
  F16: 'float16',
  BF16: 'bfloat16',
  I64: 'int64',
  I32: 'int32',
  I16: 'int16',
  I8: 'int8',
  U8: 'uint8',
  BOOL: 'bool',
};

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

const utf8 = new TextDecoder('utf-8', { fatal: true });
const isDim = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/** Parse and validate the JSON header (the bytes after the 8-byte length) of a file of `fileSize` bytes. */
export function parseSafetensorsHeader(headerJson: Uint8Array, fileSize: number, source: string): SafetensorsHeader {
  let text: string;
  try {
    text = utf8.decode(headerJson);
  } catch {
    throw new WeightsError(`${source}: safetensors header is not valid UTF-8`);
  }
  if (!text.startsWith('{')) throw new WeightsError(`${source}: safetensors header does not start with "{"`);
  let parsed: unknown;
  try {
    parsed = parseJsonLimited(text);
  } catch (e) {
    if (e instanceof JsonFailure && e.kind === 'limit')
      throw new LimitError(`${source}: safetensors header ${e.message}`, { limit: 'MAX_JSON_DEPTH' });
    throw new WeightsError(
      `${source}: invalid safetensors header JSON (${e instanceof Error ? e.message : 'syntax error'})`,
    );
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed))
    throw new WeightsError(`${source}: safetensors header is not a JSON object`);
  const dataStart = 8 + headerJson.length;
  const dataLength = fileSize - dataStart;
  let metadata: Record<string, string> | undefined;
  const entries: SafetensorsEntry[] = [];
  for (const [name, info] of Object.entries(parsed as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (
        !info ||
        typeof info !== 'object' ||
        Array.isArray(info) ||
        !Object.values(info).every((v) => typeof v === 'string')
      ) {
        throw new WeightsError(`${source}: safetensors __metadata__ must map strings to strings`);
      }
      metadata = { ...(info as Record<string, string>) }; // spread defines own properties: a `__proto__` key stays data
      continue;
    }
    if (entries.length >= MAX_TENSORS)
      throw new LimitError(`${source}: more than ${MAX_TENSORS} tensors (MAX_TENSORS)`, { limit: 'MAX_TENSORS' });
    if (name.length > MAX_TENSOR_NAME)
      throw new LimitError(`${source}: a tensor name is longer than ${MAX_TENSOR_NAME} characters (MAX_TENSOR_NAME)`, {
        limit: 'MAX_TENSOR_NAME',
      });
    const where = `${source}: tensor ${nameOf(name)}`;
    if (!info || typeof info !== 'object' || Array.isArray(info))
      throw new WeightsError(`${where}: header entry is not an object`);
    const { dtype, shape, data_offsets: offs } = info as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    const dt = typeof dtype === 'string' && Object.hasOwn(ST_DTYPES, dtype) ? ST_DTYPES[dtype] : undefined;
    if (!dt)
      throw new WeightsError(
        `${where}: unsupported dtype ${quote(typeof dtype === 'string' ? dtype : typeof dtype)} (expected one of ${Object.keys(ST_DTYPES).join(', ')})`,
      );
    if (!Array.isArray(shape) || !shape.every(isDim))
      throw new WeightsError(`${where}: invalid shape ${shapeOf(shape)} (expected a list of non-negative integers)`);
    if (!Array.isArray(offs) || offs.length !== 2 || !offs.every(isDim) || offs[0] > offs[1]) {
      throw new WeightsError(`${where}: invalid data_offsets (expected [begin, end] with 0 ≤ begin ≤ end)`);
    }
    const count = checkedNumel(shape, where);
    const [b, e] = offs as number[];
    const nbytes = count * DTYPE_SIZE[dt];
    if (e - b !== nbytes)
      throw new WeightsError(
        `${where}: data_offsets [${b},${e}] span ${e - b} bytes, shape [${shape.join(',')}] ${dtype} needs ${nbytes}`,
      );
    if (e > dataLength)
      throw new WeightsError(
        `${source} is truncated: expected ${e} data bytes for tensor ${nameOf(name)}, found ${Math.max(0, dataLength)}`,
      );
    entries.push({ name, dtype: dt, shape: [...shape], begin: dataStart + b, end: dataStart + e });
  }
  // The tensors must tile the data block exactly: sorted by offset, each starts where the previous ends.
  const sorted = [...entries].sort((x, y) => x.begin - y.begin || x.end - y.end);
  let at = dataStart;
  for (let i = 0; i < sorted.length; i++) {
    const cur = sorted[i];
    if (cur.begin < at)
      throw new WeightsError(
        `${source}: tensors ${nameOf(sorted[i - 1].name)} and ${nameOf(cur.name)} overlap in the data block`,
      );
    if (cur.begin > at)
      throw new WeightsError(
        `${source}: a gap of ${cur.begin - at} bytes before tensor ${nameOf(cur.name)} in the data block`,
      );
    at = cur.end;
  }
  if (at !== fileSize)
    throw new WeightsError(
      `${source}: ${fileSize - at} bytes after the last tensor (the data block must end with the file)`,
    );
  return { entries, metadata, dataStart };
}

/** Read a safetensors file from its bytes (only the tensors `select` accepts). `source` names it in messages. */
export function readSafetensorsBytes(
  bytes: Uint8Array,
  source: string,
  select?: (name: string) => boolean,
): { tensors: WeightMap; metadata?: Record<string, string> } {
  if (bytes.length < 8)
    throw new WeightsError(
      `${source} is truncated: expected an 8-byte safetensors header length, found ${bytes.length} bytes`,
    );
  const n = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  if (n > BigInt(MAX_SAFETENSORS_HEADER_BYTES)) {
    if (n + 8n > BigInt(bytes.length))
      throw new WeightsError(`${source} is truncated or corrupt: its safetensors header length ${n} exceeds the file`);
    throw new LimitError(
      `${source}: safetensors header of ${n} bytes exceeds the limit of ${MAX_SAFETENSORS_HEADER_BYTES} (MAX_SAFETENSORS_HEADER_BYTES)`,
      { limit: 'MAX_SAFETENSORS_HEADER_BYTES' },
    );
  }
  const headerLen = Number(n);
  if (8 + headerLen > bytes.length)
    throw new WeightsError(`${source} is truncated: expected ${headerLen} header bytes, found ${bytes.length - 8}`);
  const header = parseSafetensorsHeader(bytes.subarray(8, 8 + headerLen), bytes.length, source);
  const tensors: WeightMap = new Map();
  for (const e of header.entries) {
    if (select && !select(e.name)) continue;
    tensors.set(e.name, {
      shape: e.shape,
      data: toFloat32(bytes.subarray(e.begin, e.end), e.dtype, 0, numelOf(e.shape)),
    });
  }
  return header.metadata ? { tensors, metadata: header.metadata } : { tensors };
}

const isLittleEndianHost = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Encode float32 tensors (in map order) as a safetensors file. The data block starts on an 8-byte boundary (header
 * padded with spaces).
 */
export function encodeSafetensors(tensors: WeightMap, metadata?: Record<string, string>): Uint8Array {
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  let offset = 0;
  for (const [name, t] of tensors) {
    if (t.data.length !== numelOf(t.shape))
      throw new WeightsError(
        `cannot write tensor ${nameOf(name)}: ${t.data.length} values for shape [${t.shape.join(',')}]`,
      );
    const nbytes = t.data.length * 4;
    header[name] = { dtype: 'F32', shape: [...t.shape], data_offsets: [offset, offset + nbytes] };
    offset += nbytes;
  }
  let json = new TextEncoder().encode(JSON.stringify(header));
  const pad = (8 - ((8 + json.length) % 8)) % 8;
  if (pad > 0) {
    const padded = new Uint8Array(json.length + pad).fill(0x20);
    padded.set(json);
    json = padded;
  }
  const out = new Uint8Array(8 + json.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  let at = 8 + json.length;
  for (const t of tensors.values()) {
    const bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    out.set(isLittleEndianHost ? bytes : swap32(bytes), at);
    at += bytes.length;
  }
  return out;
}

function swap32(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes.length);
  for (let i = 0; i < bytes.length; i += 4) {
    out[i] = bytes[i + 3];
    out[i + 1] = bytes[i + 2];
    out[i + 2] = bytes[i + 1];
    out[i + 3] = bytes[i];
  }
  return out;
}
