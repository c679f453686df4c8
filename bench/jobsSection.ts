/**
 * backup --jobs N ÷ pg_dump: the same set written by 1, 2 and (with four
 * cores or more) 4 pg_dump sessions sharing the big tables' rows, next to the
 * single plain pg_dump, in the same rounds. The goal is set for the
 * factory_pulse sample at scale 1000 (about 0.5 GB: BENCH_SCALE=1000) on two
 * cores; a smaller scale has fewer tables past the size that earns a session.
 * pg_dump's own parallel dump (`-Fd -j 2 -Z0`) runs in the same rounds: it
 * writes one uncompressed file per table and nothing else, so it is what two
 * sessions can gain on this machine before any set is written.
 *
 * Each command's machine CPU (every core's busy time, the server's too) is
 * measured in the same runs: `--jobs 2`'s divided by the cores is the
 * fastest the same work could be on this machine, its floor against the goal.
 */
import { availableParallelism } from 'node:os';
import { measureAlternating, type Measurement, type TimedCommand } from './alternating';
import { assertCliRanOurPgDump, backupCommand, directoryDumpCommand, plainDumpCommand, type ObservedRuns } from './backupSection';
import { diskBytesWritten, diskOf } from './diskWrites';
import { maxPeakRss } from './peakRss';
import { formatMegabytes, formatRatio, measurementSummary, noiseNotes, sampleLogger, timeLine } from './report';
import type { BenchContext, BenchSection, ReportLine, SectionResult } from './section';

const DIRECTORY_DUMP = 'pg_dump -Fd -j 2 -Z0';

/** backup --jobs 2 ÷ pg_dump on two cores. */
const JOBS_2_RATIO_GOAL = 0.75;

export const jobsSection: BenchSection = {
  name: 'jobs',
  async run(context: BenchContext): Promise<SectionResult> {
    const { database } = context;
    const cores = availableParallelism();
    const jobCounts = cores >= 4 ? [1, 2, 4] : [1, 2];
    const observed: ObservedRuns = { pgDumpsRunByCli: new Set() };
    const commands: Record<string, TimedCommand> = { 'pg_dump -f': plainDumpCommand(context, database.name, observed) };
    for (const jobs of jobCounts) commands[`backup --jobs ${jobs}`] = backupCommand(context, database.name, observed, { jobs });
    // What pg_dump's own sessions gain here: the floor a set of plain-SQL files works against.
    commands[DIRECTORY_DUMP] = directoryDumpCommand(context, database.name, 2);
    const measured = await measureAlternating(commands, { rounds: context.rounds, warmUpRounds: 1, onSample: sampleLogger(context.log, context.rounds) });
    assertCliRanOurPgDump(context, observed);
    // Whether the pieces cost the disk a second copy of the big tables: one flushed run each, apart from the timed rounds.
    const disk = diskOf(context.workFolder);
    const written: Record<string, number> = {};
    if (!('unavailable' in disk)) {
      // The server's own writes (a checkpoint of the loaded sample) are done first, so they count for no command.
      await context.server.query(database.name, 'CHECKPOINT');
      for (const [name, command] of Object.entries(commands)) written[name] = await diskBytesWritten(command, disk);
    }

    const plain = measured['pg_dump -f'];
    const lines: ReportLine[] = [timeLine('pg_dump -f FILE', plain)];
    const ratios: Record<string, number> = {};
    for (const jobs of jobCounts) {
      const backup: Measurement = measured[`backup --jobs ${jobs}`];
      const ratio = backup.medianSeconds / plain.medianSeconds;
      ratios[jobs] = ratio;
      lines.push(timeLine(`backup --jobs ${jobs}`, backup));
      lines.push({
        label: `--jobs ${jobs} ÷ pg_dump`,
        value: `${formatRatio(ratio)}  (peak RSS ${formatMegabytes(maxPeakRss(backup))})`,
        ...(jobs === 2 ? { goal: { text: `≤ ${JOBS_2_RATIO_GOAL}`, met: ratio <= JOBS_2_RATIO_GOAL } } : {}),
      });
    }
    // What the CPU alone allows: a run that kept every core busy from start to end would take its busy core-seconds ÷ cores.
    const backup2 = measured['backup --jobs 2'];
    const cpuFloor = backup2.medianBusyCoreSeconds === undefined ? undefined : backup2.medianBusyCoreSeconds / cores / plain.medianSeconds;
    if (cpuFloor !== undefined) {
      lines.push({
        label: '--jobs 2, CPU-bound floor',
        value: `${formatRatio(cpuFloor)}  (its machine CPU ÷ ${cores} cores ÷ pg_dump's time: no schedule of the same work on ${cores} cores is faster)`,
      });
    }
    const directory = measured[DIRECTORY_DUMP];
    const directoryRatio = directory.medianSeconds / plain.medianSeconds;
    lines.push(timeLine(DIRECTORY_DUMP, directory));
    lines.push({ label: `pg_dump -Fd -j 2 ÷ pg_dump`, value: `${formatRatio(directoryRatio)}  (directory format: one file per table, no checksums)` });
    lines.push({ label: '--jobs 2 ÷ pg_dump -Fd -j 2', value: formatRatio(ratios[2] / directoryRatio) });
    if (!('unavailable' in disk)) {
      lines.push({
        label: `written to ${disk.name}, one run each`,
        value: Object.entries(written)
          .map(([name, bytes]) => `${name} ${formatMegabytes(bytes)}`)
          .join(' · '),
      });
    }
    return {
      title: `Parallel backup: ${database.sample}, scale ${database.scale}, ${formatMegabytes(database.sizeBytes)} database, ${cores} cores, ${context.rounds} rounds, medians`,
      lines,
      notes: [
        ...noiseNotes(measured),
        ...(cores < 4 ? [`${cores} cores here: --jobs 4 is measured only with four or more`] : []),
        ...('unavailable' in disk ? [`disk writes not measured: ${disk.unavailable}`] : []),
      ],
      data: {
        cores,
        goals: { jobs2RatioAtMost: JOBS_2_RATIO_GOAL },
        pgDump: measurementSummary(plain),
        directoryDump: { ...measurementSummary(directory), jobs: 2, ratio: directoryRatio },
        backups: Object.fromEntries(jobCounts.map((jobs) => [jobs, { ...measurementSummary(measured[`backup --jobs ${jobs}`]), ratio: ratios[jobs] }])),
        jobs2CpuFloorRatio: cpuFloor ?? null,
        diskBytesWritten: written,
      },
    };
  },
};
