/**
 * Start a worker thread on a module that sits beside the caller (`<name>.js` once built, `<name>.ts` under tsx in
 * this repository's tests and benchmarks). Shared by the GBVS worker and the matchers' engine.
 */
import { Worker } from 'node:worker_threads';

export function startSiblingWorker(name: string, callerUrl: string): Worker {
  const ext = callerUrl.endsWith('.ts') ? 'ts' : 'js';
  const url = new URL(`./${name}.${ext}`, callerUrl).href;
  return ext === 'js'
    ? new Worker(new URL(url))
    : // A TypeScript worker must register tsx's loader in its own thread before importing the entry.
      new Worker(`import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(url)}); });`, {
        eval: true,
      });
}
