/**
 * LIVE IQA Release 2. Layout (verified against public loaders, e.g. IQA-PyTorch scripts/process_live.py):
 *   refimgs/<name>.bmp, jp2k/ jpeg/ wn/ gblur/ fastfading/ with img<k>.bmp (+ info.txt),
 *   dmos_realigned.mat {dmos_new, orgs, …} (or the older dmos.mat {dmos, orgs}),
 *   refnames_all.mat {refnames_all: 1×982 cell of reference file names}.
 * The 982 scores are ordered jp2k 1–227, jpeg 1–233, wn 1–174, gblur 1–174, fastfading 1–174;
 * entries with orgs = 1 are the undistorted originals and are skipped. DMOS: lower = better.
 */
import { join } from 'node:path';
import { DataError } from '../../errors.js';
import { FolderIndex, isDir, isFile } from './files.js';
import { matNumbers, matStrings, readMat5 } from './mat5.js';
import type { Manifest, ManifestEntry } from './types.js';

export const LIVE_FOLDERS: ReadonlyArray<[string, number]> = [
  ['jp2k', 227],
  ['jpeg', 233],
  ['wn', 174],
  ['gblur', 174],
  ['fastfading', 174],
];

export function isLiveLayout(root: string): boolean {
  return (
    isDir(join(root, 'refimgs')) &&
    isFile(join(root, 'refnames_all.mat')) &&
    (isFile(join(root, 'dmos_realigned.mat')) || isFile(join(root, 'dmos.mat')))
  );
}

export function loadLive(root: string, options: { realigned?: boolean } = {}): Manifest {
  const realignedPath = join(root, 'dmos_realigned.mat');
  const useRealigned = options.realigned !== false && isFile(realignedPath);
  const dmosFile = useRealigned ? realignedPath : join(root, 'dmos.mat');
  const dmosVars = readMat5(dmosFile);
  const dmos = matNumbers(dmosVars, useRealigned ? 'dmos_new' : 'dmos', dmosFile);
  const orgs = matNumbers(dmosVars, 'orgs', dmosFile);
  const refFile = join(root, 'refnames_all.mat');
  const refnames = matStrings(readMat5(refFile), 'refnames_all', refFile);
  const total = LIVE_FOLDERS.reduce((s, [, n]) => s + n, 0);
  if (dmos.length !== total || orgs.length !== total || refnames.length !== total) {
    throw new DataError(
      `LIVE ${root}: expected ${total} scores, orgs and reference names, got ${dmos.length}, ${orgs.length}, ${refnames.length}`,
    );
  }
  const refs = new FolderIndex(join(root, 'refimgs'));
  const entries: ManifestEntry[] = [];
  let i = 0;
  for (const [folder, n] of LIVE_FOLDERS) {
    const dir = new FolderIndex(join(root, folder));
    for (let k = 1; k <= n; k++, i++) {
      if (orgs[i] === 1) continue;
      entries.push({
        reference: refs.require(refnames[i], 'LIVE reference'),
        distorted: dir.require(`img${k}.bmp`, `LIVE ${folder}`),
        score: dmos[i],
        type: folder,
      });
    }
  }
  return { layout: 'live', root, entries, higherIsBetter: false };
}
