/**
 * Metric registry for the evaluation harness and CLI: name → async factory. Baselines register here;
 * other metrics (DeepSSIM) are added by their owners through registerMetric().
 */
import { quote, UsageError } from '../errors.js';
import { createMsSsim } from './ms-ssim.js';
import { createPsnr, createPsnrY } from './psnr.js';
import { createSsim } from './ssim.js';
import type { FullReferenceMetric } from './types.js';
import { createDeepSSIMMetric, DEEPSSIM_METRIC_NAMES } from './deepssim-metric.js';
import type { DeepSSIMOptions } from '../deepssim.js';
import type { Platform } from '../platform.js';

/**
 * Options handed to every factory (each uses what it understands): library options (DeepSSIM's: variant, backbone,
 * weights, tile, saliency, …) and the platform that network metrics run on.
 */
export interface MetricFactoryOptions extends DeepSSIMOptions {
  /** Where network metrics run (Node: `nodePlatform` from the main entry). */
  platform?: Platform;
}

export type MetricFactory = (options: MetricFactoryOptions) => Promise<FullReferenceMetric>;

const registry = new Map<string, MetricFactory>();

/** Register (or replace) a metric factory under a command-line name. */
export function registerMetric(name: string, factory: MetricFactory): void {
  registry.set(name, factory);
}

// ---- Baselines -----------------------------------------------------------------------------------------------
registerMetric('psnr', async () => createPsnr());
registerMetric('psnr-y', async () => createPsnrY());
registerMetric('ssim', async () => createSsim());
// Plain single-scale SSIM without ssim.m's automatic downsampling (what the IQA-PyTorch calibration table used).
registerMetric('ssim-nods', async () => ({ ...createSsim({ downsample: false }), name: 'ssim-nods' }));
registerMetric('ms-ssim', async () => createMsSsim());
// msssim.m's other combination mode (weighted mean of the scales): what the TID2013 calibration column used.
registerMetric('ms-ssim-wtdsum', async () => ({ ...createMsSsim({ method: 'wtd_sum' }), name: 'ms-ssim-wtdsum' }));

// ---- DeepSSIM ------------------------------------------------------------------------------------------------
for (const [name, variant] of Object.entries(DEEPSSIM_METRIC_NAMES)) {
  registerMetric(name, async ({ platform, ...opts }) => {
    if (!platform)
      throw new UsageError(`metric '${name}' runs a network: pass options.platform (e.g. nodePlatform)`, {
        option: 'platform',
      });
    return createDeepSSIMMetric(platform, { ...opts, variant: variant ?? opts.variant }, name);
  });
}

export function metricNames(): string[] {
  return [...registry.keys()];
}

export function getMetricFactory(name: string): MetricFactory {
  const f = registry.get(name);
  if (!f)
    throw new UsageError(`unknown metric ${quote(name)} (available: ${metricNames().join(', ')})`, {
      option: 'metrics',
      actual: name,
      expected: metricNames(),
    });
  return f;
}

/** Instantiate metrics by name, in order. */
export async function createMetrics(
  names: string[],
  options: MetricFactoryOptions = {},
): Promise<FullReferenceMetric[]> {
  const out: FullReferenceMetric[] = [];
  for (const n of names) out.push(await getMetricFactory(n)(options));
  return out;
}
