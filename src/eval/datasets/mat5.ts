/**
 * Minimal reader for MATLAB Level 5 MAT-files (the v5/v6/v7 format; not the HDF5-based v7.3): numeric and logical
 * arrays (returned as float64, column-major), char arrays, cell arrays, and miCOMPRESSED elements (zlib).
 * Enough for dataset score files such as LIVE's dmos_realigned.mat / refnames_all.mat. Little-endian files only.
 */
import { readFileSync } from 'node:fs';
import { inflateSync } from 'node:zlib';
import { DeepSSIMError } from '../../errors.js';

export type MatValue =
  | { kind: 'numeric'; dims: number[]; data: Float64Array; logical: boolean }
  | { kind: 'char'; dims: number[]; /** One string per row. */ rows: string[] }
  | { kind: 'cell'; dims: number[]; /** Column-major. */ cells: MatValue[] }
  | { kind: 'unsupported'; dims: number[]; matlabClass: number };

// Data types (miXXX) and array classes (mxXXX) from the MAT-file format specification.
const MI = { INT8: 1, UINT8: 2, INT16: 3, UINT16: 4, INT32: 5, UINT32: 6, SINGLE: 7, DOUBLE: 9, INT64: 12, UINT64: 13, MATRIX: 14, COMPRESSED: 15, UTF8: 16, UTF16: 17, UTF32: 18 };
const MX = { CELL: 1, CHAR: 4 };
const NUMERIC_CLASSES = new Set([6, 7, 8, 9, 10, 11, 12, 13, 14, 15]);

interface Element {
  type: number;
  data: Buffer;
}

class Reader {
  constructor(
    private readonly buf: Buffer,
    private pos = 0,
    private readonly name = 'MAT-file',
  ) {}
  get done(): boolean {
    return this.pos + 8 > this.buf.length;
  }
  fail(msg: string): never {
    throw new DeepSSIMError(`${this.name}: ${msg}`);
  }
  /** Next data element; small-element format (type and size packed in the first 4 bytes) included. */
  next(): Element {
    if (this.pos + 8 > this.buf.length) this.fail('truncated data element');
    const first = this.buf.readUInt32LE(this.pos);
    if (first >>> 16 !== 0) {
      const type = first & 0xffff;
      const n = first >>> 16;
      if (n > 4) this.fail('bad small data element');
      const data = this.buf.subarray(this.pos + 4, this.pos + 4 + n);
      this.pos += 8;
      return { type, data };
    }
    const n = this.buf.readUInt32LE(this.pos + 4);
    const startData = this.pos + 8;
    if (startData + n > this.buf.length) this.fail('truncated data element');
    const data = this.buf.subarray(startData, startData + n);
    // Elements are padded to 8 bytes, except compressed ones, whose size is exact.
    this.pos = first === MI.COMPRESSED ? startData + n : startData + Math.ceil(n / 8) * 8;
    return { type: first, data };
  }
}

function numbers(el: Element, fail: (m: string) => never): Float64Array {
  const d = el.data;
  const view = (bytes: number) => d.length / bytes;
  switch (el.type) {
    case MI.DOUBLE: {
      const out = new Float64Array(view(8));
      for (let i = 0; i < out.length; i++) out[i] = d.readDoubleLE(i * 8);
      return out;
    }
    case MI.SINGLE:
      return Float64Array.from({ length: view(4) }, (_, i) => d.readFloatLE(i * 4));
    case MI.INT8:
      return Float64Array.from({ length: d.length }, (_, i) => d.readInt8(i));
    case MI.UINT8:
    case MI.UTF8:
      return Float64Array.from(d);
    case MI.INT16:
      return Float64Array.from({ length: view(2) }, (_, i) => d.readInt16LE(i * 2));
    case MI.UINT16:
    case MI.UTF16:
      return Float64Array.from({ length: view(2) }, (_, i) => d.readUInt16LE(i * 2));
    case MI.INT32:
      return Float64Array.from({ length: view(4) }, (_, i) => d.readInt32LE(i * 4));
    case MI.UINT32:
    case MI.UTF32:
      return Float64Array.from({ length: view(4) }, (_, i) => d.readUInt32LE(i * 4));
    case MI.INT64:
      return Float64Array.from({ length: view(8) }, (_, i) => Number(d.readBigInt64LE(i * 8)));
    case MI.UINT64:
      return Float64Array.from({ length: view(8) }, (_, i) => Number(d.readBigUInt64LE(i * 8)));
    default:
      return fail(`unsupported numeric data type ${el.type}`);
  }
}

function parseMatrix(data: Buffer, name: string): { name: string; value: MatValue } {
  const r = new Reader(data, 0, name);
  if (data.length === 0) return { name: '', value: { kind: 'numeric', dims: [0, 0], data: new Float64Array(0), logical: false } };
  const flags = r.next();
  const cls = flags.data.readUInt32LE(0) & 0xff;
  const flagBits = (flags.data.readUInt32LE(0) >>> 8) & 0xff;
  const dims = Array.from(numbers(r.next(), (m) => r.fail(m)));
  const arrayName = r.next().data.toString('latin1');
  const count = dims.reduce((a, b) => a * b, 1);
  if (cls === MX.CELL) {
    const cells: MatValue[] = [];
    for (let i = 0; i < count; i++) {
      const el = r.next();
      if (el.type !== MI.MATRIX) r.fail('cell element is not a matrix');
      cells.push(parseMatrix(el.data, name).value);
    }
    return { name: arrayName, value: { kind: 'cell', dims, cells } };
  }
  if (cls === MX.CHAR) {
    const el = r.next();
    let codes: number[];
    if (el.type === MI.UTF8) codes = Array.from(el.data.toString('utf8'), (c) => c.codePointAt(0)!);
    else codes = Array.from(numbers(el, (m) => r.fail(m)));
    const [m, n] = [dims[0] ?? 0, dims.slice(1).reduce((a, b) => a * b, 1)];
    const rows: string[] = [];
    for (let i = 0; i < m; i++) {
      let s = '';
      for (let j = 0; j < n; j++) s += String.fromCodePoint(codes[j * m + i] ?? 32);
      rows.push(s);
    }
    return { name: arrayName, value: { kind: 'char', dims, rows } };
  }
  if (NUMERIC_CLASSES.has(cls)) {
    const real = numbers(r.next(), (m) => r.fail(m));
    if (real.length !== count) r.fail(`array ${arrayName} has ${real.length} values for dims ${dims.join('×')}`);
    // Imaginary parts (flag 0x08) are ignored: score files are real.
    return { name: arrayName, value: { kind: 'numeric', dims, data: real, logical: (flagBits & 0x02) !== 0 } };
  }
  return { name: arrayName, value: { kind: 'unsupported', dims, matlabClass: cls } };
}

/** Parse a MAT v5 file's bytes into its named variables. */
export function parseMat5(buf: Buffer, name = 'MAT-file'): Map<string, MatValue> {
  if (buf.length < 128) throw new DeepSSIMError(`${name}: too short for a MAT-file`);
  const endian = buf.toString('latin1', 126, 128);
  if (endian !== 'IM') {
    const head = buf.toString('latin1', 0, 8);
    if (head.startsWith('\x89HDF')) throw new DeepSSIMError(`${name}: MATLAB v7.3 (HDF5) files are not supported; save with -v7`);
    throw new DeepSSIMError(endian === 'MI' ? `${name}: big-endian MAT-files are not supported` : `${name}: not a MAT v5 file`);
  }
  const vars = new Map<string, MatValue>();
  const r = new Reader(buf, 128, name);
  while (!r.done) {
    let el = r.next();
    if (el.type === MI.COMPRESSED) {
      let raw: Buffer;
      try {
        raw = inflateSync(el.data);
      } catch (err) {
        throw new DeepSSIMError(`${name}: corrupt compressed element (${(err as Error).message})`);
      }
      el = new Reader(raw, 0, name).next();
    }
    if (el.type !== MI.MATRIX) continue;
    const { name: varName, value } = parseMatrix(el.data, name);
    vars.set(varName, value);
  }
  return vars;
}

export function readMat5(path: string): Map<string, MatValue> {
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch (err) {
    throw new DeepSSIMError(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return parseMat5(buf, path);
}

/** A numeric variable as a flat float64 vector (column-major), or a one-line error. */
export function matNumbers(vars: Map<string, MatValue>, name: string, file: string): Float64Array {
  const v = vars.get(name);
  if (!v || v.kind !== 'numeric') throw new DeepSSIMError(`${file}: no numeric variable "${name}"`);
  return v.data;
}

/** A cell array of strings (each cell a 1×N char array), or a one-line error. */
export function matStrings(vars: Map<string, MatValue>, name: string, file: string): string[] {
  const v = vars.get(name);
  if (!v || v.kind !== 'cell') throw new DeepSSIMError(`${file}: no cell array "${name}"`);
  return v.cells.map((c, i) => {
    if (c.kind !== 'char') throw new DeepSSIMError(`${file}: ${name}{${i + 1}} is not a char array`);
    return c.rows.join('').trim();
  });
}
