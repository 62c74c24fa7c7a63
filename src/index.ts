/**
 * deepssim — DeepSSIM (Zhang, Chen, Zhao, Wang, TPAMI 2025) for Node.js.
 *
 *   const metric = await createDeepSSIM();            // VGG16 relu5_1, full variant
 *   const s = await metric.score('ref.png', 'test.jpg'); // higher is better, 1 = identical
 *   await metric.dispose();
 *
 * This is the Node entry: it wires the Node platform (src/node: sharp, onnxruntime-node, files, worker threads,
 * cache directories) into the platform-neutral core. `createDeepSSIMWith(platform, options)` runs the same core on
 * another platform (see `deepssim/web`).
 */
export { createDeepSSIM, createLoss, decodeBytes, decodeImage, nodePlatform, scorePairs } from './node/index.js';
export { createDeepSSIMWith, DEFAULT_BACKBONE, DeepSSIM, SALIENCY_MODES, tileMinimum, VARIANTS } from './deepssim.js';
export type {
  DeepSSIMOptions,
  PreparedImage,
  PrepareOptions,
  SaliencyMode,
  ScoreOptions,
  Variant,
} from './deepssim.js';
export { scorePairsCore } from './batch.js';
export type { BatchOptions, CoreBatchOptions, PairInput, PairResult } from './batch.js';
export type { ImageInput, RawImage, RGBImage } from './image/types.js';
export type {
  LoadedWeights,
  OnnxRuntime,
  Platform,
  ProgressEvent,
  SaliencyRunner,
  SessionRequest,
} from './platform.js';
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
export {
  ComputeError,
  DataError,
  DeepSSIMError,
  ERROR_CODES,
  ImageError,
  LimitError,
  UsageError,
  WeightsError,
} from './errors.js';
export type { ErrorCode, ErrorDetails } from './errors.js';
export { LOSS_VARIANTS, MAX_THREADS, SALIENCY_THRESHOLD_RANGE } from './validate.js';
export { readWeightsFile } from './node/read-weights-file.js';
export { cacheDir, cacheInfo, exportWeights, fetchWeights, importWeights, resolveWeights } from './node/weights-api.js';
export type {
  CacheEntryInfo,
  CacheInfo,
  ExportResult,
  ImportResult,
  ResolvedWeights,
  WeightsOrigin,
  WeightsProgress,
  WeightsRequest,
} from './node/weights-api.js';
export { createLossWith, DeepSSIMLoss } from './loss/index.js';
export type { ImageBatch, LossOptions, LossResult, LossVariant, ValueAndGradOptions } from './loss/index.js';
// Classic metrics and GBVS saliency, on decoded 8-bit RGB images (decodeImage).
export { gbvs, quantizeSaliency, saliencyToMask, DEFAULT_GBVS_PARAMS } from './saliency/gbvs.js';
export type { GbvsParams, SaliencyMap } from './saliency/gbvs.js';
export { psnrRGB as psnr, psnrY } from './metrics/psnr.js';
export { ssim } from './metrics/ssim.js';
export type { SsimOptions } from './metrics/ssim.js';
export { msssim } from './metrics/ms-ssim.js';
export type { MsSsimOptions } from './metrics/ms-ssim.js';
// The TensorFlow.js adapter is a separate entry point (`deepssim/tfjs`) so the main library never loads tfjs.
