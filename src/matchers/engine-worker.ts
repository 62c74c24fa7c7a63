/**
 * Worker-thread entry of the matchers' engine (see engine.ts): decodes images, runs the local map, writes snapshot
 * PNGs and three-panel diff images, all in this thread's own, clean realm. Test runners (Jest's vm contexts above
 * all) never see an ONNX Runtime tensor, a sharp Buffer or a typed array of another realm: what comes back is plain
 * numbers and arrays.
 */
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { parentPort } from 'node:worker_threads';
import type { DeepSSIM } from '../deepssim.js';
import { DeepSSIMError } from '../errors.js';
import type { ImageInput, RGBImage } from '../image/types.js';
import { renderSideBySide } from '../map/index.js';
import { writeFileAtomic } from '../node/atomic-write.js';
import { decodeImage, encodePng } from '../node/decode.js';
import { createDeepSSIM } from '../node/index.js';
import type { EngineReply, EngineRequest, WireImage } from './engine-protocol.js';

let metric: { key: string; value: Promise<DeepSSIM> } | undefined;
/** Metrics created in this worker (the engine is loaded once: this stays 1 while the configuration is unchanged). */
let loads = 0;

function getMetric(cfg: { backbone: string; weights?: string; threads?: number }): Promise<DeepSSIM> {
  const key = JSON.stringify([cfg.backbone, cfg.weights, cfg.threads]);
  if (metric?.key !== key) {
    const old = metric;
    loads++;
    metric = {
      key,
      value: createDeepSSIM({ backbone: cfg.backbone, weights: cfg.weights, threads: cfg.threads, variant: 'full' }),
    };
    // A failed load is not cached: the next assertion tries again (and reports the error again).
    const mine = metric;
    mine.value.catch(() => {
      if (metric === mine) metric = undefined;
    });
    void old?.value.then((m) => m.dispose()).catch(() => undefined);
  }
  return metric.value;
}

function input(w: WireImage): ImageInput {
  if (w.kind === 'path') return w.path;
  if (w.kind === 'bytes') return w.bytes;
  return { data: w.data, width: w.width, height: w.height, channels: w.channels };
}

async function writePng(path: string, img: RGBImage): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFileAtomic(path, await encodePng(img));
}

async function handle(req: EngineRequest): Promise<EngineReply> {
  switch (req.type) {
    case 'compare': {
      const [m, ref, rec] = await Promise.all([
        getMetric(req.config),
        decodeImage(input(req.reference)),
        decodeImage(input(req.received)),
      ]);
      const raw = (img: RGBImage) => ({ data: img.data, width: img.width, height: img.height, channels: 3 as const });
      const map = await m.map(raw(ref), raw(rec));
      const pass = map.score >= req.minScore && map.minLocal >= req.minLocal;
      if (!pass && req.diffPath) await writePng(req.diffPath, renderSideBySide(ref, rec, map));
      return {
        id: req.id,
        type: 'compare',
        score: map.score,
        minLocal: map.minLocal,
        minLocation: { ...map.minLocation },
        grid: { rows: map.grid.rows, cols: map.grid.cols, values: map.grid.values.map((row) => [...row]) },
        reference: { ...map.reference },
        test: { ...map.test },
        pass,
        diffWritten: !pass && req.diffPath !== undefined,
        loads,
      };
    }
    case 'write': {
      const img = await decodeImage(input(req.image));
      await writePng(req.path, img);
      return { id: req.id, type: 'write', width: img.width, height: img.height };
    }
    case 'load': {
      await getMetric(req.config);
      return { id: req.id, type: 'load' };
    }
    case 'dispose': {
      const m = metric;
      metric = undefined;
      if (m) await (await m.value).dispose();
      return { id: req.id, type: 'dispose' };
    }
  }
}

parentPort!.on('message', (req: EngineRequest) => {
  handle(req).then(
    (reply) => parentPort!.postMessage(reply),
    (err: unknown) => {
      const e = err instanceof Error ? err : new Error(String(err));
      parentPort!.postMessage({
        id: req.id,
        type: 'error',
        name: e.name,
        message: e.message,
        code: e instanceof DeepSSIMError ? e.code : undefined,
        details: e instanceof DeepSSIMError ? JSON.parse(JSON.stringify(e.details)) : undefined,
      } satisfies EngineReply);
    },
  );
});
