/** Runs the built command-line tool (dist/cli.js) as a user would, and captures what it says. */
import { loadExeca } from '../../src/core/execa';
import { resolve } from 'node:path';

export const REPO_ROOT = resolve(__dirname, '..', '..');
export const CLI_PATH = resolve(REPO_ROOT, 'dist', 'cli.js');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  durationMs: number;
}

export async function runCli(
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {},
): Promise<CliResult> {
  const started = performance.now();
  const execa = await loadExeca();
  const result = await execa(process.execPath, [CLI_PATH, ...args], {
    env: { ...cleanEnv(), ...options.env },
    extendEnv: false,
    cwd: options.cwd ?? REPO_ROOT,
    reject: false,
    timeout: options.timeoutMs ?? 120_000,
    stdin: 'ignore',
  });
  return {
    code: result.exitCode ?? -1,
    stdout: result.stdout,
    stderr: result.stderr,
    durationMs: performance.now() - started,
  };
}

/** The test runner's environment without anything that would pick a database for the CLI. */
export function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^PG|^DATABASE_URL$|^PULSE_BACKUP_/.test(key)) continue;
    env[key] = value;
  }
  return env;
}
