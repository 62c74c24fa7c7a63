/**
 * A minimal reader for NumPy .npy files holding a 0-d or 1-d float array (what BAPPS keeps in its `judge/` folders).
 * Hand-written because the format needed is tiny (magic, version, a Python-literal header, raw little/big-endian
 * floats) and the npm packages for it either pull in a full ndarray stack or read any dtype/shape without bounds.
 * Bounded: at most MAX_NPY_ELEMENTS values and a 64 KiB header.
 */
import { DataError, LimitError, quote } from '../errors.js';

export const MAX_NPY_ELEMENTS = 1 << 20;
const MAX_HEADER = 65536;

/** Values of a 0-d or 1-d float16/32/64 .npy array, as float64. */
export function readNpyFloats(bytes: Uint8Array, name = '.npy file'): Float64Array {
  const fail = (why: string) =>
    new DataError(`${quote(name)} is not a 0-d or 1-d float .npy array: ${why}`, { path: name });
  if (bytes.length < 10 || bytes[0] !== 0x93 || String.fromCharCode(...bytes.subarray(1, 6)) !== 'NUMPY')
    throw fail('no NUMPY magic');
  const major = bytes[6];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let headerLen: number;
  let start: number;
  if (major === 1) {
    headerLen = view.getUint16(8, true);
    start = 10;
  } else if (major === 2 || major === 3) {
    if (bytes.length < 12) throw fail('truncated header');
    headerLen = view.getUint32(8, true);
    start = 12;
  } else throw fail(`unknown version ${major}`);
  if (headerLen > MAX_HEADER)
    throw new LimitError(`${quote(name)}: .npy header of ${headerLen} bytes`, { path: name, limit: 'MAX_HEADER' });
  if (start + headerLen > bytes.length) throw fail('truncated header');
  const header = new TextDecoder('latin1').decode(bytes.subarray(start, start + headerLen));
  const descr = /'descr'\s*:\s*'([<>=|])f([248])'/.exec(header);
  if (!descr) throw fail(`dtype ${quote(/'descr'\s*:\s*'([^']*)'/.exec(header)?.[1] ?? '?', 20)} is not a float`);
  if (!/'fortran_order'\s*:\s*False/.test(header)) {
    // Fortran order is the same bytes for 0-d and 1-d arrays.
    if (!/'fortran_order'\s*:\s*True/.test(header)) throw fail('no fortran_order');
  }
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (shapeText === undefined) throw fail('no shape');
  const dims = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (dims.length > 1 || !dims.every((d) => /^\d+$/.test(d)))
    throw fail(`shape (${quote(shapeText, 40)}) is not 0-d or 1-d`);
  const count = dims.length === 0 ? 1 : Number(dims[0]);
  if (count > MAX_NPY_ELEMENTS)
    throw new LimitError(`${quote(name)}: ${count} values, more than ${MAX_NPY_ELEMENTS}`, {
      path: name,
      limit: 'MAX_NPY_ELEMENTS',
    });
  const size = Number(descr[2]);
  const little = descr[1] !== '>';
  const data = start + headerLen;
  if (data + count * size > bytes.length) throw fail('truncated data');
  const out = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    const o = data + i * size;
    out[i] =
      size === 8
        ? view.getFloat64(o, little)
        : size === 4
          ? view.getFloat32(o, little)
          : half(view.getUint16(o, little));
  }
  return out;
}

/** IEEE 754 binary16 → number. */
function half(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (f / 1024);
  if (e === 31) return f ? NaN : s * Infinity;
  return s * 2 ** (e - 15) * (1 + f / 1024);
}
