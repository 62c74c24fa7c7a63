/**
 * Generic manifest: CSV `reference,distorted,score[,type]` with paths relative to the manifest's folder.
 * A header row is optional; when present its column names (any order) are used. The CSV cannot say whether the
 * score is MOS-like or DMOS-like, so the caller passes `higherIsBetter` (CLI: --lower-better).
 */
import { dirname, isAbsolute, resolve } from 'node:path';
import { DataError, quote } from '../../errors.js';
import { readDataFile } from './read-text.js';
import { parseCsvTable } from '../pairs-csv.js';
import { isFile } from './files.js';
import type { Manifest, ManifestEntry } from './types.js';

export function loadManifestCsv(path: string, options: { higherIsBetter: boolean; checkFiles?: boolean }): Manifest {
  const text = readDataFile(path, 'manifest').toString('utf8');
  const root = dirname(resolve(path));
  // csv-parse through the shared reader: RFC 4180 quoting (quoted commas, quotes and newlines), BOM, CRLF, `#` lines.
  const table = parseCsvTable(text, path, root, {
    isHeader: (k) => k.includes('reference') && k.includes('distorted'),
    what: 'manifest',
  });
  let cols = { reference: 0, distorted: 1, score: 2, type: 3 };
  if (table.hasHeader) {
    const idx = (n: string) => table.keys.indexOf(n);
    if (idx('score') < 0) throw new DataError(`manifest ${path}: header has no "score" column`, { path });
    cols = { reference: idx('reference'), distorted: idx('distorted'), score: idx('score'), type: idx('type') };
  }
  const entries: ManifestEntry[] = [];
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(root, p));
  for (const { values: f, line } of table.rows) {
    const score = Number(f[cols.score]);
    if (f.length < 3 || !f[cols.reference] || !f[cols.distorted] || f[cols.score] === '' || !Number.isFinite(score)) {
      throw new DataError(
        `manifest ${path}, line ${line}: expected reference,distorted,score[,type], got ${quote(f.join(','))}`,
        { path, row: line },
      );
    }
    const e: ManifestEntry = { reference: abs(f[cols.reference]), distorted: abs(f[cols.distorted]), score };
    const type = cols.type >= 0 ? f[cols.type] : undefined;
    if (type) e.type = type;
    if (options.checkFiles !== false) {
      for (const p of [e.reference, e.distorted]) {
        if (!isFile(p))
          throw new DataError(`manifest ${path}, line ${line}: no such file ${quote(p)}`, {
            code: 'DATA_NOT_FOUND',
            path,
            row: line,
          });
      }
    }
    entries.push(e);
  }
  if (entries.length === 0) throw new DataError(`manifest ${path} lists no image pairs`, { path });
  return { layout: 'manifest-csv', root, entries, higherIsBetter: options.higherIsBetter };
}
