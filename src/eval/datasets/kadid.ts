/**
 * KADID-10k: images/ (references I01.png… and distorted I01_01_01.png…; some copies split them into
 * reference_images/ and distorted_images/), dmos.csv with columns dist_img,ref_img,dmos,var.
 * Despite the column name, `dmos` is a mean of ratings on a 1–5 scale where 5 = imperceptible degradation
 * (KADID-10k paper; IQA-PyTorch lists it as MOS in [1, 5]): higher = better.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DeepSSIMError } from '../../errors.js';
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
  const lines = readFileSync(file, 'utf8').replace(/^\uFEFF/, '').split(/\r?\n/).filter((l) => l.trim());
  const header = splitCsvLine(lines[0] ?? '').map((c) => c.toLowerCase());
  const [cd, cr, cs] = ['dist_img', 'ref_img', 'dmos'].map((n) => header.indexOf(n));
  if (cd < 0 || cr < 0 || cs < 0) throw new DeepSSIMError(`${file}: expected columns dist_img,ref_img,dmos`);
  const dirs = ['images', 'distorted_images', 'reference_images'].map((d) => new FolderIndex(join(root, d)));
  const find = (name: string) => {
    for (const d of dirs) {
      const p = d.find(name);
      if (p) return p;
    }
    throw new DeepSSIMError(`KADID-10k: ${name} not found in images/`);
  };
  const entries: ManifestEntry[] = [];
  for (let i = 1; i < lines.length; i++) {
    const f = splitCsvLine(lines[i]);
    const score = Number(f[cs]);
    if (!Number.isFinite(score)) throw new DeepSSIMError(`${file}, line ${i + 1}: bad score "${f[cs]}"`);
    const t = /^I\d+_(\d+)_\d+\./i.exec(f[cd]);
    const e: ManifestEntry = { reference: find(f[cr]), distorted: find(f[cd]), score };
    if (t) e.type = `${t[1]} ${KADID_TYPES[Number(t[1]) - 1] ?? 'type ' + t[1]}`;
    entries.push(e);
  }
  if (entries.length === 0) throw new DeepSSIMError(`${file}: no entries`);
  return { layout: 'kadid10k', root, entries, higherIsBetter: true };
}
