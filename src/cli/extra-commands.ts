/** Commands contributed by the evaluation and saliency modules. */
import type { Command } from 'commander';

export function registerExtraCommands(_program: Command): void {}
