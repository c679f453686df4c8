/** Runs the built command-line tool (dist/cli.js) as a user would, and captures what it says. */
import { chmodSync, copyFileSync, mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { ResultPromise } from 'execa';
import { loadExeca } from './execa';
import { firstClosedFolder } from './paths';

export const REPO_ROOT = resolve(__dirname, '..', '..');
export const CLI_PATH = resolve(REPO_ROOT, 'dist', 'cli.js');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  durationMs: number;
}

export interface CliOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  timeoutMs?: number;
  /** Run as another operating-system user (tests that need permissions root would ignore). */
  uid?: number;
  gid?: number;
}

export async function runCli(args: readonly string[], options: CliOptions = {}): Promise<CliResult> {
  const started = performance.now();
  const result = await (await startCli(args, options)).subprocess;
  return {
    code: result.exitCode ?? -1,
    stdout: String(result.stdout),
    stderr: String(result.stderr),
    durationMs: performance.now() - started,
  };
}

/**
 * Starts the CLI without waiting, for tests that signal it or race it. The
 * subprocess is wrapped: awaiting it directly would wait for it to end.
 */
export async function startCli(args: readonly string[], options: CliOptions = {}): Promise<{ subprocess: ResultPromise<{ reject: false; stdin: 'ignore' }> }> {
  const execa = await loadExeca();
  const cli = options.uid === undefined ? CLI_PATH : cliReachableByOthers();
  const subprocess = execa(process.execPath, [cli, ...args], {
    env: { ...cleanEnv(), ...options.env },
    extendEnv: false,
    cwd: options.cwd ?? REPO_ROOT,
    reject: false,
    timeout: options.timeoutMs ?? 120_000,
    stdin: 'ignore',
    uid: options.uid,
    gid: options.gid,
  });
  return { subprocess };
}

let copiedCli: string | undefined;

/**
 * The CLI as another user can run it. In a clone inside a private folder
 * (under /root, mode 0700) that user cannot reach dist/: the two bundles,
 * which need nothing else, are copied once into the temp folder.
 */
function cliReachableByOthers(): string {
  if (!firstClosedFolder(dirname(CLI_PATH))) return CLI_PATH;
  if (!copiedCli) {
    const folder = mkdtempSync(join(realpathSync(tmpdir()), 'pulse-backup-cli-'));
    chmodSync(folder, 0o755);
    for (const name of ['cli.js', 'cli-main.js', 'offsite-sdk.js']) copyFileSync(join(dirname(CLI_PATH), name), join(folder, name));
    process.once('exit', () => rmSync(folder, { recursive: true, force: true }));
    copiedCli = join(folder, 'cli.js');
  }
  return copiedCli;
}

/** The test runner's environment without anything that would pick a database (or storage credentials) for the CLI. */
export function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^PG|^DATABASE_URL$|^PULSE_BACKUP_|^AWS_/.test(key)) continue;
    env[key] = value;
  }
  return env;
}

/** The one-line error contract: a single line, no stack trace. */
export function assertOneLineError(result: CliResult, expectedCode = 1): void {
  const lines = result.stderr.trim().split('\n');
  if (result.code !== expectedCode) {
    // What the run said on stdout tells what it did instead (a restore that went through prints what it restored).
    throw new Error(`expected exit code ${expectedCode}, got ${result.code}; stderr: ${result.stderr}; stdout: ${result.stdout.slice(0, 4000)}`);
  }
  if (lines.length !== 1 || /\n\s+at /.test(result.stderr) || !result.stderr.startsWith('pulse-backup: ')) {
    throw new Error(`expected one line on stderr, got:\n${result.stderr}`);
  }
}
