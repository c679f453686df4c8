/**
 * What a run killed outright leaves, and who cleans it: a backup killed
 * while it renames its files into place never leaves a set that `list` or
 * `verify` call good, and the next run that takes the folder finishes the
 * set or removes it; the hidden files of a killed safety backup are removed
 * by the next restore or prune, not only by a later backup.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, renameSync, truncateSync, watch } from 'node:fs';
import { join } from 'node:path';
import type { Manifest } from '../../src/core/sets/manifest';
import { parseTemporaryName } from '../../src/core/files/atomicFile';
import { DUMP_TYPES, fileNameFor, manifestNameFor, parseBackupFileName } from '../../src/core/sets/naming';
import { assertOneLineError, runCli, startCli } from '../support/cli';
import { assertSameContent } from '../support/fingerprint';
import { backupSet, createFactoryDatabase, type ListedJson, listSets, useServer, useTempFolders } from '../support/integration';
import { holdTable } from '../support/tableLock';

function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', '0']);
  assert.ok(child.pid);
  return child.pid;
}

function hiddenFiles(folder: string): string[] {
  return readdirSync(folder).filter((name) => name.endsWith('.partial'));
}

describe('what a killed run leaves', function () {
  const server = useServer();
  const newFolder = useTempFolders('pulse-backup-killed-');
  const database = 'killed_runs';

  before(async function () {
    await createFactoryDatabase(server, database);
  });

  async function verify(folder: string, id: string): Promise<{ code: number; outcome?: string; text: string }> {
    const result = await runCli(['verify', id, '--dir', folder, '--json']);
    const report = result.stdout ? (JSON.parse(result.stdout) as { outcome: string }) : undefined;
    return { code: result.code, outcome: report?.outcome, text: result.stdout + result.stderr };
  }

  const backup = (folder: string): Promise<Manifest> => backupSet(server, database, folder, 'kill');

  /** Nothing a killed run left may pass for a good set: a set with hidden files is incomplete, and fails verification. */
  async function assertNothingPassesForGood(folder: string): Promise<ListedJson[]> {
    const sets = await listSets(folder);
    for (const set of sets) {
      const written = readdirSync(folder).filter((name) => name.includes(set.timestamp));
      if (written.some((name) => name.endsWith('.partial'))) {
        assert.equal(set.status, 'incomplete', `${set.id} (${written.join(', ')}) is listed ${set.status}`);
        assert.match(set.problems.join(' '), /a backup or pull was killed while writing this set/);
        const verified = await verify(folder, set.id);
        assert.equal(verified.code, 1, verified.text);
        assert.equal(verified.outcome, 'fail');
      } else {
        assert.equal(set.status, 'complete', `${set.id} (${written.join(', ')})`);
      }
    }
    return sets;
  }

  it('kill -9 among the final renames: the set is never called good, and the next backup finishes it', async function () {
    this.timeout(240_000);
    let interrupted = 0;
    for (let attempt = 1; attempt <= 3; attempt += 1) {
      const folder = newFolder();
      const { subprocess } = await startCli(['backup', '--db', server.url(database), '--dir', folder, '--prefix', 'kill', '--json']);
      // The moment the first dump file appears under its own name, the renames have begun: kill the CLI there.
      const watcher = watch(folder, (_event, name) => {
        if (name && /^kill_schema_backup_\d{8}_\d{6}\.sql$/.test(name)) subprocess.kill('SIGKILL');
      });
      const result = await subprocess;
      watcher.close();
      if (result.signal !== 'SIGKILL') continue; // the whole backup finished before the kill landed
      const killed = await assertNothingPassesForGood(folder);
      if (killed.some((set) => set.status === 'incomplete')) interrupted += 1;

      const next = await backup(folder);
      assert.deepEqual(hiddenFiles(folder), [], 'the next backup left no hidden files behind');
      const after = await listSets(folder);
      for (const set of after) {
        assert.equal(set.status, 'complete', `${set.id} after the next backup`);
        const verified = await verify(folder, set.id);
        assert.equal(verified.outcome, 'pass', verified.text);
      }
      assert.ok(after.some((set) => set.id === next.id));
    }
    assert.ok(interrupted > 0, 'no kill landed among the renames: the test proved nothing');
  });

  describe('a set killed at each step of putting it in place', function () {
    let made: Manifest;
    let source: string;

    before(async function () {
      source = newFolder();
      made = await backup(source);
    });

    /** The folder as a backup that died after renaming `renamed` of the dump files leaves it. */
    function killedAfter(renamed: number, damage?: (folder: string, hidden: (name: string) => string) => void): { folder: string } {
      const folder = newFolder();
      const pid = deadPid();
      const hidden = (name: string) => join(folder, `.${name}.${pid}.partial`);
      for (const name of readdirSync(source)) spawnSync('cp', ['-p', join(source, name), join(folder, name)]);
      renameSync(join(folder, manifestNameFor(made.prefix, made.timestamp)), hidden(manifestNameFor(made.prefix, made.timestamp)));
      const order = ['schema', 'data', 'complete'] as const;
      for (const type of order.slice(renamed)) {
        const name = fileNameFor(made.prefix, type, made.timestamp);
        renameSync(join(folder, name), hidden(name));
      }
      damage?.(folder, hidden);
      return { folder };
    }

    for (const renamed of [0, 1, 2, 3]) {
      it(`after ${renamed} of 3 renames: listed incomplete, fails verification, and the next prune finishes it`, async function () {
        const { folder } = killedAfter(renamed);
        const [set] = await assertNothingPassesForGood(folder);
        assert.equal(set?.id, made.id);
        const prune = await runCli(['prune', '--dir', folder, '--prefix', made.prefix, '--json']);
        assert.equal(prune.code, 0, prune.stderr);
        assert.deepEqual(hiddenFiles(folder), []);
        const [finished] = await listSets(folder);
        assert.equal(finished?.status, 'complete');
        assert.equal((await verify(folder, made.id)).outcome, 'pass');
      });
    }

    it('a compressed set killed among its renames: finished whole when whole, every stored file removed when not', async function () {
      const gzipSource = newFolder();
      const gz = await backupSet(server, database, gzipSource, 'kill', ['--compress', 'gzip']);
      const names = gz.files.map((file) => file.name);
      assert.ok(names.every((name) => name.endsWith('.sql.gz')));
      /** The folder as the backup left it after renaming the first of its dumps; `damage` shortens a hidden one. */
      const killed = (damage: boolean): string => {
        const folder = newFolder();
        const pid = deadPid();
        const hidden = (name: string) => join(folder, `.${name}.${pid}.partial`);
        for (const name of readdirSync(gzipSource)) spawnSync('cp', ['-p', join(gzipSource, name), join(folder, name)]);
        const manifest = manifestNameFor(gz.prefix, gz.timestamp);
        renameSync(join(folder, manifest), hidden(manifest));
        for (const name of names.slice(1)) renameSync(join(folder, name), hidden(name));
        if (damage) truncateSync(hidden(names[2]), 10);
        return folder;
      };
      const whole = killed(false);
      await assertNothingPassesForGood(whole);
      assert.equal((await runCli(['prune', '--dir', whole, '--prefix', gz.prefix])).code, 0);
      assert.deepEqual(hiddenFiles(whole), []);
      assert.equal((await verify(whole, gz.id)).outcome, 'pass', 'finished: every .sql.gz in place, the manifest last');

      const broken = killed(true);
      await assertNothingPassesForGood(broken);
      assert.equal((await runCli(['prune', '--dir', broken, '--prefix', gz.prefix])).code, 0);
      assert.deepEqual(
        readdirSync(broken).filter((name) => name.includes(gz.timestamp)),
        [],
        'the renamed .sql.gz went with the hidden ones: nothing of the set is left',
      );
    });

    it('a restore of the killed set itself finishes it and restores it; one not whole is removed, and the refusal says so', async function () {
      const { folder } = killedAfter(1);
      await assertNothingPassesForGood(folder);
      await server.createDatabase('killed_runs_itself');
      const restore = await runCli(['restore', made.id, '--mode', 'complete', '--db', server.url('killed_runs_itself'), '--dir', folder, '--yes', '--no-safety-backup']);
      assert.equal(restore.code, 0, restore.stderr);
      assert.deepEqual(hiddenFiles(folder), []);
      await assertSameContent(server.url(database), server.url('killed_runs_itself'));
      const broken = killedAfter(1, (_folder, hidden) => truncateSync(hidden(fileNameFor(made.prefix, 'complete', made.timestamp)), 100));
      await server.createDatabase('killed_runs_broken');
      const refused = await runCli(['restore', made.id, '--mode', 'complete', '--db', server.url('killed_runs_broken'), '--dir', broken.folder, '--yes', '--no-safety-backup']);
      assertOneLineError(refused);
      assert.match(refused.stderr, /was being written by a backup or pull that was killed, and not every file of it was there whole: its files were removed: restore another set/);
      assert.deepEqual(
        readdirSync(broken.folder).filter((name) => name.includes(made.timestamp)),
        [],
        'nothing of the broken set is left',
      );
      assert.equal((await server.query('killed_runs_broken', "SELECT count(*)::int AS n FROM pg_class WHERE relnamespace = 'public'::regnamespace"))[0].n, 0);
    });

    it('a set that is not whole (a file of another size) is removed, not finished', async function () {
      const { folder } = killedAfter(1, (_folder, hidden) => truncateSync(hidden(fileNameFor(made.prefix, 'complete', made.timestamp)), 100));
      await assertNothingPassesForGood(folder);
      const restoreTarget = 'killed_runs_target';
      await server.createDatabase(restoreTarget);
      // A restore of another set takes the folder too, and cleans up first.
      const other = await backup(folder);
      const restore = await runCli(['restore', other.id, '--mode', 'complete', '--db', server.url(restoreTarget), '--dir', folder, '--yes', '--no-safety-backup']);
      assert.equal(restore.code, 0, restore.stderr);
      assert.deepEqual(hiddenFiles(folder), []);
      assert.deepEqual(
        (await listSets(folder)).map((set) => set.id),
        [other.id],
      );
      assert.ok(!readdirSync(folder).some((name) => name.includes(made.timestamp)), 'nothing of the broken set is left');
    });
  });

  for (const cleaner of ['prune', 'restore'] as const) {
    it(`the hidden files of a safety backup killed mid-dump are removed by the next ${cleaner}`, async function () {
      this.timeout(240_000);
      const folder = newFolder();
      const set = await backup(folder);
      const target = `killed_safety_${cleaner}`;
      await server.createDatabase(target, { template: database });
      // Hold a table only the target has: the safety backup waits for it (the restore's plan never
      // looks at it), so the restore is surely mid-dump when killed.
      await server.query(target, 'CREATE TABLE public.only_in_target (id integer)');
      const blocker = await holdTable(server.url(target), 'public.only_in_target');
      try {
        const { subprocess } = await startCli(['restore', set.id, '--mode', 'complete', '--clean', '--db', server.url(target), '--dir', folder, '--yes']);
        // Mid-dump: its dump files are there under their hidden names, and its pg_dump waits for the
        // held table. (The restore writes the set's history before that: a hidden file of its own.)
        const midDump = async (): Promise<boolean> =>
          hiddenFiles(folder).some((name) => (DUMP_TYPES as readonly string[]).includes(parseBackupFileName(parseTemporaryName(name)?.finalName ?? '')?.kind ?? '')) &&
          Number((await server.query<{ n: string }>(target, `SELECT count(*)::text AS n FROM pg_locks WHERE NOT granted AND relation = 'public.only_in_target'::regclass`))[0].n) >
            0;
        const deadline = Date.now() + 60_000;
        while (!(await midDump()) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
        assert.ok(await midDump(), 'the safety backup did not reach the held table within a minute');
        subprocess.kill('SIGKILL');
        await subprocess;
      } finally {
        await blocker.release();
      }
      assert.ok(hiddenFiles(folder).length > 0, 'the killed safety backup left hidden files');
      assert.deepEqual(
        (await listSets(folder)).map((listed) => listed.id),
        [set.id],
        'they are not listed as a set',
      );

      const run =
        cleaner === 'prune'
          ? await runCli(['prune', '--dir', folder, '--prefix', 'kill'])
          : await runCli(['restore', set.id, '--mode', 'complete', '--clean', '--db', server.url(target), '--dir', folder, '--yes', '--no-safety-backup']);
      assert.equal(run.code, 0, run.stderr);
      assert.deepEqual(hiddenFiles(folder), [], `${cleaner} removed them`);
      assert.ok(existsSync(join(folder, fileNameFor(set.prefix, 'complete', set.timestamp))), 'and nothing else');
    });
  }
});
