/** Commands beyond score/batch/weights: saliency maps, evaluation harness, robustness suite. */
import type { Command } from 'commander';
import { registerSaliencyCommand } from './commands/saliency.js';

export function registerExtraCommands(program: Command): void {
  registerSaliencyCommand(program);
}
