/**
 * A restore whose psql is killed, or whose server goes away, mid-restore:
 * one line saying what happened and what to do — not Node's "write EPIPE",
 * not a connection-setup hint about API or pooler ports — and nothing
 * committed.
 */
import { strict as assert } from 'node:assert';
import type { Manifest } from '../../src/core/sets/manifest';
import { assertOneLineError, startCli } from '../support/cli';
import { diffFingerprints, fingerprintDatabase } from '../support/fingerprint';
import { backupSet, createFactoryDatabase, useServer, useTempFolders } from '../support/integration';
import { startServer } from '../support/pgServer';
import { hasProc, toolProcessesOf } from '../support/proc';
import { skipBecause } from '../support/skip';
import { holdTable } from '../support/tableLock';
import { waitFor } from '../support/wait';

describe('a restore cut off mid-way', function () {
  const server = useServer();
  const newFolder = useTempFolders('pulse-backup-cut-');
  let folder: string;
  let set: Manifest;
  const source = 'cut_source';

  before(async function () {
    await createFactoryDatabase(server, source);
    folder = newFolder();
    set = await backupSet(server, source, folder, 'cut');
  });

  beforeEach(function () {
    if (!hasProc) skipBecause(this, 'needs /proc to find the psql to kill');
  });

  // complete --clean over a copy feeds psql through the CLI; data --clean lets psql read the file itself.
  for (const mode of ['complete', 'data'] as const) {
    it(`kill -9 of psql (${mode} restore): one line saying psql was stopped and nothing was committed`, async function () {
      const target = `cut_${mode}`;
      await server.createDatabase(target, { template: source });
      const before = await fingerprintDatabase(server.url(target));
      // psql waits at its first DROP or TRUNCATE for a table another session holds.
      const blocker = await holdTable(server.url(target), 'public.users', { mode: 'ACCESS SHARE', busy: true });
      let result;
      try {
        const { subprocess } = await startCli(['restore', set.id, '--mode', mode, '--clean', '--no-safety-backup', '--db', server.url(target), '--dir', folder, '--yes']);
        const [psql] = await waitFor('psql to run', () => {
          const found = toolProcessesOf('psql', server.port);
          return found.length > 0 ? found : undefined;
        });
        await new Promise((resolve) => setTimeout(resolve, 300));
        process.kill(psql, 'SIGKILL');
        result = await subprocess;
      } finally {
        await blocker.release();
      }
      const stderr = String(result.stderr);
      assertOneLineError({ code: result.exitCode ?? -1, stdout: String(result.stdout), stderr, durationMs: 0 });
      assert.match(stderr, /psql was stopped \(SIGKILL\) before the restore finished, so nothing was committed: .*run the restore again/);
      assert.doesNotMatch(stderr, /EPIPE|unexpected error/);
      assert.deepEqual(diffFingerprints(before, await fingerprintDatabase(server.url(target))), []);
    });
  }

  it('the server stopping mid-restore: one line saying the server ended the session, not a hint about ports', async function () {
    this.timeout(180_000);
    const other = await startServer();
    try {
      await createFactoryDatabase(other, 'target');
      const blocker = await holdTable(other.url('target'), 'public.users', { mode: 'ACCESS SHARE', busy: true });
      const { subprocess } = await startCli(['restore', set.id, '--mode', 'complete', '--clean', '--no-safety-backup', '--db', other.url('target'), '--dir', folder, '--yes']);
      await waitFor('psql to run', () => toolProcessesOf('psql', other.port).length > 0);
      await new Promise((resolve) => setTimeout(resolve, 300));
      await Promise.all([other.stop(), blocker.release().catch(() => undefined)]);
      const result = await subprocess;
      const stderr = String(result.stderr);
      assertOneLineError({ code: result.exitCode ?? -1, stdout: String(result.stdout), stderr, durationMs: 0 });
      assert.match(
        stderr,
        /the server ended the restore's session before it finished \(terminating connection due to administrator command\), so nothing was committed: check that the database server runs/,
      );
      assert.doesNotMatch(stderr, /API or pooler|host and port/);
    } finally {
      await other.stop();
    }
  });
});
