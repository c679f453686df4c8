/**
 * The client tools of a backup or restore, started straight through
 * node:child_process: the long-running ones (pg_dump, psql), which sit on
 * the path every backup and restore waits for and need only an environment,
 * three stdio choices and a cancel, and short ones that must answer quickly
 * (a tool's --version, docker's), which get a time limit. A process library
 * would cost its loading time on every run for nothing more. Every child is
 * registered (childProcesses.ts) so that none outlives this process.
 */
import { hint, option } from '../hint';
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import type { Readable, Writable } from 'node:stream';
import { adoptChild } from './childProcesses';
import { PulseError } from '../errors';

export interface ToolExit {
  /** The exit code, or undefined when a signal ended the process or it never started. */
  exitCode: number | undefined;
  /** The signal that ended the process, such as SIGTERM. */
  signal: NodeJS.Signals | undefined;
  /** The process could not be started (no such file, not executable). */
  startError: Error | undefined;
}

export interface ToolOptions {
  /** The child's whole environment: nothing is inherited from this process. */
  env: NodeJS.ProcessEnv;
  stdin: 'ignore' | 'pipe';
  /** 'pipe', nothing, or a file (an existing one, truncated) that receives it. */
  stdout: 'ignore' | 'pipe' | { file: string };
  /** Aborting stops the tool: SIGTERM, then SIGKILL if it is still there after `forceKillAfterMs`. */
  signal?: AbortSignal;
  forceKillAfterMs?: number;
}

export interface ToolProcess {
  readonly child: ChildProcess;
  /** Present when stdin is 'pipe'. */
  readonly stdin: Writable | null;
  /** Present when stdout is 'pipe'. */
  readonly stdout: Readable | null;
  readonly stderr: Readable;
  /** Resolves (never rejects) once the process has ended and its output is read to the end (or a second after its exit). */
  readonly exited: Promise<ToolExit>;
  kill(signal?: NodeJS.Signals): void;
}

const DEFAULT_FORCE_KILL_AFTER_MS = 3000;
/** How long after a tool's exit its output streams may stay open. */
const STREAMS_GRACE_MS = 1000;

export function startTool(file: string, args: readonly string[], options: ToolOptions): ToolProcess {
  const stdoutFd = typeof options.stdout === 'object' ? openSync(options.stdout.file, 'w') : undefined;
  let child: ChildProcess;
  try {
    child = spawn(file, args, {
      env: options.env,
      stdio: [options.stdin, typeof options.stdout === 'object' ? stdoutFd : options.stdout, 'pipe'],
      windowsHide: true,
    });
  } finally {
    // The child holds its own copy of the descriptor.
    if (stdoutFd !== undefined) closeSync(stdoutFd);
  }
  adoptChild(child);
  // A tool that ends while input is still being written makes its stdin
  // fail with EPIPE; the exit code (and the writer's own callback) report
  // that, not an unhandled error event.
  child.stdin?.on('error', () => undefined);

  const forceKillAfterMs = options.forceKillAfterMs ?? DEFAULT_FORCE_KILL_AFTER_MS;
  let ended = false;
  const kill = (signal: NodeJS.Signals = 'SIGTERM') => {
    if (ended) return;
    child.kill(signal);
    if (signal !== 'SIGKILL') {
      setTimeout(() => {
        if (!ended) child.kill('SIGKILL');
      }, forceKillAfterMs).unref();
    }
  };
  const onAbort = () => kill('SIGTERM');
  options.signal?.addEventListener('abort', onAbort, { once: true });
  if (options.signal?.aborted) onAbort();

  const exited = new Promise<ToolExit>((resolve) => {
    let startError: Error | undefined;
    child.once('error', (error) => {
      startError = error;
      // A process that never started emits no 'close' when it has no streams to close.
      if (child.pid === undefined) finish(undefined, undefined);
    });
    child.once('exit', (code, signal) => {
      ended = true;
      // 'close' follows once the output is read to the end; a process the
      // tool left behind could keep its stderr open for much longer, and
      // must not hold up the result.
      setTimeout(() => {
        child.stdout?.destroy();
        child.stderr?.destroy();
        finish(code ?? undefined, signal ?? undefined);
      }, STREAMS_GRACE_MS).unref();
    });
    child.once('close', (code, signal) => finish(code ?? undefined, signal ?? undefined));
    let settled = false;
    function finish(exitCode: number | undefined, signal: NodeJS.Signals | undefined) {
      if (settled) return;
      settled = true;
      ended = true;
      options.signal?.removeEventListener('abort', onAbort);
      resolve({ exitCode, signal, startError });
    }
  });

  return { child, stdin: child.stdin, stdout: child.stdout, stderr: child.stderr!, exited, kill };
}

export interface ShortToolResult extends ToolExit {
  stdout: string;
  stderr: string;
  /** It did not end within the time limit and was killed, with everything it started. */
  timedOut: boolean;
}

/**
 * Runs a tool that should answer at once (`pg_dump --version`, `docker
 * inspect`) and kills it — and anything it started, since it runs in a
 * process group of its own — when it has not ended within `timeoutMs` or
 * `signal` aborts. Its output is not waited for beyond a moment after it
 * ends: a process it left behind cannot hold the answer up.
 */
export function runShortTool(
  file: string,
  args: readonly string[],
  options: { env: NodeJS.ProcessEnv; timeoutMs: number; signal?: AbortSignal; cwd?: string },
): Promise<ShortToolResult> {
  return new Promise((resolve) => {
    let child: ChildProcess;
    try {
      child = spawn(file, args, { env: options.env, cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'], detached: process.platform !== 'win32', windowsHide: true });
    } catch (error) {
      resolve({ exitCode: undefined, signal: undefined, startError: error as Error, stdout: '', stderr: '', timedOut: false });
      return;
    }
    adoptChild(child, { group: process.platform !== 'win32' });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    let timedOut = false;
    let settled = false;
    const killGroup = () => {
      try {
        if (child.pid !== undefined && process.platform !== 'win32') process.kill(-child.pid, 'SIGKILL');
        else child.kill('SIGKILL');
      } catch {
        // ended already
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup();
    }, options.timeoutMs);
    const onAbort = () => killGroup();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    const finish = (exit: ToolExit) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      resolve({ ...exit, stdout, stderr, timedOut });
    };
    child.once('error', (error) => {
      if (child.pid === undefined) finish({ exitCode: undefined, signal: undefined, startError: error });
    });
    child.once('exit', (code, signal) => {
      // What it started may keep the pipes open: end the group, read what came, and answer.
      killGroup();
      setTimeout(() => {
        child.stdout?.destroy();
        child.stderr?.destroy();
        finish({ exitCode: code ?? undefined, signal: signal ?? undefined, startError: undefined });
      }, STREAMS_GRACE_MS).unref();
    });
    child.once('close', (code, signal) => finish({ exitCode: code ?? undefined, signal: signal ?? undefined, startError: undefined }));
  });
}

/** A tool that was found moments ago but could not be started (removed, not executable, out of processes). */
export function toolStartError(error: Error, file: string): PulseError {
  const code = (error as NodeJS.ErrnoException).code;
  const why = code === 'ENOENT' ? 'it is not there' : code === 'EACCES' ? 'it is not executable' : firstLine(error.message);
  return new PulseError('tools-not-found', `could not start ${file}: ${why}`, {
    hint: hint`check the client tools (${option('clientToolsFolder')}, or PATH) and run again`,
    cause: error,
  });
}

function firstLine(text: string): string {
  return text.split('\n', 1)[0] ?? text;
}
