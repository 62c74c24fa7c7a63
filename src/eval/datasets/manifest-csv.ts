/**
 * Generic manifest: CSV `reference,distorted,score[,type]` with paths relative to the manifest's folder.
 * A header row is optional; when present its column names (any order) are used. The CSV cannot say whether the
 * score is MOS-like or DMOS-like, so the caller passes `higherIsBetter` (CLI: --lower-better).
 */
import { dirname, isAbsolute, resolve } from 'node:path';
import { DataError, quote } from '../../errors.js';
import { readDataFile } from './read-text.js';
import { isFile } from './files.js';
import type { Manifest, ManifestEntry } from './types.js';

/** Split one CSV line (RFC 4180 quoting, no embedded newlines). */
export function splitCsvLine(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cur += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      out.push(cur.trim());
      cur = '';
    } else cur += ch;
  }
  out.push(cur.trim());
  return out;
}

export function loadManifestCsv(path: string, options: { higherIsBetter: boolean; checkFiles?: boolean }): Manifest {
  const text = readDataFile(path, 'manifest').toString('utf8');
  const root = dirname(resolve(path));
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  let cols = { reference: 0, distorted: 1, score: 2, type: 3 };
  let start = 0;
  const first = splitCsvLine(lines[0] ?? '').map((c) => c.toLowerCase());
  if (first.includes('reference') && first.includes('distorted')) {
    const idx = (n: string) => first.indexOf(n);
    if (idx('score') < 0) throw new DataError(`manifest ${path}: header has no "score" column`, { path });
    cols = { reference: idx('reference'), distorted: idx('distorted'), score: idx('score'), type: idx('type') };
    start = 1;
  }
  const entries: ManifestEntry[] = [];
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(root, p));
  for (let i = start; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === '' || line.startsWith('#')) continue;
    const f = splitCsvLine(line);
    const score = Number(f[cols.score]);
    if (f.length < 3 || !f[cols.reference] || !f[cols.distorted] || f[cols.score] === '' || !Number.isFinite(score)) {
      throw new DataError(`manifest ${path}, line ${i + 1}: expected reference,distorted,score[,type], got ${quote(line)}`, { path, row: i + 1 });
    }
    const e: ManifestEntry = { reference: abs(f[cols.reference]), distorted: abs(f[cols.distorted]), score };
    const type = cols.type >= 0 ? f[cols.type] : undefined;
    if (type) e.type = type;
    if (options.checkFiles !== false) {
      for (const p of [e.reference, e.distorted]) {
        if (!isFile(p)) throw new DataError(`manifest ${path}, line ${i + 1}: no such file ${quote(p)}`, { code: 'DATA_NOT_FOUND', path, row: i + 1 });
      }
    }
    entries.push(e);
  }
  if (entries.length === 0) throw new DataError(`manifest ${path} lists no image pairs`, { path });
  return { layout: 'manifest-csv', root, entries, higherIsBetter: options.higherIsBetter };
}
