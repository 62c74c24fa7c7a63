/**
 * Writers for PyTorch .pth files (float32 tensors, contiguous, one storage per tensor) in both layouts torch.save
 * produces. Test tooling: tools/reference/check_synthetic_weights.py confirms that torch.load (PyTorch 1.13)
 * reads them back to the same values.
 */
import { open, writeFile } from 'node:fs/promises';
import { storedZip } from '../stored-zip.js';
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
    entries.push([
      name,
      reduce(
        global('torch._utils', '_rebuild_tensor_v2'),
        storage,
        0,
        tuple(...t.shape),
        tuple(...rowMajorStride(t.shape)),
        false,
        hooks,
      ),
    ]);
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
    await fh.write(
      pickle({
        t: 'dict',
        entries: [
          ['protocol_version', 1001],
          ['little_endian', true],
          [
            'type_sizes',
            {
              t: 'dict',
              entries: [
                ['short', 2],
                ['int', 4],
                ['long', 4],
              ],
            },
          ],
        ],
      }),
    );
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

  await writeFile(path, storedZip(files, { align: 64 }));
}
