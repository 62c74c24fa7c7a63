/**
 * Node layer: a registered backbone's WeightMap from what the caller gave — tensors in memory, the bytes of a
 * weights file, a path, or nothing (the backbone's official weights: environment, cache, verified download, through
 * the one weights store).
 */
import type { RegisteredBackbone } from '../backbones/registry.js';
import { adaptWeights } from '../backbones/registry.js';
import { UsageError, WeightsError } from '../errors.js';
import { checkWeights } from '../graph/geometry.js';
import { readWeightsBytes } from '../weights/read.js';
import type { WeightMap } from '../weights/types.js';
import { loadWeights, type WeightsRequest } from './weights-store.js';

export interface BackboneWeightsRequest extends Omit<WeightsRequest, 'weights'> {
  /**
   * A weights file (or TF.js model folder); the bytes of a .pth / .safetensors file (state-dict backbones); or a
   * WeightMap keyed as the spec's layers name them (after adaptation). Omitted: the official weights.
   */
  readonly weights?: string | WeightMap | Uint8Array;
}

export interface BackboneWeightsResult {
  readonly weights: WeightMap;
  /** The file read, or `memory`. */
  readonly source: string;
  /** True only for the genuine (hash-pinned) files or a cache entry made from them. */
  readonly verified: boolean;
  readonly note?: string;
}

export async function loadBackboneWeights(
  entry: RegisteredBackbone,
  request: BackboneWeightsRequest = {},
): Promise<BackboneWeightsResult> {
  const { spec } = entry;
  const given = request.weights;
  if (given instanceof Map) {
    checkWeights(spec, given, 'passed in memory');
    return { weights: given, source: 'memory', verified: false, note: 'weights passed in memory' };
  }
  if (given instanceof Uint8Array) {
    if (spec.weights.storage !== 'state-dict') {
      throw new UsageError(
        `weights of backbone ${spec.name} (a TensorFlow.js model) cannot be given as bytes: pass a path or a WeightMap`,
        {
          code: 'INVALID_OPTION',
          option: 'weights',
        },
      );
    }
    const source = 'weights bytes';
    const { tensors } = readWeightsBytes(given, source, { select: spec.weights.select });
    return {
      weights: adaptWeights(spec, { tensors, source }),
      source: 'memory',
      verified: false,
      note: 'weights passed as bytes',
    };
  }
  if (!spec.weights.declaration && (given === undefined || given === '')) {
    throw new WeightsError(
      `backbone ${spec.name} has no official weights: pass a weights file, its bytes or a WeightMap`,
      { code: 'WEIGHTS_NOT_FOUND' },
    );
  }
  const loaded = await loadWeights(entry.weights, { ...request, weights: given });
  return {
    weights: loaded.weights,
    source: loaded.source,
    verified: loaded.verified,
    ...(loaded.note ? { note: loaded.note } : {}),
  };
}
