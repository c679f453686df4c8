/**
 * Every child this program starts — pg_dump, psql, a tool's `--version`,
 * docker, git, `supabase db reset` — starts here, under one policy:
 *
 * - its environment is exactly the one given (nothing is inherited), its
 *   command line an argv array, never a shell string;
 * - it is registered (childProcesses.ts) while it runs, so that a cancel
 *   that cannot wait, or this process dying outright, takes it along;
 * - a stop (the caller's AbortSignal, or the time limit) sends SIGTERM, then
 *   SIGKILL once `forceKillAfterMs` has passed (default 3 s; 0 for tools that
 *   hold nothing worth a clean end, such as `--version`), to the child or,
 *   for a child in a process group of its own, to everything it started;
 * - the result settles (never rejects) once its output is read to the end,
 *   or a second after its exit: a process it left behind holding a pipe
 *   open cannot hold the answer up;
 * - a child that cannot start settles with `startError`; toolStartError()
 *   words it for the client tools in one line;
 * - a child whose standard output goes to a file settles with the room left
 *   on that file's disk as it exited (`outputRoom`): pg_dump does not check
 *   the last flush of its standard output, so a dump that ran the disk full
 *   in its final buffer exits 0 with the end of the file missing, and only
 *   the room left tells that from a dump cut short for another reason.
 *
 * Why node:child_process and not execa, the project's process library:
 * measured on this machine (Node 20, the esbuild bundle), loading execa
 * costs 13–35 ms and each start about 2 ms more (6 ms instead of 4 ms for
 * /usr/bin/true). Every backup and restore starts two or three `--version`
 * probes and then pg_dump or psql on the path it waits for, and the bench's
 * small-database backup (bench/backupSection.ts) measures exactly that fixed
 * cost against one plain pg_dump. What execa would add beyond that is a
 * time limit and a cancel that reach only the child, not the process group
 * a hung wrapper script leaves behind, and a clean-up on exit that a kill -9
 * skips; the policy above does both, in one place, in about as many lines.
 */
import { hint, option } from '../hint';
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, constants, fstatSync, ftruncateSync, openSync } from 'node:fs';
import { statfs } from 'node:fs/promises';
import { dirname } from 'node:path';
import { EventEmitter } from 'node:events';
import { PassThrough, type Readable, type Writable } from 'node:stream';
import { adoptChild } from './childProcesses';
import { onLines } from './lines';
import { PulseError } from '../errors';

export interface ToolExit {
  /** The exit code, or undefined when a signal ended the process or it never started. */
  exitCode: number | undefined;
  /** The signal that ended the process, such as SIGTERM. */
  signal: NodeJS.Signals | undefined;
  /** The process could not be started (no such file, not executable); `code` says why (ENOENT, EACCES). */
  startError: NodeJS.ErrnoException | undefined;
  /** It did not end within `timeoutMs` and was stopped. */
  timedOut: boolean;
  /** With stdout to a file: the bytes this process could still write on that file's disk as the tool exited (undefined if unknown). */
  outputRoom?: number;
}

export interface StopPolicy {
  /** Stops the child: SIGTERM, then SIGKILL after `forceKillAfterMs`. */
  signal?: AbortSignal;
  /** Stops the child, the same way, when it has not ended by then. */
  timeoutMs?: number;
  forceKillAfterMs?: number;
  /**
   * The child leads a process group of its own, and a stop reaches everything
   * it started. Such a child no longer gets the terminal's Ctrl-C directly:
   * this process's own handling stops it.
   */
  group?: boolean;
}

export interface ToolOptions extends StopPolicy {
  /** The child's whole environment: nothing is inherited from this process. */
  env: NodeJS.ProcessEnv;
  cwd?: string;
  stdin: 'ignore' | 'pipe';
  /**
   * 'pipe', nothing, or a file that receives it: an existing one, empty (the
   * caller creates it, private to its owner), opened without O_TRUNC. A
   * truncation would make ext4 write the file out when the tool closes it
   * (its auto_da_alloc), even one removed right after it has been read.
   */
  stdout: 'ignore' | 'pipe' | { file: string };
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
  /** SIGTERM (then SIGKILL after the grace period), or the signal given. */
  kill(signal?: NodeJS.Signals): void;
}

export const DEFAULT_FORCE_KILL_AFTER_MS = 3000;
/** How long after a tool's exit its output streams may stay open. */
const STREAMS_GRACE_MS = 1000;
const GROUPS = process.platform !== 'win32';

/** The file a tool's output was to go to could not be opened: the tool itself was never the problem. */
class OutputFileError extends Error {
  constructor(
    readonly path: string,
    readonly errorCode: string | undefined,
    cause: unknown,
  ) {
    super(`cannot write its output to ${path}: ${errorCode ?? String(cause)}`, { cause });
    this.name = 'OutputFileError';
  }
}

/** Opens an existing file to write from its start; one that is not empty is truncated (the rare case: see ToolOptions.stdout). */
function openEmptyForWriting(path: string): number {
  let fd: number;
  try {
    fd = openSync(path, constants.O_WRONLY);
  } catch (error) {
    // Not the tool's own ENOENT: its message must not say the tool is missing.
    throw new OutputFileError(path, (error as NodeJS.ErrnoException).code, error);
  }
  try {
    if (fstatSync(fd).size > 0) ftruncateSync(fd, 0);
  } catch (error) {
    closeSync(fd);
    throw error;
  }
  return fd;
}

export function startTool(file: string, args: readonly string[], options: ToolOptions): ToolProcess {
  const group = GROUPS && options.group === true;
  let stdoutFd: number | undefined;
  let child: ChildProcess;
  try {
    // A file that is not there is not created here: it would get the default mode, not the owner-only one its creator gives it.
    stdoutFd = typeof options.stdout === 'object' ? openEmptyForWriting(options.stdout.file) : undefined;
    child = spawn(file, args, {
      env: options.env,
      cwd: options.cwd,
      stdio: [options.stdin, typeof options.stdout === 'object' ? stdoutFd : options.stdout, 'pipe'],
      detached: group,
      windowsHide: true,
    });
  } catch (error) {
    // Node throws rather than emits for some arguments (a bad cwd type, a NUL in argv).
    return notStarted(error instanceof Error ? error : new Error(String(error)));
  } finally {
    // The child holds its own copy of the descriptor.
    if (stdoutFd !== undefined) closeSync(stdoutFd);
  }
  adoptChild(child, { group });
  // A tool that ends while input is still being written makes its stdin
  // fail with EPIPE; the exit code (and the writer's own callback) report
  // that, not an unhandled error event.
  child.stdin?.on('error', () => undefined);

  const forceKillAfterMs = options.forceKillAfterMs ?? DEFAULT_FORCE_KILL_AFTER_MS;
  let ended = false;
  let timedOut = false;
  const send = (signal: NodeJS.Signals) => {
    try {
      if (group && child.pid !== undefined) process.kill(-child.pid, signal);
      else child.kill(signal);
    } catch {
      // ended already
    }
  };
  const kill = (signal: NodeJS.Signals = 'SIGTERM') => {
    if (ended) return;
    if (signal === 'SIGTERM' && forceKillAfterMs <= 0) signal = 'SIGKILL';
    send(signal);
    if (signal !== 'SIGKILL') {
      setTimeout(() => {
        if (!ended) send('SIGKILL');
      }, forceKillAfterMs).unref();
    }
  };
  const onAbort = () => kill('SIGTERM');
  options.signal?.addEventListener('abort', onAbort, { once: true });
  if (options.signal?.aborted) onAbort();
  const timer =
    options.timeoutMs === undefined
      ? undefined
      : setTimeout(() => {
          timedOut = true;
          kill('SIGTERM');
        }, options.timeoutMs);

  const outputFile = typeof options.stdout === 'object' ? options.stdout.file : undefined;
  let outputRoom: Promise<number | undefined> | undefined;
  // Read at once: what this program does next (a file removed) must not make room the tool lacked.
  const measureRoom = () => (outputRoom ??= outputFile === undefined ? Promise.resolve(undefined) : roomOn(dirname(outputFile)));
  const exited = new Promise<ToolExit>((resolve) => {
    let startError: NodeJS.ErrnoException | undefined;
    let settled = false;
    const finish = (exitCode: number | undefined, signal: NodeJS.Signals | undefined) => {
      if (settled) return;
      settled = true;
      ended = true;
      if (timer) clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      void measureRoom().then((room) => resolve({ exitCode, signal, startError, timedOut, ...(room === undefined ? {} : { outputRoom: room }) }));
    };
    child.once('error', (error) => {
      startError = error;
      // A process that never started emits no 'close' when it has no streams to close.
      if (child.pid === undefined) finish(undefined, undefined);
    });
    child.once('exit', (code, signal) => {
      ended = true;
      void measureRoom();
      if (timer) clearTimeout(timer);
      // What a child in a group of its own left behind goes with it.
      if (group) send('SIGKILL');
      // 'close' follows once the output is read to the end; a process the
      // tool left behind could keep its pipes open for much longer, and
      // must not hold up the result.
      setTimeout(() => {
        child.stdout?.destroy();
        child.stderr?.destroy();
        finish(code ?? undefined, signal ?? undefined);
      }, STREAMS_GRACE_MS).unref();
    });
    child.once('close', (code, signal) => finish(code ?? undefined, signal ?? undefined));
  });

  return { child, stdin: child.stdin, stdout: child.stdout, stderr: child.stderr!, exited, kill };
}

/** The bytes this process may still write on the disk holding `folder` (root may use the blocks kept back for it); undefined if unknown. */
export async function roomOn(folder: string): Promise<number | undefined> {
  try {
    const disk = await statfs(folder);
    const blocks = process.getuid?.() === 0 ? disk.bfree : disk.bavail;
    return Number(blocks) * Number(disk.bsize);
  } catch {
    return undefined;
  }
}

function notStarted(startError: NodeJS.ErrnoException): ToolProcess {
  const exited = Promise.resolve<ToolExit>({ exitCode: undefined, signal: undefined, startError, timedOut: false });
  const child = new EventEmitter() as ChildProcess;
  const stderr = new PassThrough();
  stderr.end();
  return { child, stdin: null, stdout: null, stderr, exited, kill: () => undefined };
}

export interface ToolResult extends ToolExit {
  stdout: string;
  stderr: string;
}

export interface RunToolOptions extends StopPolicy {
  env: NodeJS.ProcessEnv;
  cwd?: string;
  /** Written to the tool's stdin, which then ends; without it stdin is closed. */
  input?: string;
  /** Each line the tool prints, stdout and stderr as they come. */
  onLine?: (line: string) => void;
}

/**
 * Runs a tool to its end and gathers what it printed: `--version`, docker,
 * git, `supabase db reset`. It runs in a process group of its own (unless
 * `group: false`), so a stop or its own exit ends whatever it started too.
 */
export async function runTool(file: string, args: readonly string[], options: RunToolOptions): Promise<ToolResult> {
  const tool = startTool(file, args, {
    env: options.env,
    cwd: options.cwd,
    stdin: options.input === undefined ? 'ignore' : 'pipe',
    stdout: 'pipe',
    signal: options.signal,
    timeoutMs: options.timeoutMs,
    forceKillAfterMs: options.forceKillAfterMs,
    group: options.group ?? true,
  });
  let stdout = '';
  let stderr = '';
  const gather = (stream: Readable | null, add: (text: string) => void) => {
    if (!stream) return;
    if (options.onLine) onLines(stream, options.onLine);
    else stream.setEncoding('utf8');
    stream.on('data', (text: string) => add(text));
  };
  gather(tool.stdout, (text) => (stdout += text));
  gather(tool.stderr, (text) => (stderr += text));
  if (options.input !== undefined) tool.stdin?.end(options.input);
  const exit = await tool.exited;
  return { ...exit, stdout, stderr };
}

/** A tool that was found moments ago but could not be started (removed, not executable, out of processes). */
export function toolStartError(error: Error, file: string): PulseError {
  if (error instanceof OutputFileError) return outputFileError(error, file);
  const code = (error as NodeJS.ErrnoException).code;
  const why = code === 'ENOENT' ? 'it is not there' : code === 'EACCES' ? 'it is not executable' : firstLine(error.message);
  return new PulseError('tools-not-found', `could not start ${file}: ${why}`, {
    hint: hint`check the client tools (${option('clientToolsFolder')}, or PATH) and run again`,
    cause: error,
  });
}

/**
 * The tool's output file, created a moment before, could not be opened: the
 * caller made it, so it is gone (something else removes files from that
 * folder) or the folder's permissions changed in between.
 */
function outputFileError(error: OutputFileError, file: string): PulseError {
  const folder = dirname(error.path);
  return error.errorCode === 'ENOENT'
    ? new PulseError('folder-not-writable', `could not start ${file}: its output file ${error.path} was removed as soon as it was created`, {
        hint: `check what else deletes files in ${folder} and run again`,
        cause: error,
      })
    : new PulseError('folder-not-writable', `could not start ${file}: ${error.message}`, {
        hint: `check that ${folder} is writable and run again`,
        cause: error,
      });
}

function firstLine(text: string): string {
  return text.split('\n', 1)[0] ?? text;
}
