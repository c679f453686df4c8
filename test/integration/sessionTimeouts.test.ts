/**
 * A role whose sessions the server ends when they wait (as a production
 * database often sets for its application's role): idle in a transaction
 * for more than 100 ms, idle at all for more than 100 ms, or running one
 * statement for more than 100 ms. The tool's sessions are not ended or cut
 * short, however long they wait: a parallel backup's snapshot session,
 * which its later pg_dump sessions import the snapshot from (it failed with
 * "invalid snapshot identifier"), a restore's turn, held for the whole
 * restore, the read session of diff (and prove), and any session idle
 * between two queries. Where a PostgreSQL 17 server is installed, its
 * transaction_timeout too.
 */
import { strict as assert } from 'node:assert';
import { existsSync, readdirSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { openSnapshotSession } from '../../src/core/backup/snapshot';
import { resolveConnection } from '../../src/core/connection/target';
import { connectClient } from '../../src/core/connection/session';
import { commandLineWords } from '../../src/core/commandLineWords';
import { formatError } from '../../src/core/errors';
import { runCli, startCli, type CliOptions } from '../support/cli';
import { diffFingerprints, fingerprintDatabase } from '../support/fingerprint';
import { backupSet, createFactoryDatabase, restoreArgs, useServer, useTempFolders } from '../support/integration';
import { hasServerMajor, startServer } from '../support/pgServer';
import { holdTable } from '../support/tableLock';
import { gatedPgDump } from '../support/gatedPgDump';
import { waitFor } from '../support/wait';

const ROLE = 'pulse_impatient';
const PASSWORD = 'Impatient-Pass-42';
const TIMEOUT = '100ms';
/** The turn's advisory lock ("PULS", "REST"), held in the target database. */
const TURN_HELD = `SELECT count(*)::int AS held FROM pg_locks WHERE locktype = 'advisory' AND granted AND classid = ${0x50554c53} AND objid = ${0x52455354}`;

describe('server timeouts that end waiting sessions', function () {
  const server = useServer();
  const newFolder = useTempFolders('pulse-backup-timeouts-');
  const source = 'impatient_source';
  let folder: string;
  const asRole: CliOptions = { env: { PGPASSWORD: PASSWORD } };
  const url = (database: string) => server.url(database, ROLE);

  before(async function () {
    await createFactoryDatabase(server, source);
    await server.query(
      'postgres',
      `CREATE ROLE ${ROLE} LOGIN SUPERUSER PASSWORD '${PASSWORD}';
       ALTER ROLE ${ROLE} SET idle_in_transaction_session_timeout = '${TIMEOUT}';
       ALTER ROLE ${ROLE} SET idle_session_timeout = '${TIMEOUT}';
       ALTER ROLE ${ROLE} SET statement_timeout = '${TIMEOUT}'`,
    );
    folder = newFolder();
  });

  it('a parallel backup: its later pg_dump sessions still import the snapshot, and the set restores equal to the source', async function () {
    this.timeout(120_000);
    // Every table in a session of its own: each worker's later tables start well after 100 ms.
    const result = await runCli(['backup', '--db', url(source), '--dir', folder, '--prefix', 'impatient', '--jobs', '2', '--json'], {
      env: { ...asRole.env, PULSE_BACKUP_PARALLEL_MIN_BYTES: '0' },
    });
    assert.equal(result.code, 0, result.stderr);
    const set = JSON.parse(result.stdout) as { id: string };
    await server.createDatabase('impatient_copy');
    const restored = await runCli(restoreArgs(set.id, 'complete', server.url('impatient_copy'), folder, ['--no-safety-backup']));
    assert.equal(restored.code, 0, restored.stderr);
    assert.deepEqual(diffFingerprints(await fingerprintDatabase(server.url(source)), await fingerprintDatabase(server.url('impatient_copy'))), []);
  });

  it("a restore keeps the database's turn while it waits far longer than the timeout, and finishes", async function () {
    this.timeout(120_000);
    const target = 'impatient_target';
    await server.createDatabase(target, { template: source });
    const setFolder = newFolder();
    const set = await backupSet(server, source, setFolder, 'turn');
    // Its psql waits at the first DROP for a table a busy session reads.
    const blocker = await holdTable(server.url(target), 'public.users', { mode: 'ACCESS SHARE', busy: true });
    let restore;
    try {
      restore = await startCli(restoreArgs(set.id, 'complete', url(target), setFolder, ['--clean', '--no-safety-backup', '--lock-timeout', '60']), asRole);
      const deadline = Date.now() + 30_000;
      while ((await server.query<{ held: number }>(target, TURN_HELD))[0].held === 0) {
        if (Date.now() > deadline) assert.fail('the restore never took its turn');
        await sleep(20);
      }
      // Ten times the timeout: the turn's session is idle all that time.
      await sleep(1000);
      assert.equal((await server.query<{ held: number }>(target, TURN_HELD))[0].held, 1, "the restore's turn was let go while it waited");
    } finally {
      await blocker.release();
    }
    const result = await restore.subprocess;
    assert.equal(result.exitCode, 0, String(result.stderr));
    assert.deepEqual(diffFingerprints(await fingerprintDatabase(server.url(source)), await fingerprintDatabase(server.url(target))), []);
  });

  it('diff reads the database in full, after its reads waited for a table far longer than the timeout', async function () {
    this.timeout(120_000);
    const setFolder = newFolder();
    const set = await backupSet(server, source, setFolder, 'diff');
    // A table changed since: its rows are counted afterwards, in another session that imports the snapshot once the reads are done.
    await server.query(source, 'DELETE FROM public.notifications WHERE id = (SELECT min(id) FROM public.notifications)');
    // Its read session exported the snapshot, then waits idle while pg_dump and psql wait for the table.
    const holder = await holdTable(server.url(source), 'public.users');
    let run;
    try {
      run = await startCli(['diff', set.id, '--db', url(source), '--dir', setFolder], asRole);
      const deadline = Date.now() + 30_000;
      while ((await server.query(source, `SELECT 1 FROM pg_locks WHERE NOT granted AND relation = 'public.users'::regclass`)).length === 0) {
        if (Date.now() > deadline) assert.fail('diff never waited for the table');
        await sleep(20);
      }
      await sleep(500);
    } finally {
      await holder.release();
    }
    const result = await run.subprocess;
    assert.equal(result.exitCode, 0, String(result.stderr) + String(result.stdout));
    assert.match(String(result.stdout), /public\.notifications.*1 row (deleted|removed|fewer)/);
  });

  // The pre-flight's session, for one, waits while the set's files are checked: minutes for a big set.
  it('every session the tool opens outlives the timeouts: idle, a statement, and idle in a transaction, each three times as long', async function () {
    const client = await connectClient(resolveConnection({ url: url(source), env: { PGPASSWORD: PASSWORD } }));
    try {
      await sleep(300);
      await client.query('BEGIN');
      await client.query('SELECT pg_catalog.pg_sleep(0.3)');
      await sleep(300);
      await client.query('COMMIT');
    } finally {
      await client.end().catch(() => undefined);
    }
  });

  it('a session the server ends anyway (pg_terminate_backend) is said in one line, not as an unexpected error to report', async function () {
    const client = await connectClient(resolveConnection({ url: server.url(source), env: {} }));
    try {
      const [{ pid }] = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows;
      await server.query('postgres', `SELECT pg_terminate_backend(${pid}, 5000)`);
      await sleep(100);
      const error = await client.query('SELECT 1').then(
        () => assert.fail('the ended session still answered'),
        (caught: unknown) => caught,
      );
      const line = formatError(error, commandLineWords);
      assert.match(
        line,
        /^the database server ended the session, or the connection to it broke \((Client has encountered a connection error and is not queryable|Connection terminated unexpectedly|terminating connection due to administrator command)\): check that the server runs/,
      );
      assert.doesNotMatch(line, /unexpected error|report it/);
    } finally {
      await client.end().catch(() => undefined);
    }
  });

  it('a snapshot session the server ends before pg_dump imports its snapshot: one line saying so, not pg_dump\'s "invalid snapshot identifier", and nothing written', async function () {
    this.timeout(120_000);
    const gate = await gatedPgDump(newFolder());
    const target = newFolder();
    const run = await startCli(['backup', '--db', server.url(source), '--dir', target, '--prefix', 'ended', '--pg-bin-dir', gate.bin]);
    await waitFor('pg_dump to wait at the gate', () => existsSync(gate.waiting));
    // The backup's own session, once it has read the catalog: idle in the transaction that exported the snapshot.
    // It is idle in that transaction for a moment between its catalog queries too, and ended then, its next query
    // fails first (as a session the server ended): only an idleness that lasts is the wait for pg_dump.
    const snapshotSession = async () =>
      (
        await server.query<{ pid: number }>(
          'postgres',
          `SELECT pid FROM pg_stat_activity WHERE datname = $1 AND state = 'idle in transaction' AND now() - state_change > interval '1 second' AND pid <> pg_backend_pid()`,
          [source],
        )
      ).map((row) => row.pid);
    const deadline = Date.now() + 30_000;
    let pids = await snapshotSession();
    while (pids.length === 0 && Date.now() < deadline) pids = await sleep(20).then(snapshotSession);
    assert.equal(pids.length, 1, 'the snapshot session, idle in its transaction');
    await server.query('postgres', 'SELECT pg_terminate_backend($1, 5000)', [pids[0]]);
    gate.open();
    const result = await run.subprocess;
    const stderr = String(result.stderr);
    assert.equal(result.exitCode, 1, stderr);
    assert.match(
      stderr,
      /^pulse-backup: the server ended the backup's snapshot session before pg_dump could use its snapshot \(terminating connection due to administrator command\): run the backup again, and check the server log \(it says why the session ended\) if it repeats; nothing was written; older backups are untouched$/,
    );
    assert.deepEqual(existsSync(target) ? readdirSync(target) : [], []);
  });

  it('PostgreSQL 17: a transaction_timeout does not end the snapshot session while it waits', async function () {
    this.timeout(120_000);
    if (!hasServerMajor(17)) this.skip();
    const newer = await startServer({ major: 17 });
    try {
      await newer.query('postgres', `CREATE ROLE ${ROLE} LOGIN SUPERUSER PASSWORD '${PASSWORD}'; ALTER ROLE ${ROLE} SET transaction_timeout = '${TIMEOUT}'`);
      const target = resolveConnection({ url: newer.url('postgres', ROLE), env: { PGPASSWORD: PASSWORD } });
      const session = await openSnapshotSession(target, { lockTimeoutSeconds: 10 });
      try {
        await sleep(500);
        const facts = await session.readServerFacts();
        assert.equal(facts.currentUser, ROLE);
      } finally {
        await session.close();
      }
    } finally {
      await newer.stop();
    }
  });
});
