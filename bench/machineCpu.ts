/**
 * The whole machine's busy CPU time while a command runs, from Linux's
 * /proc/stat: user, nice, system, irq and softirq time of every core (steal,
 * time the hypervisor gave to other guests, is not this machine's work).
 * It counts the command and everything it makes busy (pg_dump, the server's
 * backends, the kernel writing the page cache), which a child's rusage does
 * not: the server is another process tree. On a machine with few cores this
 * says whether a parallel run is short of CPU (its busy core-seconds near
 * cores × seconds) and what each run costs in all, whatever the wall time.
 * Anything else running on the machine counts too, as it does for the time.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

let ticksPerSecond: number | undefined;

/** Busy clock ticks of all cores so far, or undefined where /proc/stat is not there. */
export function busyTicks(): number | undefined {
  let text: string;
  try {
    text = readFileSync('/proc/stat', 'utf8');
  } catch {
    return undefined;
  }
  const fields = /^cpu\s+(.*)$/m.exec(text)?.[1].trim().split(/\s+/).map(Number);
  if (!fields || fields.length < 7 || fields.some((value) => !Number.isFinite(value))) return undefined;
  const [user, nice, system, , , irq, softirq] = fields;
  return user + nice + system + irq + softirq;
}

/** Ticks as seconds: /proc/stat counts in USER_HZ (getconf CLK_TCK, 100 on Linux). */
export function ticksToSeconds(ticks: number): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticks / ticksPerSecond;
}
