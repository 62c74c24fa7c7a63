/**
 * The Node wiring of the platform-neutral core: the main entry's factories, bound to the Node platform
 * (src/node/platform.ts). Node code inside the project (CLI, evaluation harness) imports these.
 */
import { resolve } from 'node:path';
import { checkBatchArguments, scorePairsCore, type BatchOptions, type PairInput, type PairResult } from '../batch.js';
import { createDeepSSIMWith, type DeepSSIM, type DeepSSIMOptions } from '../deepssim.js';
import { createLossWith, type DeepSSIMLoss, type LossOptions } from '../loss/loss.js';
import { nodePlatform } from './platform.js';

export { createNodePlatform, nodePlatform, type NodePlatformOptions } from './platform.js';
export { decodeBytes, decodeImage } from './decode.js';

/** Create a DeepSSIM metric (loads weights and builds the inference session once; reuse it, then dispose()). */
export function createDeepSSIM(options?: DeepSSIMOptions): Promise<DeepSSIM> {
  return createDeepSSIMWith(nodePlatform, options);
}

/** Load the backbone's weights and prepare the differentiable loss (graphs are built lazily per input size). */
export function createLoss(options: LossOptions = {}): Promise<DeepSSIMLoss> {
  return createLossWith(nodePlatform, options);
}

/**
 * Score pairs of image files in order; yields one result per pair, errors reported per pair (message and code)
 * rather than thrown. Relative paths resolve against `baseDir` (default: the current directory).
 */
export function scorePairs<P extends PairInput>(
  metric: DeepSSIM,
  pairs: readonly P[],
  options?: BatchOptions,
): AsyncGenerator<PairResult<P>> {
  const o = checkBatchArguments(metric, pairs, options);
  const base = o.baseDir ?? process.cwd();
  const { baseDir: _, ...rest } = o;
  return scorePairsCore(metric, pairs, { ...rest, resolveLocation: (p) => resolve(base, p) });
}
