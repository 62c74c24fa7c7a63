import { Resvg } from '@resvg/resvg-js';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

/** A rendered chart: the SVG text and a PNG rendering of it (no browser needed). */
export interface RenderedChart {
  svg: string;
  png: Buffer;
}

/** Render a Vega-Lite spec headlessly to SVG (vega's own renderer) and PNG (resvg). */
export async function renderChart(spec: TopLevelSpec, options: { scale?: number } = {}): Promise<RenderedChart> {
  const vgSpec = compile(spec).spec;
  const view = new vega.View(vega.parse(vgSpec), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  const png = new Resvg(svg, {
    fitTo: { mode: 'zoom', value: options.scale ?? 2 },
    background: 'white',
    font: { loadSystemFonts: true },
  })
    .render()
    .asPng();
  return { svg, png: Buffer.from(png) };
}
