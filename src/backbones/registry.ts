/**
 * Backbones are plug-ins: each entry knows its graph (Backbone) and how to find and read its weights.
 */
import { UsageError } from '../errors.js';
import type { WeightMap } from '../weights/types.js';
import type { Backbone } from './types.js';
import { vgg16 } from './vgg16.js';
import { readTfjsLayersModel, readWeightsFile } from '../node/read-weights-file.js';
import { resolveVgg16Weights } from '../weights/cache.js';
import { isVgg16Relu51Tensor } from '../weights/vgg16-shapes.js';
import { isMobileNetFeatureWeight, mobilenetV1, mobilenetWeightsFromModel } from './mobilenet-v1.js';
import { resolveMobileNetWeights } from '../weights/mobilenet-cache.js';

export interface WeightsRequest {
  /** A local weights file; otherwise DEEPSSIM_WEIGHTS, then the cache, then a verified download. */
  weights?: string;
  /** Allow downloading the official weights on first use (default true). */
  download?: boolean;
  /** Progress messages (download, cache). */
  log?: (message: string) => void;
}

export interface BackboneEntry {
  readonly backbone: Backbone;
  /** Locate and read the weights; throws WeightsError with instructions when they cannot be had. */
  loadWeights(request: WeightsRequest): Promise<{ weights: WeightMap; source: string }>;
}

const entries = new Map<string, BackboneEntry>();

export function registerBackbone(entry: BackboneEntry): void {
  entries.set(entry.backbone.name, entry);
}

export function backboneNames(): string[] {
  return [...entries.keys()];
}

export function getBackbone(name: string): BackboneEntry {
  const entry = entries.get(name);
  if (!entry) throw new UsageError(`unknown backbone '${name}' (choose one of: ${backboneNames().join(', ')})`);
  return entry;
}

registerBackbone({
  backbone: vgg16,
  async loadWeights(request) {
    const source = await resolveVgg16Weights({ weights: request.weights, download: request.download, log: request.log });
    const { tensors } = await readWeightsFile(source, { select: isVgg16Relu51Tensor });
    vgg16.validate(tensors, source);
    return { weights: tensors, source };
  },
});

// MobileNet v1 α = 0.75 (Google's ImageNet weights, TensorFlow.js layers format): conv_pw_11 ReLU6, 384 channels.

registerBackbone({
  backbone: mobilenetV1,
  async loadWeights(request) {
    const source = await resolveMobileNetWeights({ weights: request.weights, download: request.download, log: request.log });
    const model = await readTfjsLayersModel(source, { select: isMobileNetFeatureWeight });
    return { weights: mobilenetWeightsFromModel(model), source };
  },
});
