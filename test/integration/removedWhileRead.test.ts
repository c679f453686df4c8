/**
 * A set removed while it is read. Verify, prove and a restore's pre-flight
 * read a set without the folder's lock (a proof restores the whole set
 * twice, and backups must not wait for it), so a backup's retention
 * (`backup --keep 1`) may remove the set meanwhile. Each says so in one
 * line and records nothing: a set that is no longer there gets no failed
 * proof or verification, and no history is left behind to mark a copy
 * that comes back under its id (a pull). A history an earlier version left
 * that way is removed by the next run that holds the folder.
 *
 * The removal is made deterministic: the real `backup --keep 1` runs at a
 * known moment, between the set's listing and its reading, or inside the
 * proof's progress callback (which blocks the proof until it is done).
 */
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseConnectionUrl } from '../../src/core/connection/target';
import type { PulseError } from '../../src/core/errors';
import { proveSet } from '../../src/core/prove/prove';
import { executeRestore } from '../../src/core/restore/load';
import { planRestore } from '../../src/core/restore/plan';
import { historyPath } from '../../src/core/sets/history';
import { listSets as listSetsHere } from '../../src/core/sets/listing';
import type { Manifest } from '../../src/core/sets/manifest';
import { verifySet } from '../../src/core/verify/verify';
import { CLI_PATH, cleanEnv, runCli, type CliOptions } from '../support/cli';
import { diffFingerprints, fingerprintDatabase } from '../support/fingerprint';
import { backupSet, copySetFiles, createFactoryDatabase, listSets, useServer, useTempFolders } from '../support/integration';

const PREFIX = 'fe_f';
const PASSPHRASE = 'o2pass';
const withPassphrase: CliOptions = { env: { PULSE_BACKUP_PASSPHRASE: PASSPHRASE } };
const keys = { passphrase: () => Promise.resolve(PASSPHRASE) };

describe("a set removed while it is read (a backup's retention)", function () {
  const server = useServer();
  const newFolder = useTempFolders('pulse-backup-removed-');
  const source = 'removed_source';

  before(async function () {
    await createFactoryDatabase(server, source);
  });

  /** `backup --keep 1`: the older set of the prefix goes. */
  function backupKeepingOne(folder: string, extra: string[] = []): Promise<Manifest> {
    return backupSet(server, source, folder, PREFIX, ['--keep', '1', ...extra], withPassphrase);
  }

  /** The same, blocking this process until it is done (from inside a progress callback). */
  function backupKeepingOneNow(folder: string): void {
    execFileSync(process.execPath, [CLI_PATH, 'backup', '--db', server.url(source), '--dir', folder, '--prefix', PREFIX, '--keep', '1'], { env: cleanEnv(), stdio: 'pipe' });
  }

  /** Every file in the folder that belongs to the set (its history included). */
  function filesOf(folder: string, manifest: Manifest): string[] {
    return readdirSync(folder).filter((name) => name.includes(manifest.timestamp));
  }

  function assertRemovedWhile(doing: string): (error: PulseError) => boolean {
    return (error) => {
      assert.equal(error.code, 'unknown-set', error.stack);
      assert.match(error.message, new RegExp(`^${PREFIX}_\\d{8}_\\d{6} was removed from .* while it was being ${doing} \\(by a backup's retention or a prune\\)$`));
      return true;
    };
  }

  it('verify of an encrypted set says it was removed, in one line, and writes no history', async function () {
    const folder = newFolder();
    const first = await backupKeepingOne(folder, ['--encrypt']);
    const [listed] = await listSetsHere(folder);
    assert.equal(listed.id, first.id);
    // Retention removes it after verify listed it, before its files are unlocked and read.
    await backupKeepingOne(folder);
    assert.deepEqual(filesOf(folder, first), []);
    await assert.rejects(verifySet({ folder, setId: first.id, listed, env: {}, keys }), assertRemovedWhile('verified'));
    assert.deepEqual(filesOf(folder, first), [], 'no history of the removed set');
  });

  it('prove says it was removed, in one line, and records no failed proof', async function () {
    const folder = newFolder();
    const first = await backupKeepingOne(folder, ['--encrypt']);
    let removed = false;
    const proving = proveSet({
      folder,
      setId: first.id,
      target: parseConnectionUrl(server.url(source)),
      env: {},
      keys,
      onProgress: (event) => {
        // Its keys are proved and the scratch server swept: the loads come next.
        if (event.kind === 'swept' && !removed) {
          removed = true;
          backupKeepingOneNow(folder);
        }
      },
    });
    await assert.rejects(proving, assertRemovedWhile('proved'));
    assert.ok(removed, 'the backup ran during the proof');
    assert.deepEqual(filesOf(folder, first), [], 'no history holding a failed proof of the removed set');
    assert.ok(!existsSync(historyPath(folder, first.id)));
  });

  it('a restore whose set retention removed after its plan says so, and changes nothing', async function () {
    const folder = newFolder();
    const first = await backupKeepingOne(folder);
    const target = 'removed_restore_target';
    await server.createDatabase(target);
    const plan = await planRestore({ folder, setId: first.id, mode: 'complete', target: parseConnectionUrl(server.url(target)), env: {}, clean: false, allowRemote: false });
    await backupKeepingOne(folder);
    const before = await fingerprintDatabase(server.url(target));
    await assert.rejects(executeRestore(plan, { safetyBackup: false }), assertRemovedWhile('restored'));
    assert.deepEqual(diffFingerprints(before, await fingerprintDatabase(server.url(target))), []);
  });

  it("a history left without its set (an earlier version's failed proof) goes with the next backup, and a copy brought back carries none of it", async function () {
    const folder = newFolder();
    const first = await backupKeepingOne(folder);
    const copy = newFolder();
    copySetFiles(folder, copy, first);
    // What a proof that raced retention wrote before this fix: a failed proof beside no set.
    for (const name of filesOf(folder, first)) rmSync(join(folder, name));
    const proof = {
      formatVersion: 1,
      setId: first.id,
      provedAt: new Date().toISOString(),
      durationMs: 1,
      outcome: 'failed',
      summary: 'NOT proved: the complete file: cannot be read',
      paths: [],
      differences: [{ path: 'complete', kind: 'restore', object: 'complete file', detail: 'cannot be read: ENOENT' }],
      notes: [],
    };
    writeFileSync(
      historyPath(folder, first.id),
      `${JSON.stringify({ format: 'pulse-backup-history', formatVersion: 1, setId: first.id, verifications: [], retention: [], proofs: [proof] })}\n`,
    );
    // A second later at least: a set made in the same second would take the removed set's id, and its files that name.
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, Date.parse(first.startedAt) + 1100 - Date.now())));
    await backupKeepingOne(folder);
    assert.deepEqual(filesOf(folder, first), [], 'the history of no set is gone');
    // The set comes back (as a pull brings it): it is a set of its own, never proved.
    copySetFiles(copy, folder, first);
    const listed = (await listSets(folder)).find((set) => set.id === first.id);
    assert.equal(listed?.status, 'complete');
    assert.equal(listed.hasHistory, false);
    const list = await runCli(['list', '--dir', folder]);
    assert.doesNotMatch(list.stdout, /PROOF FAILED/);
  });
});
