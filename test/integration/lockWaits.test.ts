/**
 * A table another session holds does not hang the backup: every query it
 * runs waits a bounded time (--lock-timeout), then it stops with one line
 * naming the table and the session that holds it, and writes nothing.
 * A table dropped and made again while pg_dump waits for it fails pg_dump
 * (its snapshot still lists the old index), and so does one dropped for good
 * (its name is not found): both are said as a schema change meanwhile, with
 * what to do.
 */
import { strict as assert } from 'node:assert';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { assertOneLineError, cleanEnv, runCli, startCli, type CliResult } from '../support/cli';
import { backupSet, createFactoryDatabase, useServer, useTempFolders } from '../support/integration';
import { holdTable } from '../support/tableLock';

describe('a table another session holds', function () {
  const server = useServer();
  const newFolder = useTempFolders('pulse-backup-lockwait-');
  let folder: string;
  const database = 'locked_app';

  before(async function () {
    await createFactoryDatabase(server, database);
    folder = newFolder();
  });

  const hold = (table: string) => holdTable(server.url(database), table, { application: 'schema-migrator' });

  for (const table of ['public.messages', 'public.users']) {
    it(`stops after --lock-timeout with one line naming ${table} and the session that holds it, and writes nothing`, async function () {
      const holder = await hold(table);
      const dir = join(folder, table.replace('.', '_'));
      try {
        const result = await runCli(['backup', '--db', server.url(database), '--dir', dir, '--prefix', 'locked', '--lock-timeout', '2']);
        assertOneLineError(result);
        assert.match(
          result.stderr,
          new RegExp(
            `${table.replace('.', '\\.')} is locked by another session, pid ${holder.pid} \\(schema-migrator, postgres, idle in transaction for \\d+ s, holds AccessExclusiveLock on ${table.replace('.', '\\.')}\\)`,
          ),
        );
        assert.match(result.stderr, /the backup waited 2 s for it and stopped; nothing was written/);
        assert.match(result.stderr, new RegExp(`SELECT pg_terminate_backend\\(${holder.pid}\\)`));
        assert.doesNotMatch(result.stderr, /--lock-timeout/, 'a session idle in its transaction keeps its lock: waiting longer never helps');
        assert.ok(result.durationMs < 20_000, `took ${result.durationMs} ms`);
      } finally {
        await holder.release();
      }
      assert.ok(!existsSync(dir) || readdirSync(dir).length === 0, 'nothing was written');
    });
  }

  it('a role that may not end the session is told who may; given pg_signal_backend it is told to end it, and can', async function () {
    await server.query(
      database,
      `CREATE ROLE lock_reader LOGIN BYPASSRLS PASSWORD 'Reader-Pw-1'; GRANT pg_read_all_data TO lock_reader;
       CREATE ROLE lock_writer LOGIN PASSWORD 'Writer-Pw-1'; GRANT ALL ON public.messages TO lock_writer`,
    );
    const withPassword = (user: string, password: string) => {
      const url = new URL(server.url(database, user));
      url.password = password;
      return url.toString();
    };
    const backupAsReader = () =>
      runCli(['backup', '--db', server.url(database, 'lock_reader'), '--dir', join(folder, 'as-reader'), '--prefix', 'locked', '--lock-timeout', '1'], {
        env: { ...cleanEnv(), PGPASSWORD: 'Reader-Pw-1' },
      });
    const endWords = (result: CliResult) => /\(COMMIT or ROLLBACK\), or (.*?) then run the backup again/.exec(result.stderr)?.[1];

    // A superuser's session: only a superuser may end it.
    const bySuperuser = await hold('public.messages');
    try {
      const refused = await backupAsReader();
      assertOneLineError(refused);
      assert.equal(endWords(refused), `have a superuser end it with SELECT pg_terminate_backend(${bySuperuser.pid});`);
    } finally {
      await bySuperuser.release();
    }

    // Another role's session: a superuser, or that role.
    const byWriter = await holdTable(withPassword('lock_writer', 'Writer-Pw-1'), 'public.messages', { application: 'importer' });
    try {
      const refused = await backupAsReader();
      assertOneLineError(refused);
      assert.equal(endWords(refused), `have a superuser or lock_writer end it with SELECT pg_terminate_backend(${byWriter.pid});`);

      // A member of pg_signal_backend may end it: it is told to, and the call works.
      await server.query('postgres', 'GRANT pg_signal_backend TO lock_reader');
      const told = await backupAsReader();
      assertOneLineError(told);
      assert.equal(endWords(told), `end it with SELECT pg_terminate_backend(${byWriter.pid});`);
      const reader = new Client({ connectionString: withPassword('lock_reader', 'Reader-Pw-1') });
      await reader.connect();
      try {
        assert.deepEqual((await reader.query(`SELECT pg_terminate_backend(${byWriter.pid}) AS ended`)).rows, [{ ended: true }]);
      } finally {
        await reader.end();
      }
    } finally {
      await byWriter.release();
    }
    // The session is gone: nothing holds the table now (a backup as the owner, who may read the large objects too).
    const again = await runCli(['backup', '--db', server.url(database), '--dir', join(folder, 'as-owner'), '--prefix', 'locked', '--lock-timeout', '1']);
    assert.equal(again.code, 0, again.stderr);
  });

  it("when only pg_dump waits for the table (sizes estimated: the backup's own session locks nothing), pg_dump's own timeout names it the same way", async function () {
    // Estimates need statistics: a table never analyzed has its size read from its files, which waits too.
    await server.query(database, 'ANALYZE');
    const holder = await hold('public.messages');
    try {
      const result = await runCli(['backup', '--db', server.url(database), '--dir', join(folder, 'only-pg-dump'), '--prefix', 'locked', '--lock-timeout', '2'], {
        env: { ...cleanEnv(), PULSE_BACKUP_EXACT_SIZES_UP_TO: '0' },
      });
      assertOneLineError(result);
      assert.match(result.stderr, new RegExp(`public\\.messages is locked by another session, pid ${holder.pid} \\(schema-migrator`));
      assert.match(result.stderr, /the backup waited 2 s for it and stopped; nothing was written/);
      assert.doesNotMatch(result.stderr, /statement timeout/);
    } finally {
      await holder.release();
    }
    assert.ok(!existsSync(join(folder, 'only-pg-dump')) || readdirSync(join(folder, 'only-pg-dump')).length === 0, 'nothing was written');
  });

  /**
   * The race every pg_dump has: its snapshot still lists the old table's
   * index, which the server can no longer look up once the new table is
   * there. Made certain by holding the table until pg_dump waits for it,
   * then dropping and making it again.
   */
  async function replacedWhileWaited(args: readonly string[], change: 'replace' | 'drop' = 'replace') {
    await server.query(database, 'CREATE TABLE public.replaced (id integer PRIMARY KEY)');
    const migrator = new Client({ connectionString: server.url(database), application_name: 'schema-migrator' });
    migrator.on('error', () => undefined);
    await migrator.connect();
    try {
      await migrator.query('BEGIN');
      await migrator.query('LOCK TABLE public.replaced IN ACCESS EXCLUSIVE MODE');
      // Sizes estimated, so that only pg_dump waits for the table (as above).
      const { subprocess } = await startCli([...args, '--db', server.url(database), '--lock-timeout', '60'], { env: { ...cleanEnv(), PULSE_BACKUP_EXACT_SIZES_UP_TO: '0' } });
      for (;;) {
        const waiting = await server.query(database, `SELECT 1 FROM pg_locks WHERE NOT granted AND relation = 'public.replaced'::regclass`);
        if (waiting.length > 0) break;
        if (subprocess.exitCode !== null) assert.fail(`${args[0]} ended before pg_dump waited for the table: ${String((await subprocess).stderr)}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      await migrator.query('DROP TABLE public.replaced');
      if (change === 'replace') await migrator.query('CREATE TABLE public.replaced (id integer PRIMARY KEY)');
      await migrator.query('COMMIT');
      const result = await subprocess;
      const outcome = { code: result.exitCode ?? -1, stdout: String(result.stdout), stderr: String(result.stderr), durationMs: 0 };
      assertOneLineError(outcome);
      return outcome;
    } finally {
      await migrator.end().catch(() => undefined);
      await server.query(database, 'DROP TABLE IF EXISTS public.replaced');
    }
  }

  it('diff, which reads every table, stops after --lock-timeout with one line naming the table and the session that holds it', async function () {
    const dir = join(folder, 'diff-held');
    const set = await backupSet(server, database, dir, 'diff-held');
    const holder = await hold('public.messages');
    try {
      const result = await runCli(['diff', set.id, '--db', server.url(database), '--dir', dir, '--lock-timeout', '2']);
      assertOneLineError(result);
      assert.match(
        result.stderr,
        new RegExp(
          `public\\.messages is locked by another session, pid ${holder.pid} \\(schema-migrator, postgres, idle in transaction for \\d+ s, holds AccessExclusiveLock on public\\.messages\\): the diff waited 2 s for it and stopped \\(a diff only reads\\)`,
        ),
      );
      assert.match(result.stderr, new RegExp(`SELECT pg_terminate_backend\\(${holder.pid}\\); then run the diff again`));
      assert.doesNotMatch(result.stderr, /nothing was changed/, 'a diff changes nothing to begin with');
      assert.doesNotMatch(result.stderr, /statement timeout|check that the server runs/);
      assert.ok(result.durationMs < 20_000, `took ${result.durationMs} ms`);
    } finally {
      await holder.release();
    }
  });

  it('a table dropped and made again while pg_dump waits for it: one line saying the schema changed meanwhile, and nothing written', async function () {
    const dir = join(folder, 'replaced');
    const result = await replacedWhileWaited(['backup', '--dir', dir, '--prefix', 'replaced']);
    assert.match(
      result.stderr,
      /pg_dump failed: another session changed the schema while it was read \(cache lookup failed for index \d+\): a table or index was dropped or replaced meanwhile .*run the backup again once that is done; nothing was written; older backups are untouched/,
    );
    assert.ok(!existsSync(dir) || readdirSync(dir).length === 0, 'nothing was written');
  });

  it('the same race in diff, which reads the schema with pg_dump too: the same words', async function () {
    const dir = join(folder, 'diffed');
    const set = await backupSet(server, database, dir, 'diffed');
    const result = await replacedWhileWaited(['diff', set.id, '--dir', dir]);
    assert.match(
      result.stderr,
      /could not .* of locked_app: another session changed the schema while it was read \(cache lookup failed for index \d+\): .*run it again once that is done/,
    );
  });

  // Dropped for good: pg_dump's LOCK TABLE no longer finds the name. It once said "cannot use PostgreSQL … check the connection settings".
  it('a table dropped while pg_dump waits for it: the same words, not a connection problem, and nothing written', async function () {
    const dir = join(folder, 'dropped');
    const result = await replacedWhileWaited(['backup', '--dir', dir, '--prefix', 'dropped'], 'drop');
    assert.match(
      result.stderr,
      /pg_dump failed: another session changed the schema while it was read \(relation "public\.replaced" does not exist\): a table or index was dropped or replaced meanwhile .*run the backup again once that is done; nothing was written; older backups are untouched/,
    );
    assert.doesNotMatch(result.stderr, /connection/);
    assert.ok(!existsSync(dir) || readdirSync(dir).length === 0, 'nothing was written');
  });

  it('the same drop in diff: the same words', async function () {
    const dir = join(folder, 'diffed-drop');
    const set = await backupSet(server, database, dir, 'diffed-drop');
    const result = await replacedWhileWaited(['diff', set.id, '--dir', dir], 'drop');
    assert.match(
      result.stderr,
      /could not .* of locked_app: another session changed the schema while it was read \(.*relation "public\.replaced" does not exist\): .*run it again once that is done/,
    );
  });

  it('a statement_timeout set on the database does not cut the backup short, and the lock is still what it reports', async function () {
    await server.query(database, `ALTER DATABASE ${database} SET statement_timeout = '500ms'`);
    const holder = await hold('public.messages');
    try {
      const result = await runCli(['backup', '--db', server.url(database), '--dir', join(folder, 'statement'), '--prefix', 'locked', '--lock-timeout', '2']);
      assertOneLineError(result);
      assert.match(result.stderr, /public\.messages is locked by another session/);
      assert.doesNotMatch(result.stderr, /statement timeout/);
    } finally {
      await holder.release();
      await server.query(database, `ALTER DATABASE ${database} RESET statement_timeout`);
    }
    const after = await runCli(['backup', '--db', server.url(database), '--dir', join(folder, 'statement'), '--prefix', 'locked']);
    assert.equal(after.code, 0, after.stderr);
  });
});
