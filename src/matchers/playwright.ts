/**
 * `deepssim/playwright`: DeepSSIM screenshot assertions for Playwright Test.
 *
 *   import { expect as base } from '@playwright/test';
 *   import { deepssimPlaywrightMatchers } from 'deepssim/playwright';
 *   export const expect = base.extend(deepssimPlaywrightMatchers);
 *   await expect(page).toMatchDeepSSIMSnapshot({ name: 'home' });          // or expect(locator)
 *
 * Snapshots live where Playwright keeps its own (`testInfo.snapshotPath(name + '.png')`); `--update-snapshots`
 * rewrites them; with CI set a missing snapshot fails instead of being written. On failure the three-panel diff image
 * is written next to the snapshot and attached to the report.
 */
import { test } from '@playwright/test';
import type { Locator, Page } from '@playwright/test';
import { diffPathFor, envFlags, matchImages, matchSnapshot, type MatchOptions, type SnapshotOptions } from './core.js';

type Target = Page | Locator;

async function screenshot(target: Target): Promise<Buffer> {
  return target.screenshot({ animations: 'disabled', caret: 'hide' });
}

export const deepssimPlaywrightMatchers = {
  async toMatchDeepSSIM(
    this: { isNot?: boolean },
    target: Target,
    reference: string | Uint8Array,
    options: MatchOptions = {},
  ) {
    const r = await matchImages(await screenshot(target), reference, options, diffPathFor(reference));
    return { pass: r.pass, message: () => r.message, name: 'toMatchDeepSSIM' };
  },

  async toMatchDeepSSIMSnapshot(this: { isNot?: boolean }, target: Target, options: SnapshotOptions = {}) {
    const info = test.info();
    const name = options.name ?? `${info.titlePath.slice(1).join(' ')} ${info.snapshotSuffix}`.trim();
    const snapshotFile = info.snapshotPath(`${name}.png`);
    const update =
      info.config.updateSnapshots === 'all' || info.config.updateSnapshots === 'changed' || envFlags().update;
    const r = await matchSnapshot(
      await screenshot(target),
      { ...options, name },
      {
        testPath: info.file,
        snapshotFile,
        testName: name,
        counter: 1,
        update,
        ci: envFlags().ci || info.config.updateSnapshots === 'none',
      },
    );
    if ('diffPath' in r && r.diffPath)
      await info.attach('deepssim-diff', { path: r.diffPath, contentType: 'image/png' });
    return { pass: r.pass, message: () => r.message, name: 'toMatchDeepSSIMSnapshot' };
  },
};

export { configureDeepSSIM, disposeDeepSSIM, preloadDeepSSIM, MATCHER_DEFAULTS } from './core.js';
export type { MatchOptions, SnapshotOptions };
