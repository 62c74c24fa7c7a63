/**
 * `deepssim/jest`: `import 'deepssim/jest'` (in `setupFilesAfterEach`, or at the top of a test file) adds
 * `toMatchDeepSSIM` and `toMatchDeepSSIMSnapshot` to Jest's global `expect`. deepssim is an ES module: run Jest
 * with `NODE_OPTIONS=--experimental-vm-modules`.
 */
import { deepssimMatchers, type MatchOptions, type SnapshotOptions } from './expect.js';

const globalExpect = (globalThis as { expect?: { extend(m: object): void } }).expect;
if (globalExpect) globalExpect.extend(deepssimMatchers);

export { deepssimMatchers };
export { configureDeepSSIM, disposeDeepSSIM, MATCHER_DEFAULTS } from './core.js';
export type { MatchOptions, SnapshotOptions };

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace jest {
    interface Matchers<R> {
      toMatchDeepSSIM(
        reference: string | Uint8Array | { data: Uint8Array; width: number; height: number; channels: 1 | 2 | 3 | 4 },
        options?: MatchOptions,
      ): Promise<R>;
      toMatchDeepSSIMSnapshot(options?: SnapshotOptions): Promise<R>;
    }
  }
}
