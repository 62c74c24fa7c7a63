export { createLoss, DeepSSIMLoss } from './loss.js';
export type { ImageBatch, LossOptions, LossResult, LossVariant, ValueAndGradOptions } from './loss.js';
export { registerLossStack } from './stacks.js';
export type { LayerOp, LayerStack } from './layers.js';
