/**
 * A hot standby, as teams back up from a read replica: a real streaming
 * replica of a throwaway server (pg_basebackup -R). A backup from it is
 * whole and restores equal to the primary's database; a restore or a proof
 * into it, which can only fail there, is refused before anything with what
 * to do instead; and when the standby's replay cancels the backup's or the
 * diff's snapshot (the primary vacuumed rows it still needed, and replay
 * waited max_standby_streaming_delay for it), the one line says that and
 * how to avoid it, not "invalid snapshot identifier".
 *
 * The replay conflict is made certain with a gate: the pg_dump the tool
 * runs is the real one, started through a script that first waits until
 * the test opens the gate. Meanwhile the primary deletes and vacuums, and
 * the standby replays that past the backup's snapshot.
 */
import { strict as assert } from 'node:assert';
import { existsSync, readdirSync } from 'node:fs';
import { assertOneLineError, runCli, startCli, type CliResult } from '../support/cli';
import { gatedPgDump } from '../support/gatedPgDump';
import { diffFingerprints, fingerprintDatabase } from '../support/fingerprint';
import { createFactoryDatabase, restoreArgs, useServer, useTempFolders } from '../support/integration';
import { skipBecause } from '../support/skip';
import { findPgBasebackup, startStandby, type Standby } from '../support/standby';
import { waitFor } from '../support/wait';

const DATABASE = 'replicated';
const CHURN = 'CREATE TABLE IF NOT EXISTS public.churn (id integer); INSERT INTO public.churn SELECT generate_series(1, 1000)';

describe('a hot standby (a read replica)', function () {
  // A throwaway server (settings given): its base backup becomes the standby.
  const primary = useServer({ settings: { wal_level: 'replica' } });
  const newFolder = useTempFolders('pulse-backup-standby-');
  let standby: Standby | undefined;
  let folder: string;
  let setId: string;

  before(async function () {
    this.timeout(180_000);
    const pgBasebackup = await findPgBasebackup();
    if (!pgBasebackup) skipBecause(this, 'no pg_basebackup beside pg_dump to make a standby with');
    await createFactoryDatabase(primary, DATABASE);
    // Rows the primary deletes and vacuums away under a snapshot on the standby.
    await primary.query(DATABASE, CHURN);
    // A standby that cancels a conflicting reader after 100 ms (30 s by default).
    standby = await startStandby(primary, pgBasebackup, { max_standby_streaming_delay: '100ms' });
    await standby.caughtUp();
    folder = newFolder();
  });

  after(async function () {
    await standby?.server.stop();
  });

  const replica = () => standby!.server;

  it('a backup from the standby, with one session and with two, restores equal to the database on the primary', async function () {
    this.timeout(180_000);
    for (const jobs of ['1', '2']) {
      const result = await runCli(['backup', '--db', replica().url(DATABASE), '--dir', folder, '--prefix', 'replica', '--jobs', jobs, '--json'], {
        env: { PULSE_BACKUP_PARALLEL_MIN_BYTES: '0' },
      });
      assert.equal(result.code, 0, result.stderr);
      setId = (JSON.parse(result.stdout) as { id: string }).id;
      const copy = `from_standby_${jobs}`;
      await primary.createDatabase(copy);
      const restored = await runCli(restoreArgs(setId, 'complete', primary.url(copy), folder, ['--no-safety-backup']));
      assert.equal(restored.code, 0, restored.stderr);
      assert.deepEqual(diffFingerprints(await fingerprintDatabase(primary.url(DATABASE)), await fingerprintDatabase(primary.url(copy))), [], `--jobs ${jobs}`);
    }
  });

  it('a restore into the standby is refused before anything, saying to restore into the primary; no safety backup is taken', async function () {
    this.timeout(120_000);
    const before = readdirSync(folder).sort();
    const checked = await runCli(['verify', setId, '--dir', folder, '--db', replica().url(DATABASE)]);
    assert.equal(checked.code, 1, checked.stdout);
    assert.match(checked.stdout, /✘ The target database takes changes\n\s+the server is a standby \(in recovery\), which takes no changes: restore into the primary server/);
    for (const mode of ['complete', 'data']) {
      const result = await runCli(restoreArgs(setId, mode, replica().url(DATABASE), folder, ['--clean']));
      assertOneLineError(result);
      assert.match(
        result.stderr,
        /the server is a standby \(in recovery\), which takes no changes: restore into the primary server: point --db at its host and port; nothing was changed/,
      );
    }
    assert.deepEqual(readdirSync(folder).sort(), before, 'no safety set was written');
  });

  it('a proof on the standby is refused in one line naming --scratch-db; with the primary as its scratch server it proves the set', async function () {
    this.timeout(120_000);
    const refused = await runCli(['prove', setId, '--dir', folder, '--db', replica().url(DATABASE)]);
    assertOneLineError(refused);
    assert.match(
      refused.stderr,
      /127\.0\.0\.1:\d+ is a standby server \(in recovery\), which takes no changes, and a proof restores the set into new databases it drops afterwards: prove on a server that takes changes: pass --scratch-db URL/,
    );
    const proved = await runCli(['prove', setId, '--dir', folder, '--db', replica().url(DATABASE), '--scratch-db', primary.url('postgres')]);
    assert.equal(proved.code, 0, proved.stderr + proved.stdout);
  });

  it("a backup whose snapshot the standby's replay cancels says so in one line, and writes nothing", async function () {
    this.timeout(120_000);
    const target = newFolder();
    const result = await runWhileReplayCancels(['backup', '--db', replica().url(DATABASE), '--dir', target, '--prefix', 'conflict']);
    assert.match(
      result.stderr,
      /^pulse-backup: the standby server cancelled the backup: replaying the primary's changes removed row versions its snapshot still needed: run it again; if it keeps happening, read from the primary instead, or let the standby's replay wait for long reads \(hot_standby_feedback = on, or a longer max_standby_streaming_delay, in the standby's configuration\); nothing was written; older backups are untouched$/,
    );
    // Nothing at all, not even a hidden half-file.
    assert.deepEqual(existsSync(target) ? readdirSync(target) : [], []);
  });

  it("a diff whose snapshot the standby's replay cancels says so in one line", async function () {
    this.timeout(120_000);
    const result = await runWhileReplayCancels(['diff', setId, '--dir', folder, '--db', replica().url(DATABASE)]);
    assert.match(
      result.stderr,
      /^pulse-backup: the standby server cancelled the read of replicated: replaying the primary's changes removed row versions .*; nothing was changed$/,
    );
  });

  /** On the primary: rows the tool's snapshot sees are deleted and vacuumed away; returns once the standby has replayed that (cancelling what conflicts). */
  async function removeRowsTheSnapshotSees(): Promise<void> {
    await primary.query(DATABASE, 'DELETE FROM public.churn');
    await primary.query(DATABASE, 'VACUUM public.churn');
    await standby!.caughtUp();
    // Rows for the next test to remove.
    await primary.query(DATABASE, CHURN);
    await standby!.caughtUp();
  }

  /** Runs the CLI with its pg_dump held at a gate while the standby replays the removal of rows its snapshot sees; one line on stderr. */
  async function runWhileReplayCancels(args: string[]): Promise<CliResult> {
    const gate = await gatedPgDump(newFolder());
    const run = await startCli([...args, '--pg-bin-dir', gate.bin]);
    await waitFor('pg_dump to wait at the gate', () => existsSync(gate.waiting));
    await removeRowsTheSnapshotSees();
    gate.open();
    const ended = await run.subprocess;
    const result = { code: ended.exitCode ?? -1, stdout: String(ended.stdout), stderr: String(ended.stderr), durationMs: 0 };
    assertOneLineError(result);
    return result;
  }
});
