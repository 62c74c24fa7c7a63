/**
 * The Node platform: what the computing core needs from Node (src/platform.ts) — sharp decoding and files,
 * onnxruntime-node sessions, weights found on disk / in the cache / by verified download, GBVS on a worker thread.
 */
import { availableParallelism } from 'node:os';
import type { Platform } from '../platform.js';
import { decodeImage } from './decode.js';
import { loadBackboneWeights } from './backbone-weights.js';
import { GbvsThread } from './gbvs-thread.js';
import { nodeOnnx } from './onnx.js';
import type { WeightsEnv } from './weights-store.js';

export interface NodePlatformOptions {
  /**
   * The environment the weights lookup reads (DEEPSSIM_CACHE_DIR, DEEPSSIM_WEIGHTS, …); default: the process
   * environment. The CLI passes its own so that a run in-process (tests) sees only the variables it was given.
   */
  env?: WeightsEnv;
}

/** A Node platform; `nodePlatform` is this with the process environment. */
export function createNodePlatform(options: NodePlatformOptions = {}): Platform {
  const env = options.env;
  return {
    name: 'node',
    decode: decodeImage,
    onnx: nodeOnnx,
    // The backbone entries' loaders read files, the cache directory and downloads (src/node/weights-store.ts).
    loadWeights: (entry, { onProgress, ...request }) =>
      loadBackboneWeights(entry, {
        ...request,
        ...(env ? { env } : {}),
        onProgress: onProgress && ((p) => onProgress({ kind: 'download', ...p })),
      }),
    createSaliencyRunner: () => new GbvsThread(),
    defaultThreads: () => availableParallelism(),
  };
}

export const nodePlatform: Platform = createNodePlatform();
