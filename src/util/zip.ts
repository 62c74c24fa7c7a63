/**
 * A strict, platform-neutral ZIP reader over a Uint8Array (zip .pth weights, xlsx workbooks).
 *
 * Hand-written on purpose: the maintained readers either need Node streams and file descriptors (yauzl, unzipper —
 * the core must also run in browsers), or trust the archive's declared sizes and offsets (fflate's `unzipSync`
 * allocates what an entry declares and reads entries that overlap). Hostile archives are the reason this module
 * exists, so it checks everything before use:
 *  - one end-of-central-directory record, found where its comment length says; zip64 records only when a field
 *    says so, each offset and size a safe integer inside the bytes before it; single-disk archives only;
 *  - every central-directory entry inside the central directory, every local header where the entry says, names
 *    equal in both, no duplicate names, no encrypted entries, methods stored (0) and deflate (8) only;
 *  - entry data ranges inside the file, before the central directory, and not overlapping one another;
 *  - declared sizes consistent (stored: equal; deflate: within DEFLATE's maximum ratio), so the caller can refuse
 *    an entry before anything is allocated; decompression stops at the declared size (src/util/inflate.ts); CRC-32
 *    checked.
 * Decompression itself is fflate's.
 */
import { nameOf } from './names.js';
import { MAX_DEFLATE_RATIO, MAX_ZIP_ENTRIES } from '../limits.js';
import { InflateFailure, inflateCapped } from './inflate.js';

/** Raised by this module; callers map it to their own error classes. `kind` says which. */
export class ZipFailure extends Error {
  constructor(
    readonly kind: 'truncated' | 'corrupt' | 'limit' | 'unsupported',
    message: string,
  ) {
    super(message);
    this.name = 'ZipFailure';
  }
}

export interface ZipEntry {
  readonly name: string;
  /** 0 stored, 8 deflate. */
  readonly method: number;
  readonly crc32: number;
  readonly compressedSize: number;
  readonly size: number;
  /** Offset of the entry's data in the archive. */
  readonly dataStart: number;
}

const SIG_EOCD = 0x06054b50;
const SIG_ZIP64_LOCATOR = 0x07064b50;
const SIG_ZIP64_EOCD = 0x06064b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_LOCAL = 0x04034b50;

/**
 * The fixed parts of the three records read here, as (offset, byte width) of each little-endian field after the
 * 4-byte signature (APPNOTE 4.3.7, 4.3.12, 4.3.16). One reader (`fields`) serves all three.
 */
type Layout = Readonly<Record<string, readonly [offset: number, width: 2 | 4]>>;
const EOCD_LAYOUT = {
  disk: [4, 2],
  cdDisk: [6, 2],
  countThisDisk: [8, 2],
  count: [10, 2],
  cdSize: [12, 4],
  cdOffset: [16, 4],
} as const satisfies Layout;
const CENTRAL_LAYOUT = {
  flags: [8, 2],
  method: [10, 2],
  crc: [16, 4],
  csize: [20, 4],
  usize: [24, 4],
  nameLen: [28, 2],
  extraLen: [30, 2],
  commentLen: [32, 2],
  diskStart: [34, 2],
  local: [42, 4],
} as const satisfies Layout;
const LOCAL_LAYOUT = { nameLen: [26, 2], extraLen: [28, 2] } as const satisfies Layout;

const utf8 = new TextDecoder('utf-8', { fatal: true });
const latin1 = new TextDecoder('latin1');

const truncated = (what: string): never => {
  throw new ZipFailure('truncated', `is truncated or not a zip archive (${what})`);
};
const corrupt = (what: string): never => {
  throw new ZipFailure('corrupt', `is a corrupt zip archive (${what})`);
};

/** The central directory of `bytes`, validated as described above (entries in directory order). */
export function readZipDirectory(bytes: Uint8Array): ZipEntry[] {
  const n = bytes.length;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u16 = (o: number): number => (o + 2 <= n ? dv.getUint16(o, true) : truncated(`read past the end at byte ${o}`));
  const u32 = (o: number): number => (o + 4 <= n ? dv.getUint32(o, true) : truncated(`read past the end at byte ${o}`));
  /** The fields of a record at `at`, read by its layout. */
  const fields = <L extends Layout>(at: number, layout: L): { [K in keyof L]: number } =>
    Object.fromEntries(
      Object.entries(layout).map(([k, [o, width]]) => [k, width === 2 ? u16(at + o) : u32(at + o)]),
    ) as { [K in keyof L]: number };
  const u64 = (o: number, what: string): number => {
    if (o + 8 > n) truncated(`read past the end at byte ${o}`);
    const v = dv.getBigUint64(o, true);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) corrupt(`${what} ${v} is out of range`);
    return Number(v);
  };

  // End of central directory: the last record whose comment runs exactly to the end of the file.
  if (n < 22) truncated(`only ${n} bytes`);
  let eocd = -1;
  for (let p = n - 22; p >= Math.max(0, n - 22 - 0xffff); p--) {
    if (dv.getUint32(p, true) === SIG_EOCD && p + 22 + dv.getUint16(p + 20, true) === n) {
      eocd = p;
      break;
    }
  }
  if (eocd < 0) truncated('no end-of-central-directory record');
  const { disk, cdDisk, countThisDisk, ...eocdRest } = fields(eocd, EOCD_LAYOUT);
  let { count, cdSize, cdOffset } = eocdRest;
  let cdLimit = eocd; // the central directory ends before this offset
  if (
    disk === 0xffff ||
    cdDisk === 0xffff ||
    count === 0xffff ||
    countThisDisk === 0xffff ||
    cdSize === 0xffffffff ||
    cdOffset === 0xffffffff
  ) {
    const loc = eocd - 20;
    if (loc < 0 || u32(loc) !== SIG_ZIP64_LOCATOR) corrupt('zip64 fields without a zip64 locator');
    if (u32(loc + 4) !== 0 || u32(loc + 16) > 1)
      throw new ZipFailure('unsupported', 'multi-disk archives are not supported');
    const rec = u64(loc + 8, 'zip64 record offset');
    if (rec + 56 > loc) corrupt(`zip64 record offset ${rec} is outside the archive`);
    if (u32(rec) !== SIG_ZIP64_EOCD) corrupt('no zip64 end-of-central-directory record where the locator points');
    if (u32(rec + 16) !== 0 || u32(rec + 20) !== 0)
      throw new ZipFailure('unsupported', 'multi-disk archives are not supported');
    const count64 = u64(rec + 32, 'zip64 entry count');
    if (u64(rec + 24, 'zip64 entry count') !== count64)
      throw new ZipFailure('unsupported', 'multi-disk archives are not supported');
    count = count64;
    cdSize = u64(rec + 40, 'zip64 central directory size');
    cdOffset = u64(rec + 48, 'zip64 central directory offset');
    cdLimit = rec;
  } else if (disk !== 0 || cdDisk !== 0 || count !== countThisDisk) {
    throw new ZipFailure('unsupported', 'multi-disk archives are not supported');
  }
  if (cdOffset + cdSize > cdLimit) truncated(`central directory at ${cdOffset}+${cdSize} runs past byte ${cdLimit}`);
  if (count > MAX_ZIP_ENTRIES)
    throw new ZipFailure('limit', `${count} entries exceed the limit of ${MAX_ZIP_ENTRIES} (MAX_ZIP_ENTRIES)`);
  if (count * 46 > cdSize) corrupt(`${count} entries cannot fit in a ${cdSize}-byte central directory`);

  const entries: ZipEntry[] = [];
  const names = new Set<string>();
  const ranges: [number, number, string][] = [];
  let p = cdOffset;
  const cdEnd = cdOffset + cdSize;
  for (let i = 0; i < count; i++) {
    if (p + 46 > cdEnd) corrupt(`central directory entry ${i} runs past the directory`);
    if (u32(p) !== SIG_CENTRAL) corrupt(`bad central directory signature at byte ${p}`);
    const { flags, method, crc, nameLen, extraLen, commentLen, diskStart, ...sizes } = fields(p, CENTRAL_LAYOUT);
    let { csize, usize, local } = sizes;
    const next = p + 46 + nameLen + extraLen + commentLen;
    if (next > cdEnd) corrupt(`central directory entry ${i} runs past the directory`);
    const nameBytes = bytes.subarray(p + 46, p + 46 + nameLen);
    let name: string;
    try {
      name = flags & 0x800 ? utf8.decode(nameBytes) : latin1.decode(nameBytes);
    } catch {
      return corrupt(`entry ${i} has a name that is not valid UTF-8`);
    }
    if (name.includes('\0')) corrupt(`entry ${i} has a NUL in its name`);
    // zip64 extended information: the fields that are 0xFFFFFFFF in the fixed part, in this order.
    let e = p + 46 + nameLen;
    const extraEnd = e + extraLen;
    let disk64 = diskStart;
    while (e + 4 <= extraEnd) {
      const id = u16(e);
      const len = u16(e + 2);
      if (e + 4 + len > extraEnd) corrupt(`entry ${i} has a malformed extra field`);
      if (id === 0x0001) {
        let q = e + 4;
        const take = (what: string): number => {
          if (q + 8 > e + 4 + len) corrupt(`entry ${i} has a short zip64 extra field`);
          const v = u64(q, what);
          q += 8;
          return v;
        };
        if (usize === 0xffffffff) usize = take('zip64 size');
        if (csize === 0xffffffff) csize = take('zip64 compressed size');
        if (local === 0xffffffff) local = take('zip64 local header offset');
        if (disk64 === 0xffff) {
          if (q + 4 > e + 4 + len) corrupt(`entry ${i} has a short zip64 extra field`);
          disk64 = u32(q);
        }
      }
      e += 4 + len;
    }
    if (disk64 !== 0) throw new ZipFailure('unsupported', 'multi-disk archives are not supported');
    if (flags & 0x41) throw new ZipFailure('unsupported', `entry ${nameOf(name)} is encrypted`);
    if (method !== 0 && method !== 8)
      throw new ZipFailure(
        'unsupported',
        `entry ${nameOf(name)} uses compression method ${method} (only stored and deflate are supported)`,
      );
    if (names.has(name)) corrupt(`duplicate entry ${nameOf(name)}`);
    names.add(name);
    if (method === 0 && csize !== usize)
      corrupt(`stored entry ${nameOf(name)} declares ${csize} bytes stored but ${usize} bytes of content`);
    if (method === 8 && usize > csize * MAX_DEFLATE_RATIO + 1024) {
      corrupt(
        `entry ${nameOf(name)} declares ${usize} bytes from ${csize} deflated bytes, beyond what DEFLATE can encode`,
      );
    }
    // Local header: same name, data inside the file and before the central directory.
    if (local + 30 > cdOffset) corrupt(`entry ${nameOf(name)} has its local header outside the archive`);
    if (u32(local) !== SIG_LOCAL) corrupt(`no local header where entry ${nameOf(name)} points`);
    const { nameLen: lNameLen, extraLen: lExtraLen } = fields(local, LOCAL_LAYOUT);
    const dataStart = local + 30 + lNameLen + lExtraLen;
    if (lNameLen !== nameLen || !sameBytes(bytes, local + 30, p + 46, nameLen)) {
      corrupt(`local and central names differ for entry ${nameOf(name)}`);
    }
    if (dataStart + csize > cdOffset) truncated(`data of entry ${nameOf(name)} runs past the entries`);
    ranges.push([local, dataStart + csize, name]);
    entries.push({ name, method, crc32: crc, compressedSize: csize, size: usize, dataStart });
    p = next;
  }
  ranges.sort((a, b) => a[0] - b[0]);
  for (let i = 1; i < ranges.length; i++) {
    if (ranges[i][0] < ranges[i - 1][1])
      corrupt(`entries ${nameOf(ranges[i - 1][2])} and ${nameOf(ranges[i][2])} overlap`);
  }
  return entries;
}

function sameBytes(b: Uint8Array, x: number, y: number, len: number): boolean {
  for (let i = 0; i < len; i++) if (b[x + i] !== b[y + i]) return false;
  return true;
}

/**
 * The content of one entry. Refused before any allocation when it declares more than `cap` bytes; inflation stops
 * at the declared size; the CRC-32 is checked. Stored entries are returned as a view into `bytes` (no copy).
 */
export function readZipEntry(bytes: Uint8Array, entry: ZipEntry, cap: number): Uint8Array {
  if (entry.size > cap)
    throw new ZipFailure(
      'limit',
      `entry ${nameOf(entry.name)} declares ${entry.size} bytes, more than the ${cap} allowed`,
    );
  const raw = bytes.subarray(entry.dataStart, entry.dataStart + entry.compressedSize);
  let data: Uint8Array;
  if (entry.method === 0) data = raw;
  else {
    try {
      data = inflateCapped(raw, { cap, exact: entry.size });
    } catch (e) {
      if (e instanceof InflateFailure)
        throw new ZipFailure(e.kind === 'limit' ? 'limit' : 'corrupt', `entry ${nameOf(entry.name)}: ${e.message}`);
      throw e;
    }
  }
  if (crc32(data) !== entry.crc32)
    throw new ZipFailure('corrupt', `entry ${nameOf(entry.name)} fails its CRC-32 check`);
  return data;
}

let crcTable: Int32Array | undefined;

/** CRC-32 (IEEE 802.3), as zip uses. */
export function crc32(data: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Int32Array(256);
    for (let i = 0; i < 256; i++) {
      let c = i;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[i] = c;
    }
  }
  const t = crcTable;
  let c = -1;
  for (let i = 0; i < data.length; i++) c = t[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return (c ^ -1) >>> 0;
}
