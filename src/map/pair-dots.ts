/**
 * The local map's dot products as a small ONNX graph, run by the same runtime as the backbone: gather the blocks of
 * cells, one batched matrix product, square. Optimised BLAS makes this a few per cent of a backbone pass, where the
 * same products in JavaScript cost more than the network (measured: bench/local-map.ts).
 */
import { GraphBuilder } from '../onnx/builder.js';
import type { PairDots } from './local-map.js';

/** Inputs a [Na, C], b [Nb, C] (float32), ia [B, M], ib [B, N] (int64); output `sq` [B, M, N] = (a_ia · b_ib)². */
export function buildPairDotsGraph(): Uint8Array {
  const g = new GraphBuilder('deepssim_local_pair_dots');
  const a = g.input('a', 'float32', ['Na', 'C']);
  const b = g.input('b', 'float32', ['Nb', 'C']);
  const ia = g.input('ia', 'int64', ['B', 'M']);
  const ib = g.input('ib', 'int64', ['B', 'N']);
  const ga = g.op('Gather', [a, ia], { axis: 0 });
  const gb = g.op('Gather', [b, ib], { axis: 0 });
  const dots = g.op('MatMul', [ga, g.op('Transpose', [gb], { perm: [0, 2, 1] })]);
  g.op('Mul', [dots, dots], {}, 'sq');
  g.output('sq', 'float32', ['B', 'M', 'N']);
  return g.build();
}

/** What a runtime must offer to run a graph with these inputs (the Node layer wraps ONNX Runtime). */
export interface GraphRunner {
  run(
    feeds: Record<string, { type: 'float32' | 'int64'; data: Float32Array | BigInt64Array; dims: readonly number[] }>,
  ): Promise<Record<string, Float32Array>>;
}

/** PairDots on a runner of `buildPairDotsGraph()`. */
export function runnerPairDots(runner: GraphRunner): PairDots {
  return async (a, b, c, ia, ib, blocks, m, n) => {
    const out = await runner.run({
      a: { type: 'float32', data: a, dims: [a.length / c, c] },
      b: { type: 'float32', data: b, dims: [b.length / c, c] },
      ia: { type: 'int64', data: BigInt64Array.from(ia, (v) => BigInt(v)), dims: [blocks, m] },
      ib: { type: 'int64', data: BigInt64Array.from(ib, (v) => BigInt(v)), dims: [blocks, n] },
    });
    return out.sq;
  };
}
