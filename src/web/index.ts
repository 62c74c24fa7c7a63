/// <reference lib="dom" />
/**
 * deepssim/web — DeepSSIM in a browser (page or Web Worker), the same metric as the Node entry on onnxruntime-web:
 * WebGPU when the browser offers a hardware adapter, WebAssembly otherwise (SIMD; threads when cross-origin isolated).
 *
 *   import { createDeepSSIM } from 'deepssim/web';
 *   const metric = await createDeepSSIM({ backbone: 'mobilenet', wasmPaths: '/ort/' });
 *   const s = await metric.score(fileA, fileB);   // File/Blob, ImageBitmap, ImageData, <img>, canvas, URL, raw pixels
 *   metric.executionProvider;                      // 'webgpu' | 'wasm'
 *   await metric.dispose();
 *
 * The core (graph, tiling, statistic) is the platform-neutral one of the Node entry; this module supplies decoding,
 * onnxruntime-web, weights by fetch + SubtleCrypto + Cache API, and GBVS on Web Workers. See docs/web.md.
 */
import { getBackbone } from '../backbones/registry.js';
import {
  createDeepSSIMWith,
  DEFAULT_BACKBONE,
  type DeepSSIM,
  type DeepSSIMOptions,
  type PreparedImage,
  type Variant,
} from '../deepssim.js';
import { ImageError } from '../errors.js';
import type { RawImage, RGBImage } from '../image/types.js';
import type { Platform, ProgressEvent } from '../platform.js';
import { decodeWebImage, type WebImageInput } from './decode.js';
import { WebGbvsRunner } from './gbvs-runner.js';
import {
  chooseExecutionProvider,
  configureWasm,
  EXECUTION_PROVIDERS,
  defaultWebThreads,
  webOnnx,
  type ExecutionProvider,
  type ExecutionProviderRequest,
} from './onnx.js';
import { checkBoolean, checkOneOf, checkOptionsObject, checkPair, checkString, checkThreads } from '../validate.js';
import { loadWebWeights, type WebLoadedWeights, type WebWeights } from './weights.js';

export { backboneNames } from '../backbones/registry.js';
export { VARIANTS } from '../deepssim.js';
export type { PreparedImage, SaliencyMode, Variant } from '../deepssim.js';
export {
  ComputeError,
  DeepSSIMError,
  ERROR_CODES,
  ImageError,
  LimitError,
  UsageError,
  WeightsError,
} from '../errors.js';
export type { ErrorCode } from '../errors.js';
export type { RawImage, RGBImage } from '../image/types.js';
export type { ProgressEvent } from '../platform.js';
export { decodeWebImage as decodeImage, type WebImageInput } from './decode.js';
export { clearWeightsCache, sha256Hex, WEIGHTS_CACHE_NAME } from './fetch.js';
export {
  chooseExecutionProvider,
  probeWebGpu,
  type ExecutionProvider,
  type ExecutionProviderRequest,
  type WebGpuProbe,
} from './onnx.js';
export type { WebWeights } from './weights.js';

export interface WebDeepSSIMOptions extends Omit<DeepSSIMOptions, 'weights' | 'download' | 'onProgress'> {
  /**
   * Weights: a URL (the relu5_1 safetensors export for VGG16; model.json for MobileNet, whose default is Google's
   * published copy) or the bytes of a single-file format.
   */
  weights?: WebWeights;
  /** Expected SHA-256 (hex) of a single weights file or of model.json; a mismatch is WEIGHTS_HASH_MISMATCH. */
  weightsSha256?: string;
  /** Keep downloaded weights in the Cache API so the next visit downloads nothing (default true). */
  cacheWeights?: boolean;
  /** `auto` (default): WebGPU on a hardware adapter, else WebAssembly. */
  executionProvider?: ExecutionProviderRequest;
  /** Where ONNX Runtime Web's .wasm files are served (e.g. '/ort/'); default: beside ONNX Runtime's script. */
  wasmPaths?: string | Record<string, string>;
  /** URL of dist/web/gbvs-worker.js when it is not served beside this module. */
  gbvsWorkerUrl?: string | URL;
  /** Weights download progress (bytes over all files) and other progress events. */
  onProgress?: (event: ProgressEvent) => void;
}

export interface WebPrepareOptions {
  /** A saliency map image for this image (first channel, binarised with the metric's threshold). */
  saliencyMap?: WebImageInput;
}

export interface WebScoreOptions {
  /** Saliency map images [reference, test], same sizes as the images. */
  saliencyMaps?: readonly [WebImageInput, WebImageInput];
}

function isPrepared(x: unknown): x is PreparedImage {
  return typeof x === 'object' && x !== null && (x as PreparedImage).kind === 'deepssim-prepared';
}

const asRaw = (img: RGBImage): RawImage => ({ data: img.data, width: img.width, height: img.height, channels: 3 });

/** DeepSSIM in a browser: the Node entry's API, with browser inputs and the execution provider reported. */
export class WebDeepSSIM {
  readonly variant: Variant;
  readonly backboneName: string;
  /** Where the weights came from (URL or a label for bytes). */
  readonly weightsSource: string;
  /** SHA-256 of the weights file (model.json for MobileNet) and whether it was checked against a known hash. */
  readonly weightsSha256: string;
  readonly weightsVerified: boolean;
  /** The ONNX Runtime execution provider in use. */
  readonly executionProvider: ExecutionProvider;
  /** WebAssembly threads in effect (1 unless the page is cross-origin isolated). */
  readonly threads: number;
  /** How many weight files came from the Cache API, and how many over the network, when this metric was created. */
  readonly weightsFiles: { readonly cached: number; readonly downloaded: number };
  private gbvs?: WebGbvsRunner;

  private constructor(
    private readonly core: DeepSSIM,
    private readonly options: WebDeepSSIMOptions,
    loaded: WebLoadedWeights,
    provider: ExecutionProvider,
    threads: number,
  ) {
    this.variant = core.variant;
    this.backboneName = core.backboneName;
    this.weightsSource = core.weightsSource;
    this.weightsSha256 = loaded.sha256;
    this.weightsVerified = loaded.verified === true;
    this.executionProvider = provider;
    this.threads = threads;
    this.weightsFiles = { cached: loaded.cachedFiles, downloaded: loaded.downloadedFiles };
  }

  /** Load weights, build the graph and create the session (once; reuse the metric). */
  static async create(options?: WebDeepSSIMOptions): Promise<WebDeepSSIM> {
    options = checkOptionsObject(options);
    // The web-only options here; the core's (variant, threads, saliency, …) are checked again by the core, the
    // same way, but threads must be valid before WebAssembly is configured with them.
    checkThreads(options.threads);
    checkString('weightsSha256', options.weightsSha256);
    checkBoolean('cacheWeights', options.cacheWeights);
    checkOneOf('executionProvider', options.executionProvider, EXECUTION_PROVIDERS);
    const { weights, weightsSha256, cacheWeights, executionProvider, wasmPaths, gbvsWorkerUrl, onProgress, ...rest } =
      options;
    const provider = await chooseExecutionProvider(executionProvider ?? 'auto');
    const threads = configureWasm({ wasmPaths, threads: options.threads ?? defaultWebThreads() });
    let loaded: WebLoadedWeights | undefined;
    const platform: Platform = {
      name: 'web',
      decode: (input) => decodeWebImage(input as WebImageInput),
      onnx: webOnnx(provider),
      loadWeights: async (entry) => {
        loaded = await loadWebWeights(entry.weights, { weights, weightsSha256, cacheWeights, onProgress });
        return loaded;
      },
      defaultThreads: () => threads,
    };
    // The core sees a label for the weights; this platform's loader holds the real source.
    const label =
      weights === undefined
        ? undefined
        : typeof weights === 'string'
          ? weights
          : weights instanceof URL
            ? weights.href
            : `<${weights.byteLength} bytes>`;
    const core = await createDeepSSIMWith(platform, { ...rest, threads, weights: label, onProgress });
    return new WebDeepSSIM(core, { ...options, gbvsWorkerUrl }, loaded!, provider, threads);
  }

  /** Decode any accepted input to 8-bit RGB with this platform's rules (what the metric sees). */
  decode(input: WebImageInput): Promise<RGBImage> {
    return decodeWebImage(input);
  }

  private async mask(img: RGBImage): Promise<RawImage> {
    this.gbvs ??= new WebGbvsRunner(
      this.options.gbvsWorkerUrl === undefined
        ? undefined
        : new URL(this.options.gbvsWorkerUrl, globalThis.location?.href),
    );
    const mask = await this.gbvs.mask(img, this.options.saliencyThreshold ?? 0);
    for (let i = 0; i < mask.length; i++) mask[i] *= 255;
    return { data: mask, width: img.width, height: img.height, channels: 1 };
  }

  /** Decode an image and compute its Gram matrix (reuse a prepared reference for many tests). */
  async prepare(input: WebImageInput, options?: WebPrepareOptions, what = 'image'): Promise<PreparedImage> {
    options = checkOptionsObject(options);
    const img = await decodeWebImage(input, what);
    // Check the size here, before any map is computed (GBVS runs on a worker), with the IMAGE_TOO_SMALL code.
    const min = getBackbone(this.backboneName).spec.minSide;
    if (img.width < min || img.height < min) {
      throw new ImageError(`${what} is ${img.width}×${img.height}; DeepSSIM needs at least ${min}×${min} pixels`, {
        code: 'IMAGE_TOO_SMALL',
        expected: [min, min],
        actual: [img.width, img.height],
      });
    }
    let saliencyMap: RawImage | undefined;
    if (options.saliencyMap !== undefined)
      saliencyMap = asRaw(await decodeWebImage(options.saliencyMap, `saliency map for ${what}`));
    else if (this.options.saliency === 'gbvs') saliencyMap = await this.mask(img);
    return this.core.prepare(asRaw(img), saliencyMap ? { saliencyMap } : {}, what);
  }

  /** The statistic between two prepared images (pure, synchronous); `variant` defaults to the metric's own. */
  compare(reference: PreparedImage, test: PreparedImage, variant: Variant = this.variant): number {
    return this.core.compare(reference, test, variant);
  }

  /** Score a test image against a reference (either may be prepared already). Higher is better; 1 = identical. */
  async score(
    reference: WebImageInput | PreparedImage,
    test: WebImageInput | PreparedImage,
    options?: WebScoreOptions,
  ): Promise<number> {
    const maps = checkPair<WebImageInput>('saliencyMaps', checkOptionsObject(options).saliencyMaps);
    const [ref, tst] = await Promise.allSettled([
      isPrepared(reference) ? reference : this.prepare(reference, maps ? { saliencyMap: maps[0] } : {}, 'reference'),
      isPrepared(test) ? test : this.prepare(test, maps ? { saliencyMap: maps[1] } : {}, 'test'),
    ]);
    if (ref.status === 'rejected') throw ref.reason;
    if (tst.status === 'rejected') throw tst.reason;
    return this.compare(ref.value, tst.value);
  }

  /** Cumulative inference counters (runs and ms inside ONNX Runtime). */
  stats(): { runs: number; inferenceMs: number } {
    return this.core.stats();
  }

  /** Release the sessions and the GBVS workers. */
  async dispose(): Promise<void> {
    await this.gbvs?.terminate();
    await this.core.dispose();
  }
}

/** Create a DeepSSIM metric in a browser (loads weights and builds the inference session once). */
export function createDeepSSIM(options?: WebDeepSSIMOptions): Promise<WebDeepSSIM> {
  return WebDeepSSIM.create(options);
}

export { DEFAULT_BACKBONE };
