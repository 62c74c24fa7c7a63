/**
 * Mutation fuzzer over every reader of untrusted input (fuzz/readers.ts). Seeds are genuine small files of each
 * format (the repository's fixtures, or files built here with the project's own writers); each input is one seed
 * put through 1–8 seeded mutations (bit flips, interesting integers at random offsets — including where sizes and
 * offsets live —, byte runs, chunk deletion/duplication/insertion, truncation, splicing two seeds). Inputs run in a
 * watched child process (fuzz/harness.ts: time cap, heap cap, RSS watchdog) and are classified
 * accepted / clean / defect / crash / hang / memory.
 *
 *   npm run fuzz                      # ≥ 10,000 inputs per reader, writes bench/results/fuzz.md
 *   npx tsx fuzz/fuzz.ts --per-reader 200 --seed 7 --readers weights,mat5
 *
 * Inputs whose outcome is not accepted/clean are saved to fuzz/findings/ for reproduction.
 */
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { seededRandom } from '../src/eval/statistics.js';
import { readZipDirectory, readZipEntry } from '../src/util/zip.js';
import { encodeSafetensors } from '../src/weights/safetensors.js';
import { writeXlsx } from '../test/fixtures/eval/write-xlsx.js';
import { OUTCOMES, runJobs, type Outcome, type Result } from './harness.js';
import { READERS } from './readers.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const FIX = (...p: string[]): string => join(ROOT, 'test', 'fixtures', ...p);

/** How an input reaches its reader: a file, or the table file inside a dataset folder built from a template. */
interface Target {
  /** Reader name in READERS. */
  readonly reader: string;
  readonly seeds: readonly Uint8Array[];
  /** File name the input is written to (inside a fresh template folder when `template` is set). */
  readonly file: string;
  /** Files of the dataset/model folder the input lives in; the reader then gets the folder. */
  readonly template?: Readonly<Record<string, Uint8Array | string>>;
}

const bytesOf = (p: string): Uint8Array => new Uint8Array(readFileSync(p));
const text = (s: string): Uint8Array => new TextEncoder().encode(s);

function zipEntry(p: string, suffix: string): Uint8Array {
  const bytes = bytesOf(p);
  const e = readZipDirectory(bytes).find((x) => x.name.endsWith(suffix))!;
  return readZipEntry(bytes, e, e.size).slice();
}

function xlsxBytes(rows: Array<Array<string | number | null>>): Uint8Array {
  const dir = mkdtempSync(join(tmpdir(), 'deepssim-fuzz-xlsx-'));
  try {
    writeXlsx(join(dir, 'x.xlsx'), 'all_by_image', rows);
    return bytesOf(join(dir, 'x.xlsx'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function npy(values: number[]): Uint8Array {
  const header = `{'descr': '<f8', 'fortran_order': False, 'shape': (${values.length},), }`;
  const pad = 64 - ((10 + header.length + 1) % 64);
  const h = text(header + ' '.repeat(pad) + '\n');
  const out = new Uint8Array(10 + h.length + 8 * values.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0], 0);
  new DataView(out.buffer).setUint16(8, h.length, true);
  out.set(h, 10);
  new Float64Array(out.buffer, 10 + h.length, values.length).set(values);
  return out;
}

export function targets(): Target[] {
  const st = encodeSafetensors(
    new Map([
      ['a.weight', { shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, 6]) }],
      ['a.bias', { shape: [2], data: Float32Array.from([0.5, -0.5]) }],
    ]),
    { note: 'seed' },
  );
  const tfModel = (shard: string) =>
    JSON.stringify({
      format: 'layers-model',
      modelTopology: {
        class_name: 'Sequential',
        config: { name: 's', layers: [{ class_name: 'Dense', config: { name: 'd', units: 2 } }] },
      },
      weightsManifest: [
        {
          paths: [shard],
          weights: [
            { name: 'd/kernel', shape: [2, 2], dtype: 'float32' },
            { name: 'd/bias', shape: [2], dtype: 'float32', quantization: { dtype: 'uint8', scale: 0.5, min: -1 } },
          ],
        },
      ],
    });
  const decode = readdirSync(FIX('decode'));
  const bmps = decode.filter((f) => f.endsWith('.bmp')).map((f) => bytesOf(FIX('decode', f)));
  const images = decode.filter((f) => /\.(png|jpg|gif|tif|webp)$/.test(f)).map((f) => bytesOf(FIX('decode', f)));
  const csiqRows = [
    ['CSIQ DMOS'],
    ['image', 'dst_idx', 'dst_type', 'dst_lev', 'dmos_std', 'dmos'],
    [1600, 1, 'noise', 1, 0.01, 0.06],
    ['1600', 2, 'jpeg 2000', 2, 0.02, 0.12],
  ];
  return [
    {
      reader: 'pickle',
      file: 'x.pkl',
      seeds: [
        zipEntry(FIX('weights', 'tiny-zip.pth'), '/data.pkl'),
        zipEntry(FIX('weights', 'counter-zip.pth'), '/data.pkl'),
        bytesOf(FIX('weights', 'evil.pkl')),
      ],
    },
    {
      reader: 'weights',
      file: 'x.pth',
      seeds: [
        bytesOf(FIX('weights', 'tiny-zip.pth')),
        bytesOf(FIX('weights', 'tiny-legacy.pth')),
        bytesOf(FIX('weights', 'old-style-legacy.pth')),
      ],
    },
    { reader: 'weights', file: 'x.safetensors', seeds: [st] },
    {
      reader: 'tfjs-dir',
      file: 'model.json',
      seeds: [text(tfModel('shard1'))],
      template: { shard1: concat(new Uint8Array(new Float32Array([1, 2, 3, 4]).buffer), Uint8Array.from([10, 20])) },
    },
    { reader: 'bmp', file: 'x.bmp', seeds: bmps },
    { reader: 'image', file: 'x.img', seeds: images },
    {
      reader: 'mat5',
      file: 'x.mat',
      seeds: [
        bytesOf(FIX('eval', 'mat-types.mat')),
        bytesOf(FIX('eval', 'live-mini', 'refnames_all.mat')),
        bytesOf(FIX('eval', 'live-mini', 'dmos_realigned.mat')),
      ],
    },
    {
      reader: 'manifest',
      file: 'manifest.csv',
      seeds: [
        text('reference,distorted,score,type\na.png,b.png,0.5,jpeg\n"c d.png",e.png,1e-3,\n'),
        text('a.png,b.png,3\n# comment\nx.png,y.png,4,blur\n'),
      ],
    },
    {
      reader: 'pairs',
      file: 'pairs.csv',
      seeds: [
        text('reference,test,label\na.png,b.png,x\n"c,d.png",e.png,"q""uote"\n'),
        text('reference;distorted\na.png;b.png\n'),
      ],
    },
    { reader: 'npy', file: 'x.npy', seeds: [npy([0.25, 0.5, 1]), npy([])] },
    {
      reader: 'kadid-dir',
      file: 'dmos.csv',
      seeds: [text('dist_img,ref_img,dmos,var\nI01_01_01.png,I01.png,4.57,0.496\nI01_01_02.png,I01.png,4.33,0.869\n')],
      template: { 'images/I01.png': '', 'images/I01_01_01.png': '', 'images/I01_01_02.png': '' },
    },
    {
      reader: 'tid-dir',
      file: 'mos_with_names.txt',
      seeds: [text('5.51429 i01_01_1.bmp\n5.56757 i01_01_2.bmp\n')],
      template: {
        'reference_images/I01.BMP': '',
        'distorted_images/i01_01_1.bmp': '',
        'distorted_images/i01_01_2.bmp': '',
      },
    },
    {
      reader: 'csiq-dir',
      file: 'csiq.DMOS.xlsx',
      seeds: [xlsxBytes(csiqRows)],
      template: {
        'src_imgs/1600.png': '',
        'dst_imgs/awgn/1600.AWGN.1.png': '',
        'dst_imgs/jpeg2000/1600.jpeg2000.2.png': '',
      },
    },
  ];
}

// ---- mutations ----------------------------------------------------------------------------------------------------
const INTERESTING32 = [
  0, 1, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xffffffff, 0xfffffffe,
];
const INTERESTING64 = [0n, 1n, 2n ** 31n, 2n ** 32n, 2n ** 40n, 2n ** 53n, 2n ** 60n, 2n ** 63n, 2n ** 64n - 1n];

export function mutate(seed: Uint8Array, seeds: readonly Uint8Array[], rnd: () => number): Uint8Array {
  const int = (n: number): number => Math.floor(rnd() * n);
  let b: Uint8Array = seed.slice();
  const rounds = 1 + int(8);
  for (let r = 0; r < rounds; r++) {
    const n = b.length;
    const at = n === 0 ? 0 : int(n);
    switch (int(11)) {
      case 0: // bit flip
        if (n) b[at] ^= 1 << int(8);
        break;
      case 1: // random byte
        if (n) b[at] = int(256);
        break;
      case 2: {
        // interesting 32-bit value, either endianness
        if (n >= 4) {
          const v = INTERESTING32[int(INTERESTING32.length)];
          new DataView(b.buffer, b.byteOffset).setUint32(Math.min(at, n - 4), v, rnd() < 0.8);
        }
        break;
      }
      case 3: {
        // interesting 64-bit value
        if (n >= 8)
          new DataView(b.buffer, b.byteOffset).setBigUint64(
            Math.min(at, n - 8),
            INTERESTING64[int(INTERESTING64.length)],
            true,
          );
        break;
      }
      case 4: // interesting 16-bit value / small arithmetic
        if (n >= 2)
          new DataView(b.buffer, b.byteOffset).setUint16(
            Math.min(at, n - 2),
            [0, 1, 0xff, 0x7fff, 0xffff][int(5)],
            true,
          );
        break;
      case 5: {
        // delete a chunk
        const len = 1 + int(Math.max(1, Math.min(256, n - at)));
        b = concat(b.subarray(0, at), b.subarray(Math.min(n, at + len)));
        break;
      }
      case 6: {
        // duplicate a chunk (repetition: nesting, many entries)
        const len = 1 + int(Math.min(64, Math.max(1, n - at)));
        const chunk = b.subarray(at, Math.min(n, at + len));
        const times = 1 + int(rnd() < 0.1 ? 2000 : 8);
        const parts: Uint8Array[] = [b.subarray(0, at)];
        for (let i = 0; i < times; i++) parts.push(chunk);
        parts.push(b.subarray(at));
        b = concat(...parts);
        break;
      }
      case 7: {
        // insert random bytes
        const len = 1 + int(16);
        const ins = Uint8Array.from({ length: len }, () => int(256));
        b = concat(b.subarray(0, at), ins, b.subarray(at));
        break;
      }
      case 8: // truncate
        b = b.subarray(0, at).slice();
        break;
      case 9: {
        // splice with another seed
        const other = seeds[int(seeds.length)];
        const cut = int(other.length + 1);
        b = concat(b.subarray(0, at), other.subarray(cut));
        break;
      }
      case 10: {
        // overwrite a run with one byte value
        const len = 1 + int(32);
        if (n) b.fill([0, 0xff, 0x20, 0x5b, 0x7b, 0x28][int(6)], at, Math.min(n, at + len));
        break;
      }
    }
  }
  return b;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

// ---- running ------------------------------------------------------------------------------------------------------
export interface ReaderSummary {
  readonly name: string;
  readonly inputs: number;
  readonly counts: Readonly<Record<Outcome, number>>;
  readonly maxMs: number;
  readonly maxRssMb: number;
  readonly failures: readonly Result[];
}

/** Inputs slower than this are saved to the findings folder too (they are not failures). */
const SLOW_MS = 2000;

export interface FuzzOptions {
  readonly perReader: number;
  readonly seed: number;
  readonly readers?: readonly string[];
  readonly timeoutMs?: number;
  readonly rssLimitMb?: number;
  readonly heapMb?: number;
  /** Save the inputs of failures here. */
  readonly findingsDir?: string;
  readonly log?: (line: string) => void;
}

/** Fuzz every target (or those whose reader is in `readers`) through one watched child (replaced when it dies). */
export async function runFuzz(options: FuzzOptions): Promise<ReaderSummary[]> {
  // The random stream of a target depends only on the seed and the target's place in targets(), so a run restricted
  // with `readers` reproduces the same inputs as the full run.
  const all = targets()
    .map((t, ti) => ({ t, ti }))
    .filter(({ t }) => !options.readers || options.readers.includes(t.reader));
  const works: string[] = [];
  try {
    const plan = all.map(({ t, ti }) => {
      if (!READERS[t.reader]) throw new Error(`no reader ${t.reader}`);
      const work = mkdtempSync(join(tmpdir(), `deepssim-fuzz-${t.reader}-`));
      works.push(work);
      for (const [f, content] of Object.entries(t.template ?? {})) {
        mkdirSync(dirname(join(work, f)), { recursive: true });
        writeFileSync(join(work, f), content);
      }
      return {
        t,
        name: `${t.reader}${t.reader === 'weights' ? ` (${t.file.split('.').pop()})` : ''}`,
        rnd: seededRandom((options.seed * 7919 + ti * 104729) >>> 0),
        target: join(work, t.file),
        path: t.template ? work : join(work, t.file),
        counts: Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as Record<Outcome, number>,
        maxMs: 0,
        maxRssMb: 0,
        failures: [] as Result[],
      };
    });
    const jobs = plan.flatMap((p, pi) =>
      Array.from({ length: options.perReader }, (_, k) => ({
        id: pi * options.perReader + k,
        reader: p.t.reader,
        path: p.path,
      })),
    );
    let current: Uint8Array | undefined;
    // Each input is written just before its job runs (runJobs is sequential): once before the first job, then in
    // onResult of the previous one.
    const prepare = (i: number): void => {
      if (i >= jobs.length) return;
      const p = plan[Math.floor(i / options.perReader)];
      const seed = p.t.seeds[Math.floor(p.rnd() * p.t.seeds.length)];
      current = p.rnd() < 0.03 ? seed : mutate(seed, p.t.seeds, p.rnd);
      writeFileSync(p.target, current);
    };
    prepare(0);
    await runJobs(jobs, {
      timeoutMs: options.timeoutMs ?? 20_000,
      rssLimitMb: options.rssLimitMb ?? 1536,
      heapMb: options.heapMb ?? 1536,
      onResult: (r) => {
        const pi = Math.floor(r.job.id / options.perReader);
        const k = r.job.id % options.perReader;
        const p = plan[pi];
        p.counts[r.outcome]++;
        p.maxMs = Math.max(p.maxMs, r.ms);
        p.maxRssMb = Math.max(p.maxRssMb, r.peakRssMb);
        if (r.ms > SLOW_MS && options.findingsDir && current) {
          mkdirSync(options.findingsDir, { recursive: true });
          writeFileSync(
            join(options.findingsDir, `slow-${Math.round(r.ms)}ms-${p.t.reader}-${p.t.file}-${options.seed}-${k}.bin`),
            current,
          );
          options.log?.(`  ${p.name} #${k}: slow (${Math.round(r.ms)} ms, ${r.outcome})`);
        }
        if (r.outcome !== 'accepted' && r.outcome !== 'clean') {
          p.failures.push(r);
          if (options.findingsDir && current) {
            mkdirSync(options.findingsDir, { recursive: true });
            writeFileSync(join(options.findingsDir, `${p.t.reader}-${p.t.file}-${options.seed}-${k}.bin`), current);
          }
          options.log?.(`  ${p.name} #${k}: ${r.outcome} ${r.code ?? ''} ${(r.message ?? '').slice(0, 200)}`);
        }
        if ((k + 1) % 1000 === 0) options.log?.(`  ${p.name}: ${k + 1}/${options.perReader}`);
        if (k + 1 === options.perReader) options.log?.(formatRow({ ...p, inputs: options.perReader }));
        prepare(r.job.id + 1);
      },
    });
    return plan.map((p) => ({
      name: p.name,
      inputs: options.perReader,
      counts: p.counts,
      maxMs: p.maxMs,
      maxRssMb: p.maxRssMb,
      failures: p.failures,
    }));
  } finally {
    for (const w of works) rmSync(w, { recursive: true, force: true });
  }
}

function formatRow(s: ReaderSummary): string {
  return `| ${s.name} | ${s.inputs} | ${OUTCOMES.map((o) => s.counts[o]).join(' | ')} | ${s.maxMs.toFixed(0)} | ${s.maxRssMb.toFixed(0)} |`;
}

export function formatTable(summaries: readonly ReaderSummary[]): string {
  const head = `| reader | inputs | ${OUTCOMES.join(' | ')} | max ms | max RSS MB |`;
  const sep = `|${'---|'.repeat(OUTCOMES.length + 4)}`;
  const total = {
    name: '**total**',
    inputs: 0,
    counts: Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as Record<Outcome, number>,
    maxMs: 0,
    maxRssMb: 0,
    failures: [],
  };
  for (const s of summaries) {
    total.inputs += s.inputs;
    for (const o of OUTCOMES) total.counts[o] += s.counts[o];
    total.maxMs = Math.max(total.maxMs, s.maxMs);
    total.maxRssMb = Math.max(total.maxRssMb, s.maxRssMb);
  }
  return [head, sep, ...summaries.map(formatRow), formatRow(total)].join('\n');
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const opt = (name: string): string | undefined => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const perReader = Number(opt('per-reader') ?? 10_000);
  const seed = Number(opt('seed') ?? 1);
  const readers = opt('readers')?.split(',');
  const write = args.includes('--write');
  const t0 = Date.now();
  const summaries = await runFuzz({
    perReader,
    seed,
    readers,
    findingsDir: join(ROOT, 'fuzz', 'findings'),
    log: (l) => console.log(l),
  });
  const table = formatTable(summaries);
  const minutes = (Date.now() - t0) / 60_000;
  console.log(`\n${table}\n\n${minutes.toFixed(1)} min`);
  if (write) {
    const out = join(ROOT, 'bench', 'results', 'fuzz.md');
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(
      out,
      `# Fuzzing: last full run\n\n` +
        `\`npm run fuzz\` (fuzz/fuzz.ts): ${perReader} mutated inputs per reader, seed ${seed}, each in a watched child process ` +
        `(time cap 20 s per input, V8 heap cap 1536 MB, RSS watchdog 1536 MB). Outcomes: accepted (read without error), ` +
        `clean (refused with a DeepSSIMError), defect (any other exception, or one only the last-resort wrapper caught), ` +
        `crash, hang, memory. ${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${minutes.toFixed(0)} min on a shared 2-core machine (nice 19).\n\n` +
        `${table}\n`,
    );
    console.log(`wrote ${out}`);
  }
  const bad = summaries.reduce((s, r) => s + r.failures.length, 0);
  process.exitCode = bad > 0 ? 1 : 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();
