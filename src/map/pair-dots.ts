/**
 * The local map's dot products as a small ONNX graph, run by the same runtime as the backbone: gather the blocks of
 * cells from the channel-major feature maps, one batched matrix product, square. Optimised BLAS makes this a few per
 * cent of a backbone pass, where the same products in JavaScript cost several times more (measured while designing
 * it: ~13 ms in the graph vs ~170 ms in a tight JavaScript loop for a 640×480 image's cross products).
 */
import { GraphBuilder } from '../onnx/builder.js';
import type { PairDots } from './local-map.js';

/**
 * Inputs a [C, Na], b [C, Nb] (float32, channel-major as the backbone returns them), ia [B, M], ib [B, N] (int64
 * cell indices); output `sq` [B, N, M] = (a_ia · b_ib)². Only the small side (the M reference cells of each block)
 * is transposed; the N gathered test cells are already in the layout the product reads.
 */
export function buildPairDotsGraph(): Uint8Array {
  const g = new GraphBuilder('deepssim_local_pair_dots');
  const a = g.input('a', 'float32', ['C', 'Na']);
  const b = g.input('b', 'float32', ['C', 'Nb']);
  const ia = g.input('ia', 'int64', ['B', 'M']);
  const ib = g.input('ib', 'int64', ['B', 'N']);
  // [C, B, M] → [B, C, M]
  const ga = g.op('Transpose', [g.op('Gather', [a, ia], { axis: 1 })], { perm: [1, 0, 2] });
  // [Nb, C] → [B, N, C]
  const gb = g.op('Gather', [g.op('Transpose', [b], { perm: [1, 0] }), ib], { axis: 0 });
  const dots = g.op('MatMul', [gb, ga]);
  g.op('Mul', [dots, dots], {}, 'sq');
  g.output('sq', 'float32', ['B', 'N', 'M']);
  return g.build();
}

/** What a runtime must offer to run a graph with these inputs (the Node layer wraps ONNX Runtime). */
export interface GraphRunner {
  run(
    feeds: Record<string, { type: 'float32' | 'int64'; data: Float32Array | BigInt64Array; dims: readonly number[] }>,
  ): Promise<Record<string, Float32Array>>;
}

/** Non-negative int32 indices as int64, written as (low, high) words: BigInt per element costs more than the product. */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
function toInt64(v: Int32Array): BigInt64Array {
  const out = new BigInt64Array(v.length);
  if (!LITTLE_ENDIAN) {
    for (let i = 0; i < v.length; i++) out[i] = BigInt(v[i]);
    return out;
  }
  const words = new Int32Array(out.buffer);
  for (let i = 0; i < v.length; i++) words[2 * i] = v[i];
  return out;
}

/** PairDots on a runner of `buildPairDotsGraph()`. */
export function runnerPairDots(runner: GraphRunner): PairDots {
  return async (a, b, c, ia, ib, blocks, m, n) => {
    const out = await runner.run({
      a: { type: 'float32', data: a, dims: [c, a.length / c] },
      b: { type: 'float32', data: b, dims: [c, b.length / c] },
      ia: { type: 'int64', data: toInt64(ia), dims: [blocks, m] },
      ib: { type: 'int64', data: toInt64(ib), dims: [blocks, n] },
    });
    return out.sq;
  };
}
