/** Commands beyond score/batch/weights: saliency maps, evaluation harness, robustness suite. */
import type { Command } from 'commander';
import { createMetrics } from '../metrics/registry.js';
import { nodePlatform } from '../node/platform.js';
import { metricOptions } from './options.js';
import { registerEvalCommand } from './commands/eval.js';
import { registerMergeCommand } from './commands/merge.js';
import { registerRobustnessCommand } from './commands/robustness.js';
import { registerSaliencyCommand } from './commands/saliency.js';

export function registerExtraCommands(program: Command): void {
  registerSaliencyCommand(program);
  registerEvalCommand(program);
  registerMergeCommand(program);
  registerRobustnessCommand(program, {
    createMetric: async (name, options) =>
      (await createMetrics([name], { ...metricOptions(options), platform: nodePlatform }))[0],
  });
}
