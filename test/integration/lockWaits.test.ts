/**
 * A table another session holds does not hang the backup: every query it
 * runs waits a bounded time (--lock-timeout), then it stops with one line
 * naming the table and the session that holds it, and writes nothing.
 */
import { strict as assert } from 'node:assert';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { assertOneLineError, cleanEnv, runCli } from '../support/cli';
import { createFactoryDatabase, useServer, useTempFolders } from '../support/integration';
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
        assert.ok(result.durationMs < 20_000, `took ${result.durationMs} ms`);
      } finally {
        await holder.release();
      }
      assert.ok(!existsSync(dir) || readdirSync(dir).length === 0, 'nothing was written');
    });
  }

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
