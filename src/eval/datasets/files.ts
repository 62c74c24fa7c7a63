import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DataError, quote } from '../../errors.js';

export function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

export function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

/**
 * Case-insensitive file lookup in one folder (datasets mix I25.BMP / i25.bmp, *.PNG / *.png, and get copied
 * between case-sensitive and case-insensitive file systems).
 */
export class FolderIndex {
  private readonly names = new Map<string, string>();
  constructor(readonly dir: string) {
    if (!isDir(dir)) return;
    for (const n of readdirSync(dir)) this.names.set(n.toLowerCase(), n);
  }
  /** Absolute path of `name` (case-insensitive), or undefined. */
  find(name: string): string | undefined {
    // Dataset tables name files inside this folder: anything that is not a plain file name is not found here.
    if (name === '' || name === '.' || name === '..' || /[/\\\0]/.test(name)) return undefined;
    const exact = join(this.dir, name);
    if (existsSync(exact)) return exact;
    const hit = this.names.get(name.toLowerCase());
    return hit === undefined ? undefined : join(this.dir, hit);
  }
  /** Like find() but throws a one-line error naming what is missing. */
  require(name: string, what: string): string {
    const p = this.find(name);
    if (!p) throw new DataError(`${what}: ${quote(name)} not found in ${this.dir}`, { code: 'DATA_NOT_FOUND' });
    return p;
  }
}
