/**
 * A pg_dump that ran out of room. pg_dump checks each write of its output,
 * but not the flush of standard output's last buffer when it exits: a disk
 * that fills in that last buffer leaves a file without the dump's end and an
 * exit code of 0. The room left on the disk as pg_dump exited
 * (ToolExit.outputRoom) tells that apart from a dump cut short for another
 * reason, so the backup says what to do: free some space.
 */
import { PulseError } from '../errors';
import { hint, option } from '../hint';
import type { ToolExit } from '../process/toolProcess';

/** Room under this as pg_dump exited: its last buffer (a few KiB; one block at most) did not fit. */
export const FULL_BELOW_BYTES = 1024 * 1024;

/** The backups folder's disk ran out of room; every file of the set was removed again. */
export function diskFullError(folder: string, details: string, what?: string): PulseError {
  return new PulseError('disk-full', `the disk holding ${folder} is full${what === undefined ? '' : `: ${what}`}`, {
    hint: hint`free some space or choose another backups folder with ${option('backupsFolder')}; nothing was written and older backups are untouched`,
    details,
  });
}

/**
 * The error for a pg_dump that ended well (exit 0) yet whose output, written
 * to a file in `folder`, lacks the end of the dump: the disk is full when
 * there was next to no room left as it exited; otherwise `cutShort`.
 */
export function dumpEndMissingError(folder: string, exit: ToolExit, cutShort: () => PulseError): PulseError {
  if (exit.exitCode !== 0 || exit.outputRoom === undefined || exit.outputRoom >= FULL_BELOW_BYTES) return cutShort();
  return diskFullError(
    folder,
    `pg_dump exited 0 with ${exit.outputRoom} bytes left on the disk, its output without the end of the dump`,
    'pg_dump could not write the end of the dump',
  );
}
