/**
 * A metric graph that also returns its cropped feature map, so one network pass per image gives both the Gram
 * matrix (global score) and the per-cell features (local map).
 *
 * Every backbone's graph ends in the shared feature head (src/backbones/common.ts): the cropped features are the
 * input of the Reshape to [N, C, h·w] whose shape constant is `flat_shape`. This adds a graph output `features`
 * ([N, C, h, w], float32) as an Identity of that value; nothing else in the graph changes, so the Gram output is
 * bit-identical to the plain graph's.
 * TODO(arch): switch to the emitter's own `features` output option once it is on main.
 */
import onnxProto from 'onnx-proto';
import { ComputeError } from '../errors.js';

const { onnx } = onnxProto;

export const FEATURES_OUTPUT = 'features';

export function withFeaturesOutput(model: Uint8Array): Uint8Array {
  const m = onnx.ModelProto.decode(model);
  const graph = m.graph;
  if (!graph) throw new ComputeError('metric graph has no graph body', { code: 'BACKEND_FAILED' });
  graph.output ??= [];
  graph.node ??= [];
  if (graph.output.some((o) => o.name === FEATURES_OUTPUT)) return model;
  const reshape = graph.node.find((n) => n.opType === 'Reshape' && n.input?.[1] === 'flat_shape');
  if (!reshape?.input) throw new ComputeError('metric graph has no feature head (Reshape by flat_shape)', { code: 'BACKEND_FAILED' });
  graph.node.push(onnx.NodeProto.create({ opType: 'Identity', input: [reshape.input[0]], output: [FEATURES_OUTPUT], name: 'features_out' }));
  graph.output.push(
    onnx.ValueInfoProto.create({
      name: FEATURES_OUTPUT,
      type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: { dim: [{ dimParam: 'N' }, { dimParam: 'C' }, { dimParam: 'h' }, { dimParam: 'w' }] } } },
    }),
  );
  return onnx.ModelProto.encode(m).finish();
}
