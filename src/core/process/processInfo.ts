/**
 * Whether a process still runs, and when it started: what the folder lock
 * and the clean-up of dead runs' files go by.
 */
import { readFileSync } from 'node:fs';

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it runs, as another user.
    return (error as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

/**
 * When a process started, where the platform says so (Linux: field 22 of
 * /proc/PID/stat, clock ticks since boot); undefined elsewhere. With the
 * pid, it tells the process apart from a later one that got the same pid.
 */
export function processStartOf(pid: number): string | undefined {
  if (process.platform !== 'linux') return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces or parentheses itself.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19];
  } catch {
    return undefined;
  }
}
