/** Local DeepSSIM maps (platform-neutral): where two images differ. */
export { localMap, DEFAULT_BORDER, DEFAULT_RADIUS, DEFAULT_STEP, DEFAULT_WINDOW } from './local-map.js';
export type { FeatureMap, LocalMap, LocalMapGrid, LocalMapOptions, Rect } from './local-map.js';
import type { LocalMap } from './local-map.js';

/** What `DeepSSIM.map()` returns: the global score (the metric's variant) and the local map of the reference. */
export interface LocalMapResult extends LocalMap {
  score: number;
  reference: { width: number; height: number };
  test: { width: number; height: number };
}
export { jsPairDots } from './local-map.js';
export type { PairDots } from './local-map.js';
export { buildPairDotsGraph, runnerPairDots } from './pair-dots.js';
export { resizeRGB } from './resample.js';
export type { GraphRunner } from './pair-dots.js';
export { mapToPixels, renderHeatmap, renderSideBySide, HEATMAP_CLEAR, HEATMAP_FLOOR } from './render.js';
