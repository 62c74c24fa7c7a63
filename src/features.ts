/**
 * Image → Gram matrix of the backbone's feature layer, whole or tile by tile.
 *
 * The Gram matrix is a sum over feature cells (G = Σₚ fₚ fₚᵀ), so it can be accumulated over tiles. A tile is a
 * stride-aligned block of feature cells plus a halo of `backbone.halo` pixels (clipped at the true image border):
 * every cell inside the block then sees exactly the pixels and zero padding it sees in the untiled network, and the
 * tiled Gram equals the untiled one up to float32 summation order.
 *
 * Size-dependent padding (TensorFlow 'same', MobileNet): a layer's begin pad depends on its input size modulo its
 * stride, and shifts the sampling grid of everything after it. A tile therefore starts at a multiple of the total
 * stride S and spans a number of pixels ≡ the image's (mod S): every layer's input in the tile then has the
 * image's parity (⌈(n − kS)/2^l⌉ = ⌈n/2^l⌉ − kS/2^l, and kS/2^l is a multiple of each later stride), so each
 * layer pads the tile's top/left exactly as it pads the image's, and the grids coincide. The extra (< S) pixels
 * lie beyond the halo; fixed-padding backbones (VGG16) are indifferent to them.
 */
import type { BackboneGeometry } from './graph/geometry.js';
import type { GramEngine, GramResult } from './engine/session.js';
import { cropPlane, toCHW } from './image/tensor.js';
import type { RGBImage } from './image/types.js';

/** Pixel budget above which tiling switches on automatically (untiled 1 MP peaks near 0.75 GB RSS). */
export const DEFAULT_TILE_BUDGET = 1_200_000;
/** Default inner tile side in pixels when tiling (a multiple of the stride): peak RSS stays under 1 GB. */
export const DEFAULT_TILE = 768;
/**
 * Above this many pixels (e.g. 8K) the default tile grows to LARGE_IMAGE_TILE: each tile then carries
 * proportionally less halo (time per pixel within 1.3× of an untiled 1 MP image instead of ~1.36×), at a peak RSS
 * of about 1.3 GB — a trade-off made only where the decoded images alone already take hundreds of MB.
 */
export const LARGE_IMAGE_PIXELS = 16_000_000;
export const LARGE_IMAGE_TILE = 1024;

export interface TilingOptions {
  /** `false`: never tile. A number: inner tile side in pixels (rounded down to the stride). Default: automatic. */
  tile?: number | false;
}

/** Inner tile side in pixels to use for an image, or 0 for one piece. */
export function planTile(width: number, height: number, stride: number, options: TilingOptions = {}): number {
  if (options.tile === false) return 0;
  if (options.tile === undefined && width * height <= DEFAULT_TILE_BUDGET) return 0;
  const auto = width * height > LARGE_IMAGE_PIXELS ? LARGE_IMAGE_TILE : DEFAULT_TILE;
  const side = Math.max(stride, Math.floor((options.tile ?? auto) / stride) * stride);
  // One tile covering everything is just the untiled computation.
  return side >= width && side >= height ? 0 : side;
}

/** 1-D tile ranges: inner cells [c0, c1) and the pixel window [p0, p1) that computes them. */
function ranges(
  pixels: number,
  cells: number,
  stride: number,
  halo: number,
  tileCells: number,
): { c0: number; c1: number; p0: number; p1: number }[] {
  const out = [];
  for (let c0 = 0; c0 < cells; c0 += tileCells) {
    const c1 = Math.min(cells, c0 + tileCells);
    const p0 = Math.max(0, c0 * stride - halo);
    // The last tile runs to the true border so the floor of each pooling sees the same remainder; the others span
    // a multiple of the stride plus the image's remainder, so size-dependent pads match the image's (see above).
    let p1 = c1 === cells ? pixels : Math.min(pixels, c1 * stride + halo);
    if (p1 < pixels) p1 += (pixels - p1) % stride;
    out.push({ c0, c1, p0, p1 });
  }
  return out;
}

/** Compute the Gram matrix of an image, tiling when the plan says so. `mask` is a full-size [H·W] plane. */
export async function computeGram(
  engine: GramEngine,
  backbone: BackboneGeometry,
  img: RGBImage,
  options: TilingOptions & { mask?: Float32Array; onTile?: (done: number, total: number) => void } = {},
): Promise<GramResult> {
  const tile = planTile(img.width, img.height, backbone.stride, options);
  if (tile === 0) return engine.gram(toCHW(img), img.height, img.width, { mask: options.mask });

  const halo = Math.ceil(backbone.halo / backbone.stride) * backbone.stride;
  const tileCells = tile / backbone.stride;
  const [cellsH, cellsW] = backbone.featureSize(img.height, img.width);
  const rows = ranges(img.height, cellsH, backbone.stride, halo, tileCells);
  const cols = ranges(img.width, cellsW, backbone.stride, halo, tileCells);
  const c = engine.channels;
  const gram = new Float64Array(c * c);
  // With a features output (local maps), the tiles' cropped feature maps are assembled into the whole [C, h, w].
  let features: Float32Array | undefined;
  let done = 0;
  options.onTile?.(0, rows.length * cols.length);
  for (const r of rows) {
    for (const q of cols) {
      const chw = toCHW(img, r.p0, r.p1, q.p0, q.p1);
      const mask = options.mask && cropPlane(options.mask, img.width, r.p0, r.p1, q.p0, q.p1);
      const top = r.c0 - r.p0 / backbone.stride;
      const left = q.c0 - q.p0 / backbone.stride;
      const part = await engine.gram(chw, r.p1 - r.p0, q.p1 - q.p0, {
        crop: [top, top + (r.c1 - r.c0), left, left + (q.c1 - q.c0)],
        mask,
      });
      for (let i = 0; i < gram.length; i++) gram[i] += part.gram[i];
      if (part.features) {
        features ??= new Float32Array(c * cellsH * cellsW);
        const th = r.c1 - r.c0;
        const tw = q.c1 - q.c0;
        for (let ch = 0; ch < c; ch++) {
          for (let y = 0; y < th; y++) {
            const src = (ch * th + y) * tw;
            features.set(part.features.subarray(src, src + tw), (ch * cellsH + r.c0 + y) * cellsW + q.c0);
          }
        }
      }
      options.onTile?.(++done, rows.length * cols.length);
    }
  }
  return { gram, cellsH, cellsW, ...(features ? { features } : {}) };
}
