/** Load a dataset from a manifest CSV or a dataset root folder whose layout is detected. */
import { join } from 'node:path';
import { DataError } from '../../errors.js';
import { loadCsiq, isCsiqLayout } from './csiq.js';
import { isDir, isFile } from './files.js';
import { isKadidLayout, loadKadid } from './kadid.js';
import { isLiveLayout, loadLive } from './live.js';
import { loadManifestCsv } from './manifest-csv.js';
import { isTidLayout, loadTid } from './tid2013.js';
import type { Manifest } from './types.js';

export type { Manifest, ManifestEntry } from './types.js';

export interface LoadOptions {
  /**
   * For CSV manifests: whether the score is MOS-like (higher = better, the default) or DMOS-like.
   * Ignored for known dataset layouts, whose direction is fixed.
   */
  higherIsBetter?: boolean;
}

/** Which known layout a folder has, or undefined. */
export function detectLayout(root: string): 'live' | 'csiq' | 'tid2013' | 'kadid10k' | 'manifest-csv' | undefined {
  if (isLiveLayout(root)) return 'live';
  if (isCsiqLayout(root)) return 'csiq';
  if (isTidLayout(root)) return 'tid2013';
  if (isKadidLayout(root)) return 'kadid10k';
  if (isFile(join(root, 'manifest.csv'))) return 'manifest-csv';
  return undefined;
}

export async function loadDataset(path: string, options: LoadOptions = {}): Promise<Manifest> {
  if (isFile(path)) return loadManifestCsv(path, { higherIsBetter: options.higherIsBetter ?? true });
  if (!isDir(path))
    throw new DataError(`no such manifest or dataset folder: ${path}`, { code: 'DATA_NOT_FOUND', path });
  switch (detectLayout(path)) {
    case 'live':
      return loadLive(path);
    case 'csiq':
      return loadCsiq(path);
    case 'tid2013':
      return loadTid(path);
    case 'kadid10k':
      return loadKadid(path);
    case 'manifest-csv':
      return loadManifestCsv(join(path, 'manifest.csv'), { higherIsBetter: options.higherIsBetter ?? true });
    default:
      throw new DataError(
        `${path}: unknown dataset layout (expected LIVE, CSIQ, TID2013, KADID-10k, or a folder with manifest.csv)`,
      );
  }
}
