/**
 * ONNX Runtime for Node (onnxruntime-node, CPU). The only module of the project that imports onnxruntime-node.
 */
import { availableParallelism } from 'node:os';
import * as ort from 'onnxruntime-node';
import type { OnnxRuntime } from '../platform.js';

/** The ONNX Runtime settings every session of the project uses (metric, loss, benchmarks). */
export function cpuSessionOptions(
  threads: number = availableParallelism(),
  spin = true,
): ort.InferenceSession.SessionOptions {
  return {
    executionProviders: ['cpu'],
    graphOptimizationLevel: 'all',
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    // Without the arena, freed activations go back to the OS, so peak RSS follows the largest live set
    // (measured: 4K tiled 1.3 GB → 0.82 GB), not the arena's power-of-two growth across tile shapes.
    enableCpuMemArena: false,
    enableMemPattern: true,
    // Idle intra-op threads block instead of busy-waiting (SessionRequest.spin).
    ...(spin ? {} : { extra: { session: { intra_op: { allow_spinning: '0' } } } }),
  };
}

export const nodeOnnx: OnnxRuntime = {
  createSession: (model, request) =>
    ort.InferenceSession.create(model, cpuSessionOptions(request.threads, request.spin)),
  tensor: (type: 'float32' | 'int64', data: Float32Array | BigInt64Array, dims: readonly number[]) =>
    new ort.Tensor(type, data as never, dims),
} as OnnxRuntime;
