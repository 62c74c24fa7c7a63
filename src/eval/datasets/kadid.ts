/**
 * KADID-10k: images/ (references I01.png… and distorted I01_01_01.png…; some copies split them into
 * reference_images/ and distorted_images/), dmos.csv with columns dist_img,ref_img,dmos,var.
 * Despite the column name, `dmos` is a mean of ratings on a 1–5 scale where 5 = imperceptible degradation
 * (KADID-10k paper; IQA-PyTorch lists it as MOS in [1, 5]): higher = better.
 */
import { join } from 'node:path';
import { DataError, quote } from '../../errors.js';
import { readDataFile } from './read-text.js';
import { FolderIndex, isFile } from './files.js';
import { parseCsvTable } from '../pairs-csv.js';
import type { Manifest, ManifestEntry } from './types.js';

export const KADID_TYPES = [
  'Gaussian blur',
  'lens blur',
  'motion blur',
  'colour diffusion',
  'colour shift',
  'colour quantisation',
  'colour saturation 1',
  'colour saturation 2',
  'JPEG2000',
  'JPEG',
  'white noise',
  'white noise in colour component',
  'impulse noise',
  'multiplicative noise',
  'denoise',
  'brighten',
  'darken',
  'mean shift',
  'jitter',
  'non-eccentricity patch',
  'pixelate',
  'quantisation',
  'colour block',
  'high sharpen',
  'contrast change',
];

export function isKadidLayout(root: string): boolean {
  return isFile(join(root, 'dmos.csv'));
}

export function loadKadid(root: string): Manifest {
  const file = join(root, 'dmos.csv');
  const table = parseCsvTable(readDataFile(file, 'KADID-10k score file').toString('utf8'), file, root, {
    what: 'KADID-10k score file',
  });
  const header = table.keys;
  const [cd, cr, cs] = ['dist_img', 'ref_img', 'dmos'].map((n) => header.indexOf(n));
  if (cd < 0 || cr < 0 || cs < 0)
    throw new DataError(`${file}: expected columns dist_img,ref_img,dmos`, { path: file });
  const dirs = ['images', 'distorted_images', 'reference_images'].map((d) => new FolderIndex(join(root, d)));
  const find = (name: string) => {
    for (const d of dirs) {
      const p = d.find(name);
      if (p) return p;
    }
    throw new DataError(`KADID-10k: ${quote(name)} not found in images/`, { code: 'DATA_NOT_FOUND' });
  };
  const entries: ManifestEntry[] = [];
  for (const { values: f, line } of table.rows) {
    if (f.length <= Math.max(cd, cr, cs) || !f[cd] || !f[cr]) {
      throw new DataError(`${file}, line ${line}: expected dist_img,ref_img,dmos, got ${quote(f.join(','))}`, {
        path: file,
        row: line,
      });
    }
    const score = f[cs] === '' ? NaN : Number(f[cs]);
    if (!Number.isFinite(score))
      throw new DataError(`${file}, line ${line}: bad score ${quote(f[cs])}`, { path: file, row: line });
    const t = /^I\d+_(\d+)_\d+\./i.exec(f[cd]);
    const e: ManifestEntry = { reference: find(f[cr]), distorted: find(f[cd]), score };
    if (t) e.type = `${t[1]} ${KADID_TYPES[Number(t[1]) - 1] ?? 'type ' + t[1]}`;
    entries.push(e);
  }
  if (entries.length === 0) throw new DataError(`${file}: no entries`, { path: file });
  return { layout: 'kadid10k', root, entries, higherIsBetter: true };
}
