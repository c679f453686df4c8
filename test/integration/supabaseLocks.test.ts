/**
 * Locks on a Supabase stack, where backup, diff and restore run as the
 * stack's own non-superuser postgres and the session holding a table is the
 * platform's (GoTrue's migrations run as supabase_auth_admin): each stops
 * after --lock-timeout naming that session, changes nothing, and the way out
 * it gives (pg_terminate_backend, or who may run it) works for postgres.
 */
import { strict as assert } from 'node:assert';
import { Client } from 'pg';
import { assertOneLineError, runCli } from '../support/cli';
import { diffFingerprints, fingerprintDatabase } from '../support/fingerprint';
import { useTempFolders } from '../support/integration';
import { useSupabaseAppSet } from '../support/supabasePlatform';
import { holdTable } from '../support/tableLock';

describe("a platform table another session holds, on a Supabase stack, as the stack's postgres", function () {
  const newFolder = useTempFolders('pulse-backup-supabase-locks-');
  const source = 'app';
  const appSet = useSupabaseAppSet(source, newFolder);

  /** One query as postgres, the role the tool runs as. */
  async function asPostgres<T>(sql: string, values: unknown[] = []): Promise<T> {
    const client = new Client({ connectionString: appSet.stack.asPostgres(source) });
    await client.connect();
    try {
      return (await client.query(sql, values)).rows[0] as T;
    } finally {
      await client.end();
    }
  }

  it("backup, diff and restore stop after --lock-timeout naming GoTrue's session, change nothing, and the way out they give works", async function () {
    const { stack, folder, manifest } = appSet;
    const before = await fingerprintDatabase(stack.server.url(source));
    const holder = await holdTable(stack.server.url(source, 'supabase_auth_admin'), 'auth.users', { application: 'gotrue' });
    const backupsFolder = newFolder();
    try {
      // Supabase makes postgres a member of pg_signal_backend; the project's sample of the platform may not.
      const { may } = await asPostgres<{ may: boolean }>("SELECT pg_has_role('pg_signal_backend', 'MEMBER') AS may");
      const endIt = `${may ? '' : 'have a superuser or supabase_auth_admin '}end it with SELECT pg_terminate_backend\\(${holder.pid}\\);`;
      const session = `pid ${holder.pid} \\(gotrue, supabase_auth_admin, idle in transaction for \\d+ s, holds AccessExclusiveLock on auth\\.users\\)`;

      const backup = await runCli(['backup', '--db', stack.asPostgres(source), '--dir', backupsFolder, '--prefix', 'app', '--lock-timeout', '2']);
      assertOneLineError(backup);
      assert.match(backup.stderr, new RegExp(`auth\\.users is locked by another session, ${session}: the backup waited 2 s for it and stopped; nothing was written.*${endIt}`));

      const diff = await runCli(['diff', manifest.id, '--db', stack.asPostgres(source), '--dir', folder, '--lock-timeout', '2']);
      assertOneLineError(diff);
      assert.match(diff.stderr, new RegExp(`auth\\.users is locked by another session, ${session}: the diff waited 2 s for it and stopped \\(a diff only reads\\).*${endIt}`));

      for (const mode of ['data', 'complete']) {
        const restore = await runCli(['restore', manifest.id, '--mode', mode, '--clean', '--db', stack.asPostgres(source), '--dir', folder, '--yes', '--lock-timeout', '2']);
        assertOneLineError(restore);
        assert.match(
          restore.stderr,
          new RegExp(
            `restore gave up after waiting 2 s to read auth\\.users, before changing anything: held by ${session}: end that transaction \\(or ${endIt.replace(' it ', ' the session ')}\\).*nothing was changed$`,
            'm',
          ),
        );
      }
      // The way out, as postgres: where it may end the session, it can.
      if (may) assert.deepEqual(await asPostgres('SELECT pg_terminate_backend($1) AS ended', [holder.pid]), { ended: true });
    } finally {
      await holder.release();
    }
    assert.deepEqual(diffFingerprints(before, await fingerprintDatabase(stack.server.url(source))), []);
    const again = await runCli(['backup', '--db', stack.asPostgres(source), '--dir', backupsFolder, '--prefix', 'app', '--lock-timeout', '2']);
    assert.equal(again.code, 0, again.stderr);
  });
});
