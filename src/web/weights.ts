/// <reference lib="dom" />
/**
 * A backbone's weights in a browser, from its declaration (src/weights/official.ts): a state-dict backbone (VGG16)
 * reads one file — a URL or bytes; the relu5_1 safetensors export (`deepssim weights export`) is the web asset —
 * and a TensorFlow.js-layers backbone (MobileNet) reads model.json and the shards it lists, as published. Files are
 * SHA-256-verified with SubtleCrypto and kept in the Cache API (fetch.ts).
 *
 * Verification: a caller's `weightsSha256` is checked for a single file; a model.json whose hash is the official
 * one has each shard checked against the official hashes; an exported file whose hash is the pinned export hash
 * counts as verified.
 */
import { quote, WeightsError } from '../errors.js';
import type { LoadedWeights, ProgressEvent } from '../platform.js';
import type { BackboneWeights } from '../weights/official.js';
import { readWeightsBytes } from '../weights/read.js';
import { readTfjsLayers } from '../weights/tfjs-layers.js';
import { fetchVerified, verifyBytes } from './fetch.js';

/** Weights as a page has them: a URL (of the file, or of model.json) or the bytes of a single-file format. */
export type WebWeights = string | URL | Uint8Array | ArrayBuffer;

export interface WebWeightsRequest {
  weights?: WebWeights;
  /** Expected SHA-256 of a single weights file (hex). */
  weightsSha256?: string;
  /** Keep downloaded files in the Cache API (default true). */
  cacheWeights?: boolean;
  onProgress?: (event: ProgressEvent) => void;
}

export interface WebLoadedWeights extends LoadedWeights {
  /** SHA-256 of the weights file (model.json for a TensorFlow.js model). */
  sha256: string;
  /** Files that came from the Cache API / from the network. */
  cachedFiles: number;
  downloadedFiles: number;
}

function label(weights: WebWeights): string {
  return typeof weights === 'string'
    ? weights
    : weights instanceof URL
      ? weights.href
      : `<${weights.byteLength} bytes>`;
}

/** Read and validate a backbone's weights in a browser. */
export async function loadWebWeights(spec: BackboneWeights, request: WebWeightsRequest): Promise<WebLoadedWeights> {
  const declaration = spec.declaration;
  let weights = request.weights;
  if (weights === undefined) {
    // A multi-file model is published in a web-friendly form; a single 500 MB state dict is not a web asset.
    if (declaration.storage !== 'tfjs-layers') {
      throw new WeightsError(
        `backbone '${spec.backbone}' needs weights in a browser: the URL (or bytes) of its safetensors export (made once with the weights export command)`,
        { code: 'WEIGHTS_NOT_FOUND', option: 'weights' },
      );
    }
    const entry = declaration.official.find((f) => f.name === declaration.entry);
    if (!entry)
      throw new WeightsError(`backbone '${spec.backbone}' has no published weights: pass their URL`, {
        code: 'WEIGHTS_NOT_FOUND',
        option: 'weights',
      });
    weights = entry.url;
  }
  return declaration.storage === 'tfjs-layers'
    ? loadTfjs(spec, weights, request)
    : loadStateDict(spec, weights, request);
}

async function loadStateDict(
  spec: BackboneWeights,
  weights: WebWeights,
  request: WebWeightsRequest,
): Promise<WebLoadedWeights> {
  const source = label(weights);
  let bytes: Uint8Array;
  let sha256: string;
  let fromCache = false;
  if (typeof weights === 'string' || weights instanceof URL) {
    const file = new URL(String(weights), globalThis.location?.href).href;
    const got = await fetchVerified(file, {
      sha256: request.weightsSha256,
      cache: request.cacheWeights,
      onBytes: (bytesDone, bytesTotal) =>
        request.onProgress?.({ kind: 'download', backbone: spec.backbone, file, bytesDone, bytesTotal }),
    });
    ({ bytes, sha256, fromCache } = got);
  } else {
    bytes = weights instanceof Uint8Array ? weights : new Uint8Array(weights);
    sha256 = await verifyBytes(bytes, request.weightsSha256, source);
  }
  const pinned = spec.declaration.compact?.sha256;
  const file = readWeightsBytes(bytes, source, { select: spec.select });
  const map = spec.fromRead({ storage: 'state-dict', tensors: file.tensors }, source);
  return {
    weights: map,
    source,
    verified: request.weightsSha256 !== undefined || (pinned !== undefined && pinned === sha256),
    sha256,
    cachedFiles: fromCache ? 1 : 0,
    downloadedFiles: fromCache || !(typeof weights === 'string' || weights instanceof URL) ? 0 : 1,
  };
}

async function loadTfjs(
  spec: BackboneWeights,
  weights: WebWeights,
  request: WebWeightsRequest,
): Promise<WebLoadedWeights> {
  if (!(typeof weights === 'string' || weights instanceof URL)) {
    throw new WeightsError(
      `backbone '${spec.backbone}' reads a TensorFlow.js model: pass the URL of its model.json, not bytes`,
      {
        code: 'WEIGHTS_WRONG_MODEL',
        option: 'weights',
      },
    );
  }
  const modelUrl = new URL(String(weights), globalThis.location?.href).href;
  const folder = modelUrl.slice(0, modelUrl.lastIndexOf('/') + 1);
  const official = new Map(spec.declaration.official.map((f) => [f.name, f]));
  const entry = official.get(spec.declaration.entry);
  // Progress over all files: the official sizes when the model is the official one, else what has arrived so far.
  let done = 0;
  let total: number | undefined;
  const progress =
    (file: string) =>
    (bytes: number): void =>
      request.onProgress?.({
        kind: 'download',
        backbone: spec.backbone,
        file,
        bytesDone: done + bytes,
        bytesTotal: total,
      });
  let cachedFiles = 0;
  let downloadedFiles = 0;
  const got = (file: { fromCache: boolean; bytes: Uint8Array }): Uint8Array => {
    if (file.fromCache) cachedFiles++;
    else downloadedFiles++;
    done += file.bytes.length;
    return file.bytes;
  };
  const fetched = await fetchVerified(modelUrl, {
    sha256: request.weightsSha256,
    cache: request.cacheWeights,
    onBytes: progress(modelUrl),
  });
  const modelJson = got(fetched);
  const sha256 = fetched.sha256;
  const isOfficial = entry !== undefined && sha256 === entry.sha256;
  if (isOfficial) total = spec.declaration.official.reduce((a, f) => a + f.bytes, 0);
  // The reader asks each shard's size before reading any (to check the manifest); a shard is fetched once.
  const shards = new Map<string, Promise<Uint8Array>>();
  const shard = (path: string): Promise<Uint8Array> => {
    let p = shards.get(path);
    if (!p) {
      const url = new URL(path, modelUrl).href;
      // Shard names come from the file: only plain names beside model.json are fetched.
      if (!/^[\w.-]+$/.test(path) || !url.startsWith(folder) || url.slice(folder.length).includes('/')) {
        throw new WeightsError(`weights ${quote(modelUrl)} name a shard outside their folder: ${quote(path)}`, {
          code: 'WEIGHTS_UNSAFE',
          url: modelUrl,
        });
      }
      const expected = isOfficial ? official.get(path)?.sha256 : undefined;
      if (isOfficial && expected === undefined) {
        throw new WeightsError(`weights ${quote(modelUrl)}: shard ${quote(path)} is not one of the official files`, {
          code: 'WEIGHTS_WRONG_MODEL',
          url,
        });
      }
      p = fetchVerified(url, { sha256: expected, cache: request.cacheWeights, onBytes: progress(url) }).then(got);
      shards.set(path, p);
    }
    return p;
  };
  const model = await readTfjsLayers(modelJson, modelUrl, {
    modelPath: modelUrl,
    select: spec.select,
    shardSize: async (path) => (await shard(path)).length,
    readShard: shard,
  });
  const map = spec.fromRead({ storage: 'tfjs-layers', model }, modelUrl);
  return {
    weights: map,
    source: modelUrl,
    verified: isOfficial || request.weightsSha256 !== undefined,
    sha256,
    cachedFiles,
    downloadedFiles,
  };
}
