/**
 * `deepssim/jest`: `import 'deepssim/jest'` adds `toMatchDeepSSIM` and `toMatchDeepSSIMSnapshot` to Jest's global
 * `expect` — at the top of a test file, or in a one-line ES-module setup file of the project listed in
 * `setupFilesAfterEnv` (Jest resolves that list with the CommonJS conditions, so `'deepssim/jest'` itself cannot be
 * listed there). deepssim is an ES module: run Jest with `NODE_OPTIONS=--experimental-vm-modules` and `transform: {}`.
 * The network runs on a worker thread (engine.ts), out of Jest's vm context.
 */
import { deepssimMatchers, type MatchOptions, type SnapshotOptions } from './expect.js';

const globalExpect = (globalThis as { expect?: { extend(m: object): void } }).expect;
if (globalExpect) globalExpect.extend(deepssimMatchers);

export { deepssimMatchers };
export { configureDeepSSIM, disposeDeepSSIM, preloadDeepSSIM, MATCHER_DEFAULTS } from './core.js';
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
