/**
 * `expect.extend` matchers with the context Jest and Vitest share (`this.testPath`, `this.currentTestName`,
 * `this.snapshotState._updateSnapshot`, `this.isNot`).
 */
import { UsageError } from '../errors.js';
import type { ImageInput } from '../image/types.js';
import { diffPathFor, envFlags, matchImages, matchSnapshot, type MatchOptions, type SnapshotOptions } from './core.js';

interface MatcherContext {
  isNot?: boolean;
  testPath?: string;
  currentTestName?: string;
  /** The runner's snapshot state; `_updateSnapshot` ('all' | 'new' | 'none') is read defensively. */
  snapshotState?: unknown;
}

export interface MatcherResult {
  pass: boolean;
  message: () => string;
}

const counters = new Map<string, number>();

export const deepssimMatchers = {
  async toMatchDeepSSIM(
    this: MatcherContext,
    received: ImageInput,
    reference: ImageInput,
    options: MatchOptions = {},
  ): Promise<MatcherResult> {
    const r = await matchImages(received, reference, options, diffPathFor(reference));
    return { pass: r.pass, message: () => r.message };
  },

  async toMatchDeepSSIMSnapshot(
    this: MatcherContext,
    received: ImageInput,
    options: SnapshotOptions = {},
  ): Promise<MatcherResult> {
    if (!this.testPath)
      throw new UsageError(
        'toMatchDeepSSIMSnapshot needs the test runner’s testPath (run it inside a Jest or Vitest test)',
        {
          code: 'UNSUPPORTED',
        },
      );
    const testName = this.currentTestName ?? 'snapshot';
    const counter = (counters.get(`${this.testPath}\0${testName}`) ?? 0) + 1;
    counters.set(`${this.testPath}\0${testName}`, counter);
    const env = envFlags();
    const mode = (this.snapshotState as { _updateSnapshot?: string } | undefined)?._updateSnapshot;
    const r = await matchSnapshot(received, options, {
      testPath: this.testPath,
      testName,
      counter,
      update: env.update || mode === 'all',
      ci: env.ci || mode === 'none',
    });
    return { pass: r.pass, message: () => r.message };
  },
};

export type { MatchOptions, SnapshotOptions };
