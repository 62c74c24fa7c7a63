/**
 * Runs reader jobs in a child process (fuzz/child.ts) under a time cap per input, a V8 heap cap
 * (--max-old-space-size) and an RSS watchdog (the child's resident memory is sampled from /proc while each input
 * runs). Every input gets one outcome:
 *   accepted — read without error;          clean  — refused with a DeepSSIMError (the expected result for junk);
 *   defect   — any other exception;         crash  — the child died (signal, abort, uncaught error);
 *   hang     — no answer within the time cap; memory — RSS over the cap, or V8 heap exhaustion.
 * After a crash, hang or memory outcome the child is replaced and the remaining jobs continue.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Answer, Job } from './child.js';

export type Outcome = 'accepted' | 'clean' | 'defect' | 'crash' | 'hang' | 'memory';
export const OUTCOMES: readonly Outcome[] = ['accepted', 'clean', 'defect', 'crash', 'hang', 'memory'];

export interface Result {
  readonly job: Job;
  readonly outcome: Outcome;
  readonly code?: string;
  readonly message?: string;
  /** Milliseconds the input took (cap for hangs). */
  readonly ms: number;
  /** Highest RSS of the child seen while the input ran (MB). */
  readonly peakRssMb: number;
}

export interface HarnessOptions {
  /** Per-input time cap (ms). */
  readonly timeoutMs: number;
  /** RSS cap of the child (MB). */
  readonly rssLimitMb: number;
  /** V8 old-space cap of the child (MB). */
  readonly heapMb: number;
  /** Called after each input. */
  readonly onResult?: (r: Result) => void;
}

const CHILD = join(dirname(fileURLToPath(import.meta.url)), 'child.ts');

function rssMb(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

class Worker {
  readonly child: ChildProcess;
  stderr = '';
  private readonly ready: Promise<void>;
  private pending?: { resolve: (a: Answer | { exit: string }) => void };
  constructor(heapMb: number) {
    this.child = fork(CHILD, [], {
      execArgv: ['--import', 'tsx', `--max-old-space-size=${heapMb}`],
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    this.child.stderr!.on('data', (d: Buffer) => {
      if (this.stderr.length < 20_000) this.stderr += d.toString();
    });
    this.ready = new Promise((resolve, reject) => {
      this.child.once('message', () => resolve());
      this.child.once('exit', (code, signal) =>
        reject(new Error(`fuzz child exited during start (${code ?? signal}): ${this.stderr.slice(0, 2000)}`)),
      );
    });
    this.child.on('message', (m: Answer | { ready: true }) => {
      if ('id' in m && this.pending) {
        const p = this.pending;
        this.pending = undefined;
        p.resolve(m);
      }
    });
    this.child.on('exit', (code, signal) => {
      if (this.pending) {
        const p = this.pending;
        this.pending = undefined;
        p.resolve({ exit: `${signal ?? `exit code ${code}`}` });
      }
    });
  }
  async run(job: Job, opts: HarnessOptions): Promise<Result> {
    await this.ready;
    const t0 = performance.now();
    let peak = rssMb(this.child.pid);
    let verdict: Outcome | undefined;
    const answer = await new Promise<Answer | { exit: string }>((resolve) => {
      this.pending = { resolve };
      const poll = setInterval(() => {
        const r = rssMb(this.child.pid);
        peak = Math.max(peak, r);
        if (r > opts.rssLimitMb && !verdict) {
          verdict = 'memory';
          this.child.kill('SIGKILL');
        }
      }, 25);
      const timer = setTimeout(() => {
        if (!verdict) {
          verdict = 'hang';
          this.child.kill('SIGKILL');
        }
      }, opts.timeoutMs);
      const done = this.pending.resolve;
      this.pending.resolve = (a) => {
        clearInterval(poll);
        clearTimeout(timer);
        done(a);
      };
      this.child.send(job);
    });
    const ms = performance.now() - t0;
    if ('exit' in answer) {
      const oom = /heap out of memory|Allocation failed|invalid array length|Reached heap limit/i.test(this.stderr);
      const outcome: Outcome = verdict ?? (oom ? 'memory' : 'crash');
      return {
        job,
        outcome,
        message: verdict
          ? `killed (${verdict})`
          : `${answer.exit}: ${this.stderr.split('\n').find((l) => l.trim()) ?? ''}`.slice(0, 500),
        ms,
        peakRssMb: peak,
      };
    }
    peak = Math.max(peak, answer.rss / 2 ** 20);
    return { job, outcome: answer.outcome, code: answer.code, message: answer.message, ms, peakRssMb: peak };
  }
  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }
  stop(): void {
    if (this.alive) this.child.kill('SIGKILL');
  }
}

/** Run `jobs` in order through a watched child process (replaced whenever it dies). */
export async function runJobs(jobs: readonly Job[], opts: HarnessOptions): Promise<Result[]> {
  const results: Result[] = [];
  let worker: Worker | undefined;
  try {
    for (const job of jobs) {
      if (!worker || !worker.alive) {
        worker?.stop();
        worker = new Worker(opts.heapMb);
      }
      const r = await worker.run(job, opts);
      results.push(r);
      opts.onResult?.(r);
      if (r.outcome === 'crash' || r.outcome === 'hang' || r.outcome === 'memory') {
        worker.stop();
        worker = undefined;
      }
    }
  } finally {
    worker?.stop();
  }
  return results;
}
