/** The table at the end of a run, and the JSON beside it. */
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { measureAlternating, type Measurement, type SampleEvent, type TimedCommand } from './alternating';
import type { ReportLine, SectionResult } from './section';

const MEBIBYTE = 1024 * 1024;
/** A spread (max − min) this large next to the median means the rounds disagree: rerun before trusting the ratio. */
const NOISY_SPREAD = 0.25;

export function formatSeconds(seconds: number, unit = ' s'): string {
  return `${seconds.toFixed(2)}${unit}`;
}

export function formatRatio(ratio: number): string {
  return ratio.toFixed(2);
}

/** Binary megabytes, as pg_size_pretty and most memory tools count them. */
export function formatMegabytes(bytes: number | undefined): string {
  if (bytes === undefined || !Number.isFinite(bytes)) return 'not measured';
  return `${Math.round(bytes / MEBIBYTE)} MB`;
}

/** Binary megabytes per second, to match formatMegabytes. */
export function formatThroughput(bytes: number, seconds: number): string {
  return `${Math.round(bytes / MEBIBYTE / seconds)} MB/s`;
}

export function renderReport(header: readonly string[], sections: readonly SectionResult[]): string {
  const out: string[] = ['', ...header];
  for (const section of sections) {
    out.push('', section.title);
    const labelWidth = Math.max(...section.lines.map((line) => line.label.length));
    // Only values followed by a goal need aligning.
    const valueWidth = Math.max(0, ...section.lines.filter((line) => line.goal).map((line) => line.value.length));
    for (const line of section.lines) out.push(`  ${line.label.padEnd(labelWidth)}  ${renderValue(line, valueWidth)}`.trimEnd());
    for (const note of section.notes) out.push(`  note: ${note}`);
  }
  return `${out.join('\n')}\n`;
}

function renderValue(line: ReportLine, valueWidth: number): string {
  if (!line.goal) return line.value;
  const verdict = line.goal.met === undefined ? 'n/a' : line.goal.met ? 'PASS' : 'MISS';
  return `${line.value.padEnd(valueWidth)}  (goal ${line.goal.text})  ${verdict}`;
}

/** Written whole or not at all, so a reader never sees half a file. */
export async function writeJsonReport(file: string, report: Record<string, unknown>): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  const partial = `${file}.${process.pid}.partial`;
  await writeFile(partial, `${JSON.stringify(report, null, 2)}\n`);
  await rename(partial, file);
}

/** Median and range, as every timed command shows them in the table. */
export function timeLine(label: string, measurement: Measurement): ReportLine {
  const cpu = measurement.medianBusyCoreSeconds === undefined ? '' : `  · machine CPU ${formatSeconds(measurement.medianBusyCoreSeconds, ' core-s')}`;
  return {
    label,
    value: `${formatSeconds(measurement.medianSeconds)}  (${formatSeconds(measurement.minSeconds, '')}–${formatSeconds(measurement.maxSeconds)})${cpu}`,
  };
}

export function measurementSummary(measurement: Measurement) {
  return {
    medianSeconds: measurement.medianSeconds,
    minSeconds: measurement.minSeconds,
    maxSeconds: measurement.maxSeconds,
    seconds: measurement.samples.map((sample) => sample.seconds),
    ...(measurement.medianBusyCoreSeconds === undefined
      ? {}
      : { medianBusyCoreSeconds: measurement.medianBusyCoreSeconds, busyCoreSeconds: measurement.samples.map((sample) => sample.busyCoreSeconds) }),
  };
}

export function noiseNotes(measurements: Readonly<Record<string, Measurement>>): string[] {
  const notes: string[] = [];
  for (const [name, measurement] of Object.entries(measurements)) {
    const spread = (measurement.maxSeconds - measurement.minSeconds) / measurement.medianSeconds;
    if (spread > NOISY_SPREAD) {
      notes.push(`${name} varied by ${Math.round(spread * 100)}% of its median between rounds (other work on the machine?): run again to confirm`);
    }
  }
  return notes;
}

/** The commands measured in alternating rounds after one warm-up round, each run logged as it ends. */
export function measureRounds<Name extends string>(
  log: (line: string) => void,
  rounds: number,
  commands: Readonly<Record<Name, TimedCommand>>,
): Promise<Record<Name, Measurement>> {
  return measureAlternating(commands, { rounds, warmUpRounds: 1, onSample: sampleLogger(log, rounds) });
}

/** One progress line per run, so a slow or stuck round shows while the benchmark runs. */
export function sampleLogger(log: (line: string) => void, rounds: number): (event: SampleEvent) => void {
  const width = `round ${rounds}/${rounds}`.length;
  return ({ name, round, warmUp, sample }) => {
    const when = warmUp ? 'warm-up' : `round ${round}/${rounds}`;
    log(`  ${when.padEnd(width)}  ${name.padEnd(24)} ${formatSeconds(sample.seconds)}`);
  };
}
