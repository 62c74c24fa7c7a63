/**
 * CSIQ. Layout (checked against public loaders): src_imgs/<image>.png, dst_imgs/<folder>/<image>.<TOKEN>.<lev>.png
 * (or all distorted images flat in dst_imgs_all/), csiq.DMOS.xlsx with sheet "all_by_image" whose header row
 * (not the first row) has columns image, dst_idx, dst_type, dst_lev, dmos_std, dmos. dst_type values map to
 * folder/token: noise→awgn/AWGN, jpeg→jpeg/JPEG, "jpeg 2000"→jpeg2000/jpeg2000, fnoise→fnoise/fnoise,
 * blur→blur/BLUR, contrast→contrast/contrast. DMOS in [0, 1]: lower = better. Image names like 1600 are numbers.
 */
import { join } from 'node:path';
import { DataError, LimitError, quote } from '../../errors.js';
import { MAX_XLSX_INFLATED_BYTES, PARSER_TIMEOUT_MS } from '../../limits.js';
import { ZipFailure, readZipDirectory, readZipEntry } from '../../util/zip.js';
import { FolderIndex, isDir, isFile } from './files.js';
import { readDataFile } from './read-text.js';
import type { Manifest, ManifestEntry } from './types.js';

// A Map, not an object literal: a dst_type read from the file (e.g. "__proto__", "constructor") must not reach
// Object.prototype.
const TYPES = new Map<string, readonly [string, string]>([
  ['noise', ['awgn', 'AWGN']],
  ['awgn', ['awgn', 'AWGN']],
  ['jpeg', ['jpeg', 'JPEG']],
  ['jpeg 2000', ['jpeg2000', 'jpeg2000']],
  ['jpeg2000', ['jpeg2000', 'jpeg2000']],
  ['fnoise', ['fnoise', 'fnoise']],
  ['blur', ['blur', 'BLUR']],
  ['contrast', ['contrast', 'contrast']],
]);

export function isCsiqLayout(root: string): boolean {
  return isDir(join(root, 'src_imgs')) && isFile(join(root, 'csiq.DMOS.xlsx'));
}

function cellText(v: unknown): string {
  if (typeof v === 'number' && Number.isInteger(v)) return String(v);
  return v === null || v === undefined ? '' : String(v).trim();
}

/**
 * Check an xlsx workbook's zip container before any parser sees it: the strict zip reader (bounds, duplicates,
 * overlaps), every part inflated within MAX_XLSX_INFLATED_BYTES in total and CRC-checked. A corrupt or bomb-like
 * workbook is refused here with a DataError/LimitError instead of reaching the third-party parser.
 */
function checkXlsxContainer(bytes: Uint8Array, xlsx: string): void {
  try {
    let budget = MAX_XLSX_INFLATED_BYTES;
    for (const e of readZipDirectory(bytes)) {
      if (e.size > budget)
        throw new ZipFailure(
          'limit',
          `its parts inflate to more than ${MAX_XLSX_INFLATED_BYTES} bytes (MAX_XLSX_INFLATED_BYTES)`,
        );
      budget -= readZipEntry(bytes, e, budget).length;
    }
  } catch (err) {
    if (!(err instanceof ZipFailure)) throw err;
    const msg = err.message.startsWith('is ') ? `${xlsx} ${err.message}` : `${xlsx}: ${err.message}`;
    if (err.kind === 'limit') throw new LimitError(msg, { path: xlsx, limit: 'MAX_XLSX_INFLATED_BYTES' });
    throw new DataError(`${msg} (not a valid xlsx workbook)`, { path: xlsx });
  }
}

/** Settle within PARSER_TIMEOUT_MS whatever the third-party parser does (it has hung on corrupt workbooks). */
function withTimeout<T>(p: Promise<T>, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new LimitError(`${what}: the xlsx parser did not finish within ${PARSER_TIMEOUT_MS} ms (PARSER_TIMEOUT_MS)`, {
            limit: 'PARSER_TIMEOUT_MS',
          }),
        ),
      PARSER_TIMEOUT_MS,
    );
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

async function readXlsxRows(xlsx: string): Promise<unknown[][]> {
  const bytes = readDataFile(xlsx, 'CSIQ score file');
  checkXlsxContainer(bytes, xlsx);
  const input = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length) as ArrayBuffer;
  // Loaded on use: only CSIQ needs a spreadsheet reader (keeps it out of every other command's startup).
  const { readSheet } = await import('read-excel-file/universal');
  try {
    return (await withTimeout(readSheet(input, 'all_by_image'), xlsx)) as unknown[][];
  } catch (err) {
    if (err instanceof LimitError) throw err;
    try {
      return (await withTimeout(readSheet(input), xlsx)) as unknown[][];
    } catch (err2) {
      if (err2 instanceof LimitError) throw err2;
      throw new DataError(`cannot read ${xlsx}: ${quote(err2 instanceof Error ? err2.message : err2)}`, {
        path: xlsx,
        cause: err2,
      });
    }
  }
}

export async function loadCsiq(root: string): Promise<Manifest> {
  const xlsx = join(root, 'csiq.DMOS.xlsx');
  const rows = await readXlsxRows(xlsx);
  if (!Array.isArray(rows) || !rows.every((r) => Array.isArray(r)))
    throw new DataError(`${xlsx}: the sheet has no rows`, { path: xlsx });
  const h = rows.findIndex((r) => r.some((c) => cellText(c) === 'image') && r.some((c) => cellText(c) === 'dmos'));
  if (h < 0) throw new DataError(`${xlsx}: no header row with "image" and "dmos" columns`, { path: xlsx });
  const header = rows[h].map(cellText);
  const col = (n: string) => {
    const i = header.indexOf(n);
    if (i < 0) throw new DataError(`${xlsx}: header has no "${n}" column`, { path: xlsx });
    return i;
  };
  const [ci, ct, cl, cd] = [col('image'), col('dst_type'), col('dst_lev'), col('dmos')];
  const refs = new FolderIndex(join(root, 'src_imgs'));
  const flat = new FolderIndex(join(root, 'dst_imgs_all'));
  const folders = new Map<string, FolderIndex>();
  const entries: ManifestEntry[] = [];
  for (let i = h + 1; i < rows.length; i++) {
    const r = rows[i];
    const image = cellText(r[ci]);
    const dmos = r[cd];
    if (!image || typeof dmos !== 'number') continue;
    const dstType = cellText(r[ct]).toLowerCase();
    const map = TYPES.get(dstType);
    if (!map)
      throw new DataError(`${xlsx}, row ${i + 1}: unknown dst_type ${quote(dstType)}`, { path: xlsx, row: i + 1 });
    const [folder, token] = map;
    const level = cellText(typeof r[cl] === 'number' ? Math.round(r[cl] as number) : r[cl]);
    const file = `${image}.${token}.${level}.png`;
    if (!folders.has(folder)) folders.set(folder, new FolderIndex(join(root, 'dst_imgs', folder)));
    const distorted = folders.get(folder)!.find(file) ?? flat.find(file);
    if (!distorted)
      throw new DataError(`CSIQ: ${quote(file)} not found in dst_imgs/${folder}/ or dst_imgs_all/`, {
        code: 'DATA_NOT_FOUND',
        row: i + 1,
      });
    entries.push({ reference: refs.require(`${image}.png`, 'CSIQ reference'), distorted, score: dmos, type: folder });
  }
  if (entries.length === 0) throw new DataError(`${xlsx}: no scored rows`, { path: xlsx });
  return { layout: 'csiq', root, entries, higherIsBetter: false };
}
