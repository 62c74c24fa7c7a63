/**
 * What follows from a backbone's layers without building a graph: feature-map sizes, total stride, the halo tiles
 * need, the weight tensors and shapes the layers name, multiply-accumulate counts, and the spec's own consistency.
 * Platform-neutral.
 */
import { UsageError, WeightsError } from '../errors.js';
import type { WeightMap } from '../weights/types.js';
import { resolvePads, samePads, type BackboneSpec, type ConvLayer, type LayerSpec } from './spec.js';

export type Shape3 = [number, number, number];

/** [C, H, W] after one layer. */
export function layerOutputShape(layer: LayerSpec, [c, h, w]: readonly [number, number, number]): Shape3 {
  switch (layer.kind) {
    case 'conv': {
      const [t, l, b, r] = resolvePads(layer, h, w);
      const [kh, kw] = layer.kernel;
      return [
        layer.outChannels,
        Math.floor((h + t + b - kh) / layer.strides[0]) + 1,
        Math.floor((w + l + r - kw) / layer.strides[1]) + 1,
      ];
    }
    case 'maxpool':
      return [
        c,
        Math.floor((h - layer.kernel[0]) / layer.strides[0]) + 1,
        Math.floor((w - layer.kernel[1]) / layer.strides[1]) + 1,
      ];
    default:
      return [c, h, w];
  }
}

/** Shapes before each layer and, last, the feature shape, for an H×W input. */
export function layerShapes(spec: Pick<BackboneSpec, 'layers'>, height: number, width: number): Shape3[] {
  const shapes: Shape3[] = [[3, height, width]];
  for (const l of spec.layers) shapes.push(layerOutputShape(l, shapes[shapes.length - 1]));
  return shapes;
}

/** Feature-map size [h, w] for an H×W input (either may be < 1 when the image is too small). */
export function featureSize(spec: Pick<BackboneSpec, 'layers'>, height: number, width: number): [number, number] {
  const s = layerShapes(spec, height, width);
  const [, h, w] = s[s.length - 1];
  return [h, w];
}

/** Strides and kernels along one axis (0 = rows, 1 = columns) of the layers that move the grid. */
function axisLayers(spec: Pick<BackboneSpec, 'layers'>, axis: 0 | 1) {
  const out: { kernel: number; stride: number; begins: number[] }[] = [];
  for (const l of spec.layers) {
    if (l.kind === 'conv') {
      const k = l.kernel[axis];
      const s = l.strides[axis];
      // The begin pad of 'same' depends on n mod s only: enumerate one period.
      const begins =
        l.pads === 'same' ? Array.from({ length: s }, (_, n) => samePads(8 * s * k + n, k, s)[0]) : [l.pads[axis]];
      out.push({ kernel: k, stride: s, begins });
    } else if (l.kind === 'maxpool') out.push({ kernel: l.kernel[axis], stride: l.strides[axis], begins: [0] });
  }
  return out;
}

/** Total stride of the feature layer in pixels (rows; the spec must be isotropic, see checkSpec). */
export function totalStride(spec: Pick<BackboneSpec, 'layers'>): number {
  return axisLayers(spec, 0).reduce((s, l) => s * l.stride, 1);
}

/**
 * Pixels of context beyond a feature cell's own stride-aligned footprint that the cell depends on, on the worse
 * side and for the worse padding case, rounded up to the stride. Cell i sees pixels [S·i − A, S·i − A + R − 1]
 * (R: receptive field, A: Σ begin-pad × jump), its footprint is [S·i, S·i + S − 1]. Tiles carry this much halo, so
 * every inner cell sees exactly the pixels it sees untiled (src/features.ts).
 */
export function haloOf(spec: Pick<BackboneSpec, 'layers'>): number {
  let halo = 0;
  let stride = 1;
  for (const axis of [0, 1] as const) {
    let jump = 1;
    let rf = 1;
    let aMax = 0;
    let aMin = 0;
    for (const l of axisLayers(spec, axis)) {
      rf += (l.kernel - 1) * jump;
      aMax += Math.max(...l.begins) * jump;
      aMin += Math.min(...l.begins) * jump;
      jump *= l.stride;
    }
    stride = jump;
    halo = Math.max(halo, aMax, rf - 1 - aMin - (jump - 1));
  }
  return Math.ceil(halo / stride) * stride;
}

/** The weight tensors the layers name → their shapes ([out, in/group, kh, kw] and [out]). */
export function expectedShapes(spec: Pick<BackboneSpec, 'layers'>): Record<string, readonly number[]> {
  const out: Record<string, readonly number[]> = {};
  for (const l of spec.layers) {
    if (l.kind !== 'conv') continue;
    out[l.weight] = [l.outChannels, l.inChannels / l.group, l.kernel[0], l.kernel[1]];
    if (l.bias) out[l.bias] = [l.outChannels];
  }
  return out;
}

/** Throw a WeightsError naming the first tensor the layers need that is missing or has another shape. */
export function checkWeights(spec: BackboneSpec, weights: WeightMap, source: string): void {
  for (const [name, shape] of Object.entries(expectedShapes(spec))) {
    const t = weights.get(name);
    if (!t) {
      throw new WeightsError(
        `weights ${source}: tensor ${name} is missing (expected shape [${shape.join(',')}]) for backbone ${spec.name}`,
        {
          code: 'WEIGHTS_WRONG_MODEL',
          tensor: name,
          expected: shape,
        },
      );
    }
    if (
      t.shape.length !== shape.length ||
      t.shape.some((d, i) => d !== shape[i]) ||
      t.data.length !== shape.reduce((a, b) => a * b, 1)
    ) {
      throw new WeightsError(
        `weights ${source}: ${name} has shape [${t.shape.join(',')}], expected [${shape.join(',')}]`,
        {
          code: 'WEIGHTS_WRONG_MODEL',
          tensor: name,
          expected: shape,
          actual: [...t.shape],
        },
      );
    }
  }
}

/** Multiply-accumulates of the backbone for an H×W input (for GFLOP/s figures). */
export function macs(spec: Pick<BackboneSpec, 'layers'>, height: number, width: number): number {
  let shape: Shape3 = [3, height, width];
  let total = 0;
  for (const l of spec.layers) {
    const next = layerOutputShape(l, shape);
    if (l.kind === 'conv')
      total += next[1] * next[2] * l.outChannels * (l.inChannels / l.group) * l.kernel[0] * l.kernel[1];
    shape = next;
  }
  return total;
}

/** Index of the layer after whose output the saliency mask applies, or -1. */
export function saliencySite(spec: Pick<BackboneSpec, 'layers' | 'saliency'>): number {
  if (!spec.saliency) return -1;
  return spec.layers.findIndex((l) => (l.kind === 'relu' || l.kind === 'relu6') && l.name === spec.saliency!.after);
}

const bad = (spec: { name?: unknown }, what: string) =>
  new UsageError(`backbone spec ${typeof spec.name === 'string' ? spec.name : '?'}: ${what}`, {
    code: 'INVALID_OPTION',
    option: 'spec',
  });

/** Check a spec's internal consistency (registration time); throws UsageError. */
export function checkSpec(spec: BackboneSpec): void {
  if (!spec || typeof spec.name !== 'string' || !/^[\w.-]+$/.test(spec.name))
    throw bad(spec ?? {}, 'name must be a non-empty word ([A-Za-z0-9_.-])');
  if (!Array.isArray(spec.layers) || spec.layers.length < 2 || spec.layers[0].kind !== 'normalize') {
    throw bad(spec, 'layers must start with a normalize layer and contain at least one more layer');
  }
  let channels = 3;
  const names = new Set<string>();
  spec.layers.forEach((l, i) => {
    if (l.kind === 'normalize') {
      if (i !== 0) throw bad(spec, 'only the first layer may be a normalize layer');
      if (l.mean.length !== 3 || l.std.length !== 3 || l.std.some((v: number) => !(v > 0)))
        throw bad(spec, 'normalize needs 3 means and 3 positive stds');
    } else if (l.kind === 'conv') {
      const ints = [l.inChannels, l.outChannels, l.group, ...l.kernel, ...l.strides];
      if (!ints.every((v) => Number.isInteger(v) && v >= 1))
        throw bad(spec, `layer ${l.name}: channels, group, kernel and strides must be positive integers`);
      if (l.inChannels !== channels)
        throw bad(spec, `layer ${l.name}: takes ${l.inChannels} channels, the previous layer gives ${channels}`);
      if (l.inChannels % l.group !== 0 || l.outChannels % l.group !== 0)
        throw bad(spec, `layer ${l.name}: group ${l.group} does not divide the channels`);
      const pads = l.pads;
      if (pads !== 'same' && !(pads.length === 4 && pads.every((p: number) => Number.isInteger(p) && p >= 0)))
        throw bad(spec, `layer ${l.name}: pads must be 'same' or 4 non-negative integers`);
      if (names.has(l.name)) throw bad(spec, `layer name ${l.name} is used twice`);
      names.add(l.name);
      channels = l.outChannels;
    } else if (l.kind === 'maxpool') {
      if (![...l.kernel, ...l.strides].every((v) => Number.isInteger(v) && v >= 1))
        throw bad(spec, 'maxpool kernel and strides must be positive integers');
    }
  });
  if (channels !== spec.channels)
    throw bad(spec, `channels is ${spec.channels} but the last convolution gives ${channels}`);
  if (!(Number.isInteger(spec.minSide) && spec.minSide >= 1)) throw bad(spec, 'minSide must be a positive integer');
  const sr = axisLayers(spec, 0).map((l) => l.stride);
  const sc = axisLayers(spec, 1).map((l) => l.stride);
  if (sr.some((s, i) => s !== sc[i])) throw bad(spec, 'strides must be equal along rows and columns');
  if (spec.saliency) {
    const site = saliencySite(spec);
    if (site < 0) throw bad(spec, `saliency.after names no relu/relu6 layer '${spec.saliency.after}'`);
    for (const l of spec.layers.slice(0, site)) {
      if (l.kind === 'maxpool') throw bad(spec, 'the saliency site must come before any pooling layer');
      if (l.kind === 'conv' && (l.kernel[0] % 2 === 0 || l.kernel[1] % 2 === 0))
        throw bad(spec, `layer ${l.name} before the saliency site needs odd kernels (a centre)`);
    }
  }
  const w = spec.weights;
  if (!w || (w.storage !== 'state-dict' && w.storage !== 'tfjs-layers') || typeof w.select !== 'function') {
    throw bad(spec, "weights must give storage ('state-dict' or 'tfjs-layers') and select");
  }
}

/** The geometry src/features.ts tiles with. */
export interface BackboneGeometry {
  readonly name: string;
  readonly channels: number;
  /** Total stride of the feature layer in pixels. */
  readonly stride: number;
  /** Context pixels each side a cell depends on beyond its footprint, a multiple of the stride (see haloOf). */
  readonly halo: number;
  readonly minSide: number;
  featureSize(height: number, width: number): [number, number];
}

export function geometry(spec: BackboneSpec): BackboneGeometry {
  return {
    name: spec.name,
    channels: spec.channels,
    stride: totalStride(spec),
    halo: haloOf(spec),
    minSide: spec.minSide,
    featureSize: (h, w) => featureSize(spec, h, w),
  };
}

export type { ConvLayer };
