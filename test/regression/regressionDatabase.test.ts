/**
 * PostgreSQL's own regression database — what pg_regress leaves behind after
 * the core regression suite: thousands of objects no application has (C
 * functions from regress.so, operators, rules on views, inheritance trees,
 * partitions, event triggers, publications) — held to issue 11's bar: every
 * restore mode does at least what plain `pg_dump regression | psql` does.
 *
 * The bar is measured in the same run: pg_dump into psql with psql's
 * defaults (no ON_ERROR_STOP, no single transaction), as a person would.
 * Every mode's result is compared with the source by full-content
 * fingerprint; each fact the bar gets right, the mode must get right too.
 * What the bar itself gets wrong is printed, never silently excused.
 *
 * Run by `npm run test:regression`, which builds the cluster first
 * (scripts/regression-db.ts); everything runs as the cluster's superuser.
 */
import { strict as assert } from 'node:assert';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Manifest } from '../../src/core/sets/manifest';
import type { ReportRestore } from '../../src/core/report/types';
import type { RestoreResult } from '../../src/core/restore/types';
import { runCli, type CliResult } from '../support/cli';
import { dumpTextWithoutRestrictKey, firstDifferentLine } from '../support/dumpText';
import { diffFingerprints, fingerprintDatabase, shortfallsAgainst, type Fingerprint } from '../support/fingerprint';
import type { TestServer } from '../support/pgServer';
import { REGRESSION_CACHE, newestRegressionBuild, readRegressionBuild, startRegressionServer, wantedRegressionVersion, type RegressionBuild } from '../support/regressionCluster';
import { knownShortfalls } from './knownShortfalls';
import { connectionFor, plainDumpAndLoad, runPrintedCommand, type PsqlError, type PsqlRun } from './plainTools';

const sourceDatabase = 'regression';
const outsideTable = 'public.pulse_not_in_backup';
const restoreTimeoutMs = 10 * 60_000;
const shownLines = 60;
// Operators, casts, text search, publications…: the regression database has them all.
const fingerprintOptions = { uncommonObjects: true };

/** Rows that moved on after the backup: deleted, changed and added, and a sequence further on. */
const rowChanges = `
  SET session_replication_role = replica;
  DELETE FROM public.tenk1 WHERE unique1 % 10 = 0;
  UPDATE public.num_data SET val = 0 WHERE id < 3;
  INSERT INTO public.int4_tbl (f1) VALUES (4242);
  SELECT pg_catalog.setval('public.insert_seq', 9999);
`;

/**
 * Definitions that moved on too: a column added, a view and an index
 * dropped, a function, a comment and a grant changed — and a table the
 * backup never had, which a restore must leave alone.
 */
const schemaChanges = `
  ALTER TABLE public.num_data ADD COLUMN pulse_note text;
  DROP VIEW public.street;
  DROP INDEX public.tenk1_hundred;
  ALTER FUNCTION public.distinct_func(integer) COST 999;
  COMMENT ON TABLE public.tenk1 IS 'changed after the backup';
  GRANT SELECT ON public.onek TO PUBLIC;
  CREATE TABLE ${outsideTable} (id integer PRIMARY KEY);
  INSERT INTO ${outsideTable} VALUES (1);
`;

/**
 * Members the regression suite added to the built-in btree family
 * integer_ops (operators and a support function on its int8alias types).
 * No dump can carry them (pg_dump dumps no part of a built-in family), so
 * --clean over a copy refuses while they depend on the backup's types; a
 * person drops them first, as the refusal says.
 */
const dropBuiltInFamilyMembers = `
  DO $drop$
  DECLARE member record;
  BEGIN
    FOR member IN
      SELECT 'OPERATOR ' || o.amopstrategy || ' (' || pg_catalog.format_type(o.amoplefttype, NULL) || ', ' || pg_catalog.format_type(o.amoprighttype, NULL) || ')' AS what
        FROM pg_catalog.pg_amop o JOIN pg_catalog.pg_opfamily f ON f.oid = o.amopfamily
       WHERE f.opfname = 'integer_ops' AND f.opfnamespace = 'pg_catalog'::regnamespace
         AND (o.amoplefttype::regtype::text LIKE '%int8alias%' OR o.amoprighttype::regtype::text LIKE '%int8alias%')
      UNION ALL
      SELECT 'FUNCTION ' || p.amprocnum || ' (' || pg_catalog.format_type(p.amproclefttype, NULL) || ', ' || pg_catalog.format_type(p.amprocrighttype, NULL) || ')'
        FROM pg_catalog.pg_amproc p JOIN pg_catalog.pg_opfamily f ON f.oid = p.amprocfamily
       WHERE f.opfname = 'integer_ops' AND f.opfnamespace = 'pg_catalog'::regnamespace
         AND (p.amproclefttype::regtype::text LIKE '%int8alias%' OR p.amprocrighttype::regtype::text LIKE '%int8alias%')
    LOOP
      EXECUTE 'ALTER OPERATOR FAMILY pg_catalog.integer_ops USING btree DROP ' || member.what;
    END LOOP;
  END
  $drop$;
`;

/** One restore: `restore` with flags, or the report's psql command whose title matches `printed`. */
interface RestoreStep {
  mode: string;
  flags: string[];
  printed?: RegExp;
}

function restoreStep(mode: string, ...flags: string[]): RestoreStep {
  return { mode, flags };
}

function printedStep(mode: string, title: RegExp): RestoreStep {
  return { mode, flags: [], printed: title };
}

interface RestoreCase {
  name: string;
  title: string;
  /** Into a copy of the source changed by this SQL; without it, into an empty database. */
  copyChangedBy?: string;
  /** The copy has the table the backup never had, which the restore must leave alone. */
  changed?: boolean;
  steps: RestoreStep[];
}

interface Outcome {
  title: string;
  /** Errors and facts by which it falls short of the bar; empty: it meets the bar. */
  shortfalls: string[];
}

describe("PostgreSQL's regression database: every restore mode does at least what pg_dump | psql does", function () {
  this.timeout(restoreTimeoutMs * 2);

  let build: RegressionBuild;
  let server: TestServer;
  let folder: string;
  let source: Fingerprint;
  let barRun: PsqlRun;
  let bar: Fingerprint;
  let backup: CliResult;
  let manifest: Manifest | undefined;
  let printedCommands: ReportRestore | undefined;
  let summaryFailure = 'no set to summarise';
  const outcomes: Outcome[] = [];

  before(async function () {
    const wanted = wantedRegressionVersion();
    const found = wanted ? readRegressionBuild(wanted) : newestRegressionBuild();
    if (!found) {
      throw new Error(`no regression database${wanted ? ` of ${wanted}` : ''} in ${REGRESSION_CACHE}: run npm run test:regression (scripts/regression-db.ts builds it)`);
    }
    build = found;
    server = await startRegressionServer(build);
    folder = mkdtempSync(join(tmpdir(), 'pulse-backup-regression-'));
    source = await fingerprintDatabase(server.url(sourceDatabase), fingerprintOptions);

    await server.createDatabase('bar_plain', { template: 'template0' });
    barRun = await plainDumpAndLoad(server, sourceDatabase, 'bar_plain');
    bar = await fingerprintDatabase(server.url('bar_plain'), fingerprintOptions);

    backup = await cli(['backup', '--db', connectionFor(server, sourceDatabase).url, '--dir', folder, '--prefix', 'regression', '--profile', 'plain', '--json']);
    if (backup.code === 0) {
      manifest = JSON.parse(backup.stdout) as Manifest;
      const summary = await cli(['summary', manifest.id, '--dir', folder, '--format', 'json']);
      if (summary.code === 0) printedCommands = (JSON.parse(summary.stdout) as { restore: ReportRestore }).restore;
      else summaryFailure = `summary exited with ${summary.code}: ${summary.stderr.trim()}`;
    }
  });

  after(async function () {
    await server?.stop();
    if (folder) rmSync(folder, { recursive: true, force: true });
    if (build && source) writeLastRun(build, source, bar, barRun, outcomes);
  });

  function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
    // PULSE_BACKUP_DEBUG: a failed restore also prints psql's own error, naming the statement.
    return runCli(args, { env: { PGPASSWORD: server.password, PULSE_BACKUP_DEBUG: '1', ...env }, timeoutMs: restoreTimeoutMs });
  }

  function theSet(): Manifest {
    if (!manifest) throw new Error(`there is no set to restore: the backup failed (exit code ${backup.code}): ${backup.stderr.trim()}`);
    return manifest;
  }

  /** Runs `restore` and returns why it failed, if it did. */
  async function restore(target: string, mode: string, ...flags: string[]): Promise<string[]> {
    const args = ['restore', theSet().id, '--mode', mode, '--db', connectionFor(server, target).url, '--dir', folder, '--yes', '--json', ...flags];
    const result = await cli(args);
    if (result.code === 0) {
      const report = JSON.parse(result.stdout) as RestoreResult;
      return report.rowCountsMatch ? [] : [`restore --mode ${mode} ${flags.join(' ')}: committed, but row counts differ from the manifest`];
    }
    return [`restore --mode ${mode} ${flags.join(' ')} exited with ${result.code}:\n${indent(result.stderr.trim())}`];
  }

  async function runPrinted(mode: string, titlePattern: RegExp, target: string): Promise<string[]> {
    if (!printedCommands) return [`no report to take the psql commands from (${summaryFailure})`];
    const option = printedCommands.options.find((candidate) => candidate.mode === mode);
    const command = option?.psql.find((candidate) => titlePattern.test(candidate.title));
    if (!command) return [`the report prints no psql command for ${mode} matching ${String(titlePattern)}`];
    const run = await runPrintedCommand(command.command, server, target);
    return run.exitCode === 0 ? [] : [`${command.command}\n  exited with ${String(run.exitCode)}:\n${indent(describeErrors(run.errors))}`];
  }

  async function changedCopy(target: string, changes: string): Promise<void> {
    await server.createDatabase(target, { template: sourceDatabase });
    await server.query(target, changes);
  }

  /** The result's shortfalls against the bar; on a changed copy the table outside the backup must still be there. */
  async function judge(target: string, problems: string[], changed: boolean): Promise<string[]> {
    const result = await fingerprintDatabase(server.url(target), fingerprintOptions);
    const facts = new Map(result.facts);
    if (changed) {
      if (facts.get(`rows of table ${outsideTable}`)?.startsWith('1 rows') !== true) {
        problems.push(`${outsideTable}, which the backup does not have, lost its row or is gone`);
      }
      for (const key of facts.keys()) if (key.includes(outsideTable) || key.includes('pulse_not_in_backup_pkey')) facts.delete(key);
    }
    return [...problems, ...shortfallsAgainst(source, bar, { facts })];
  }

  it('plain pg_dump | psql into an empty database (the bar) loads every table; its own errors and misses are listed', function () {
    const misses = diffFingerprints(source, bar);
    console.log(
      `      PostgreSQL ${build.serverVersion} (Debian ${build.debianVersion}), regression suite: ${build.regressionSuite.summary}\n` +
        `      the bar: ${barRun.errors.length} failed statement(s), ${misses.length} of ${source.facts.size} facts differ from the source`,
    );
    for (const line of [...barRun.errors.map(describeError), ...misses].slice(0, shownLines)) console.log(`        - ${line.replace(/\n/g, '\n          ')}`);
    assert.equal(barRun.exitCode, 0, 'psql could not read the dump to its end');
    const tables = [...source.facts.keys()].filter((key) => /^(table|partitioned table) /.test(key));
    assert.ok(tables.length > 100, `only ${tables.length} tables in the source: is this the regression database?`);
    assert.deepEqual(
      tables.filter((key) => !bar.facts.has(key)),
      [],
      'tables the bar did not load',
    );
  });

  it('backup --profile plain writes a set with every table, and the set verifies', async function () {
    assert.equal(backup.code, 0, backup.stderr);
    const set = theSet();
    const tables = [...source.facts.keys()].filter((key) => key.startsWith('rows of table '));
    assert.equal(set.tables.filter((table) => table.rows !== null).length, tables.length);
    const verified = await cli(['verify', set.id, '--dir', folder, '--json']);
    assert.equal(verified.code, 0, verified.stdout + verified.stderr);
    await server.createDatabase('verify_target', { template: 'template0' });
    const againstTarget = await cli(['verify', set.id, '--dir', folder, '--db', connectionFor(server, 'verify_target').url, '--json']);
    assert.equal(againstTarget.code, 0, againstTarget.stdout + againstTarget.stderr);
  });

  it('backup --jobs 3, with no size floor for a session of its own, writes the files --jobs 1 writes, and the set verifies', async function () {
    const one = theSet();
    // The source is never changed here (the copies are other databases), so both sets hold the same snapshot's content.
    const parallel = await cli(
      ['backup', '--db', connectionFor(server, sourceDatabase).url, '--dir', folder, '--prefix', 'regression_jobs', '--profile', 'plain', '--jobs', '3', '--json'],
      {
        PULSE_BACKUP_PARALLEL_MIN_BYTES: '0',
      },
    );
    assert.equal(parallel.code, 0, parallel.stderr);
    const three = JSON.parse(parallel.stdout) as Manifest;
    assert.equal(three.options.jobs, 3);
    // Sessions are planned from the planner's statistics: a table never analyzed counts as empty, and the
    // empty ones all go to whichever session has least to do, often the main one. So how many tables the
    // extra sessions get depends on how much autovacuum has analyzed (149 of 534 on a fresh build, over
    // half later); at least 50 is far from both, and still hundreds of pieces spliced back.
    const withRows = one.tables.filter((table) => table.rows !== null).length;
    assert.ok((three.options.parallelTables ?? 0) >= 50, `only ${three.options.parallelTables ?? 0} of ${withRows} tables had a session of their own`);
    assert.deepEqual(
      readdirSync(folder).filter((name) => name.endsWith('.partial')),
      [],
      'no piece is left behind',
    );
    for (const type of ['schema', 'data', 'complete'] as const) {
      const file = (set: Manifest) => join(folder, set.files.find((candidate) => candidate.type === type)!.name);
      const differing = firstDifferentLine(dumpTextWithoutRestrictKey(file(three)), dumpTextWithoutRestrictKey(file(one)));
      assert.equal(differing, undefined, `the ${type} files differ: ${differing}`);
    }
    assert.deepEqual(three.digests?.tables, one.digests?.tables, 'the same rows, by digest');
    const verified = await cli(['verify', three.id, '--dir', folder, '--json']);
    assert.equal(verified.code, 0, verified.stdout + verified.stderr);
  });

  it('--clean over a copy is refused, naming the members of the built-in family integer_ops that no dump can carry, and changes nothing', async function () {
    const target = 'clean_refused';
    await server.createDatabase(target, { template: sourceDatabase });
    const before = await fingerprintDatabase(server.url(target), fingerprintOptions);
    const result = await cli(['restore', theSet().id, '--mode', 'complete', '--clean', '--db', connectionFor(server, target).url, '--dir', folder, '--yes']);
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, /^pulse-backup: the target has 6 objects the backup does not have that depend on what --clean would replace: /);
    assert.match(result.stderr, /of operator family integer_ops for access method btree/);
    assert.match(result.stderr, /nothing was changed/);
    // The one line, then (PULSE_BACKUP_DEBUG) each of the six with what it depends on.
    assert.equal(result.stderr.trim().split('\n').length, 1 + 6, result.stderr);
    assert.deepEqual(diffFingerprints(before, await fingerprintDatabase(server.url(target), fingerprintOptions)), []);
    await server.dropDatabase(target);
  });

  const cases: RestoreCase[] = [
    { name: 'complete', title: 'restore --mode complete into an empty database', steps: [restoreStep('complete', '--no-safety-backup')] },
    {
      name: 'complete_jobs',
      title: 'restore --mode complete --jobs 2 (rows and indexes in two sessions, not one transaction) into an empty database',
      steps: [restoreStep('complete', '--no-safety-backup', '--jobs', '2')],
    },
    {
      name: 'schema_data',
      title: 'restore --mode schema, then --mode data, into an empty database',
      steps: [restoreStep('schema', '--no-safety-backup'), restoreStep('data', '--no-safety-backup')],
    },
    {
      name: 'clean_identical',
      title: "restore --mode complete --clean over an identical copy (the built-in family's extra members dropped first)",
      copyChangedBy: dropBuiltInFamilyMembers,
      steps: [restoreStep('complete', '--clean')],
    },
    {
      name: 'clean_changed',
      title: "restore --mode complete --clean over a changed copy (the built-in family's extra members dropped first)",
      copyChangedBy: rowChanges + schemaChanges + dropBuiltInFamilyMembers,
      changed: true,
      steps: [restoreStep('complete', '--clean')],
    },
    {
      name: 'clean_schema_data',
      title: "restore --mode schema --clean, then --mode data --clean, over a changed copy (the built-in family's extra members dropped first)",
      copyChangedBy: rowChanges + schemaChanges + dropBuiltInFamilyMembers,
      changed: true,
      steps: [restoreStep('schema', '--clean'), restoreStep('data', '--clean')],
    },
    { name: 'data_clean', title: 'restore --mode data --clean over a copy whose rows changed', copyChangedBy: rowChanges, steps: [restoreStep('data', '--clean')] },
    { name: 'psql_complete', title: "the report's psql command for the complete file, into an empty database", steps: [printedStep('complete', /empty database/)] },
    {
      name: 'psql_schema_then_data',
      title: "the report's psql commands for the schema file, then the data file, into an empty database",
      steps: [printedStep('schema', /empty database/), printedStep('data', /has the schema/)],
    },
    {
      name: 'psql_schema_and_data',
      title: "the report's psql command for schema and data files in one run, into an empty database",
      steps: [printedStep('data', /schema then data/)],
    },
  ];

  /** The case's target made (empty, or a copy of the source changed), then its steps in order until one fails: that one's problems. */
  async function runCase(restoreCase: RestoreCase, target: string): Promise<string[]> {
    if (restoreCase.copyChangedBy === undefined) await server.createDatabase(target, { template: 'template0' });
    else await changedCopy(target, restoreCase.copyChangedBy);
    for (const step of restoreCase.steps) {
      const problems = step.printed ? await runPrinted(step.mode, step.printed, target) : await restore(target, step.mode, ...step.flags);
      if (problems.length > 0) return problems;
    }
    return [];
  }

  for (const restoreCase of cases) {
    it(`${restoreCase.title} does at least what the bar does`, async function () {
      const target = `restored_${restoreCase.name}`;
      const problems = await runCase(restoreCase, target);
      const shortfalls = await judge(target, problems, restoreCase.changed === true);
      outcomes.push({ title: restoreCase.title, shortfalls });
      await server.dropDatabase(target);
      const known = process.env.PULSE_REGRESSION_STRICT ? undefined : knownShortfalls[restoreCase.name];
      const listed = shortfalls.slice(0, shownLines).map((line) => `  - ${line.replace(/\n/g, '\n    ')}`);
      if (shortfalls.length > shownLines) listed.push(`  … and ${shortfalls.length - shownLines} more (all of them: ${join(REGRESSION_CACHE, 'last-run.md')})`);
      if (known !== undefined && shortfalls.length > 0) {
        // The reporter prints the title after the test ends, below this.
        console.log(`      ${restoreCase.title} falls short, as known (${known}):\n${listed.map((line) => `      ${line}`).join('\n')}`);
        if (this.test) this.test.title += ' (falls short, as known: see above)';
        this.skip();
      }
      if (shortfalls.length > 0) assert.fail(`falls short of plain pg_dump | psql in ${shortfalls.length} way(s):\n${listed.join('\n')}`);
      assert.equal(known, undefined, `meets the bar now: take "${restoreCase.name}" off test/regression/knownShortfalls.ts`);
    });
  }
});

function describeError(error: PsqlError): string {
  return `${error.location}: ${error.message}${error.statement ? `\nstatement: ${error.statement.slice(0, 400)}` : ''}`;
}

function describeErrors(errors: PsqlError[]): string {
  return errors.length === 0 ? '(no ERROR on stderr)' : errors.map(describeError).join('\n');
}

function indent(text: string): string {
  return text
    .split('\n')
    .slice(0, 40)
    .map((line) => `    ${line}`)
    .join('\n');
}

/** A Markdown record of the run beside the cache, for whoever fixes a mode. */
function writeLastRun(build: RegressionBuild, source: Fingerprint, bar: Fingerprint | undefined, barRun: PsqlRun | undefined, outcomes: Outcome[]): void {
  const lines = [
    `# The regression database, ${new Date().toISOString()}`,
    '',
    `PostgreSQL ${build.serverVersion} (Debian ${build.debianVersion}); regression suite: ${build.regressionSuite.summary}; ${source.facts.size} facts.`,
    '',
    '## The bar: pg_dump regression | psql',
    '',
    ...(barRun ? barRun.errors.map((error) => `- ${describeError(error).replace(/\n/g, ' ⏎ ')}`) : ['- not measured']),
    ...(bar ? diffFingerprints(source, bar).map((line) => `- ${line}`) : []),
    '',
    ...outcomes.flatMap((outcome) => [
      `## ${outcome.title}: ${outcome.shortfalls.length === 0 ? 'meets the bar' : `${outcome.shortfalls.length} shortfall(s)`}`,
      '',
      ...outcome.shortfalls.map((line) => `- ${line.replace(/\n/g, ' ⏎ ')}`),
      '',
    ]),
  ];
  writeFileSync(join(REGRESSION_CACHE, 'last-run.md'), `${lines.join('\n')}\n`);
}
