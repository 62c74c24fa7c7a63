/**
 * Report of a paired-comparison evaluation, with the MOS report's conventions: Markdown summary, JSON with every
 * figure and per-pair scores (with file paths), and a plot (pairwise accuracy per metric with its 95 % interval and
 * the observers' ceiling; mean τ per metric) as SVG and PNG. Files are written atomically.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { TopLevelSpec } from 'vega-lite';
import { writeFileAtomic } from '../node/atomic-write.js';
import { toJson } from '../util/json.js';
import { renderChart } from './plot.js';
import { settingsLine, type ReportFiles } from './report.js';
import type { VotesEvaluation } from './votes-run.js';
import type { Interval } from './statistics.js';

const f4 = (v: number | null) => (v === null ? '–' : Number.isFinite(v) ? v.toFixed(4) : String(v));
const f3 = (v: number) => (Number.isFinite(v) ? v.toFixed(3) : String(v));
const ci = (i?: Interval | null) => (i ? ` [${f3(i[0])}, ${f3(i[1])}]` : '');

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
    ...m.failures
      .slice(0, 5)
      .map((f) => `- ${m.name}: pair ${f.index + 1} (${ev.items[f.index]?.test ?? '?'}) failed: ${f.message}`),
  ]);
  if (notes.length) lines.push('', '## Notes', '', ...notes);
  lines.push('', `Wall time ${ev.seconds.toFixed(1)} s.`, '');
  return lines.join('\n');
}

/** Vega-Lite spec: accuracy bars with 95 % interval and the ceiling; τ bars with interval. */
export function votesSpec(ev: VotesEvaluation): TopLevelSpec {
  const values: Array<Record<string, unknown>> = [];
  for (const m of ev.metrics) {
    const s = m.stats;
    if (s.pairwiseAccuracy !== null) {
      values.push({
        metric: m.name,
        figure: 'pairwise accuracy',
        value: s.pairwiseAccuracy,
        lo: s.ci?.pairwiseAccuracy?.[0] ?? s.pairwiseAccuracy,
        hi: s.ci?.pairwiseAccuracy?.[1] ?? s.pairwiseAccuracy,
        ceiling: ev.ceiling,
      });
    }
    if (s.kendallTau !== null) {
      values.push({
        metric: m.name,
        figure: 'mean Kendall τ',
        value: s.kendallTau,
        lo: s.ci?.kendallTau?.[0] ?? s.kendallTau,
        hi: s.ci?.kendallTau?.[1] ?? s.kendallTau,
        ceiling: null,
      });
    }
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

/** Full JSON document: top-level ceiling, votes, sets; metrics[name]; per-pair scores with paths. */
export function votesReportJson(ev: VotesEvaluation): string {
  const doc = {
    kind: 'votes',
    layout: ev.layout,
    root: ev.root,
    votes: ev.votes,
    sets: ev.sets,
    ceiling: ev.ceiling,
    settings: ev.settings ?? null,
    seconds: ev.seconds,
    metrics: summarizeVotes(ev),
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
  return {
    dataset,
    kind: 'votes',
    layout: ev.layout,
    votes: ev.votes,
    sets: ev.sets,
    ceiling: ev.ceiling,
    settings: ev.settings ?? null,
    seconds: ev.seconds,
    metrics: summarizeVotes(ev),
  };
}

/** Write eval.md, eval.json and eval-votes.svg/.png into outDir (created if needed). */
export async function writeVotesReport(
  ev: VotesEvaluation,
  outDir: string,
  options: { title?: string; plots?: boolean } = {},
): Promise<ReportFiles> {
  await mkdir(outDir, { recursive: true });
  const files: ReportFiles = { markdown: join(outDir, 'eval.md'), json: join(outDir, 'eval.json') };
  await writeFileAtomic(files.markdown, formatVotesMarkdown(ev, options.title));
  await writeFileAtomic(files.json, votesReportJson(ev));
  if (options.plots !== false && ev.metrics.some((m) => m.stats.pairwiseAccuracy !== null)) {
    const chart = await renderChart(votesSpec(ev));
    files.svg = join(outDir, 'eval-votes.svg');
    files.png = join(outDir, 'eval-votes.png');
    await writeFileAtomic(files.svg, chart.svg);
    await writeFileAtomic(files.png, chart.png);
  }
  return files;
}
