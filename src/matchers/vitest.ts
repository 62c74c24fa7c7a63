/**
 * `deepssim/vitest`: `import 'deepssim/vitest'` (e.g. in `setupFiles`) adds `toMatchDeepSSIM` and
 * `toMatchDeepSSIMSnapshot` to Vitest's `expect`.
 *
 *   await expect('shot.png').toMatchDeepSSIM('golden.png', { minScore: 0.95, minLocal: 0.9 });
 *   await expect(pngBuffer).toMatchDeepSSIMSnapshot({ name: 'home' });
 */
import { expect } from 'vitest';
import { deepssimMatchers, type MatchOptions, type SnapshotOptions } from './expect.js';

expect.extend(deepssimMatchers);

export { deepssimMatchers };
export { configureDeepSSIM, disposeDeepSSIM, preloadDeepSSIM, MATCHER_DEFAULTS } from './core.js';
export type { MatchOptions, SnapshotOptions };

interface DeepSSIMMatchers<R = unknown> {
  toMatchDeepSSIM(
    reference: string | Uint8Array | { data: Uint8Array; width: number; height: number; channels: 1 | 2 | 3 | 4 },
    options?: MatchOptions,
  ): Promise<R>;
  toMatchDeepSSIMSnapshot(options?: SnapshotOptions): Promise<R>;
}

declare module 'vitest' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type, @typescript-eslint/no-explicit-any
  interface Assertion<T = any> extends DeepSSIMMatchers<T> {}
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface AsymmetricMatchersContaining extends DeepSSIMMatchers {}
}
