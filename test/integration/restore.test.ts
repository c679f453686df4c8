/**
 * A backup is worth what its restore is worth. Every sample is backed up
 * with the real CLI and restored with `pulse-backup restore` in each mode;
 * the result must equal the source in full content. Damaged sets are
 * refused before anything changes, and a restore that fails — a missing
 * role, a killed psql, a killed CLI — leaves the target exactly as it was.
 */
import { strict as assert } from 'node:assert';
import { copyFileSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import type { Manifest } from '../../src/core/sets/manifest';
import type { RestoreResult } from '../../src/core/restore/types';
import { executeRestore } from '../../src/core/restore/load';
import { planRestore } from '../../src/core/restore/plan';
import { parseConnectionUrl } from '../../src/core/connection/target';
import type { PulseError } from '../../src/core/errors';
import { assertOneLineError, runCli, startCli } from '../support/cli';
import { assertSameContent, diffFingerprints, fingerprintDatabase } from '../support/fingerprint';
import { psqlPids, waitFor } from '../support/processes';
import { backupSet, createFactoryDatabase, restoreArgs, restoreSet, useServer, useTempFolders } from '../support/integration';
import { startServer } from '../support/pgServer';
import { loadSample, plainFor, sampleCases } from '../samples';

describe('restore', function () {
  const server = useServer();
  const newFolder = useTempFolders('pulse-backup-restore-');

  for (const sample of sampleCases()) {
    describe(`${sample.name}${sample.shared ? ' (shared fixture)' : ''}`, function () {
      const source = `r_${sample.name}`;
      let folder: string;
      let manifest: Manifest;

      before(async function () {
        await server.createDatabase(source);
        await loadSample(server, source, sample);
        folder = newFolder();
        manifest = await backupSet(server, source, folder, sample.name, plainFor(sample));
      });

      it('--mode complete into an empty database equals the source, row counts checked against the manifest', async function () {
        const target = `rc_${sample.name}`;
        await server.createDatabase(target);
        const result = await restoreSet(server, manifest.id, folder, target, 'complete', ['--no-safety-backup']);
        assert.equal(result.code, 0, result.stderr);
        const report = JSON.parse(result.stdout) as RestoreResult;
        assert.equal(report.rowCountsMatch, true);
        assert.equal(report.tables.length, manifest.tables.filter((table) => table.rows !== null).length);
        await assertSameContent(server.url(source), server.url(target));
      });

      it('--mode schema then --mode data into an empty database equals the source', async function () {
        const target = `rsd_${sample.name}`;
        await server.createDatabase(target);
        const schema = await restoreSet(server, manifest.id, folder, target, 'schema', ['--no-safety-backup']);
        assert.equal(schema.code, 0, schema.stderr);
        const data = await restoreSet(server, manifest.id, folder, target, 'data', ['--no-safety-backup']);
        assert.equal(data.code, 0, data.stderr);
        assert.equal((JSON.parse(data.stdout) as RestoreResult).rowCountsMatch, true);
        await assertSameContent(server.url(source), server.url(target));
      });

      it('--mode complete --clean over an identical copy equals the source', async function () {
        const target = `rci_${sample.name}`;
        await server.createDatabase(target, { template: source });
        const result = await restoreSet(server, manifest.id, folder, target, 'complete', ['--clean', '--no-safety-backup']);
        assert.equal(result.code, 0, result.stderr);
        await assertSameContent(server.url(source), server.url(target));
      });

      it('--mode schema --clean then --mode data --clean over a changed copy equals the source', async function () {
        const target = `rscd_${sample.name}`;
        await server.createDatabase(target, { template: source });
        const tables = manifest.tables.filter((table) => table.rows !== null && table.rows > 0);
        const victim = tables[tables.length - 1];
        await server.query(target, `TRUNCATE "${victim.schema.replace(/"/g, '""')}"."${victim.name.replace(/"/g, '""')}" CASCADE`);
        const schema = await restoreSet(server, manifest.id, folder, target, 'schema', ['--clean', '--no-safety-backup']);
        assert.equal(schema.code, 0, schema.stderr);
        const data = await restoreSet(server, manifest.id, folder, target, 'data', ['--clean', '--no-safety-backup']);
        assert.equal(data.code, 0, data.stderr);
        assert.equal((JSON.parse(data.stdout) as RestoreResult).rowCountsMatch, true);
        await assertSameContent(server.url(source), server.url(target));
      });

      it('--mode complete --clean over a changed copy equals the source, after a safety backup of the copy', async function () {
        const target = `rcc_${sample.name}`;
        await server.createDatabase(target, { template: source });
        // Change the copy: rows gone, a table dropped, an object the backup never had.
        const tables = manifest.tables.filter((table) => table.rows !== null && table.rows > 0);
        const victim = tables[0];
        await server.query(target, `TRUNCATE "${victim.schema.replace(/"/g, '""')}"."${victim.name.replace(/"/g, '""')}" CASCADE`);
        await server.query(target, 'CREATE TABLE public.pulse_not_in_backup (id int); INSERT INTO public.pulse_not_in_backup VALUES (1)');
        const before = new Set(readdirSync(folder));
        const result = await restoreSet(server, manifest.id, folder, target, 'complete', ['--clean']);
        assert.equal(result.code, 0, result.stderr);
        const report = JSON.parse(result.stdout) as RestoreResult;
        assert.ok(report.safetyBackup, 'a safety backup was taken');
        assert.ok([...readdirSync(folder)].some((name) => !before.has(name) && name.startsWith(`${sample.name}_`)));
        const safety = JSON.parse(readFileSync(join(folder, `${report.safetyBackup}.manifest.json`), 'utf8')) as Manifest;
        assert.equal(safety.purpose, 'safety');
        // The object the backup never had is left alone; everything else equals the source.
        const [{ count }] = await server.query<{ count: string }>(target, 'SELECT count(*)::text AS count FROM public.pulse_not_in_backup');
        assert.equal(count, '1');
        await server.query(target, 'DROP TABLE public.pulse_not_in_backup');
        await assertSameContent(server.url(source), server.url(target));
      });
    });
  }

  describe('refusals and failures leave the target as it was', function () {
    let folder: string;
    let manifest: Manifest;
    const source = 'refuse_src';

    before(async function () {
      await createFactoryDatabase(server, source, { scale: '30' });
      folder = newFolder();
      manifest = await backupSet(server, source, folder, 'factory');
    });

    const fileOf = (type: string) => join(folder, manifest.files.find((file) => file.type === type)!.name);

    /** Damages the set, checks verify and restore refuse it and the target is untouched, then repairs it. */
    async function refusedWhenDamaged(damage: () => void, expected: RegExp): Promise<void> {
      const saved = join(folder, 'saved');
      const complete = fileOf('complete');
      copyFileSync(complete, saved);
      const target = `damaged_${Math.random().toString(36).slice(2, 8)}`;
      await server.createDatabase(target, { template: source });
      const before = await fingerprintDatabase(server.url(target));
      try {
        damage();
        const verify = await runCli(['verify', manifest.id, '--dir', folder]);
        assert.equal(verify.code, 1, verify.stdout + verify.stderr);
        const result = await restoreSet(server, manifest.id, folder, target, 'complete', ['--clean']);
        assertOneLineError(result);
        assert.match(result.stderr, /failed verification/);
        assert.match(result.stderr, expected);
        assert.deepEqual(diffFingerprints(before, await fingerprintDatabase(server.url(target))), []);
      } finally {
        copyFileSync(saved, complete);
        rmSync(saved);
      }
    }

    it('a flipped byte is refused before the target changes', async function () {
      await refusedWhenDamaged(() => {
        const file = fileOf('complete');
        const bytes = readFileSync(file);
        const middle = Math.floor(bytes.length / 2);
        bytes[middle] = bytes[middle] === 0x41 ? 0x42 : 0x41;
        writeFileSync(file, bytes);
      }, /sha256|checksum/i);
    });

    it('a truncated file is refused before the target changes', async function () {
      await refusedWhenDamaged(() => truncateSync(fileOf('complete'), Math.floor(statSync(fileOf('complete')).size / 2)), /size|truncated|footer|complete/i);
    });

    it('a missing file is refused before the target changes', async function () {
      await refusedWhenDamaged(() => rmSync(fileOf('complete')), /missing|present/i);
    });

    it('a "complete" file that is really the schema file is refused before the target changes', async function () {
      await refusedWhenDamaged(() => copyFileSync(fileOf('schema'), fileOf('complete')), /data|rows|checksum|sha256/i);
    });

    /** Dates every file of the set an hour back, so that a verification made now is clearly newer than them. */
    function ageSetFiles(): void {
      const past = new Date(Date.now() - 3600_000);
      for (const name of [...manifest.files.map((file) => file.name), `${manifest.id}.manifest.json`]) utimesSync(join(folder, name), past, past);
    }

    it('the pre-flight reuses a recorded verification of unchanged files, and says so', async function () {
      ageSetFiles();
      const verify = await runCli(['verify', manifest.id, '--dir', folder]);
      assert.equal(verify.code, 0, verify.stdout + verify.stderr);
      const target = `reused_${Math.random().toString(36).slice(2, 8)}`;
      await server.createDatabase(target);
      const result = await restoreSet(server, manifest.id, folder, target, 'complete', ['--no-safety-backup']);
      assert.equal(result.code, 0, result.stderr);
      const restored = JSON.parse(result.stdout) as RestoreResult;
      const checks = restored.plan.verification.groups.find((group) => group.name === 'post-backup')?.checks ?? [];
      assert.match(checks.find((check) => check.id === 'checksums')?.detail ?? '', /\(checked \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC; no file has changed since\)$/);
      assert.doesNotMatch(checks.find((check) => check.id === 'permissions')?.detail ?? '', /no file has changed since/, 'permissions are checked afresh');
      await assertSameContent(server.url(source), server.url(target));
    });

    it('a file damaged after a recorded verification, its modification time kept, is caught while it loads and rolled back', async function () {
      ageSetFiles();
      const verify = await runCli(['verify', manifest.id, '--dir', folder]);
      assert.equal(verify.code, 0, verify.stdout + verify.stderr);
      const complete = fileOf('complete');
      const saved = join(folder, 'saved');
      copyFileSync(complete, saved);
      const target = `rotten_${Math.random().toString(36).slice(2, 8)}`;
      await server.createDatabase(target, { template: source });
      await server.query(target, 'DELETE FROM public.notifications');
      const before = await fingerprintDatabase(server.url(target));
      try {
        // Bit rot: the bytes change, the modification time does not.
        const { atime, mtime } = statSync(complete);
        const bytes = readFileSync(complete);
        // A letter of an e-mail address: still valid input, so only the checksum can tell.
        const at = bytes.indexOf('@', bytes.indexOf('COPY public.users ')) - 1;
        assert.ok(at > 0 && /[a-z0-9]/.test(String.fromCharCode(bytes[at])));
        bytes[at] = bytes[at] === 0x78 ? 0x79 : 0x78;
        writeFileSync(complete, bytes);
        utimesSync(complete, atime, mtime);
        const result = await restoreSet(server, manifest.id, folder, target, 'complete', ['--clean', '--no-safety-backup']);
        assertOneLineError(result);
        assert.match(result.stderr, /changed after it was verified: it no longer matches its recorded sha256/);
        assert.match(result.stderr, /rolled back and the target is unchanged/);
        assert.deepEqual(diffFingerprints(before, await fingerprintDatabase(server.url(target))), []);
      } finally {
        copyFileSync(saved, complete);
        rmSync(saved);
      }
    });

    it('a manifest that names other files is a failed verification, and restore refuses even a verified set whose file then changed', async function () {
      ageSetFiles();
      const verify = await runCli(['verify', manifest.id, '--dir', folder]);
      assert.equal(verify.code, 0, verify.stdout + verify.stderr);
      const manifestFile = join(folder, `${manifest.id}.manifest.json`);
      const complete = fileOf('complete');
      const savedManifest = readFileSync(manifestFile);
      const savedComplete = readFileSync(complete);
      const target = `misnamed_${Math.random().toString(36).slice(2, 8)}`;
      await server.createDatabase(target, { template: source });
      const before = await fingerprintDatabase(server.url(target));
      try {
        // The manifest records the complete file under another name (times kept), and the file rots afterwards.
        const edited = JSON.parse(savedManifest.toString()) as Manifest;
        for (const file of edited.files) if (file.type === 'complete') file.name = file.name.replace('_complete_', '_full_');
        const { atime, mtime } = statSync(manifestFile);
        writeFileSync(manifestFile, JSON.stringify(edited, null, 2));
        utimesSync(manifestFile, atime, mtime);
        const times = statSync(complete);
        const bytes = Buffer.from(savedComplete);
        const at = bytes.indexOf('@', bytes.indexOf('COPY public.users ')) - 1;
        bytes[at] = bytes[at] === 0x78 ? 0x79 : 0x78;
        writeFileSync(complete, bytes);
        utimesSync(complete, times.atime, times.mtime);

        const verified = await runCli(['verify', manifest.id, '--dir', folder]);
        assert.equal(verified.code, 1, verified.stdout);
        assert.match(verified.stdout, /does not describe its set: the complete file it names, "\S+_full_backup_\d{8}_\d{6}\.sql", is not one of \S+'s/);
        const listed = await runCli(['list', '--dir', folder, '--json']);
        assert.equal((JSON.parse(listed.stdout) as { id: string; status: string }[]).find((set) => set.id === manifest.id)?.status, 'incomplete');
        const result = await restoreSet(server, manifest.id, folder, target, 'complete', ['--clean', '--no-safety-backup']);
        assertOneLineError(result);
        assert.deepEqual(diffFingerprints(before, await fingerprintDatabase(server.url(target))), []);
      } finally {
        writeFileSync(manifestFile, savedManifest);
        writeFileSync(complete, savedComplete);
      }
    });

    it("complete into a database that has the backup's objects is refused without --clean", async function () {
      const target = 'has_objects';
      await server.createDatabase(target, { template: source });
      const result = await restoreSet(server, manifest.id, folder, target, 'complete');
      assertOneLineError(result);
      assert.match(result.stderr, /already has \d+ of the backup's objects/);
      assert.match(result.stderr, /--clean/);
    });

    it('data into a database without the schema is refused', async function () {
      const target = 'no_schema';
      await server.createDatabase(target);
      const result = await restoreSet(server, manifest.id, folder, target, 'data');
      assertOneLineError(result);
      assert.match(result.stderr, /lacks \d+ of the backup's tables/);
    });

    it("a data restore's plan says its rows load into the backup's tables, empty in the target, not that none of its objects exist", async function () {
      const target = 'data_plan_words';
      await server.createDatabase(target);
      assert.equal((await restoreSet(server, manifest.id, folder, target, 'schema', ['--no-safety-backup'])).code, 0);
      const result = await runCli(restoreArgs(manifest.id, 'data', server.url(target), folder, ['--no-safety-backup']));
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /replaces nothing: the backup's rows load into its tables, empty in the target/);
      assert.doesNotMatch(result.stdout, /none of the backup's objects exist/);
    });

    it("rows another session writes into an empty table after the plan of a data restore fail it inside its transaction, naming them, and it rolls back instead of mixing them with the backup's", async function () {
      const target = 'data_rows_late';
      await server.createDatabase(target);
      assert.equal((await restoreSet(server, manifest.id, folder, target, 'schema', ['--no-safety-backup'])).code, 0);
      const plan = await planRestore({ folder, setId: manifest.id, mode: 'data', target: parseConnectionUrl(server.url(target)), env: {}, clean: false, allowRemote: false });
      // While the person confirms, the application writes a row.
      await server.query(target, `INSERT INTO public.organizations OVERRIDING SYSTEM VALUE VALUES (100000, 'Late Ltd', 'late-ltd', '2024-01-01')`);
      const changed = await fingerprintDatabase(server.url(target));
      await assert.rejects(executeRestore(plan, { safetyBackup: false }), (error: PulseError) => {
        assert.match(
          error.message,
          /^restore stopped and was rolled back: since the plan, another session wrote rows into the tables it loads: 1 of the backup's tables already hold rows \(public\.organizations: 1 row\)$/,
        );
        assert.match((error.hint ?? []).map((part) => (typeof part === 'string' ? part : '')).join(''), /restore into an empty copy; the target is unchanged$/);
        return true;
      });
      assert.deepEqual(diffFingerprints(changed, await fingerprintDatabase(server.url(target))), []);
    });

    // Rows load under a lock that lets readers go on but holds every other writer back: a row another session has
    // inserted and not yet committed would otherwise end up beside the backup's once both commit.
    it("a data restore is refused before anything while another session's open transaction has written into one of its tables, and its rows never mix with the backup's", async function () {
      const target = 'data_writer_open';
      await server.createDatabase(target);
      assert.equal((await restoreSet(server, manifest.id, folder, target, 'schema', ['--no-safety-backup'])).code, 0);
      const writer = new Client({ connectionString: server.url(target), application_name: 'order-import' });
      writer.on('error', () => undefined);
      await writer.connect();
      try {
        const pid = (await writer.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0].pid;
        await writer.query('BEGIN');
        await writer.query(`INSERT INTO public.organizations OVERRIDING SYSTEM VALUE VALUES (100000, 'Late Ltd', 'late-ltd', '2024-01-01')`);
        const before = await fingerprintDatabase(server.url(target));
        const result = await restoreSet(server, manifest.id, folder, target, 'data', ['--no-safety-backup', '--lock-timeout', '2']);
        assertOneLineError(result);
        assert.match(result.stderr, new RegExp(`pid ${pid} \\(order-import, postgres, idle in transaction for \\d+ s, holds RowExclusiveLock on public\\.organizations\\)`));
        assert.match(result.stderr, /the target is unchanged|nothing was changed/);
        assert.deepEqual(diffFingerprints(before, await fingerprintDatabase(server.url(target))), []);
        // Once that transaction has ended, the restore goes in, and only the backup's rows are there.
        await writer.query('ROLLBACK');
        const again = await restoreSet(server, manifest.id, folder, target, 'data', ['--no-safety-backup']);
        assert.equal(again.code, 0, again.stderr);
        await assertSameContent(server.url(source), server.url(target));
      } finally {
        await writer.end().catch(() => undefined);
      }
    });

    it('a target that is not on this machine is refused without --allow-remote', async function () {
      const result = await runCli(['restore', manifest.id, '--mode', 'complete', '--db', 'postgresql://postgres@db.example.com:5432/app', '--dir', folder, '--yes']);
      assertOneLineError(result);
      assert.match(result.stderr, /is not on this machine/);
      assert.match(result.stderr, /--allow-remote/);
    });

    it('without --yes and without a terminal it refuses and changes nothing', async function () {
      const target = 'unconfirmed';
      await server.createDatabase(target);
      const result = await runCli(['restore', manifest.id, '--mode', 'complete', '--db', server.url(target), '--dir', folder]);
      assertOneLineError(result);
      assert.match(result.stderr, /needs confirmation/);
      const [{ count }] = await server.query<{ count: string }>(target, "SELECT count(*)::text AS count FROM pg_tables WHERE schemaname = 'public'");
      assert.equal(count, '0');
    });

    it('a role the target server lacks stops the restore before anything, naming it and the CREATE ROLE that makes it', async function () {
      const other = await startServer();
      try {
        await other.createDatabase('empty');
        const before = await fingerprintDatabase(other.url('empty'));
        const result = await runCli(['restore', manifest.id, '--mode', 'complete', '--db', other.url('empty'), '--dir', folder, '--yes', '--no-safety-backup']);
        assertOneLineError(result);
        assert.match(
          result.stderr,
          /: the server has no role pulse_sample_reader, which the set names as owner, grantee, policy role or user mapping: create it first \(CREATE ROLE "pulse_sample_reader" NOLOGIN;\), or restore on the server the backup came from; nothing was changed$/m,
        );
        assert.deepEqual(diffFingerprints(before, await fingerprintDatabase(other.url('empty'))), []);
        assert.ok(!result.stderr.includes(other.password));
      } finally {
        await other.stop();
      }
    });

    it('psql stopping at an error halfway through the file rolls the restore back completely', async function () {
      const target = 'refuses_midway';
      await server.createDatabase(target);
      // An event trigger of the target's own refuses one table of the set: everything before it in the file has run by then.
      await server.query(
        target,
        `CREATE FUNCTION public.refuse_messages() RETURNS event_trigger LANGUAGE plpgsql AS $$
         BEGIN
           IF EXISTS (SELECT 1 FROM pg_event_trigger_ddl_commands() WHERE object_identity = 'public.messages') THEN
             RAISE EXCEPTION 'no messages table in this database';
           END IF;
         END $$;
         CREATE EVENT TRIGGER refuse_messages ON ddl_command_end EXECUTE FUNCTION public.refuse_messages();`,
      );
      const before = await fingerprintDatabase(server.url(target));
      const result = await runCli(['restore', manifest.id, '--mode', 'complete', '--db', server.url(target), '--dir', folder, '--yes', '--no-safety-backup']);
      assertOneLineError(result);
      assert.match(result.stderr, /^pulse-backup: restore failed and was rolled back: no messages table in this database \(line \d+ of /m);
      assert.deepEqual(diffFingerprints(before, await fingerprintDatabase(server.url(target))), []);
    });

    /**
     * Starts a restore, kills psql or the CLI once psql runs, and checks the
     * target is exactly as before. `direct`: psql must be reading the file itself.
     */
    async function killMidRestore(victim: 'psql' | 'the CLI', target: string, args: string[], direct: boolean): Promise<void> {
      const before = await fingerprintDatabase(server.url(target));
      const { subprocess } = await startCli(['restore', ...args, '--db', server.url(target), '--yes', '--no-safety-backup']);
      await waitFor(() => psqlPids(server.port).length > 0, 60_000, 'psql to start');
      const commandLine = readFileSync(`/proc/${psqlPids(server.port)[0]}/cmdline`, 'utf8');
      assert.equal(commandLine.includes('_complete_backup_'), direct, direct ? 'psql reads the complete file itself' : 'psql is fed the file');
      await new Promise((resolve) => setTimeout(resolve, 150));
      if (victim === 'psql') for (const pid of psqlPids(server.port)) process.kill(pid, 'SIGKILL');
      else subprocess.kill('SIGKILL');
      const result = await subprocess;
      assert.notEqual(result.exitCode, 0);
      // A psql whose CLI is gone finds no COMMIT on its input (fed, or after reading the file itself).
      await waitFor(() => psqlPids(server.port).length === 0, 60_000, 'psql to end');
      // The server rolls back a transaction whose session ended without COMMIT.
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.deepEqual(diffFingerprints(before, await fingerprintDatabase(server.url(target))), []);
    }

    for (const victim of ['psql', 'the CLI'] as const) {
      it(`killing ${victim} mid-restore leaves the target exactly as it was`, async function () {
        const target = `killed_${victim === 'psql' ? 'psql' : 'cli'}`;
        await server.createDatabase(target, { template: source });
        await server.query(target, 'SET session_replication_role = replica; DELETE FROM public.messages');
        await killMidRestore(victim, target, [manifest.id, '--mode', 'complete', '--clean', '--dir', folder], false);
      });
    }

    // Without large objects psql reads the file itself and COMMIT waits on its standard input.
    describe('when psql reads the file itself (no large objects)', function () {
      const direct = 'refuse_src_direct';
      let directFolder: string;
      let directManifest: Manifest;

      before(async function () {
        await server.createDatabase(direct, { template: source });
        await server.query(direct, 'SELECT pg_catalog.lo_unlink(oid) FROM pg_catalog.pg_largeobject_metadata');
        directFolder = newFolder();
        directManifest = await backupSet(server, direct, directFolder, 'direct');
        assert.equal(directManifest.largeObjects, 0);
      });

      for (const victim of ['psql', 'the CLI'] as const) {
        it(`killing ${victim} mid-restore leaves the target exactly as it was`, async function () {
          // An empty target: no schema of the file exists there, so nothing needs rewriting.
          const target = `killed_direct_${victim === 'psql' ? 'psql' : 'cli'}`;
          await server.createDatabase(target);
          await killMidRestore(victim, target, [directManifest.id, '--mode', 'complete', '--dir', directFolder], true);
        });
      }
    });
  });
});
