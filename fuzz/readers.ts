/**
 * Every reader of untrusted input, by name, as the fuzzing harness and the hostile-fixture test call it: each takes
 * the path of a file (or of a dataset folder) and reads it the way deepssim does.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadCsiq } from '../src/eval/datasets/csiq.js';
import { loadKadid } from '../src/eval/datasets/kadid.js';
import { loadManifestCsv } from '../src/eval/datasets/manifest-csv.js';
import { readMat5 } from '../src/eval/datasets/mat5.js';
import { readNpyFloats } from '../src/eval/npy.js';
import { readPairsFile } from '../src/eval/pairs-csv.js';
import { loadTid } from '../src/eval/datasets/tid2013.js';
import { decodeBmp } from '../src/image/bmp.js';
import { decodeImage } from '../src/index.js';
import { readTfjsLayersModel, readWeightsFile } from '../src/node/read-weights-file.js';
import { unpickle } from '../src/weights/pickle.js';
import { torchGlobals, torchPersistentLoader } from '../src/weights/torch-globals.js';
import { collectTensors } from '../src/weights/torch-pth.js';

export type Reader = (path: string) => Promise<unknown>;

export const READERS: Readonly<Record<string, Reader>> = {
  /** A bare pickle through the restricted unpickler and the state-dict walk. */
  pickle: async (p) => {
    const source = `pickle ${p}`;
    const { value } = unpickle(new Uint8Array(readFileSync(p)), 0, {
      globals: torchGlobals(source),
      persistentLoad: torchPersistentLoader(source, new Map()),
      source,
    });
    return collectTensors(value, source);
  },
  /** .pth (legacy or zip) or .safetensors, format from the magic bytes. */
  weights: (p) => readWeightsFile(p),
  /** A TF.js layers model folder (model.json + shards). */
  'tfjs-dir': (p) => readTfjsLayersModel(join(p, 'model.json')),
  bmp: async (p) => decodeBmp(new Uint8Array(readFileSync(p)), p),
  /** PNG, JPEG, WebP, TIFF, GIF (sharp) and BMP, as `score` reads images. */
  image: (p) => decodeImage(p),
  mat5: async (p) => readMat5(p),
  manifest: async (p) => loadManifestCsv(p, { higherIsBetter: true, checkFiles: false }),
  pairs: (p) => readPairsFile({ path: p }),
  npy: async (p) => readNpyFloats(new Uint8Array(readFileSync(p)), p),
  'kadid-dir': async (p) => loadKadid(p),
  'tid-dir': async (p) => loadTid(p),
  'csiq-dir': (p) => loadCsiq(p),
};
