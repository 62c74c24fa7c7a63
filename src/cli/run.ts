/**
 * The `deepssim` command line as a function: `run(argv, io)` parses the arguments with a fresh commander program,
 * runs the command in-process and resolves with the exit code — 0 ok, 1 runtime error, 2 usage error, 3 below
 * --fail-below. Everything goes through `io` (streams, environment, working directory); errors are one `error:` line
 * on stderr (`DEEPSSIM_DEBUG=1` adds the stack). The bin (main.ts) runs it with the process's IO; tests run it
 * directly.
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
import { nodeIO, useColor, type CliContext, type CliDeps, type CliIO } from './io.js';

export type { CliContext, CliDeps, CliIO, CliStream } from './io.js';

const { version } = createRequire(import.meta.url)('../../package.json') as { version: string };

/** A fresh program for one run, writing only to the run's streams. */
export function buildProgram(ctx: CliContext): Command {
  const { io } = ctx;
  const program = new Command('deepssim')
    .description('DeepSSIM: geometry-robust deep-feature image quality (higher is better, 1 = identical)')
    .version(version)
    .showSuggestionAfterError()
    .exitOverride()
    .configureOutput({
      writeOut: (str) => void io.stdout.write(str),
      writeErr: (str) => void io.stderr.write(str),
      outputError: (str, write) => write(str.split('\n')[0] + '\n'),
      // commander's own defaults, on the run's streams (undefined: its default width).
      getOutHelpWidth: () => (io.stdout.isTTY ? io.stdout.columns : undefined) as number,
      getErrHelpWidth: () => (io.stderr.isTTY ? io.stderr.columns : undefined) as number,
      getOutHasColors: () => useColor(io, io.stdout),
      getErrHasColors: () => useColor(io, io.stderr),
    });
  registerScoreCommand(program, ctx);
  registerBatchCommand(program, ctx);
  registerDiffCommand(program, ctx);
  registerWeightsCommand(program, ctx);
  registerExtraCommands(program, ctx);
  registerDemoCommand(program, ctx);
  for (const sub of program.commands) sub.exitOverride();
  return program;
}

/**
 * Run one `deepssim` command line (`argv` without the node and script words, e.g. `['score', 'a.png', 'b.png']`)
 * and resolve with its exit code; never throws for anything a user can cause.
 */
export async function run(argv: readonly string[], io: CliIO = nodeIO(), deps: CliDeps = {}): Promise<number> {
  const ctx: CliContext = { io, deps, exitCode: 0 };
  try {
    await buildProgram(ctx).parseAsync([...argv], { from: 'user' });
    return ctx.exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version are not errors; commander already printed everything else.
      return err.exitCode === 0 ? 0 : EXIT_USAGE;
    }
    const message = err instanceof Error ? err.message : String(err);
    const hint = err instanceof DeepSSIMError ? weightsHint(err) : undefined;
    io.stderr.write(`error: ${message.split('\n')[0]}${hint ? `; ${hint}` : ''}\n`);
    if (io.env.DEEPSSIM_DEBUG && err instanceof Error) io.stderr.write(`${err.stack}\n`);
    return err instanceof DeepSSIMError && USAGE_CODES.has(err.code) ? EXIT_USAGE : EXIT_RUNTIME;
  }
}
