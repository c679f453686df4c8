/**
 * Errors are values: a one-line message saying what happened and a hint saying
 * what to do. The hint's actions are data (src/core/hint.ts): each front door
 * words them (`formatError` with its words), neither invents its own advice.
 */
import { seeDetails, hint as hintOf, option, toHint, wordHint, type ActionWords, type Hint } from './hint';

export type PulseErrorCode =
  | 'usage'
  | 'connection-refused'
  | 'connection-timeout'
  | 'connection-lost'
  | 'transaction-pooler'
  | 'host-not-found'
  | 'authentication-failed'
  | 'database-not-found'
  | 'permission-denied'
  | 'tools-not-found'
  | 'tools-too-old'
  | 'folder-not-writable'
  | 'folder-not-a-folder'
  | 'disk-full'
  | 'backup-locked'
  | 'lock-wait-timeout'
  | 'unknown-set'
  | 'dump-failed'
  | 'cancelled'
  | 'invalid-manifest'
  | 'verification-failed'
  | 'retention-refused'
  | 'remote-target'
  | 'restore-refused'
  | 'restore-failed'
  | 'confirmation-required'
  | 'offsite-no-credentials'
  | 'offsite-access-denied'
  | 'offsite-bucket-not-found'
  | 'offsite-wrong-region'
  | 'offsite-clock-skew'
  | 'offsite-unreachable'
  | 'offsite-checksum-mismatch'
  | 'offsite-set-not-found'
  | 'offsite-set-conflict'
  | 'offsite-failed'
  | 'offsite-not-configured'
  | 'invalid-key'
  | 'key-missing'
  | 'wrong-key'
  | 'stored-file-damaged'
  | 'internal';

export class PulseError extends Error {
  readonly code: PulseErrorCode;
  /** What to do, its actions as data; a front door words it (`formatError`). */
  readonly hint: Hint | undefined;
  /** Extra lines for a log (never shown as the one-line message). */
  readonly details: string | undefined;
  /** An exit code of its own, where a command's codes say more (guard: 125 when its command never ran). */
  private readonly ownExitCode: number | undefined;

  constructor(code: PulseErrorCode, message: string, options: { hint?: string | Hint; details?: string; cause?: unknown; exitCode?: number } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'PulseError';
    this.code = code;
    this.hint = toHint(options.hint);
    this.details = options.details;
    this.ownExitCode = options.exitCode;
  }

  /** Process exit code: its own when it has one, else 2 for a usage error, 130 when cancelled, 1 otherwise. */
  get exitCode(): number {
    if (this.ownExitCode !== undefined) return this.ownExitCode;
    if (this.code === 'usage') return 2;
    if (this.code === 'cancelled') return 130;
    return 1;
  }
}

export function isPulseError(value: unknown): value is PulseError {
  return value instanceof PulseError;
}

/** The single line a person sees: "message: hint" (no stack, no newlines), the hint in a front door's words. */
export function formatError(error: unknown, words: ActionWords): string {
  const pulse = toPulseError(error);
  const advice = pulse.hint === undefined ? '' : wordHint(pulse.hint, words);
  const line = advice ? `${pulse.message}: ${advice}` : pulse.message;
  return line.replace(/\s*\n\s*/g, ' ');
}

/** Wraps anything thrown into a PulseError, keeping PulseErrors as they are. */
export function toPulseError(error: unknown): PulseError {
  if (error instanceof PulseError) return error;
  const nodeError = error as (NodeJS.ErrnoException & { dest?: string }) | undefined;
  if (nodeError && typeof nodeError === 'object' && typeof nodeError.code === 'string') {
    // symlink(target, path) and link(existing, path) fail on their second path, which Node keeps as dest.
    const where = (nodeError.syscall === 'symlink' || nodeError.syscall === 'link') && nodeError.dest ? nodeError.dest : nodeError.path;
    const path = where ? ` (${where})` : '';
    switch (nodeError.code) {
      case 'ENOSPC':
        return new PulseError('disk-full', `the disk is full${path}`, {
          hint: hintOf`free some space or choose another backups folder with ${option('backupsFolder')}`,
          cause: error,
        });
      case 'EROFS':
        return new PulseError('folder-not-writable', `the file system is read-only${path}`, {
          hint: hintOf`choose a backups folder on a disk you can write to with ${option('backupsFolder')}`,
          cause: error,
        });
      case 'EACCES':
      case 'EPERM':
        return new PulseError('folder-not-writable', `permission denied${path}`, {
          hint: hintOf`choose a folder you can write to with ${option('backupsFolder')}, or fix its permissions`,
          cause: error,
        });
      case 'EISDIR':
        // A folder where one of the tool's files belongs (a set's history, a pin marker): not the tool's to remove.
        return new PulseError('folder-not-writable', `a folder is where a file belongs${nodeError.syscall === 'rename' && nodeError.dest ? ` (${nodeError.dest})` : path}`, {
          hint: 'remove or rename that folder if nothing of yours is in it, then run again',
          cause: error,
        });
      case 'ENOTDIR':
        return new PulseError('folder-not-a-folder', `not a folder${path}`, {
          hint: hintOf`point ${option('backupsFolder')} at a folder, not a file`,
          cause: error,
        });
    }
  }
  const message = error instanceof Error ? error.message : String(error);
  const lost = lostSessionReason(error, message);
  if (lost !== undefined) {
    return new PulseError('connection-lost', `the database server ended the session, or the connection to it broke (${lost})`, {
      hint: 'check that the server runs (its log says why the session ended), then run again',
      details: error instanceof Error ? error.stack : undefined,
      cause: error,
    });
  }
  return new PulseError('internal', `unexpected error: ${firstLine(message)}`, {
    hint: hintOf`${seeDetails()} and report it`,
    details: error instanceof Error ? error.stack : undefined,
    cause: error,
  });
}

/**
 * A file the user asked for could not be written (or removed): what it was
 * and why, the folder named, and what to do — `then` says what to do after
 * and what did not change. The backups folder's own generic advice
 * (toPulseError) would send someone who pins a set to another folder.
 */
export function failedWrite(what: string, folder: string, error: unknown, then: string | Hint): PulseError {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const after = toHint(then)!;
  switch (code) {
    case 'ENOSPC':
    case 'EDQUOT':
      return new PulseError('disk-full', `cannot ${what}: the disk holding ${folder} is ${code === 'EDQUOT' ? 'over its quota' : 'full'}`, {
        hint: hintOf`free some space, ${after}`,
        cause: error,
      });
    case 'EROFS':
      return new PulseError('folder-not-writable', `cannot ${what}: ${folder} is on a read-only file system`, { hint: hintOf`mount it writable, ${after}`, cause: error });
    case 'EACCES':
    case 'EPERM':
      return new PulseError('folder-not-writable', `cannot ${what}: permission denied in ${folder}`, {
        hint: hintOf`run as the user who may write there, or fix its permissions, ${after}`,
        cause: error,
      });
    default:
      return toPulseError(error);
  }
}

/** A local file system's refusal to write (full, over quota, read-only, not allowed): the disk's, never a remote's. */
export function isLocalWriteFailure(error: unknown): boolean {
  const failure = error as NodeJS.ErrnoException | undefined;
  return typeof failure?.syscall === 'string' && ['ENOSPC', 'EDQUOT', 'EROFS', 'EACCES', 'EPERM'].includes(failure.code ?? '');
}

/**
 * A session of the pg driver that the server ended or that broke under way
 * (a restart, pg_terminate_backend, a timeout the tool did not switch off):
 * the driver's words, or the server's when they came as an error.
 */
function lostSessionReason(error: unknown, message: string): string | undefined {
  // SQLSTATE class 57P (operator intervention) and 25P03 (idle-in-transaction timeout) end the session.
  const state = (error as { code?: unknown } | undefined)?.code;
  if (typeof state === 'string' && /^(57P0[1-5]|25P03)$/.test(state)) return firstLine(message);
  if (/^(Client has encountered a connection error and is not queryable|Connection terminated( unexpectedly)?)$/.test(firstLine(message))) return firstLine(message);
  return undefined;
}

function firstLine(text: string): string {
  return text.split('\n', 1)[0] ?? '';
}
