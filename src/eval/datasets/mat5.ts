/**
 * Minimal reader for MATLAB Level 5 MAT-files (the v5/v6/v7 format; not the HDF5-based v7.3): numeric and logical
 * arrays (returned as float64, column-major), char arrays, cell arrays, and miCOMPRESSED elements (zlib).
 * Enough for dataset score files such as LIVE's dmos_realigned.mat / refnames_all.mat. Little-endian files only.
 *
 * Hostile files are bounded: every element's declared size is checked against the bytes that hold it, array
 * dimensions must agree with the data actually present (no allocation from dims alone), decompression stops at
 * MAX_MAT_INFLATED_BYTES (in total), cell arrays nest at most MAX_MAT_DEPTH deep, and char data must be valid code
 * points. Every failure is a DataError (or a LimitError past a limit) naming the file.
 */
import { readFileSync, statSync } from 'node:fs';
import { DataError, LimitError, quote } from '../../errors.js';
import { MAX_DEFLATE_RATIO, MAX_MAT_DEPTH, MAX_MAT_FILE_BYTES, MAX_MAT_INFLATED_BYTES } from '../../limits.js';
import { InflateFailure, inflateCapped } from '../../util/inflate.js';

export type MatValue =
  | { kind: 'numeric'; dims: number[]; data: Float64Array; logical: boolean }
  | { kind: 'char'; dims: number[]; /** One string per row. */ rows: string[] }
  | { kind: 'cell'; dims: number[]; /** Column-major. */ cells: MatValue[] }
  | { kind: 'unsupported'; dims: number[]; matlabClass: number };

// Data types (miXXX) and array classes (mxXXX) from the MAT-file format specification.
const MI = {
  INT8: 1,
  UINT8: 2,
  INT16: 3,
  UINT16: 4,
  INT32: 5,
  UINT32: 6,
  SINGLE: 7,
  DOUBLE: 9,
  INT64: 12,
  UINT64: 13,
  MATRIX: 14,
  COMPRESSED: 15,
  UTF8: 16,
  UTF16: 17,
  UTF32: 18,
};
const MX = { CELL: 1, CHAR: 4 };
const NUMERIC_CLASSES = new Set([6, 7, 8, 9, 10, 11, 12, 13, 14, 15]);
const ELEMENT_SIZE: Record<number, number> = {
  1: 1,
  2: 1,
  3: 2,
  4: 2,
  5: 4,
  6: 4,
  7: 4,
  9: 8,
  12: 8,
  13: 8,
  16: 1,
  17: 2,
  18: 4,
};

interface Element {
  type: number;
  data: Uint8Array;
}

type Fail = (msg: string) => never;

class Reader {
  private readonly dv: DataView;
  constructor(
    private readonly buf: Uint8Array,
    private pos: number,
    readonly fail: Fail,
  ) {
    this.dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }
  get done(): boolean {
    return this.pos + 8 > this.buf.length;
  }
  /** Next data element; small-element format (type and size packed in the first 4 bytes) included. */
  next(): Element {
    if (this.pos + 8 > this.buf.length) this.fail('truncated data element');
    const first = this.dv.getUint32(this.pos, true);
    if (first >>> 16 !== 0) {
      const type = first & 0xffff;
      const n = first >>> 16;
      if (n > 4) this.fail('bad small data element');
      const data = this.buf.subarray(this.pos + 4, this.pos + 4 + n);
      this.pos += 8;
      return { type, data };
    }
    const n = this.dv.getUint32(this.pos + 4, true);
    const startData = this.pos + 8;
    if (startData + n > this.buf.length)
      this.fail(`truncated data element (declares ${n} bytes, ${this.buf.length - startData} remain)`);
    const data = this.buf.subarray(startData, startData + n);
    // Elements are padded to 8 bytes, except compressed ones, whose size is exact.
    this.pos = first === MI.COMPRESSED ? startData + n : Math.min(this.buf.length, startData + Math.ceil(n / 8) * 8);
    return { type: first, data };
  }
}

function numbers(el: Element, fail: Fail): Float64Array {
  const d = el.data;
  const size = ELEMENT_SIZE[el.type];
  if (size === undefined) return fail(`unsupported numeric data type ${el.type}`);
  if (d.length % size !== 0) fail(`a data element of type ${el.type} has ${d.length} bytes, not a multiple of ${size}`);
  const dv = new DataView(d.buffer, d.byteOffset, d.byteLength);
  const n = d.length / size;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const o = i * size;
    switch (el.type) {
      case MI.DOUBLE:
        out[i] = dv.getFloat64(o, true);
        break;
      case MI.SINGLE:
        out[i] = dv.getFloat32(o, true);
        break;
      case MI.INT8:
        out[i] = dv.getInt8(o);
        break;
      case MI.UINT8:
      case MI.UTF8:
        out[i] = d[o];
        break;
      case MI.INT16:
        out[i] = dv.getInt16(o, true);
        break;
      case MI.UINT16:
      case MI.UTF16:
        out[i] = dv.getUint16(o, true);
        break;
      case MI.INT32:
        out[i] = dv.getInt32(o, true);
        break;
      case MI.UINT32:
      case MI.UTF32:
        out[i] = dv.getUint32(o, true);
        break;
      case MI.INT64:
        out[i] = Number(dv.getBigInt64(o, true));
        break;
      case MI.UINT64:
        out[i] = Number(dv.getBigUint64(o, true));
        break;
    }
  }
  return out;
}

const latin1 = new TextDecoder('latin1');
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Parse one miMATRIX element. Iterative over cells (an explicit stack), so nesting depth is a checked number, not
 * the JavaScript call stack.
 */
function parseMatrix(top: Uint8Array, fail: Fail, file: string): { name: string; value: MatValue } {
  interface Frame {
    r: Reader;
    dims: number[];
    name: string;
    cells: MatValue[];
    count: number;
  }
  const stack: Frame[] = [];
  let result: { name: string; value: MatValue } | undefined;
  const finish = (name: string, value: MatValue): void => {
    const parent = stack[stack.length - 1];
    if (parent) parent.cells.push(value);
    else result = { name, value };
  };
  /** Parse the header of a matrix; returns a frame when it is a cell array whose cells remain to be read. */
  const open = (data: Uint8Array): Frame | undefined => {
    if (data.length === 0) {
      finish('', { kind: 'numeric', dims: [0, 0], data: new Float64Array(0), logical: false });
      return undefined;
    }
    const r = new Reader(data, 0, fail);
    const flags = r.next();
    if (flags.data.length < 4) fail('array flags shorter than 4 bytes');
    const flagWord = new DataView(flags.data.buffer, flags.data.byteOffset, 4).getUint32(0, true);
    const cls = flagWord & 0xff;
    const flagBits = (flagWord >>> 8) & 0xff;
    const dims = Array.from(numbers(r.next(), fail));
    if (dims.length < 2 || dims.length > 32 || !dims.every((d) => Number.isSafeInteger(d) && d >= 0))
      fail('invalid array dimensions');
    let count = 1;
    for (const d of dims) count *= d;
    if (!Number.isSafeInteger(count)) fail(`array dimensions ${dims.slice(0, 4).join('×')} are too large`);
    const arrayName = latin1.decode(r.next().data);
    if (cls === MX.CELL) {
      // Each cell is at least an 8-byte element: a count the data cannot hold is refused before the loop.
      if (count * 8 > data.length)
        fail(`cell array ${quote(arrayName)} declares ${count} cells in ${data.length} bytes`);
      return { r, dims, name: arrayName, cells: [], count };
    }
    if (cls === MX.CHAR) {
      const el = r.next();
      let codes: number[];
      if (el.type === MI.UTF8) {
        let text: string;
        try {
          text = utf8.decode(el.data);
        } catch {
          return fail(`char array ${quote(arrayName)} is not valid UTF-8`);
        }
        codes = Array.from(text, (c) => c.codePointAt(0)!);
      } else codes = Array.from(numbers(el, fail));
      if (codes.length !== count)
        fail(`char array ${quote(arrayName)} has ${codes.length} characters for dims ${dims.join('×')}`);
      for (const c of codes)
        if (!Number.isInteger(c) || c < 0 || c > 0x10ffff)
          fail(`char array ${quote(arrayName)} holds an invalid code point`);
      const m = dims[0];
      const n = m === 0 ? 0 : count / m;
      const rows: string[] = [];
      for (let i = 0; i < m; i++) {
        const row: number[] = [];
        for (let j = 0; j < n; j++) row.push(codes[j * m + i]);
        rows.push(fromCodes(row));
      }
      finish(arrayName, { kind: 'char', dims, rows });
      return undefined;
    }
    if (NUMERIC_CLASSES.has(cls)) {
      const real = numbers(r.next(), fail);
      if (real.length !== count) fail(`array ${quote(arrayName)} has ${real.length} values for dims ${dims.join('×')}`);
      // Imaginary parts (flag 0x08) are ignored: score files are real.
      finish(arrayName, { kind: 'numeric', dims, data: real, logical: (flagBits & 0x02) !== 0 });
      return undefined;
    }
    finish(arrayName, { kind: 'unsupported', dims, matlabClass: cls });
    return undefined;
  };

  const first = open(top);
  if (first) stack.push(first);
  while (stack.length > 0) {
    const f = stack[stack.length - 1];
    if (f.cells.length === f.count) {
      stack.pop();
      finish(f.name, { kind: 'cell', dims: f.dims, cells: f.cells });
      continue;
    }
    const el = f.r.next();
    if (el.type !== MI.MATRIX) fail('cell element is not a matrix');
    const child = open(el.data);
    if (child) {
      if (stack.length >= MAX_MAT_DEPTH) {
        throw new LimitError(`${file}: cell arrays nested deeper than ${MAX_MAT_DEPTH} levels (MAX_MAT_DEPTH)`, {
          limit: 'MAX_MAT_DEPTH',
        });
      }
      stack.push(child);
    }
  }
  return result!;
}

function fromCodes(codes: number[]): string {
  let s = '';
  for (let i = 0; i < codes.length; i += 65536) s += String.fromCodePoint(...codes.slice(i, i + 65536));
  return s;
}

/** Parse a MAT v5 file's bytes into its named variables. `name` names the file in messages. */
export function parseMat5(buf: Uint8Array, name = 'MAT-file'): Map<string, MatValue> {
  const fail: Fail = (msg) => {
    throw new DataError(`${name}: ${msg}`);
  };
  if (buf.length < 128) fail('too short for a MAT-file');
  const endian = latin1.decode(buf.subarray(126, 128));
  if (endian !== 'IM') {
    const head = latin1.decode(buf.subarray(0, 8));
    if (head.startsWith('\x89HDF')) fail('MATLAB v7.3 (HDF5) files are not supported; save with -v7');
    fail(endian === 'MI' ? 'big-endian MAT-files are not supported' : 'not a MAT v5 file');
  }
  const vars = new Map<string, MatValue>();
  const r = new Reader(buf, 128, fail);
  let inflated = 0;
  while (!r.done) {
    let el = r.next();
    if (el.type === MI.COMPRESSED) {
      const cap = Math.min(MAX_MAT_INFLATED_BYTES - inflated, el.data.length * MAX_DEFLATE_RATIO + 1024);
      let raw: Uint8Array;
      try {
        raw = inflateCapped(el.data, { zlib: true, cap });
      } catch (err) {
        if (err instanceof InflateFailure && err.kind === 'limit') {
          throw new LimitError(
            `${name}: a compressed element inflates past the limit of ${MAX_MAT_INFLATED_BYTES} bytes (MAX_MAT_INFLATED_BYTES)`,
            { limit: 'MAX_MAT_INFLATED_BYTES' },
          );
        }
        return fail(`corrupt compressed element (${err instanceof Error ? err.message : 'inflate failed'})`);
      }
      inflated += raw.length;
      el = new Reader(raw, 0, fail).next();
    }
    if (el.type !== MI.MATRIX) continue;
    const { name: varName, value } = parseMatrix(el.data, fail, name);
    vars.set(varName, value);
  }
  return vars;
}

export function readMat5(path: string): Map<string, MatValue> {
  let buf: Buffer;
  try {
    const st = statSync(path);
    if (!st.isFile()) throw new DataError(`${path} is not a regular file`, { path });
    const size = st.size;
    if (size > MAX_MAT_FILE_BYTES)
      throw new LimitError(
        `${path} is ${size} bytes, more than the limit of ${MAX_MAT_FILE_BYTES} (MAX_MAT_FILE_BYTES)`,
        { path, limit: 'MAX_MAT_FILE_BYTES' },
      );
    buf = readFileSync(path);
  } catch (err) {
    if (err instanceof LimitError || err instanceof DataError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new DataError(`cannot read ${path}: ${code ?? quote((err as Error).message)}`, {
      code: code === 'ENOENT' ? 'DATA_NOT_FOUND' : 'DATA_INVALID',
      path,
    });
  }
  return parseMat5(new Uint8Array(buf.buffer, buf.byteOffset, buf.length), path);
}

/** A numeric variable as a flat float64 vector (column-major), or a one-line error. */
export function matNumbers(vars: Map<string, MatValue>, name: string, file: string): Float64Array {
  const v = vars.get(name);
  if (!v || v.kind !== 'numeric') throw new DataError(`${file}: no numeric variable "${name}"`);
  return v.data;
}

/** A cell array of strings (each cell a 1×N char array), or a one-line error. */
export function matStrings(vars: Map<string, MatValue>, name: string, file: string): string[] {
  const v = vars.get(name);
  if (!v || v.kind !== 'cell') throw new DataError(`${file}: no cell array "${name}"`);
  return v.cells.map((c, i) => {
    if (c.kind !== 'char') throw new DataError(`${file}: ${name}{${i + 1}} is not a char array`);
    return c.rows.join('').trim();
  });
}
