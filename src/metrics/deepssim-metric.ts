/**
 * DeepSSIM as a FullReferenceMetric for the evaluation harness and the robustness suite.
 *
 * Metrics that differ only in the statistic (`deepssim-full`, `deepssim-lite`) share one network and one cache of
 * prepared images (keyed by image object), so each image goes through the backbone once per run, however many
 * DeepSSIM variants are evaluated on it.
 */
import {
  createDeepSSIMWith,
  type DeepSSIM,
  type DeepSSIMOptions,
  type PreparedImage,
  type Variant,
} from '../deepssim.js';
import type { RGBImage } from '../image/types.js';
import type { Platform } from '../platform.js';
import type { FullReferenceMetric } from './types.js';

interface SharedFeatures {
  metric: DeepSSIM;
  prepared: WeakMap<RGBImage, Promise<PreparedImage>>;
  users: number;
}

const shared = new Map<string, Promise<SharedFeatures>>();

/** Everything that changes the Gram matrices (not the statistic). */
function featureKey(platform: Platform, o: DeepSSIMOptions): string {
  return JSON.stringify([
    platform.name,
    o.backbone ?? 'vgg16',
    o.weights ?? '',
    o.tile ?? 'auto',
    o.saliency ?? 'none',
    o.saliencyThreshold ?? 0,
    o.threads ?? 0,
  ]);
}

async function acquire(
  platform: Platform,
  options: DeepSSIMOptions,
): Promise<{ key: string; features: SharedFeatures }> {
  const key = featureKey(platform, options);
  let entry = shared.get(key);
  if (!entry) {
    entry = createDeepSSIMWith(platform, options).then((metric) => ({ metric, prepared: new WeakMap(), users: 0 }));
    entry.catch(() => shared.delete(key));
    shared.set(key, entry);
  }
  const features = await entry;
  features.users++;
  return { key, features };
}

export async function createDeepSSIMMetric(
  platform: Platform,
  options: DeepSSIMOptions,
  name = 'deepssim',
): Promise<FullReferenceMetric> {
  const variant: Variant = options.variant ?? 'full';
  const { key, features } = await acquire(platform, options);
  const prepare = (img: RGBImage): Promise<PreparedImage> => {
    let p = features.prepared.get(img);
    if (!p) {
      p = features.metric.prepare({ data: img.data, width: img.width, height: img.height, channels: 3 });
      features.prepared.set(img, p);
    }
    return p;
  };
  let disposed = false;
  return {
    name,
    higherIsBetter: true,
    requiresSameSize: false,
    async score(reference: RGBImage, test: RGBImage): Promise<number> {
      const [ref, tst] = await Promise.all([prepare(reference), prepare(test)]);
      return features.metric.compare(ref, tst, variant);
    },
    async dispose() {
      if (disposed) return;
      disposed = true;
      if (--features.users === 0) {
        shared.delete(key);
        await features.metric.dispose();
      }
    },
  };
}

/** Registry names: `deepssim` follows --variant; the suffixed names pin a variant so both can run side by side. */
export const DEEPSSIM_METRIC_NAMES: Readonly<Record<string, Variant | undefined>> = {
  deepssim: undefined,
  'deepssim-full': 'full',
  'deepssim-lite': 'lite',
  'deepssim-full-normalized': 'full-normalized',
};
