/** Worker-thread entry: computes GBVS maps for the main thread (see gbvs-thread.ts). */
import { parentPort } from 'node:worker_threads';
import { gbvs } from '../saliency/gbvs.js';

interface Request {
  id: number;
  data: Uint8Array;
  width: number;
  height: number;
}

parentPort!.on('message', (req: Request) => {
  try {
    const map = gbvs({ data: req.data, width: req.width, height: req.height });
    parentPort!.postMessage({ id: req.id, map }, [map.data.buffer as ArrayBuffer]);
  } catch (err) {
    parentPort!.postMessage({ id: req.id, error: (err as Error).message });
  }
});
