/**
 * Report of a paired-comparison evaluation, with the MOS report's conventions: Markdown summary, JSON with every
 * figure and per-pair scores (with file paths), and a plot (pairwise accuracy per metric with its 95 % interval and
 * the observers' ceiling; mean τ per metric) as SVG and PNG. Files are written atomically.
 */
import type { TopLevelSpec } from 'vega-lite';
import { toJson } from '../util/json.js';
import { ci, f4, failureNotes, finishMarkdown, settingsLine, writeReportFiles, type ReportFiles } from './report.js';
import type { VotesEvaluation } from './votes-run.js';
import type { Interval } from './statistics.js';

/** The per-metric figures (`metrics[name]` of the JSON). */
export function summarizeVotes(ev: VotesEvaluation): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const m of ev.metrics) {
    const s = m.stats;
    out[m.name] = {
      higherIsBetter: m.higherIsBetter,
      pairwiseAccuracy: s.pairwiseAccuracy,
      kendallTau: s.kendallTau,
      ci: {
        pairwiseAccuracy: s.ci?.pairwiseAccuracy ?? null,
        kendallTau: s.ci?.kendallTau ?? null,
        resamples: s.ci?.resamples ?? 0,
        seed: s.ci?.seed ?? null,
      },
      votes: s.votes,
      setsWithTau: s.setsWithTau,
      notApplicable: m.notApplicable,
      failed: m.failures.length,
      scoringSeconds: m.scoringSeconds,
    };
  }
  return out;
}

export function formatVotesMarkdown(ev: VotesEvaluation, title = 'Paired-comparison evaluation'): string {
  const source = ev.layout === 'bapps-2afc' ? 'BAPPS 2AFC folder (judge-weighted votes)' : 'votes file';
  const lines = [
    `# ${title}`,
    '',
    `${ev.votes} votes in ${ev.sets} sets, ${ev.items.length} distinct (reference, test) pairs, from a ${source} (${ev.root}).`,
    ...settingsLine(ev.settings),
    'Pairwise accuracy: share of votes where the metric prefers the image the observer chose (metric ties count 0.5).',
    "Kendall τ-b per set between the metric's scores and the vote win-rates of the set's test images, averaged over",
    'sets (RetargetMe protocol). Brackets: 95 % percentile-bootstrap intervals resampling sets.',
    ev.layout === 'bapps-2afc'
      ? `Ceiling (expected agreement of two observers, p² + (1 − p)²): **${f4(ev.ceiling)}**.`
      : `Ceiling (each vote predicted by the majority of the other votes on the same pair, ties 0.5): **${f4(ev.ceiling)}**.`,
    '',
    '| metric | votes | pairwise accuracy | sets with τ | Kendall τ | n/a | failed |',
    '|---|---:|---|---:|---|---:|---:|',
  ];
  for (const m of ev.metrics) {
    const s = m.stats;
    lines.push(
      `| ${m.name} | ${s.votes} | ${f4(s.pairwiseAccuracy)}${ci(s.ci?.pairwiseAccuracy)} | ${s.setsWithTau} | ${f4(s.kendallTau)}${ci(s.ci?.kendallTau)} | ${m.notApplicable} | ${m.failures.length} |`,
    );
  }
  const notes = ev.metrics.flatMap((m) => [
    ...(m.notApplicable
      ? [`- ${m.name}: ${m.notApplicable} pairs not applicable (different sizes; votes on them are left out)`]
      : []),
    ...failureNotes(m.name, m.failures, (i) => ev.items[i]?.test),
  ]);
  return finishMarkdown(lines, notes, ev.seconds);
}

/** Vega-Lite spec: accuracy bars with 95 % interval and the ceiling; τ bars with interval. */
export function votesSpec(ev: VotesEvaluation): TopLevelSpec {
  const values: Array<Record<string, unknown>> = [];
  // One bar per computed figure: its value, its interval (the value itself without one) and the ceiling it has.
  const bar = (
    metric: string,
    figure: string,
    value: number | null,
    interval: Interval | null | undefined,
    ceiling: number | null,
  ) => {
    if (value !== null)
      values.push({ metric, figure, value, lo: interval?.[0] ?? value, hi: interval?.[1] ?? value, ceiling });
  };
  for (const m of ev.metrics) {
    const s = m.stats;
    bar(m.name, 'pairwise accuracy', s.pairwiseAccuracy, s.ci?.pairwiseAccuracy, ev.ceiling);
    bar(m.name, 'mean Kendall τ', s.kendallTau, s.ci?.kendallTau, null);
  }
  const x = { field: 'metric', type: 'nominal' as const, title: null, sort: null };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    data: { values },
    facet: { field: 'figure', type: 'nominal', title: null },
    spec: {
      width: Math.max(160, 40 * ev.metrics.length),
      height: 200,
      layer: [
        {
          mark: { type: 'bar', opacity: 0.8 },
          encoding: { x, y: { field: 'value', type: 'quantitative', title: null } },
        },
        {
          mark: { type: 'rule', color: 'black' },
          encoding: { x, y: { field: 'lo', type: 'quantitative' }, y2: { field: 'hi' } },
        },
        {
          transform: [{ filter: 'datum.ceiling !== null' }],
          mark: { type: 'rule', color: 'firebrick', strokeDash: [4, 3] },
          encoding: { y: { aggregate: 'mean', field: 'ceiling', type: 'quantitative' } },
        },
      ],
    },
    resolve: { scale: { y: 'independent' } },
  } as TopLevelSpec;
}

/** The study's figures, as both JSON outputs carry them (in this order). */
function studyFigures(ev: VotesEvaluation) {
  return {
    votes: ev.votes,
    sets: ev.sets,
    ceiling: ev.ceiling,
    settings: ev.settings ?? null,
    seconds: ev.seconds,
    metrics: summarizeVotes(ev),
  };
}

/** Full JSON document: top-level ceiling, votes, sets; metrics[name]; per-pair scores with paths. */
export function votesReportJson(ev: VotesEvaluation): string {
  const doc = {
    kind: 'votes',
    layout: ev.layout,
    root: ev.root,
    ...studyFigures(ev),
    pairs: ev.items.map((it, i) => ({
      reference: it.reference,
      test: it.test,
      metrics: Object.fromEntries(ev.metrics.map((m) => [m.name, m.scores[i]])),
    })),
    failures: Object.fromEntries(ev.metrics.map((m) => [m.name, m.failures])),
  };
  return toJson(doc, 1);
}

/** The compact object `eval --json` prints for a votes study. */
export function votesJsonSummary(ev: VotesEvaluation, dataset: string): Record<string, unknown> {
  return { dataset, kind: 'votes', layout: ev.layout, ...studyFigures(ev) };
}

/** Write eval.md, eval.json and eval-votes.svg/.png into outDir (created if needed). */
export function writeVotesReport(
  ev: VotesEvaluation,
  outDir: string,
  options: { title?: string; plots?: boolean } = {},
): Promise<ReportFiles> {
  return writeReportFiles(outDir, {
    markdown: formatVotesMarkdown(ev, options.title),
    json: votesReportJson(ev),
    plotName: 'eval-votes',
    spec:
      options.plots !== false && ev.metrics.some((m) => m.stats.pairwiseAccuracy !== null) ? () => votesSpec(ev) : null,
  });
}
