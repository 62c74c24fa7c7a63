/**
 * The local map's dot products as a small ONNX graph, run by the same runtime as the backbone: gather the blocks of
 * cells from the channel-major feature maps, batched matrix products, square. Optimised BLAS makes this a few per
 * cent of a backbone pass, where the same products in JavaScript cost several times more (measured while designing
 * it: ~13 ms in the graph vs ~170 ms in a tight JavaScript loop for a 640×480 image's cross products).
 *
 * The three product sets the map needs (reference × test, reference × reference, test × test) are three branches of
 * one graph, so they come back from a single run: at small image sizes the runtime's per-run cost was a large part
 * of the map's (three runs of 5–20 ms each for ~100 M multiply-adds in all).
 */
import { GraphBuilder } from '../onnx/builder.js';
import type { PairDots, PairRequest } from './local-map.js';

/** The branches: [left map, right map] of each product set, in the order of PairDots' requests. */
const BRANCHES: readonly (readonly ['a' | 'b', 'a' | 'b'])[] = [
  ['a', 'b'],
  ['a', 'a'],
  ['b', 'b'],
];

/**
 * Inputs a [C, Na], b [C, Nb] (float32, channel-major as the backbone returns them) and, per branch k of
 * (a×b, a×a, b×b), `ia{k}` [B, M], `ib{k}` [B, N] (int64 cell indices of the left and right map); output `sq{k}`
 * [B, N, M] = (left_ia · right_ib)². Only the small side (the M cells of each block) is transposed; the N gathered
 * right cells are already in the layout the product reads.
 */
export function buildPairDotsGraph(): Uint8Array {
  const g = new GraphBuilder('deepssim_local_pair_dots');
  const maps = { a: g.input('a', 'float32', ['C', 'Na']), b: g.input('b', 'float32', ['C', 'Nb']) };
  // [C, N] → [N, C], once per map, shared by the branches.
  const cellMajor = {
    a: g.op('Transpose', [maps.a], { perm: [1, 0] }),
    b: g.op('Transpose', [maps.b], { perm: [1, 0] }),
  };
  BRANCHES.forEach(([left, right], k) => {
    const ia = g.input(`ia${k}`, 'int64', [`B${k}`, `M${k}`]);
    const ib = g.input(`ib${k}`, 'int64', [`B${k}`, `N${k}`]);
    // [C, B, M] → [B, C, M]
    const ga = g.op('Transpose', [g.op('Gather', [maps[left], ia], { axis: 1 })], { perm: [1, 0, 2] });
    // [N, C] → [B, N, C]
    const gb = g.op('Gather', [cellMajor[right], ib], { axis: 0 });
    const dots = g.op('MatMul', [gb, ga]);
    g.op('Mul', [dots, dots], {}, `sq${k}`);
    g.output(`sq${k}`, 'float32', [`B${k}`, `N${k}`, `M${k}`]);
  });
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
/** Index arrays are reused across calls (the map caches them per grid shape): so are their int64 copies. */
const int64Copies = new WeakMap<Int32Array, BigInt64Array>();
function toInt64(v: Int32Array): BigInt64Array {
  const cached = int64Copies.get(v);
  if (cached) return cached;
  const out = new BigInt64Array(v.length);
  if (!LITTLE_ENDIAN) {
    for (let i = 0; i < v.length; i++) out[i] = BigInt(v[i]);
  } else {
    const words = new Int32Array(out.buffer);
    for (let i = 0; i < v.length; i++) words[2 * i] = v[i];
  }
  int64Copies.set(v, out);
  return out;
}

/** PairDots on a runner of `buildPairDotsGraph()`: one run for the three requests. */
export function runnerPairDots(runner: GraphRunner): PairDots {
  return async (a, b, c, requests) => {
    const feeds: Parameters<GraphRunner['run']>[0] = {
      a: { type: 'float32', data: a, dims: [c, a.length / c] },
      b: { type: 'float32', data: b, dims: [c, b.length / c] },
    };
    requests.forEach((r: PairRequest, k) => {
      feeds[`ia${k}`] = { type: 'int64', data: toInt64(r.ia), dims: [r.blocks, r.m] };
      feeds[`ib${k}`] = { type: 'int64', data: toInt64(r.ib), dims: [r.blocks, r.n] };
    });
    const out = await runner.run(feeds);
    return [out.sq0, out.sq1, out.sq2];
  };
}
