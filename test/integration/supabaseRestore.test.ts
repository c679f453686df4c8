/**
 * Restores of a Supabase set as the stack's own `postgres`, which on a real
 * stack is not a superuser: on the real platform built from Supabase's own
 * migrations when ../shared/fixtures is beside the repository, on the
 * project's platform sample otherwise, with the project's application on top
 * (extensions in `extensions`, an RPC returning SETOF a table, a foreign-key
 * cycle, RLS with auth.uid(), a trigger on auth.users, storage policies and
 * a bucket, a table in supabase_realtime, a NOT VALID check with a comment).
 * Every path ends equal to the source in full content: over the live
 * database, into a fresh stack, after a reset, and by plain psql with the
 * commands the report prints.
 */
import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Manifest } from '../../src/core/sets/manifest';
import type { BackupReport } from '../../src/core/report/types';
import { assertOneLineError, runCli } from '../support/cli';
import { dumpTextWithoutRestrictKey } from '../support/dumpText';
import { useTempFolders } from '../support/integration';
import { assertSameContent, diffFingerprints, fingerprintDatabase } from '../support/fingerprint';
import { useSupabaseAppSet, type SupabaseLikeServer } from '../support/supabasePlatform';

describe("Supabase restores as the stack's own postgres", function () {
  let stack: SupabaseLikeServer;
  const newFolder = useTempFolders('pulse-backup-supabase-restore-');
  let folder: string;
  let manifest: Manifest;
  const source = 'app';
  const fileOf = (type: string) => join(folder, manifest.files.find((file) => file.type === type)!.name);

  const appSet = useSupabaseAppSet(source, newFolder);
  before(function () {
    ({ stack, folder, manifest } = appSet);
  });

  const restore = (target: string, mode: string, extra: string[] = []) =>
    runCli(['restore', manifest.id, '--mode', mode, '--db', stack.asPostgres(target), '--dir', folder, '--yes', '--json', '--no-safety-backup', ...extra]);

  async function sameAsSource(target: string): Promise<void> {
    await assertSameContent(stack.server.url(source), stack.server.url(target));
  }

  it('the set keeps what the application installed and leaves what the platform owns', function () {
    assert.equal(manifest.profile?.name, 'supabase');
    const schema = readFileSync(fileOf('schema'), 'utf8');
    assert.match(schema, /^CREATE EXTENSION IF NOT EXISTS citext WITH SCHEMA extensions;$/m);
    assert.match(schema, /^CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA extensions;$/m);
    assert.doesNotMatch(schema, /^CREATE EXTENSION IF NOT EXISTS pgcrypto/m, "the platform's own extension");
    assert.match(schema, /^ALTER DEFAULT PRIVILEGES FOR ROLE postgres IN SCHEMA public GRANT ALL ON FUNCTIONS {2}TO service_role;$/m, "the application's default privileges");
    assert.doesNotMatch(schema, /FOR ROLE supabase_admin/, "the platform role's default privileges");
    assert.ok((manifest.profile?.leftOut.entries ?? []).some((entry) => entry.type === 'DEFAULT ACL' && entry.owner === 'supabase_admin'));
    assert.match(schema, /^ALTER PUBLICATION supabase_realtime ADD TABLE ONLY public\.posts;$/m);
    assert.match(readFileSync(fileOf('complete'), 'utf8'), /^SET session_replication_role = replica;$/m);
  });

  it('complete --clean over an identical copy of the live database equals the source', async function () {
    await stack.withApplication('identical', true);
    const result = await restore('identical', 'complete', ['--clean']);
    assert.equal(result.code, 0, result.stderr);
    await sameAsSource('identical');
  });

  it('complete --clean over a changed copy equals the source, the table the backup never had left alone', async function () {
    await stack.withApplication('changed', true);
    await stack.server.query(
      'changed',
      `DELETE FROM public.posts WHERE id % 2 = 0;
       INSERT INTO auth.users (id, email, created_at) VALUES ('00000000-0000-0000-0000-0000000000aa', 'late@example.test', now());
       DROP POLICY "people write their own posts" ON public.posts;
       CREATE TABLE public.scratch (id int)`,
    );
    const result = await restore('changed', 'complete', ['--clean']);
    assert.equal(result.code, 0, result.stderr);
    await stack.server.query('changed', 'DROP TABLE public.scratch');
    await sameAsSource('changed');
  });

  it('schema --clean then data --clean over a changed copy equals the source', async function () {
    await stack.withApplication('schema_then_data', true);
    // The storage service refuses direct deletes with a trigger; a session in replica mode, as a restore's, goes past it.
    await stack.server.query(
      'schema_then_data',
      "UPDATE public.profiles SET username = username || '-renamed'; SET session_replication_role = replica; DELETE FROM storage.objects",
    );
    const [{ users }] = await stack.server.query<{ users: number }>('schema_then_data', 'SELECT count(*)::int AS users FROM auth.users');
    for (const mode of ['schema', 'data']) {
      const result = await restore('schema_then_data', mode, ['--clean']);
      assert.equal(result.code, 0, `${mode}: ${result.stderr}`);
      if (mode !== 'data') continue;
      // The plan counted what the platform's tables held before the restore emptied them.
      const replaced = (JSON.parse(result.stdout) as { plan: { replaced: { kind: string; schema: string; name: string; rows: number | null }[] } }).plan.replaced;
      const platformRows = (schema: string, name: string) => replaced.find((object) => object.kind === 'platform table' && object.schema === schema && object.name === name)?.rows;
      assert.ok(users > 0);
      assert.equal(platformRows('auth', 'users'), users);
      assert.equal(platformRows('storage', 'objects'), 0);
    }
    await sameAsSource('schema_then_data');
  });

  it('complete into a fresh stack that has only the platform equals the source', async function () {
    await stack.freshStack('fresh_complete');
    const result = await restore('fresh_complete', 'complete');
    assert.equal(result.code, 0, result.stderr);
    await sameAsSource('fresh_complete');
  });

  it('restore --jobs 2 of the set is refused at once, into a stack (never empty) or an empty database (no platform), and changes nothing', async function () {
    await stack.freshStack('fresh_jobs');
    const before = await fingerprintDatabase(stack.server.url('fresh_jobs'));
    await stack.server.createDatabase('empty_jobs');
    for (const url of [stack.asPostgres('fresh_jobs'), stack.server.url('empty_jobs')]) {
      const result = await runCli(['restore', manifest.id, '--mode', 'complete', '--db', url, '--dir', folder, '--yes', '--no-safety-backup', '--jobs', '2']);
      assertOneLineError(result);
      assert.match(
        result.stderr,
        /this set was made with the Supabase profile: it restores only into a database with the Supabase platform, which is never empty, and a restore with 2 jobs goes only into an empty one: restore without --jobs N \(one transaction, the default\); nothing was changed/,
      );
    }
    assert.deepEqual(diffFingerprints(before, await fingerprintDatabase(stack.server.url('fresh_jobs'))), []);
    const empty = await fingerprintDatabase(stack.server.url('empty_jobs'));
    assert.deepEqual(
      [...empty.facts.keys()].filter((key) => key.startsWith('table ') || key.startsWith('rows of table ')),
      [],
      'the empty database stays empty',
    );
  });

  it('a parallel set (--jobs 3, every table a session of its own) holds the files of the one-session set and restores equal', async function () {
    this.timeout(300_000);
    const parallelFolder = newFolder();
    const made = await runCli(['backup', '--db', stack.asPostgres(source), '--dir', parallelFolder, '--prefix', 'app', '--jobs', '3', '--json'], {
      env: { PULSE_BACKUP_PARALLEL_MIN_BYTES: '0' },
    });
    assert.equal(made.code, 0, made.stderr);
    const parallel = JSON.parse(made.stdout) as Manifest;
    assert.equal(parallel.profile?.name, 'supabase');
    assert.equal(manifest.options.parallelTables, undefined, 'the set it is compared with is a one-session set');
    assert.ok((parallel.options.parallelTables ?? 0) > 0, 'some tables had a session of their own');
    // pg_dump's \restrict key differs between any two runs.
    for (const type of ['schema', 'data', 'complete'] as const) {
      const parallelFile = join(parallelFolder, parallel.files.find((file) => file.type === type)!.name);
      assert.equal(dumpTextWithoutRestrictKey(parallelFile), dumpTextWithoutRestrictKey(fileOf(type)), `the ${type} files are the same`);
    }
    assert.deepEqual(parallel.digests?.tables, manifest.digests?.tables);
    await stack.freshStack('fresh_parallel');
    const result = await runCli([
      'restore',
      parallel.id,
      '--mode',
      'complete',
      '--db',
      stack.asPostgres('fresh_parallel'),
      '--dir',
      parallelFolder,
      '--yes',
      '--json',
      '--no-safety-backup',
    ]);
    assert.equal(result.code, 0, result.stderr);
    await sameAsSource('fresh_parallel');
  });

  it('schema then data into a fresh stack equals the source', async function () {
    await stack.freshStack('fresh_split');
    for (const mode of ['schema', 'data']) {
      const result = await restore('fresh_split', mode);
      assert.equal(result.code, 0, `${mode}: ${result.stderr}`);
    }
    await sameAsSource('fresh_split');
  });

  it('data --clean after a reset (the migrations again, their bucket row included) equals the source', async function () {
    await stack.withApplication('after_reset', false);
    const result = await restore('after_reset', 'data', ['--clean']);
    assert.equal(result.code, 0, result.stderr);
    await sameAsSource('after_reset');
  });

  describe('plain psql, with the commands the report prints', function () {
    let commands: Map<string, string>;

    before(async function () {
      const summary = await runCli(['summary', manifest.id, '--dir', folder, '--format', 'json']);
      assert.equal(summary.code, 0, summary.stderr);
      const report = JSON.parse(summary.stdout) as BackupReport;
      commands = new Map(report.restore.options.flatMap((option) => option.psql.map((command) => [`${option.mode}: ${command.title}`, command.command] as const)));
      assert.ok(report.restore.notes.some((note) => note.some((part) => typeof part !== 'string' && part.code === 'supabase status')));
    });

    /** Runs a printed command as a person would, with DATABASE set. */
    async function run(key: string, target: string): Promise<void> {
      const command = [...commands].find(([title]) => title.startsWith(key))?.[1];
      assert.ok(command, `the report prints a command for "${key}": ${[...commands.keys()].join(' | ')}`);
      await promisify(execFile)('sh', ['-c', command], { env: { ...process.env, DATABASE: stack.asPostgres(target), PGPASSWORD: '' } });
    }

    it('the complete file into a fresh stack', async function () {
      await stack.freshStack('psql_complete');
      await run('complete: with psql, into a fresh stack', 'psql_complete');
      await sameAsSource('psql_complete');
    });

    it('schema then data into a fresh stack', async function () {
      await stack.freshStack('psql_split');
      await run('data: with psql, schema then data', 'psql_split');
      await sameAsSource('psql_split');
    });

    it("the data file after a reset whose migrations left no rows in the set's tables", async function () {
      await stack.withApplication('psql_after_reset', false);
      await stack.server.query('psql_after_reset', 'SET session_replication_role = replica; DELETE FROM storage.buckets');
      await run('data: with psql, after supabase db reset', 'psql_after_reset');
      await sameAsSource('psql_after_reset');
    });
  });
});
