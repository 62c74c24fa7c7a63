/**
 * Many pairs through one metric: each distinct reference is computed once (bounded cache), and the next test
 * image is decoded while the current one runs through the network.
 */
import { resolve } from 'node:path';
import { LRUCache } from 'lru-cache';
import type { DeepSSIM, PreparedImage } from './deepssim.js';
import { DeepSSIMError } from './errors.js';
import { decodeImage } from './image/decode.js';
import type { ImageInput, RGBImage } from './image/types.js';

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
  error?: string;
}

export interface BatchOptions {
  /** Resolve relative paths against this folder (default: the current directory). */
  baseDir?: string;
  /** How many prepared references to keep (each holds a C×C float64 Gram matrix: 2 MB for VGG16). Default 256. */
  referenceCacheSize?: number;
}

type Decoded = Promise<RGBImage>;

function asInput(img: RGBImage): ImageInput {
  return { data: img.data, width: img.width, height: img.height, channels: 3 };
}

/** Score pairs in order; yields one result per pair, errors reported per pair rather than thrown. */
export async function* scorePairs<P extends PairInput>(
  metric: DeepSSIM,
  pairs: readonly P[],
  options: BatchOptions = {},
): AsyncGenerator<PairResult<P>> {
  const base = options.baseDir ?? process.cwd();
  const cap = options.referenceCacheSize ?? 256;
  const refs = new LRUCache<string, Promise<PreparedImage>>({ max: Math.max(1, cap) });
  const path = (p: string) => resolve(base, p);
  const refKey = (p: P) => `${path(p.reference)}\u0000${p.referenceSaliency ? path(p.referenceSaliency) : ''}`;

  const prepareRef = (p: P): Promise<PreparedImage> => {
    const key = refKey(p);
    let hit = refs.get(key);
    if (hit) return hit;
    hit = metric.prepare(path(p.reference), { saliencyMap: p.referenceSaliency && path(p.referenceSaliency) }, 'reference');
    hit.catch(() => refs.delete(key));
    refs.set(key, hit);
    return hit;
  };

  // Decode one test ahead: sharp decodes on libuv's pool while ONNX Runtime runs the current image.
  const decodeTest = (i: number): Decoded | undefined => {
    if (i >= pairs.length) return undefined;
    const d = decodeImage(path(pairs[i].test));
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
      yield { pair, index: i, score: metric.compare(ref, test) };
    } catch (err) {
      if (!(err instanceof DeepSSIMError)) throw err;
      yield { pair, index: i, error: err.message };
    }
  }
}
