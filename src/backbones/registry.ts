/**
 * Backbones are plug-ins: each entry knows its graph (Backbone) and how to find and read its weights.
 */
import { UsageError, WeightsError } from '../errors.js';
import { loadWeights, type WeightsRequest } from '../node/weights-store.js';
import { MOBILENET_V1_075_WEIGHTS, VGG16_WEIGHTS, type BackboneWeights } from '../weights/official.js';
import type { WeightMap } from '../weights/types.js';
import { isVgg16Relu51Tensor } from '../weights/vgg16-shapes.js';
import { isMobileNetFeatureWeight, mobilenetV1, mobilenetWeightsFromModel } from './mobilenet-v1.js';
import type { Backbone } from './types.js';
import { vgg16 } from './vgg16.js';

export type { WeightsRequest } from '../node/weights-store.js';

export interface BackboneEntry {
  readonly backbone: Backbone;
  /** How the weights are found and validated (declaration data plus the backbone's validation step). */
  readonly weights: BackboneWeights;
  /**
   * Locate and read the weights; throws WeightsError when they cannot be had. `verified` is true only for the
   * genuine (hash-pinned) files or a cache entry made from them.
   */
  loadWeights(request: WeightsRequest): Promise<{ weights: WeightMap; source: string; verified: boolean; note?: string }>;
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

const vgg16Weights: BackboneWeights = {
  backbone: vgg16.name,
  declaration: VGG16_WEIGHTS,
  select: isVgg16Relu51Tensor,
  fromRead(read, source) {
    if (read.storage !== 'state-dict') throw new WeightsError(`${source}: expected a state dict`, { code: 'WEIGHTS_WRONG_MODEL', path: source });
    vgg16.validate(read.tensors, source);
    return read.tensors;
  },
};

registerBackbone({ backbone: vgg16, weights: vgg16Weights, loadWeights: (request) => loadWeights(vgg16Weights, request) });

// MobileNet v1 α = 0.75 (Google's ImageNet weights, TensorFlow.js layers format): conv_pw_11 ReLU6, 384 channels.
const mobilenetWeights: BackboneWeights = {
  backbone: mobilenetV1.name,
  declaration: MOBILENET_V1_075_WEIGHTS,
  select: isMobileNetFeatureWeight,
  fromRead(read, source) {
    if (read.storage !== 'tfjs-layers') throw new WeightsError(`${source}: expected a TensorFlow.js layers model`, { code: 'WEIGHTS_WRONG_MODEL', path: source });
    return mobilenetWeightsFromModel(read.model);
  },
};

registerBackbone({ backbone: mobilenetV1, weights: mobilenetWeights, loadWeights: (request) => loadWeights(mobilenetWeights, request) });
