/** Commands beyond score/batch/weights: saliency maps, evaluation harness, robustness suite. */
import type { Command } from 'commander';
import type { CliContext } from './io.js';
import { registerEvalCommand } from './commands/eval.js';
import { registerMergeCommand } from './commands/merge.js';
import { registerRobustnessCommand } from './commands/robustness.js';
import { registerSaliencyCommand } from './commands/saliency.js';

export function registerExtraCommands(program: Command, ctx: CliContext): void {
  registerSaliencyCommand(program, ctx);
  registerEvalCommand(program, ctx);
  registerMergeCommand(program, ctx);
  registerRobustnessCommand(program, ctx);
}
