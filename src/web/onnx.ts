/// <reference lib="dom" />
/**
 * ONNX Runtime in a browser (onnxruntime-web): the WebGPU execution provider when `navigator.gpu` gives a hardware
 * adapter, WebAssembly (SIMD; multi-threaded when the page is cross-origin isolated) otherwise.
 */
import * as ort from 'onnxruntime-web';
import { UsageError } from '../errors.js';
import type { OnnxRuntime } from '../platform.js';
import { checkOneOf } from '../validate.js';

/** What a caller may ask for: `auto` picks WebGPU when a hardware adapter is offered, WebAssembly otherwise. */
export type ExecutionProviderRequest = 'auto' | 'webgpu' | 'wasm';
/** The execution provider a metric runs on. */
export type ExecutionProvider = 'webgpu' | 'wasm';

export const EXECUTION_PROVIDERS: readonly ExecutionProviderRequest[] = ['auto', 'webgpu', 'wasm'];

/** What the browser's WebGPU offered (for reports and tests). */
export interface WebGpuProbe {
  available: boolean;
  /** Adapter facts when available (vendor, architecture, whether it is a software fallback). */
  vendor?: string;
  architecture?: string;
  fallback?: boolean;
  reason?: string;
}

interface GpuAdapterLike {
  info?: { vendor?: string; architecture?: string; isFallbackAdapter?: boolean };
  isFallbackAdapter?: boolean;
}

/** Ask `navigator.gpu` for an adapter (without keeping it). */
export async function probeWebGpu(): Promise<WebGpuProbe> {
  const gpu = (globalThis.navigator as { gpu?: { requestAdapter(): Promise<GpuAdapterLike | null> } } | undefined)?.gpu;
  if (!gpu) return { available: false, reason: 'navigator.gpu is absent' };
  let adapter: GpuAdapterLike | null;
  try {
    adapter = await gpu.requestAdapter();
  } catch (err) {
    return { available: false, reason: `requestAdapter failed: ${(err as Error).message}` };
  }
  if (!adapter) return { available: false, reason: 'requestAdapter returned no adapter' };
  const info = adapter.info ?? {};
  return {
    available: true,
    vendor: info.vendor,
    architecture: info.architecture,
    fallback: Boolean(info.isFallbackAdapter ?? adapter.isFallbackAdapter),
  };
}

/**
 * The provider to use. `auto` takes WebGPU only for a hardware adapter: a fallback adapter (a software rasteriser
 * such as SwiftShader, which headless Chromium offers) is slower than WebAssembly (bench/results/web.md).
 */
export async function chooseExecutionProvider(request: ExecutionProviderRequest = 'auto'): Promise<ExecutionProvider> {
  checkOneOf('executionProvider', request, EXECUTION_PROVIDERS);
  if (request === 'wasm') return 'wasm';
  const probe = await probeWebGpu();
  if (request === 'webgpu') {
    if (!probe.available) {
      throw new UsageError(`executionProvider 'webgpu' was requested but WebGPU is unavailable (${probe.reason})`, {
        code: 'UNSUPPORTED',
        option: 'executionProvider',
      });
    }
    return 'webgpu';
  }
  return probe.available && !probe.fallback ? 'webgpu' : 'wasm';
}

/** Threads WebAssembly can use here: several only when the page is cross-origin isolated (SharedArrayBuffer). */
export function defaultWebThreads(): number {
  const isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;
  const cores = globalThis.navigator?.hardwareConcurrency ?? 1;
  return isolated ? Math.max(1, Math.min(cores, 16)) : 1;
}

export interface WasmSettings {
  /** Where ONNX Runtime's .wasm files are served (URL prefix ending in `/`, or per-file URLs). */
  wasmPaths?: string | Record<string, string>;
  /** WebAssembly threads (applies to the first session created in this page or worker; ONNX Runtime initialises once). */
  threads: number;
}

let initialisedThreads: number | undefined;

/** Configure onnxruntime-web's WebAssembly backend (before its first session). Returns the threads in effect. */
export function configureWasm(settings: WasmSettings): number {
  if (settings.wasmPaths !== undefined) ort.env.wasm.wasmPaths = settings.wasmPaths;
  if (initialisedThreads === undefined) {
    const isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;
    initialisedThreads = isolated ? settings.threads : 1;
    ort.env.wasm.numThreads = initialisedThreads;
  }
  return initialisedThreads;
}

/** The OnnxRuntime flavour of the web platform, bound to one execution provider. */
export function webOnnx(provider: ExecutionProvider): OnnxRuntime {
  return {
    createSession: (model: Uint8Array) =>
      ort.InferenceSession.create(model, {
        executionProviders: [provider],
        graphOptimizationLevel: 'all',
        executionMode: 'sequential',
      }),
    tensor: (type: 'float32' | 'int64', data: Float32Array | BigInt64Array, dims: readonly number[]) =>
      new ort.Tensor(type, data as never, dims),
  } as OnnxRuntime;
}
