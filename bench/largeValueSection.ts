/**
 * One value of 200 MB: a single line of the dump far larger than anything
 * the CLI reads at a time. Backup and verify must stay linear in time and
 * bounded in memory whatever the size of one line: backup ÷ pg_dump and
 * verify ÷ sha256sum as for the whole database, and the CLI's own peak
 * memory. That figure is node's alone (its /proc high-water mark): pg_dump
 * holds the whole row in memory whatever the CLI does, and GNU time would
 * report the larger of the two.
 */
import { existsSync } from 'node:fs';
import { CLI_PATH, REPO_ROOT, cleanEnv } from '../test/support/cli';
import { timedCommandWith, type TimedCommand } from './alternating';
import { assertCliRanOurPgDump, backupCommand, plainDumpCommand, type ObservedRuns } from './backupSection';
import { benchSet, type BenchSet } from './benchSet';
import { maxPeakRss, peakRssPerRound, runMeasuringPeakRss, type PeakRssMethod } from './peakRss';
import { assertSucceeded } from './processes';
import { formatMegabytes, formatRatio, measureRounds, measurementSummary, noiseNotes, timeLine } from './report';
import { freshFolder, removeFolder, type BenchContext, type BenchSection, type SectionResult } from './section';
import { assertSameBytes, findOnPath, sha256sumCommand } from './verifySection';

const DATABASE = 'pulse_bench_large_value';
const VALUE_BYTES = 200 * 1024 * 1024;
const BACKUP_RATIO_GOAL = 1.3;
const VERIFY_RATIO_GOAL = 1.5;
const PEAK_RSS_GOAL_BYTES = 150 * 1024 * 1024;

export const largeValueSection: BenchSection = {
  name: 'large value',
  async run(context: BenchContext): Promise<SectionResult> {
    context.log(`loading one value of ${formatMegabytes(VALUE_BYTES)} into ${DATABASE}…`);
    await context.server.createDatabase(DATABASE);
    await context.server.query(DATABASE, 'CREATE TABLE blobs (id integer PRIMARY KEY, body text)');
    // md5 text repeated: it stays one line of COPY data, and TOAST cannot shrink it to nothing.
    await context.server.query(DATABASE, `INSERT INTO blobs SELECT 1, repeat(md5('pulse'), $1 / 32)`, [VALUE_BYTES]);
    await context.server.query(DATABASE, `INSERT INTO blobs VALUES (2, 'small')`);

    const nodeOnly: PeakRssMethod = existsSync('/proc/self/status') ? '/proc VmHWM' : 'unavailable';
    const ownMemory: BenchContext = { ...context, peakRssMethod: nodeOnly };
    const observed: ObservedRuns = { pgDumpsRunByCli: new Set() };
    const backups = await measureRounds(context.log, context.rounds, {
      'pg_dump -f': plainDumpCommand(context, DATABASE, observed),
      'pulse-backup backup': backupCommand(ownMemory, DATABASE, observed),
    });
    assertCliRanOurPgDump(context, observed);

    const set = await benchSet(context, DATABASE);
    const env = cleanEnv();
    const sums: { output?: string } = {};
    const verifies = await measureRounds(context.log, context.rounds, {
      sha256sum: sha256sumCommand(findOnPath('sha256sum', env), set, env, sums),
      'pulse-backup verify': measuredVerifyCommand(context, set, env, nodeOnly),
    });
    assertSameBytes(set, sums.output);

    const plain = backups['pg_dump -f'];
    const backup = backups['pulse-backup backup'];
    const backupRatio = backup.medianSeconds / plain.medianSeconds;
    const verifyRatio = verifies['pulse-backup verify'].medianSeconds / verifies.sha256sum.medianSeconds;
    const backupPeak = maxPeakRss(backup);
    const verifyPeak = maxPeakRss(verifies['pulse-backup verify']);
    const peakGoal = (bytes: number | undefined) => ({ text: `< ${formatMegabytes(PEAK_RSS_GOAL_BYTES)}`, met: bytes === undefined ? undefined : bytes < PEAK_RSS_GOAL_BYTES });
    return {
      title: `One value of ${formatMegabytes(VALUE_BYTES)} (one line of the dump), ${context.rounds} rounds, medians`,
      lines: [
        timeLine('pg_dump -f FILE', plain),
        timeLine('pulse-backup backup', backup),
        { label: 'backup ÷ pg_dump', value: formatRatio(backupRatio), goal: { text: `≤ ${BACKUP_RATIO_GOAL}`, met: backupRatio <= BACKUP_RATIO_GOAL } },
        { label: 'backup peak RSS (node)', value: formatMegabytes(backupPeak), goal: peakGoal(backupPeak) },
        timeLine('sha256sum 3 files', verifies.sha256sum),
        timeLine('pulse-backup verify', verifies['pulse-backup verify']),
        { label: 'verify ÷ sha256sum', value: formatRatio(verifyRatio), goal: { text: `≤ ${VERIFY_RATIO_GOAL}`, met: verifyRatio <= VERIFY_RATIO_GOAL } },
        { label: 'verify peak RSS (node)', value: formatMegabytes(verifyPeak), goal: peakGoal(verifyPeak) },
      ],
      notes: [...noiseNotes(backups), ...noiseNotes(verifies)],
      data: {
        goals: { backupRatioAtMost: BACKUP_RATIO_GOAL, verifyRatioAtMost: VERIFY_RATIO_GOAL, peakRssBytesBelow: PEAK_RSS_GOAL_BYTES },
        valueBytes: VALUE_BYTES,
        files: set.files.map((file) => ({ type: file.type, bytes: file.bytes })),
        pgDump: measurementSummary(plain),
        backup: measurementSummary(backup),
        backupRatio,
        sha256sum: measurementSummary(verifies.sha256sum),
        verify: measurementSummary(verifies['pulse-backup verify']),
        verifyRatio,
        peakRss: {
          method: nodeOnly,
          backup: { maxBytes: backupPeak ?? null, perRoundBytes: peakRssPerRound(backup) },
          verify: { maxBytes: verifyPeak ?? null, perRoundBytes: peakRssPerRound(verifies['pulse-backup verify']) },
        },
      },
    };
  },
};

function measuredVerifyCommand(context: BenchContext, set: BenchSet, env: NodeJS.ProcessEnv, method: PeakRssMethod): TimedCommand {
  return timedCommandWith({
    prepare: () => freshFolder(context, 'verify'),
    run: async (scratchFolder) => {
      const args = [CLI_PATH, 'verify', set.id, '--dir', set.folder];
      const result = await runMeasuringPeakRss(method, process.execPath, args, { env, cwd: REPO_ROOT, scratchFolder });
      assertSucceeded('pulse-backup verify', result);
      return result.peakRssBytes === undefined ? undefined : { peakRssBytes: result.peakRssBytes };
    },
    cleanUp: removeFolder,
  });
}
