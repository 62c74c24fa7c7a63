/**
 * Writers for PyTorch .pth files (float32 tensors, contiguous, one storage per tensor) in both layouts torch.save
 * produces. Test tooling: tools/reference/check_synthetic_weights.py confirms that torch.load (PyTorch 1.13)
 * reads them back to the same values.
 */
import { open } from 'node:fs/promises';
import { crc32 } from 'node:zlib';
import type { WeightMap } from '../../src/weights/types.js';
import { global, pickle, reduce, tuple, type PValue } from './pickle-writer.js';

const rowMajorStride = (shape: readonly number[]): number[] => {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    s[d] = acc;
    acc *= shape[d];
  }
  return s;
};

/** The state-dict pickle: OrderedDict(name → _rebuild_tensor_v2(storage i, 0, shape, stride, False, OrderedDict())). */
function stateDictPickle(tensors: WeightMap, legacy: boolean): Buffer {
  const entries: (readonly [PValue, PValue])[] = [];
  let i = 0;
  for (const [name, t] of tensors) {
    const pidItems: PValue[] = ['storage', global('torch', 'FloatStorage'), String(i), 'cpu', t.data.length];
    if (legacy) pidItems.push(null); // legacy ids carry view_metadata
    const storage: PValue = { t: 'persid', pid: tuple(...pidItems) };
    const hooks: PValue = { t: 'odict', entries: [] };
    entries.push([name, reduce(global('torch._utils', '_rebuild_tensor_v2'), storage, 0, tuple(...t.shape), tuple(...rowMajorStride(t.shape)), false, hooks)]);
    i++;
  }
  return pickle({ t: 'odict', entries, attrs: [['_metadata', { t: 'odict', entries: [] }]] });
}

const tensorBytes = (data: Float32Array): Uint8Array => new Uint8Array(data.buffer, data.byteOffset, data.byteLength);

/** Legacy (non-zip) torch.save layout. */
export async function writeLegacyPth(path: string, tensors: WeightMap): Promise<void> {
  const fh = await open(path, 'w');
  try {
    await fh.write(pickle(0x1950a86a20f9469cfc6cn));
    await fh.write(pickle(1001));
    await fh.write(pickle({ t: 'dict', entries: [['protocol_version', 1001], ['little_endian', true], ['type_sizes', { t: 'dict', entries: [['short', 2], ['int', 4], ['long', 4]] }]] }));
    await fh.write(stateDictPickle(tensors, true));
    await fh.write(pickle([...tensors.keys()].map((_, i) => String(i))));
    const count = Buffer.alloc(8);
    for (const t of tensors.values()) {
      count.writeBigInt64LE(BigInt(t.data.length));
      await fh.write(count);
      await fh.write(tensorBytes(t.data));
    }
  } finally {
    await fh.close();
  }
}

/** Zip torch.save layout: stored entries, data aligned to 64 bytes like PyTorch's writer. */
export async function writeZipPth(path: string, tensors: WeightMap, root = 'archive'): Promise<void> {
  const files: [string, Uint8Array][] = [[`${root}/data.pkl`, stateDictPickle(tensors, false)]];
  let i = 0;
  for (const t of tensors.values()) files.push([`${root}/data/${i++}`, tensorBytes(t.data)]);
  files.push([`${root}/version`, Buffer.from('3\n')]);

  const fh = await open(path, 'w');
  const central: Buffer[] = [];
  let offset = 0;
  try {
    for (const [name, data] of files) {
      const nameBuf = Buffer.from(name, 'utf8');
      const base = offset + 30 + nameBuf.length;
      // Pad with an extra field ('FB', PyTorch's id) so the data starts on a 64-byte boundary.
      const pad = (64 - ((base + 4) % 64)) % 64;
      const extra = Buffer.alloc(4 + pad);
      extra.writeUInt16LE(0x4246, 0);
      extra.writeUInt16LE(pad, 2);
      const crc = crc32(data) >>> 0;
      const local = Buffer.alloc(30);
      local.writeUInt32LE(0x04034b50, 0);
      local.writeUInt16LE(20, 4); // version needed
      local.writeUInt16LE(0, 6); // flags
      local.writeUInt16LE(0, 8); // stored
      local.writeUInt16LE(0, 10); // time
      local.writeUInt16LE(0x21, 12); // date 1980-01-01
      local.writeUInt32LE(crc, 14);
      local.writeUInt32LE(data.length, 18);
      local.writeUInt32LE(data.length, 22);
      local.writeUInt16LE(nameBuf.length, 26);
      local.writeUInt16LE(extra.length, 28);
      await fh.write(local);
      await fh.write(nameBuf);
      await fh.write(extra);
      await fh.write(data);
      const cd = Buffer.alloc(46);
      cd.writeUInt32LE(0x02014b50, 0);
      cd.writeUInt16LE(20, 4); // made by
      cd.writeUInt16LE(20, 6); // needed
      cd.writeUInt16LE(0, 8);
      cd.writeUInt16LE(0, 10);
      cd.writeUInt16LE(0, 12);
      cd.writeUInt16LE(0x21, 14);
      cd.writeUInt32LE(crc, 16);
      cd.writeUInt32LE(data.length, 20);
      cd.writeUInt32LE(data.length, 24);
      cd.writeUInt16LE(nameBuf.length, 28);
      cd.writeUInt16LE(0, 30); // extra
      cd.writeUInt16LE(0, 32); // comment
      cd.writeUInt16LE(0, 34); // disk
      cd.writeUInt16LE(0, 36); // internal attrs
      cd.writeUInt32LE(0, 38); // external attrs
      cd.writeUInt32LE(offset, 42);
      central.push(cd, nameBuf);
      offset += 30 + nameBuf.length + extra.length + data.length;
    }
    const cdBuf = Buffer.concat(central);
    const eocd = Buffer.alloc(22);
    eocd.writeUInt32LE(0x06054b50, 0);
    eocd.writeUInt16LE(files.length, 8);
    eocd.writeUInt16LE(files.length, 10);
    eocd.writeUInt32LE(cdBuf.length, 12);
    eocd.writeUInt32LE(offset, 16);
    await fh.write(cdBuf);
    await fh.write(eocd);
  } finally {
    await fh.close();
  }
}
