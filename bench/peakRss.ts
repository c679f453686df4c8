/**
 * Peak resident memory of a child process. GNU time reads it from the kernel
 * when the child is reaped, so nothing is missed; its figure is the largest
 * process of the tree it waited for (for the CLI: node, or the pg_dump node
 * runs, whichever peaked higher). Without GNU time we poll the child's own
 * high-water mark (VmHWM) in /proc; the growth in the last poll interval
 * before exit can go unseen.
 */
import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Measurement } from './alternating';
import { runTool, type FinishedProcess, type ToolRun } from './processes';

export type PeakRssMethod = 'GNU time' | '/proc VmHWM' | 'unavailable';

const GNU_TIME = '/usr/bin/time';
const POLL_INTERVAL_MS = 20;

export interface MeasuredProcess extends FinishedProcess {
  /** Undefined when this platform offers no way to measure it. */
  peakRssBytes: number | undefined;
}

/** For the report's header: what the figure covers. */
export function describePeakRssMethod(method: PeakRssMethod): string {
  switch (method) {
    case 'GNU time':
      return 'GNU time (the larger of node and the pg_dump it runs)';
    case '/proc VmHWM':
      return 'polling /proc VmHWM of the node process';
    case 'unavailable':
      return 'nothing: not measurable on this platform';
  }
}

export async function choosePeakRssMethod(): Promise<PeakRssMethod> {
  if (process.platform !== 'linux') return 'unavailable';
  if (existsSync(GNU_TIME)) {
    // BusyBox and other `time` programs lack -o or %M.
    const version = await runTool(GNU_TIME, ['--version'], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } });
    if (/GNU/.test(`${version.stdout}${version.stderr}`)) return 'GNU time';
  }
  return existsSync('/proc/self/status') ? '/proc VmHWM' : 'unavailable';
}

/** Runs `file args` to completion and reports its peak RSS; `scratchFolder` receives GNU time's report. */
export async function runMeasuringPeakRss(method: PeakRssMethod, file: string, args: readonly string[], options: ToolRun & { scratchFolder: string }): Promise<MeasuredProcess> {
  switch (method) {
    case 'GNU time':
      return runUnderGnuTime(file, args, options);
    case '/proc VmHWM':
      return runPollingHighWaterMark(file, args, options);
    case 'unavailable':
      return { ...(await runTool(file, args, options)), peakRssBytes: undefined };
  }
}

async function runUnderGnuTime(file: string, args: readonly string[], options: ToolRun & { scratchFolder: string }): Promise<MeasuredProcess> {
  // A report file keeps the figure apart from whatever the child writes to stderr.
  const report = join(options.scratchFolder, 'peak-rss.txt');
  const result = await runTool(GNU_TIME, ['-o', report, '-f', '%M', file, ...args], options);
  let peakRssBytes: number | undefined;
  try {
    // After a failure GNU time writes "Command exited with non-zero status N" first.
    const lastLine = (await readFile(report, 'utf8')).trim().split('\n').pop() ?? '';
    const kibibytes = Number(lastLine);
    if (lastLine !== '' && Number.isInteger(kibibytes)) peakRssBytes = kibibytes * 1024;
  } catch {
    // No report: the run failed before time could write one; the exit code says so.
  }
  return { ...result, peakRssBytes };
}

async function runPollingHighWaterMark(file: string, args: readonly string[], options: ToolRun): Promise<MeasuredProcess> {
  let peakKibibytes: number | undefined;
  let timer: NodeJS.Timeout | undefined;
  const read = (pid: number): void => {
    const kibibytes = readHighWaterMark(pid);
    if (kibibytes !== undefined) peakKibibytes = Math.max(peakKibibytes ?? 0, kibibytes);
  };
  try {
    const result = await runTool(file, args, {
      ...options,
      onSpawn: (pid) => {
        read(pid);
        timer = setInterval(() => read(pid), POLL_INTERVAL_MS);
      },
    });
    return { ...result, peakRssBytes: peakKibibytes === undefined ? undefined : peakKibibytes * 1024 };
  } finally {
    clearInterval(timer);
  }
}

function readHighWaterMark(pid: number): number | undefined {
  try {
    const match = /^VmHWM:\s+(\d+)\s+kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : undefined;
  } catch {
    // The process has exited between two polls.
    return undefined;
  }
}

/** The peak RSS each measured round reported, in order; rounds without a figure are left out. */
export function peakRssPerRound(measurement: Measurement): number[] {
  return measurement.samples.map((sample) => sample.observations.peakRssBytes).filter((bytes) => bytes !== undefined);
}

export function maxPeakRss(measurement: Measurement): number | undefined {
  const perRound = peakRssPerRound(measurement);
  return perRound.length > 0 ? Math.max(...perRound) : undefined;
}
