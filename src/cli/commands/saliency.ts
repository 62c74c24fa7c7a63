import { extname } from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../../errors.js';
import { decodeImage, encodeGrayPng } from '../../node/decode.js';
import { gbvs, quantizeSaliency, saliencyToMask } from '../../saliency/gbvs.js';
import { writeFileAtomic } from '../../node/atomic-write.js';
import { resolvePath, type CliContext } from '../io.js';
import { parseNumber } from '../options.js';

export function registerSaliencyCommand(program: Command, { io }: CliContext): void {
  program
    .command('saliency')
    .description('write the GBVS saliency map of an image (what the saliency-calibrated variant attends to)')
    .argument('<image>', 'input image')
    .requiredOption('-o, --out <map.png>', 'output PNG (8-bit gray, as the authors save their maps)')
    .option('--mask', 'write the binary mask the metric uses (0/255) instead of the map')
    .option(
      '--threshold <t>',
      'binarisation threshold for --mask, in [0, 1) (default 0: nonzero after 8-bit quantisation)',
      parseNumber('--threshold', (v) => v >= 0 && v < 1, 'a number in [0, 1)'),
    )
    .action(async (image: string, opts: { out: string; mask?: boolean; threshold?: number }) => {
      if (extname(opts.out).toLowerCase() !== '.png')
        throw new UsageError(`--out must be a .png file, got ${opts.out}`);
      const img = await decodeImage(resolvePath(io, image));
      const map = gbvs(img);
      const pixels = opts.mask ? saliencyToMask(map, opts.threshold ?? 0).map((v) => v * 255) : quantizeSaliency(map);
      const png = await encodeGrayPng(Uint8Array.from(pixels), map.width, map.height);
      await writeFileAtomic(resolvePath(io, opts.out), png);
    });
}
