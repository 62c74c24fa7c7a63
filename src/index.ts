/**
 * deepssim — DeepSSIM (Zhang, Chen, Zhao, Wang, TPAMI 2025) for Node.js.
 *
 *   const metric = await createDeepSSIM();            // VGG16 relu5_1, full variant
 *   const s = await metric.score('ref.png', 'test.jpg'); // higher is better, 1 = identical
 *   await metric.dispose();
 */
export { createDeepSSIM, DeepSSIM, VARIANTS } from './deepssim.js';
export type { DeepSSIMOptions, PreparedImage, PrepareOptions, SaliencyMode, ScoreOptions, Variant } from './deepssim.js';
export { scorePairs } from './batch.js';
export type { BatchOptions, PairInput, PairResult } from './batch.js';
export { decodeImage } from './image/decode.js';
export type { ImageInput, RawImage, RGBImage } from './image/types.js';
export { backboneNames, getBackbone, registerBackbone } from './backbones/registry.js';
export type { Backbone } from './backbones/types.js';
export { blockGramSimilarity, liteGramSimilarity, DEEPSSIM_C } from './statistic/gram-ssim.js';
export { DeepSSIMError, ImageError, UsageError, WeightsError } from './errors.js';
export { readWeightsFile } from './node/read-weights-file.js';
export { cacheDir, cacheInfo, exportWeights, fetchWeights, importWeights, resolveWeights } from './node/weights-api.js';
export type { CacheEntryInfo, CacheInfo, ExportResult, ImportResult, ResolvedWeights, WeightsOrigin, WeightsProgress, WeightsRequest } from './node/weights-api.js';
export { createLoss, DeepSSIMLoss, registerLossStack } from './loss/index.js';
export type { ImageBatch, LayerOp, LayerStack, LossOptions, LossResult, LossVariant, ValueAndGradOptions } from './loss/index.js';
// The TensorFlow.js adapter is a separate entry point (`deepssim/tfjs`) so the main library never loads tfjs.
