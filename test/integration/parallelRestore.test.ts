/**
 * `restore --jobs N` into an empty database: rows and indexes loaded by
 * sessions side by side. The result must equal the source in full content,
 * as the one-transaction restore's does; it is refused over a database that
 * has anything of its own; and since it is not one transaction, a failure
 * or a cancel must leave the database empty again. A SIGKILL of the CLI
 * cannot clean up: the next restore with jobs says the database is not empty.
 */
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Manifest } from '../../src/core/sets/manifest';
import type { RestoreResult } from '../../src/core/restore/types';
import { assertOneLineError, runCli, startCli } from '../support/cli';
import { assertSameContent, diffFingerprints, fingerprintDatabase } from '../support/fingerprint';
import { backupSet, copySetFiles, createFactoryDatabase, restoreArgs, restoreSet, useServer, useTempFolders } from '../support/integration';
import { hasProc, toolProcessesOf } from '../support/proc';
import { skipBecause } from '../support/skip';
import { editFirstRow, rewriteSetFile } from '../support/tamper';
import { holdTableOnceCreated } from '../support/tableLock';
import { waitFor } from '../support/wait';
import { loadSample, plainFor, sampleCases } from '../samples';

describe('restore --jobs', function () {
  const server = useServer();
  const newFolder = useTempFolders('pulse-backup-jobs-restore-');

  for (const sample of sampleCases()) {
    it(`${sample.name}${sample.shared ? ' (shared fixture)' : ''}: --jobs 2 into an empty database equals the source`, async function () {
      const source = `pj_${sample.name}`;
      await server.createDatabase(source);
      await loadSample(server, source, sample);
      const folder = newFolder();
      const manifest = await backupSet(server, source, folder, sample.name, plainFor(sample));
      const target = `pjt_${sample.name}`;
      await server.createDatabase(target);
      const result = await restoreSet(server, manifest.id, folder, target, 'complete', ['--no-safety-backup', '--jobs', '2']);
      assert.equal(result.code, 0, result.stderr);
      const report = JSON.parse(result.stdout) as RestoreResult;
      assert.equal(report.jobs, 2);
      assert.equal(report.rowCountsMatch, true);
      assert.equal(report.tables.length, manifest.tables.filter((table) => table.rows !== null).length);
      await assertSameContent(server.url(source), server.url(target));
    });
  }

  // Sessions of one restore wait for each other: an index of a table whose primary key another session builds
  // waits as long as that build. The watch on lock waits (for other programs' sessions) must not cancel that.
  it('a session waiting for another session of the same restore is not cut short by --lock-timeout', async function () {
    this.timeout(300_000);
    const source = 'pj_own_waits';
    await server.createDatabase(source);
    // A primary key slow to build (a long text key, 3 million rows) and indexes of the same table in the other session.
    await server.query(
      source,
      `CREATE TABLE public.wide (id bigint, k int, note text, PRIMARY KEY (note, k, id));
       INSERT INTO public.wide SELECT g, g % 1000, md5(g::text) || md5((g + 1)::text) FROM generate_series(1, 3000000) g;
       CREATE INDEX wide_k ON public.wide (k); CREATE INDEX wide_id ON public.wide (id);`,
    );
    const folder = newFolder();
    const manifest = await backupSet(server, source, folder, 'ownwaits');
    const target = 'pj_own_waits_copy';
    await server.createDatabase(target);
    const result = await runCli(restoreArgs(manifest.id, 'complete', server.url(target), folder, ['--no-safety-backup', '--jobs', '2', '--lock-timeout', '1']));
    assert.equal(result.code, 0, result.stderr);
    await assertSameContent(server.url(source), server.url(target));
  });

  describe('on the factory sample', function () {
    const source = 'pj_source';
    let folder: string;
    let set: Manifest;

    before(async function () {
      await createFactoryDatabase(server, source);
      // One table big enough that its rows take a while to load: time to cancel or kill mid-way.
      await server.query(
        source,
        `CREATE TABLE public.bulk (id bigint PRIMARY KEY, note text); INSERT INTO public.bulk SELECT g, repeat('x', 100) || g FROM generate_series(1, 1500000) g`,
      );
      folder = newFolder();
      set = await backupSet(server, source, folder, 'pj');
    });

    it('says plainly what it gives up and keeps, before and after, and loads in parallel sessions', async function () {
      const target = 'pj_words';
      await server.createDatabase(target);
      const result = await runCli(restoreArgs(set.id, 'complete', server.url(target), folder, ['--no-safety-backup', '--jobs', '3']));
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /note {5}with 3 jobs: not one transaction; a failure drops what it created, so the database is empty again\n/);
      assert.match(result.stdout, /all or nothing, in 3 sessions: on any error what they created is dropped and the database is empty again\n/);
      // Not the one-transaction promise, which a restore with jobs does not keep.
      assert.doesNotMatch(result.stdout, /one transaction; on any error the target stays as it is/);
      assert.match(result.stdout, /restored with 3 jobs: not one transaction; a failure would have emptied the database again/);
      await assertSameContent(server.url(source), server.url(target));
    });

    it('16 sessions: nothing on stderr, not even a warning of Node about the listeners on their one stop signal', async function () {
      const target = 'pj_sixteen';
      await server.createDatabase(target);
      const result = await runCli(restoreArgs(set.id, 'complete', server.url(target), folder, ['--no-safety-backup', '--jobs', '16']));
      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.stderr, '');
      await assertSameContent(server.url(source), server.url(target));
    });

    const storedSets = [
      { kind: 'a gzip set', how: 'reading the compressed file', flags: ['--compress', 'gzip'], suffix: '.sql.gz', env: {} },
      { kind: 'an encrypted set', how: 'decrypting the file with the passphrase', flags: ['--encrypt'], suffix: '.sql.age', env: { PULSE_BACKUP_PASSPHRASE: 'jobs and secrets' } },
    ];
    for (const [index, { kind, how, flags, suffix, env }] of storedSets.entries()) {
      it(`restores ${kind} the same way, each session ${how}`, async function () {
        const storedFolder = newFolder();
        const stored = await backupSet(server, source, storedFolder, `pjst${index}`, flags, { env });
        assert.ok(stored.files.every((file) => file.name.endsWith(suffix)));
        const target = `pj_stored_${index}`;
        await server.createDatabase(target);
        const result = await runCli(restoreArgs(stored.id, 'complete', server.url(target), storedFolder, ['--json', '--no-safety-backup', '--jobs', '2']), { env });
        assert.equal(result.code, 0, result.stderr);
        assert.equal((JSON.parse(result.stdout) as RestoreResult).jobs, 2);
        await assertSameContent(server.url(source), server.url(target));
      });
    }

    it('is refused over a database that has objects of its own, changing nothing', async function () {
      const target = 'pj_full';
      await server.createDatabase(target);
      await server.query(target, 'CREATE TABLE public.mine (id int); INSERT INTO public.mine VALUES (1)');
      const before = await fingerprintDatabase(server.url(target));
      const result = await restoreSet(server, set.id, folder, target, 'complete', ['--no-safety-backup', '--jobs', '2']);
      assertOneLineError(result);
      assert.match(
        result.stderr,
        /the target is not empty \(1 relation\): a restore with jobs is not one transaction.*without --jobs N \(one transaction, the default\).*nothing was changed/,
      );
      assert.deepEqual(diffFingerprints(before, await fingerprintDatabase(server.url(target))), []);
    });

    it('is refused for a data or --clean restore', async function () {
      const target = 'pj_modes';
      await server.createDatabase(target);
      for (const extra of [['--mode', 'data'], ['--clean']]) {
        const mode = extra[0] === '--mode' ? 'data' : 'complete';
        const result = await restoreSet(server, set.id, folder, target, mode, ['--no-safety-backup', '--jobs', '2', ...(extra[0] === '--clean' ? ['--clean'] : [])]);
        assertOneLineError(result, 2);
        assert.match(result.stderr, /only a complete one without clean, into an empty database/);
      }
    });

    it('a constraint failing after the rows loaded leaves the database empty again, and says so', async function () {
      const damaged = newFolder();
      copySetFiles(folder, damaged, set);
      // The first organization takes the second one's id: rows load, the primary key then fails.
      rewriteSetFile(damaged, set, 'complete', (text) => editFirstRow(text, 'public.organizations', (fields) => [String(Number(fields[0]) + 1), ...fields.slice(1)]));
      const complete = set.files.find((file) => file.type === 'complete');
      assert.ok(complete);
      assert.match(readFileSync(join(damaged, complete.name), 'utf8'), /^COPY public\.organizations [^\n]*\n2\t[^\n]*\n2\t/m, 'the damaged file gives two rows one id');
      const target = 'pj_fails';
      await server.createDatabase(target);
      const empty = await fingerprintDatabase(server.url(target));
      const result = await restoreSet(server, set.id, damaged, target, 'complete', ['--no-safety-backup', '--jobs', '2']);
      assertOneLineError(result);
      assert.match(
        result.stderr,
        /restore with 2 jobs failed: could not create unique index .*not one transaction: what it had created was dropped, and the database is empty again/,
      );
      assert.deepEqual(diffFingerprints(empty, await fingerprintDatabase(server.url(target))), []);
      // Empty again means a restore can go in now.
      const again = await restoreSet(server, set.id, folder, target, 'complete', ['--no-safety-backup', '--jobs', '2']);
      assert.equal(again.code, 0, again.stderr);
      await assertSameContent(server.url(source), server.url(target));
    });

    it('a failure after the default privileges went in undoes them too, leaving the database empty again', async function () {
      // A source whose owner changed its default privileges, globally and in two schemas: pg_dump writes them at the very end.
      const withDefaults = 'pj_defaults_source';
      await server.dropDatabase(withDefaults);
      await createFactoryDatabase(server, withDefaults);
      await server.query(
        withDefaults,
        `ALTER DEFAULT PRIVILEGES REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;
         ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO PUBLIC;
         CREATE SCHEMA reports;
         ALTER DEFAULT PRIVILEGES IN SCHEMA reports GRANT USAGE ON SEQUENCES TO PUBLIC;`,
      );
      const defaultsFolder = newFolder();
      const defaultsSet = await backupSet(server, withDefaults, defaultsFolder, 'pjdef');
      const damaged = newFolder();
      copySetFiles(defaultsFolder, damaged, defaultsSet);
      // One more entry after them, a grant on a table that does not exist: the last statement fails once the default privileges are in.
      const failingLast = '--\n-- Name: TABLE gone; Type: ACL; Schema: public; Owner: -\n--\n\nGRANT SELECT ON TABLE public.gone TO PUBLIC;\n\n\n';
      rewriteSetFile(damaged, defaultsSet, 'complete', (text) => {
        const footer = text.lastIndexOf('--\n-- PostgreSQL database dump complete');
        assert.ok(footer > text.lastIndexOf('DEFAULT PRIVILEGES'), 'the default privileges come before the footer');
        return text.slice(0, footer) + failingLast + text.slice(footer);
      });
      const target = 'pj_defaults';
      await server.createDatabase(target);
      const empty = await fingerprintDatabase(server.url(target));
      const result = await restoreSet(server, defaultsSet.id, damaged, target, 'complete', ['--no-safety-backup', '--jobs', '2']);
      assertOneLineError(result);
      assert.match(result.stderr, /relation "public\.gone" does not exist.*what it had created was dropped, and the database is empty again/);
      const [{ count }] = await server.query<{ count: string }>(target, 'SELECT count(*)::text AS count FROM pg_catalog.pg_default_acl');
      assert.equal(count, '0', 'no default privileges are left');
      assert.deepEqual(diffFingerprints(empty, await fingerprintDatabase(server.url(target))), []);
      // And the whole set goes in now, default privileges and all.
      const again = await restoreSet(server, defaultsSet.id, defaultsFolder, target, 'complete', ['--no-safety-backup', '--jobs', '2']);
      assert.equal(again.code, 0, again.stderr);
      await assertSameContent(server.url(withDefaults), server.url(target));
    });

    // pg_dump's file sets lock_timeout to 0, and the sessions of a restore with jobs had no watch on their waits:
    // a session that read a table the restore had just created held its ALTER TABLE back for ever.
    it('a session holding a table the restore created makes it give up after --lock-timeout, naming that session and what is left', async function () {
      const target = 'pj_held';
      await server.createDatabase(target);
      const holder = holdTableOnceCreated(server.url(target), 'public.users', { application: 'dashboard' });
      try {
        const started = Date.now();
        const result = await runCli(restoreArgs(set.id, 'complete', server.url(target), folder, ['--no-safety-backup', '--jobs', '2', '--lock-timeout', '2']));
        assertOneLineError(result);
        const pid = await holder.held;
        assert.match(
          result.stderr,
          new RegExp(
            `^pulse-backup: restore with 2 jobs gave up after waiting 2 s for a lock on public\\.users: held by pid ${pid} \\(dashboard, postgres, idle in transaction for \\d+ s, holds AccessShareLock on public\\.users\\): end that transaction \\(or end the session with SELECT pg_terminate_backend\\(${pid}\\);\\); `,
          ),
        );
        // The same session holds the drops back: what is left is said, not "empty again".
        assert.match(
          result.stderr,
          /dropping what it had created waited 2 s for a lock another session holds: .*\d+ relations.* are left; once that session has ended, drop and recreate the database before restoring again$/m,
        );
        assert.ok(Date.now() - started < 90_000, `took ${Date.now() - started} ms`);
      } finally {
        await holder.release();
      }
    });

    it('once that session lets go while the restore drops its work, the database is empty again, as it says', async function () {
      const target = 'pj_held_then_let_go';
      await server.createDatabase(target);
      const holder = holdTableOnceCreated(server.url(target), 'public.users', { application: 'dashboard' });
      try {
        const restoring = runCli(restoreArgs(set.id, 'complete', server.url(target), folder, ['--no-safety-backup', '--jobs', '2', '--lock-timeout', '2']));
        await holder.held;
        // Let go as soon as the restore's clean-up waits for it.
        const deadline = Date.now() + 120_000;
        while ((await server.query(target, "SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE 'DROP %'")).length === 0) {
          assert.ok(Date.now() < deadline, 'the clean-up never waited for the lock');
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        await holder.release();
        const result = await restoring;
        assertOneLineError(result);
        assert.match(result.stderr, /^pulse-backup: restore with 2 jobs gave up after waiting 2 s for a lock on public\.users: held by pid \d+ \(dashboard/);
        assert.match(result.stderr, /not one transaction: what it had created was dropped, and the database is empty again/);
        const left = await server.query(
          target,
          "SELECT count(*)::int AS n FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')",
        );
        assert.deepEqual(left, [{ n: 0 }]);
      } finally {
        await holder.release();
      }
    });

    it('a cancel (SIGTERM) while rows load leaves the database empty again', async function () {
      if (!hasProc) skipBecause(this, 'needs /proc to see the sessions start');
      const target = 'pj_cancel';
      await server.createDatabase(target);
      const empty = await fingerprintDatabase(server.url(target));
      const { subprocess } = await startCli(restoreArgs(set.id, 'complete', server.url(target), folder, ['--no-safety-backup', '--jobs', '2']));
      // Two psql sessions at once: the definitions have committed and the rows are loading.
      await waitFor('the row sessions', () => (toolProcessesOf('psql', server.port).length >= 2 ? true : undefined));
      subprocess.kill('SIGTERM');
      const result = await subprocess;
      assertOneLineError({ code: result.exitCode ?? -1, stdout: String(result.stdout), stderr: String(result.stderr), durationMs: 0 }, 130);
      assert.match(String(result.stderr), /cancelled.*the database is empty again/);
      assert.deepEqual(diffFingerprints(empty, await fingerprintDatabase(server.url(target))), []);
    });

    it('a SIGKILL of the CLI cannot clean up: the next restore with jobs says the database is not empty', async function () {
      if (!hasProc) skipBecause(this, 'needs /proc to see the sessions start');
      const target = 'pj_killed';
      await server.createDatabase(target);
      const { subprocess } = await startCli(restoreArgs(set.id, 'complete', server.url(target), folder, ['--no-safety-backup', '--jobs', '2']));
      await waitFor('the row sessions', () => (toolProcessesOf('psql', server.port).length >= 2 ? true : undefined));
      subprocess.kill('SIGKILL');
      await subprocess;
      const again = await restoreSet(server, set.id, folder, target, 'complete', ['--no-safety-backup', '--jobs', '2']);
      assertOneLineError(again);
      assert.match(again.stderr, /the target is not empty \(.*\d+ relations.*\): a restore with jobs is not one transaction/);
    });
  });
});

describe('restore --jobs on a server with few connection slots', function () {
  const server = useServer({ settings: { max_connections: '6', superuser_reserved_connections: '0' } });
  const newFolder = useTempFolders('pulse-backup-restore-slots-');

  it("more sessions than free slots: one line that names the restore's sessions and --jobs, and the database is empty again", async function () {
    this.timeout(120_000);
    const source = 'slots_source';
    await server.createDatabase(source);
    for (const table of ['a', 'b', 'c', 'd']) await server.query(source, `CREATE TABLE ${table} (n int PRIMARY KEY); INSERT INTO ${table} SELECT generate_series(1, 20000)`);
    const folder = newFolder();
    const set = await backupSet(server, source, folder, 'slots');
    await server.createDatabase('slots_target');
    const result = await runCli(restoreArgs(set.id, 'complete', server.url('slots_target'), folder, ['--no-safety-backup', '--jobs', '8']));
    assertOneLineError(result);
    assert.match(
      result.stderr,
      /has no free connection slots for the restore's 8 sessions: not one transaction: what it had created was dropped, and the database is empty again; run with a smaller --jobs \(each job is one more connection\)/,
    );
    const left = await server.query<{ n: number }>('slots_target', "SELECT count(*)::int AS n FROM pg_class WHERE relnamespace = 'public'::regnamespace");
    assert.equal(left[0].n, 0, 'nothing of the restore is left');
    // As many sessions as the server has room for: the same restore goes through.
    const fewer = await runCli(restoreArgs(set.id, 'complete', server.url('slots_target'), folder, ['--no-safety-backup', '--jobs', '2']));
    assert.equal(fewer.code, 0, fewer.stderr);
    await assertSameContent(server.url(source), server.url('slots_target'));
  });
});
