/** Commands beyond score/batch/weights: saliency maps, evaluation harness, robustness suite. */
import type { Command } from 'commander';
import { createMetrics } from '../metrics/registry.js';
import { registerEvalCommand } from './commands/eval.js';
import { registerRobustnessCommand } from './commands/robustness.js';
import { registerSaliencyCommand } from './commands/saliency.js';

export function registerExtraCommands(program: Command): void {
  registerSaliencyCommand(program);
  registerEvalCommand(program);
  registerRobustnessCommand(program, {
    createMetric: async (name, options) => (await createMetrics([name], { ...options }))[0],
  });
}
