import { extname } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { UsageError } from '../../errors.js';
import { decodeImage, encodePng } from '../../node/decode.js';
import { renderHeatmap, renderSideBySide, DEFAULT_RADIUS, DEFAULT_STEP, DEFAULT_WINDOW } from '../../map/index.js';
import { writeFileAtomic } from '../../node/atomic-write.js';
import { addMetricOptions, createCliMetric, parseNumber, type MetricCliOptions } from '../options.js';
import { EXIT_BELOW_THRESHOLD } from '../exit-codes.js';
import { resolvePath, type CliContext } from '../io.js';
import { createProgress } from '../progress.js';

/** The backbone the local map is validated with (genuine ImageNet weights; docs/local-map.md). */
export const DIFF_DEFAULT_BACKBONE = 'mobilenet_v1_0.75';

interface DiffCliOptions extends MetricCliOptions {
  out?: string;
  json?: boolean;
  sideBySide?: boolean;
  window?: number;
  step?: number;
  radius?: number;
  minScore?: number;
  minLocal?: number;
  progress?: boolean;
}

const cells =
  (what: string, min: number) =>
  (v: string): number => {
    const n = Number(v);
    if (v.trim() === '' || !Number.isInteger(n) || n < min || n > 64)
      throw new InvalidArgumentError(`${what} must be an integer from ${min} to 64.`);
    return n;
  };

export function registerDiffCommand(program: Command, ctx: CliContext): void {
  const { io } = ctx;
  const cmd = program
    .command('diff')
    .description('where two images differ: the local DeepSSIM map (tolerates small shifts and rendering drift)')
    .argument('<reference>', 'reference image')
    .argument('<test>', 'test image; may differ in size (windows are matched by relative position)')
    .option('-o, --out <map.png>', 'write a heatmap of the differences over the reference (PNG)')
    .option('--side-by-side', 'with -o: write reference | test | heatmap instead')
    .option('--json', 'print { score, minLocal, minLocation, grid, … } as JSON')
    .option('--window <cells>', `window side in feature cells (default ${DEFAULT_WINDOW})`, cells('--window', 1))
    .option('--step <cells>', `step between windows in feature cells (default ${DEFAULT_STEP})`, cells('--step', 1))
    .option('--radius <cells>', `search radius in feature cells (default ${DEFAULT_RADIUS})`, cells('--radius', 0))
    .option(
      '--min-score <s>',
      `exit with code ${EXIT_BELOW_THRESHOLD} when the global score is below s`,
      parseNumber('--min-score', () => true, 'a number'),
    )
    .option(
      '--min-local <s>',
      `exit with code ${EXIT_BELOW_THRESHOLD} when the lowest window is below s`,
      parseNumber('--min-local', () => true, 'a number'),
    )
    .option('--no-progress', 'no progress bar or heartbeat lines on stderr (tiled images)');
  addMetricOptions(cmd).action(async (reference: string, test: string, opts: DiffCliOptions) => {
    if (opts.sideBySide && !opts.out)
      throw new UsageError('--side-by-side needs -o <file.png>', { code: 'INVALID_OPTION', option: 'sideBySide' });
    if (opts.out && extname(opts.out).toLowerCase() !== '.png')
      throw new UsageError(`--out must be a .png file, got ${opts.out}`, { code: 'INVALID_OPTION', option: 'out' });
    if (opts.saliency === 'gbvs')
      throw new UsageError('diff does not use saliency calibration (--saliency none)', {
        code: 'UNSUPPORTED',
        option: 'saliency',
      });
    const progress = createProgress(io, { command: 'diff', unit: 'tiles', enabled: opts.progress !== false });
    let metric;
    try {
      metric = await createCliMetric(opts, io, progress, { backbone: opts.backbone ?? DIFF_DEFAULT_BACKBONE });
      const [refPath, testPath] = [resolvePath(io, reference), resolvePath(io, test)];
      const map = await metric.map(refPath, testPath, { window: opts.window, step: opts.step, radius: opts.radius });
      progress.stop();
      if (opts.out) {
        const ref = await decodeImage(refPath);
        const picture = opts.sideBySide
          ? renderSideBySide(ref, await decodeImage(testPath), map)
          : renderHeatmap(ref, map);
        await writeFileAtomic(resolvePath(io, opts.out), await encodePng(picture));
      }
      const failures: string[] = [];
      if (opts.minScore !== undefined && map.score < opts.minScore)
        failures.push(`score ${map.score.toFixed(6)} is below --min-score ${opts.minScore}`);
      if (opts.minLocal !== undefined && map.minLocal < opts.minLocal)
        failures.push(`minLocal ${map.minLocal.toFixed(6)} is below --min-local ${opts.minLocal}`);
      const m = map.minLocation;
      if (opts.json) {
        const out = {
          reference,
          test,
          score: map.score,
          minLocal: map.minLocal,
          minLocation: m,
          grid: {
            rows: map.grid.rows,
            cols: map.grid.cols,
            values: map.grid.values.map((r) => r.map((v) => Math.round(v * 1e6) / 1e6)),
          },
          windows: {
            size: map.windows.size,
            step: map.windows.step,
            radius: map.windows.radius,
            tops: map.windows.tops,
            lefts: map.windows.lefts,
          },
          variant: metric.variant,
          backbone: metric.backboneName,
          ...(opts.minScore !== undefined || opts.minLocal !== undefined ? { pass: failures.length === 0 } : {}),
        };
        io.stdout.write(`${JSON.stringify(out)}\n`);
      } else {
        io.stdout.write(
          `score ${map.score.toFixed(6)}  minLocal ${map.minLocal.toFixed(6)} at x=${m.x} y=${m.y} ${m.width}×${m.height}\n`,
        );
      }
      if (failures.length > 0) {
        io.stderr.write(`${failures.join('; ')}\n`);
        ctx.exitCode = EXIT_BELOW_THRESHOLD;
      }
    } finally {
      progress.stop();
      await metric?.dispose();
    }
  });
}
