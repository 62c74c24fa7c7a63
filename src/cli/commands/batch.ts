import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { scorePairs, type PairInput } from '../../batch.js';
import { createDeepSSIM } from '../../deepssim.js';
import { DeepSSIMError, UsageError } from '../../errors.js';
import { writeFileAtomic } from '../../util/atomic-write.js';
import { createProgress } from '../../util/progress.js';
import { addMetricOptions, metricOptions, type MetricCliOptions } from '../options.js';

interface BatchCliOptions extends MetricCliOptions {
  out?: string;
  format?: 'csv' | 'jsonl';
  progress?: boolean;
  profile?: boolean;
}

type Row = Record<string, string> & PairInput;

/** Read a pairs CSV: header with `reference,test` (other columns passed through). */
export async function readPairsCsv(file: string): Promise<Row[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new DeepSSIMError(`cannot read pairs file ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  }
  let rows: Record<string, string>[];
  try {
    rows = parse(text, { columns: true, skip_empty_lines: true, trim: true, bom: true });
  } catch (err) {
    throw new DeepSSIMError(`cannot parse pairs file ${file}: ${(err as Error).message}`);
  }
  if (rows.length === 0) throw new UsageError(`pairs file ${file} has no rows (expected a header with reference,test and one row per pair)`);
  const cols = Object.keys(rows[0]);
  for (const need of ['reference', 'test']) {
    if (!cols.includes(need)) throw new UsageError(`pairs file ${file} has no '${need}' column (columns: ${cols.join(', ')})`);
  }
  rows.forEach((r, i) => {
    if (!r.reference || !r.test) throw new UsageError(`pairs file ${file}, row ${i + 2}: empty reference or test`);
  });
  return rows.map((r) => ({
    ...r,
    referenceSaliency: r.reference_saliency || undefined,
    testSaliency: r.test_saliency || undefined,
  })) as Row[];
}

export function registerBatchCommand(program: Command): void {
  const cmd = program
    .command('batch')
    .description('score many pairs from a CSV (columns reference,test; others passed through); each reference is computed once')
    .argument('<pairs.csv>', 'CSV with a header; paths are relative to the CSV file; optional reference_saliency,test_saliency columns')
    .option('-o, --out <file>', 'write results here (atomically) instead of stdout')
    .option('--format <fmt>', 'csv or jsonl (default: from --out extension, else csv)')
    .option('--no-progress', 'no progress bar even on a terminal')
    .option('--profile', 'print throughput and the share of time inside/outside inference on stderr');
  addMetricOptions(cmd).action(async (file: string, opts: BatchCliOptions) => {
    const format = opts.format ?? (opts.out?.endsWith('.jsonl') || opts.out?.endsWith('.json') ? 'jsonl' : 'csv');
    if (format !== 'csv' && format !== 'jsonl') throw new UsageError(`--format must be csv or jsonl, got '${format}'`);
    const rows = await readPairsCsv(file);
    const started = performance.now();
    const metric = await createDeepSSIM(metricOptions(opts));
    const progress = opts.progress === false ? { tick() {}, stop() {} } : createProgress(rows.length, 'scoring');
    const results: Record<string, string | number | null>[] = [];
    let failed = 0;
    let stats: ReturnType<typeof metric.stats>;
    try {
      for await (const r of scorePairs(metric, rows, { baseDir: dirname(resolve(file)) })) {
        const { referenceSaliency: _a, testSaliency: _b, ...columns } = r.pair;
        results.push({ ...columns, score: r.score ?? null, variant: metric.variant, backbone: metric.backboneName, error: r.error ?? '' });
        if (r.error) {
          failed++;
          process.stderr.write(`\nrow ${r.index + 2}: ${r.error}\n`);
        }
        progress.tick();
      }
    } finally {
      progress.stop();
      stats = metric.stats();
      await metric.dispose();
    }
    const text =
      format === 'csv'
        ? stringify(results, { header: true, cast: { number: (v) => String(v) } })
        : results.map((r) => JSON.stringify(r)).join('\n') + '\n';
    if (opts.out) await writeFileAtomic(opts.out, text);
    else process.stdout.write(text);
    if (opts.profile) {
      const wall = performance.now() - started;
      const { runs, inferenceMs } = stats;
      const share = (ms: number) => `${((100 * ms) / wall).toFixed(1)} %`;
      process.stderr.write(
        `profile: ${rows.length} pairs in ${(wall / 1000).toFixed(2)} s (${((1000 * rows.length) / wall).toFixed(2)} pairs/s), ` +
          `${runs} network runs; inference ${(inferenceMs / 1000).toFixed(2)} s (${share(inferenceMs)}), ` +
          `outside inference ${((wall - inferenceMs) / 1000).toFixed(2)} s (${share(wall - inferenceMs)})\n`,
      );
    }
    if (failed > 0) {
      process.stderr.write(`${failed} of ${rows.length} pairs failed (see the error column)\n`);
      process.exitCode = 1;
    }
  });
}
