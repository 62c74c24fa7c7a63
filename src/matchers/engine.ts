/**
 * The matchers' engine, hosted on a worker thread (engine-worker.ts): one per test-worker process, loaded once.
 *
 * Why a thread and not the runner's own thread: Jest runs test code (and every module it imports, node_modules
 * included) inside a vm context with its own globals, so typed arrays made by ONNX Runtime, sharp or Node's fs are of
 * another realm than the code checking them (`instanceof Float32Array` / `BigInt64Array` fail inside
 * onnxruntime-common). Sanitising every typed array at every boundary would have to reach into onnxruntime's own
 * checks; a worker thread is one clean realm for all of it, and keeps the runner's thread free while the network runs.
 * Only copies cross: images go as transferred Uint8Array copies (or paths), results come back as plain numbers.
 *
 * One engine per process: Jest re-evaluates modules for every test file, so the worker is kept in a registry every
 * realm of the process shares (a property, under a `Symbol.for` key, on Node's own `worker_threads` module object, which
 * Jest and Vitest hand to each test file unchanged). The worker is unref'd whenever no request is pending, so it never
 * keeps a runner's process alive (no open handle); it ends with the process, or on `disposeDeepSSIM()`.
 */
import workerThreads, { type Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { ComputeError, DataError, DeepSSIMError, ImageError, LimitError, UsageError, WeightsError } from '../errors.js';
import type { ErrorCode, ErrorOptions } from '../errors.js';
import type { CompareReply, EngineReply, EngineRequest, WireConfig, WireImage } from './engine-protocol.js';
import { startSiblingWorker } from '../node/module-worker.js';

type Callback = (reply: EngineReply) => void;

/** What every realm of the process shares. Kept minimal: the worker, and callbacks keyed by request id. */
interface Shared {
  worker: Worker;
  pending: Map<number, Callback>;
  next: number;
}

const KEY = Symbol.for('deepssim.matchers.engine');
const registry = workerThreads as unknown as { [KEY]?: Shared };

function start(): Shared {
  const worker = startSiblingWorker('engine-worker', import.meta.url);
  const shared: Shared = { worker, pending: new Map(), next: 0 };
  worker.unref();
  const failAll = (message: string) => {
    if (registry[KEY] === shared) delete registry[KEY];
    const callbacks = [...shared.pending.values()];
    shared.pending.clear();
    for (const cb of callbacks) cb({ id: -1, type: 'error', name: 'ComputeError', message, code: 'BACKEND_FAILED' });
  };
  worker.on('message', (reply: EngineReply) => {
    const cb = shared.pending.get(reply.id);
    if (!cb) return;
    shared.pending.delete(reply.id);
    if (shared.pending.size === 0) worker.unref();
    cb(reply);
  });
  worker.on('error', (err: Error) => failAll(`the deepssim matcher engine failed: ${err.message}`));
  worker.on('exit', (code) => failAll(`the deepssim matcher engine stopped (exit code ${code})`));
  return shared;
}

const ERROR_CLASSES: Record<string, new (message: string, options?: ErrorOptions) => DeepSSIMError> = {
  UsageError,
  ImageError,
  WeightsError,
  DataError,
  LimitError,
  ComputeError,
};

/** Errors come back as plain data; rebuild them as this realm's DeepSSIMError subclasses. */
function toError(reply: Extract<EngineReply, { type: 'error' }>): Error {
  const Cls = ERROR_CLASSES[reply.name];
  if (!Cls) return new ComputeError(`the deepssim matcher engine failed: ${reply.message}`, { code: 'BACKEND_FAILED' });
  return new Cls(reply.message, { ...(reply.details ?? {}), code: reply.code as ErrorCode | undefined });
}

type Request = EngineRequest extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never;

function call<T extends EngineReply['type']>(
  request: Request,
  transfer: ArrayBuffer[] = [],
): Promise<Extract<EngineReply, { type: T }>> {
  const shared = (registry[KEY] ??= start());
  const id = shared.next++;
  return new Promise((resolve, reject) => {
    shared.pending.set(id, (reply) => {
      if (reply.type === 'error') reject(toError(reply));
      else resolve(reply as Extract<EngineReply, { type: T }>);
    });
    shared.worker.ref(); // busy: keep the process alive until the answer arrives
    shared.worker.postMessage({ ...request, id }, transfer);
  });
}

// ---- realm-independent input handling (Jest's vm context has its own Uint8Array, URL, …) ----

const tag = (x: unknown) => Object.prototype.toString.call(x);
const isBytes = (x: unknown): x is Uint8Array =>
  ArrayBuffer.isView(x) && (tag(x) === '[object Uint8Array]' || tag(x) === '[object Uint8ClampedArray]');

function copyBytes(x: Uint8Array): Uint8Array {
  const copy = new Uint8Array(x.byteLength);
  copy.set(new Uint8Array(x.buffer, x.byteOffset, x.byteLength));
  return copy;
}

/** The wire form of an image input (a path, or a copy of the bytes / pixels) and the buffers to transfer. */
export function toWire(input: unknown, what: string): { image: WireImage; transfer: ArrayBuffer[] } {
  if (typeof input === 'string') return { image: { kind: 'path', path: input }, transfer: [] };
  if (tag(input) === '[object URL]') {
    const href = (input as URL).href;
    try {
      return { image: { kind: 'path', path: fileURLToPath(href) }, transfer: [] };
    } catch {
      throw new UsageError(`the ${what} URL must be a file: URL, got ${href.slice(0, 200)}`, {
        code: 'INVALID_OPTION',
      });
    }
  }
  if (isBytes(input)) {
    const bytes = copyBytes(input);
    return { image: { kind: 'bytes', bytes }, transfer: [bytes.buffer as ArrayBuffer] };
  }
  const raw = input as { data?: unknown; width?: unknown; height?: unknown; channels?: unknown } | null;
  if (raw && typeof raw === 'object' && isBytes(raw.data)) {
    const data = copyBytes(raw.data);
    return {
      image: {
        kind: 'raw',
        data,
        width: raw.width as number,
        height: raw.height as number,
        channels: raw.channels as 1 | 2 | 3 | 4,
      },
      transfer: [data.buffer as ArrayBuffer],
    };
  }
  throw new UsageError(
    `the ${what} must be a file path, a file: URL, encoded image bytes (Buffer/Uint8Array) or raw pixels ` +
      `{ data, width, height, channels }, got ${input === null ? 'null' : typeof input}`,
    { code: 'INVALID_OPTION' },
  );
}

/** Compare `received` with `reference` in the worker; on failure it writes the three-panel image to `diffPath`. */
export function compareInEngine(
  config: WireConfig,
  reference: unknown,
  received: unknown,
  thresholds: { minScore: number; minLocal: number },
  diffPath: string | undefined,
): Promise<CompareReply> {
  const ref = toWire(reference, 'reference');
  const rec = toWire(received, 'received image');
  return call<'compare'>(
    { type: 'compare', config, reference: ref.image, received: rec.image, ...thresholds, diffPath },
    [...ref.transfer, ...rec.transfer],
  );
}

/** Decode `image` in the worker and write it as an 8-bit RGB PNG (a snapshot). */
export function writePngInEngine(image: unknown, path: string): Promise<{ width: number; height: number }> {
  const w = toWire(image, 'received image');
  return call<'write'>({ type: 'write', image: w.image, path }, w.transfer);
}

/** Load the network now (otherwise the first comparison does). */
export async function loadEngine(config: WireConfig): Promise<void> {
  await call<'load'>({ type: 'load', config });
}

/** Release the engine: dispose the metric and stop the worker. The next assertion starts a new one. */
export async function disposeEngine(): Promise<void> {
  const shared = registry[KEY];
  if (!shared) return;
  try {
    await call<'dispose'>({ type: 'dispose' });
  } finally {
    if (registry[KEY] === shared) delete registry[KEY];
    await shared.worker.terminate();
  }
}
