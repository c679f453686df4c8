/**
 * A big catalog: 5,000 small tables, each with a primary key (so an index and
 * a TOAST table beside it) and three rows. Here the dump is small and the work
 * is per object: pg_dump's own catalog queries and one COPY per table, and the
 * CLI's catalog reading (sizes of every table), splitting of 15,000 entries and
 * manifest of 5,000 tables. backup ÷ pg_dump says whether that costs more than
 * pg_dump's own catalog work; the CLI's peak memory is measured as well. The
 * same backup reading every table's exact size (PULSE_BACKUP_EXACT_SIZES_UP_TO),
 * in the same rounds, prices what the catalog's estimates save; Node's own
 * start, in the same rounds, is the part of the backup's time no code of the
 * project can shorten.
 *
 * pg_dump and the backup are timed twice: as the machine is, and with one
 * core kept busy by another process (busyCore.ts). On a machine whose idle
 * cores are slow to wake, the first flatters the backup, which keeps a core
 * awake itself; the goal counts as met only when both ratios meet it.
 */
import { assertCliRanOurPgDump, backupCommand, nodeAloneCommand, plainDumpCommand, type ObservedRuns } from './backupSection';
import { withOneCoreBusy } from './busyCore';
import { maxPeakRss, peakRssPerRound } from './peakRss';
import { formatMegabytes, formatRatio, measureRounds, measurementSummary, noiseNotes, timeLine } from './report';
import type { BenchContext, BenchSection, SectionResult } from './section';

const DATABASE = 'pulse_bench_catalog';
export const CATALOG_TABLES = 5000;
/** Tables created per transaction: one transaction for all would need more locks than a default server has. */
const TABLES_PER_TRANSACTION = 250;
const ROWS_PER_TABLE = 3;
const RATIO_GOAL = 1.2;
const PLAIN = 'pg_dump -f';
const BACKUP = 'pulse-backup backup';
const PLAIN_BUSY = 'pg_dump -f, one core busy';
const BACKUP_BUSY = 'backup, one core busy';
const EXACT_SIZES = 'pulse-backup backup, exact sizes';
const NODE_START = 'node -e 0';
const PEAK_RSS_GOAL_BYTES = 150 * 1024 * 1024;

export const catalogSection: BenchSection = {
  name: 'catalog',
  async run(context: BenchContext): Promise<SectionResult> {
    await loadManyTables(context);
    const observed: ObservedRuns = { pgDumpsRunByCli: new Set() };
    const measured = await measureRounds(context.log, context.rounds, {
      [PLAIN]: plainDumpCommand(context, DATABASE, observed),
      [BACKUP]: backupCommand(context, DATABASE, observed),
      [PLAIN_BUSY]: withOneCoreBusy(plainDumpCommand(context, DATABASE, observed)),
      [BACKUP_BUSY]: withOneCoreBusy(backupCommand(context, DATABASE, observed)),
      [EXACT_SIZES]: backupCommand(context, DATABASE, observed, { exactSizes: true }),
      [NODE_START]: nodeAloneCommand(context.cliConnection(DATABASE).env),
    });
    assertCliRanOurPgDump(context, observed);
    const plain = measured[PLAIN];
    const backup = measured[BACKUP];
    const plainBusy = measured[PLAIN_BUSY];
    const backupBusy = measured[BACKUP_BUSY];
    const exact = measured[EXACT_SIZES];
    const nodeStart = measured[NODE_START];
    const ratio = backup.medianSeconds / plain.medianSeconds;
    const busyRatio = backupBusy.medianSeconds / plainBusy.medianSeconds;
    const goalMet = ratio <= RATIO_GOAL && busyRatio <= RATIO_GOAL;
    const exactRatio = exact.medianSeconds / plain.medianSeconds;
    const peakRssBytes = maxPeakRss(backup);
    return {
      title: `Big catalog: ${CATALOG_TABLES.toLocaleString('en')} tables of ${ROWS_PER_TABLE} rows, ${context.rounds} rounds, medians`,
      lines: [
        timeLine('pg_dump -f FILE', plain),
        timeLine('pulse-backup backup', backup),
        timeLine('pg_dump, one core busy', plainBusy),
        timeLine('backup, one core busy', backupBusy),
        timeLine('backup, exact sizes', exact),
        timeLine("node -e 0 (Node's own start)", nodeStart),
        { label: 'backup ÷ pg_dump', value: formatRatio(ratio) },
        {
          label: 'the same, one core busy',
          value: formatRatio(busyRatio),
          goal: { text: `both ≤ ${RATIO_GOAL}`, met: goalMet },
        },
        { label: 'exact sizes ÷ pg_dump', value: formatRatio(exactRatio) },
        {
          label: 'peak RSS',
          value: formatMegabytes(peakRssBytes),
          goal: { text: `< ${formatMegabytes(PEAK_RSS_GOAL_BYTES)}`, met: peakRssBytes === undefined ? undefined : peakRssBytes < PEAK_RSS_GOAL_BYTES },
        },
      ],
      notes: [
        ...noiseNotes(measured),
        ...(context.cliConnection(DATABASE).env.NODE_EXTRA_CA_CERTS !== undefined
          ? ['NODE_EXTRA_CA_CERTS is set here: every Node process, the CLI too, reads those certificates as it starts']
          : []),
      ],
      data: {
        goals: { backupRatioAtMost: RATIO_GOAL, peakRssBytesBelow: PEAK_RSS_GOAL_BYTES },
        tables: CATALOG_TABLES,
        rowsPerTable: ROWS_PER_TABLE,
        plainDumpBytes: observed.plainDumpBytes ?? null,
        pgDump: measurementSummary(plain),
        backup: measurementSummary(backup),
        backupRatio: ratio,
        oneCoreBusy: { pgDump: measurementSummary(plainBusy), backup: measurementSummary(backupBusy), backupRatio: busyRatio },
        goalMet,
        backupExactSizes: measurementSummary(exact),
        exactSizesRatio: exactRatio,
        nodeStart: measurementSummary(nodeStart),
        peakRss: { method: context.peakRssMethod, maxBytes: peakRssBytes ?? null, perRoundBytes: peakRssPerRound(backup) },
      },
    };
  },
};

async function loadManyTables(context: BenchContext): Promise<void> {
  context.log(`creating ${CATALOG_TABLES} tables in ${DATABASE}…`);
  await context.server.createDatabase(DATABASE);
  for (let first = 1; first <= CATALOG_TABLES; first += TABLES_PER_TRANSACTION) {
    const last = Math.min(first + TABLES_PER_TRANSACTION - 1, CATALOG_TABLES);
    await context.server.query(
      DATABASE,
      `DO $$BEGIN
         FOR i IN ${first}..${last} LOOP
           EXECUTE format('CREATE TABLE public.%I (id integer PRIMARY KEY, label text NOT NULL, made timestamptz NOT NULL DEFAULT now())', 'table_' || lpad(i::text, 4, '0'));
           EXECUTE format('INSERT INTO public.%I (id, label) SELECT g, ''row '' || g FROM generate_series(1, ${ROWS_PER_TABLE}) g', 'table_' || lpad(i::text, 4, '0'));
         END LOOP;
       END$$`,
    );
  }
  // Statistics and visibility maps as a database in use has them.
  await context.server.query(DATABASE, 'VACUUM ANALYZE');
}
