/**
 * Fuzzing/hostile-test worker: receives jobs `{ id, reader, path }` over IPC, runs each reader, and answers
 * `{ id, outcome, code, message, ms }`. Outcomes: `accepted` (no error), `clean` (a DeepSSIMError), `defect` (any
 * other exception, or a DeepSSIMError that only the last-resort wrapper produced). Crashes, hangs and memory are
 * judged by the parent (fuzz/harness.ts), which watches this process.
 */
import { DeepSSIMError } from '../src/errors.js';
import { READERS } from './readers.js';

export interface Job {
  id: number;
  reader: string;
  path: string;
}
export interface Answer {
  id: number;
  outcome: 'accepted' | 'clean' | 'defect';
  code?: string;
  message?: string;
  ms: number;
  rss: number;
}

process.on('message', (job: Job) => {
  void (async () => {
    const t0 = performance.now();
    let answer: Omit<Answer, 'ms' | 'rss'>;
    try {
      const reader = READERS[job.reader];
      if (!reader) throw new Error(`unknown reader ${job.reader}`);
      await reader(job.path);
      answer = { id: job.id, outcome: 'accepted' };
    } catch (e) {
      if (e instanceof DeepSSIMError && !e.details.internal)
        answer = { id: job.id, outcome: 'clean', code: e.code, message: e.message };
      else
        answer = {
          id: job.id,
          outcome: 'defect',
          code: e instanceof DeepSSIMError ? e.code : undefined,
          message: e instanceof Error ? `${e.name}: ${e.message}`.slice(0, 500) : String(e).slice(0, 500),
        };
    }
    process.send!({ ...answer, ms: performance.now() - t0, rss: process.memoryUsage.rss() });
  })();
});
process.send!({ ready: true });
