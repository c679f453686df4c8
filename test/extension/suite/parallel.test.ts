/**
 * Parallel backups in a real VS Code: with Jobs set to 2, Back Up Database
 * dumps a table of 32 MB or more in a pg_dump session of its own, from the
 * backup's one snapshot, and the set says so in its manifest; it verifies
 * and restores equal in full content, as any set.
 *
 * The table is made for the test and dropped after it; retention is told to
 * keep every set, and the files the test added and the settings go back as
 * they were.
 */
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Manifest } from '../../../src/core/sets/manifest';
import type { PulseBackupApi } from '../../../src/extension/extension';
import { diffFingerprints, fingerprintDatabase } from '../../support/fingerprint';
import { databaseUrl, tasksEnded, testDatabase } from './helpers';
import { backUpFromPalette, deleteUsers, ensureConnection as ensureConnectionAs, removeFilesAddedSince, restoreComplete, startDrill, useDrillHooks, withDatabase } from './drill';
import { ScriptedPrompts } from './prompts';

/** A table over the 32 MB a table needs for a session of its own (about 45 MB), by the planner's statistics. */
const BIG_TABLE = 'public.parallel_shift_log';

describe('Parallel backups in a real VS Code', function () {
  const db = testDatabase();
  const dbUrl = databaseUrl(db, db.database, true);
  const urlWithoutPassword = databaseUrl(db, db.database, false);
  const prompts = new ScriptedPrompts();
  let folder: vscode.WorkspaceFolder;
  let backupsFolder: string;
  let api: PulseBackupApi;
  let filesAtStart: Set<string>;

  const settings = () => vscode.workspace.getConfiguration('pulseBackup', folder.uri);
  const reference = (setId: string) => ({ folderUri: folder.uri.toString(), setId });
  const errors = () => prompts.messages.filter((call) => call.kind === 'error').map((call) => call.message);

  before(async function () {
    this.timeout(120_000);
    ({ folder, backupsFolder, filesAtStart, api } = await startDrill(prompts));
    await ensureConnectionAs(prompts, folder, { withPassword: dbUrl, withoutPassword: urlWithoutPassword });
    await settings().update('jobs', 2, vscode.ConfigurationTarget.Workspace);
    await settings().update('retention.keepLast', 100, vscode.ConfigurationTarget.Workspace);
    await withDatabase(dbUrl, async (database) => {
      await database.query(`DROP TABLE IF EXISTS ${BIG_TABLE}`);
      await database.query(`CREATE TABLE ${BIG_TABLE} AS SELECT n AS id, repeat(md5(n::text), 8) AS note, n % 7 AS line FROM generate_series(1, 150000) AS n`);
      await database.query(`ANALYZE ${BIG_TABLE}`);
    });
  });

  after(async function () {
    this.timeout(60_000);
    await tasksEnded();
    await withDatabase(dbUrl, async (database) => {
      await database.query(`DROP TABLE IF EXISTS ${BIG_TABLE}`);
    });
    await settings().update('jobs', undefined, vscode.ConfigurationTarget.Workspace);
    await settings().update('retention.keepLast', undefined, vscode.ConfigurationTarget.Workspace);
    removeFilesAddedSince(backupsFolder, filesAtStart);
    prompts.dispose();
  });

  useDrillHooks(prompts, () => api);

  it('Jobs: 2 makes Back Up Database dump a big table in a session of its own; the set verifies and restores equal', async function () {
    this.timeout(300_000);
    const setId = await backUpFromPalette(prompts);
    const atBackup = await fingerprintDatabase(dbUrl);
    await tasksEnded();

    const manifest = JSON.parse(readFileSync(path.join(backupsFolder, `${setId}.manifest.json`), 'utf8')) as Manifest;
    assert.equal(manifest.options.jobs, 2, 'the set records the jobs the setting asked for');
    assert.equal(manifest.options.parallelTables, 1, 'the one big table had a session of its own');
    const big = manifest.tables.find((table) => `${table.schema}.${table.name}` === BIG_TABLE);
    assert.equal(big?.rows, 150_000, 'its rows are in the set');

    prompts.reset();
    await vscode.commands.executeCommand('pulseBackup.verify', reference(setId));
    await prompts.waitForMessage((call) => call.kind === 'information' && call.message.startsWith(`${setId} verifies: all`), 120_000);

    await deleteUsers(dbUrl, 'id % 5 = 3');
    await withDatabase(dbUrl, async (database) => {
      await database.query(`DELETE FROM ${BIG_TABLE} WHERE id % 3 = 0`);
    });
    assert.ok(diffFingerprints(atBackup, await fingerprintDatabase(dbUrl)).length > 0, 'the database changed after the backup');
    prompts.reset();
    await restoreComplete(prompts, folder, setId);
    await prompts.waitForMessage((call) => call.kind === 'information' && call.message.startsWith(`Restored ${setId} (schema and data)`), 180_000);
    assert.deepEqual(errors(), []);
    assert.deepEqual(diffFingerprints(atBackup, await fingerprintDatabase(dbUrl)), [], 'the database equals the parallel set, in full content');
  });
});
