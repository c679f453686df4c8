/** Waiting on conditions and finding the client tools a test started, by their environment (Linux /proc). */
import { readdirSync, readFileSync } from 'node:fs';

export async function waitFor(condition: () => Promise<boolean> | boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** psql processes of a restore (ON_ERROR_STOP on their command line) whose environment points at this server's port. */
export function psqlPids(port: number): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const command = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (!command.includes('psql') || !command.includes('ON_ERROR_STOP')) continue;
      if (readFileSync(`/proc/${entry}/environ`, 'utf8').split('\0').includes(`PGPORT=${port}`)) pids.push(Number(entry));
    } catch {
      // gone already
    }
  }
  return pids;
}
