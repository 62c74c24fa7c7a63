/// <reference lib="dom" />
/**
 * GBVS on Web Workers, so a saliency-calibrated score never blocks the page with the map computation (the Node
 * platform computes one map of a pair inline; a page must not). One worker per map in flight (two for a pair),
 * started on first use and kept for the metric's lifetime.
 */
import { ComputeError } from '../errors.js';
import type { RGBImage } from '../image/types.js';

type Pending = { resolve: (m: Uint8Array) => void; reject: (e: Error) => void };

class GbvsWorker {
  private readonly worker: Worker;
  private next = 0;
  readonly pending = new Map<number, Pending>();

  constructor(url: URL) {
    this.worker = new Worker(url, { type: 'module', name: 'deepssim-gbvs' });
    this.worker.onmessage = (event: MessageEvent<{ id: number; mask?: Uint8Array; error?: string }>) => {
      const msg = event.data;
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      if (msg.mask) p.resolve(msg.mask);
      else p.reject(new ComputeError(`saliency: ${msg.error}`, { code: 'BACKEND_FAILED' }));
    };
    this.worker.onerror = (event: ErrorEvent) => {
      event.preventDefault();
      for (const p of this.pending.values())
        p.reject(
          new ComputeError(`saliency worker failed: ${event.message || 'cannot start'}`, { code: 'BACKEND_FAILED' }),
        );
      this.pending.clear();
    };
  }

  mask(img: RGBImage, threshold: number): Promise<Uint8Array> {
    const id = this.next++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, data: img.data, width: img.width, height: img.height, threshold });
    });
  }

  terminate(): void {
    this.worker.terminate();
    for (const p of this.pending.values())
      p.reject(new ComputeError('saliency worker terminated', { code: 'BACKEND_FAILED' }));
    this.pending.clear();
  }
}

/** The worker script beside the bundle (dist/web/gbvs-worker.js). */
export function defaultGbvsWorkerUrl(): URL {
  return new URL('./gbvs-worker.js', import.meta.url);
}

/** GBVS masks on Web Workers (both images of a pair in parallel). */
export class WebGbvsRunner {
  private readonly workers: GbvsWorker[] = [];

  constructor(
    private readonly url: URL = defaultGbvsWorkerUrl(),
    private readonly maxWorkers = 2,
  ) {}

  /** The binary saliency mask (0/1 per pixel) of an image, computed on a worker. */
  mask(img: RGBImage, threshold: number): Promise<Uint8Array> {
    // The least busy worker; a new one while fewer than maxWorkers exist and all are busy.
    let best = this.workers.reduce<GbvsWorker | undefined>(
      (a, w) => (a && a.pending.size <= w.pending.size ? a : w),
      undefined,
    );
    if ((!best || best.pending.size > 0) && this.workers.length < this.maxWorkers) {
      best = new GbvsWorker(this.url);
      this.workers.push(best);
    }
    return best!.mask(img, threshold);
  }

  async terminate(): Promise<void> {
    for (const w of this.workers.splice(0)) w.terminate();
  }
}
