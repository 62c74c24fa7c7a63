/**
 * The inference engine that turns pixels into Gram matrices, on any platform: the platform supplies the ONNX Runtime
 * flavour (src/platform.ts); this module only feeds tensors and reads results.
 */
import { ComputeError } from '../errors.js';
import type { InferenceSession, OnnxRuntime, Tensor } from '../platform.js';

/** Features of one image (or one tile of it): the unnormalised Gram matrix and the feature-map size it sums over. */
export interface GramResult {
  /** C×C row-major, float64 so tiles accumulate without loss. */
  gram: Float64Array;
  /** Feature cells h·w that contributed (for DeepSSIM-Lite's normalisation by C·h·w). */
  cellsH: number;
  cellsW: number;
  /** The cropped feature map [C, h, w] (float32), when the graph has a `features` output (local maps). */
  features?: Float32Array;
}

export interface EngineOptions {
  /** Intra-op threads. */
  threads: number;
  /** Whether idle threads may spin between runs (default true; see SessionRequest.spin). */
  spin?: boolean;
}

const ALL = 2 ** 62;

/**
 * The ONNX Runtime session that turns pixels into Gram matrices. Created once per metric; inputs of any size
 * (the graph has symbolic H and W).
 */
/** Cumulative counters, for profiling where time goes (inference vs everything else). */
export interface EngineStats {
  runs: number;
  /** Wall time inside ONNX Runtime's run(), in ms. */
  inferenceMs: number;
}

export class GramEngine {
  readonly stats: EngineStats = { runs: 0, inferenceMs: 0 };
  /**
   * Runs are serialised: one image (or tile) is in ONNX Runtime at a time, using all its threads, so peak memory
   * stays that of one run while callers overlap decoding, saliency and Gram accumulation with it.
   */
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly onnx: OnnxRuntime,
    private readonly session: InferenceSession,
    readonly channels: number,
    readonly hasMask: boolean,
  ) {}

  static async create(
    onnx: OnnxRuntime,
    model: Uint8Array,
    channels: number,
    hasMask: boolean,
    options: EngineOptions,
  ): Promise<GramEngine> {
    const session = await loadSession(onnx, model, options);
    return new GramEngine(onnx, session, channels, hasMask);
  }

  /**
   * Run one image (CHW float32 in [0,1]) through the backbone.
   * `crop` selects the feature cells [top, bottom) × [left, right) that enter the Gram matrix.
   */
  async gram(
    chw: Float32Array,
    height: number,
    width: number,
    options: { crop?: readonly [number, number, number, number]; mask?: Float32Array } = {},
  ): Promise<GramResult> {
    const feeds: Record<string, Tensor> = {
      pixels: this.onnx.tensor('float32', chw, [1, 3, height, width]),
      crop: this.onnx.tensor(
        'int64',
        BigInt64Array.from((options.crop ?? [0, ALL, 0, ALL]).map((v) => BigInt(v))),
        [4],
      ),
    };
    if (this.hasMask) {
      // Internal invariant (the metric always passes a mask to a masked engine), not something a caller can cause.
      if (!options.mask) throw new ComputeError('this engine was built for saliency masks: pass options.mask');
      feeds.mask = this.onnx.tensor('float32', options.mask, [1, 1, height, width]);
    }
    const run = this.queue.then(async () => {
      const t0 = performance.now();
      const result = await this.session.run(feeds);
      this.stats.inferenceMs += performance.now() - t0;
      this.stats.runs++;
      return result;
    });
    this.queue = run.catch(() => undefined);
    const out = await run;
    const g32 = out.gram.data as Float32Array;
    const cells = out.cells.data as BigInt64Array;
    const gram = Float64Array.from(g32);
    const features = out.features ? Float32Array.from(out.features.data as Float32Array) : undefined;
    for (const t of Object.values(out)) t.dispose?.();
    return { gram, cellsH: Number(cells[0]), cellsW: Number(cells[1]), ...(features ? { features } : {}) };
  }

  async dispose(): Promise<void> {
    await this.session.release();
  }
}

/**
 * A session for a small auxiliary graph (e.g. the local map's pair products, src/map/pair-dots.ts): named inputs
 * in, float32 outputs out. Runs are serialised like GramEngine's.
 */
export class GraphSession {
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly onnx: OnnxRuntime,
    private readonly session: InferenceSession,
  ) {}

  static async create(onnx: OnnxRuntime, model: Uint8Array, options: EngineOptions): Promise<GraphSession> {
    const session = await loadSession(onnx, model, options);
    return new GraphSession(onnx, session);
  }

  async run(
    feeds: Record<string, { type: 'float32' | 'int64'; data: Float32Array | BigInt64Array; dims: readonly number[] }>,
  ): Promise<Record<string, Float32Array>> {
    const tensors: Record<string, Tensor> = {};
    for (const [name, f] of Object.entries(feeds)) {
      tensors[name] =
        f.type === 'float32'
          ? this.onnx.tensor('float32', f.data as Float32Array, f.dims)
          : this.onnx.tensor('int64', f.data as BigInt64Array, f.dims);
    }
    const run = this.queue.then(() => this.session.run(tensors));
    this.queue = run.catch(() => undefined);
    const out = await run;
    const result: Record<string, Float32Array> = {};
    for (const [name, t] of Object.entries(out)) {
      result[name] = Float32Array.from(t.data as Float32Array);
      t.dispose?.();
    }
    return result;
  }

  async dispose(): Promise<void> {
    await this.session.release();
  }
}

/** A session on the backend; a graph the backend cannot load is a ComputeError (BACKEND_FAILED). */
async function loadSession(onnx: OnnxRuntime, model: Uint8Array, options: EngineOptions): Promise<InferenceSession> {
  try {
    return await onnx.createSession(model, { threads: options.threads, spin: options.spin });
  } catch (err) {
    throw new ComputeError(`the inference backend could not load the graph: ${(err as Error).message}`, {
      code: 'BACKEND_FAILED',
      cause: err,
    });
  }
}
