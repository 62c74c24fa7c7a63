/**
 * Charts for reports. The plotting stack (vega, vega-lite, resvg: about a hundred packages) is imported on first use,
 * so commands that never plot — `score`, `batch`, `--version` — never load it.
 */
import type { TopLevelSpec } from 'vega-lite';

/** A rendered chart: the SVG text and a PNG rendering of it (no browser needed). */
export interface RenderedChart {
  svg: string;
  png: Buffer;
}

/** Render a Vega-Lite spec headlessly to SVG (vega's own renderer) and PNG (resvg). */
export async function renderChart(spec: TopLevelSpec, options: { scale?: number } = {}): Promise<RenderedChart> {
  const [{ Resvg }, vega, { compile }] = await Promise.all([
    import('@resvg/resvg-js'),
    import('vega'),
    import('vega-lite'),
  ]);
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
