/**
 * One restore at a time into a database: a second restore, from another
 * backups folder (so the folder lock does not stop it), finds the first one
 * running and stops before it changes anything, naming it; so does a backup
 * of that database; the first goes on and finishes; once it has, the
 * database takes a restore again.
 */
import { strict as assert } from 'node:assert';
import { cpSync, existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Manifest } from '../../src/core/sets/manifest';
import { assertOneLineError, runCli, startCli } from '../support/cli';
import { diffFingerprints, fingerprintDatabase } from '../support/fingerprint';
import { backupSet, createFactoryDatabase, useServer, useTempFolders } from '../support/integration';
import { hasProc, toolProcessesOf } from '../support/proc';
import { skipBecause } from '../support/skip';
import { holdTable } from '../support/tableLock';
import { waitFor } from '../support/wait';

describe('one restore at a time into a database', function () {
  const server = useServer();
  const newFolder = useTempFolders('pulse-backup-turn-');
  const source = 'turn_source';
  const target = 'turn_target';
  let folder: string;
  let otherFolder: string;
  let set: Manifest;

  before(async function () {
    await createFactoryDatabase(server, source);
    folder = newFolder();
    set = await backupSet(server, source, folder, 'turn');
    otherFolder = newFolder();
    cpSync(folder, otherFolder, { recursive: true });
    await server.createDatabase(target, { template: source });
  });

  it('a second restore, from another folder, stops before it changes anything and names the one running', async function () {
    if (!hasProc) skipBecause(this, 'needs /proc to see that the first restore has started its psql');
    this.timeout(120_000);
    // The first restore's psql waits at its first DROP for a table another (busy) session reads.
    const blocker = await holdTable(server.url(target), 'public.users', { mode: 'ACCESS SHARE', busy: true });
    let first;
    try {
      first = await startCli([
        'restore',
        set.id,
        '--mode',
        'complete',
        '--clean',
        '--no-safety-backup',
        '--lock-timeout',
        '90',
        '--db',
        server.url(target),
        '--dir',
        folder,
        '--yes',
      ]);
      await waitFor('the first restore to run psql', () => toolProcessesOf('psql', server.port).length > 0);
      const otherBefore = readdirSync(otherFolder).sort();
      const second = await runCli(['restore', set.id, '--mode', 'complete', '--clean', '--db', server.url(target), '--dir', otherFolder, '--yes']);
      assertOneLineError(second);
      assert.match(
        second.stderr,
        new RegExp(
          `another restore into database ${target} is running \\(pulse-backup restore, pid ${first.subprocess.pid}, server session \\d+, as postgres, since .*\\): wait for it to finish.*nothing was changed`,
        ),
      );
      // Stopped before its safety backup: nothing written to its folder. (The
      // database cannot be read meanwhile: readers queue behind the first
      // restore's lock; it is compared once the first has finished.)
      assert.deepEqual(readdirSync(otherFolder).sort(), otherBefore);

      // A backup meanwhile stops too: with jobs, it would hold half a restore.
      const backupFolder = join(newFolder(), 'during');
      const backup = await runCli(['backup', '--db', server.url(target), '--dir', backupFolder, '--prefix', 'during']);
      assertOneLineError(backup);
      assert.match(
        backup.stderr,
        new RegExp(
          `a restore into database ${target} is running \\(pulse-backup restore, pid ${first.subprocess.pid}, .*\\), and a backup now could hold what it has loaded so far: back up once it has finished; nothing was written and older backups are untouched`,
        ),
      );
      assert.ok(!existsSync(backupFolder) || readdirSync(backupFolder).length === 0, 'the backup wrote nothing');
    } finally {
      await blocker.release();
    }
    const result = await first.subprocess;
    assert.equal(result.exitCode, 0, String(result.stderr));
    assert.match(String(result.stdout), /^Restored /m);
    assert.deepEqual(diffFingerprints(await fingerprintDatabase(server.url(source)), await fingerprintDatabase(server.url(target))), []);
  });

  it('once the first has finished, the database takes the next restore', async function () {
    const again = await runCli(['restore', set.id, '--mode', 'complete', '--clean', '--no-safety-backup', '--db', server.url(target), '--dir', otherFolder, '--yes']);
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual(diffFingerprints(await fingerprintDatabase(server.url(source)), await fingerprintDatabase(server.url(target))), []);
  });
});
