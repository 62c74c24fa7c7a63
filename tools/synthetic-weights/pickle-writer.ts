/**
 * Minimal protocol-2 pickle encoder for test tooling: just enough to write PyTorch state dicts that
 * `torch.load` accepts (checked by tools/reference/check_synthetic_weights.py). No memo is used.
 */

export type PValue =
  | null
  | boolean
  | number // integers only (use PFloat for floats)
  | bigint
  | string
  | PValue[]
  | { readonly t: 'float'; readonly v: number }
  | { readonly t: 'tuple'; readonly items: readonly PValue[] }
  | { readonly t: 'dict'; readonly entries: readonly (readonly [PValue, PValue])[] }
  | {
      readonly t: 'odict';
      readonly entries: readonly (readonly [PValue, PValue])[];
      readonly attrs?: readonly (readonly [string, PValue])[];
    }
  | { readonly t: 'global'; readonly module: string; readonly name: string }
  | { readonly t: 'reduce'; readonly fn: PValue; readonly args: readonly PValue[] }
  | { readonly t: 'persid'; readonly pid: PValue };

export const tuple = (...items: PValue[]): PValue => ({ t: 'tuple', items });
export const global = (module: string, name: string): PValue => ({ t: 'global', module, name });
export const reduce = (fn: PValue, ...args: PValue[]): PValue => ({ t: 'reduce', fn, args });

class Out {
  private chunks: Buffer[] = [];
  byte(...b: number[]): void {
    this.chunks.push(Buffer.from(b));
  }
  buf(b: Buffer): void {
    this.chunks.push(b);
  }
  done(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

function encodeLong(v: bigint): Buffer {
  const bytes: number[] = [];
  let x = v;
  // Little-endian two's complement, minimal length (Python's encode_long).
  for (;;) {
    bytes.push(Number(x & 0xffn));
    x >>= 8n;
    const sign = bytes[bytes.length - 1] & 0x80;
    if ((x === 0n && !sign) || (x === -1n && sign)) break;
  }
  return Buffer.from(bytes);
}

function write(o: Out, v: PValue): void {
  if (v === null) return o.byte(0x4e);
  if (v === true) return o.byte(0x88);
  if (v === false) return o.byte(0x89);
  if (typeof v === 'bigint') {
    const b = encodeLong(v);
    o.byte(0x8a, b.length);
    return o.buf(b);
  }
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v)) throw new Error(`pickle writer: ${v} is not an integer (wrap floats)`);
    if (v >= 0 && v < 256) return o.byte(0x4b, v);
    if (v >= 0 && v < 65536) return o.byte(0x4d, v & 0xff, v >> 8);
    if (v >= -(2 ** 31) && v < 2 ** 31) {
      const b = Buffer.alloc(5);
      b[0] = 0x4a;
      b.writeInt32LE(v, 1);
      return o.buf(b);
    }
    return write(o, BigInt(v));
  }
  if (typeof v === 'string') {
    const s = Buffer.from(v, 'utf8');
    const h = Buffer.alloc(5);
    h[0] = 0x58;
    h.writeUInt32LE(s.length, 1);
    o.buf(h);
    return o.buf(s);
  }
  if (Array.isArray(v)) {
    o.byte(0x5d);
    if (v.length === 0) return;
    o.byte(0x28);
    for (const x of v) write(o, x);
    return o.byte(0x65);
  }
  switch (v.t) {
    case 'float': {
      const b = Buffer.alloc(9);
      b[0] = 0x47;
      b.writeDoubleBE(v.v, 1);
      return o.buf(b);
    }
    case 'tuple':
      if (v.items.length === 0) return o.byte(0x29);
      if (v.items.length <= 3) {
        for (const x of v.items) write(o, x);
        return o.byte([0x85, 0x86, 0x87][v.items.length - 1]);
      }
      o.byte(0x28);
      for (const x of v.items) write(o, x);
      return o.byte(0x74);
    case 'dict':
    case 'odict':
      if (v.t === 'dict') o.byte(0x7d);
      else {
        write(o, global('collections', 'OrderedDict'));
        o.byte(0x29, 0x52);
      }
      if (v.entries.length > 0) {
        o.byte(0x28);
        for (const [k, x] of v.entries) {
          write(o, k);
          write(o, x);
        }
        o.byte(0x75);
      }
      if (v.t === 'odict' && v.attrs) {
        write(o, { t: 'dict', entries: v.attrs });
        o.byte(0x62);
      }
      return;
    case 'global':
      o.byte(0x63);
      return o.buf(Buffer.from(`${v.module}\n${v.name}\n`, 'latin1'));
    case 'reduce':
      write(o, v.fn);
      write(o, { t: 'tuple', items: v.args });
      return o.byte(0x52);
    case 'persid':
      write(o, v.pid);
      return o.byte(0x51);
  }
}

/** A complete pickle (PROTO 2 … STOP) of `v`. */
export function pickle(v: PValue): Buffer {
  const o = new Out();
  o.byte(0x80, 0x02);
  write(o, v);
  o.byte(0x2e);
  return o.done();
}
