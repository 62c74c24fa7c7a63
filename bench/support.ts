/** Small helpers shared by the benchmark scripts (they print tables; they are not tests). */
import { spawnSync } from 'node:child_process';
import type { RawImage } from '../src/image/types.js';
import { ROOT } from '../test/support/paths.js';

/** Deterministic 8-bit RGB noise (an LCG): speed does not depend on image content. */
export function noise(width: number, height: number, seed: number): RawImage {
  const data = new Uint8Array(width * height * 3);
  let s = seed;
  for (let i = 0; i < data.length; i++) data[i] = (s = (Math.imul(s, 1103515245) + 12345) >>> 0) >>> 24;
  return { data, width, height, channels: 3 };
}

/**
 * Time `run` `repeats` times after one warm-up run; the times in ms. Self-contained (uses nothing from its module)
 * so that bench/web.ts can ship its source into a page and time the browser the same way.
 */
export async function timeRuns(run: () => Promise<unknown>, repeats: number): Promise<number[]> {
  await run();
  const times: number[] = [];
  for (let k = 0; k < repeats; k++) {
    const t0 = performance.now();
    await run();
    times.push(performance.now() - t0);
  }
  return times;
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Print a Markdown table (readable in a terminal, pasteable into the README). */
export function printTable(header: readonly string[], rows: readonly (readonly string[])[]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: readonly string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  console.log(line(header));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const r of rows) console.log(line(r));
}

/**
 * A deterministic synthetic texture (waves plus hashed noise) for the memory and tiling benches: content does not
 * change time or memory, and every feature cell sees structure.
 */
export function texture(width: number, height: number, seed: number): RawImage {
  const data = new Uint8Array(width * height * 3);
  let i = 0;
  for (let y = 0; y < height; y++) {
    const wy = Math.sin(y * 0.021 + seed);
    for (let x = 0; x < width; x++) {
      const wx = Math.cos(x * 0.017 * seed);
      const h = Math.imul((x * 73856093) ^ (y * 19349663) ^ seed, 0x9e3779b1) >>> 25;
      data[i++] = 96 + 60 * wx + (h & 31);
      data[i++] = 96 + 60 * wy + ((h >> 1) & 31);
      data[i++] = 96 + 30 * (wx + wy) + ((h >> 2) & 31);
    }
  }
  return { data, width, height, channels: 3 };
}

/** A `tile` argument as the benches pass it to their children: `auto` (default tiling), `none` or pixels. */
export function parseTile(arg: string): number | false | undefined {
  return arg === 'auto' ? undefined : arg === 'none' ? false : Number(arg);
}

/** What a measuring child reports: the pair's score, the time of `score()` and the process's peak RSS. */
export interface ChildRun {
  ms: number;
  full: number;
  rssMB: number;
}

/** In a child process: time one scoring, dispose, and print the run for `runChild` (one JSON line). */
export async function reportRun(score: () => Promise<number>, dispose: () => Promise<void>): Promise<void> {
  const t0 = performance.now();
  const full = await score();
  const ms = performance.now() - t0;
  await dispose();
  const run: ChildRun = { ms, full, rssMB: process.resourceUsage().maxRSS / 1024 };
  process.stdout.write(JSON.stringify(run) + '\n');
}

/**
 * Run `script --child spec` in a fresh Node process, so its peak RSS (getrusage maxrss) is its own, and return the
 * run it reported.
 */
export function runChild(script: string, spec: string): ChildRun {
  const r = spawnSync(process.execPath, ['--import', 'tsx', script, '--child', spec], {
    encoding: 'utf8',
    cwd: ROOT,
    maxBuffer: 1 << 20,
  });
  if (r.status !== 0) throw new Error(`child ${spec} failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as ChildRun;
}
