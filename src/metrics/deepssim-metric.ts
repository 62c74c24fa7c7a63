/**
 * DeepSSIM as a FullReferenceMetric for the evaluation harness and the robustness suite. Prepared references are
 * cached by image object, so a reference shared by many distorted images goes through the network once.
 */
import { createDeepSSIM, type DeepSSIMOptions, type PreparedImage, type Variant } from '../deepssim.js';
import type { RGBImage } from '../image/types.js';
import type { FullReferenceMetric } from './types.js';

export async function createDeepSSIMMetric(options: DeepSSIMOptions, name = 'deepssim'): Promise<FullReferenceMetric> {
  const metric = await createDeepSSIM(options);
  const prepared = new WeakMap<RGBImage, Promise<PreparedImage>>();
  const prepare = (img: RGBImage): Promise<PreparedImage> => {
    let p = prepared.get(img);
    if (!p) {
      p = metric.prepare({ data: img.data, width: img.width, height: img.height, channels: 3 });
      prepared.set(img, p);
    }
    return p;
  };
  return {
    name,
    higherIsBetter: true,
    requiresSameSize: false,
    async score(reference: RGBImage, test: RGBImage): Promise<number> {
      const ref = await prepare(reference);
      const tst = await metric.prepare({ data: test.data, width: test.width, height: test.height, channels: 3 });
      return metric.compare(ref, tst);
    },
    dispose: () => metric.dispose(),
  };
}

/** Registry names: `deepssim` follows --variant; the suffixed names pin a variant so both can run side by side. */
export const DEEPSSIM_METRIC_NAMES: Readonly<Record<string, Variant | undefined>> = {
  deepssim: undefined,
  'deepssim-full': 'full',
  'deepssim-lite': 'lite',
};
