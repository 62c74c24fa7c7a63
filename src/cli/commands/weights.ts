import type { Command } from 'commander';
import { cacheInfo, importWeights, resolveVgg16WeightsDetailed } from '../../weights/cache.js';

function mb(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

export function registerWeightsCommand(program: Command): void {
  const weights = program.command('weights').description('obtain, import and inspect the VGG16 weights cache');

  weights
    .command('fetch')
    .description('download the official torchvision VGG16 file (SHA-256 verified) and cache conv1_1…conv5_1')
    .action(async () => {
      const r = await resolveVgg16WeightsDetailed({ log: (m) => process.stderr.write(`${m}\n`) });
      process.stdout.write(`${r.path}\n`);
    });

  weights
    .command('import')
    .description('import a local VGG16 weights file (.pth legacy or zip, .safetensors) into the cache')
    .argument('<file>', 'weights file, e.g. vgg16-397923af.pth')
    .action(async (file: string) => {
      const r = await importWeights(file, { log: (m) => process.stderr.write(`${m}\n`) });
      process.stdout.write(`${r.path} (${r.tensors} tensors from ${r.format}, ${mb(r.bytes)})\n`);
    });

  weights
    .command('info')
    .description('show the cache directory and what is cached')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const info = await cacheInfo();
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(info)}\n`);
        return;
      }
      const lines = [`cache directory: ${info.dir}${info.exists ? '' : ' (not created yet)'}`];
      lines.push(info.vgg16 ? `vgg16: ${info.vgg16.path} (${mb(info.vgg16.bytes)})` : 'vgg16: not cached (run `deepssim weights fetch` or `deepssim weights import <file>`)');
      for (const f of info.files) if (f.path !== info.vgg16?.path) lines.push(`other: ${f.path} (${mb(f.bytes)})`);
      if (process.env.DEEPSSIM_WEIGHTS) lines.push(`DEEPSSIM_WEIGHTS=${process.env.DEEPSSIM_WEIGHTS} (takes precedence over the cache)`);
      process.stdout.write(`${lines.join('\n')}\n`);
    });
}
