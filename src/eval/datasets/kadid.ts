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
import { splitCsvLine } from './manifest-csv.js';
import type { Manifest, ManifestEntry } from './types.js';

export const KADID_TYPES = [
  'Gaussian blur', 'lens blur', 'motion blur', 'colour diffusion', 'colour shift', 'colour quantisation',
  'colour saturation 1', 'colour saturation 2', 'JPEG2000', 'JPEG', 'white noise', 'white noise in colour component',
  'impulse noise', 'multiplicative noise', 'denoise', 'brighten', 'darken', 'mean shift', 'jitter',
  'non-eccentricity patch', 'pixelate', 'quantisation', 'colour block', 'high sharpen', 'contrast change',
];

export function isKadidLayout(root: string): boolean {
  return isFile(join(root, 'dmos.csv'));
}

export function loadKadid(root: string): Manifest {
  const file = join(root, 'dmos.csv');
  const lines = readDataFile(file, 'KADID-10k score file').toString('utf8').replace(/^\uFEFF/, '').split(/\r?\n/).filter((l) => l.trim());
  const header = splitCsvLine(lines[0] ?? '').map((c) => c.toLowerCase());
  const [cd, cr, cs] = ['dist_img', 'ref_img', 'dmos'].map((n) => header.indexOf(n));
  if (cd < 0 || cr < 0 || cs < 0) throw new DataError(`${file}: expected columns dist_img,ref_img,dmos`, { path: file });
  const dirs = ['images', 'distorted_images', 'reference_images'].map((d) => new FolderIndex(join(root, d)));
  const find = (name: string) => {
    for (const d of dirs) {
      const p = d.find(name);
      if (p) return p;
    }
    throw new DataError(`KADID-10k: ${quote(name)} not found in images/`, { code: 'DATA_NOT_FOUND' });
  };
  const entries: ManifestEntry[] = [];
  for (let i = 1; i < lines.length; i++) {
    const f = splitCsvLine(lines[i]);
    if (f.length <= Math.max(cd, cr, cs) || !f[cd] || !f[cr]) {
      throw new DataError(`${file}, line ${i + 1}: expected dist_img,ref_img,dmos, got ${quote(lines[i])}`, { path: file, row: i + 1 });
    }
    const score = f[cs] === '' ? NaN : Number(f[cs]);
    if (!Number.isFinite(score)) throw new DataError(`${file}, line ${i + 1}: bad score ${quote(f[cs])}`, { path: file, row: i + 1 });
    const t = /^I\d+_(\d+)_\d+\./i.exec(f[cd]);
    const e: ManifestEntry = { reference: find(f[cr]), distorted: find(f[cd]), score };
    if (t) e.type = `${t[1]} ${KADID_TYPES[Number(t[1]) - 1] ?? 'type ' + t[1]}`;
    entries.push(e);
  }
  if (entries.length === 0) throw new DataError(`${file}: no entries`, { path: file });
  return { layout: 'kadid10k', root, entries, higherIsBetter: true };
}
