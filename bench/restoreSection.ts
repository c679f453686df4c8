/**
 * restore ÷ psql: what `pulse-backup restore --mode complete` costs next to
 * loading the same complete file with plain `psql -1 -f`, the restore a user
 * could run without the CLI. Besides loading, the CLI verifies the whole set
 * first (reads and hashes every file), checks the target, streams the file
 * through its own reader into psql, and checks the rows each table took
 * (from psql's COPY tags) against the manifest: the ratio prices all of that.
 *
 * Every run gets a fresh empty database, made before and dropped after it,
 * outside the timing. --no-safety-backup: a safety backup of an empty database
 * would time pg_dump, not the restore.
 *
 * The restore-jobs section measures `restore --jobs 2` the same way: rows
 * and indexes in two sessions side by side, not one transaction, against the
 * same one-transaction `psql -1 -f`.
 */
import * as os from 'node:os';
import { lastVerification, readHistory } from '../src/core/sets/history';
import type { Manifest } from '../src/core/sets/manifest';
import { qualifiedIdentifier } from '../src/core/sql';
import { CLI_PATH, REPO_ROOT } from '../test/support/cli';
import type { TestServer } from '../test/support/pgServer';
import { timedCommandWith, type TimedCommand } from './alternating';
import { onTheSet, setFile, type BenchSet } from './benchSet';
import { maxPeakRss, peakRssPerRound, runMeasuringPeakRss } from './peakRss';
import { assertSucceeded, runTool } from './processes';
import { formatMegabytes, formatRatio, formatSeconds, measureRounds, measurementSummary, noiseNotes, timeLine } from './report';
import { freshFolder, psqlOf, removeFolder, type BenchContext, type BenchSection, type SectionResult } from './section';

const RATIO_GOAL = 1.15;
const PSQL = 'psql -1 -f';
const JOBS = 2;

export const restoreSection = restoreAgainstPsql('restore', 1);
export const restoreJobsSection = restoreAgainstPsql('restore-jobs', JOBS);

function restoreAgainstPsql(name: string, jobs: number): BenchSection {
  const cli = jobs > 1 ? `pulse-backup restore --jobs ${jobs}` : 'pulse-backup restore';
  const ratioLabel = jobs > 1 ? `restore --jobs ${jobs} ÷ psql` : 'restore ÷ psql';
  return {
    name,
    run: onTheSet(async (context: BenchContext, set: BenchSet): Promise<SectionResult> => {
      const complete = setFile(set, 'complete');
      const psql = psqlOf(context, 'restore');
      const rounds = context.restoreRounds;
      const targets = new TargetDatabases(context, set, name);

      const measured = await measureRounds(context.log, rounds, {
        [PSQL]: psqlCommand(context, targets, psql.path, complete.path),
        [cli]: restoreCommand(context, targets, set, cli, jobs),
      });
      const restored = targets.assertBothRestoredTheSet(cli);
      await assertCliChoseOurPsql(set, psql.path);

      const plain = measured[PSQL];
      const restore = measured[cli];
      const ratio = restore.medianSeconds / plain.medianSeconds;
      const peakRssBytes = maxPeakRss(restore);

      return {
        title: `Restore${jobs > 1 ? ` --jobs ${jobs}` : ''}: ${set.id}, complete file ${formatMegabytes(complete.bytes)}, into a fresh empty database, ${rounds} rounds, medians`,
        lines: [
          timeLine('psql -1 -f FILE', plain),
          timeLine(cli, restore),
          // One transaction against sessions side by side: no goal, the ratio is what --jobs buys here.
          jobs > 1
            ? { label: ratioLabel, value: formatRatio(ratio) }
            : { label: ratioLabel, value: formatRatio(ratio), goal: { text: `≤ ${RATIO_GOAL}`, met: ratio <= RATIO_GOAL } },
          { label: `${jobs > 1 ? `restore --jobs ${jobs}` : 'restore'} − psql`, value: `${formatSeconds(restore.medianSeconds - plain.medianSeconds)} per restore` },
          { label: `peak RSS (${jobs > 1 ? `restore --jobs ${jobs}` : 'restore'})`, value: formatMegabytes(peakRssBytes) },
        ],
        notes: [
          "besides loading, the CLI checks the set (a recent recorded verification of unchanged files stands; the loaded file is hashed as it loads), looks at the target and checks each table's rows against the manifest; psql -1 -f does none of that",
          ...(jobs > 1
            ? [
                `--jobs ${jobs}: each session reads the whole file (and hashes it) to keep its own entries; it is not one transaction, and on ${os.cpus().length} cores shared with the server`,
              ]
            : []),
          ...noiseNotes(measured),
        ],
        data: {
          ...(jobs > 1 ? { jobs } : { goals: { restoreRatioAtMost: RATIO_GOAL } }),
          rounds,
          setId: set.id,
          completeFileBytes: complete.bytes,
          psql: { path: psql.path, version: psql.version.text },
          plainPsql: measurementSummary(plain),
          restore: measurementSummary(restore),
          restoreRatio: ratio,
          peakRss: { method: context.peakRssMethod, maxBytes: peakRssBytes ?? null, perRoundBytes: peakRssPerRound(restore) },
          restored: { relations: restored.relations, rows: restored.totalRows },
        },
      };
    }),
  };
}

/**
 * The psql the CLI ran is not in its output, but the verification its
 * pre-flight appends to the set's history names the one a restore uses.
 */
async function assertCliChoseOurPsql(set: BenchSet, ours: string): Promise<void> {
  const report = lastVerification(await readHistory(set.folder, set.id), 'pre-restore');
  const check = report?.groups.find((group) => group.name === 'pre-restore')?.checks.find((candidate) => candidate.id === 'psql');
  if (check?.detail.includes(`(${ours})`)) return;
  throw new Error(`the CLI's pre-flight names ${check ? `"${check.detail}"` : 'no psql'}, the benchmark ran ${ours}: the comparison would be unfair`);
}

interface Target {
  database: string;
  /** Set by a run that finished without error, so that clean-up only inspects a finished restore. */
  succeeded: boolean;
}

/**
 * Makes and drops the empty databases, and looks once at what each command
 * left in one, so that a ratio between two different results is never
 * reported.
 */
class TargetDatabases {
  private made = 0;
  private readonly seen = new Map<string, RestoredDatabase>();

  constructor(
    private readonly context: BenchContext,
    private readonly set: BenchSet,
    private readonly label: string,
  ) {}

  async make(): Promise<Target> {
    this.made += 1;
    const database = `pulse_bench_${this.label.replace(/-/g, '_')}_${this.made}`;
    await this.context.server.createDatabase(database);
    return { database, succeeded: false };
  }

  async drop(command: string, target: Target): Promise<void> {
    try {
      // Once per command is enough to show they do the same work; every round would add a scan of the whole database.
      if (target.succeeded && !this.seen.has(command)) this.seen.set(command, await describeRestored(this.context.server, target.database, this.set.manifest));
    } finally {
      await this.context.server.dropDatabase(target.database);
    }
  }

  assertBothRestoredTheSet(cli: string): RestoredDatabase {
    const byPsql = this.seen.get(PSQL);
    const byCli = this.seen.get(cli);
    if (!byPsql || !byCli) throw new Error('no restored database was inspected: the comparison cannot be trusted');
    const problem = sameRestored(byPsql, byCli, this.set.manifest);
    if (problem !== undefined) throw new Error(`psql and ${cli} did not restore the same thing: ${problem}`);
    return byCli;
  }
}

function psqlCommand(context: BenchContext, targets: TargetDatabases, psqlPath: string, completeFile: string): TimedCommand {
  return timedCommandWith({
    prepare: () => targets.make(),
    run: async (target) => {
      // The same environment the CLI gives its psql: target and password in PG* variables.
      const env = context.toolEnv(target.database);
      assertSucceeded('psql -1 -f', await runTool(psqlPath, ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-1', '-f', completeFile], { env }));
      target.succeeded = true;
    },
    cleanUp: (target) => targets.drop(PSQL, target),
  });
}

function restoreCommand(context: BenchContext, targets: TargetDatabases, set: BenchSet, label: string, jobs: number): TimedCommand {
  return timedCommandWith({
    prepare: async () => {
      // GNU time's report needs a folder of its own, outside the backups folder the CLI reads.
      const scratchFolder = await freshFolder(context, 'restore');
      return { ...(await targets.make()), scratchFolder };
    },
    run: async (target) => {
      const { url, env } = context.cliConnection(target.database);
      const args = [CLI_PATH, 'restore', set.id, '--mode', 'complete', '--no-safety-backup', '--yes', '--db', url, '--dir', set.folder];
      if (jobs > 1) args.push('--jobs', String(jobs));
      const result = await runMeasuringPeakRss(context.peakRssMethod, process.execPath, args, { env, cwd: REPO_ROOT, scratchFolder: target.scratchFolder });
      assertSucceeded(label, result);
      target.succeeded = true;
      return result.peakRssBytes === undefined ? undefined : { peakRssBytes: result.peakRssBytes };
    },
    cleanUp: async (target) => {
      try {
        await targets.drop(label, target);
      } finally {
        await removeFolder(target.scratchFolder);
      }
    },
  });
}

/** What a restore left behind, enough to tell two restores apart. */
interface RestoredDatabase {
  /** Tables, indexes, sequences, views… outside the system schemas. */
  relations: number;
  /** Exact rows of each table the manifest counted, in the manifest's order. */
  rows: number[];
  totalRows: number;
}

async function describeRestored(server: TestServer, database: string, manifest: Manifest): Promise<RestoredDatabase> {
  const [relations] = await server.query<{ count: string }>(
    database,
    `SELECT count(*)::text AS count FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND left(n.nspname, 8) <> 'pg_toast'`,
  );
  const counted = manifest.tables.filter((table) => table.rows !== null);
  // One statement: the test server's query() opens a connection per call.
  const counts =
    counted.length === 0
      ? []
      : await server.query<{ position: number; count: string }>(
          database,
          counted.map((table, position) => `SELECT ${position} AS position, count(*)::text AS count FROM ${qualifiedIdentifier(table.schema, table.name)}`).join('\nUNION ALL\n'),
        );
  const rows = counted.map((_table, position) => Number(counts.find((row) => row.position === position)?.count ?? Number.NaN));
  return { relations: Number(relations?.count), rows, totalRows: rows.reduce((sum, count) => sum + count, 0) };
}

/** Undefined when both hold what the manifest says; otherwise the first difference found. */
function sameRestored(byPsql: RestoredDatabase, byCli: RestoredDatabase, manifest: Manifest): string | undefined {
  if (byPsql.relations !== byCli.relations) return `${byPsql.relations} relations after psql, ${byCli.relations} after the CLI`;
  const counted = manifest.tables.filter((table) => table.rows !== null);
  for (const [position, table] of counted.entries()) {
    const expected = table.rows;
    const psqlRows = byPsql.rows[position];
    const cliRows = byCli.rows[position];
    if (psqlRows !== expected || cliRows !== expected) {
      return `${table.schema}.${table.name} holds ${psqlRows} rows after psql, ${cliRows} after the CLI; the manifest says ${String(expected)}`;
    }
  }
  return undefined;
}
