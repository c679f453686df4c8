/**
 * `backup --jobs N`: big tables' rows dumped by sessions of their own, all
 * from the one exported snapshot, assembled into the same three files a
 * one-session backup writes. Proved on every sample database (and the
 * shared real-world ones when present): the files are laid out byte for
 * byte as pg_dump's own (but for pg_dump's random \restrict key), they
 * verify, and restoring either set gives the same fingerprint. A write
 * committed while the backup runs is in neither; a killed or cancelled
 * parallel backup leaves no set.
 */
import { strict as assert } from 'node:assert';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import type { Manifest } from '../../src/core/sets/manifest';
import type { BackupReport } from '../../src/core/report/types';
import { loadSample, plainFor, sampleCases } from '../samples';
import { runCli, startCli } from '../support/cli';
import { dumpTextWithoutRestrictKey } from '../support/dumpText';
import { assertSameContent } from '../support/fingerprint';
import { backupSet, createFactoryDatabase, listSets, restoreSet, useServer, useTempFolders } from '../support/integration';
import { commandLineOf, hasProc, toolProcessesOf } from '../support/proc';
import { holdTable } from '../support/tableLock';
import { waitFor } from '../support/wait';

/** Every table, however small, gets a session of its own: the samples are small. */
const EVERY_TABLE = { PULSE_BACKUP_PARALLEL_MIN_BYTES: '0' };

function hiddenFiles(folder: string): string[] {
  return readdirSync(folder).filter((name) => name.startsWith('.') && name.endsWith('.partial'));
}

describe('parallel backup (--jobs)', function () {
  const server = useServer();
  const newFolder = useTempFolders('pulse-backup-jobs-');

  for (const sample of sampleCases()) {
    it(`${sample.name}: --jobs 3 writes the files --jobs 1 writes, they verify, and both restore to the same fingerprint`, async function () {
      this.timeout(600_000);
      const database = `jobs_${sample.name}`.toLowerCase().replace(/[^a-z0-9_]/g, '_');
      await server.dropDatabase(database);
      await server.createDatabase(database);
      await loadSample(server, database, sample);
      const folder = newFolder();
      const one = await backupSet(server, database, folder, 'one', ['--jobs', '1', ...plainFor(sample)]);
      const three = await backupSet(server, database, folder, 'three', ['--jobs', '3', ...plainFor(sample)], { env: EVERY_TABLE });
      assert.equal(one.options.jobs, undefined, 'a --jobs 1 set is a one-session set');
      assert.equal(three.options.jobs, 3);
      assert.ok((three.options.parallelTables ?? 0) > 0, 'some tables had a session of their own');
      assert.deepEqual(hiddenFiles(folder), [], 'no piece is left behind');

      for (const type of ['schema', 'data', 'complete'] as const) {
        const name = (manifest: Manifest) => manifest.files.find((file) => file.type === type)!.name;
        assert.equal(dumpTextWithoutRestrictKey(join(folder, name(three))), dumpTextWithoutRestrictKey(join(folder, name(one))), `the ${type} files are the same`);
      }
      assert.deepEqual(three.digests?.tables, one.digests?.tables, 'the same rows, by digest');
      assert.deepEqual(
        three.tables.map((table) => [table.schema, table.name, table.rows]),
        one.tables.map((table) => [table.schema, table.name, table.rows]),
      );

      const verified = await runCli(['verify', three.id, '--dir', folder, '--json']);
      assert.equal(verified.code, 0, verified.stdout + verified.stderr);
      // The summary says how each was dumped.
      const dumped = async (set: Manifest) => {
        const summary = await runCli(['summary', set.id, '--dir', folder, '--format', 'json']);
        assert.equal(summary.code, 0, summary.stderr);
        return (JSON.parse(summary.stdout) as BackupReport).overview.dumpedText;
      };
      assert.equal(await dumped(one), 'one pg_dump, from one snapshot');
      assert.match((await dumped(three)) ?? '', /^3 jobs: \d+ big tables' rows dumped in sessions of their own, from the same snapshot$/);

      const restored: string[] = [];
      for (const set of [one, three]) {
        const target = `${database}_${set.prefix}`;
        await server.dropDatabase(target);
        await server.createDatabase(target);
        const result = await restoreSet(server, set.id, folder, target, 'complete', ['--no-safety-backup']);
        assert.equal(result.code, 0, result.stderr);
        restored.push(server.url(target));
      }
      await assertSameContent(restored[0], restored[1]);
      for (const target of restored) await server.dropDatabase(new URL(target).pathname.slice(1));
      await server.dropDatabase(database);
    });
  }

  it('a big table first in pg_dump order is split while its session still dumps it, into the files --jobs 1 writes', async function () {
    this.timeout(600_000);
    const database = 'jobs_first_big';
    await server.dropDatabase(database);
    await createFactoryDatabase(server, database);
    // About 40 MB of rows, first of all TABLE DATA entries: the main dump
    // reaches it at once and reads its piece as it grows, many reads ahead
    // of the end that is held back until its pg_dump has ended.
    await server.query(database, `CREATE TABLE public.aaa_first AS SELECT n AS id, repeat(md5(n::text), 8) AS note, n % 7 AS bucket FROM generate_series(1, 150000) AS n`);
    await server.query(database, `CREATE TABLE public.zzz_last AS SELECT n AS id, md5(n::text) AS note FROM generate_series(1, 100000) AS n`);
    await server.query(database, 'VACUUM ANALYZE');
    const folder = newFolder();
    const one = await backupSet(server, database, folder, 'one', ['--jobs', '1']);
    const two = await backupSet(server, database, folder, 'two', ['--jobs', '2'], { env: { PULSE_BACKUP_PARALLEL_MIN_BYTES: String(1024 * 1024) } });
    assert.equal(two.options.parallelTables, 1, 'the biggest table had a session of its own');
    for (const type of ['schema', 'data', 'complete'] as const) {
      const name = (manifest: Manifest) => manifest.files.find((file) => file.type === type)!.name;
      assert.equal(dumpTextWithoutRestrictKey(join(folder, name(two))), dumpTextWithoutRestrictKey(join(folder, name(one))), `the ${type} files are the same`);
    }
    assert.deepEqual(two.digests?.tables, one.digests?.tables, 'the same rows, by digest');
    assert.deepEqual(hiddenFiles(folder), [], 'no piece is left behind');
    const verified = await runCli(['verify', two.id, '--dir', folder, '--json']);
    assert.equal(verified.code, 0, verified.stdout + verified.stderr);
    await server.dropDatabase(database);
  });

  it('many sessions (--jobs 16 on a database of 16 or more tables): nothing on stderr, and the set verifies', async function () {
    this.timeout(240_000);
    const database = 'jobs_many';
    await server.dropDatabase(database);
    await createFactoryDatabase(server, database);
    // Ordinary tables: a partitioned table's rows are its partitions'.
    const tables = (
      await server.query<{ n: number }>(
        database,
        "SELECT count(*)::int AS n FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema')",
      )
    )[0].n;
    assert.ok(tables >= 16, `the sample has ${tables} tables`);
    const folder = newFolder();
    const result = await runCli(['backup', '--db', server.url(database), '--dir', folder, '--prefix', 'many', '--jobs', '16', '--json'], { env: EVERY_TABLE });
    assert.equal(result.code, 0, result.stderr);
    // Not even a warning of Node's about the listeners sixteen sessions put on one cancel signal.
    assert.equal(result.stderr, '');
    const manifest = JSON.parse(result.stdout) as Manifest;
    assert.equal(manifest.options.jobs, 16);
    // Fifteen extra sessions, each with one table at least; the main session may keep some of the smallest.
    const parallelTables = manifest.options.parallelTables ?? 0;
    assert.ok(parallelTables >= 15 && parallelTables <= tables, `${parallelTables} of ${tables} tables in sessions of their own`);
    const verified = await runCli(['verify', manifest.id, '--dir', folder]);
    assert.equal(verified.code, 0, verified.stderr);
    await server.dropDatabase(database);
  });

  const oneSessionSets = [
    {
      kind: 'an encrypted set',
      why: 'pieces would hold rows on disk in clear',
      flags: ['--encrypt'],
      suffix: '.sql.age',
      env: { PULSE_BACKUP_PASSPHRASE: 'parallel and private' },
    },
    { kind: 'a gzip set', why: 'its data and complete files share their rows as gzip members', flags: ['--compress', 'gzip'], suffix: '.sql.gz', env: {} },
  ];
  for (const { kind, why, flags, suffix, env } of oneSessionSets) {
    it(`${kind} keeps one session, since ${why}, and restores to what the database holds`, async function () {
      this.timeout(240_000);
      const database = `jobs_${suffix.replace(/\W/g, '_')}`;
      await server.dropDatabase(database);
      await createFactoryDatabase(server, database);
      const folder = newFolder();
      const set = await backupSet(server, database, folder, 'one', ['--jobs', '3', ...flags], { env: { ...EVERY_TABLE, ...env } });
      assert.equal(set.options.parallelTables, undefined);
      assert.ok(set.files.every((file) => file.name.endsWith(suffix)));
      const target = `${database}_restored`;
      await server.dropDatabase(target);
      await server.createDatabase(target);
      const restored = await runCli(['restore', set.id, '--mode', 'complete', '--db', server.url(target), '--dir', folder, '--yes', '--no-safety-backup'], { env });
      assert.equal(restored.code, 0, restored.stderr);
      await assertSameContent(server.url(database), server.url(target));
    });
  }

  describe('one snapshot, nothing half', function () {
    const database = 'jobs_snapshot';

    before(async function () {
      await createFactoryDatabase(server, database);
      // Big enough that its piece takes a moment to dump.
      await server.query(database, `CREATE TABLE public.ledger AS SELECT n AS id, repeat(md5(n::text), 8) AS note FROM generate_series(1, 200000) AS n`);
      // The session plan goes by the planner's statistics: analyzed, the ledger is the biggest table and
      // the first of a session of its own, and the main pg_dump leaves its rows out (never so by chance,
      // whenever autovacuum gets to it).
      await server.query(database, 'ANALYZE public.ledger');
      await server.query(database, 'CREATE TABLE public.audit (id int)');
    });

    it('a write committed while the backup waits is in neither the main dump nor a piece', async function () {
      this.timeout(240_000);
      const folder = newFolder();
      const writer = new Client({ connectionString: server.url(database) });
      await writer.connect();
      try {
        await writer.query('BEGIN');
        await writer.query('LOCK TABLE public.ledger IN ACCESS EXCLUSIVE MODE');
        await writer.query('INSERT INTO public.ledger SELECT n, $1 FROM generate_series(200001, 200010) AS n', ['written during the backup']);
        await writer.query('INSERT INTO public.audit VALUES (1)');
        const { subprocess } = await startCli(['backup', '--db', server.url(database), '--dir', folder, '--prefix', 'snap', '--jobs', '3', '--json'], { env: EVERY_TABLE });
        // The backup's snapshot exists and it waits for the table: only now does the write commit.
        const waiting = async () =>
          Number((await server.query<{ n: string }>(database, `SELECT count(*)::text AS n FROM pg_locks WHERE NOT granted AND relation = 'public.ledger'::regclass`))[0].n) > 0;
        for (let tries = 0; !(await waiting()); tries += 1) {
          assert.ok(tries < 6000, 'the backup never waited for the table');
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
        await writer.query('COMMIT');
        const result = await subprocess;
        assert.equal(result.exitCode, 0, String(result.stderr));
        const manifest = JSON.parse(String(result.stdout)) as Manifest;
        assert.ok((manifest.options.parallelTables ?? 0) > 0);
        const rows = (name: string) => manifest.tables.find((table) => table.schema === 'public' && table.name === name)?.rows;
        assert.equal(rows('ledger'), 200000);
        assert.equal(rows('audit'), 0);
        const data = readFileSync(join(folder, manifest.files.find((file) => file.type === 'data')!.name), 'utf8');
        assert.ok(!data.includes('written during the backup'));
      } finally {
        await writer.end();
      }
    });

    it('kill -9 while the pieces are dumped: no set is listed, no pg_dump outlives it, the next backup clears the pieces', async function () {
      this.timeout(240_000);
      let killedMidway = 0;
      for (let attempt = 1; attempt <= 3 && killedMidway === 0; attempt += 1) {
        const folder = newFolder();
        const { subprocess } = await startCli(['backup', '--db', server.url(database), '--dir', folder, '--prefix', 'kill', '--jobs', '3'], { env: EVERY_TABLE });
        await waitFor('a piece to be written', () => existsSync(folder) && readdirSync(folder).some((name) => name.includes('.piece')), 60_000);
        subprocess.kill('SIGKILL');
        await subprocess;
        if (readdirSync(folder).some((name) => name.endsWith('.manifest.json'))) continue; // it finished first
        killedMidway += 1;
        assert.deepEqual(await listSets(folder), [], 'nothing is listed as a set');
        if (hasProc) await waitFor('every pg_dump to end', () => toolProcessesOf('pg_dump', server.port).length === 0, 5000);
        await backupSet(server, database, folder, 'kill', ['--jobs', '1']);
        assert.deepEqual(hiddenFiles(folder), [], 'the next backup removed what the killed one left');
      }
      assert.ok(killedMidway > 0, 'the kill never landed while the pieces were dumped');
    });

    it('a table held past --lock-timeout fails the parallel backup in one line naming it, and leaves nothing', async function () {
      this.timeout(120_000);
      const folder = newFolder();
      const blocker = await holdTable(server.url(database), 'public.ledger');
      try {
        const result = await runCli(['backup', '--db', server.url(database), '--dir', folder, '--prefix', 'held', '--jobs', '3', '--lock-timeout', '1'], { env: EVERY_TABLE });
        assert.equal(result.code, 1, result.stderr);
        assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
        assert.match(result.stderr, /public\.ledger/);
        assert.deepEqual(
          readdirSync(folder).filter((name) => !name.startsWith('.pulse-backup')),
          [],
          'no file of the set, hidden or not',
        );
      } finally {
        await blocker.release();
      }
    });

    it("a piece's session ended by the server while it dumps: the backup fails in one line and leaves nothing", async function () {
      this.timeout(240_000);
      const folder = newFolder();
      const { subprocess } = await startCli(['backup', '--db', server.url(database), '--dir', folder, '--prefix', 'ended', '--jobs', '3'], { env: EVERY_TABLE });
      // Only the piece copies public.ledger: the main pg_dump leaves its rows out.
      const ended = async () =>
        (
          await server.query<{ pid: number }>(
            database,
            `SELECT pid FROM pg_stat_activity WHERE query LIKE 'COPY public.ledger %' AND pid <> pg_backend_pid() AND pg_terminate_backend(pid)`,
          )
        ).length > 0;
      let tries = 0;
      while (!(await ended()) && subprocess.exitCode === null) {
        assert.ok((tries += 1) < 30_000, 'the piece of public.ledger was never seen');
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
      const result = await subprocess;
      if (readdirSync(folder).some((name) => name.endsWith('.manifest.json'))) this.skip(); // it finished before the session was ended
      assert.equal(result.exitCode, 1, String(result.stderr));
      assert.equal(String(result.stderr).trim().split('\n').length, 1, String(result.stderr));
      assert.match(String(result.stderr), /pg_dump lost its connection to the server mid-dump \(terminating connection .*\): nothing was written/);
      assert.deepEqual(
        readdirSync(folder).filter((name) => !name.startsWith('.pulse-backup')),
        [],
        'no file of the set, hidden or not',
      );
      if (hasProc) await waitFor('every pg_dump to end', () => toolProcessesOf('pg_dump', server.port).length === 0, 5000);
    });

    it("a piece's pg_dump killed (kill -9) while it dumps: the backup fails in one line and leaves nothing", async function () {
      if (!hasProc) this.skip(); // finding the piece's process needs /proc
      this.timeout(240_000);
      const folder = newFolder();
      const { subprocess } = await startCli(['backup', '--db', server.url(database), '--dir', folder, '--prefix', 'piece', '--jobs', '3'], { env: EVERY_TABLE });
      // The ledger's: a session starts on it at once, and its 50 MB of rows take a while.
      await waitFor('the pg_dump of the ledger', () =>
        toolProcessesOf('pg_dump', server.port).some((pid) => {
          if (!/ --data-only --table="public"\."ledger"/.test(commandLineOf(pid) ?? '')) return false;
          try {
            process.kill(pid, 'SIGKILL');
            return true;
          } catch {
            return false; // ended meanwhile
          }
        }),
      );
      const result = await subprocess;
      if (readdirSync(folder).some((name) => name.endsWith('.manifest.json'))) this.skip(); // it finished before the kill landed
      assert.equal(result.exitCode, 1, String(result.stderr));
      assert.equal(String(result.stderr).trim().split('\n').length, 1, String(result.stderr));
      assert.match(String(result.stderr), /pg_dump failed: killed by SIGKILL: nothing was written; older backups are untouched/);
      assert.deepEqual(
        readdirSync(folder).filter((name) => !name.startsWith('.pulse-backup')),
        [],
        'no file of the set, hidden or not',
      );
      await waitFor('every pg_dump to end', () => toolProcessesOf('pg_dump', server.port).length === 0, 5000);
    });

    it('SIGTERM while the pieces are dumped: the backup is cancelled and nothing is left', async function () {
      this.timeout(240_000);
      const folder = newFolder();
      const { subprocess } = await startCli(['backup', '--db', server.url(database), '--dir', folder, '--prefix', 'term', '--jobs', '3'], { env: EVERY_TABLE });
      await waitFor('a piece to be written', () => existsSync(folder) && readdirSync(folder).some((name) => name.includes('.piece')), 60_000);
      subprocess.kill('SIGTERM');
      const result = await subprocess;
      if (readdirSync(folder).some((name) => name.endsWith('.manifest.json'))) this.skip(); // it finished before the signal landed
      assert.notEqual(result.exitCode, 0);
      assert.match(String(result.stderr), /backup cancelled/);
      assert.equal(String(result.stderr).trim().split('\n').length, 1, String(result.stderr));
      assert.deepEqual(
        readdirSync(folder).filter((name) => !name.startsWith('.pulse-backup')),
        [],
        'no file of the set, hidden or not',
      );
      if (hasProc) await waitFor('every pg_dump to end', () => toolProcessesOf('pg_dump', server.port).length === 0, 5000);
    });
  });
});

describe('parallel backup on a server with few connection slots', function () {
  const server = useServer({ settings: { max_connections: '6', superuser_reserved_connections: '0' } });
  const newFolder = useTempFolders('pulse-backup-slots-');

  it("more sessions than free slots: one line that names the backup's sessions and --jobs, and nothing written", async function () {
    this.timeout(120_000);
    const database = 'few_slots';
    await server.createDatabase(database);
    for (const table of ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h']) await server.query(database, `CREATE TABLE ${table} AS SELECT n FROM generate_series(1, 20000) AS n`);
    await server.query(database, 'VACUUM ANALYZE');
    const folder = newFolder();
    const result = await runCli(['backup', '--db', server.url(database), '--dir', folder, '--prefix', 'slots', '--jobs', '9'], { env: EVERY_TABLE });
    assert.equal(result.code, 1, result.stderr);
    assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
    assert.match(result.stderr, /has no free connection slots for the backup's 9 pg_dump sessions: run with a smaller --jobs/);
    assert.deepEqual(
      readdirSync(folder).filter((name) => !name.startsWith('.pulse-backup')),
      [],
      'no file of the set, hidden or not',
    );
    // With as many sessions as the server has room for, the same backup runs.
    const fewer = await runCli(['backup', '--db', server.url(database), '--dir', folder, '--prefix', 'slots', '--jobs', '2'], { env: EVERY_TABLE });
    assert.equal(fewer.code, 0, fewer.stderr);
  });
});
