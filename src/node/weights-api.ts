/**
 * The weights store by backbone name (what the public API and the CLI call): the same resolver for every registered
 * backbone, looked up in the registry.
 */
import { backboneNames, getBackbone } from '../backbones/registry.js';
import * as store from './weights-store.js';

export { cacheDir } from './weights-store.js';
export type {
  CacheEntryInfo,
  CacheInfo,
  ExportResult,
  ImportResult,
  ResolvedWeights,
  WeightsOrigin,
  WeightsProgress,
  WeightsEnv,
  WeightsRequest,
} from './weights-store.js';

const binding = (backbone = 'vgg16') => getBackbone(backbone).weights;

/** Where a backbone's weights would be read from (explicit path, env, cache, or a download made now). */
export function resolveWeights(
  request: store.WeightsRequest & { backbone?: string } = {},
): Promise<store.ResolvedWeights> {
  return store.resolveWeights(binding(request.backbone), request);
}

/** Make sure the official weights of a backbone are cached (integrity-checked, or downloaded and verified). */
export function fetchWeights(
  request: Omit<store.WeightsRequest, 'weights'> & { backbone?: string } = {},
): Promise<store.ResolvedWeights> {
  return store.fetchWeights(binding(request.backbone), request);
}

/** Import a local weights file (or TF.js model folder) into the cache; non-genuine files go to an unverified entry. */
export function importWeights(
  file: string,
  options: { backbone?: string; log?: (message: string) => void; env?: store.WeightsEnv } = {},
): Promise<store.ImportResult> {
  return store.importWeights(binding(options.backbone), file, options);
}

/** Write the canonical compact export of a state-dict backbone's weights to `out` (deterministic bytes). */
export function exportWeights(
  out: string,
  request: store.WeightsRequest & { backbone?: string } = {},
): Promise<store.ExportResult> {
  return store.exportWeights(binding(request.backbone), out, request);
}

/** What is cached for every registered backbone (or the ones named), with integrity results. */
export function cacheInfo(
  backbones: readonly string[] = backboneNames(),
  options: { env?: store.WeightsEnv } = {},
): Promise<store.CacheInfo> {
  return store.cacheInfo(
    backbones.map((n) => binding(n)),
    options,
  );
}
