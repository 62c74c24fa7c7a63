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

export const nodePlatform: Platform = {
  name: 'node',
  decode: decodeImage,
  onnx: nodeOnnx,
  // The backbone entries' loaders read files, the cache directory and downloads (src/node/weights-store.ts).
  loadWeights: (entry, { onProgress, ...request }) =>
    loadBackboneWeights(entry, {
      ...request,
      onProgress: onProgress && ((p) => onProgress({ kind: 'download', ...p })),
    }),
  createSaliencyRunner: () => new GbvsThread(),
  defaultThreads: () => availableParallelism(),
};
