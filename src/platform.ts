/**
 * The platform boundary. The computing core (graph building, statistics, tiling, saliency, the metric and the loss)
 * is written against this small interface and imports nothing platform-specific; a platform layer supplies image
 * decoding, an ONNX Runtime flavour, weights lookup and (optionally) a saliency worker.
 *
 * - Node: `src/node/platform.ts` (sharp, onnxruntime-node, files, worker threads, cache directories), wired into the
 *   main entry `deepssim`.
 * - Browsers: `deepssim/web` (onnxruntime-web, canvas/ImageDecoder, fetch).
 *
 * ONNX Runtime types come from onnxruntime-common, which onnxruntime-node and onnxruntime-web both re-export, so
 * either package's `InferenceSession` and `Tensor` fit.
 */
import type { InferenceSession, Tensor } from 'onnxruntime-common';
import type { RegisteredBackbone as BackboneEntry } from './backbones/registry.js';
import type { ImageInput, RGBImage } from './image/types.js';
import type { SaliencyMap } from './saliency/types.js';
import type { WeightMap } from './weights/types.js';

export type { InferenceSession, Tensor } from 'onnxruntime-common';

/** Settings the core asks of an inference session. */
export interface SessionRequest {
  /** Intra-op threads (the platform may clamp or ignore it, e.g. a browser without cross-origin isolation). */
  threads: number;
  /**
   * Whether idle intra-op threads may spin (busy-wait) for the next piece of work (default true: the lowest latency
   * between one session's own runs). `false` for sessions run back to back with another session (the local map's):
   * a pool left spinning after its run takes a core from the next session's run (measured: the map's pair products
   * cost ~2× CPU right after a spinning backbone pass). Platforms without the setting ignore it.
   */
  spin?: boolean;
}

/** Element types the core creates tensors of. */
export type TensorElement = 'float32' | 'int64';

/** The ONNX Runtime flavour of a platform. */
export interface OnnxRuntime {
  /** Create a session for a serialised ONNX model (the graphs the core builds: symbolic H×W, CPU kernels only). */
  createSession(model: Uint8Array, request: SessionRequest): Promise<InferenceSession>;
  /** Create a tensor of that flavour (`new ort.Tensor(type, data, dims)`). */
  tensor(type: 'float32', data: Float32Array, dims: readonly number[]): Tensor;
  tensor(type: 'int64', data: BigInt64Array, dims: readonly number[]): Tensor;
}

/** What the core asks of a platform's weights lookup. */
export interface WeightsLoadRequest {
  /** A location the platform understands (a file on Node, a URL in a browser); wins over everything else. */
  weights?: string | Uint8Array | WeightMap;
  /** Allow downloading the official weights when nothing else is found (default true). */
  download?: boolean;
  /** Short progress messages; silent by default. */
  log?: (message: string) => void;
  /** Download progress events; silent by default. */
  onProgress?: (event: ProgressEvent) => void;
}

/** What a platform returns for a weights request. */
export interface LoadedWeights {
  weights: WeightMap;
  /** Where they came from (a path, URL or label), for messages and `DeepSSIM.weightsSource`. */
  source: string;
  /** True only for the genuine published files (SHA-256 pinned) or a cache entry made from them. */
  verified: boolean;
  /** Why the weights are not verified (one line), when they are not. */
  note?: string;
}

/** Progress events the library reports through `onProgress` (a CLI renders them; the library never prints). */
export type ProgressEvent =
  | { kind: 'download'; backbone: string; file: string; bytesDone: number; bytesTotal: number | undefined }
  /** Tiles of one image computed (a tiled score or map); `image` says which image of the call (e.g. `reference`). */
  | { kind: 'tiles'; done: number; total: number; image?: string }
  | { kind: 'pairs'; done: number; total: number }
  | { kind: 'message'; message: string };

/** A GBVS runner off the calling thread (computes maps in parallel with the caller's own work). */
export interface SaliencyRunner {
  compute(img: RGBImage): Promise<SaliencyMap>;
  terminate(): Promise<void>;
}

export interface Platform {
  /** A short name for messages, e.g. `node`, `web`. */
  readonly name: string;
  /** Decode any input the platform accepts (paths, URLs, encoded bytes, raw pixels) to 8-bit RGB. */
  decode(input: ImageInput): Promise<RGBImage>;
  readonly onnx: OnnxRuntime;
  /** Find, read and validate a backbone's weights (throws WeightsError with a code when they cannot be had). */
  loadWeights(entry: BackboneEntry, request: WeightsLoadRequest): Promise<LoadedWeights>;
  /** Off-thread GBVS, when the platform has threads; without it the core computes maps inline. */
  createSaliencyRunner?(): SaliencyRunner;
  /** Default intra-op threads (e.g. the machine's available parallelism). */
  defaultThreads(): number;
}
