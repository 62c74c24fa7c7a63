/**
 * The one backbone registry: name → BackboneSpec. A spec registered here works for the metric (createDeepSSIM),
 * the loss (createLoss) and the weights store alike: the graphs are emitted from it (src/graph/emit.ts) and its
 * weights description drives the one weights-lookup routine (src/node/weights-store.ts). Adding a backbone is one
 * spec file plus one `registerBackbone(spec)` line — here for the built-in ones, or in user code for others.
 * Platform-neutral.
 */
import { UsageError, WeightsError } from '../errors.js';
import { checkSpec, checkWeights } from '../graph/geometry.js';
import type { BackboneSpec, RawWeights } from '../graph/spec.js';
import type { BackboneWeights, WeightsDeclaration, WeightsRead } from '../weights/official.js';
import type { WeightMap } from '../weights/types.js';
import { mobilenetV1 } from './mobilenet-v1.js';
import { vgg16 } from './vgg16.js';

/** A registered backbone: its spec and the binding the weights store works from. */
export interface RegisteredBackbone {
  readonly spec: BackboneSpec;
  /** The spec's weights description as the weights store sees it (declaration + select + adapt-and-check). */
  readonly weights: BackboneWeights;
}

const entries = new Map<string, RegisteredBackbone>();

/** What was read (state dict or TF.js model) → the spec's WeightMap: adapt, then check every tensor's shape. */
export function adaptWeights(spec: BackboneSpec, raw: RawWeights): WeightMap {
  const weights = spec.weights.adapt ? spec.weights.adapt(raw) : raw.tensors;
  checkWeights(spec, weights, raw.source);
  return weights;
}

/** A declaration for a backbone without official weights (files must be given; nothing is downloaded). */
function noOfficialWeights(spec: BackboneSpec): WeightsDeclaration {
  return {
    storage: spec.weights.storage,
    title: `${spec.name} weights`,
    envVar: '',
    official: [],
    entry: '',
    cacheName: spec.name,
    unverifiedCacheName: `${spec.name}.unverified`,
  };
}

function bind(spec: BackboneSpec): BackboneWeights {
  const storage = spec.weights.storage;
  return {
    backbone: spec.name,
    declaration: spec.weights.declaration ?? noOfficialWeights(spec),
    select: spec.weights.select,
    fromRead(read: WeightsRead, source: string): WeightMap {
      if (read.storage !== storage) {
        throw new WeightsError(
          `${source}: expected ${storage === 'state-dict' ? 'a state dict' : 'a TensorFlow.js layers model'}`,
          {
            code: 'WEIGHTS_WRONG_MODEL',
            path: source,
          },
        );
      }
      const raw: RawWeights =
        read.storage === 'state-dict'
          ? { tensors: read.tensors, source }
          : { tensors: read.model.weights, layers: read.model.layers, source };
      return adaptWeights(spec, raw);
    },
  };
}

/**
 * Register a backbone (its spec is checked for consistency; UsageError otherwise). A name can be registered once;
 * registering the same spec object again is a no-op.
 */
export function registerBackbone(spec: BackboneSpec): void {
  checkSpec(spec);
  const existing = entries.get(spec.name);
  if (existing?.spec === spec) return;
  if (existing)
    throw new UsageError(`a backbone named '${spec.name}' is already registered`, {
      code: 'INVALID_OPTION',
      option: 'name',
    });
  if (spec.weights.declaration && spec.weights.declaration.storage !== spec.weights.storage) {
    throw new UsageError(`backbone spec ${spec.name}: weights.storage and weights.declaration.storage differ`, {
      code: 'INVALID_OPTION',
      option: 'spec',
    });
  }
  entries.set(spec.name, { spec, weights: bind(spec) });
}

export function backboneNames(): string[] {
  return [...entries.keys()];
}

export function getBackbone(name: string): RegisteredBackbone {
  const entry = entries.get(name);
  if (!entry) {
    throw new UsageError(
      `unknown backbone '${String(name).slice(0, 100)}' (choose one of: ${backboneNames().join(', ')})`,
      {
        code: 'UNKNOWN_BACKBONE',
        option: 'backbone',
      },
    );
  }
  return entry;
}

registerBackbone(vgg16);
registerBackbone(mobilenetV1);
