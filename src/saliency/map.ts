/** A single-channel float64 map, row-major (`data[y * w + x]`); the internal currency of the GBVS stages. */
export interface Map2D {
  data: Float64Array;
  h: number;
  w: number;
}

export function makeMap(h: number, w: number): Map2D {
  return { data: new Float64Array(h * w), h, w };
}

/** Min and max of a map (NaN-free input assumed). */
export function mapRange(m: Map2D): { min: number; max: number } {
  let min = Infinity;
  let max = -Infinity;
  for (const v of m.data) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return { min, max };
}

/**
 * MATLAB's mat2gray: linear rescale so the minimum becomes 0 and the maximum 1, in place.
 * A constant map (max == min) becomes all zeros (defined here; the reference would divide by zero).
 */
export function mat2grayInPlace(m: Map2D): Map2D {
  const { min, max } = mapRange(m);
  const d = m.data;
  const delta = max - min;
  if (!(delta > 0)) {
    d.fill(0);
    return m;
  }
  for (let i = 0; i < d.length; i++) {
    const v = (d[i] - min) / delta;
    d[i] = v < 0 ? 0 : v > 1 ? 1 : v;
  }
  return m;
}

/**
 * The reference's attenuateBordersGBVS: multiply the outer `border` rows/columns linearly by
 * 1/(b+1) … b/(b+1) (outermost smallest); the border shrinks to floor(side/2) on small maps. In place.
 */
export function attenuateBordersInPlace(m: Map2D, border: number): Map2D {
  const { h, w, data } = m;
  let b = border;
  if (b * 2 > h) b = Math.floor(h / 2);
  if (b * 2 > w) b = Math.floor(w / 2);
  if (b < 1) return m;
  for (let i = 0; i < b; i++) {
    const c = (i + 1) / (b + 1);
    const top = i * w;
    const bottom = (h - 1 - i) * w;
    for (let x = 0; x < w; x++) {
      data[top + x] *= c;
      data[bottom + x] *= c;
    }
  }
  for (let y = 0; y < h; y++) {
    const row = y * w;
    for (let i = 0; i < b; i++) {
      const c = (i + 1) / (b + 1);
      data[row + i] *= c;
      data[row + w - 1 - i] *= c;
    }
  }
  return m;
}
