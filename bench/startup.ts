/**
 * Startup cost of the CLI: `deepssim --version` and which heavy packages each start loads.
 *
 *   npx tsx bench/startup.ts [runs=9]        (after `npm run build`) → prints a table, writes bench/results/startup.md
 *
 * "eager" reproduces the earlier layout, where every command imported the plotting stack (vega, vega-lite, resvg)
 * and the spreadsheet reader at start: the same CLI, with those four packages imported first. "lazy" is the CLI as
 * it is: they load only inside the commands that plot or read CSIQ's xlsx. A module-resolution hook counts which
 * heavy packages were actually loaded by each start.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const CLI = pathToFileURL(join(ROOT, 'dist', 'cli', 'main.js')).href;
const runs = Number(process.argv[2] ?? 9);

function time(args: string[]): { ms: number } {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, args, { encoding: 'utf8' });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`${args.join(' ')}: exit ${r.status}: ${r.stderr}`);
  return { ms };
}

const EAGER_PRELUDE =
  "await Promise.all([import('vega'), import('vega-lite'), import('@resvg/resvg-js'), import('read-excel-file/universal')]);";
const eager = [
  '--input-type=module',
  '-e',
  `${EAGER_PRELUDE} process.argv = [process.argv[0], 'deepssim', '--version']; await import(${JSON.stringify(CLI)});`,
];
const lazy = [fileURLToPath(CLI), '--version'];
// Which heavy packages does the lazy start load? Import the CLI in a child with a module-resolution hook (a file in
// the temp folder, registered with node:module's register) that reports every heavy package it resolves.
const hookFile = join(mkdtempSync(join(tmpdir(), 'deepssim-startup-')), 'hook.mjs');
writeFileSync(
  hookFile,
  `let port;
export function initialize(data) { port = data.port; }
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  const m = /node_modules\\/(vega[^/]*|d3-[^/]*|@resvg|read-excel-file)\\//.exec(r.url);
  if (m) port.postMessage(m[1]);
  return r;
}
`,
);
const countScript = (prelude: string) => `import { register } from 'node:module';
import { MessageChannel } from 'node:worker_threads';
const { port1, port2 } = new MessageChannel();
const seen = new Set();
port1.on('message', (m) => seen.add(m));
register(${JSON.stringify(pathToFileURL(hookFile).href)}, { data: { port: port2 }, transferList: [port2] });
${prelude}
process.argv = [process.argv[0], 'deepssim', '--version'];
const write = process.stdout.write.bind(process.stdout);
process.stdout.write = () => true;
await import(${JSON.stringify(CLI)});
await new Promise((r) => setTimeout(r, 100));
process.stdout.write = write;
port1.close();
console.log(JSON.stringify([...seen].sort()));`;
function heavyLoaded(prelude: string): string {
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', countScript(prelude)], { encoding: 'utf8' });
  if (r.status !== 0) return `(count failed: ${r.stderr.trim().split('\n')[0]})`;
  const names: string[] = JSON.parse(r.stdout.trim().split('\n').pop() ?? '[]');
  const d3 = names.filter((n) => n.startsWith('d3-')).length;
  const rest = names.filter((n) => !n.startsWith('d3-'));
  return names.length ? `${rest.join(', ')}${d3 ? ` + ${d3} d3 packages` : ''}` : 'none';
}
const eagerHeavy = heavyLoaded(EAGER_PRELUDE);
const lazyHeavy = heavyLoaded('');
rmSync(dirname(hookFile), { recursive: true, force: true });

const samples = { eager: [] as number[], lazy: [] as number[] };
time(lazy); // warm the file cache
for (let i = 0; i < runs; i++) {
  samples.eager.push(time(eager).ms);
  samples.lazy.push(time(lazy).ms);
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ratios = samples.eager.map((e, i) => e / samples.lazy[i]);
const lines = [
  `# CLI startup: \`deepssim --version\` (median of ${runs}, interleaved runs; Node ${process.version})`,
  '',
  '| start | median ms | heavy packages loaded |',
  '|---|---|---|',
  `| eager (plotting stack and xlsx reader imported at start, the earlier layout) | ${median(samples.eager).toFixed(0)} | ${eagerHeavy} |`,
  `| lazy (current CLI) | ${median(samples.lazy).toFixed(0)} | ${lazyHeavy} |`,
  '',
  `Ratio eager/lazy per interleaved pair: median ${median(ratios).toFixed(2)}× (min ${Math.min(...ratios).toFixed(2)}, max ${Math.max(...ratios).toFixed(2)}).`,
  '',
];
console.log(lines.join('\n'));
writeFileSync(join(ROOT, 'bench', 'results', 'startup.md'), lines.join('\n'));
