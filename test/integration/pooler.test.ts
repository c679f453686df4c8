/**
 * Through a real PgBouncer, as when DATABASE_URL names a project's pooler.
 * In transaction mode each transaction runs on whichever server connection
 * is free: the tool's settings (an empty search_path, timeouts switched off)
 * stayed behind on a server connection the pool then gave the application,
 * whose unqualified table names were then not found, and the tool's own
 * sessions (a snapshot, a restore's turn) were not one session. Every
 * command now refuses such a pooler in one line before it sets anything,
 * and the pool's connections keep their settings. In session mode the
 * pooler gives each client one server connection: backup, restore and diff
 * work as they do directly.
 */
import { strict as assert } from 'node:assert';
import { existsSync, readdirSync } from 'node:fs';
import { Client } from 'pg';
import { assertOneLineError, runCli } from '../support/cli';
import { diffFingerprints, fingerprintDatabase } from '../support/fingerprint';
import { backupSet, createFactoryDatabase, restoreArgs, useServer, useTempFolders } from '../support/integration';
import { findPgbouncer, startPgbouncer, type Pooler } from '../support/pgbouncer';
import { skipBecause } from '../support/skip';
import type { Manifest } from '../../src/core/sets/manifest';

const SOURCE = 'pooled_source';
const REFUSED =
  /^pulse-backup: (cannot restore \S+ into \S+: )?127\.0\.0\.1:\d+ is a connection pooler in transaction mode, which runs each transaction on whichever server connection is free: the tool, like pg_dump and psql, needs one session throughout, and its session settings would stay behind for the pool's other clients: connect directly, or through the pooler's session mode \(Supabase: port 5432, not 6543\), and pass that with --db URL/;

describe('through a connection pooler (PgBouncer)', function () {
  const server = useServer();
  const newFolder = useTempFolders('pulse-backup-pooler-');
  const poolers: Pooler[] = [];
  let transaction: Pooler;
  let session: Pooler;
  let single: Pooler;
  let folder: string;
  let set: Manifest;

  before(async function () {
    this.timeout(120_000);
    const program = findPgbouncer();
    if (!program) skipBecause(this, 'pgbouncer is not installed (apt install pgbouncer)');
    await createFactoryDatabase(server, SOURCE);
    transaction = await startPgbouncer(program, server, 'transaction');
    poolers.push(transaction);
    session = await startPgbouncer(program, server, 'session');
    poolers.push(session);
    single = await startPgbouncer(program, server, 'session', 1);
    poolers.push(single);
    folder = newFolder();
    set = await backupSet(server, SOURCE, folder, 'pooled');
  });

  after(async function () {
    for (const pooler of poolers) await pooler.stop();
  });

  it('transaction mode: backup, verify --db, diff and restore each refuse in one line, write nothing, and leave the settings of the pool’s connections as they were', async function () {
    this.timeout(180_000);
    const target = newFolder();
    const backup = await runCli(['backup', '--db', transaction.url(SOURCE), '--dir', target, '--prefix', 'pooled']);
    assertOneLineError(backup);
    assert.match(backup.stderr, REFUSED);
    assert.deepEqual(existsSync(target) ? readdirSync(target) : [], []);

    const diff = await runCli(['diff', set.id, '--dir', folder, '--db', transaction.url(SOURCE)]);
    assertOneLineError(diff);
    assert.match(diff.stderr, REFUSED);

    await server.createDatabase('pooled_target');
    const restore = await runCli(restoreArgs(set.id, 'complete', transaction.url('pooled_target'), folder));
    assertOneLineError(restore);
    assert.match(restore.stderr, REFUSED);
    assert.deepEqual(await server.query('pooled_target', "SELECT relname FROM pg_class WHERE relnamespace = 'public'::regnamespace"), []);

    const verify = await runCli(['verify', set.id, '--dir', folder, '--db', transaction.url(SOURCE)]);
    assert.equal(verify.code, 1, verify.stdout + verify.stderr);
    assert.match(verify.stdout, /✘ The target database is reachable\n\s+127\.0\.0\.1:\d+ is a connection pooler in transaction mode/);

    // More clients at once than the pool has server connections: every one of them is seen.
    const seen = await Promise.all(
      Array.from({ length: 8 }, async () => {
        const client = new Client({ connectionString: transaction.url(SOURCE) });
        await client.connect();
        try {
          const [row] = (await client.query<{ path: string }>("SELECT current_setting('search_path') AS path, pg_sleep(0.2)")).rows;
          return row.path;
        } finally {
          await client.end();
        }
      }),
    );
    assert.deepEqual([...new Set(seen)], ['"$user", public']);
  });

  it('session mode: a parallel backup, a restore and a diff through the pooler work as they do directly', async function () {
    this.timeout(180_000);
    const target = newFolder();
    const backup = await runCli(['backup', '--db', session.url(SOURCE), '--dir', target, '--prefix', 'session', '--jobs', '2', '--json'], {
      env: { PULSE_BACKUP_PARALLEL_MIN_BYTES: '0' },
    });
    assert.equal(backup.code, 0, backup.stderr);
    const id = (JSON.parse(backup.stdout) as { id: string }).id;
    await server.createDatabase('session_copy');
    const restored = await runCli(restoreArgs(id, 'complete', session.url('session_copy'), target));
    assert.equal(restored.code, 0, restored.stderr);
    assert.deepEqual(diffFingerprints(await fingerprintDatabase(server.url(SOURCE)), await fingerprintDatabase(server.url('session_copy'))), []);
    const diff = await runCli(['diff', id, '--dir', target, '--db', session.url(SOURCE)]);
    assert.equal(diff.code, 0, diff.stderr);
    assert.match(diff.stdout, /has not changed/);
  });

  it("session mode with its one server connection taken by the tool's own session: the check stops waiting for a second one and goes on", async function () {
    this.timeout(180_000);
    // PgBouncer queues the second client (for query_wait_timeout, two minutes); verify's own 10 s query timeout would end that wait too.
    const verify = await runCli(['verify', set.id, '--dir', folder, '--db', single.url(SOURCE)]);
    assert.equal(verify.code, 0, verify.stdout + verify.stderr);
    assert.match(verify.stdout, /✔ The target database is reachable/);
    assert.ok(verify.durationMs < 8_000, `verify took ${Math.round(verify.durationMs)} ms`);
  });
});
