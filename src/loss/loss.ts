/**
 * DeepSSIM as a differentiable loss: loss = 1 − score and ∂loss/∂test (optionally ∂loss/∂reference) from one
 * ONNX Runtime run of a graph holding the frozen backbone's forward and hand-derived backward pass.
 *
 *   const loss = await createLoss({ variant: 'lite' });
 *   const { value, grad } = await loss.valueAndGrad(test, reference); // NCHW float32 in [0,1]
 *   await loss.dispose();
 */
import { getBackbone } from '../backbones/registry.js';
import type { InferenceSession, Platform, Tensor } from '../platform.js';
import { ImageError, UsageError } from '../errors.js';
import {
  checkBoolean,
  checkFunction,
  checkOneOf,
  checkOptionsObject,
  checkString,
  checkThreads,
  checkWeights,
  DEFAULT_BACKBONE,
  invalidOption,
  LOSS_VARIANTS,
} from '../validate.js';
import { buildGramGraph, buildLossGraph } from '../graph/emit.js';
import { featureSize } from '../graph/geometry.js';
import type { BackboneSpec } from '../graph/spec.js';
import type { LossVariant } from '../graph/statistic.js';
import type { WeightMap } from '../weights/types.js';

export type { LossVariant } from '../graph/statistic.js';

export interface LossOptions {
  /**
   * `full` (4×4 blocks, the default — as for createDeepSSIM, so loss = 1 − the metric's default score) or `lite`
   * (normalised Gram, one window: the variant the authors train with).
   */
  variant?: LossVariant;
  /** Backbone registry name (default `vgg16`); every registered backbone works (graphs emitted from its spec). */
  backbone?: string;
  /** A weights file (as elsewhere: explicit > DEEPSSIM_WEIGHTS > cache > download), or tensors already in memory. */
  weights?: string | WeightMap | Uint8Array;
  /** Allow downloading official weights on first use (default true). */
  download?: boolean;
  /** ONNX Runtime intra-op threads (default: all cores). */
  threads?: number;
  log?: (message: string) => void;
}

/** A batch of N RGB images, NCHW float32, values in [0,1] (not clipped). */
export interface ImageBatch {
  readonly data: Float32Array;
  readonly shape: readonly [number, number, number, number];
}

export interface ValueAndGradOptions {
  /** Also return ∂loss/∂reference (reference must then have the test's shape; no Gram caching). */
  wrtReference?: boolean;
}

export interface LossResult {
  /** N losses, 1 − score. */
  value: Float32Array;
  /** The same losses in float64 (the statistic is evaluated in float64). */
  value64: Float64Array;
  /** ∂value[n]/∂test[n], same layout as test. */
  grad: Float32Array;
  /** ∂value[n]/∂reference[n], when `wrtReference` was set. */
  gradReference?: Float32Array;
}

interface CachedReference {
  readonly data: Float32Array;
  readonly gram: Tensor;
  readonly cells: Tensor;
}

function checkBatch(b: ImageBatch, what: string): [number, number, number, number] {
  if (!b || !(b.data instanceof Float32Array) || !Array.isArray(b.shape) || b.shape.length !== 4) {
    throw invalidOption(what, '{ data: Float32Array, shape: [N, 3, H, W] }', b);
  }
  const [n, c, h, w] = b.shape;
  if (![n, h, w].every((v) => Number.isInteger(v) && v >= 1) || c !== 3) {
    throw new UsageError(`${what} has shape [${b.shape.join(', ')}], expected [N, 3, H, W]`);
  }
  if (b.data.length !== n * c * h * w)
    throw new UsageError(`${what} has ${b.data.length} values for shape [${b.shape.join(', ')}]`);
  return [n, c, h, w];
}

export class DeepSSIMLoss {
  private readonly lossSessions = new Map<string, Promise<InferenceSession>>();
  private readonly gramSessions = new Map<string, Promise<InferenceSession>>();
  private readonly references = new WeakMap<object, CachedReference>();
  private disposed = false;
  /** Counters: backbone runs for references (Gram cache misses) and loss-graph runs. */
  readonly stats = { referenceGrams: 0, lossRuns: 0 };

  constructor(
    readonly variant: LossVariant,
    readonly backbone: string,
    private readonly spec: BackboneSpec,
    private readonly weights: WeightMap,
    private readonly threads: number,
    private readonly platform: Platform,
  ) {}

  private session(cache: Map<string, Promise<InferenceSession>>, key: string, build: () => Uint8Array) {
    let s = cache.get(key);
    if (!s) {
      s = this.platform.onnx.createSession(build(), { threads: this.threads });
      cache.set(key, s);
    }
    return s;
  }

  private checkSize(h: number, w: number, what: string): number {
    const [fh, fw] = featureSize(this.spec, h, w);
    if (fh < 1 || fw < 1)
      throw new ImageError(`${what} is ${w}×${h}, too small for the ${this.backbone} feature layer`, {
        code: 'IMAGE_TOO_SMALL',
        actual: [w, h],
      });
    return fh * fw;
  }

  /** The reference's Gram (computed once per reference object; pass the same object again to reuse it). */
  private async referenceGram(reference: ImageBatch): Promise<CachedReference> {
    const hit = this.references.get(reference);
    if (hit && hit.data === reference.data) return hit;
    const [n, , h, w] = checkBatch(reference, 'reference');
    const cells = this.checkSize(h, w, 'reference');
    const session = await this.session(this.gramSessions, `${h}x${w}`, () =>
      buildGramGraph(this.spec, this.weights, h, w),
    );
    const out = await session.run({ pixels: this.platform.onnx.tensor('float32', reference.data, [n, 3, h, w]) });
    this.stats.referenceGrams++;
    const entry = {
      data: reference.data,
      gram: out.gram,
      cells: this.platform.onnx.tensor('float32', new Float32Array([cells]), [1]),
    };
    this.references.set(reference, entry);
    return entry;
  }

  async valueAndGrad(test: ImageBatch, reference: ImageBatch, options?: ValueAndGradOptions): Promise<LossResult> {
    if (this.disposed) throw new UsageError('this loss was disposed', { code: 'DISPOSED' });
    const wrt = checkBoolean('wrtReference', checkOptionsObject(options).wrtReference) === true;
    const [n, , h, w] = checkBatch(test, 'test');
    this.checkSize(h, w, 'test');
    const feeds: Record<string, Tensor> = { test: this.platform.onnx.tensor('float32', test.data, [n, 3, h, w]) };
    if (wrt) {
      const r = checkBatch(reference, 'reference');
      if (r.some((v, i) => v !== test.shape[i])) {
        throw new UsageError(
          `with wrtReference the reference must have the test's shape [${test.shape.join(', ')}], got [${r.join(', ')}]`,
        );
      }
      feeds.reference = this.platform.onnx.tensor('float32', reference.data, [n, 3, h, w]);
    } else {
      const ref = await this.referenceGram(reference);
      const nr = reference.shape[0];
      if (nr !== 1 && nr !== n) throw new UsageError(`reference batch must be 1 or N = ${n}, got ${nr}`);
      feeds.reference_gram = ref.gram;
      if (this.variant === 'lite') feeds.reference_cells = ref.cells;
    }
    const session = await this.session(this.lossSessions, `${h}x${w}:${wrt}`, () =>
      buildLossGraph(this.spec, this.weights, { variant: this.variant, height: h, width: w, wrtReference: wrt }),
    );
    const out = await session.run(feeds);
    this.stats.lossRuns++;
    const hi = out.loss.data as Float32Array;
    const lo = out.loss_lo.data as Float32Array;
    const value64 = Float64Array.from(hi, (v, i) => v + lo[i]);
    const result: LossResult = { value: Float32Array.from(value64), value64, grad: out.grad.data as Float32Array };
    if (wrt) result.gradReference = out.grad_reference.data as Float32Array;
    return result;
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    for (const cache of [this.lossSessions, this.gramSessions]) {
      for (const s of cache.values()) await (await s).release();
      cache.clear();
    }
  }
}

/** Load the backbone's weights and prepare the loss (graphs are built lazily, once per input size). */
export async function createLossWith(platform: Platform, options?: LossOptions): Promise<DeepSSIMLoss> {
  const o = checkOptionsObject(options);
  const variant = checkOneOf('variant', o.variant, LOSS_VARIANTS) ?? 'full';
  const name = checkString('backbone', o.backbone) ?? DEFAULT_BACKBONE;
  checkWeights(o.weights);
  checkBoolean('download', o.download);
  checkFunction('log', o.log);
  const threads = checkThreads(o.threads) ?? platform.defaultThreads();
  const entry = getBackbone(name);
  const spec = entry.spec;
  const { weights } = await platform.loadWeights(entry, {
    weights: o.weights,
    download: o.download,
    log: o.log,
  });
  return new DeepSSIMLoss(variant, name, spec, weights, threads, platform);
}
