/**
 * CSIQ. Layout (checked against public loaders): src_imgs/<image>.png, dst_imgs/<folder>/<image>.<TOKEN>.<lev>.png
 * (or all distorted images flat in dst_imgs_all/), csiq.DMOS.xlsx with sheet "all_by_image" whose header row
 * (not the first row) has columns image, dst_idx, dst_type, dst_lev, dmos_std, dmos. dst_type values map to
 * folder/token: noise→awgn/AWGN, jpeg→jpeg/JPEG, "jpeg 2000"→jpeg2000/jpeg2000, fnoise→fnoise/fnoise,
 * blur→blur/BLUR, contrast→contrast/contrast. DMOS in [0, 1]: lower = better. Image names like 1600 are numbers.
 */
import { join } from 'node:path';
import { readSheet } from 'read-excel-file/node';
import { DeepSSIMError } from '../../errors.js';
import { FolderIndex, isDir, isFile } from './files.js';
import type { Manifest, ManifestEntry } from './types.js';

const TYPES: Record<string, [string, string]> = {
  noise: ['awgn', 'AWGN'],
  awgn: ['awgn', 'AWGN'],
  jpeg: ['jpeg', 'JPEG'],
  'jpeg 2000': ['jpeg2000', 'jpeg2000'],
  jpeg2000: ['jpeg2000', 'jpeg2000'],
  fnoise: ['fnoise', 'fnoise'],
  blur: ['blur', 'BLUR'],
  contrast: ['contrast', 'contrast'],
};

export function isCsiqLayout(root: string): boolean {
  return isDir(join(root, 'src_imgs')) && isFile(join(root, 'csiq.DMOS.xlsx'));
}

function cellText(v: unknown): string {
  if (typeof v === 'number' && Number.isInteger(v)) return String(v);
  return v === null || v === undefined ? '' : String(v).trim();
}

export async function loadCsiq(root: string): Promise<Manifest> {
  const xlsx = join(root, 'csiq.DMOS.xlsx');
  let rows: unknown[][];
  try {
    rows = (await readSheet(xlsx, 'all_by_image')) as unknown[][];
  } catch {
    try {
      rows = (await readSheet(xlsx)) as unknown[][];
    } catch (err) {
      throw new DeepSSIMError(`cannot read ${xlsx}: ${(err as Error).message}`);
    }
  }
  const h = rows.findIndex((r) => r.some((c) => cellText(c) === 'image') && r.some((c) => cellText(c) === 'dmos'));
  if (h < 0) throw new DeepSSIMError(`${xlsx}: no header row with "image" and "dmos" columns`);
  const header = rows[h].map(cellText);
  const col = (n: string) => {
    const i = header.indexOf(n);
    if (i < 0) throw new DeepSSIMError(`${xlsx}: header has no "${n}" column`);
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
    const map = TYPES[dstType];
    if (!map) throw new DeepSSIMError(`${xlsx}, row ${i + 1}: unknown dst_type "${dstType}"`);
    const [folder, token] = map;
    const level = cellText(typeof r[cl] === 'number' ? Math.round(r[cl] as number) : r[cl]);
    const file = `${image}.${token}.${level}.png`;
    if (!folders.has(folder)) folders.set(folder, new FolderIndex(join(root, 'dst_imgs', folder)));
    const distorted = folders.get(folder)!.find(file) ?? flat.find(file);
    if (!distorted) throw new DeepSSIMError(`CSIQ: ${file} not found in dst_imgs/${folder}/ or dst_imgs_all/`);
    entries.push({ reference: refs.require(`${image}.png`, 'CSIQ reference'), distorted, score: dmos, type: folder });
  }
  if (entries.length === 0) throw new DeepSSIMError(`${xlsx}: no scored rows`);
  return { layout: 'csiq', root, entries, higherIsBetter: false };
}
