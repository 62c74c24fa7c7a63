import { randomBytes } from 'node:crypto';
import { rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { DataError } from '../errors.js';

/**
 * Write a file via a temporary sibling and a rename, so readers never see a partial file and a failure leaves
 * the previous content (or nothing) in place. Failures are DataErrors naming `path` (never the temporary name).
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    await writeFile(tmp, data);
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'folder does not exist'
        : code === 'ENOTDIR'
          ? 'a parent of it is not a folder'
          : code === 'EISDIR'
            ? 'it is a folder'
            : code === 'EACCES' || code === 'EPERM'
              ? 'permission denied'
              : code === 'ENOSPC'
                ? 'no space left on the device'
                : (code ?? 'write failed');
    throw new DataError(`cannot write ${path}: ${why}`, { path, cause: err });
  }
}
