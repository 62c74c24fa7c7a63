/**
 * Running the CLI from tests. `runCli` runs a command in-process (src/cli/run.ts through tsx: no dist/ needed, no
 * new process, no reloading of weights and packages) with its own stdout/stderr, environment and working directory,
 * and returns what a spawned process would: exit code, stdout, stderr. `spawnCli` runs the built bin
 * (dist/cli/main.js) in a child process, for the few tests whose subject is the process boundary (shebang, exit
 * status, stream separation, the built worker files).
 */
import { spawn } from 'node:child_process';
import { Readable } from 'node:stream';
import { run, type CliDeps } from '../../src/cli/run.js';
import { CLI, ROOT } from './paths.js';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  /** Environment variables on top of the test process's (as a spawned process would inherit them). */
  env?: NodeJS.ProcessEnv;
  /** Working directory (default: the repository root). */
  cwd?: string;
  /** Text on standard input. */
  input?: string;
  /** Replaceable parts (in-process only): small metrics or decoders. */
  deps?: CliDeps;
  /** Make stderr a pretend terminal (in-process only): progress bars instead of heartbeat lines. */
  stderrTTY?: boolean;
}

/** Run `deepssim <args>` in-process; resolves with exit code and output. */
export async function runCli(args: string[], options: CliOptions = {}): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const code = await run(
    args,
    {
      stdout: { write: (s: string) => (stdout += s), isTTY: false },
      stderr: { write: (s: string) => (stderr += s), isTTY: options.stderrTTY === true, columns: 100 },
      env: { ...process.env, ...options.env },
      cwd: options.cwd ?? ROOT,
      stdin: Readable.from([options.input ?? '']),
    },
    options.deps,
  );
  return { code, stdout, stderr };
}

/** Run the built CLI (dist/cli/main.js) in a child process; resolves with exit code and output. */
export function spawnCli(args: string[], options: Omit<CliOptions, 'deps' | 'stderrTTY'> = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: options.cwd ?? ROOT,
      env: { ...process.env, ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(options.input ?? '');
  });
}
