/**
 * What a command makes the disk write: the sectors the block device under a
 * folder reports written (/proc/diskstats), with everything flushed (`sync`)
 * before the run and again after it, before its clean-up removes anything.
 * A file written and removed before the kernel wrote it out costs no disk
 * write at all; one the kernel was made to write out (a flush, or ext4
 * writing a truncated file out when it is closed) does. Linux only; the
 * whole machine's writes count, so it is measured apart from the timed
 * rounds, one command at a time.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import type { TimedCommand } from './alternating';

const SECTOR_BYTES = 512;

/** The /proc/diskstats line of the device a folder is on, or why there is none (tmpfs, overlay, not Linux). */
export function diskOf(folder: string): { name: string; major: number; minor: number } | { unavailable: string } {
  if (process.platform !== 'linux') return { unavailable: 'disk writes are read from /proc/diskstats, on Linux only' };
  const dev = statSync(folder).dev;
  // Linux's dev_t: major in bits 8–19 (and 32+), minor in bits 0–7 and 20–31.
  const major = Number((BigInt(dev) >> 8n) & 0xfffn);
  const minor = Number((BigInt(dev) & 0xffn) | ((BigInt(dev) >> 12n) & 0xfff00n));
  const line = readFileSync('/proc/diskstats', 'utf8')
    .split('\n')
    .map((text) => text.trim().split(/\s+/))
    .find((fields) => Number(fields[0]) === major && Number(fields[1]) === minor);
  return line ? { name: line[2], major, minor } : { unavailable: `${folder} is on no block device (${major}:${minor} is not in /proc/diskstats)` };
}

function sectorsWritten(disk: { major: number; minor: number }): number {
  const fields = readFileSync('/proc/diskstats', 'utf8')
    .split('\n')
    .map((text) => text.trim().split(/\s+/))
    .find((candidate) => Number(candidate[0]) === disk.major && Number(candidate[1]) === disk.minor);
  if (!fields) throw new Error(`device ${disk.major}:${disk.minor} left /proc/diskstats`);
  // Field 10 (the 7th after the name): sectors written.
  return Number(fields[9]);
}

/** Bytes the disk wrote for one run of the command, flushed before and after. */
export async function diskBytesWritten(command: TimedCommand, disk: { major: number; minor: number }): Promise<number> {
  execFileSync('sync');
  const before = sectorsWritten(disk);
  let after = before;
  await command.runOnce({
    beforeCleanUp: () => {
      execFileSync('sync');
      after = sectorsWritten(disk);
      return Promise.resolve();
    },
  });
  return (after - before) * SECTOR_BYTES;
}
