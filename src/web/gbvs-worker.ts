/// <reference lib="dom" />
/**
 * Web Worker entry: GBVS saliency masks off the page's thread (see gbvs-runner.ts). Bundled to dist/web/gbvs-worker.js.
 * Replies with the binary mask the metric uses (saliencyToMask of the GBVS map), 0/1 per pixel.
 */
import { gbvs, saliencyToMask } from '../saliency/gbvs.js';

interface Request {
  id: number;
  data: Uint8Array;
  width: number;
  height: number;
  threshold: number;
}

// The DOM and WebWorker libs cannot be loaded together: the worker scope is typed by what it uses.
const scope = globalThis as unknown as {
  onmessage: ((event: MessageEvent<Request>) => void) | null;
  postMessage(message: unknown, transfer?: Transferable[]): void;
};
scope.onmessage = (event: MessageEvent<Request>) => {
  const req = event.data;
  try {
    const mask = saliencyToMask(gbvs({ data: req.data, width: req.width, height: req.height }), req.threshold);
    scope.postMessage({ id: req.id, mask }, [mask.buffer as ArrayBuffer]);
  } catch (err) {
    scope.postMessage({ id: req.id, error: (err as Error).message });
  }
};
