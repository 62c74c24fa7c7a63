/**
 * Evaluation report: Markdown summary, JSON with every figure (incl. per-pair scores), and a scatter plot per
 * metric (metric score vs subjective score with the fitted mapping) as SVG and PNG. Files are written atomically.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { TopLevelSpec } from 'vega-lite';
import { writeFileAtomic } from '../node/atomic-write.js';
import { toJson } from '../util/json.js';
import { renderChart } from './plot.js';
import type { Evaluation, MetricEvaluation } from './run.js';
import { predict, type Interval } from './statistics.js';

// Shared by both reports (this one and votes-report.ts): number formats, notes and footer, the files written.
export const f3 = (v: number) => (Number.isFinite(v) ? v.toFixed(3) : String(v));
/** Four decimals; `–` for a figure that could not be computed. */
export const f4 = (v: number | null) => (v === null ? '–' : Number.isFinite(v) ? v.toFixed(4) : String(v));
/** ` [lo, hi]` for a 95 % interval, nothing without one. */
export const ci = (i?: Interval | null) => (i ? ` [${f3(i[0])}, ${f3(i[1])}]` : '');

/** Notes on the first five failed pairs of a metric, each named by `label(index)`. */
export function failureNotes(
  name: string,
  failures: readonly { index: number; message: string }[],
  label: (index: number) => string | undefined,
): string[] {
  return failures
    .slice(0, 5)
    .map((f) => `- ${name}: pair ${f.index + 1} (${label(f.index) ?? '?'}) failed: ${f.message}`);
}

/** The report's Notes section (when there are notes) and wall-time footer, then the Markdown text. */
export function finishMarkdown(lines: string[], notes: readonly string[], seconds: number): string {
  if (notes.length) lines.push('', '## Notes', '', ...notes);
  lines.push('', `Wall time ${seconds.toFixed(1)} s.`, '');
  return lines.join('\n');
}

/**
 * Write eval.md and eval.json into outDir (created if needed), and `<plotName>.svg/.png` from `spec` when given
 * (null: nothing to plot, or plots turned off).
 */
export async function writeReportFiles(
  outDir: string,
  content: { markdown: string; json: string; plotName: string; spec: (() => TopLevelSpec) | null },
): Promise<ReportFiles> {
  await mkdir(outDir, { recursive: true });
  const files: ReportFiles = { markdown: join(outDir, 'eval.md'), json: join(outDir, 'eval.json') };
  await writeFileAtomic(files.markdown, content.markdown);
  await writeFileAtomic(files.json, content.json);
  if (content.spec) {
    const chart = await renderChart(content.spec());
    files.svg = join(outDir, `${content.plotName}.svg`);
    files.png = join(outDir, `${content.plotName}.png`);
    await writeFileAtomic(files.svg, chart.svg);
    await writeFileAtomic(files.png, chart.png);
  }
  return files;
}

/** One line naming the options that shaped the scores (variant, backbone, saliency mode and threshold), if recorded. */
export function settingsLine(settings: Record<string, unknown> | undefined): string[] {
  if (!settings) return [];
  const parts = Object.entries(settings)
    .filter(([, v]) => v !== null && v !== undefined)
    .map(([k, v]) => `${k} ${String(v)}`);
  return parts.length ? [`Scoring options: ${parts.join(', ')}.`] : [];
}

/** The compact per-metric figures printed by `eval --json` (and included in the report JSON). */
export function summarize(ev: Evaluation): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const m of ev.metrics) {
    const s = m.stats;
    out[m.name] = {
      n: s?.n ?? 0,
      srcc: s?.srcc ?? null,
      krcc: s?.krcc ?? null,
      plcc: s?.plcc ?? null,
      rmse: s?.rmse ?? null,
      ci: s?.ci ?? null,
      fit: s ? { kind: s.fit.kind, params: s.fit.params, fallbackReasons: s.fit.fallbackReasons } : null,
      notApplicable: m.notApplicable,
      nonFinite: m.nonFinite,
      failed: m.failures.length,
      perType: m.perType,
      scoringSeconds: m.scoringSeconds,
    };
  }
  return out;
}

export function formatMarkdown(ev: Evaluation, title = 'Evaluation'): string {
  const subj = ev.subjectiveHigherIsBetter ? 'MOS (higher = better)' : 'DMOS (lower = better)';
  const lines = [
    `# ${title}`,
    '',
    `${ev.n} pairs from ${ev.layout} (${ev.root}); subjective score: ${ev.direction ?? subj}${ev.misaligned ? '; misaligned mode (distorted images transformed before scoring)' : ''}.`,
    ...settingsLine(ev.settings),
    'Correlations are signed so that positive = agreement with the observers. PLCC and RMSE after the VQEG',
    '5-parameter logistic (fallbacks noted); brackets: 95 % percentile-bootstrap intervals.',
    '',
    '| metric | n | SRCC | KRCC | PLCC | RMSE | fit | n/a | failed |',
    '|---|---:|---|---|---|---|---|---:|---:|',
  ];
  for (const m of ev.metrics) {
    const s = m.stats;
    if (!s) {
      lines.push(`| ${m.name} | 0 | – | – | – | – | – | ${m.notApplicable} | ${m.failures.length} |`);
      continue;
    }
    lines.push(
      `| ${m.name} | ${s.n} | ${f4(s.srcc)}${ci(s.ci?.srcc)} | ${f4(s.krcc)}${ci(s.ci?.krcc)} | ${f4(s.plcc)}${ci(s.ci?.plcc)} | ` +
        `${f4(s.rmse)}${ci(s.ci?.rmse)} | ${s.fit.kind} | ${m.notApplicable} | ${m.failures.length} |`,
    );
  }
  const typed = ev.metrics.filter((m) => m.perType.length > 1);
  if (typed.length > 0) {
    const types = [...new Set(typed.flatMap((m) => m.perType.map((t) => t.type)))].sort();
    lines.push(
      '',
      '## SRCC per distortion type',
      '',
      `| type | ${typed.map((m) => m.name).join(' | ')} |`,
      `|---|${typed.map(() => '---:').join('|')}|`,
    );
    for (const t of types) {
      lines.push(`| ${t} | ${typed.map((m) => f4(m.perType.find((p) => p.type === t)?.srcc ?? NaN)).join(' | ')} |`);
    }
  }
  const scored = ev.metrics.filter((m) => m.stats);
  const allNegative = scored.length > 0 && scored.every((m) => m.stats!.srcc < -0.3);
  const notes = [
    ...(allNegative
      ? [
          '- Every correlation is negative: the metrics disagree with the observers, or the subjective score runs the other way (check whether it is MOS-like or DMOS-like).',
        ]
      : []),
    ...ev.metrics.flatMap((m) => [
      ...(m.stats?.fit.fallbackReasons.length
        ? [`- ${m.name}: fit fell back to ${m.stats.fit.kind} (${m.stats.fit.fallbackReasons.join('; ')})`]
        : []),
      ...(m.nonFinite ? [`- ${m.name}: ${m.nonFinite} non-finite scores excluded`] : []),
      ...failureNotes(m.name, m.failures, (i) => ev.distorted[i]),
    ]),
  ];
  return finishMarkdown(lines, notes, ev.seconds);
}

/** Vega-Lite spec: one panel per metric, pairs as points (coloured by type) and the fitted mapping as a line. */
export function scatterSpec(ev: Evaluation): TopLevelSpec {
  const values: Array<Record<string, unknown>> = [];
  for (const m of ev.metrics) {
    if (!m.stats) continue;
    let lo = Infinity;
    let hi = -Infinity;
    m.scores.forEach((s, i) => {
      if (s === null || !Number.isFinite(s)) return;
      lo = Math.min(lo, s);
      hi = Math.max(hi, s);
      values.push({ metric: m.name, kind: 'pair', x: s, y: ev.subjective[i], type: ev.types[i] ?? 'all' });
    });
    const fit = m.stats.fit;
    for (let k = 0; k <= 100; k++) {
      const x = lo + ((hi - lo) * k) / 100;
      values.push({ metric: m.name, kind: 'fit', x, y: predict(fit, x), type: 'fit' });
    }
  }
  const yTitle = ev.subjectiveHigherIsBetter ? 'MOS' : 'DMOS';
  const x = { field: 'x', type: 'quantitative' as const, scale: { zero: false }, title: 'metric score' };
  const y = { field: 'y', type: 'quantitative' as const, scale: { zero: false }, title: yTitle };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    data: { values },
    facet: { field: 'metric', type: 'nominal', title: null },
    columns: Math.min(3, Math.max(1, ev.metrics.length)),
    spec: {
      width: 260,
      height: 200,
      layer: [
        {
          transform: [{ filter: "datum.kind === 'pair'" }],
          mark: { type: 'point', filled: true, size: 14, opacity: 0.6 },
          encoding: { x, y, color: { field: 'type', type: 'nominal', title: 'type' } },
        },
        {
          transform: [{ filter: "datum.kind === 'fit'" }],
          mark: { type: 'line', color: 'black', strokeWidth: 1.5 },
          encoding: { x, y },
        },
      ],
    },
    resolve: { scale: { x: 'independent' } },
  } as TopLevelSpec;
}

export interface ReportFiles {
  markdown: string;
  json: string;
  svg?: string;
  png?: string;
}

/** Full JSON document (every figure and per-pair score). */
export function reportJson(ev: Evaluation): string {
  const doc = {
    layout: ev.layout,
    root: ev.root,
    n: ev.n,
    subjectiveHigherIsBetter: ev.subjectiveHigherIsBetter,
    misaligned: ev.misaligned,
    seconds: ev.seconds,
    metrics: summarize(ev),
    direction: ev.direction ?? null,
    settings: ev.settings ?? null,
    pairs: ev.subjective.map((s, i) => ({
      reference: ev.references[i],
      distorted: ev.distorted[i],
      score: s,
      type: ev.types[i],
      metrics: Object.fromEntries(ev.metrics.map((m: MetricEvaluation) => [m.name, m.scores[i]])),
    })),
    failures: Object.fromEntries(ev.metrics.map((m) => [m.name, m.failures])),
  };
  return toJson(doc, 1);
}

/** Write eval.md, eval.json and eval-scatter.svg/.png into outDir (created if needed). */
export function writeReport(
  ev: Evaluation,
  outDir: string,
  options: { title?: string; plots?: boolean } = {},
): Promise<ReportFiles> {
  return writeReportFiles(outDir, {
    markdown: formatMarkdown(ev, options.title),
    json: reportJson(ev),
    plotName: 'eval-scatter',
    spec: options.plots !== false && ev.metrics.some((m) => m.stats) ? () => scatterSpec(ev) : null,
  });
}
