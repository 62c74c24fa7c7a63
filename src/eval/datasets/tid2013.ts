/**
 * TID2013 (and TID2008, same layout): reference_images/I01.BMP…, distorted_images/i01_01_1.bmp…,
 * mos_with_names.txt with lines "<mos> <distorted name>". MOS: higher = better. Reference of iXX_TT_L is IXX.BMP;
 * case differs between files and archives (e.g. I25.BMP vs i25.bmp), so lookups are case-insensitive.
 */
import { join } from 'node:path';
import { DataError, quote } from '../../errors.js';
import { readDataFile } from './read-text.js';
import { FolderIndex, isDir, isFile } from './files.js';
import type { Manifest, ManifestEntry } from './types.js';

export const TID2013_TYPES = [
  'additive Gaussian noise',
  'additive noise in colour components',
  'spatially correlated noise',
  'masked noise',
  'high-frequency noise',
  'impulse noise',
  'quantisation noise',
  'Gaussian blur',
  'image denoising',
  'JPEG',
  'JPEG2000',
  'JPEG transmission errors',
  'JPEG2000 transmission errors',
  'non-eccentricity pattern noise',
  'local block-wise distortions',
  'mean shift',
  'contrast change',
  'change of colour saturation',
  'multiplicative Gaussian noise',
  'comfort noise',
  'lossy compression of noisy images',
  'colour quantisation with dither',
  'chromatic aberrations',
  'sparse sampling and reconstruction',
];

export function isTidLayout(root: string): boolean {
  return (
    isDir(join(root, 'reference_images')) &&
    isDir(join(root, 'distorted_images')) &&
    isFile(join(root, 'mos_with_names.txt'))
  );
}

export function loadTid(root: string): Manifest {
  const file = join(root, 'mos_with_names.txt');
  const refs = new FolderIndex(join(root, 'reference_images'));
  const dist = new FolderIndex(join(root, 'distorted_images'));
  const entries: ManifestEntry[] = [];
  const lines = readDataFile(file, 'TID score file').toString('latin1').split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (!line) continue;
    const [mosText, name] = line.split(/\s+/);
    const mos = Number(mosText);
    const m = /^i(\d+)_(\d+)_(\d+)\.\w+$/i.exec(name ?? '');
    if (!Number.isFinite(mos) || !m || mosText === '')
      throw new DataError(`${file}, line ${i + 1}: expected "<mos> iXX_TT_L.bmp", got ${quote(line)}`, {
        path: file,
        row: i + 1,
      });
    const t = Number(m[2]);
    entries.push({
      reference: refs.require(`I${m[1]}.BMP`, 'TID reference'),
      distorted: dist.require(name, 'TID distorted'),
      score: mos,
      type: `${m[2]} ${TID2013_TYPES[t - 1] ?? 'type ' + t}`,
    });
  }
  if (entries.length === 0) throw new DataError(`${file}: no entries`, { path: file });
  return { layout: 'tid2013', root, entries, higherIsBetter: true };
}
