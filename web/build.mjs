#!/usr/bin/env node
/**
 * Browser build of deepssim/web with esbuild (tsc still emits the types): dist/web/index.js (the entry, with
 * onnxruntime-web's JavaScript bundled in; its .wasm files are fetched at run time from `wasmPaths`),
 * dist/web/gbvs-worker.js (the saliency worker) and the demo page (dist/web/demo/). platform=browser makes any
 * node:* import fail the build: nothing Node-only can reach the web bundle.
 */
import { build } from 'esbuild';
import { copyFile, mkdir, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist/web');

/** The demo script imports the entry as a separate file (`../index.js`), not a second copy of it. */
const entryExternal = {
  name: 'deepssim-web-entry-external',
  setup(b) {
    b.onResolve({ filter: /^\.\.\/index\.js$/ }, (args) =>
      args.importer.includes(`${join('src', 'web', 'demo')}`) ? { path: '../index.js', external: true } : undefined,
    );
  },
};

const common = {
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  minify: true,
  legalComments: 'none',
  logLevel: 'warning',
  absWorkingDir: root,
};

await build({
  ...common,
  entryPoints: { index: 'src/web/index.ts', 'gbvs-worker': 'src/web/gbvs-worker.ts' },
  outdir: out,
});
await build({ ...common, entryPoints: { 'demo/main': 'src/web/demo/main.ts' }, outdir: out, plugins: [entryExternal] });
await mkdir(join(out, 'demo'), { recursive: true });
await copyFile(join(root, 'web/demo/index.html'), join(out, 'demo/index.html'));
// tsc's maps for the files esbuild replaced would describe other code.
for (const f of ['index.js.map', 'gbvs-worker.js.map', 'demo/main.js.map']) await rm(join(out, f), { force: true });
