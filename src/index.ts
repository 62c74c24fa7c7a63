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
export type { RegisteredBackbone } from './backbones/registry.js';
export { IMAGENET_NORMALIZE } from './graph/spec.js';
export type {
  BackboneSpec,
  ConvLayer,
  LayerSpec,
  MaxPoolLayer,
  NormalizeLayer,
  Pads,
  RawWeights,
  Relu6Layer,
  ReluLayer,
  SaliencySpec,
  WeightsSpec,
} from './graph/spec.js';
export type { OfficialFile, WeightsDeclaration } from './weights/official.js';
export type { WeightMap, WeightTensor } from './weights/types.js';
export { blockGramSimilarity, liteGramSimilarity, DEEPSSIM_C } from './statistic/gram-ssim.js';
export { DeepSSIMError, ImageError, UsageError, WeightsError } from './errors.js';
export { readWeightsFile } from './node/read-weights-file.js';
export { cacheDir, cacheInfo, exportWeights, fetchWeights, importWeights, resolveWeights } from './node/weights-api.js';
export type { CacheEntryInfo, CacheInfo, ExportResult, ImportResult, ResolvedWeights, WeightsOrigin, WeightsProgress, WeightsRequest } from './node/weights-api.js';
export { createLoss, DeepSSIMLoss } from './loss/index.js';
export type { ImageBatch, LossOptions, LossResult, LossVariant, ValueAndGradOptions } from './loss/index.js';
// The TensorFlow.js adapter is a separate entry point (`deepssim/tfjs`) so the main library never loads tfjs.
