/**
 * Evaluation runner: score every manifest pair with every metric, then correlate with the subjective scores.
 * Each distorted image is decoded (and, in misaligned mode, transformed) once and scored by all metrics;
 * decoded references are cached (pairs are visited grouped by reference). Pixel-aligned metrics are reported
 * "not applicable" on pairs of different sizes — nothing is ever resized.
 */
import { DeepSSIMError } from '../errors.js';
import type { RGBImage } from '../image/types.js';
import type { FullReferenceMetric } from '../metrics/types.js';
import type { Manifest } from './datasets/types.js';
import { decodeImage } from '../node/decode.js';
import { LRUCache } from 'lru-cache';
import { correlationStats, perTypeStats, type CorrelationStats, type TypeStats } from './statistics.js';

export interface EvaluateOptions {
  /** Pairs processed concurrently (overlaps decoding with scoring, and async metrics). Default 2. */
  concurrency?: number;
  onProgress?: (done: number, total: number) => void;
  /** Misaligned mode: applied to every decoded distorted image before scoring (e.g. a small shift). */
  transform?: (img: RGBImage) => RGBImage;
  /** Bootstrap resamples for the 95 % CIs (0 disables). Default 1000. */
  resamples?: number;
  seed?: number;
  /** Decoded references kept in memory. Default 8. */
  referenceCacheSize?: number;
  /** Image decoder (default: the harness decoder). */
  decode?: (path: string) => Promise<RGBImage>;
}

export interface PairFailure {
  index: number;
  message: string;
}

export interface MetricEvaluation {
  name: string;
  higherIsBetter: boolean;
  /** Raw score per manifest entry (manifest order); null when not applicable or failed. ±Infinity kept as is. */
  scores: Array<number | null>;
  /** Pairs of different sizes for a metric that requires equal sizes. */
  notApplicable: number;
  /** Pairs whose score is not finite (e.g. PSNR of identical images): excluded from the statistics. */
  nonFinite: number;
  failures: PairFailure[];
  /** Statistics over the pairs with a finite score; null when fewer than 3. */
  stats: CorrelationStats | null;
  perType: TypeStats[];
  /** Time spent inside score(), seconds. */
  scoringSeconds: number;
}

export interface Evaluation {
  layout: string;
  root: string;
  n: number;
  subjectiveHigherIsBetter: boolean;
  misaligned: boolean;
  metrics: MetricEvaluation[];
  /** Subjective score and type per entry, manifest order. */
  subjective: number[];
  types: Array<string | undefined>;
  /** Reference and distorted image paths per entry, manifest order. */
  references: string[];
  distorted: string[];
  /** How the subjective score's direction was decided, for people (e.g. "DMOS-like (lower = better), the LIVE convention"). */
  direction?: string;
  /** Options that shaped the scores (variant, backbone, saliency mode and threshold, tile), when the caller records them. */
  settings?: Record<string, unknown>;
  seconds: number;
}

/** An LRU of in-flight/decoded references (promises, so concurrent requests share one decode). */
class ReferenceCache {
  private readonly map: LRUCache<string, Promise<RGBImage>>;
  constructor(
    size: number,
    private readonly decode: (p: string) => Promise<RGBImage>,
  ) {
    this.map = new LRUCache({ max: size });
  }
  get(path: string): Promise<RGBImage> {
    let p = this.map.get(path);
    if (p) return p;
    p = this.decode(path);
    this.map.set(path, p);
    p.catch(() => this.map.delete(path));
    return p;
  }
}

export interface ScoredItems {
  /** Per metric, in metric order. Scores are indexed like the items; null = not scored. */
  metrics: MetricEvaluation[];
  seconds: number;
}

/**
 * Score (reference, test) items with every metric: items are visited grouped by reference (stable), each reference
 * is decoded once while needed, each test image once per item; metrics that cache features by image object (DeepSSIM)
 * therefore run the network once per distinct image. `indices` restricts the work to some items (a shard); the other
 * scores stay null.
 */
export async function scoreItems(
  items: ReadonlyArray<{ reference: string; test: string }>,
  metrics: FullReferenceMetric[],
  options: EvaluateOptions & { indices?: readonly number[] } = {},
): Promise<ScoredItems> {
  const t0 = performance.now();
  const n = items.length;
  const decode = options.decode ?? ((p: string) => decodeImage(p));
  const cache = new ReferenceCache(Math.max(1, options.referenceCacheSize ?? 8), decode);
  const results: MetricEvaluation[] = metrics.map((m) => ({
    name: m.name,
    higherIsBetter: m.higherIsBetter,
    scores: new Array<number | null>(n).fill(null),
    notApplicable: 0,
    nonFinite: 0,
    failures: [],
    stats: null,
    perType: [],
    scoringSeconds: 0,
  }));
  const chosen = options.indices ? [...options.indices] : Array.from({ length: n }, (_, i) => i);
  // Visit items grouped by reference (stable), so the cache holds each reference while it is needed.
  const order = chosen.sort((a, b) =>
    items[a].reference < items[b].reference ? -1 : items[a].reference > items[b].reference ? 1 : a - b,
  );
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < order.length) {
      const i = order[next++];
      const e = items[i];
      const [ref, rawDist] = await Promise.all([cache.get(e.reference), decode(e.test)]);
      const dist = options.transform ? options.transform(rawDist) : rawDist;
      const sameSize = ref.width === dist.width && ref.height === dist.height;
      for (let k = 0; k < metrics.length; k++) {
        const m = metrics[k];
        const r = results[k];
        if (m.requiresSameSize && !sameSize) {
          r.notApplicable++;
          continue;
        }
        const ts = performance.now();
        try {
          r.scores[i] = await m.score(ref, dist);
        } catch (err) {
          // Per-pair data problems (e.g. image too small for MS-SSIM) are recorded; programming errors propagate.
          if (!(err instanceof DeepSSIMError)) throw err;
          r.failures.push({ index: i, message: err.message });
        }
        r.scoringSeconds += (performance.now() - ts) / 1000;
      }
      done++;
      options.onProgress?.(done, order.length);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(options.concurrency ?? 2, order.length)) }, worker));
  for (const r of results) r.failures.sort((a, b) => a.index - b.index);
  return { metrics: results, seconds: (performance.now() - t0) / 1000 };
}

/** Correlation statistics of scored manifest entries (every figure deterministic given the scores). */
export function finishEvaluation(
  manifest: Manifest,
  results: MetricEvaluation[],
  options: Pick<EvaluateOptions, 'resamples' | 'seed'> & { misaligned?: boolean; seconds?: number } = {},
): Evaluation {
  const entries = manifest.entries;
  const n = entries.length;
  const subjective = entries.map((e) => e.score);
  const types = entries.map((e) => e.type);
  for (const r of results) {
    r.nonFinite = 0;
    r.stats = null;
    r.perType = [];
    const idx: number[] = [];
    for (let i = 0; i < n; i++) {
      const s = r.scores[i];
      if (s === null) continue;
      if (Number.isFinite(s)) idx.push(i);
      else r.nonFinite++;
    }
    if (idx.length < 3) continue;
    const x = idx.map((i) => r.scores[i] as number);
    const y = idx.map((i) => subjective[i]);
    const opts = {
      metricHigherIsBetter: r.higherIsBetter,
      subjectiveHigherIsBetter: manifest.higherIsBetter,
      resamples: options.resamples ?? 1000,
      seed: options.seed ?? 1,
    };
    r.stats = correlationStats(x, y, opts);
    if (idx.some((i) => types[i] !== undefined)) {
      r.perType = perTypeStats(
        x,
        y,
        idx.map((i) => types[i]),
        opts,
      );
    }
  }
  return {
    layout: manifest.layout,
    root: manifest.root,
    n,
    subjectiveHigherIsBetter: manifest.higherIsBetter,
    misaligned: options.misaligned ?? false,
    metrics: results,
    subjective,
    types,
    references: entries.map((e) => e.reference),
    distorted: entries.map((e) => e.distorted),
    seconds: options.seconds ?? 0,
  };
}

export async function evaluate(
  manifest: Manifest,
  metrics: FullReferenceMetric[],
  options: EvaluateOptions = {},
): Promise<Evaluation> {
  const t0 = performance.now();
  const items = manifest.entries.map((e) => ({ reference: e.reference, test: e.distorted }));
  const scored = await scoreItems(items, metrics, options);
  return finishEvaluation(manifest, scored.metrics, {
    resamples: options.resamples,
    seed: options.seed,
    misaligned: options.transform !== undefined,
    seconds: (performance.now() - t0) / 1000,
  });
}
