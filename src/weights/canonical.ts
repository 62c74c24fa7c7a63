/**
 * The canonical form of a state-dict subset and the finite-value check every loaded weight map passes.
 *
 * Canonical safetensors: tensor names sorted (code-unit order), `__metadata__` first with its keys sorted and fixed by
 * the backbone's declaration, no whitespace in the JSON except the trailing spaces that pad the header so the data
 * block starts on an 8-byte boundary, float32 little-endian data back to back in name order. The bytes therefore
 * depend only on the tensors: the same weights read from a legacy .pth, a zip .pth or a safetensors file give the same
 * file and the same SHA-256, which is what lets a hash of the export be pinned.
 *
 * Platform-neutral: works on typed arrays, no I/O.
 */
import { WeightsError, quote } from '../errors.js';
import type { WeightMap } from './types.js';

/** Data-block alignment of the canonical file (the header is padded with spaces up to it). */
export const CANONICAL_ALIGNMENT = 8;

/**
 * Throw WeightsError WEIGHTS_NOT_FINITE naming the first tensor that holds a NaN or an infinity. A single NaN weight
 * turns every score into NaN, so weights are checked once at load rather than scores being trusted afterwards.
 */
export function checkFinite(weights: WeightMap, source: string): void {
  for (const [name, t] of weights) {
    const d = t.data;
    for (let i = 0; i < d.length; i++) {
      // v - v is 0 for finite v and NaN for NaN and ±Infinity: one test per value.
      if (d[i] - d[i] !== 0) {
        throw new WeightsError(`${source}: tensor ${quote(name)} holds a non-finite value (${d[i]}) at index ${i}`, {
          code: 'WEIGHTS_NOT_FINITE',
          tensor: name,
          path: source,
          actual: String(d[i]),
        });
      }
    }
  }
}

const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Serialise `tensors` (only the names in `shapes`, each checked against its shape) as canonical safetensors bytes.
 * Throws WeightsError WEIGHTS_WRONG_MODEL when a tensor is missing or has another shape.
 */
export function canonicalSafetensors(
  tensors: WeightMap,
  shapes: Readonly<Record<string, readonly number[]>>,
  metadata: Readonly<Record<string, string>>,
  source: string,
): Uint8Array {
  const names = Object.keys(shapes).sort();
  const meta: Record<string, string> = {};
  for (const k of Object.keys(metadata).sort()) meta[k] = metadata[k];
  const header: Record<string, unknown> = { __metadata__: meta };
  let offset = 0;
  for (const name of names) {
    const t = tensors.get(name);
    const shape = shapes[name];
    if (!t)
      throw new WeightsError(`${source}: tensor ${quote(name)} is missing (expected shape [${shape.join(',')}])`, {
        code: 'WEIGHTS_WRONG_MODEL',
        tensor: name,
        path: source,
        expected: shape,
      });
    const count = shape.reduce((a, b) => a * b, 1);
    if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i]) || t.data.length !== count) {
      throw new WeightsError(
        `${source}: tensor ${quote(name)} has shape [${t.shape.join(',')}], expected [${shape.join(',')}]`,
        {
          code: 'WEIGHTS_WRONG_MODEL',
          tensor: name,
          path: source,
          expected: shape,
          actual: t.shape,
        },
      );
    }
    header[name] = { dtype: 'F32', shape: [...shape], data_offsets: [offset, offset + 4 * count] };
    offset += 4 * count;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const pad = (CANONICAL_ALIGNMENT - ((8 + json.length) % CANONICAL_ALIGNMENT)) % CANONICAL_ALIGNMENT;
  const headerLength = json.length + pad;
  const out = new Uint8Array(8 + headerLength + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(headerLength), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerLength);
  let at = 8 + headerLength;
  for (const name of names) {
    const d = tensors.get(name)!.data;
    if (littleEndian) {
      out.set(new Uint8Array(d.buffer, d.byteOffset, d.byteLength), at);
    } else {
      for (let i = 0; i < d.length; i++) view.setFloat32(at + 4 * i, d[i], true);
    }
    at += d.byteLength;
  }
  return out;
}
