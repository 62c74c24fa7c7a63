/**
 * Generic manifest: CSV `reference,distorted,score[,type]` with paths relative to the manifest's folder.
 * A header row is optional; when present its column names (any order) are used. The CSV cannot say whether the
 * score is MOS-like or DMOS-like, so the caller passes `higherIsBetter` (CLI: --lower-better).
 */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { DeepSSIMError, UsageError } from '../../errors.js';
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
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read manifest ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const root = dirname(resolve(path));
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  let cols = { reference: 0, distorted: 1, score: 2, type: 3 };
  let start = 0;
  const first = splitCsvLine(lines[0] ?? '').map((c) => c.toLowerCase());
  if (first.includes('reference') && first.includes('distorted')) {
    const idx = (n: string) => first.indexOf(n);
    if (idx('score') < 0) throw new UsageError(`manifest ${path}: header has no "score" column`);
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
      throw new UsageError(`manifest ${path}, line ${i + 1}: expected reference,distorted,score[,type], got "${line}"`);
    }
    const e: ManifestEntry = { reference: abs(f[cols.reference]), distorted: abs(f[cols.distorted]), score };
    const type = cols.type >= 0 ? f[cols.type] : undefined;
    if (type) e.type = type;
    if (options.checkFiles !== false) {
      for (const p of [e.reference, e.distorted]) {
        if (!isFile(p)) throw new DeepSSIMError(`manifest ${path}, line ${i + 1}: no such file ${p}`);
      }
    }
    entries.push(e);
  }
  if (entries.length === 0) throw new UsageError(`manifest ${path} lists no image pairs`);
  return { layout: 'manifest-csv', root, entries, higherIsBetter: options.higherIsBetter };
}
