/**
 * A Supabase project as its users run it: the stack's PostgreSQL 17 in a
 * real container named as the Supabase CLI names it, published on the
 * host's loopback, the real platform loaded, and a project folder with
 * Supabase's own config.toml (`major_version = 17`) — while this machine's
 * client tools are older. From that folder, with no flags: backup; restore
 * in every mode; restore --reset with a stand-in `supabase` acting on the
 * container. Then the upgrade path: a set taken on PostgreSQL 15 restores,
 * in every mode, into the stack after major_version moved to 17.
 */
import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DiffResult } from '../../src/core/prove/diffResult';
import type { Manifest } from '../../src/core/sets/manifest';
import type { ProofRecord } from '../../src/core/prove/record';
import { SUPABASE_MIGRATION_HISTORIES } from '../../src/core/backup/profile';
import { diffFingerprints, fingerprintDatabase, type Fingerprint } from '../support/fingerprint';
import { APP_DATA, APP_MIGRATION, stackUnavailableReason, startStack, supabaseCliStandIn, writeProjectConfig, writeSupabaseProject, type Stack } from '../support/stack';
import { runCli } from '../support/cli';

/** A project folder as `supabase init` leaves it, pointing at this stack. */
function projectFolder(projectId: string, stack: Stack): string {
  const folder = mkdtempSync(join(tmpdir(), 'pulse-stack-project-'));
  writeSupabaseProject(folder, projectId, stack);
  return folder;
}

/** The database a person would compare: everything, read as the platform's superuser. */
function admin(stack: Stack): string {
  return stack.url('supabase_admin');
}

/**
 * The database at url holds exactly what the source held: every table's
 * rows, sequences, definitions, grants — but for the migration histories,
 * which the platform writes anew (with its own timestamps) on every start
 * and reset, and which a set never holds.
 */
async function assertEqualTo(source: Fingerprint, url: string, options: { acrossMajors?: boolean } = {}): Promise<void> {
  const histories = new Set(SUPABASE_MIGRATION_HISTORIES.map((name) => `rows of table ${name}`));
  const target = await fingerprintDatabase(url);
  const comparable = options.acrossMajors ? withoutMaintain : (fingerprint: Fingerprint) => fingerprint;
  const differences = diffFingerprints(comparable(source), comparable(target)).filter((line) => !histories.has(line.split(':')[0]));
  assert.deepEqual(differences, [], `${differences.length} differences`);
}

/**
 * PostgreSQL 17 added the MAINTAIN privilege (m), and ALL includes it: the
 * same GRANT ALL reads arwdDxt on 15 and arwdDxtm on 17. Across majors,
 * privileges compare without it.
 */
function withoutMaintain(fingerprint: Fingerprint): Fingerprint {
  const facts = new Map<string, string>();
  for (const [key, value] of fingerprint.facts) {
    facts.set(key, /privileges/.test(key) ? value.replace(/=([a-zA-Z*]*)\//g, (_, privileges: string) => `=${privileges.replace(/m\*?/g, '')}/`) : value);
  }
  return { facts };
}

/** The line that says the container's tools run, exactly once, and no other word about tools. */
function assertSaidOnce(stderr: string, container: string): void {
  const notes = stderr.split('\n').filter((line) => /using pg_dump and psql/.test(line));
  assert.equal(notes.length, 1, stderr);
  assert.match(
    notes[0],
    new RegExp(`^pulse-backup: note: using pg_dump and psql 17\\.\\d+ inside the container ${container}: the stack runs PostgreSQL 17 and the newest pg_dump here is 1[0-6]$`),
  );
  assert.doesNotMatch(stderr, /warning|older than the server|cannot dump/i, stderr);
}

describe('the Supabase stack in Docker', function () {
  this.timeout(900_000);
  const folders: string[] = [];
  let stack: Stack | undefined;

  before(async function () {
    const reason = await stackUnavailableReason();
    if (reason) {
      console.log(`    skipped: the Supabase stack suite needs a Docker engine and socat: ${reason}`);
      this.skip();
    }
  });

  after(async function () {
    await stack?.stop();
    for (const folder of folders) rmSync(folder, { recursive: true, force: true });
  });

  describe('PostgreSQL 17, with older client tools here', function () {
    const projectId = 'Factory Pulse (main)';
    const container = 'supabase_db_Factory_Pulse_main_';
    let project: string;
    let source: Fingerprint;
    let manifest: Manifest;

    before(async function () {
      stack = await startStack({ projectId, major: 17, log: (line) => console.log(`      ${line}`) });
      assert.equal(stack.container, container, 'named as the Supabase CLI names it');
      await stack.loadPlatform();
      await stack.sqlFile(APP_MIGRATION, { user: 'postgres' });
      await stack.sqlFile(APP_DATA, { user: 'postgres' });
      project = projectFolder(projectId, stack);
      folders.push(project);
      source = await fingerprintDatabase(admin(stack));
    });

    it('backup with no flags runs pg_dump 17 inside the container, says so once, and keeps the rows the CLI keeps', async function () {
      const result = await runCli(['backup', '--json'], { cwd: project });
      assert.equal(result.code, 0, result.stderr);
      assertSaidOnce(result.stderr, container);
      manifest = JSON.parse(result.stdout) as Manifest;
      assert.match(manifest.id, /^factory_pulse_main_\d{8}_\d{6}$/);
      assert.equal(manifest.tools.pgDump.path, `docker exec ${container} pg_dump`);
      assert.match(manifest.tools.pgDump.version, /^17\./);
      assert.match(manifest.server.version, /^17\./);
      assert.equal(manifest.profile?.name, 'supabase');
      for (const table of ['auth.users', 'storage.objects', 'cron.job', 'pgmq.q_work_order_events', 'supabase_functions.hooks']) {
        assert.ok(manifest.profile?.platformData.includes(table), `${table} rows are in the set`);
      }
      const verify = await runCli(['verify', manifest.id], { cwd: project });
      assert.equal(verify.code, 0, verify.stdout + verify.stderr);
    });

    it("prove with no flags restores into scratch databases in the stack with the container's tools, as postgres; diff finds nothing changed", async function () {
      const result = await runCli(['prove', manifest.id, '--json'], { cwd: project });
      assert.equal(result.code, 0, result.stderr);
      assertSaidOnce(result.stderr, container);
      const proof = JSON.parse(result.stdout) as ProofRecord;
      assert.equal(proof.outcome, 'proved', JSON.stringify(proof.differences, null, 2));
      assert.deepEqual(
        proof.paths.map((path) => path.equal),
        [true, true],
      );
      assert.equal(proof.server.user, 'postgres');
      assert.equal((await stack!.sql("SELECT count(*) FROM pg_database WHERE datname LIKE 'pulse\\_prove\\_%'")).trim(), '0');
      const diff = await runCli(['diff', manifest.id, '--json'], { cwd: project });
      assert.equal(diff.code, 0, diff.stderr);
      assertSaidOnce(diff.stderr, container);
      assert.equal((JSON.parse(diff.stdout) as DiffResult).same, true, diff.stdout);
    });

    it("restore --mode complete --clean over a changed database: equal to the backup, with the container's psql", async function () {
      await stack!.sql(
        "SET session_replication_role = replica; UPDATE auth.users SET email = 'changed-' || email; DELETE FROM public.work_orders WHERE id < 20; DELETE FROM cron.job WHERE jobname = 'purge-drafts'",
        { user: 'postgres' },
      );
      const result = await runCli(['restore', manifest.id, '--mode', 'complete', '--clean', '--yes'], { cwd: project });
      assert.equal(result.code, 0, result.stderr);
      assertSaidOnce(result.stderr, container);
      assert.match(result.stdout, new RegExp(`psql\\s.*docker exec ${container} psql`), 'the plan names the psql that runs');
      await assertEqualTo(source, admin(stack!));
    });

    it('restore --mode schema --clean, then --mode data --clean: equal to the backup', async function () {
      const schema = await runCli(['restore', manifest.id, '--mode', 'schema', '--clean', '--yes', '--no-safety-backup'], { cwd: project });
      assert.equal(schema.code, 0, schema.stderr);
      const [orders] = await Promise.all([stack!.sql('SELECT count(*) FROM public.work_orders')]);
      assert.equal(orders.trim(), '0', 'the schema restore leaves the application tables empty');
      const data = await runCli(['restore', manifest.id, '--mode', 'data', '--clean', '--yes', '--no-safety-backup'], { cwd: project });
      assert.equal(data.code, 0, data.stderr);
      assertSaidOnce(data.stderr, container);
      await assertEqualTo(source, admin(stack!));
    });

    it("restore --mode data --reset: the stand-in supabase db reset rebuilds the container's database, then every row comes back", async function () {
      await stack!.sql("DELETE FROM pgmq.q_work_order_events; DELETE FROM public.work_orders WHERE status = 'done'", { user: 'postgres' });
      const bin = supabaseCliStandIn(stack!);
      folders.push(bin);
      const result = await runCli(['restore', manifest.id, '--mode', 'data', '--reset', '--yes'], {
        cwd: project,
        env: { PATH: `${bin}:${process.env.PATH ?? ''}` },
        timeoutMs: 600_000,
      });
      assert.equal(result.code, 0, result.stderr);
      assert.deepEqual(readFileSync(join(bin, 'calls'), 'utf8').trim().split('\n'), [`${project}|db reset --local`]);
      assert.match(result.stderr, /^supabase: Finished supabase db reset on branch main\.$/m);
      assertSaidOnce(result.stderr, container);
      await assertEqualTo(source, admin(stack!));
    });

    it("an explicit --db URL to the stack's published port takes the container's tools too", async function () {
      const result = await runCli(['backup', '--db', `postgresql://postgres:postgres@localhost:${stack!.port}/postgres`, '--json'], { cwd: project });
      assert.equal(result.code, 0, result.stderr);
      assertSaidOnce(result.stderr, container);
      assert.equal((JSON.parse(result.stdout) as Manifest).tools.pgDump.path, `docker exec ${container} pg_dump`);
    });

    it('with the container stopped, one line names both ways out', async function () {
      await stack!.stop();
      stack = undefined;
      const result = await runCli(['backup'], { cwd: project });
      assert.equal(result.code, 1, result.stderr);
      assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
      assert.match(
        result.stderr,
        new RegExp(
          `says the database runs PostgreSQL 17, but the newest pg_dump here is \\d+, and docker cannot use the stack's database container ${container} \\(.*\\): install the PostgreSQL 17 client tools .*, or start the Supabase stack`,
        ),
      );
    });
  });

  describe('the upgrade path: a set taken on PostgreSQL 15 restores into the stack after major_version moved to 17', function () {
    const projectId = 'factory-pulse';
    let project: string;
    let source: Fingerprint;
    let setId: string;

    before(async function () {
      const old = await startStack({ projectId, major: 15, log: (line) => console.log(`      ${line}`) });
      try {
        await old.loadPlatform();
        await old.sqlFile(APP_MIGRATION, { user: 'postgres' });
        await old.sqlFile(APP_DATA, { user: 'postgres' });
        project = projectFolder(projectId, old);
        folders.push(project);
        source = await fingerprintDatabase(admin(old));
        const backup = await runCli(['backup', '--json'], { cwd: project });
        assert.equal(backup.code, 0, backup.stderr);
        assert.doesNotMatch(backup.stderr, /using pg_dump and psql/, 'the tools here fit PostgreSQL 15');
        const manifest = JSON.parse(backup.stdout) as Manifest;
        assert.match(manifest.server.version, /^15\./);
        setId = manifest.id;
      } finally {
        await old.stop();
      }
      // `major_version = 17` and supabase start: the platform and the migrations, no data.
      stack = await startStack({ projectId, major: 17 });
      await stack.loadPlatform();
      await stack.sqlFile(APP_MIGRATION, { user: 'postgres' });
      writeProjectConfig(project, projectId, stack);
    });

    const modes: { title: string; steps: string[][] }[] = [
      { title: "data, with --db naming the stack's port", steps: [['--mode', 'data', '--clean', '--db', 'STACK_URL']] },
      { title: 'complete --clean', steps: [['--mode', 'complete', '--clean']] },
      {
        title: 'schema --clean, then data --clean',
        steps: [
          ['--mode', 'schema', '--clean'],
          ['--mode', 'data', '--clean'],
        ],
      },
    ];
    for (const mode of modes) {
      it(`restore ${mode.title}: equal in full content to the 15 source`, async function () {
        for (const step of mode.steps) {
          const args = step.map((arg) => (arg === 'STACK_URL' ? `postgresql://postgres:postgres@127.0.0.1:${stack!.port}/postgres` : arg));
          const result = await runCli(['restore', setId, ...args, '--yes', '--no-safety-backup'], { cwd: project });
          assert.equal(result.code, 0, result.stderr);
          assertSaidOnce(result.stderr, 'supabase_db_factory-pulse');
        }
        await assertEqualTo(source, admin(stack!), { acrossMajors: true });
      });
    }

    it('restore --mode data --reset: equal in full content to the 15 source', async function () {
      const bin = supabaseCliStandIn(stack!);
      folders.push(bin);
      const result = await runCli(['restore', setId, '--mode', 'data', '--reset', '--yes'], {
        cwd: project,
        env: { PATH: `${bin}:${process.env.PATH ?? ''}` },
        timeoutMs: 600_000,
      });
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stderr, /^supabase: Finished supabase db reset on branch main\.$/m);
      await assertEqualTo(source, admin(stack!), { acrossMajors: true });
    });
  });
});
