/**
 * A small typed builder for ONNX models, so backbones are described in TypeScript and serialised at load time
 * (no .onnx files are shipped: the graph is built from whatever weights file the user has).
 * Only what the project's graphs need is covered; protobuf encoding is delegated to `onnx-proto`.
 */
import onnxProto from 'onnx-proto';
import type { onnx as O } from 'onnx-proto';

const { onnx } = onnxProto;

export const OPSET = 17;

export type ElemType = 'float32' | 'int64' | 'bool';
const ELEM: Record<ElemType, number> = {
  float32: onnx.TensorProto.DataType.FLOAT,
  int64: onnx.TensorProto.DataType.INT64,
  bool: onnx.TensorProto.DataType.BOOL,
};

/** Attribute values: plain numbers and number arrays are INT(S); wrap floats with `float()`/`floats()`. */
export type AttrValue = number | number[] | string | FloatAttr | FloatsAttr;
interface FloatAttr {
  readonly kind: 'float';
  readonly value: number;
}
interface FloatsAttr {
  readonly kind: 'floats';
  readonly value: number[];
}
export const float = (value: number): FloatAttr => ({ kind: 'float', value });
export const floats = (value: number[]): FloatsAttr => ({ kind: 'floats', value });

/** A dimension is fixed (number) or symbolic (string, e.g. 'H'). */
export type Dim = number | string;

function attribute(name: string, v: AttrValue): O.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if (typeof v === 'number') {
    if (!Number.isInteger(v)) throw new Error(`attribute ${name}: ${v} is not an integer (wrap floats with float())`);
    return { name, type: T.INT, i: v };
  }
  if (typeof v === 'string') return { name, type: T.STRING, s: new TextEncoder().encode(v) };
  if (Array.isArray(v)) return { name, type: T.INTS, ints: v };
  if (v.kind === 'float') return { name, type: T.FLOAT, f: v.value };
  return { name, type: T.FLOATS, floats: v.value };
}

function valueInfo(name: string, elem: ElemType, dims: readonly Dim[] | undefined): O.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: ELEM[elem],
        shape: dims ? { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } : undefined,
      },
    },
  };
}

export class GraphBuilder {
  private readonly nodes: O.INodeProto[] = [];
  private readonly inits: O.ITensorProto[] = [];
  private readonly inputs: O.IValueInfoProto[] = [];
  private readonly outputs: O.IValueInfoProto[] = [];
  private counter = 0;

  constructor(private readonly graphName: string) {}

  /** A fresh, unique value name with a readable prefix. */
  fresh(prefix: string): string {
    return `${prefix}__${this.counter++}`;
  }

  input(name: string, elem: ElemType, dims: readonly Dim[]): string {
    this.inputs.push(valueInfo(name, elem, dims));
    return name;
  }

  output(name: string, elem: ElemType, dims?: readonly Dim[]): string {
    this.outputs.push(valueInfo(name, elem, dims));
    return name;
  }

  /** A float32 constant tensor (weights). The bytes are copied once into the protobuf. */
  floatTensor(name: string, dims: readonly number[], data: Float32Array): string {
    const expected = dims.reduce((a, b) => a * b, 1);
    if (data.length !== expected) throw new Error(`initializer ${name}: ${data.length} values for shape [${dims}]`);
    this.inits.push({
      name,
      dims: [...dims],
      dataType: onnx.TensorProto.DataType.FLOAT,
      rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
    });
    return name;
  }

  /** An int64 constant tensor (shapes, axes, slice bounds). */
  int64Tensor(name: string, values: readonly number[], dims: readonly number[] = [values.length]): string {
    this.inits.push({ name, dims: [...dims], dataType: onnx.TensorProto.DataType.INT64, int64Data: [...values] });
    return name;
  }

  /** Add a node; returns its output names (a single name when `outputs` is a number 1 or a single string). */
  node(
    op: string,
    inputs: readonly string[],
    attrs: Record<string, AttrValue> = {},
    outputs: number | string[] = 1,
  ): string[] {
    const outs =
      typeof outputs === 'number' ? Array.from({ length: outputs }, () => this.fresh(op.toLowerCase())) : outputs;
    this.nodes.push({
      opType: op,
      input: [...inputs],
      output: outs,
      name: this.fresh(`n_${op}`),
      attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
    });
    return outs;
  }

  /** Single-output convenience wrapper around `node`. */
  op(op: string, inputs: readonly string[], attrs: Record<string, AttrValue> = {}, outName?: string): string {
    return this.node(op, inputs, attrs, outName ? [outName] : 1)[0];
  }

  /** Serialise the model. */
  build(): Uint8Array {
    const model: O.IModelProto = {
      irVersion: 8,
      producerName: 'deepssim',
      opsetImport: [{ domain: '', version: OPSET }],
      graph: {
        name: this.graphName,
        node: this.nodes,
        initializer: this.inits,
        input: this.inputs,
        output: this.outputs,
      },
    };
    return onnx.ModelProto.encode(onnx.ModelProto.create(model)).finish();
  }
}
