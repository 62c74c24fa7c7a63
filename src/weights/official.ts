/**
 * How each backbone's weights are found and validated, as data: the official files (URL, SHA-256, size), the
 * format the backbone reads, the cache entry it uses and, for state-dict backbones, the canonical compact subset.
 * One resolver in the Node layer (src/node/weights-store.ts) works from these declarations for every backbone, so
 * adding a backbone adds data to its spec (src/backbones/<name>.ts), not another lookup routine.
 *
 * Platform-neutral: plain data and types, no I/O.
 */
import type { KerasLayer } from './tfjs-layers.js';
import type { WeightMap } from './types.js';

/** One file published by the weights' authors. */
export interface OfficialFile {
  /** File name (relative to the entry: the cache folder for multi-file models). */
  readonly name: string;
  readonly url: string;
  /** Lower-case hex SHA-256 of the whole file. */
  readonly sha256: string;
  /** Size in bytes (lets a resolver skip hashing a file that cannot be the official one, and report progress). */
  readonly bytes: number;
}

/**
 * How a backbone stores its weights:
 * - `state-dict`: one PyTorch (.pth, zip or legacy) or safetensors file of named tensors; the cache keeps only the
 *   tensors the backbone needs, as a canonical safetensors file (see `compact`).
 * - `tfjs-layers`: a TensorFlow.js layers model: model.json plus the shard files it lists; the cache keeps the files
 *   as published.
 */
export type WeightsStorage = 'state-dict' | 'tfjs-layers';

export interface WeightsDeclaration {
  readonly storage: WeightsStorage;
  /** Human-readable name of the weights, e.g. `torchvision's ImageNet VGG16`. */
  readonly title: string;
  /** Environment variable that names a local weights file (checked after an explicit path, before the cache). */
  readonly envVar: string;
  /** The genuine files; a download fetches them all and verifies each. */
  readonly official: readonly OfficialFile[];
  /** Which official file is loaded (the .pth, or model.json). */
  readonly entry: string;
  /** Cache entry name: a file (state-dict: the compact subset) or a folder (tfjs-layers: the files as published). */
  readonly cacheName: string;
  /** Cache entry for weights imported from files that are not the official ones (never the official name). */
  readonly unverifiedCacheName: string;
  /** state-dict only: the tensors the backbone needs, written as the canonical export (sorted, fixed metadata). */
  readonly compact?: {
    readonly shapes: Readonly<Record<string, readonly number[]>>;
    /** Fixed safetensors metadata of the export (never depends on the source file). */
    readonly metadata: Readonly<Record<string, string>>;
    /**
     * SHA-256 of the canonical export made from the official file, when known. It can only be computed from the
     * genuine file (see docs/weights.md, "Pinning the export hash"); until then it is undefined and an export
     * given by path is reported as unverified.
     */
    readonly sha256?: string;
  };
}

// The declarations themselves live in each backbone's spec file (src/backbones/<name>.ts), which imports these
// types: this module imports no backbone, so the weights layer stays below the backbones.

/** What the resolver read from a weights source, before the backbone turns it into its WeightMap. */
export type WeightsRead =
  | { readonly storage: 'state-dict'; readonly tensors: WeightMap }
  | {
      readonly storage: 'tfjs-layers';
      readonly model: { readonly source: string; readonly layers: readonly KerasLayer[]; readonly weights: WeightMap };
    };

/**
 * A backbone's weights as the resolver sees them: the declaration (data) plus the backbone's own step from what was
 * read to the WeightMap its graph needs (shape validation, e.g. batch-norm folding).
 */
export interface BackboneWeights {
  /** Backbone registry name. */
  readonly backbone: string;
  readonly declaration: WeightsDeclaration;
  /** Read only the tensors (state dict) or manifest weights (TF.js) this accepts. */
  readonly select?: (name: string) => boolean;
  /** Validate what was read and return the backbone's WeightMap (throws WeightsError). */
  fromRead(read: WeightsRead, source: string): WeightMap;
}
