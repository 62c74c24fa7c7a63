/**
 * Robustness suite: score (reference, transformed) pairs for every image × transform × magnitude × metric, summarise
 * score-vs-magnitude curves, and measure rank consistency — how often a mild geometric-only change scores better than
 * a clearly visible photometric degradation of the same image.
 *
 * Metrics that require equal sizes report n/a (null) when a transform changes the size; nothing is ever resized
 * behind the metric's back.
 */
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { TopLevelSpec } from 'vega-lite';
import type { RGBImage } from '../image/types.js';
import type { FullReferenceMetric } from '../metrics/types.js';
import { DeepSSIMError, UsageError } from '../errors.js';
import { writeFileAtomic } from '../node/atomic-write.js';
import { toJson } from '../util/json.js';
import { renderChart } from './plot.js';
import { TRANSFORMS, mixSeed, type TransformKind, type TransformSpec } from './transforms.js';

export interface RobustnessImage {
  readonly name: string;
  readonly image: RGBImage;
}

/** One photometric degradation level regarded as clearly visible. */
export interface DegradationLevel {
  readonly transform: string;
  readonly magnitude: number;
}

/**
 * "Clearly visible" photometric degradations used as the yardstick for rank consistency: JPEG quality 10 (blocking
 * and ringing obvious at 1:1), Gaussian blur σ = 2 px (fine texture gone), additive Gaussian noise σ = 10 on the
 * 0–255 scale (grain obvious in flat areas).
 */
export const CLEARLY_VISIBLE: readonly DegradationLevel[] = Object.freeze([
  { transform: 'jpeg', magnitude: 10 },
  { transform: 'blur', magnitude: 2 },
  { transform: 'noise', magnitude: 10 },
]);

export interface RobustnessOptions {
  /** Transform names to run (default: every catalogue entry). The clearly-visible levels are always scored. */
  transforms?: readonly string[];
  /** Transform catalogue (default TRANSFORMS); injectable for tests and experiments. */
  catalogue?: Readonly<Record<string, TransformSpec>>;
  /** Base seed; each (image, transform) pair derives its own seed from it (default 1). */
  seed?: number;
  /** Yardstick degradations for rank consistency (default CLEARLY_VISIBLE). */
  clearlyVisible?: readonly DegradationLevel[];
  /** When given, write robustness.md, robustness.json and the plots (SVG + PNG) into this directory. */
  outDir?: string;
  /** Called after each transformed pair has been scored by all metrics. */
  onProgress?: (done: number, total: number, label: string) => void;
}

/** One raw score; null = n/a (metric requires equal sizes and the transform changed the size). */
export interface ScoreRecord {
  image: string;
  metric: string;
  transform: string;
  magnitude: number;
  score: number | null;
}

/** Mean and sample standard deviation (n − 1) of one metric × transform × magnitude cell over images. */
export interface SummaryCell {
  metric: string;
  transform: string;
  kind: TransformKind;
  magnitude: number;
  /** 1-based position in the transform's graded magnitude list (1 = mildest). */
  level: number;
  /** null when every image was n/a. */
  mean: number | null;
  /** null when fewer than two images were scored. */
  std: number | null;
  n: number;
  nNA: number;
}

export interface RankCount {
  /** Comparisons where the geometric pair scored strictly better. */
  consistent: number;
  /** Comparisons with exactly equal scores (counted as not consistent). */
  ties: number;
  /** Comparisons made (both scores available). */
  comparisons: number;
  /** Comparisons skipped because one of the scores was n/a. */
  skipped: number;
  /** consistent / comparisons, null when nothing could be compared. */
  rate: number | null;
}

export interface RankConsistency extends RankCount {
  metric: string;
  /** Geometric transform name, or "overall" (pooled over all geometric transforms). */
  transform: string;
  /** The mildest magnitude used (null for "overall"). */
  magnitude: number | null;
  /** Breakdown per clearly-visible degradation, keyed "jpeg@10" etc. */
  byDegradation: Record<string, RankCount>;
}

export interface RobustnessResult {
  images: { name: string; width: number; height: number }[];
  metrics: { name: string; higherIsBetter: boolean; requiresSameSize: boolean }[];
  transforms: { name: string; kind: TransformKind; unit: string; description: string; magnitudes: number[] }[];
  clearlyVisible: DegradationLevel[];
  seed: number;
  scores: ScoreRecord[];
  summary: SummaryCell[];
  rankConsistency: RankConsistency[];
  /** Absolute paths of the files written (when outDir was given). */
  files?: { markdown: string; json: string; curvesSvg: string; curvesPng: string; rankSvg: string; rankPng: string };
}

const keyOf = (transform: string, magnitude: number): string => `${transform}@${magnitude}`;

/** Run the suite. Metrics are used, not owned: the caller disposes them. */
export async function runRobustness(
  images: readonly RobustnessImage[],
  metrics: readonly FullReferenceMetric[],
  options: RobustnessOptions = {},
): Promise<RobustnessResult> {
  const catalogue = options.catalogue ?? TRANSFORMS;
  const seed = options.seed ?? 1;
  const clearlyVisible = [...(options.clearlyVisible ?? CLEARLY_VISIBLE)];
  const selected = [...(options.transforms ?? Object.keys(catalogue))];
  if (images.length === 0) throw new UsageError('robustness needs at least one image');
  if (metrics.length === 0) throw new UsageError('robustness needs at least one metric');
  if (new Set(images.map((i) => i.name)).size !== images.length) throw new UsageError('image names must be unique');
  if (new Set(metrics.map((m) => m.name)).size !== metrics.length) throw new UsageError('metric names must be unique');
  for (const name of [...selected, ...clearlyVisible.map((d) => d.transform)]) {
    if (!Object.hasOwn(catalogue, name)) {
      throw new UsageError(`unknown transform "${name}" (known: ${Object.keys(catalogue).join(', ')})`);
    }
  }

  // Jobs: every selected (transform, magnitude), plus the yardstick degradations if not already included.
  const jobs: DegradationLevel[] = [];
  const seen = new Set<string>();
  const addJob = (transform: string, magnitude: number): void => {
    const k = keyOf(transform, magnitude);
    if (!seen.has(k)) {
      seen.add(k);
      jobs.push({ transform, magnitude });
    }
  };
  for (const t of selected) for (const m of catalogue[t].magnitudes) addJob(t, m);
  for (const d of clearlyVisible) addJob(d.transform, d.magnitude);

  const scores: ScoreRecord[] = [];
  const total = images.length * jobs.length;
  let done = 0;
  for (const { name, image } of images) {
    for (const job of jobs) {
      const spec = catalogue[job.transform];
      const pair = await spec.apply(image, job.magnitude, mixSeed(seed, name, job.transform));
      const sameSize = pair.reference.width === pair.test.width && pair.reference.height === pair.test.height;
      for (const metric of metrics) {
        let score: number | null = null;
        if (sameSize || !metric.requiresSameSize) {
          score = await metric.score(pair.reference, pair.test);
          if (typeof score !== 'number' || Number.isNaN(score)) {
            throw new DeepSSIMError(
              `metric ${metric.name} returned ${score} on ${name} (${keyOf(job.transform, job.magnitude)})`,
            );
          }
        }
        scores.push({ image: name, metric: metric.name, transform: job.transform, magnitude: job.magnitude, score });
      }
      done++;
      options.onProgress?.(done, total, `${name} ${job.transform} ${job.magnitude}`);
    }
  }

  const result: RobustnessResult = {
    images: images.map(({ name, image }) => ({ name, width: image.width, height: image.height })),
    metrics: metrics.map((m) => ({
      name: m.name,
      higherIsBetter: m.higherIsBetter,
      requiresSameSize: m.requiresSameSize,
    })),
    transforms: selected.map((name) => ({
      name,
      kind: catalogue[name].kind,
      unit: catalogue[name].unit,
      description: catalogue[name].description,
      magnitudes: [...catalogue[name].magnitudes],
    })),
    clearlyVisible,
    seed,
    scores,
    summary: summarise(scores, metrics, selected, catalogue),
    rankConsistency: rankConsistency(scores, metrics, images, selected, catalogue, clearlyVisible),
  };
  if (options.outDir !== undefined) result.files = await writeRobustnessReport(result, options.outDir);
  return result;
}

function lookup(scores: readonly ScoreRecord[]): Map<string, number | null> {
  const map = new Map<string, number | null>();
  for (const s of scores) map.set(`${s.image}\u0000${s.metric}\u0000${keyOf(s.transform, s.magnitude)}`, s.score);
  return map;
}

/** Mean and sample std; ±Infinity scores (e.g. PSNR of identical images) propagate into the mean. */
function meanStd(values: readonly number[]): { mean: number | null; std: number | null } {
  if (values.length === 0) return { mean: null, std: null };
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  if (values.length < 2) return { mean, std: null };
  if (!Number.isFinite(mean)) return { mean, std: null };
  const ss = values.reduce((a, v) => a + (v - mean) ** 2, 0);
  return { mean, std: Math.sqrt(ss / (values.length - 1)) };
}

function summarise(
  scores: readonly ScoreRecord[],
  metrics: readonly FullReferenceMetric[],
  selected: readonly string[],
  catalogue: Readonly<Record<string, TransformSpec>>,
): SummaryCell[] {
  const cells: SummaryCell[] = [];
  for (const metric of metrics) {
    for (const t of selected) {
      catalogue[t].magnitudes.forEach((magnitude, i) => {
        const rows = scores.filter((s) => s.metric === metric.name && s.transform === t && s.magnitude === magnitude);
        const values = rows.map((r) => r.score).filter((v): v is number => v !== null);
        cells.push({
          metric: metric.name,
          transform: t,
          kind: catalogue[t].kind,
          magnitude,
          level: i + 1,
          ...meanStd(values),
          n: values.length,
          nNA: rows.length - values.length,
        });
      });
    }
  }
  return cells;
}

const emptyCount = (): RankCount => ({ consistent: 0, ties: 0, comparisons: 0, skipped: 0, rate: null });

function addTo(
  target: RankCount,
  geometric: number | null | undefined,
  degraded: number | null | undefined,
  higher: boolean,
): void {
  if (geometric == null || degraded == null) {
    target.skipped++;
    return;
  }
  target.comparisons++;
  if (geometric === degraded) target.ties++;
  else if (higher ? geometric > degraded : geometric < degraded) target.consistent++;
}

function finish<T extends RankCount>(c: T): T {
  c.rate = c.comparisons > 0 ? c.consistent / c.comparisons : null;
  return c;
}

/**
 * For each metric and each selected geometric transform at its mildest magnitude: over images × clearly-visible
 * degradations, the fraction of comparisons where the geometric pair scores strictly better (in the metric's
 * direction) than the degraded pair. Ties count as inconsistent; n/a pairs are skipped and counted. "overall" pools
 * all geometric transforms.
 */
function rankConsistency(
  scores: readonly ScoreRecord[],
  metrics: readonly FullReferenceMetric[],
  images: readonly RobustnessImage[],
  selected: readonly string[],
  catalogue: Readonly<Record<string, TransformSpec>>,
  clearlyVisible: readonly DegradationLevel[],
): RankConsistency[] {
  const table = lookup(scores);
  const get = (image: string, metric: string, transform: string, magnitude: number): number | null | undefined =>
    table.get(`${image}\u0000${metric}\u0000${keyOf(transform, magnitude)}`);
  const geometric = selected.filter((t) => catalogue[t].kind === 'geometric');
  const out: RankConsistency[] = [];
  for (const metric of metrics) {
    const overall: RankConsistency = {
      metric: metric.name,
      transform: 'overall',
      magnitude: null,
      ...emptyCount(),
      byDegradation: {},
    };
    for (const t of geometric) {
      const magnitude = catalogue[t].magnitudes[0];
      const row: RankConsistency = { metric: metric.name, transform: t, magnitude, ...emptyCount(), byDegradation: {} };
      for (const d of clearlyVisible) {
        const dk = keyOf(d.transform, d.magnitude);
        const per = (row.byDegradation[dk] ??= emptyCount());
        const pooled = (overall.byDegradation[dk] ??= emptyCount());
        for (const { name } of images) {
          const g = get(name, metric.name, t, magnitude);
          const p = get(name, metric.name, d.transform, d.magnitude);
          for (const target of [row, per, overall, pooled]) addTo(target, g, p, metric.higherIsBetter);
        }
      }
      Object.values(row.byDegradation).forEach(finish);
      out.push(finish(row));
    }
    Object.values(overall.byDegradation).forEach(finish);
    out.push(finish(overall));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Report

/** Format v with the precision suited to `scale` (so a std is printed like its mean). */
function fmt(v: number | null, scale: number | null = v): string {
  if (v === null) return 'n/a';
  if (!Number.isFinite(v)) return v > 0 ? '∞' : '−∞';
  const a = scale !== null && Number.isFinite(scale) ? Math.abs(scale) : Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e5)) return v.toExponential(3);
  return a >= 100 ? v.toFixed(2) : v.toFixed(4);
}

function fmtRate(c: RankCount): string {
  if (c.rate === null) return 'n/a';
  const skipped = c.skipped > 0 ? `, ${c.skipped} n/a` : '';
  return `${(100 * c.rate).toFixed(0)}% (${c.consistent}/${c.comparisons}${skipped})`;
}

const levelName = (d: DegradationLevel): string => `${d.transform} ${d.magnitude}`;

/** Markdown report: per-cell mean ± std (one column per metric), then rank consistency. */
export function formatRobustnessMarkdown(result: RobustnessResult): string {
  const lines: string[] = [];
  const metricNames = result.metrics.map((m) => m.name);
  lines.push('# Metric robustness to geometric and photometric transforms', '');
  lines.push(
    `${result.images.length} image(s): ${result.images.map((i) => `${i.name} (${i.width}×${i.height})`).join(', ')}. ` +
      `Seed ${result.seed}.`,
  );
  lines.push(
    `Metrics: ${result.metrics
      .map(
        (m) =>
          `${m.name} (${m.higherIsBetter ? 'higher' : 'lower'} is better${m.requiresSameSize ? ', same size only' : ''})`,
      )
      .join(', ')}. ` + 'n/a = metric requires equal sizes and the transform changed the size (never resized).',
    '',
  );
  lines.push('## Mean score ± sample std over images', '');
  lines.push(`| transform | kind | magnitude | ${metricNames.join(' | ')} |`);
  lines.push(`|---|---|---:|${metricNames.map(() => '---:').join('|')}|`);
  for (const t of result.transforms) {
    for (const magnitude of t.magnitudes) {
      const cells = metricNames.map((metric) => {
        const c = result.summary.find(
          (s) => s.metric === metric && s.transform === t.name && s.magnitude === magnitude,
        );
        if (!c || c.mean === null) return 'n/a';
        const std = c.std === null ? '' : ` ± ${fmt(c.std, c.mean)}`;
        const na = c.nNA > 0 ? ` (${c.nNA} n/a)` : '';
        return `${fmt(c.mean)}${std}${na}`;
      });
      lines.push(`| ${t.name} | ${t.kind} | ${magnitude} ${t.unit} | ${cells.join(' | ')} |`);
    }
  }
  lines.push('', '## Rank consistency', '');
  lines.push(
    'Share of comparisons (images × clearly visible degradations) in which the mildest magnitude of a geometric ' +
      "transform scores strictly better, in the metric's direction, than a clearly visible photometric degradation " +
      `of the same image: ${result.clearlyVisible.map(levelName).join(', ')}. Ties count as inconsistent; n/a pairs ` +
      'are skipped.',
    '',
  );
  lines.push(`| geometric transform (mildest) | ${metricNames.join(' | ')} |`);
  lines.push(`|---|${metricNames.map(() => '---:').join('|')}|`);
  const rows = [...new Set(result.rankConsistency.map((r) => r.transform))];
  for (const t of rows) {
    const sample = result.rankConsistency.find((r) => r.transform === t);
    const label =
      t === 'overall'
        ? '**overall**'
        : `${t} ${sample?.magnitude ?? ''} ${result.transforms.find((x) => x.name === t)?.unit ?? ''}`.trim();
    const cells = metricNames.map((metric) => {
      const r = result.rankConsistency.find((x) => x.metric === metric && x.transform === t);
      return r ? fmtRate(r) : 'n/a';
    });
    lines.push(`| ${label} | ${cells.join(' | ')} |`);
  }
  lines.push('', '## Transforms', '');
  for (const t of result.transforms)
    lines.push(`- **${t.name}** (${t.kind}, ${t.unit}: ${t.magnitudes.join(', ')}): ${t.description}`);
  lines.push('');
  return lines.join('\n');
}

/** Distinct colours for up to 12 transforms (category10 + black + grey-blue), in catalogue order. */
const PALETTE = [
  '#1f77b4',
  '#ff7f0e',
  '#2ca02c',
  '#d62728',
  '#9467bd',
  '#8c564b',
  '#e377c2',
  '#7f7f7f',
  '#bcbd22',
  '#17becf',
  '#000000',
  '#5f7f9f',
];

/** Legend label of a transform: name plus its graded magnitudes, so the normalised x axis can be read back. */
const transformLabel = (t: RobustnessResult['transforms'][number]): string =>
  `${t.name} (${t.magnitudes.join(', ')} ${t.unit})`;

/** Vega-Lite spec: one panel per metric (independent y), lines per transform over magnitude level 1..k. */
export function curvesSpec(result: RobustnessResult): TopLevelSpec {
  const labels = new Map(result.transforms.map((t) => [t.name, transformLabel(t)]));
  const domain = [...result.transforms]
    .sort((a, b) => (a.kind === b.kind ? 0 : a.kind === 'geometric' ? -1 : 1))
    .map(transformLabel);
  const values = result.summary
    .filter((c) => c.mean !== null && Number.isFinite(c.mean))
    .map((c) => ({
      metric: c.metric,
      transform: labels.get(c.transform),
      kind: c.kind,
      level: c.level,
      magnitude: c.magnitude,
      mean: c.mean,
    }));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: 'Mean score vs. transform magnitude',
      subtitle:
        'x: magnitude level, 1 = mildest (values in the legend); solid = geometric, dashed = photometric; n/a cells omitted',
    },
    data: { values },
    columns: Math.min(3, Math.max(1, result.metrics.length)),
    facet: { field: 'metric', type: 'nominal', title: null, sort: result.metrics.map((m) => m.name) },
    resolve: { scale: { y: 'independent' } },
    spec: {
      width: 300,
      height: 220,
      mark: { type: 'line', point: true, strokeWidth: 1.8 },
      encoding: {
        x: { field: 'level', type: 'quantitative', title: 'magnitude level', axis: { tickMinStep: 1, format: 'd' } },
        y: { field: 'mean', type: 'quantitative', title: 'mean score', scale: { zero: false } },
        color: {
          field: 'transform',
          type: 'nominal',
          scale: { domain, range: PALETTE.slice(0, Math.max(1, domain.length)) },
          legend: { labelLimit: 400 },
          title: 'transform',
        },
        strokeDash: {
          field: 'kind',
          type: 'nominal',
          scale: {
            domain: ['geometric', 'photometric'],
            range: [
              [1, 0],
              [5, 3],
            ],
          },
          legend: null, // the subtitle explains solid/dashed; stroke-only legend symbols do not render headlessly
        },
      },
    },
  } as TopLevelSpec;
}

/** Vega-Lite spec: grouped bars of rank-consistency rate per geometric transform, one colour per metric; n/a marked. */
export function rankSpec(result: RobustnessResult): TopLevelSpec {
  const order = [...new Set(result.rankConsistency.map((r) => r.transform))];
  const metricOrder = result.metrics.map((m) => m.name);
  const values = result.rankConsistency.map((r) => ({
    metric: r.metric,
    transform: r.transform,
    rate: r.rate,
    label: r.rate === null ? 'n/a' : `${Math.round(100 * r.rate)}%`,
  }));
  const x = { field: 'transform', type: 'nominal', title: null, sort: order, axis: { labelAngle: -30 } };
  const xOffset = { field: 'metric', type: 'nominal', sort: metricOrder };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: 'Rank consistency: mildest geometric change scored better than a clearly visible degradation',
      subtitle: `yardsticks: ${result.clearlyVisible.map(levelName).join(', ')}; n/a = metric needs equal sizes`,
    },
    data: { values },
    width: { step: 16 * Math.max(1, metricOrder.length) + 8 },
    height: 220,
    layer: [
      {
        transform: [{ filter: 'datum.rate !== null' }],
        mark: 'bar',
        encoding: {
          x,
          xOffset,
          y: { field: 'rate', type: 'quantitative', title: 'rate', scale: { domain: [0, 1] }, axis: { format: '%' } },
          color: { field: 'metric', type: 'nominal', sort: metricOrder, title: 'metric' },
        },
      },
      {
        mark: { type: 'text', angle: 270, align: 'left', dx: 0, fontSize: 9 },
        encoding: {
          x,
          xOffset,
          y: { datum: 0.02 },
          text: { field: 'label' },
          color: { value: '#333' },
        },
      },
    ],
  } as TopLevelSpec;
}

async function writeOut(path: string, data: string | Uint8Array): Promise<void> {
  try {
    await writeFileAtomic(path, data);
  } catch (err) {
    throw new DeepSSIMError(`cannot write ${path}: ${(err as Error).message}`, { cause: err });
  }
}

/** Write robustness.md, robustness.json, robustness-curves.{svg,png} and robustness-rank.{svg,png} into outDir. */
export async function writeRobustnessReport(
  result: RobustnessResult,
  outDir: string,
): Promise<NonNullable<RobustnessResult['files']>> {
  const dir = resolve(outDir);
  try {
    await mkdir(dir, { recursive: true });
  } catch (err) {
    throw new DeepSSIMError(`cannot create output directory ${dir}: ${(err as Error).message}`, { cause: err });
  }
  const files = {
    markdown: join(dir, 'robustness.md'),
    json: join(dir, 'robustness.json'),
    curvesSvg: join(dir, 'robustness-curves.svg'),
    curvesPng: join(dir, 'robustness-curves.png'),
    rankSvg: join(dir, 'robustness-rank.svg'),
    rankPng: join(dir, 'robustness-rank.png'),
  };
  const curves = await renderChart(curvesSpec(result));
  const rank = await renderChart(rankSpec(result));
  await writeOut(files.curvesSvg, curves.svg);
  await writeOut(files.curvesPng, curves.png);
  await writeOut(files.rankSvg, rank.svg);
  await writeOut(files.rankPng, rank.png);
  await writeOut(files.markdown, formatRobustnessMarkdown(result));
  await writeOut(files.json, `${toJson({ ...result, files }, 2)}\n`);
  return files;
}
