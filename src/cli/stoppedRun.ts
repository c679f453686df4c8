/** What a command stopped at once (a second Ctrl-C, or a clean-up that did not end in time) leaves behind. */
import { SCRATCH_PREFIX } from '../core/prove/scratchDatabase';

/** What a run stopped before its clean-up may leave, and what takes it away. */
export function leftBehind(commandLine: { command: string; flags: { jobs?: number; prove?: boolean } }): string {
  const files = 'any hidden partial files it left are removed by the next backup, restore or prune in that folder';
  if (commandLine.command === 'restore' && (commandLine.flags.jobs ?? 1) > 1) {
    return `a restore with --jobs commits as it goes, so what it had created stays in the target: drop that database and create it again before restoring into it; ${files}`;
  }
  if (commandLine.command === 'restore') return `the server rolls back psql's transaction when psql is gone, unless it had committed (then the restore is whole); ${files}`;
  if (commandLine.command === 'prove' || commandLine.flags.prove)
    return `scratch databases it made (${SCRATCH_PREFIX}…) may be left on the server: the next proof drops them; ${files}`;
  return files;
}
