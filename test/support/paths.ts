import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Repository root (the parent of test/). */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The shared data folder next to the clone (absent in a user's clone: tests that need it skip). */
export const SHARED = resolve(ROOT, '..', 'shared');
export const HAS_SHARED = existsSync(join(SHARED, 'README.md'));
export const SHARED_SKIP = HAS_SHARED
  ? false
  : `../shared is absent (expected at ${SHARED}); skipping tests that need its datasets`;
export const CLI = join(ROOT, 'dist', 'cli', 'main.js');
export const fixture = (...p: string[]) => join(ROOT, 'test', 'fixtures', ...p);
