/**
 * A minimal writer of uncompressed ("stored") ZIP archives, for test tooling that must produce real container
 * files: PyTorch's zip .pth (entries aligned to 64 bytes with the 'FB' extra field, as torch.save does) and the
 * tiny .xlsx dataset fixtures. Not part of the library.
 */
import { crc32 } from 'node:zlib';

export interface StoredZipOptions {
  /** Pad each entry's local extra field so its data starts on a multiple of this many bytes (PyTorch: 64). */
  align?: number;
}

export function storedZip(files: readonly (readonly [string, Uint8Array])[], options: StoredZipOptions = {}): Buffer {
  const parts: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const [name, data] of files) {
    const nameBuf = Buffer.from(name, 'utf8');
    let extra = Buffer.alloc(0);
    if (options.align) {
      const base = offset + 30 + nameBuf.length;
      const pad = (options.align - ((base + 4) % options.align)) % options.align;
      extra = Buffer.alloc(4 + pad);
      extra.writeUInt16LE(0x4246, 0); // 'FB', PyTorch's extra-field id
      extra.writeUInt16LE(pad, 2);
    }
    const crc = crc32(data) >>> 0;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4); // version needed
    local.writeUInt16LE(0x21, 12); // date 1980-01-01 (flags, method = stored, time stay 0)
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(nameBuf.length, 26);
    local.writeUInt16LE(extra.length, 28);
    parts.push(local, nameBuf, extra, Buffer.from(data.buffer, data.byteOffset, data.byteLength));
    const cd = Buffer.alloc(46);
    cd.writeUInt32LE(0x02014b50, 0);
    cd.writeUInt16LE(20, 4); // made by
    cd.writeUInt16LE(20, 6); // needed
    cd.writeUInt16LE(0x21, 14);
    cd.writeUInt32LE(crc, 16);
    cd.writeUInt32LE(data.length, 20);
    cd.writeUInt32LE(data.length, 24);
    cd.writeUInt16LE(nameBuf.length, 28);
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
  return Buffer.concat([...parts, cdBuf, eocd]);
}
