/**
 * In a folder with supabase/config.toml, `pulse-backup backup` with no --db
 * backs up the project's own database (postgres:postgres on the configured
 * port, as the Supabase stack sets it up) under the project's id; flags and
 * the environment still win; and a [db].major_version no local pg_dump can
 * serve is refused before anything connects. A throwaway server with the
 * stack's credentials stands in for the Docker-run stack.
 */
import { strict as assert } from 'node:assert';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Manifest } from '../../src/core/sets/manifest';
import { assertOneLineError, runCli } from '../support/cli';
import { diffFingerprints, fingerprintDatabase } from '../support/fingerprint';
import { useServer } from '../support/integration';
import { sampleCases } from '../samples';

describe('a Supabase project folder', function () {
  // The stack's own credentials: user postgres, password postgres, database postgres.
  const server = useServer({ password: 'postgres' });
  let project: string;

  before(async function () {
    await server.query('postgres', 'CREATE TABLE public.todos (id int PRIMARY KEY, task text); INSERT INTO public.todos VALUES (1, $$ship it$$), (2, $$back it up$$)');
  });

  beforeEach(function () {
    project = mkdtempSync(join(tmpdir(), 'pulse-supabase-project-'));
    mkdirSync(join(project, 'supabase'));
  });

  afterEach(function () {
    rmSync(project, { recursive: true, force: true });
  });

  /**
   * A stand-in for the supabase CLI that does what `db reset --local` does to
   * the data (the real one needs Docker): wipes the rows, keeps the
   * migrations; `alsoRun` is more SQL for the reset to run.
   */
  function fakeSupabaseCli(alsoRun = ''): { bin: string; calls: string } {
    const bin = mkdtempSync(join(tmpdir(), 'pulse-fake-supabase-'));
    const calls = join(bin, 'calls');
    writeFileSync(
      join(bin, 'supabase'),
      [
        '#!/bin/sh',
        `printf '%s|%s\\n' "$PWD" "$*" >> '${calls}'`,
        '[ "$*" = "db reset --local" ] || exit 3',
        'echo "Resetting local database..."',
        `psql -X -q -v ON_ERROR_STOP=1 'postgresql://postgres:postgres@127.0.0.1:${server.port}/postgres' -c "SET session_replication_role = replica; DELETE FROM public.work_orders; DELETE FROM public.operators; DELETE FROM auth.identities; DELETE FROM auth.sessions; DELETE FROM storage.objects; DELETE FROM storage.buckets; DELETE FROM auth.users; ${alsoRun}" || exit 1`,
        'echo "Finished supabase db reset on branch main."',
      ].join('\n'),
      { mode: 0o755 },
    );
    return { bin, calls };
  }

  function writeConfig(extra = '', port = server.port): void {
    writeFileSync(join(project, 'supabase', 'config.toml'), `project_id = "Shop Floor"\n\n[api]\nport = 54321\n\n[db]\nport = ${port}\n${extra}`);
  }

  it('backs up the project database under its project_id, with no --db and no --prefix', async function () {
    writeConfig('major_version = 15\n');
    const result = await runCli(['backup', '--json'], { cwd: project });
    assert.equal(result.code, 0, result.stderr);
    const manifest = JSON.parse(result.stdout) as Manifest;
    assert.match(manifest.id, /^shop_floor_\d{8}_\d{6}$/);
    assert.deepEqual(
      { host: manifest.database.host, port: manifest.database.port, name: manifest.database.name, user: manifest.database.user },
      { host: '127.0.0.1', port: server.port, name: 'postgres', user: 'postgres' },
    );
    assert.equal(manifest.tables.find((table) => table.name === 'todos')?.rows, 2);
    assert.ok(readdirSync(join(project, 'backups')).some((name) => name.startsWith('shop_floor_complete_backup_')));
  });

  it('lets --db, --prefix and the environment override the project', async function () {
    writeConfig('major_version = 15\n');
    await server.createDatabase('elsewhere');
    const viaFlag = await runCli(['backup', '--db', server.url('elsewhere'), '--prefix', 'other', '--json'], { cwd: project });
    assert.equal(viaFlag.code, 0, viaFlag.stderr);
    const flagged = JSON.parse(viaFlag.stdout) as Manifest;
    assert.equal(flagged.database.name, 'elsewhere');
    assert.match(flagged.id, /^other_/);
    const viaEnv = await runCli(['backup', '--json'], { cwd: project, env: { DATABASE_URL: server.url('elsewhere') } });
    assert.equal(viaEnv.code, 0, viaEnv.stderr);
    assert.equal((JSON.parse(viaEnv.stdout) as Manifest).database.name, 'elsewhere');
  });

  it('refuses, before connecting, a [db].major_version that no pg_dump here nor docker can serve, naming both ways out', async function () {
    // The stack is said to listen on a port where nothing answers: the refusal comes before any connection.
    const stackPort = server.port === 65535 ? 65534 : server.port + 1;
    writeConfig('major_version = 99\n', stackPort);
    const result = await runCli(['backup'], { cwd: project });
    assertOneLineError(result);
    // No container of that name (or no docker at all): both ways out are named.
    assert.match(
      result.stderr,
      /supabase\/config\.toml says the database runs PostgreSQL 99, but the newest pg_dump here is \d+, and docker cannot use the stack's database container supabase_db_Shop_Floor \(.+\)/,
    );
    assert.match(result.stderr, /install the PostgreSQL 99 client tools .*, or start the Supabase stack \(supabase start\) so pg_dump and psql run inside its container/);
    assert.deepEqual(readdirSync(project), ['supabase'], 'no backups folder');
    // An explicit URL to the stack's published port is the stack's server all the same.
    const explicit = await runCli(['backup', '--db', `postgresql://postgres:postgres@localhost:${stackPort}/postgres`], { cwd: project });
    assertOneLineError(explicit);
    assert.match(explicit.stderr, /says the database runs PostgreSQL 99, .* docker cannot use the stack's database container supabase_db_Shop_Floor/);
    // Against another server (a flag), the project's version says nothing.
    const other = await runCli(['backup', '--db', server.url('postgres'), '--json'], { cwd: project });
    assert.equal(other.code, 0, other.stderr);
  });

  it('restore --reset runs supabase db reset --local in the project after the safety backup, then brings the data back', async function () {
    // The project's database becomes a Supabase-shaped one; the supabase CLI is a stand-in that does what
    // `db reset --local` does to the data (the real one needs Docker): wipes the rows, keeps the migrations.
    writeConfig('major_version = 15\n');
    const sample = sampleCases().find((candidate) => candidate.name === 'supabase')!;
    await server.loadSql('postgres', sample.file);
    const backup = await runCli(['backup', '--json'], { cwd: project });
    assert.equal(backup.code, 0, backup.stderr);
    const manifest = JSON.parse(backup.stdout) as Manifest;
    assert.equal(manifest.profile?.name, 'supabase');
    const before = await fingerprintDatabase(server.url('postgres'));
    await server.query('postgres', "UPDATE auth.users SET email = 'changed-' || email; DELETE FROM public.work_orders WHERE id % 2 = 0");

    const { bin, calls } = fakeSupabaseCli();
    try {
      const restore = await runCli(['restore', manifest.id, '--mode', 'data', '--reset', '--yes'], { cwd: project, env: { PATH: `${bin}:${process.env.PATH ?? ''}` } });
      assert.equal(restore.code, 0, restore.stderr);
      assert.deepEqual(readFileSync(calls, 'utf8').trim().split('\n'), [`${project}|db reset --local`], 'one reset, in the project folder');
      assert.match(restore.stderr, /^supabase: Finished supabase db reset on branch main\.$/m);
      assert.match(restore.stdout, /first\s+supabase db reset --local in /);
      assert.deepEqual(diffFingerprints(before, await fingerprintDatabase(server.url('postgres'))), [], 'the backed-up data is back');
      // The safety backup was taken before the reset: it holds the changed rows.
      const safety = /safety backup: (\S+)/.exec(restore.stdout)?.[1];
      assert.ok(safety, restore.stdout);
      const safetyData = readFileSync(join(project, 'backups', `shop_floor_data_backup_${safety.slice(-15)}.sql`), 'utf8');
      assert.match(safetyData, /changed-operator1@plant\.test/);
    } finally {
      rmSync(bin, { recursive: true, force: true });
    }
  });

  it('restore --reset whose load fails after the reset: one line that says the reset is not undone and names the safety backup, never "unchanged"', async function () {
    writeConfig('major_version = 15\n');
    if ((await server.query('postgres', "SELECT 1 FROM pg_namespace WHERE nspname = 'auth'")).length === 0) {
      await server.loadSql('postgres', sampleCases().find((candidate) => candidate.name === 'supabase')!.file);
    }
    const backup = await runCli(['backup', '--json'], { cwd: project });
    assert.equal(backup.code, 0, backup.stderr);
    const manifest = JSON.parse(backup.stdout) as Manifest;
    const before = await fingerprintDatabase(server.url('postgres'));
    // The migrations this time bring a check that no row passes: the data cannot go back in.
    const { bin } = fakeSupabaseCli('ALTER TABLE public.work_orders ADD CONSTRAINT refuses_rows CHECK (false) NOT VALID;');
    try {
      const restore = await runCli(['restore', manifest.id, '--mode', 'data', '--reset', '--yes'], { cwd: project, env: { PATH: `${bin}:${process.env.PATH ?? ''}` } });
      assert.equal(restore.code, 1, restore.stderr);
      // The Supabase CLI's own lines come first, as they came; then the one line of the failure.
      const ours = restore.stderr.split('\n').filter((line) => line !== '' && !line.startsWith('supabase: '));
      assert.equal(ours.length, 1, restore.stderr);
      assert.match(ours[0], /^pulse-backup: restore failed and was rolled back: .*refuses_rows/);
      const safety = /restore the safety backup (\S+) to go back to what it held before/.exec(restore.stderr)?.[1];
      assert.ok(safety, restore.stderr);
      assert.match(restore.stderr, /the reset is not undone: the database is as supabase db reset left it, without the set's rows/);
      assert.doesNotMatch(restore.stderr, /unchanged|as it was|nothing was changed/);
      assert.equal((await server.query<{ n: number }>('postgres', 'SELECT count(*)::int AS n FROM public.work_orders'))[0].n, 0, 'what the reset left');
      // The way back the message names works.
      await server.query('postgres', 'ALTER TABLE public.work_orders DROP CONSTRAINT refuses_rows');
      const back = await runCli(['restore', safety, '--mode', 'data', '--clean', '--yes', '--no-safety-backup'], { cwd: project });
      assert.equal(back.code, 0, back.stderr);
      assert.deepEqual(diffFingerprints(before, await fingerprintDatabase(server.url('postgres'))), [], 'the safety backup brought every row back');
    } finally {
      await server.query('postgres', 'ALTER TABLE public.work_orders DROP CONSTRAINT IF EXISTS refuses_rows');
      rmSync(bin, { recursive: true, force: true });
    }
  });

  it('restore --reset is refused without the supabase CLI, for another mode, and without the safety backup', async function () {
    writeConfig();
    const noCli = await runCli(['restore', 'shop_floor_20250101_000000', '--mode', 'data', '--reset', '--yes'], { cwd: project, env: { PATH: '/usr/bin:/bin' } });
    assertOneLineError(noCli);
    assert.match(noCli.stderr, /the supabase CLI is not on PATH/);
    const complete = await runCli(['restore', 'shop_floor_20250101_000000', '--mode', 'complete', '--reset', '--yes'], { cwd: project });
    assertOneLineError(complete, 2);
    assert.match(complete.stderr, /only --mode data can follow it/);
    const unsafe = await runCli(['restore', 'shop_floor_20250101_000000', '--mode', 'data', '--reset', '--no-safety-backup', '--yes'], { cwd: project });
    assertOneLineError(unsafe, 2);
    assert.match(unsafe.stderr, /needs the safety backup/);
  });

  it('names the line of a broken config.toml in one line', async function () {
    writeFileSync(join(project, 'supabase', 'config.toml'), '[db]\nport = "not a number\n');
    const result = await runCli(['backup'], { cwd: project });
    assertOneLineError(result, 2);
    assert.match(result.stderr, /config\.toml: line 2: the value of "port": /);
  });
});
