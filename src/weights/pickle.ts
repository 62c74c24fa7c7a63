/**
 * A restricted Python unpickler: it understands the binary opcodes (protocols 2–5) a state dict of tensors
 * needs and builds plain data. Globals are looked up in a caller-supplied allow-list; REDUCE/NEWOBJ/BUILD only
 * work on allow-listed data constructors. Nothing from the file is ever executed, and anything else — an unknown
 * global such as `os.system`, REDUCE of a non-allow-listed value, an unsupported opcode — is refused with a
 * WeightsError naming it (code WEIGHTS_UNSAFE).
 *
 * Work is bounded by the input: the machine is a loop (no recursion), every length is checked against the bytes
 * left before anything is read, integers decode in linear time and are capped (MAX_PICKLE_LONG_BYTES), and the
 * number of objects built and memo entries are capped (MAX_PICKLE_OBJECTS, MAX_PICKLE_MEMO) so a small pickle of
 * one-byte opcodes cannot build gigabytes of containers.
 */
import { LimitError, WeightsError, quote } from '../errors.js';
import { nameOf } from '../util/names.js';
import { MAX_PICKLE_LONG_BYTES, MAX_PICKLE_MEMO, MAX_PICKLE_OBJECTS } from '../limits.js';

/** A Python tuple (kept distinct from lists so persistent ids and constructor arguments are recognisable). */
export class PyTuple {
  constructor(readonly items: readonly unknown[]) {}
}

/** A Python dict / OrderedDict. `attrs` holds instance attributes set by BUILD (e.g. a state dict's `_metadata`). */
export class PyDict {
  readonly map = new Map<unknown, unknown>();
  attrs?: Map<string, unknown>;
  constructor(readonly className: string = 'dict') {}
}

/**
 * An allow-listed global. Plain values (dtypes, storage types) need neither hook; constructors implement `call`
 * (REDUCE) and/or `construct` (NEWOBJ). Both must build data only.
 */
export interface PickleGlobal {
  readonly qualname: string;
  call?(args: readonly unknown[]): unknown;
  construct?(args: readonly unknown[]): unknown;
}

/** An object BUILD may update: it receives the state and returns the object to keep on the stack. */
export interface PickleBuildable {
  pickleBuild(state: unknown): unknown;
}

export interface UnpickleOptions {
  /** `module.name` → allow-listed global. Everything else is refused. */
  readonly globals: ReadonlyMap<string, PickleGlobal>;
  /** Handler for BINPERSID (PyTorch storages); refused when absent. */
  readonly persistentLoad?: (pid: unknown) => unknown;
  /** Prefix for error messages, e.g. `weights file x.pth`. */
  readonly source: string;
}

/** Thrown when the pickle runs past the end of the buffer: the caller may retry with more bytes, or report truncation. */
export class PickleEOFError extends WeightsError {
  constructor(
    source: string,
    readonly needed: number,
  ) {
    super(`${source} is truncated: the pickle data ends unexpectedly`);
    this.name = 'PickleEOFError';
  }
}

const OPCODE_NAMES: Record<number, string> = {
  0x28: 'MARK',
  0x2e: 'STOP',
  0x30: 'POP',
  0x31: 'POP_MARK',
  0x32: 'DUP',
  0x46: 'FLOAT',
  0x49: 'INT',
  0x4a: 'BININT',
  0x4b: 'BININT1',
  0x4c: 'LONG',
  0x4d: 'BININT2',
  0x4e: 'NONE',
  0x50: 'PERSID',
  0x51: 'BINPERSID',
  0x52: 'REDUCE',
  0x53: 'STRING',
  0x54: 'BINSTRING',
  0x55: 'SHORT_BINSTRING',
  0x56: 'UNICODE',
  0x58: 'BINUNICODE',
  0x61: 'APPEND',
  0x62: 'BUILD',
  0x63: 'GLOBAL',
  0x64: 'DICT',
  0x7d: 'EMPTY_DICT',
  0x65: 'APPENDS',
  0x67: 'GET',
  0x68: 'BINGET',
  0x69: 'INST',
  0x6a: 'LONG_BINGET',
  0x6c: 'LIST',
  0x5d: 'EMPTY_LIST',
  0x6f: 'OBJ',
  0x70: 'PUT',
  0x71: 'BINPUT',
  0x72: 'LONG_BINPUT',
  0x73: 'SETITEM',
  0x74: 'TUPLE',
  0x29: 'EMPTY_TUPLE',
  0x75: 'SETITEMS',
  0x47: 'BINFLOAT',
  0x80: 'PROTO',
  0x81: 'NEWOBJ',
  0x82: 'EXT1',
  0x83: 'EXT2',
  0x84: 'EXT4',
  0x85: 'TUPLE1',
  0x86: 'TUPLE2',
  0x87: 'TUPLE3',
  0x88: 'NEWTRUE',
  0x89: 'NEWFALSE',
  0x8a: 'LONG1',
  0x8b: 'LONG4',
  0x42: 'BINBYTES',
  0x43: 'SHORT_BINBYTES',
  0x8c: 'SHORT_BINUNICODE',
  0x8d: 'BINUNICODE8',
  0x8e: 'BINBYTES8',
  0x8f: 'EMPTY_SET',
  0x90: 'ADDITEMS',
  0x91: 'FROZENSET',
  0x92: 'NEWOBJ_EX',
  0x93: 'STACK_GLOBAL',
  0x94: 'MEMOIZE',
  0x95: 'FRAME',
  0x96: 'BYTEARRAY8',
  0x97: 'NEXT_BUFFER',
  0x98: 'READONLY_BUFFER',
};

const utf8 = new TextDecoder('utf-8', { fatal: true });
const latin1 = new TextDecoder('latin1');

/** Short description of an unpickled value for error messages. */
export function describePyValue(v: unknown): string {
  if (v === null) return 'None';
  if (v instanceof PyTuple) return 'a tuple';
  if (v instanceof PyDict) return `a ${v.className}`;
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object' && v !== null && 'qualname' in v) return `global ${(v as PickleGlobal).qualname}`;
  if (typeof v === 'string') return `the string ${quote(v, 40)}`;
  return typeof v;
}

/**
 * Unpickle one pickle starting at `start`. Returns the value and the offset just after its STOP opcode.
 * Throws PickleEOFError if `buf` ends before STOP.
 */
export function unpickle(buf: Uint8Array, start: number, opts: UnpickleOptions): { value: unknown; end: number } {
  const src = opts.source;
  const fail = (msg: string): never => {
    throw new WeightsError(`${src}: ${msg}`);
  };
  const unsafe = (msg: string): never => {
    throw new WeightsError(`${src}: ${msg}`, { code: 'WEIGHTS_UNSAFE' });
  };
  let objects = 0;
  /** Count one container/string built; refuse pickles that build more than any state dict needs. */
  const made = <T>(v: T): T => {
    if (++objects > MAX_PICKLE_OBJECTS) {
      throw new LimitError(`${src}: the pickle builds more than ${MAX_PICKLE_OBJECTS} objects (MAX_PICKLE_OBJECTS)`, {
        limit: 'MAX_PICKLE_OBJECTS',
      });
    }
    return v;
  };
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let pos = start;
  const need = (n: number): void => {
    if (n < 0) fail('malformed pickle (negative length)');
    if (pos + n > buf.length) throw new PickleEOFError(src, pos + n);
  };
  const readBytes = (n: number): Uint8Array => {
    need(n);
    const out = buf.subarray(pos, pos + n);
    pos += n;
    return out;
  };
  const readLine = (): string => {
    const nl = buf.indexOf(0x0a, pos);
    if (nl < 0) throw new PickleEOFError(src, buf.length + 1);
    const s = latin1.decode(buf.subarray(pos, nl));
    pos = nl + 1;
    return s;
  };
  const readU64 = (): number => {
    need(8);
    const v = dv.getBigUint64(pos, true);
    pos += 8;
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) fail(`pickle length ${v} is too large`);
    return Number(v);
  };
  const decodeText = (bytes: Uint8Array): string => {
    try {
      return utf8.decode(bytes);
    } catch {
      return fail('invalid UTF-8 in a pickled string');
    }
  };

  let stack: unknown[] = [];
  const metastack: unknown[][] = [];
  const memo = new Map<number, unknown>();
  const memoSet = (i: number, v: unknown): void => {
    if (!memo.has(i) && memo.size >= MAX_PICKLE_MEMO) {
      throw new LimitError(`${src}: the pickle memoises more than ${MAX_PICKLE_MEMO} values (MAX_PICKLE_MEMO)`, {
        limit: 'MAX_PICKLE_MEMO',
      });
    }
    memo.set(i, v);
  };
  const pop = (): unknown => {
    if (stack.length === 0) fail('malformed pickle (stack underflow)');
    return stack.pop();
  };
  const top = (): unknown => {
    if (stack.length === 0) fail('malformed pickle (stack underflow)');
    return stack[stack.length - 1];
  };
  const popMark = (): unknown[] => {
    const items = stack;
    const prev = metastack.pop();
    if (prev === undefined) fail('malformed pickle (MARK missing)');
    stack = prev!;
    return items;
  };
  const memoGet = (i: number): void => {
    if (!memo.has(i)) fail(`malformed pickle (memo entry ${i} missing)`);
    stack.push(memo.get(i));
  };
  const resolveGlobal = (module: string, name: string): void => {
    const qualname = `${module}.${name}`;
    const g = opts.globals.get(qualname);
    if (!g) {
      unsafe(
        `refusing to load global ${nameOf(qualname)}: not in the allow-list of tensor types (nothing was executed)`,
      );
    }
    stack.push(g);
  };
  const asDict = (v: unknown, op: string): PyDict => {
    if (!(v instanceof PyDict)) fail(`${op} on ${describePyValue(v)} is not supported`);
    return v as PyDict;
  };
  const asList = (v: unknown, op: string): unknown[] => {
    if (!Array.isArray(v)) fail(`${op} on ${describePyValue(v)} is not supported`);
    return v as unknown[];
  };

  for (;;) {
    const opPos = pos;
    need(1);
    const op = buf[pos++];
    switch (op) {
      case 0x80: {
        // PROTO
        need(1);
        const proto = buf[pos++];
        if (proto < 2 || proto > 5) fail(`unsupported pickle protocol ${proto}`);
        break;
      }
      case 0x95: // FRAME: framing is only a read-ahead hint; we have random access.
        readU64();
        break;
      case 0x2e: // STOP
        if (metastack.length !== 0 || stack.length !== 1) fail('malformed pickle (unbalanced stack at STOP)');
        return { value: stack[0], end: pos };
      case 0x28: // MARK
        made(0);
        metastack.push(stack);
        stack = [];
        break;
      case 0x30:
        pop();
        break; // POP
      case 0x31:
        popMark();
        break; // POP_MARK
      case 0x32:
        stack.push(top());
        break; // DUP
      case 0x4e:
        stack.push(null);
        break; // NONE
      case 0x88:
        stack.push(true);
        break; // NEWTRUE
      case 0x89:
        stack.push(false);
        break; // NEWFALSE
      case 0x4a:
        need(4);
        stack.push(dv.getInt32(pos, true));
        pos += 4;
        break; // BININT
      case 0x4b:
        need(1);
        stack.push(buf[pos++]);
        break; // BININT1
      case 0x4d:
        need(2);
        stack.push(dv.getUint16(pos, true));
        pos += 2;
        break; // BININT2
      case 0x8a: {
        // LONG1
        need(1);
        const n = buf[pos++];
        stack.push(decodeLong(readBytes(n), src));
        break;
      }
      case 0x8b: {
        // LONG4
        need(4);
        const n = dv.getInt32(pos, true);
        pos += 4;
        if (n < 0) fail('malformed pickle (negative LONG4 length)');
        need(n);
        stack.push(decodeLong(readBytes(n), src));
        break;
      }
      case 0x47:
        need(8);
        stack.push(dv.getFloat64(pos, false));
        pos += 8;
        break; // BINFLOAT (big-endian)
      case 0x8c: {
        need(1);
        const n = buf[pos++];
        stack.push(made(decodeText(readBytes(n))));
        break;
      } // SHORT_BINUNICODE
      case 0x58: {
        need(4);
        const n = dv.getUint32(pos, true);
        pos += 4;
        stack.push(made(decodeText(readBytes(n))));
        break;
      } // BINUNICODE
      case 0x8d: {
        const n = readU64();
        stack.push(made(decodeText(readBytes(n))));
        break;
      } // BINUNICODE8
      // Python 2 `str` (old files): torch.load decodes these as UTF-8 too.
      case 0x55: {
        need(1);
        const n = buf[pos++];
        stack.push(made(decodeText(readBytes(n))));
        break;
      } // SHORT_BINSTRING
      case 0x54: {
        need(4);
        const n = dv.getInt32(pos, true);
        pos += 4;
        stack.push(made(decodeText(readBytes(n))));
        break;
      } // BINSTRING
      case 0x43: {
        need(1);
        const n = buf[pos++];
        stack.push(made(readBytes(n).slice()));
        break;
      } // SHORT_BINBYTES
      case 0x42: {
        need(4);
        const n = dv.getUint32(pos, true);
        pos += 4;
        stack.push(made(readBytes(n).slice()));
        break;
      } // BINBYTES
      case 0x8e: {
        const n = readU64();
        stack.push(made(readBytes(n).slice()));
        break;
      } // BINBYTES8
      case 0x7d:
        stack.push(made(new PyDict()));
        break; // EMPTY_DICT
      case 0x5d:
        stack.push(made([]));
        break; // EMPTY_LIST
      case 0x29:
        stack.push(made(new PyTuple([])));
        break; // EMPTY_TUPLE
      case 0x74: {
        const items = popMark();
        stack.push(made(new PyTuple(items)));
        break;
      } // TUPLE (popMark swaps `stack`: call it first)
      case 0x85: {
        const a = pop();
        stack.push(made(new PyTuple([a])));
        break;
      } // TUPLE1
      case 0x86: {
        const b = pop();
        const a = pop();
        stack.push(made(new PyTuple([a, b])));
        break;
      } // TUPLE2
      case 0x87: {
        const c = pop();
        const b = pop();
        const a = pop();
        stack.push(made(new PyTuple([a, b, c])));
        break;
      } // TUPLE3
      case 0x6c: {
        const items = popMark();
        stack.push(items);
        break;
      } // LIST
      case 0x64: {
        // DICT
        const items = popMark();
        const d = made(new PyDict());
        if (items.length % 2 !== 0) fail('malformed pickle (odd DICT)');
        for (let i = 0; i + 1 < items.length; i += 2) d.map.set(items[i], items[i + 1]);
        stack.push(d);
        break;
      }
      case 0x73: {
        // SETITEM
        const v = pop();
        const k = pop();
        asDict(top(), 'SETITEM').map.set(k, v);
        break;
      }
      case 0x75: {
        // SETITEMS
        const items = popMark();
        const d = asDict(top(), 'SETITEMS');
        if (items.length % 2 !== 0) fail('malformed pickle (odd SETITEMS)');
        for (let i = 0; i < items.length; i += 2) d.map.set(items[i], items[i + 1]);
        break;
      }
      case 0x61: {
        const v = pop();
        asList(top(), 'APPEND').push(v);
        break;
      } // APPEND
      case 0x65: {
        const items = popMark();
        const l = asList(top(), 'APPENDS');
        for (const x of items) l.push(x);
        break;
      } // APPENDS
      case 0x71: {
        need(1);
        memoSet(buf[pos++], top());
        break;
      } // BINPUT
      case 0x72: {
        need(4);
        memoSet(dv.getUint32(pos, true), top());
        pos += 4;
        break;
      } // LONG_BINPUT
      case 0x94:
        memoSet(memo.size, top());
        break; // MEMOIZE
      case 0x68: {
        need(1);
        memoGet(buf[pos++]);
        break;
      } // BINGET
      case 0x6a: {
        need(4);
        const i = dv.getUint32(pos, true);
        pos += 4;
        memoGet(i);
        break;
      } // LONG_BINGET
      case 0x63: {
        // GLOBAL
        const module = readLine();
        const name = readLine();
        resolveGlobal(module, name);
        break;
      }
      case 0x93: {
        // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string')
          fail('malformed pickle (STACK_GLOBAL needs two strings)');
        resolveGlobal(module as string, name as string);
        break;
      }
      case 0x52: {
        // REDUCE
        const args = pop();
        const fn = pop();
        const g = fn as PickleGlobal | null;
        if (!g || typeof g !== 'object' || !('qualname' in g) || typeof g.call !== 'function') {
          unsafe(`refusing REDUCE on ${describePyValue(fn)}: only allow-listed tensor constructors may be called`);
        }
        if (!(args instanceof PyTuple)) fail(`malformed pickle (REDUCE arguments for ${g!.qualname} are not a tuple)`);
        stack.push(made(g!.call!((args as PyTuple).items)));
        break;
      }
      case 0x81: {
        // NEWOBJ
        const args = pop();
        const cls = pop();
        const g = cls as PickleGlobal | null;
        if (!g || typeof g !== 'object' || !('qualname' in g) || typeof g.construct !== 'function') {
          unsafe(`refusing NEWOBJ on ${describePyValue(cls)}: only allow-listed tensor types may be instantiated`);
        }
        if (!(args instanceof PyTuple)) fail('malformed pickle (NEWOBJ arguments are not a tuple)');
        stack.push(made(g!.construct!((args as PyTuple).items)));
        break;
      }
      case 0x62: {
        // BUILD
        const state = pop();
        const obj = top();
        if (obj instanceof PyDict) {
          buildDictAttrs(obj, state, fail);
        } else if (obj && typeof obj === 'object' && typeof (obj as PickleBuildable).pickleBuild === 'function') {
          stack[stack.length - 1] = (obj as PickleBuildable).pickleBuild(state);
        } else {
          unsafe(`refusing BUILD on ${describePyValue(obj)}`);
        }
        break;
      }
      case 0x51: {
        // BINPERSID
        const pid = pop();
        if (!opts.persistentLoad) unsafe('refusing persistent id: this pickle is not a PyTorch file');
        stack.push(opts.persistentLoad!(pid));
        break;
      }
      default: {
        const name = OPCODE_NAMES[op];
        fail(`unsupported pickle opcode ${name ?? 'unknown'} (0x${op.toString(16).padStart(2, '0')}) at byte ${opPos}`);
      }
    }
  }
}

/** Instance attributes of a dict subclass (OrderedDict's `_metadata`): state is a dict, or (dict|None, slots dict). */
function buildDictAttrs(obj: PyDict, state: unknown, fail: (m: string) => never): void {
  const parts = state instanceof PyTuple && state.items.length === 2 ? state.items : [state];
  for (const part of parts) {
    if (part === null) continue;
    if (!(part instanceof PyDict)) fail(`refusing BUILD of ${nameOf(obj.className)} with ${describePyValue(part)}`);
    obj.attrs ??= new Map();
    for (const [k, v] of (part as PyDict).map) {
      if (typeof k !== 'string') fail(`refusing BUILD of ${nameOf(obj.className)}: non-string attribute name`);
      obj.attrs.set(k as string, v);
    }
  }
}

/**
 * Python long from little-endian two's complement bytes: a number when safe, else a bigint. Linear time: the
 * bytes become one hexadecimal string parsed once (shifting a BigInt byte by byte is quadratic).
 */
function decodeLong(bytes: Uint8Array, src: string): number | bigint {
  if (bytes.length === 0) return 0;
  if (bytes.length > MAX_PICKLE_LONG_BYTES) {
    throw new LimitError(
      `${src}: a ${bytes.length}-byte integer exceeds the limit of ${MAX_PICKLE_LONG_BYTES} bytes (MAX_PICKLE_LONG_BYTES)`,
      { limit: 'MAX_PICKLE_LONG_BYTES' },
    );
  }
  let hex = '';
  for (let i = bytes.length - 1; i >= 0; i--) hex += bytes[i].toString(16).padStart(2, '0');
  let v = BigInt('0x' + hex);
  if (bytes[bytes.length - 1] & 0x80) v -= 1n << BigInt(8 * bytes.length);
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}
