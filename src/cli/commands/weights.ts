import type { Command } from 'commander';
import { backboneNames, getBackbone } from '../../backbones/registry.js';
import { DeepSSIMError } from '../../errors.js';
import { cacheInfo, exportWeights, fetchWeights, importWeights } from '../../node/weights-api.js';
import { resolvePath, type CliContext } from '../io.js';
import { downloadRenderer } from '../progress.js';

function mb(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

/**
 * One warning line for weights that are not the genuine published files (printed by every command that scores).
 */
export function unverifiedWarning(source: string, note: string | undefined): string {
  return `warning: the weights ${source} are not verified${note ? ` (${note})` : ''}; scores are not the published metric's\n`;
}

/** The backbone whose weights storage matches a given storage, for a "did you mean --backbone …" hint. */
function backboneFor(storage: unknown): string | undefined {
  return backboneNames().find((n) => getBackbone(n).weights.declaration.storage === storage);
}

/** CLI hints for weights errors (the library's messages never name command-line flags). */
export function weightsHint(err: DeepSSIMError): string | undefined {
  const d = err.details;
  switch (err.code) {
    case 'WEIGHTS_WRONG_MODEL': {
      const other = d.storage !== undefined ? backboneFor(d.storage) : undefined;
      return other && other !== d.backbone ? `did you mean --backbone ${other}?` : undefined;
    }
    case 'WEIGHTS_NOT_FOUND':
    case 'WEIGHTS_DOWNLOAD_FAILED':
      if (d.url === undefined && d.backbone === undefined) return undefined;
      return 'download the official files yourself and pass --weights <file> (or set the environment variable), or run `deepssim weights import <file>`';
    case 'WEIGHTS_HASH_MISMATCH':
      return d.url === undefined
        ? 'run `deepssim weights info` to see the cache, then `deepssim weights fetch` (or import) to replace it'
        : undefined;
    default:
      return undefined;
  }
}

const backboneOption = (): string => `backbone whose weights to use: ${backboneNames().join(', ')} (default vgg16)`;

export function registerWeightsCommand(program: Command, { io }: CliContext): void {
  const { env } = io;
  const weights = program.command('weights').description('obtain, import, export and inspect the weights cache');

  weights
    .command('fetch')
    .description(
      'download the official weights of a backbone (SHA-256 verified) into the cache, or check the cached copy',
    )
    .option('--backbone <name>', backboneOption(), 'vgg16')
    .action(async (opts: { backbone: string }) => {
      const progress = downloadRenderer(io.stderr);
      try {
        const r = await fetchWeights({
          backbone: opts.backbone,
          env,
          log: (m) => void io.stderr.write(`${m}\n`),
          onProgress: progress.onProgress,
        });
        io.stdout.write(`${r.path}\n`);
      } finally {
        progress.end();
      }
    });

  weights
    .command('import')
    .description(
      'import local weights into the cache (.pth/.safetensors for vgg16; a model.json or its folder for mobilenet)',
    )
    .argument('<file>', 'weights file or TensorFlow.js model folder, e.g. vgg16-397923af.pth')
    .option('--backbone <name>', `${backboneOption()}; a TensorFlow.js model selects the backbone that reads it`)
    .action(async (file: string, opts: { backbone?: string }) => {
      const path = resolvePath(io, file);
      const backbone = opts.backbone ?? (await guessBackbone(path));
      const r = await importWeights(path, { backbone, env });
      if (!r.verified) {
        io.stderr.write(
          `warning: ${file} is not the official ${backbone} weights file (${r.note ?? 'hash differs'}); cached as unverified, and runs that use it will say so\n`,
        );
      }
      io.stdout.write(`${r.path} (${backbone}, ${r.verified ? 'verified' : 'unverified'}, ${mb(r.bytes)})\n`);
    });

  weights
    .command('export')
    .description(
      'write the canonical relu5_1 subset of the weights as safetensors (deterministic bytes, for hosting, e.g. on the web)',
    )
    .requiredOption('-o, --out <file>', 'output .safetensors file (written atomically)')
    .option('--backbone <name>', backboneOption(), 'vgg16')
    .option(
      '--weights <file>',
      'source weights file (default: as for scoring: $DEEPSSIM_WEIGHTS, the cache, a download)',
    )
    .option('--no-download', 'never download weights')
    .action(async (opts: { out: string; backbone: string; weights?: string; download?: boolean }) => {
      const progress = downloadRenderer(io.stderr);
      let r;
      try {
        r = await exportWeights(resolvePath(io, opts.out), {
          backbone: opts.backbone,
          weights: opts.weights === undefined ? undefined : resolvePath(io, opts.weights),
          download: opts.download,
          env,
          onProgress: progress.onProgress,
        });
      } finally {
        progress.end();
      }
      io.stdout.write(`${r.path} ${mb(r.bytes)} sha256 ${r.sha256}\n`);
      if (r.matchesPinned)
        io.stderr.write('this is the canonical export of the official weights (SHA-256 matches the pinned value)\n');
      else if (r.source.verified)
        io.stderr.write(
          'made from the verified official weights: this SHA-256 is the canonical export hash (see docs/weights.md to pin it)\n',
        );
      else io.stderr.write(unverifiedWarning(r.source.path, r.source.note));
    });

  weights
    .command('info')
    .description('show the cache directory and what is cached for every backbone (with integrity checks)')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const info = await cacheInfo(undefined, { env });
      if (opts.json) {
        io.stdout.write(`${JSON.stringify(info)}\n`);
        return;
      }
      const lines = [`cache directory: ${info.dir}${info.exists ? '' : ' (not created yet)'}`];
      for (const name of backboneNames()) {
        const mine = info.entries.filter((e) => e.backbone === name);
        if (mine.length === 0)
          lines.push(
            `${name}: not cached (run \`deepssim weights fetch --backbone ${name}\` or \`deepssim weights import <file>\`)`,
          );
        for (const e of mine) {
          const state =
            e.integrity === 'ok'
              ? e.verified
                ? 'verified'
                : `unverified${e.note ? `: ${e.note}` : ''}`
              : `INTEGRITY CHECK FAILED: ${e.integrity}`;
          lines.push(
            `${name}: ${e.path} (${mb(e.bytes)}, ${e.kind}, ${state})${e.sha256 ? ` sha256 ${e.sha256}` : ''}`,
          );
        }
        const variable = getBackbone(name).weights.declaration.envVar;
        if (io.env[variable]) lines.push(`${name}: ${variable}=${io.env[variable]} (takes precedence over the cache)`);
      }
      io.stdout.write(`${lines.join('\n')}\n`);
    });
}

/** For `weights import` without --backbone: a TensorFlow.js model (file or folder) means the backbone reading those. */
async function guessBackbone(file: string): Promise<string> {
  const { stat, open } = await import('node:fs/promises');
  const st = await stat(file).catch(() => undefined);
  let json = st?.isDirectory() === true;
  if (st?.isFile()) {
    const fh = await open(file, 'r');
    try {
      const b = Buffer.alloc(1);
      await fh.read(b, 0, 1, 0);
      json = b[0] === 0x7b;
    } finally {
      await fh.close();
    }
  }
  return (json ? backboneFor('tfjs-layers') : undefined) ?? 'vgg16';
}
