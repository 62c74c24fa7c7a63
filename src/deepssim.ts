/**
 * DeepSSIM, the metric: image → tensor → backbone features → Gram matrix → structural statistic → score.
 *
 * Score direction and range: higher is better; 1 for identical images. The full variant is a mean of SSIM-like
 * terms and lies in [-1, 1] in principle (in practice ≥ 0 for natural images with ReLU features); Lite likewise.
 */
import { getBackbone } from './backbones/registry.js';
import { buildMetricGraph } from './graph/emit.js';
import { geometry, type BackboneGeometry } from './graph/geometry.js';
import type { BackboneSpec } from './graph/spec.js';
import { GramEngine, GraphSession } from './engine/session.js';
import { ComputeError, UsageError, ImageError } from './errors.js';
import {
  invalidOption,
  checkBoolean,
  checkFunction,
  checkOneOf,
  checkOptionsObject,
  checkPair,
  checkSaliencyThreshold,
  checkString,
  checkThreads,
  checkTile,
  checkWeights,
  DEFAULT_BACKBONE,
  SALIENCY_MODES,
  VARIANTS,
  type SaliencyMode,
  type Variant,
} from './validate.js';
import type { Platform, ProgressEvent, SaliencyRunner } from './platform.js';
import { computeGram, type TilingOptions } from './features.js';
import type { ImageInput, RGBImage } from './image/types.js';
import { blockGramSimilarity, liteGramSimilarity, normalizedBlockGramSimilarity } from './statistic/gram-ssim.js';
import type { LocalMapOptions, LocalMapResult } from './map/index.js';

// The option choices and ranges live with the validator (src/validate.ts), one place for the library and the CLI.
export { DEFAULT_BACKBONE, SALIENCY_MODES, VARIANTS } from './validate.js';
export type { SaliencyMode, Variant } from './validate.js';

export interface DeepSSIMOptions extends TilingOptions {
  /** `full` (4×4 blocks of the Gram matrix, the published metric) or `lite` (normalised Gram, one window). */
  variant?: Variant;
  /** Feature backbone; `vgg16` (the published configuration) unless another is registered. */
  backbone?: string;
  /**
   * Local weights file (.pth legacy/zip, .safetensors, or the backbone's own format), its bytes (.pth or
   * .safetensors), or the tensors in memory (a WeightMap keyed as the backbone spec's layers name them).
   */
  weights?: string | import('./weights/types.js').WeightMap | Uint8Array;
  /** Allow downloading official weights on first use (default true). */
  download?: boolean;
  /** ONNX Runtime intra-op threads (default: all cores). */
  threads?: number;
  /**
   * Saliency calibration (authors' variant for retargeting-like cases): `gbvs` masks relu1_1 of each image with
   * its own binarised GBVS map. Default `none`. Per-call maps (`saliencyMaps`) also switch it on.
   */
  saliency?: SaliencyMode;
  /** Binarisation threshold in [0,1) for saliency maps: mask = map8bit > threshold·255. Default 0 (nonzero). */
  saliencyThreshold?: number;
  /** Receives progress messages (weights download, cache); silent by default. */
  log?: (message: string) => void;
  /** Progress: weights download (bytes done / total) and the tiles of a tiled image; silent by default. */
  onProgress?: (event: ProgressEvent) => void;
}

/** An image whose features are computed: reuse it to score many tests against one reference. */
export interface PreparedImage {
  readonly kind: 'deepssim-prepared';
  readonly width: number;
  readonly height: number;
  readonly backbone: string;
  readonly masked: boolean;
  /** C×C Gram matrix (float64 accumulation of float32 features), unnormalised. */
  readonly gram: Float64Array;
  /** Feature-map cells that contributed (h·w in the paper's normalisation). */
  readonly cells: number;
}

export interface ScoreOptions {
  /** Saliency map images [reference, test] (any image; first channel used), same sizes as the images. */
  saliencyMaps?: readonly [ImageInput, ImageInput];
}

export interface PrepareOptions {
  /** A saliency map image for this image (first channel, binarised with the metric's threshold). */
  saliencyMap?: ImageInput;
}

function isPrepared(x: unknown): x is PreparedImage {
  return typeof x === 'object' && x !== null && (x as PreparedImage).kind === 'deepssim-prepared';
}

/** Validate the metric's options once, at the entry (tile is checked against the backbone's stride in create). */
function checkOptions(options: DeepSSIMOptions | undefined): DeepSSIMOptions {
  const o = checkOptionsObject(options);
  checkOneOf('variant', o.variant, VARIANTS);
  checkString('backbone', o.backbone);
  checkWeights(o.weights);
  checkBoolean('download', o.download);
  checkThreads(o.threads);
  checkOneOf('saliency', o.saliency, SALIENCY_MODES);
  checkSaliencyThreshold(o.saliencyThreshold);
  checkFunction('log', o.log);
  checkFunction('onProgress', o.onProgress);
  return o;
}

/**
 * The smallest `tile` a backbone accepts: its stride (one feature cell, in pixels); tiles are rounded down to a
 * multiple of it.
 */
export function tileMinimum(backbone: string = DEFAULT_BACKBONE): number {
  return geometry(getBackbone(backbone).spec).stride;
}

export class DeepSSIM {
  readonly variant: Variant;
  readonly backboneName: string;
  /** Where the weights came from (file path). */
  readonly weightsSource: string;
  /** True only when the weights are the genuine published files (SHA-256 pinned) or a cache entry made from them. */
  readonly weightsVerified: boolean;
  /** Why the weights are not verified (one line), when they are not. */
  readonly weightsNote: string | undefined;
  private maskedEngine?: Promise<GramEngine>;
  private featureEngine?: Promise<GramEngine>;
  private pairDotsSession?: Promise<GraphSession>;
  private saliencyRunner?: SaliencyRunner;
  private disposed = false;

  private readonly backbone: BackboneGeometry;

  private constructor(
    private readonly platform: Platform,
    private readonly spec: BackboneSpec,
    private readonly engine: GramEngine,
    private readonly weights: import('./weights/types.js').WeightMap,
    source: { source: string; verified: boolean; note?: string },
    private readonly options: DeepSSIMOptions,
  ) {
    this.variant = options.variant ?? 'full';
    this.backbone = geometry(spec);
    this.backboneName = spec.name;
    this.weightsSource = source.source;
    this.weightsVerified = source.verified;
    this.weightsNote = source.note;
  }

  /** Load weights, build the graph and create the ONNX Runtime session (once; reuse the metric). */
  static async createWith(platform: Platform, options?: DeepSSIMOptions): Promise<DeepSSIM> {
    options = checkOptions(options);
    const entry = getBackbone(options.backbone ?? DEFAULT_BACKBONE);
    const spec = entry.spec;
    if (options.saliency === 'gbvs' && !spec.saliency) {
      throw new UsageError(`backbone '${spec.name}' does not support saliency calibration`, {
        code: 'UNSUPPORTED',
        option: 'saliency',
      });
    }
    checkTile(options.tile, geometry(spec).stride);
    const loaded = await platform.loadWeights(entry, {
      weights: options.weights,
      download: options.download,
      log: options.log,
      onProgress: options.onProgress,
    });
    const weights = loaded.weights;
    const engine = await GramEngine.create(platform.onnx, buildMetricGraph(spec, weights), spec.channels, false, {
      threads: options.threads ?? platform.defaultThreads(),
    });
    return new DeepSSIM(platform, spec, engine, weights, loaded, options);
  }

  private async engineWithMask(): Promise<GramEngine> {
    if (!this.spec.saliency) {
      throw new UsageError(`backbone '${this.spec.name}' does not support saliency calibration`, {
        code: 'UNSUPPORTED',
        option: 'saliency',
      });
    }
    this.maskedEngine ??= GramEngine.create(
      this.platform.onnx,
      buildMetricGraph(this.spec, this.weights, { mask: true }),
      this.backbone.channels,
      true,
      { threads: this.options.threads ?? this.platform.defaultThreads() },
    );
    return this.maskedEngine;
  }

  private checkSize(img: RGBImage, what: string): void {
    const min = this.backbone.minSide;
    if (img.width < min || img.height < min) {
      throw new ImageError(`${what} is ${img.width}×${img.height}; DeepSSIM needs at least ${min}×${min} pixels`, {
        code: 'IMAGE_TOO_SMALL',
        expected: [min, min],
        actual: [img.width, img.height],
      });
    }
  }

  /** Binary mask plane from a saliency map image (first channel > threshold·255). */
  private async maskFromMap(map: ImageInput, img: RGBImage, what: string): Promise<Float32Array> {
    const m = await this.platform.decode(map);
    if (m.width !== img.width || m.height !== img.height) {
      throw new ImageError(
        `saliency map for ${what} is ${m.width}×${m.height}, the image is ${img.width}×${img.height}`,
      );
    }
    const limit = (this.options.saliencyThreshold ?? 0) * 255;
    const out = new Float32Array(m.width * m.height);
    for (let i = 0; i < out.length; i++) out[i] = m.data[3 * i] > limit ? 1 : 0;
    return out;
  }

  private async gbvsMask(img: RGBImage, onWorker: boolean): Promise<Float32Array> {
    const { gbvs, saliencyToMask } = await import('./saliency/gbvs.js');
    let map;
    if (onWorker && this.platform.createSaliencyRunner) {
      this.saliencyRunner ??= this.platform.createSaliencyRunner();
      map = await this.saliencyRunner.compute(img);
    } else {
      // gbvs() is synchronous: let pending work (e.g. the other image's map being handed to the worker) go first.
      await new Promise((resolve) => setTimeout(resolve, 0));
      map = gbvs(img);
    }
    return Float32Array.from(saliencyToMask(map, this.options.saliencyThreshold));
  }

  /** Tile progress of one image as `tiles` events (only when the caller listens). */
  private onTile(image: string): ((done: number, total: number) => void) | undefined {
    const listener = this.options.onProgress;
    return listener && ((done, total) => listener({ kind: 'tiles', done, total, image }));
  }

  /** Decode an input with this metric's platform (paths, URLs, bytes or raw pixels → 8-bit RGB). */
  decode(input: ImageInput): Promise<RGBImage> {
    return this.platform.decode(input);
  }

  /** Decode an image and compute its Gram matrix. */
  async prepare(input: ImageInput, options?: PrepareOptions, what = 'image'): Promise<PreparedImage> {
    return this.prepareImage(input, checkOptionsObject(options), what, false);
  }

  private async prepareImage(
    input: ImageInput,
    options: PrepareOptions,
    what: string,
    saliencyOnWorker: boolean,
  ): Promise<PreparedImage> {
    if (this.disposed) throw new UsageError('this DeepSSIM instance has been disposed');
    const img = await this.platform.decode(input);
    this.checkSize(img, typeof input === 'string' ? `${what} ${input}` : what);
    let mask: Float32Array | undefined;
    if (options.saliencyMap !== undefined) mask = await this.maskFromMap(options.saliencyMap, img, what);
    else if (this.options.saliency === 'gbvs') mask = await this.gbvsMask(img, saliencyOnWorker);
    const engine = mask ? await this.engineWithMask() : this.engine;
    const r = await computeGram(engine, this.backbone, img, {
      tile: this.options.tile,
      mask,
      onTile: this.onTile(what),
    });
    return {
      kind: 'deepssim-prepared',
      width: img.width,
      height: img.height,
      backbone: this.backbone.name,
      masked: mask !== undefined,
      gram: r.gram,
      cells: r.cellsH * r.cellsW,
    };
  }

  /** The statistic between two prepared images (pure, synchronous); `variant` defaults to the metric's own. */
  compare(reference: PreparedImage, test: PreparedImage, variant: Variant = this.variant): number {
    checkOneOf('variant', variant, VARIANTS);
    if (!isPrepared(reference)) throw invalidOption('reference', 'a prepared image (from prepare())', reference);
    if (!isPrepared(test)) throw invalidOption('test', 'a prepared image (from prepare())', test);
    if (reference.backbone !== test.backbone) throw new UsageError('prepared images come from different backbones');
    if (reference.masked !== test.masked)
      throw new UsageError('reference and test must both use saliency masks, or neither');
    const c = this.backbone.channels;
    const score =
      variant === 'full-normalized'
        ? normalizedBlockGramSimilarity(reference.gram, reference.cells, test.gram, test.cells, c)
        : variant === 'full'
          ? blockGramSimilarity(reference.gram, test.gram, c)
          : liteGramSimilarity(reference.gram, reference.cells, test.gram, test.cells, c);
    // No NaN ever leaves the metric: a non-finite score cannot pass any threshold, so it is an error.
    if (!Number.isFinite(score))
      throw new ComputeError(`the ${variant} statistic is not finite (${score})`, {
        code: 'SCORE_NOT_FINITE',
        actual: String(score),
      });
    return score;
  }

  /** Score a test image against a reference (either may be prepared already). Higher is better; 1 = identical. */
  async score(
    reference: ImageInput | PreparedImage,
    test: ImageInput | PreparedImage,
    options?: ScoreOptions,
  ): Promise<number> {
    const maps = checkPair<ImageInput>('saliencyMaps', checkOptionsObject(options).saliencyMaps);
    // Both images are prepared concurrently: decoding and GBVS of one overlap the other's inference
    // (the engine runs one inference at a time, so memory stays bounded).
    // allSettled, not all: neither run may still be in flight when the caller disposes after an error.
    const [ref, tst] = await Promise.allSettled([
      // With GBVS, the reference's map is computed on a worker thread while the test's is computed here.
      isPrepared(reference) ? reference : this.prepareImage(reference, { saliencyMap: maps?.[0] }, 'reference', true),
      isPrepared(test) ? test : this.prepareImage(test, { saliencyMap: maps?.[1] }, 'test', false),
    ]);
    if (ref.status === 'rejected') throw ref.reason;
    if (tst.status === 'rejected') throw tst.reason;
    return this.compare(ref.value, tst.value);
  }

  /**
   * Where the images differ: the local DeepSSIM map (src/map, docs/local-map.md) and the global score, from one
   * network pass per image. A test of another size is compared at the reference's pixel scale (resampled to the
   * reference's size first; `score` is then that pair's). Saliency calibration does not apply to local maps.
   */
  async map(reference: ImageInput, test: ImageInput, options?: LocalMapOptions): Promise<LocalMapResult> {
    options = checkOptionsObject(options); // each map option is checked by localMap (src/map)
    if (this.disposed) throw new UsageError('this DeepSSIM instance has been disposed', { code: 'DISPOSED' });
    if (this.options.saliency === 'gbvs') {
      throw new UsageError('local maps do not use saliency calibration; create the metric with saliency none', {
        code: 'UNSUPPORTED',
        option: 'saliency',
      });
    }
    const { localMap, buildPairDotsGraph, runnerPairDots, resizeRGB } = await import('./map/index.js');
    const threads = this.options.threads ?? this.platform.defaultThreads();
    this.featureEngine ??= GramEngine.create(
      this.platform.onnx,
      buildMetricGraph(this.spec, this.weights, { features: true }),
      this.spec.channels,
      false,
      // The map's two sessions run one after the other: neither leaves its threads spinning after a run.
      { threads, spin: false },
    );
    this.pairDotsSession ??= GraphSession.create(this.platform.onnx, buildPairDotsGraph(), { threads, spin: false });
    const engine = await this.featureEngine;
    const pairDots = runnerPairDots(await this.pairDotsSession);
    const decoded = async (input: ImageInput, what: string) => {
      const img = await this.platform.decode(input);
      this.checkSize(img, typeof input === 'string' ? `${what} ${input}` : what);
      return img;
    };
    const [refImg, tstImg] = await Promise.allSettled([decoded(reference, 'reference'), decoded(test, 'test')]);
    if (refImg.status === 'rejected') throw refImg.reason;
    if (tstImg.status === 'rejected') throw tstImg.reason;
    const original = tstImg.value;
    // Compared at the reference's pixel scale: the features are not scale-invariant (docs/local-map.md, Limits), so
    // a test of another size (another device scale factor) is resampled to the reference's size first.
    const scaled =
      original.width === refImg.value.width && original.height === refImg.value.height
        ? original
        : resizeRGB(original, refImg.value.width, refImg.value.height);
    const features = async (img: RGBImage, what: string) => {
      const r = await computeGram(engine, this.backbone, img, { tile: this.options.tile, onTile: this.onTile(what) });
      return { img, r };
    };
    const [ref, tst] = await Promise.allSettled([features(refImg.value, 'reference'), features(scaled, 'test')]);
    if (ref.status === 'rejected') throw ref.reason;
    if (tst.status === 'rejected') throw tst.reason;
    const asMap = ({ img, r }: typeof ref.value) => ({
      data: r.features!,
      channels: this.backbone.channels,
      height: r.cellsH,
      width: r.cellsW,
      imageWidth: img.width,
      imageHeight: img.height,
      stride: this.backbone.stride,
    });
    const prepared = ({ img, r }: typeof ref.value): PreparedImage => ({
      kind: 'deepssim-prepared',
      width: img.width,
      height: img.height,
      backbone: this.backbone.name,
      masked: false,
      gram: r.gram,
      cells: r.cellsH * r.cellsW,
    });
    const score = this.compare(prepared(ref.value), prepared(tst.value));
    return {
      score,
      ...(await localMap(asMap(ref.value), asMap(tst.value), options, pairDots)),
      reference: { width: ref.value.img.width, height: ref.value.img.height },
      test: { width: original.width, height: original.height },
    };
  }

  /** Cumulative inference counters of this metric's sessions (runs and ms inside ONNX Runtime). */
  stats(): { runs: number; inferenceMs: number } {
    return { ...this.engine.stats };
  }

  /** Release the ONNX Runtime sessions. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await this.engine.dispose();
    if (this.featureEngine) await (await this.featureEngine).dispose();
    if (this.pairDotsSession) await (await this.pairDotsSession).dispose();
    if (this.maskedEngine) await (await this.maskedEngine).dispose();
    await this.saliencyRunner?.terminate();
  }
}

/**
 * Create a DeepSSIM metric on a given platform (loads weights and builds the inference session once). The main
 * entry's `createDeepSSIM(options)` is this with the Node platform.
 */
export function createDeepSSIMWith(platform: Platform, options?: DeepSSIMOptions): Promise<DeepSSIM> {
  return DeepSSIM.createWith(platform, options);
}
