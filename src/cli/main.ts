#!/usr/bin/env node
/**
 * The `deepssim` bin: runs the command line (src/cli/run.ts) with the process's streams, environment and signals.
 * Exit codes: 0 ok, 1 runtime error, 2 usage error, 3 score below --fail-below.
 */
import { nodeIO } from './io.js';
import { run } from './run.js';

process.exitCode = await run(process.argv.slice(2), nodeIO());
