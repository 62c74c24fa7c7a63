/**
 * `deepssim demo`: a tiny static server (node:http, 127.0.0.1 only) for the browser demo page. It serves
 *  - `/`            the page (dist/web/demo/index.html) and `/web/*` the browser build of `deepssim/web` (dist/web),
 *  - `/ort/*`       ONNX Runtime Web's .wasm/.mjs files (node_modules/onnxruntime-web/dist),
 *  - `/weights/*`   the weights it was started with (one file, or a MobileNet model.json and its shards),
 *  - `/config.json` { backbone, weightsUrl, weightsSha256 } for the page,
 * with COOP/COEP headers so the page is cross-origin isolated (WebAssembly threads). Every servable file is listed
 * in a table when the server starts and requests are looked up in it, so no request path can reach another file
 * (no path is ever joined from request text).
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { basename, dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { backboneNames, getBackbone } from '../../backbones/registry.js';
import { quote, UsageError, WeightsError } from '../../errors.js';
import { resolveWeights } from '../../node/weights-store.js';
import { resolvePath, type CliContext } from '../io.js';

export interface DemoServerOptions {
  /** TCP port on 127.0.0.1; 0 picks a free one. Default 8765. */
  port?: number;
  /** Backbone the page starts with (default `vgg16`). */
  backbone?: string;
  /** Weights to serve: a file (e.g. a relu5_1 .safetensors export) or a MobileNet model.json (with its shards). */
  weights?: string;
  /** More weights to serve beside `weights` (e.g. a second backbone's, for tests and benchmarks); see `extraWeightsUrls`. */
  extraWeights?: readonly string[];
  /** Send COOP/COEP so the page is cross-origin isolated (default true; needed for WebAssembly threads). */
  isolated?: boolean;
  /** Directory of the browser build (default: the package's dist/web). */
  webRoot?: string;
}

export interface DemoServer {
  /** http://127.0.0.1:PORT/ */
  readonly url: string;
  readonly port: number;
  /** URL path of the served weights (model.json for MobileNet), or undefined when none were given. */
  readonly weightsUrl?: string;
  /** URL paths of `extraWeights`, in order. */
  readonly extraWeightsUrls: readonly string[];
  close(): Promise<void>;
}

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.map': 'application/json; charset=utf-8',
};

/** The package's dist/web (from dist/cli/commands/demo.js, or from src/ under tsx after `npm run build`). */
function defaultWebRoot(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  return import.meta.url.endsWith('.ts') ? join(here, '../../../dist/web') : join(here, '../../web');
}

function ortDistDir(): string {
  const require = createRequire(import.meta.url);
  return dirname(require.resolve('onnxruntime-web'));
}

/** Every regular file under `dir` (recursively), keyed by its URL path under `prefix`. */
async function listTree(dir: string, prefix: string, table: Map<string, string>, recursive: boolean): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true });
  for (const e of entries) {
    const abs = join(dir, e.name);
    if (e.isDirectory() && recursive) await listTree(abs, `${prefix}${encodeURIComponent(e.name)}/`, table, true);
    else if (e.isFile()) table.set(`${prefix}${encodeURIComponent(e.name)}`, abs);
  }
}

async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** The weights table: one file, or a TensorFlow.js model.json plus the shards its manifest names (plain names only). */
async function listWeights(weights: string, table: Map<string, string>): Promise<{ url: string; sha256?: string }> {
  let info;
  try {
    info = await stat(weights);
  } catch {
    throw new WeightsError(`weights file ${quote(weights)} does not exist`, {
      code: 'WEIGHTS_NOT_FOUND',
      path: weights,
    });
  }
  if (!info.isFile())
    throw new WeightsError(`weights ${quote(weights)} is not a file`, { code: 'WEIGHTS_NOT_FOUND', path: weights });
  if (basename(weights).toLowerCase().endsWith('.json')) {
    const dir = dirname(weights);
    const prefix = `/weights/${encodeURIComponent(basename(dir))}/`;
    let manifest: { weightsManifest?: { paths?: unknown[] }[] };
    try {
      manifest = JSON.parse(await readFile(weights, 'utf8'));
    } catch (err) {
      throw new WeightsError(`weights ${quote(weights)} is not a TensorFlow.js model.json`, {
        code: 'WEIGHTS_CORRUPT',
        path: weights,
        cause: err,
      });
    }
    table.set(`${prefix}${encodeURIComponent(basename(weights))}`, weights);
    for (const group of manifest.weightsManifest ?? []) {
      for (const p of group.paths ?? []) {
        if (typeof p === 'string' && /^[\w.-]+$/.test(p) && p !== '..' && p !== '.')
          table.set(`${prefix}${encodeURIComponent(p)}`, join(dir, p));
      }
    }
    return { url: `${prefix}${encodeURIComponent(basename(weights))}` };
  }
  const url = `/weights/${encodeURIComponent(basename(weights))}`;
  table.set(url, weights);
  return { url, sha256: await sha256File(weights) };
}

function send(res: ServerResponse, status: number, body: string, type = 'text/plain; charset=utf-8'): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/** Start the demo server on 127.0.0.1. */
export async function startDemoServer(options: DemoServerOptions = {}): Promise<DemoServer> {
  const port = options.port ?? 8765;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new UsageError(`Expected an integer from 0 to 65535 for port but received ${quote(port)}`, {
      code: 'INVALID_OPTION',
      option: 'port',
    });
  }
  const webRoot = options.webRoot ?? defaultWebRoot();
  const table = new Map<string, string>();
  try {
    await listTree(webRoot, '/web/', table, true);
  } catch (err) {
    throw new UsageError(`the browser build is missing (${quote(webRoot)}): run npm run build`, {
      code: 'UNSUPPORTED',
      path: webRoot,
      cause: err,
    });
  }
  const page = table.get('/web/demo/index.html');
  if (!page)
    throw new UsageError(`the demo page is missing from ${quote(webRoot)}: run npm run build`, {
      code: 'UNSUPPORTED',
      path: webRoot,
    });
  table.set('/', page);
  await listTree(ortDistDir(), '/ort/', table, false);
  const weights = options.weights !== undefined ? await listWeights(options.weights, table) : undefined;
  const extra: string[] = [];
  for (const w of options.extraWeights ?? []) extra.push((await listWeights(w, table)).url);
  const config = JSON.stringify({
    backbone: options.backbone ?? 'vgg16',
    weightsUrl: weights?.url ?? null,
    weightsSha256: weights?.sha256 ?? null,
    wasmPaths: '/ort/',
  });
  const isolated = options.isolated ?? true;

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    res.setHeader('x-content-type-options', 'nosniff');
    res.setHeader('cache-control', 'no-cache');
    res.setHeader('cross-origin-resource-policy', 'same-origin');
    if (isolated) {
      res.setHeader('cross-origin-opener-policy', 'same-origin');
      res.setHeader('cross-origin-embedder-policy', 'require-corp');
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      return send(res, 405, 'method not allowed\n');
    }
    // Only the path is looked at; it is compared with the table as sent (percent-encoded), never joined to a directory.
    const path = (req.url ?? '/').split(/[?#]/)[0];
    if (path === '/config.json') return send(res, 200, config, MIME['.json']);
    const file = table.get(path);
    if (!file) return send(res, 404, 'not found\n');
    let size: number;
    try {
      size = (await stat(file)).size;
    } catch {
      return send(res, 404, 'not found\n');
    }
    res.writeHead(200, {
      'content-type': MIME[extname(file).toLowerCase()] ?? 'application/octet-stream',
      'content-length': size,
    });
    if (req.method === 'HEAD') return void res.end();
    const stream = createReadStream(file);
    stream.on('error', () => res.destroy());
    stream.pipe(res);
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) send(res, 500, 'internal error\n');
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        err.code === 'EADDRINUSE'
          ? new UsageError(`port ${port} on 127.0.0.1 is in use`, {
              code: 'INVALID_OPTION',
              option: 'port',
              cause: err,
            })
          : err,
      ),
    );
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const actual = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${actual}/`,
    port: actual,
    weightsUrl: weights?.url,
    extraWeightsUrls: extra,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export function registerDemoCommand(program: Command, { io }: CliContext): void {
  program
    .command('demo')
    .description('serve the browser demo page on http://127.0.0.1 (deepssim/web: WebGPU or WebAssembly)')
    .option('--port <n>', 'port on 127.0.0.1 (0: any free port)', (v) => {
      if (!/^\d+$/.test(v) || Number(v) > 65535)
        throw new UsageError(`--port must be an integer from 0 to 65535, got ${quote(v)}`, { option: 'port' });
      return Number(v);
    })
    .option('--backbone <name>', `backbone the page starts with (${backboneNames().join(', ')})`, 'vgg16')
    .option(
      '--weights <file>',
      'weights to serve: a relu5_1 .safetensors export (vgg16) or a model.json (mobilenet_v1_0.75)',
    )
    .action(async (opts: { port?: number; backbone: string; weights?: string }) => {
      const entry = getBackbone(opts.backbone); // an unknown name is a usage error here, not in the page
      // The weights the library would use (an explicit file or folder, the environment variable, the cache), never
      // downloaded here: without any, the page falls back to the backbone's web default (MobileNet: Google's copy).
      let weights: string | undefined;
      let note = '';
      try {
        const found = await resolveWeights(entry.weights, {
          weights: opts.weights === undefined ? undefined : resolvePath(io, opts.weights),
          download: false,
          env: io.env,
        });
        weights = found.path;
        if (!found.verified) note = ` (not verified: ${found.note ?? 'not the official files'})`;
      } catch (err) {
        if (opts.weights !== undefined || !(err instanceof WeightsError && err.code === 'WEIGHTS_NOT_FOUND')) throw err;
        note = `none found locally; ${entry.weights.declaration.storage === 'tfjs-layers' ? 'the page fetches the official files' : 'pass --weights <relu5_1 .safetensors> (deepssim weights export)'}`;
      }
      const server = await startDemoServer({ port: opts.port, backbone: opts.backbone, weights });
      io.stdout.write(
        `deepssim demo: ${server.url}  (${opts.backbone} weights: ${weights ?? ''}${note}; Ctrl+C stops)\n`,
      );
      // Serve until interrupted (Ctrl+C / SIGTERM), then close and exit 0. A run without interrupts (a test) stops now.
      if (io.onInterrupt) await new Promise<void>((resolve) => io.onInterrupt!(resolve));
      await server.close();
    });
}
