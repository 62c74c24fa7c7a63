export { createLossWith, DeepSSIMLoss } from './loss.js';
export type { ImageBatch, LossOptions, LossResult, LossVariant, ValueAndGradOptions } from './loss.js';
