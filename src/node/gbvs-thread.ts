/**
 * GBVS on a worker thread. A calibrated pair needs two maps; computing one here while the main thread computes
 * the other halves the time saliency adds to a score on a multi-core machine.
 */
import type { Worker } from 'node:worker_threads';
import { ComputeError } from '../errors.js';
import { startSiblingWorker } from './module-worker.js';
import type { RGBImage } from '../image/types.js';
import type { SaliencyRunner } from '../platform.js';
import type { SaliencyMap } from '../saliency/types.js';

export class GbvsThread implements SaliencyRunner {
  private worker?: Worker;
  private next = 0;
  private readonly pending = new Map<number, { resolve: (m: SaliencyMap) => void; reject: (e: Error) => void }>();

  private start(): Worker {
    const worker = startSiblingWorker('gbvs-worker', import.meta.url);
    worker.unref(); // never keeps the process alive
    worker.on('message', (msg: { id: number; map?: SaliencyMap; error?: string }) => {
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      if (msg.map) p.resolve(msg.map);
      else p.reject(new ComputeError(`saliency: ${msg.error}`, { code: 'BACKEND_FAILED' }));
    });
    worker.on('error', (err) => {
      for (const p of this.pending.values())
        p.reject(new ComputeError(`saliency worker failed: ${err.message}`, { code: 'BACKEND_FAILED', cause: err }));
      this.pending.clear();
      this.worker = undefined;
    });
    return worker;
  }

  compute(img: RGBImage): Promise<SaliencyMap> {
    this.worker ??= this.start();
    const id = this.next++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      // Structured clone copies the pixels; the caller keeps its image.
      this.worker!.postMessage({ id, data: img.data, width: img.width, height: img.height });
    });
  }

  async terminate(): Promise<void> {
    const w = this.worker;
    this.worker = undefined;
    if (w) await w.terminate();
  }
}
