#!/usr/bin/env node
/**
 * The `deepssim` command line: a thin layer over the library. Exit codes: 0 ok, 1 runtime error, 2 usage error,
 * 3 score below --fail-below. Errors are one line on stderr (`DEEPSSIM_DEBUG=1` adds the stack).
 */
import { Command, CommanderError } from 'commander';
import { createRequire } from 'node:module';
import { DeepSSIMError, USAGE_CODES } from '../errors.js';
import { registerBatchCommand } from './commands/batch.js';
import { registerDemoCommand } from './commands/demo.js';
import { registerDiffCommand } from './commands/diff.js';
import { registerScoreCommand } from './commands/score.js';
import { registerWeightsCommand, weightsHint } from './commands/weights.js';
import { registerExtraCommands } from './extra-commands.js';
import { EXIT_RUNTIME, EXIT_USAGE } from './exit-codes.js';

const { version } = createRequire(import.meta.url)('../../package.json') as { version: string };

export function buildProgram(): Command {
  const program = new Command('deepssim')
    .description('DeepSSIM: geometry-robust deep-feature image quality (higher is better, 1 = identical)')
    .version(version)
    .showSuggestionAfterError()
    .exitOverride()
    .configureOutput({ outputError: (str, write) => write(str.split('\n')[0] + '\n') });
  registerScoreCommand(program);
  registerBatchCommand(program);
  registerDiffCommand(program);
  registerWeightsCommand(program);
  registerExtraCommands(program);
  registerDemoCommand(program);
  for (const sub of program.commands) sub.exitOverride();
  return program;
}

export async function main(argv: string[] = process.argv): Promise<number> {
  try {
    await buildProgram().parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version are not errors; commander already printed everything else.
      return err.exitCode === 0 ? 0 : EXIT_USAGE;
    }
    const message = err instanceof Error ? err.message : String(err);
    const hint = err instanceof DeepSSIMError ? weightsHint(err) : undefined;
    process.stderr.write(`error: ${message.split('\n')[0]}${hint ? `; ${hint}` : ''}\n`);
    if (process.env.DEEPSSIM_DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
    return err instanceof DeepSSIMError && USAGE_CODES.has(err.code) ? EXIT_USAGE : EXIT_RUNTIME;
  }
}

process.exitCode = await main();
