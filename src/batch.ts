/**
 * Many pairs through one metric: each distinct reference is computed once (bounded cache), and the next test
 * image is decoded while the current one runs through the network. Platform-neutral: locations are handed to the
 * metric's platform as they are (the Node entry's `scorePairs` first resolves them against `baseDir`).
 */
import { LRUCache } from 'lru-cache';
import type { DeepSSIM, PreparedImage } from './deepssim.js';
import { DeepSSIMError } from './errors.js';
import type { ImageInput, RGBImage } from './image/types.js';
import type { ProgressEvent } from './platform.js';
import { checkFunction, checkInteger, checkOptionsObject, checkString, invalidOption } from './validate.js';

export interface PairInput {
  reference: string;
  test: string;
  /** Optional saliency map images for the saliency-calibrated variant. */
  referenceSaliency?: string;
  testSaliency?: string;
}

export interface PairResult<P extends PairInput = PairInput> {
  pair: P;
  index: number;
  /** The score, or undefined when `error` is set. */
  score?: number;
  /** The error's one-line message, when this pair failed. */
  error?: string;
  /** The error's stable code (see the error table), when this pair failed. */
  code?: DeepSSIMError['code'];
}

export interface BatchOptions {
  /** Resolve relative paths against this folder (Node; default: the current directory). */
  baseDir?: string;
  /** How many prepared references to keep (each holds a C×C float64 Gram matrix: 2 MB for VGG16). Default 256. */
  referenceCacheSize?: number;
  /** Receives `{ kind: 'pairs', done, total }` after each pair. */
  onProgress?: (event: ProgressEvent) => void;
}

/** Options of the neutral core (the platform entry maps `baseDir` to `resolveLocation`). */
export interface CoreBatchOptions extends Omit<BatchOptions, 'baseDir'> {
  /** Turn a pair's location into what the platform reads (default: unchanged). */
  resolveLocation?: (location: string) => string;
}

/** Validate scorePairs' arguments once (shared by the platform entries). */
export function checkBatchArguments<O extends BatchOptions | CoreBatchOptions>(
  metric: unknown,
  pairs: unknown,
  options: O | undefined,
): O {
  if (typeof metric !== 'object' || metric === null || typeof (metric as DeepSSIM).prepare !== 'function')
    throw invalidOption('metric', 'a DeepSSIM metric (from createDeepSSIM)', metric);
  if (!Array.isArray(pairs)) throw invalidOption('pairs', 'an array of { reference, test }', pairs);
  const o = checkOptionsObject(options);
  if ('baseDir' in o) checkString('baseDir', o.baseDir);
  if ('resolveLocation' in o) checkFunction('resolveLocation', o.resolveLocation);
  checkInteger('referenceCacheSize', o.referenceCacheSize, 1);
  checkFunction('onProgress', o.onProgress);
  return o;
}

type Decoded = Promise<RGBImage>;

function asInput(img: RGBImage): ImageInput {
  return { data: img.data, width: img.width, height: img.height, channels: 3 };
}

/** Score pairs in order; yields one result per pair, errors reported per pair rather than thrown. */
export async function* scorePairsCore<P extends PairInput>(
  metric: DeepSSIM,
  pairs: readonly P[],
  options?: CoreBatchOptions,
): AsyncGenerator<PairResult<P>> {
  options = checkBatchArguments(metric, pairs, options);
  const cap = options.referenceCacheSize ?? 256;
  const refs = new LRUCache<string, Promise<PreparedImage>>({ max: Math.max(1, cap) });
  const path = options.resolveLocation ?? ((p: string) => p);
  const refKey = (p: P) => `${path(p.reference)}\u0000${p.referenceSaliency ? path(p.referenceSaliency) : ''}`;

  const prepareRef = (p: P): Promise<PreparedImage> => {
    const key = refKey(p);
    let hit = refs.get(key);
    if (hit) return hit;
    hit = metric.prepare(
      path(p.reference),
      { saliencyMap: p.referenceSaliency && path(p.referenceSaliency) },
      'reference',
    );
    hit.catch(() => refs.delete(key));
    refs.set(key, hit);
    return hit;
  };

  // Decode one test ahead: sharp decodes on libuv's pool while ONNX Runtime runs the current image.
  const decodeTest = (i: number): Decoded | undefined => {
    if (i >= pairs.length) return undefined;
    const d = metric.decode(path(pairs[i].test));
    d.catch(() => undefined); // handled when awaited
    return d;
  };
  let next = decodeTest(0);
  for (let i = 0; i < pairs.length; i++) {
    const pair = pairs[i];
    const current = next!;
    next = decodeTest(i + 1);
    try {
      const ref = await prepareRef(pair);
      const test = await metric.prepare(
        asInput(await current),
        { saliencyMap: pair.testSaliency && path(pair.testSaliency) },
        `test ${pair.test}`,
      );
      const score = metric.compare(ref, test);
      options.onProgress?.({ kind: 'pairs', done: i + 1, total: pairs.length });
      yield { pair, index: i, score };
    } catch (err) {
      if (!(err instanceof DeepSSIMError)) throw err;
      options.onProgress?.({ kind: 'pairs', done: i + 1, total: pairs.length });
      yield { pair, index: i, error: err.message, code: err.code };
    }
  }
}
