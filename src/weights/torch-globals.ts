/**
 * The allow-list of Python globals a PyTorch state dict may reference, each implemented as a data constructor,
 * plus the persistent-id handler that turns `('storage', StorageType, key, location, numel[, view])` into a
 * StorageRef. Tensors come out as TensorRef (storage + offset/shape/stride); their data is read later.
 */
import { WeightsError } from '../errors.js';
import { nameOf } from '../util/names.js';
import type { DType } from './dtype.js';
import { PyDict, PyTuple, describePyValue, type PickleGlobal } from './pickle.js';

/** A torch storage type (`torch.FloatStorage`, …) or dtype (`torch.float32`) referenced by the pickle. */
export class TorchTypeRef implements PickleGlobal {
  constructor(
    readonly qualname: string,
    readonly dtype: DType | null,
  ) {}
}

/** A root storage in the file. `view` narrows it (old legacy files only). */
export interface StorageRef {
  readonly kind: 'storage';
  readonly key: string;
  readonly dtype: DType;
  readonly numel: number;
  readonly location: string;
  readonly view?: { readonly offset: number; readonly size: number };
}

/** A tensor whose data lives in a storage: element offset, shape and strides are in storage elements. */
export class TensorRef {
  constructor(
    readonly storage: StorageRef,
    readonly offset: number,
    readonly shape: readonly number[],
    readonly stride: readonly number[],
  ) {}
}

const STORAGE_DTYPES: Record<string, DType | null> = {
  FloatStorage: 'float32',
  DoubleStorage: 'float64',
  HalfStorage: 'float16',
  BFloat16Storage: 'bfloat16',
  LongStorage: 'int64',
  IntStorage: 'int32',
  ShortStorage: 'int16',
  CharStorage: 'int8',
  ByteStorage: 'uint8',
  BoolStorage: 'bool',
};
const TORCH_DTYPES: Record<string, DType> = {
  float32: 'float32',
  float: 'float32',
  float64: 'float64',
  double: 'float64',
  float16: 'float16',
  half: 'float16',
  bfloat16: 'bfloat16',
  int64: 'int64',
  long: 'int64',
  int32: 'int32',
  int: 'int32',
  int16: 'int16',
  short: 'int16',
  int8: 'int8',
  uint8: 'uint8',
  bool: 'bool',
};

function bad(source: string, what: string, got: unknown): never {
  throw new WeightsError(`${source}: malformed ${what} (got ${describePyValue(got)})`);
}

function intList(source: string, what: string, v: unknown): number[] {
  const items = v instanceof PyTuple ? v.items : Array.isArray(v) ? v : bad(source, what, v);
  return items.map((x) => (typeof x === 'number' && Number.isSafeInteger(x) ? x : bad(source, what, x)));
}

function nonNegInt(source: string, what: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) bad(source, what, v);
  return v as number;
}

function rebuildTensor(
  source: string,
  fn: string,
  args: readonly unknown[],
  minArgs: number,
  maxArgs: number,
): TensorRef {
  if (args.length < minArgs || args.length > maxArgs) {
    throw new WeightsError(`${source}: ${fn} called with ${args.length} arguments`);
  }
  const [storage, offset, size, stride] = args;
  if (!storage || typeof storage !== 'object' || (storage as StorageRef).kind !== 'storage')
    bad(source, `${fn} storage`, storage);
  return new TensorRef(
    storage as StorageRef,
    nonNegInt(source, `${fn} offset`, offset),
    intList(source, `${fn} size`, size),
    intList(source, `${fn} stride`, stride),
  );
}

function asTensor(source: string, v: unknown): TensorRef {
  return v instanceof TensorRef ? v : bad(source, 'parameter data', v);
}

/** Build the allow-list for one file (`source` prefixes error messages). */
export function torchGlobals(source: string): Map<string, PickleGlobal> {
  const g = new Map<string, PickleGlobal>();
  const add = (p: PickleGlobal): void => void g.set(p.qualname, p);

  const orderedDict = (qualname: string, className: string): PickleGlobal => ({
    qualname,
    // OrderedDict() or OrderedDict([(k, v), …]); items usually arrive later via SETITEMS.
    call(args) {
      const d = new PyDict(className);
      if (args.length === 1 && (Array.isArray(args[0]) || args[0] instanceof PyTuple)) {
        const items = Array.isArray(args[0]) ? args[0] : (args[0] as PyTuple).items;
        for (const it of items) {
          if (!(it instanceof PyTuple) || it.items.length !== 2) bad(source, `${className} item`, it);
          d.map.set((it as PyTuple).items[0], (it as PyTuple).items[1]);
        }
      } else if (args.length !== 0) {
        bad(source, `${className} arguments`, args[0]);
      }
      return d;
    },
  });
  add(orderedDict('collections.OrderedDict', 'OrderedDict'));

  add({ qualname: 'torch._utils._rebuild_tensor', call: (a) => rebuildTensor(source, '_rebuild_tensor', a, 4, 4) });
  // (storage, offset, size, stride, requires_grad, backward_hooks[, metadata]); the hooks are an empty OrderedDict.
  add({
    qualname: 'torch._utils._rebuild_tensor_v2',
    call: (a) => rebuildTensor(source, '_rebuild_tensor_v2', a, 6, 7),
  });
  add({ qualname: 'torch._utils._rebuild_parameter', call: (a) => asTensor(source, a[0]) });
  add({ qualname: 'torch._utils._rebuild_parameter_with_state', call: (a) => asTensor(source, a[0]) });
  add({ qualname: 'torch.Size', call: (a) => new PyTuple(intList(source, 'torch.Size', a[0])) });
  // Protocol-2 pickles encode `bytes` as _codecs.encode(str, 'latin1').
  add({
    qualname: '_codecs.encode',
    call: (a) => {
      const text = a[0];
      if (typeof text !== 'string' || (a[1] !== 'latin1' && a[1] !== 'latin-1'))
        return bad(source, '_codecs.encode call', text);
      const out = new Uint8Array(text.length);
      for (let i = 0; i < text.length; i++) {
        const c = text.charCodeAt(i);
        if (c > 0xff) bad(source, '_codecs.encode call (not latin-1)', text);
        out[i] = c;
      }
      return out;
    },
  });

  for (const [name, dtype] of Object.entries(STORAGE_DTYPES)) add(new TorchTypeRef(`torch.${name}`, dtype));
  // torch 2 may name untyped byte storages; they only ever hold bytes.
  add(new TorchTypeRef('torch.UntypedStorage', 'uint8'));
  add(new TorchTypeRef('torch.storage.UntypedStorage', 'uint8'));
  for (const [name, dtype] of Object.entries(TORCH_DTYPES)) add(new TorchTypeRef(`torch.${name}`, dtype));
  return g;
}

/**
 * Persistent-id handler shared by both .pth layouts. Returns the same StorageRef for repeated keys and records
 * every root storage in `storages` (key → ref) so the reader knows element types and sizes.
 */
export function torchPersistentLoader(source: string, storages: Map<string, StorageRef>): (pid: unknown) => StorageRef {
  const views = new Map<string, StorageRef>();
  return (pid) => {
    if (!(pid instanceof PyTuple) || pid.items[0] !== 'storage' || (pid.items.length !== 5 && pid.items.length !== 6)) {
      bad(source, 'persistent id (expected a torch storage)', pid);
    }
    const [, type, rawKey, location, numelV, viewMeta] = (pid as PyTuple).items;
    if (!(type instanceof TorchTypeRef) || type.dtype === null || !type.qualname.includes('Storage'))
      bad(source, 'storage type', type);
    const key =
      typeof rawKey === 'string' || typeof rawKey === 'number' ? String(rawKey) : bad(source, 'storage key', rawKey);
    const numel = nonNegInt(source, 'storage size', numelV);
    let root = storages.get(key);
    if (!root) {
      root = {
        kind: 'storage',
        key,
        dtype: (type as TorchTypeRef).dtype!,
        numel,
        location: typeof location === 'string' ? location : describePyValue(location),
      };
      storages.set(key, root);
    } else if (root.numel !== numel || root.dtype !== (type as TorchTypeRef).dtype) {
      throw new WeightsError(`${source}: storage ${nameOf(key)} is declared twice with different types or sizes`);
    }
    if (viewMeta === undefined || viewMeta === null) return root;
    // Old legacy files: (view_key, offset, size) narrows the root storage.
    if (!(viewMeta instanceof PyTuple) || viewMeta.items.length !== 3) bad(source, 'storage view', viewMeta);
    const [viewKey, off, size] = (viewMeta as PyTuple).items;
    const vk =
      typeof viewKey === 'string' || typeof viewKey === 'number'
        ? String(viewKey)
        : bad(source, 'storage view key', viewKey);
    const existing = views.get(vk);
    if (existing) return existing;
    const view = {
      offset: nonNegInt(source, 'storage view offset', off),
      size: nonNegInt(source, 'storage view size', size),
    };
    if (view.offset + view.size > numel)
      throw new WeightsError(`${source}: storage view ${nameOf(vk)} exceeds storage ${nameOf(key)}`);
    const ref: StorageRef = { ...root, view };
    views.set(vk, ref);
    return ref;
  };
}
