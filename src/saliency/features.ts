import type { RGBImage } from '../image/types.js';
import { rgbToDkl } from './dkl.js';
import { gaborEnergies } from './gabor.js';
import { makeMap, type Map2D } from './map.js';
import type { GbvsParams } from './params.js';
import { subsample, type Plane32 } from './pyramid.js';
import { imresizeBicubic } from './resize.js';

/** One feature channel's maps at lattice size, ordered type-major then level (the reference's loop order). */
export interface ChannelMaps {
  /** Channel letter (C, D, I or O). */
  letter: string;
  /** Weight of the channel in the master map. */
  weight: number;
  /** maps[type * levels.length + levelIndex]. */
  maps: Map2D[];
}

interface Pyramid {
  /** Index i holds level i+1 (level 1 = half size); float32 like the reference's MEX output. */
  L: Plane32[];
  R: Plane32[];
  G: Plane32[];
  B: Plane32[];
}

/** Split the 8-bit RGB image into [0,1] float32 planes plus the intensity max(R,G,B), as the reference's mygetrgb. */
function planes(img: RGBImage): { r: Plane32; g: Plane32; b: Plane32; i: Plane32 } {
  const { width: w, height: h, data } = img;
  const n = w * h;
  const r = new Float32Array(n);
  const g = new Float32Array(n);
  const b = new Float32Array(n);
  const i = new Float32Array(n);
  for (let p = 0, q = 0; p < n; p++, q += 3) {
    const rv = data[q];
    const gv = data[q + 1];
    const bv = data[q + 2];
    r[p] = rv / 255;
    g[p] = gv / 255;
    b[p] = bv / 255;
    i[p] = Math.max(rv, gv, bv) / 255;
  }
  return { r: { data: r, h, w }, g: { data: g, h, w }, b: { data: b, h, w }, i: { data: i, h, w } };
}

/** Float64 copy of a pyramid plane (exact). */
function toMap(p: Plane32): Map2D {
  return { data: Float64Array.from(p.data), h: p.h, w: p.w };
}

function buildPyramid(img: RGBImage, maxLevel: number, color: boolean): { pyr: Pyramid; maxLevel: number } {
  const { r, g, b, i } = planes(img);
  const pyr: Pyramid = { L: [subsample(i)], R: [], G: [], B: [] };
  if (color) {
    pyr.R.push(subsample(r));
    pyr.G.push(subsample(g));
    pyr.B.push(subsample(b));
  }
  let top = maxLevel;
  for (let lev = 2; lev <= maxLevel; lev++) {
    const L = subsample(pyr.L[lev - 2]);
    pyr.L.push(L);
    if (color) {
      pyr.R.push(subsample(pyr.R[lev - 2]));
      pyr.G.push(subsample(pyr.G[lev - 2]));
      pyr.B.push(subsample(pyr.B[lev - 2]));
    }
    // The reference stops the pyramid once a level gets smaller than 3 pixels on a side.
    if (L.h < 3 || L.w < 3) {
      top = lev;
      break;
    }
  }
  return { pyr, maxLevel: top };
}

/** Itti-Koch colour opponency divided by intensity, 0/0 taken as 0 (the reference's C_color + safeDivideGBVS). */
function colorOpponency(pyr: Pyramid, li: number, type: 0 | 1): Map2D {
  const L = pyr.L[li].data;
  const R = pyr.R[li].data;
  const G = pyr.G[li].data;
  const B = pyr.B[li].data;
  const m = makeMap(pyr.L[li].h, pyr.L[li].w);
  for (let p = 0; p < L.length; p++) {
    const num = type === 0 ? Math.abs(B[p] - Math.min(R[p], G[p])) : Math.abs(R[p] - G[p]);
    m.data[p] = L[p] === 0 ? 0 : num / L[p];
  }
  return m;
}

/**
 * Raw feature maps of every requested channel at every requested level, each resized (MATLAB bicubic with
 * antialiasing) to the lattice size [lh lw] — the reference's getFeatureMaps with its channel functions,
 * channels in its (alphabetical file) order C, D, I, O.
 */
export function featureMaps(
  img: RGBImage,
  p: GbvsParams,
  lh: number,
  lw: number,
): { channels: ChannelMaps[]; levels: number[] } {
  const color = p.channels.includes('C') || p.channels.includes('D');
  const { pyr, maxLevel } = buildPyramid(img, Math.max(...p.levels), color);
  // Levels past a truncated pyramid do not exist; the reference would fail there, we drop them.
  const levels = p.levels.filter((l) => l <= maxLevel);
  const toLattice = (m: Map2D): Map2D => imresizeBicubic(m, lh, lw);
  const channels: ChannelMaps[] = [];
  if (p.channels.includes('C')) {
    const maps: Map2D[] = [];
    for (const type of [0, 1] as const)
      for (const lev of levels) maps.push(toLattice(colorOpponency(pyr, lev - 1, type)));
    channels.push({ letter: 'C', weight: p.featureWeights.color, maps });
  }
  if (p.channels.includes('D')) {
    const perLevel = levels.map((lev) => {
      const L = pyr.L[lev - 1];
      const n = L.h * L.w;
      const out: [Float64Array, Float64Array, Float64Array] = [
        new Float64Array(n),
        new Float64Array(n),
        new Float64Array(n),
      ];
      rgbToDkl(toMap(pyr.R[lev - 1]).data, toMap(pyr.G[lev - 1]).data, toMap(pyr.B[lev - 1]).data, out);
      return out.map((data) => toLattice({ data, h: L.h, w: L.w }));
    });
    const maps: Map2D[] = [];
    for (let type = 0; type < 3; type++) for (let li = 0; li < levels.length; li++) maps.push(perLevel[li][type]);
    channels.push({ letter: 'D', weight: p.featureWeights.dklcolor, maps });
  }
  if (p.channels.includes('I')) {
    channels.push({
      letter: 'I',
      weight: p.featureWeights.intensity,
      maps: levels.map((lev) => toLattice(toMap(pyr.L[lev - 1]))),
    });
  }
  if (p.channels.includes('O')) {
    const perLevel = levels.map((lev) => gaborEnergies(toMap(pyr.L[lev - 1]), p.gaborangles).map(toLattice));
    const maps: Map2D[] = [];
    for (let type = 0; type < p.gaborangles.length; type++)
      for (let li = 0; li < levels.length; li++) maps.push(perLevel[li][type]);
    channels.push({ letter: 'O', weight: p.featureWeights.orientation, maps });
  }
  return { channels, levels };
}
