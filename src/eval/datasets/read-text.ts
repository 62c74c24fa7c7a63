import { readFileSync, statSync } from 'node:fs';
import { DataError, LimitError, quote } from '../../errors.js';
import { MAX_DATA_FILE_BYTES } from '../../limits.js';

/** Read a dataset file (score table, manifest) whose size must not exceed MAX_DATA_FILE_BYTES (checked first). */
export function readDataFile(path: string, what = 'dataset file'): Buffer {
  try {
    const st = statSync(path);
    if (!st.isFile()) throw new DataError(`${what} ${path} is not a file`, { path });
    if (st.size > MAX_DATA_FILE_BYTES) {
      throw new LimitError(
        `${what} ${path} is ${st.size} bytes, more than the limit of ${MAX_DATA_FILE_BYTES} (MAX_DATA_FILE_BYTES)`,
        { path, limit: 'MAX_DATA_FILE_BYTES' },
      );
    }
    return readFileSync(path);
  } catch (err) {
    if (err instanceof DataError || err instanceof LimitError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new DataError(`cannot read ${what} ${path}: ${code ?? quote((err as Error).message)}`, {
      code: code === 'ENOENT' ? 'DATA_NOT_FOUND' : 'DATA_INVALID',
      path,
    });
  }
}
