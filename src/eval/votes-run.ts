/**
 * Paired-comparison evaluation runner: score every distinct (reference, test) image pair of a votes study once per
 * metric (each distinct image through the network once), then compute accuracy, τ and their intervals (votes.ts).
 */
import type { FullReferenceMetric } from '../metrics/types.js';
import { scoreItems, type EvaluateOptions, type MetricEvaluation } from './run.js';
import {
  countSets,
  itemKey,
  voteItems,
  votesCeiling,
  votesStatistics,
  type ItemKey,
  type VotesData,
  type VotesMetricStats,
} from './votes.js';

export interface VotesMetricEvaluation {
  name: string;
  higherIsBetter: boolean;
  /** Score per item (see VotesEvaluation.items); null when not applicable or failed. */
  scores: Array<number | null>;
  notApplicable: number;
  failures: Array<{ index: number; message: string }>;
  stats: VotesMetricStats;
  scoringSeconds: number;
}

export interface VotesEvaluation {
  layout: VotesData['layout'];
  root: string;
  votes: number;
  sets: number;
  ceiling: number;
  items: ItemKey[];
  metrics: VotesMetricEvaluation[];
  data: VotesData;
  /** Options that shaped the scores (variant, backbone, saliency mode and threshold, tile), when the caller records them. */
  settings?: Record<string, unknown>;
  seconds: number;
}

/** Statistics from already scored items (used by a single run and by `merge`). */
export function finishVotesEvaluation(
  data: VotesData,
  items: ItemKey[],
  metrics: Array<
    Pick<MetricEvaluation, 'name' | 'higherIsBetter' | 'scores' | 'notApplicable' | 'failures' | 'scoringSeconds'>
  >,
  options: Pick<EvaluateOptions, 'resamples' | 'seed'> & { seconds?: number } = {},
): VotesEvaluation {
  const pos = new Map(items.map((it, i) => [itemKey(it.reference, it.test), i]));
  return {
    layout: data.layout,
    root: data.root,
    votes: data.votes.length,
    sets: countSets(data),
    ceiling: votesCeiling(data),
    items,
    data,
    metrics: metrics.map((m) => ({
      name: m.name,
      higherIsBetter: m.higherIsBetter,
      scores: m.scores,
      notApplicable: m.notApplicable,
      failures: m.failures,
      scoringSeconds: m.scoringSeconds,
      stats: votesStatistics(
        data,
        (reference, test) => {
          const i = pos.get(itemKey(reference, test));
          return i === undefined ? null : m.scores[i];
        },
        m.higherIsBetter,
        { resamples: options.resamples ?? 1000, seed: options.seed ?? 1 },
      ),
    })),
    seconds: options.seconds ?? 0,
  };
}

export async function evaluateVotes(
  data: VotesData,
  metrics: FullReferenceMetric[],
  options: EvaluateOptions = {},
): Promise<VotesEvaluation> {
  const t0 = performance.now();
  const items = voteItems(data.votes);
  const scored = await scoreItems(items, metrics, options);
  return finishVotesEvaluation(data, items, scored.metrics, { ...options, seconds: (performance.now() - t0) / 1000 });
}
