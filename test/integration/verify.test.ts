/**
 * `verify` tells a good set from a damaged one, names the check that fails,
 * and says whether a set can be restored into a given database. Sets are
 * made the real way: this tool's with the CLI, the old script's with three
 * pg_dump runs; damage is done to copies, so each case starts from a good set.
 */
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { qualifiedName } from '../../src/core/format';
import { chmodSync, chownSync, copyFileSync, readdirSync, readFileSync, statSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadExeca } from '../support/execa';
import type { SetHistory } from '../../src/core/sets/history';
import type { Manifest } from '../../src/core/sets/manifest';
import type { CheckResult, VerificationReport } from '../../src/core/verify/results';
import { assertOneLineError, CLI_PATH, REPO_ROOT, runCli, type CliOptions, type CliResult } from '../support/cli';
import { backupSet, createFactoryDatabase, useServer, useTempFolders } from '../support/integration';
import { writeOldScriptSet } from '../support/oldScript';
import { closedPort } from '../support/ports';
import { loadSample, sampleCases } from '../samples';

const LEGACY_TIMESTAMP = '20250901_173948';
const LEGACY_ID = `factory_pulse_${LEGACY_TIMESTAMP}`;

describe('verifying backup sets', function () {
  const server = useServer();
  const newFolder = useTempFolders('pulse-backup-verify-');
  /** Holds one good set of this tool and one of the old script; never damaged. */
  let folder: string;
  let made: Manifest;

  before(async function () {
    await createFactoryDatabase(server, 'factory_pulse');
    folder = newFolder();

    made = await backupSet(server, 'factory_pulse', folder, 'factory_pulse');

    // The old script: three separate pg_dump runs, files as pg_dump -f makes them, no manifest.
    await writeOldScriptSet(server, 'factory_pulse', folder, 'factory_pulse', LEGACY_TIMESTAMP);
  });

  /** A fresh folder holding a copy of one set's files, modes kept. */
  function copyOfSet(setId: string): string {
    const copy = newFolder();
    const [prefix, timestamp] = [setId.slice(0, -16), setId.slice(-15)];
    for (const name of readdirSync(folder)) {
      if (!name.startsWith(`${prefix}_`) || !name.includes(timestamp) || name.endsWith('.history.json')) continue;
      copyFileSync(join(folder, name), join(copy, name));
      chmodSync(join(copy, name), statSync(join(folder, name)).mode & 0o777);
    }
    return copy;
  }

  function fileOf(dir: string, type: 'schema' | 'data' | 'complete', setId = made.id): string {
    const timestamp = setId.slice(-15);
    return join(dir, `factory_pulse_${type}_backup_${timestamp}.sql`);
  }

  async function verify(setId: string, dir: string, extra: string[] = [], options: CliOptions = {}): Promise<{ result: CliResult; report: VerificationReport }> {
    const result = await runCli(['verify', setId, '--dir', dir, '--json', ...extra], options);
    assert.ok(result.code === 0 || result.code === 1, `exit ${result.code}: ${result.stderr}`);
    return { result, report: JSON.parse(result.stdout) as VerificationReport };
  }

  function checkOf(report: VerificationReport, id: string): CheckResult {
    const found = report.groups.flatMap((group) => group.checks).find((check) => check.id === id);
    assert.ok(found, `no check ${id} in ${JSON.stringify(report)}`);
    return found;
  }

  function failing(report: VerificationReport): string[] {
    return report.groups
      .flatMap((group) => group.checks)
      .filter((check) => check.status === 'fail')
      .map((check) => check.id)
      .sort();
  }

  it('a history edited by hand or damaged (null where a verification was, one without its checks) costs no command its run: the good verification still counts', async function () {
    const dir = copyOfSet(made.id);
    for (const name of readdirSync(folder)) if (name.includes(LEGACY_TIMESTAMP)) copyFileSync(join(folder, name), join(dir, name));
    const good = await verify(made.id, dir);
    assert.equal(good.report.outcome, 'pass', good.result.stdout);
    const path = join(dir, `${made.id}.history.json`);
    const history = JSON.parse(readFileSync(path, 'utf8')) as Omit<SetHistory, 'verifications' | 'proofs' | 'retention'> & {
      verifications: unknown[];
      proofs: unknown[];
      retention: unknown[];
    };
    history.verifications.push(null, {}, { ...good.report, groups: [{ name: 'post-backup' }] });
    history.retention.push(null, { at: good.report.checkedAt, keep: 1 });
    history.proofs = [null, { formatVersion: 1, setId: made.id, provedAt: good.report.checkedAt, outcome: 'proved', summary: 'x', differences: [], paths: [] }];
    writeFileSync(path, JSON.stringify(history));
    const outputs: string[] = [];
    for (const args of [
      ['list', '--dir', dir],
      ['show', made.id, '--dir', dir],
      ['summary', made.id, '--dir', dir, '--format', 'json'],
      ['prune', '--dir', dir, '--prefix', 'factory_pulse', '--keep', '1', '--dry-run'],
    ]) {
      const result = await runCli(args);
      assert.equal(result.code, 0, `${args[0]}: ${result.stderr}`);
      assert.doesNotMatch(result.stderr, /unexpected error/, args[0]);
      outputs.push(result.stdout);
    }
    assert.ok(outputs[2].includes(good.report.checkedAt), 'the summary shows the good verification');
  });

  it('a good set made by backup passes every check, exits 0, and its history holds the report', async function () {
    const dir = copyOfSet(made.id);
    const { result, report } = await verify(made.id, dir);
    assert.equal(result.code, 0, result.stdout);
    assert.equal(report.outcome, 'pass', result.stdout);
    assert.deepEqual(
      report.groups.map((group) => [group.name, group.checks.map((check) => `${check.id}:${check.status}`)]),
      [['post-backup', ['files-present:pass', 'manifest:pass', 'sizes:pass', 'checksums:pass', 'permissions:pass', 'dump-format:pass', 'content:pass']]],
    );
    assert.match(checkOf(report, 'content').detail, /20 tables defined in the schema and complete files; 3,166 rows of 19 tables/);
    assert.equal(result.stderr, '');

    const history = JSON.parse(readFileSync(join(dir, `${made.id}.history.json`), 'utf8')) as SetHistory;
    assert.deepEqual(history.verifications, [report]);
    const listed = await runCli(['list', '--dir', dir, '--json']);
    assert.equal((JSON.parse(listed.stdout) as { hasHistory: boolean }[])[0]?.hasHistory, true);
  });

  it('prints the checks grouped with their marks and details, then the outcome', async function () {
    const result = await runCli(['verify', made.id, '--dir', copyOfSet(made.id)]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(
      result.stdout,
      /^Verification of factory_pulse_\d{8}_\d{6}\n\nPost-backup checks\n {2}✔ Every file of the set is present and readable\n {6}schema, data and complete files present/,
    );
    assert.match(result.stdout, / {2}✔ Files match their recorded sha256\n {6}3 files match their recorded sha256\n/);
    assert.match(result.stdout, /\nPassed: all 7 checks passed \(\d+(\.\d)? m?s\)$/);
  });

  it('a flipped byte, same size, fails the checksum and only the checksum', async function () {
    const dir = copyOfSet(made.id);
    const path = fileOf(dir, 'data');
    const bytes = readFileSync(path);
    // Inside a row of data: still a well-formed dump with the same rows.
    const position = bytes.indexOf('COPY public.users') + 200;
    bytes[position] = bytes[position] === 0x61 ? 0x62 : 0x61;
    writeFileSync(path, bytes);
    const { result, report } = await verify(made.id, dir);
    assert.equal(result.code, 1);
    assert.deepEqual(failing(report), ['checksums']);
    assert.match(checkOf(report, 'checksums').detail, /factory_pulse_data_backup_\d{8}_\d{6}\.sql does not match its recorded sha256/);
  });

  it('a truncated file fails its size, its checksum and the footer check', async function () {
    const dir = copyOfSet(made.id);
    const path = fileOf(dir, 'complete');
    truncateSync(path, Math.floor(statSync(path).size / 2));
    const { result, report } = await verify(made.id, dir);
    assert.equal(result.code, 1);
    for (const id of ['sizes', 'checksums', 'dump-format']) assert.equal(checkOf(report, id).status, 'fail', id);
    assert.match(checkOf(report, 'dump-format').detail, /factory_pulse_complete_backup_\d{8}_\d{6}\.sql stops before pg_dump's "dump complete" footer: it was cut short/);
    assert.match(checkOf(report, 'sizes').detail, /is [\d,]+ bytes, the manifest recorded [\d,]+/);
  });

  it('a missing file fails the presence check', async function () {
    const dir = copyOfSet(made.id);
    unlinkSync(fileOf(dir, 'data'));
    const { result, report } = await verify(made.id, dir);
    assert.equal(result.code, 1);
    assert.equal(checkOf(report, 'files-present').status, 'fail');
    assert.match(checkOf(report, 'files-present').detail, /factory_pulse_data_backup_\d{8}_\d{6}\.sql is missing/);
  });

  it('a FIFO in place of a dump fails the presence check at once: reading it blocked verify for ever, Ctrl-C included', async function () {
    if (process.platform === 'win32') this.skip();
    const dir = copyOfSet(made.id);
    unlinkSync(fileOf(dir, 'schema'));
    execFileSync('mkfifo', [fileOf(dir, 'schema')]);
    const { result, report } = await verify(made.id, dir);
    assert.equal(result.code, 1);
    assert.match(checkOf(report, 'files-present').detail, /cannot read factory_pulse_schema_backup_\d{8}_\d{6}\.sql: it is not a regular file \(a pipe or a device\)/);
  });

  it('a complete file that is really the schema file fails the checksum and, on its own, the content check', async function () {
    const dir = copyOfSet(made.id);
    copyFileSync(fileOf(dir, 'schema'), fileOf(dir, 'complete'));
    const { result, report } = await verify(made.id, dir);
    assert.equal(result.code, 1);
    assert.equal(checkOf(report, 'checksums').status, 'fail');
    assert.equal(checkOf(report, 'content').status, 'fail');
    assert.match(checkOf(report, 'content').detail, /public\.\S+ has no rows in the complete file \([\d,]+ recorded\).*does not hold the whole database/);
  });

  it('files other users can read (0644) warn, not fail, and the detail says how to fix it', async function () {
    const dir = copyOfSet(made.id);
    for (const type of ['schema', 'data', 'complete'] as const) chmodSync(fileOf(dir, type), 0o644);
    const { result, report } = await verify(made.id, dir);
    assert.equal(result.code, 0);
    assert.equal(report.outcome, 'warn');
    assert.equal(checkOf(report, 'permissions').status, 'warn');
    assert.match(checkOf(report, 'permissions').detail, /readable by other users \(mode 0644\).*chmod 600/);
  });

  it('a file the user may not read fails the presence check and names the reason', async function () {
    if (process.getuid?.() !== 0) this.skip(); // needs root to hand the folder to another user
    const dir = copyOfSet(made.id);
    const nobody = 65534;
    chownSync(dir, nobody, nobody);
    for (const type of ['schema', 'complete'] as const) chownSync(fileOf(dir, type), nobody, nobody);
    chownSync(join(dir, `${made.id}.manifest.json`), nobody, nobody);
    // The data file stays root's, mode 0600.
    chmodSync(dir, 0o755);
    const result = await runCli(['verify', made.id, '--dir', dir, '--json'], { uid: nobody, gid: nobody });
    assert.equal(result.code, 1, result.stderr);
    const report = JSON.parse(result.stdout) as VerificationReport;
    assert.match(checkOf(report, 'files-present').detail, /cannot read factory_pulse_data_backup_\d{8}_\d{6}\.sql: permission denied/);
  });

  it('an old-script set of three pg_dump runs verifies with a warning that no checksums were recorded, exit 0', async function () {
    const { result, report } = await verify(LEGACY_ID, copyOfSet(LEGACY_ID));
    assert.equal(result.code, 0, result.stdout);
    assert.equal(report.outcome, 'warn');
    assert.equal(checkOf(report, 'checksums').status, 'warn');
    assert.match(checkOf(report, 'checksums').detail, /no checksums were recorded/);
    assert.equal(checkOf(report, 'dump-format').status, 'pass');
    assert.equal(checkOf(report, 'content').status, 'pass');
    assert.match(checkOf(report, 'content').detail, /20 tables defined in both the schema and complete files; the data and complete files hold the same 3,166 rows/);
    assert.deepEqual(failing(report), []);
  });

  it('an old-script set whose complete file is really the schema file fails the content check', async function () {
    const dir = copyOfSet(LEGACY_ID);
    copyFileSync(fileOf(dir, 'schema', LEGACY_ID), fileOf(dir, 'complete', LEGACY_ID));
    const { result, report } = await verify(LEGACY_ID, dir);
    assert.equal(result.code, 1);
    assert.deepEqual(failing(report), ['content']);
    assert.match(checkOf(report, 'content').detail, /has no rows in the complete file \([\d,]+ in the data file\)/);
  });

  it('with --db, the pre-restore checks pass against a running server', async function () {
    const { result, report } = await verify(made.id, copyOfSet(made.id), ['--db', server.url('factory_pulse')]);
    assert.equal(result.code, 0, result.stdout);
    const preRestore = report.groups.find((group) => group.name === 'pre-restore');
    assert.ok(preRestore, 'a pre-restore group');
    assert.equal(preRestore.title, 'Pre-restore checks');
    assert.deepEqual(
      preRestore.checks.map((check) => `${check.id}:${check.status}`),
      [
        'target-reachable:pass',
        'target-writable:pass',
        'psql:pass',
        'server-version:pass',
        'extensions:pass',
        'roles:pass',
        'owners:pass',
        'superuser:pass',
        'schema-public:pass',
        'tablespaces:pass',
        'collations:pass',
        'encoding:pass',
        'source-database:pass',
        'data-columns:pass',
        'load-triggers:pass',
        'disk-space:pass',
      ],
    );
    assert.match(
      checkOf(report, 'target-reachable').detail,
      new RegExp(`^PostgreSQL 15\\.\\d+ at 127\\.0\\.0\\.1:${server.port}, as postgres: database factory_pulse, [\\d.]+ [KMG]?B$`),
    );
    // pg_dump 15.18 writes \restrict; the psql found here reads it.
    assert.match(checkOf(report, 'psql').detail, /psql 15\.\d+ .* reads the \\restrict line/);
    assert.deepEqual(report.target, { host: '127.0.0.1', port: server.port, database: 'factory_pulse', user: 'postgres' });
    assert.ok(!result.stdout.includes(server.password), 'the password stays out of the report');
  });

  // A data restore is refused when the target's tables changed since the backup; verify --db said "all checks passed".
  it('with --db, a target whose tables changed since the backup warns that a data restore would be refused, naming what changed, as the restore then says', async function () {
    const target = 'verify_migrated';
    await server.createDatabase(target, { template: 'factory_pulse' });
    await server.query(
      target,
      'ALTER TABLE public.users DROP COLUMN last_active_at; ALTER TABLE public.messages ADD COLUMN urgent boolean NOT NULL DEFAULT false; ALTER TABLE public.messages ALTER COLUMN urgent DROP DEFAULT',
    );
    const dir = copyOfSet(made.id);
    const { result, report } = await verify(made.id, dir, ['--db', server.url(target)]);
    assert.equal(result.code, 0, 'a warning: a complete restore is not affected');
    const columns = checkOf(report, 'data-columns');
    assert.equal(columns.status, 'warn');
    assert.equal(columns.title, "The target's tables take the set's rows as a data restore loads them");
    assert.match(
      columns.detail,
      /^a data restore would be refused: public\.messages\.urgent is NOT NULL without a default, and the rows have no value for it; public\.users has no column last_active_at, which the rows hold: a complete restore with --clean recreates the tables and is not affected/,
    );
    const restore = await runCli(['restore', made.id, '--mode', 'data', '--clean', '--db', server.url(target), '--dir', dir, '--yes', '--no-safety-backup']);
    assertOneLineError(restore);
    assert.match(restore.stderr, /public\.users has no column last_active_at, which the rows hold/);
    // Into an empty database: nothing for a data restore yet, which a complete restore creates.
    await server.createDatabase('verify_empty');
    const empty = await verify(made.id, dir, ['--db', server.url('verify_empty')]);
    assert.equal(checkOf(empty.report, 'data-columns').status, 'pass');
    assert.match(
      checkOf(empty.report, 'data-columns').detail,
      /^the target has none of the set's \d+ tables: a complete or schema restore creates them, a data restore needs them first$/,
    );
  });

  it('with --db as a role whose transactions are read-only, the target takes no changes: the check fails, and a restore is refused before its safety backup', async function () {
    await server.query('postgres', `CREATE ROLE pulse_read_only LOGIN SUPERUSER PASSWORD 'Read-Only-12'; ALTER ROLE pulse_read_only SET default_transaction_read_only = on`);
    const dir = copyOfSet(made.id);
    const env = { PGPASSWORD: 'Read-Only-12' };
    const target = server.url('factory_pulse', 'pulse_read_only');
    const { result, report } = await verify(made.id, dir, ['--db', target], { env });
    assert.equal(result.code, 1, result.stdout);
    assert.deepEqual(failing(report), ['target-writable']);
    assert.match(
      checkOf(report, 'target-writable').detail,
      /^transactions of pulse_read_only in factory_pulse are read-only \(default_transaction_read_only is on for the role or the database\): restore as a role that may write/,
    );
    const before = readdirSync(dir).sort();
    const restore = await runCli(['restore', made.id, '--mode', 'data', '--clean', '--db', target, '--dir', dir, '--yes'], { env });
    assert.equal(restore.code, 1);
    assert.match(
      restore.stderr,
      /^pulse-backup: cannot restore \S+ into pulse_read_only@127\.0\.0\.1:\d+\/factory_pulse: transactions of pulse_read_only in factory_pulse are read-only .*: restore as a role that may write, or, if the setting is not there on purpose, turn it off \(ALTER ROLE "pulse_read_only" SET default_transaction_read_only = off, or the same with ALTER DATABASE "factory_pulse"\); nothing was changed$/,
    );
    assert.deepEqual(readdirSync(dir).sort(), before, 'no safety backup was written');
  });

  it('with --db against a closed port, the target check fails with a clear detail and exit 1', async function () {
    const port = await closedPort();
    const dir = copyOfSet(made.id);
    const { result, report } = await verify(made.id, dir, ['--db', `postgresql://postgres:secret@127.0.0.1:${port}/factory_pulse`]);
    assert.equal(result.code, 1);
    assert.deepEqual(failing(report), ['target-reachable']);
    assert.match(checkOf(report, 'target-reachable').detail, new RegExp(`cannot connect to PostgreSQL at 127\\.0\\.0\\.1:${port}: connection refused: start the database`));
    assert.ok(!result.stdout.includes('secret'));

    const human = await runCli(['verify', made.id, '--dir', dir, '--db', `postgresql://postgres@127.0.0.1:${port}/factory_pulse`]);
    assert.equal(human.code, 1);
    assert.match(human.stdout, /Pre-restore checks \(postgres@127\.0\.0\.1:\d+\/factory_pulse\)\n {2}✘ The target database is reachable\n {6}cannot connect/);
    assert.match(human.stdout, /\nFAILED: 1 check failed, 9 passed/);
  });

  it('shows progress file by file on a terminal, and keeps stderr empty with --json', async function () {
    const dir = copyOfSet(made.id);
    const execa = await loadExeca();
    // `script` gives the CLI a real terminal, as a person running it has.
    const command = `${process.execPath} ${CLI_PATH} verify ${made.id} --dir '${dir}'`;
    const onTerminal = await execa('script', ['-qec', command, '/dev/null'], { reject: false, cwd: REPO_ROOT, env: { ...process.env, TERM: 'xterm' } });
    assert.equal(onTerminal.exitCode, 0, onTerminal.stdout);
    assert.match(onTerminal.stdout, /Reading 3 files \([\d.]+ KB\)/);
    assert.match(onTerminal.stdout, /read factory_pulse_data_backup_\d{8}_\d{6}\.sql \([\d.]+ KB\)/);
    assert.match(onTerminal.stdout, /Passed: all 7 checks passed/);
    const json = await runCli(['verify', made.id, '--dir', dir, '--json']);
    assert.equal(json.stderr, '');
  });

  it('an unknown set id is a one-line error naming the sets that exist', async function () {
    const result = await runCli(['verify', 'factory_pulse_20200101_000000', '--dir', folder]);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /^pulse-backup: no backup set factory_pulse_20200101_000000 in .*: run pulse-backup list .* to see the sets \(newest: factory_pulse_\d{8}_\d{6}/);
    assert.equal(result.stderr.trim().split('\n').length, 1);
  });

  describe('a backup of every sample database verifies clean; a required column added since is then named by verify --db and refused by a data restore', function () {
    for (const sample of sampleCases()) {
      it(`${sample.name}${sample.shared ? ' (shared fixture)' : ''}`, async function () {
        const database = `verify_${sample.name}`;
        await server.createDatabase(database);
        await loadSample(server, database, sample);
        const dir = newFolder();
        const manifest = await backupSet(server, database, dir, sample.name);
        const { result, report } = await verify(manifest.id, dir, ['--db', server.url(database)]);
        assert.equal(report.outcome, 'pass', result.stdout);
        assert.equal(result.code, 0);
        // A migration on one of its plain tables that holds rows: a required column the rows have no value for.
        const [table] = await server.query<{ schema: string; name: string; quoted: string }>(
          database,
          `SELECT n.nspname AS schema, c.relname AS name, format('%I.%I', n.nspname, c.relname) AS quoted FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind = 'r' AND NOT c.relispartition AND NOT EXISTS (SELECT 1 FROM pg_inherits WHERE inhparent = c.oid OR inhrelid = c.oid)
              AND format('%s.%s', n.nspname, c.relname) = ANY ($1) ORDER BY 1, 2 LIMIT 1`,
          [manifest.tables.filter((entry) => (entry.rows ?? 0) > 0).map((entry) => `${entry.schema}.${entry.name}`)],
        );
        assert.ok(table, 'a plain table with rows');
        await server.query(
          database,
          `ALTER TABLE ${table.quoted} ADD COLUMN pulse_probe integer NOT NULL DEFAULT 0; ALTER TABLE ${table.quoted} ALTER COLUMN pulse_probe DROP DEFAULT`,
        );
        const migrated = await verify(manifest.id, dir, ['--db', server.url(database)]);
        assert.equal(checkOf(migrated.report, 'data-columns').status, 'warn', migrated.result.stdout);
        const expected = `${qualifiedName(table.schema, table.name)}.pulse_probe is NOT NULL without a default, and the rows have no value for it`;
        assert.ok(checkOf(migrated.report, 'data-columns').detail.includes(expected), checkOf(migrated.report, 'data-columns').detail);
        const restore = await runCli(['restore', manifest.id, '--mode', 'data', '--clean', '--db', server.url(database), '--dir', dir, '--yes', '--no-safety-backup']);
        assertOneLineError(restore);
        assert.ok(restore.stderr.includes(expected), restore.stderr);
      });
    }
  });
});
