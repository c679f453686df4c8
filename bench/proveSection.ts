/**
 * prove ÷ (psql -1 -f + COPY TO): what `pulse-backup prove` costs next to
 * what a person would do by hand to look at a restore: load the complete
 * file with `psql -1 -f` into an empty database, then read every table once
 * with `COPY … TO STDOUT`. The CLI does more — it creates and drops its
 * scratch databases, checks the files' sha256 while they load, dumps the
 * restored schema with pg_dump and hashes every row — and, by default,
 * restores both ways a person does (the complete file; the schema file,
 * then the data file), at once; the second way reads back only what could
 * differ from the first (the proofs' records say how much it did).
 * Measured both ways and the complete file alone (--only complete), and on
 * the scale-1 database, which shows what a small set costs: the threshold
 * under which proving is automatic.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PROVE_AUTOMATICALLY_UP_TO_BYTES } from '../src/core/prove/plan';
import type { ProofRecord } from '../src/core/prove/record';
import { qualifiedIdentifier, quoteIdentifier } from '../src/core/sql';
import { CLI_PATH, REPO_ROOT } from '../test/support/cli';
import { timedCommandWith, type TimedCommand } from './alternating';
import { benchSet, onTheSet, setFile, type BenchSet } from './benchSet';
import { assertSucceeded, runTool } from './processes';
import { formatMegabytes, formatRatio, formatSeconds, measureRounds, measurementSummary, noiseNotes, timeLine } from './report';
import { psqlOf, type BenchContext, type BenchSection, type SectionResult } from './section';
import { SMALL_DATABASE, smallDatabase } from './smallDatabase';

const RATIO_GOAL = 1.3;
const BY_HAND = 'psql -1 -f + COPY TO';
const PROVE = 'pulse-backup prove';
const PROVE_COMPLETE = 'pulse-backup prove --only complete';

export const proveSection: BenchSection = {
  name: 'prove',
  run: onTheSet(async (context: BenchContext, set: BenchSet): Promise<SectionResult> => {
    const complete = setFile(set, 'complete');
    const psql = psqlOf(context, 'prove');
    const rounds = context.restoreRounds;
    const proofs: ProofRecord[] = [];
    const measured = await measureRounds(context.log, rounds, {
      [BY_HAND]: byHandCommand(context, set, psql.path, complete.path),
      [PROVE]: proveCommand(context, set, [], proofs),
      [PROVE_COMPLETE]: proveCommand(context, set, ['--only', 'complete'], proofs),
    });
    const failed = proofs.find((proof) => proof.outcome !== 'proved');
    if (failed) throw new Error(`the benchmark's set did not prove: ${failed.summary}`);
    const split = secondWay(proofs);

    // The scale-1 database: a small set's proof is its fixed cost.
    await smallDatabase(context);
    const small = await benchSet(context, SMALL_DATABASE);
    context.log(`the same on ${SMALL_DATABASE}:`);
    const smallMeasured = await measureRounds(context.log, rounds, { [PROVE]: proveCommand(context, small, [], proofs) });

    const byHand = measured[BY_HAND];
    const both = measured[PROVE];
    const completeOnly = measured[PROVE_COMPLETE];
    const ratio = both.medianSeconds / byHand.medianSeconds;
    const completeRatio = completeOnly.medianSeconds / byHand.medianSeconds;
    const smallSeconds = smallMeasured[PROVE].medianSeconds;
    const smallBytes = setFile(small, 'complete').bytes;
    const bytesPerSecond = (complete.bytes - smallBytes) / Math.max(0.001, both.medianSeconds - smallSeconds);
    return {
      title: `Prove: ${set.id}, complete file ${formatMegabytes(complete.bytes)}, ${rounds} rounds, medians`,
      lines: [
        timeLine('psql -1 -f FILE + COPY TO', byHand),
        timeLine('prove (both ways)', both),
        timeLine('prove --only complete', completeOnly),
        { label: 'prove ÷ by hand', value: formatRatio(ratio), goal: { text: `≤ ${RATIO_GOAL}`, met: ratio <= RATIO_GOAL } },
        { label: 'prove --only complete ÷ by hand', value: formatRatio(completeRatio), goal: { text: `≤ ${RATIO_GOAL}`, met: completeRatio <= RATIO_GOAL } },
        { label: 'schema then data read back', value: split.text },
        {
          label: 'small set (scale 1)',
          value: `${formatSeconds(smallSeconds)} for ${formatMegabytes(smallBytes)}; beyond that about ${formatMegabytes(bytesPerSecond)} of complete file a second`,
        },
        {
          label: 'proved automatically up to',
          value: `${formatMegabytes(PROVE_AUTOMATICALLY_UP_TO_BYTES)} of complete file: about ${formatSeconds(smallSeconds + (PROVE_AUTOMATICALLY_UP_TO_BYTES - smallBytes) / bytesPerSecond)} here`,
        },
      ],
      notes: [
        'by hand: one empty database (made and dropped outside the timing), psql -1 -f of the complete file, one COPY … TO STDOUT of every table into /dev/null',
        'prove: two scratch databases made and dropped, the complete file into one and the schema and data files into the other at once, every file checked against its sha256 and the data file digested as it loads, every table of the first read back and hashed and its schema dumped; of the second what the line above says; --only complete: the first alone',
        ...noiseNotes(measured),
      ],
      data: {
        goals: { proveRatioAtMost: RATIO_GOAL },
        rounds,
        setId: set.id,
        completeFileBytes: complete.bytes,
        byHand: measurementSummary(byHand),
        prove: measurementSummary(both),
        proveCompleteOnly: measurementSummary(completeOnly),
        proveRatio: ratio,
        proveCompleteOnlyRatio: completeRatio,
        schemaThenData: split.data,
        small: { setId: small.id, completeFileBytes: smallBytes, prove: measurementSummary(smallMeasured[PROVE]) },
        automaticallyUpToBytes: PROVE_AUTOMATICALLY_UP_TO_BYTES,
      },
    };
  }),
};

/** The restore and the read a person would do by hand, each into a new empty database. */
function byHandCommand(context: BenchContext, set: BenchSet, psqlPath: string, completeFile: string): TimedCommand {
  let made = 0;
  const tables = set.manifest.digests?.tables ?? [];
  const copies = tables.map((table) => `COPY ${qualifiedIdentifier(table.schema, table.name)} (${table.columns.map(quoteIdentifier).join(', ')}) TO STDOUT;`).join('\n');
  const script = join(context.workFolder, 'copy-every-table.sql');
  return timedCommandWith({
    prepare: async () => {
      made += 1;
      const database = `pulse_bench_by_hand_${made}`;
      await writeFile(script, `${copies}\n`);
      await context.server.createDatabase(database);
      return database;
    },
    run: async (database) => {
      const env = context.toolEnv(database);
      assertSucceeded('psql -1 -f', await runTool(psqlPath, ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-1', '-f', completeFile], { env }));
      assertSucceeded('psql COPY TO', await runTool(psqlPath, ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-o', '/dev/null', '-f', script], { env }));
    },
    cleanUp: (database) => context.server.dropDatabase(database),
  });
}

function proveCommand(context: BenchContext, set: BenchSet, extra: readonly string[], proofs: ProofRecord[]): TimedCommand {
  const { url, env } = context.cliConnection(set.manifest.database.name);
  return timedCommandWith({
    prepare: () => Promise.resolve(),
    run: async () => {
      const result = await runTool(process.execPath, [CLI_PATH, 'prove', set.id, '--db', url, '--dir', set.folder, '--json', ...extra], { env, cwd: REPO_ROOT });
      assertSucceeded('pulse-backup prove', result);
      proofs.push(JSON.parse(result.stdout) as ProofRecord);
    },
  });
}

/** What the schema-then-data way of the measured proofs read back: tables, and whether it dumped its schema (all rounds alike, or each kind counted). */
function secondWay(proofs: readonly ProofRecord[]): { text: string; data: Record<string, unknown> } {
  const ways = proofs.flatMap((proof) => proof.paths.filter((path) => path.path === 'schema-then-data').map((path) => ({ path, notes: proof.notes })));
  const kinds = new Map<string, number>();
  for (const { path, notes } of ways) {
    const dumped = !notes.some((note) => note.startsWith('schema then data:') && note.includes('its schema was not dumped again'));
    const kind = `${path.tablesReadBack ?? path.tables} of ${path.tables} tables, schema ${dumped ? 'dumped' : "taken from the complete file's"}`;
    kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
  }
  const text = [...kinds].map(([kind, count]) => (kinds.size === 1 ? kind : `${kind} (${count} proofs)`)).join('; ');
  return { text: text || 'not measured', data: Object.fromEntries(kinds) };
}
