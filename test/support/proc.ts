/** Linux's /proc, read by tests that look for the processes a run leaves behind or for what they show. */
import { existsSync, readdirSync, readFileSync } from 'node:fs';

export const hasProc = existsSync('/proc/self/cmdline');

export interface ProcessView {
  pid: number;
  /** The command line as the process list shows it, one string per argument (empty for a zombie). */
  argv: string[];
  /** Its environment, NAME=value strings (only for processes we may read). */
  env(): string[];
}

/** Every process there is right now. */
export function processes(): ProcessView[] {
  const found: ProcessView[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const argv = readOrEmpty(`/proc/${entry}/cmdline`)
      .split('\0')
      .filter((arg) => arg !== '');
    found.push({ pid: Number(entry), argv, env: () => readOrEmpty(`/proc/${entry}/environ`).split('\0') });
  }
  return found;
}

/** pg_dump or psql processes whose environment points at the server on `port`. */
export function toolProcessesOf(tool: 'pg_dump' | 'psql', port: number): number[] {
  return processes()
    .filter((view) => (view.argv[0]?.endsWith(`/${tool}`) || view.argv[0] === tool) && view.env().includes(`PGPORT=${port}`))
    .map((view) => view.pid);
}

/** What `ps` shows as one process's command line; undefined once it is gone. */
export function commandLineOf(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0+/g, ' ').trim();
  } catch {
    return undefined;
  }
}

function readOrEmpty(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return ''; // gone meanwhile, or not ours to read
  }
}
