/**
 * Element types found in weights files and their conversion to float32. Raw bytes are always little-endian
 * (PyTorch on x86/ARM and safetensors both are); conversion goes through DataView on big-endian hosts.
 */
import { WeightsError } from '../errors.js';
import { MAX_TENSOR_RANK } from '../limits.js';

export type DType =
  'float32' | 'float64' | 'float16' | 'bfloat16' | 'int64' | 'int32' | 'int16' | 'int8' | 'uint8' | 'bool';

export const DTYPE_SIZE: Readonly<Record<DType, number>> = {
  float32: 4,
  float64: 8,
  float16: 2,
  bfloat16: 2,
  int64: 8,
  int32: 4,
  int16: 2,
  int8: 1,
  uint8: 1,
  bool: 1,
};

const HOST_LE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Product of the dimensions (1 for a scalar). Callers validate shapes first (`checkedNumel`). */
export function numelOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/**
 * Product of the dimensions of an untrusted shape, or a WeightsError when a dimension is not a non-negative safe
 * integer, the rank exceeds MAX_TENSOR_RANK, or the product is not a safe integer (a zero dimension makes it 0).
 */
export function checkedNumel(shape: readonly unknown[], where: string): number {
  if (shape.length > MAX_TENSOR_RANK)
    throw new WeightsError(`${where}: rank ${shape.length} exceeds the limit of ${MAX_TENSOR_RANK} (MAX_TENSOR_RANK)`);
  let n = 1;
  let overflow = false;
  for (const d of shape) {
    if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0)
      throw new WeightsError(`${where}: invalid dimension in shape`);
    n *= d;
    if (n > Number.MAX_SAFE_INTEGER) overflow = true;
  }
  if (n !== 0 && overflow)
    throw new WeightsError(`${where}: shape [${shape.join(',')}] has more elements than can be addressed`);
  return n;
}

// float16 → float32 lookup for the 2^16 bit patterns, built on first use (256 KB).
let halfTable: Float32Array | undefined;
function halfToFloatTable(): Float32Array {
  if (halfTable) return halfTable;
  const t = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const sign = h & 0x8000 ? -1 : 1;
    const exp = (h >> 10) & 0x1f;
    const frac = h & 0x3ff;
    if (exp === 0) t[h] = sign * frac * 2 ** -24;
    else if (exp === 31) t[h] = frac === 0 ? sign * Infinity : NaN;
    else t[h] = sign * (1 + frac / 1024) * 2 ** (exp - 15);
  }
  halfTable = t;
  return t;
}

/**
 * Convert `count` elements of `dtype` starting at element `start` of `bytes` to a new Float32Array.
 * The caller has checked that the range is inside `bytes`.
 */
export function toFloat32(bytes: Uint8Array, dtype: DType, start: number, count: number): Float32Array {
  const size = DTYPE_SIZE[dtype];
  const byteStart = bytes.byteOffset + start * size;
  const aligned = byteStart % size === 0;
  const out = new Float32Array(count);
  if (HOST_LE && aligned) {
    const buf = bytes.buffer;
    switch (dtype) {
      case 'float32':
        out.set(new Float32Array(buf, byteStart, count));
        return out;
      case 'float64':
        out.set(new Float64Array(buf, byteStart, count));
        return out;
      case 'float16': {
        const src = new Uint16Array(buf, byteStart, count);
        const t = halfToFloatTable();
        for (let i = 0; i < count; i++) out[i] = t[src[i]];
        return out;
      }
      case 'bfloat16': {
        const src = new Uint16Array(buf, byteStart, count);
        const dst = new Uint32Array(out.buffer);
        for (let i = 0; i < count; i++) dst[i] = src[i] << 16;
        return out;
      }
      case 'int64': {
        const src = new BigInt64Array(buf, byteStart, count);
        for (let i = 0; i < count; i++) out[i] = Number(src[i]);
        return out;
      }
      case 'int32':
        out.set(new Int32Array(buf, byteStart, count));
        return out;
      case 'int16':
        out.set(new Int16Array(buf, byteStart, count));
        return out;
      case 'int8':
        out.set(new Int8Array(buf, byteStart, count));
        return out;
      case 'uint8':
        out.set(new Uint8Array(buf, byteStart, count));
        return out;
      case 'bool': {
        // Any non-zero byte is True, as in PyTorch and NumPy; values are normalised to 0/1.
        const src = new Uint8Array(buf, byteStart, count);
        for (let i = 0; i < count; i++) out[i] = src[i] !== 0 ? 1 : 0;
        return out;
      }
    }
  }
  // Unaligned or big-endian host: element-wise DataView reads (slower, rare).
  const dv = new DataView(bytes.buffer, byteStart, count * size);
  const t = dtype === 'float16' ? halfToFloatTable() : undefined;
  for (let i = 0; i < count; i++) {
    const o = i * size;
    switch (dtype) {
      case 'float32':
        out[i] = dv.getFloat32(o, true);
        break;
      case 'float64':
        out[i] = dv.getFloat64(o, true);
        break;
      case 'float16':
        out[i] = t![dv.getUint16(o, true)];
        break;
      case 'bfloat16': {
        const u = new Uint32Array(1);
        u[0] = dv.getUint16(o, true) << 16;
        out[i] = new Float32Array(u.buffer)[0];
        break;
      }
      case 'int64':
        out[i] = Number(dv.getBigInt64(o, true));
        break;
      case 'int32':
        out[i] = dv.getInt32(o, true);
        break;
      case 'int16':
        out[i] = dv.getInt16(o, true);
        break;
      case 'int8':
        out[i] = dv.getInt8(o);
        break;
      case 'uint8':
        out[i] = dv.getUint8(o);
        break;
      case 'bool':
        out[i] = dv.getUint8(o) !== 0 ? 1 : 0;
        break;
    }
  }
  return out;
}

/** True when `stride` is the row-major stride of `shape` (dimensions of size 1 may have any stride). */
export function isContiguous(shape: readonly number[], stride: readonly number[]): boolean {
  let expected = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    if (shape[d] !== 1 && stride[d] !== expected) return false;
    expected *= shape[d];
  }
  return true;
}

/**
 * Materialise a (possibly strided) view of a float32 storage as a contiguous row-major array.
 * Bounds were checked by the caller (`maxStorageIndex`).
 */
export function gatherStrided(
  storage: Float32Array,
  offset: number,
  shape: readonly number[],
  stride: readonly number[],
): Float32Array {
  const n = numelOf(shape);
  if (isContiguous(shape, stride)) return storage.slice(offset, offset + n);
  const out = new Float32Array(n);
  const rank = shape.length;
  const idx = new Array<number>(rank).fill(0);
  let src = offset;
  for (let i = 0; i < n; i++) {
    out[i] = storage[src];
    // Odometer increment over the multi-index, updating the source position incrementally.
    for (let d = rank - 1; d >= 0; d--) {
      idx[d]++;
      src += stride[d];
      if (idx[d] < shape[d]) break;
      src -= stride[d] * shape[d];
      idx[d] = 0;
    }
  }
  return out;
}

/** Largest storage index a strided view touches, or -1 for an empty view. */
export function maxStorageIndex(offset: number, shape: readonly number[], stride: readonly number[]): number {
  let max = offset;
  for (let d = 0; d < shape.length; d++) {
    if (shape[d] === 0) return -1;
    max += (shape[d] - 1) * stride[d];
  }
  return max;
}

/** Check shape/stride/offset are non-negative safe integers of equal rank. */
export function checkLayout(where: string, shape: readonly number[], stride: readonly number[], offset: number): void {
  const ok = (v: unknown): boolean => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
  if (shape.length > MAX_TENSOR_RANK)
    throw new WeightsError(`${where}: rank ${shape.length} exceeds the limit of ${MAX_TENSOR_RANK} (MAX_TENSOR_RANK)`);
  if (shape.length !== stride.length || !shape.every(ok) || !stride.every(ok) || !ok(offset)) {
    throw new WeightsError(
      `${where}: invalid tensor layout (shape [${shape.join(',')}], stride [${stride.join(',')}], offset ${offset})`,
    );
  }
}
