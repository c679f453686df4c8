/**
 * Compressed sets in a real VS Code: with Compress set to gzip, Back Up
 * Database writes ….sql.gz files (gzip streams, as `gunzip -c` reads them),
 * the view lists them by those names, and Verify and Restore… read them as
 * they are, restoring equal in full content.
 *
 * The set is made under the folder's own prefix, as a person's would be;
 * retention is told to keep them all for the test, and the files the test
 * added, the settings and the database's content go back as they were.
 */
import { strict as assert } from 'node:assert';
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Manifest } from '../../../src/core/sets/manifest';
import type { PulseBackupApi } from '../../../src/extension/extension';
import { diffFingerprints, fingerprintDatabase } from '../../support/fingerprint';
import { databaseUrl, tasksEnded, testDatabase } from './helpers';
import { backUpFromPalette, deleteUsers, ensureConnection as ensureConnectionAs, removeFilesAddedSince, restoreComplete, startDrill, useDrillHooks, wholeSetNode } from './drill';
import { ScriptedPrompts } from './prompts';

describe('Compressed sets in a real VS Code', function () {
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

  /** The first two bytes of a file: 1f 8b opens every gzip stream. */
  function magic(file: string): string {
    const fd = openSync(file, 'r');
    try {
      const head = Buffer.alloc(2);
      readSync(fd, head, 0, 2, 0);
      return head.toString('hex');
    } finally {
      closeSync(fd);
    }
  }

  before(async function () {
    ({ folder, backupsFolder, filesAtStart, api } = await startDrill(prompts));
    await ensureConnectionAs(prompts, folder, { withPassword: dbUrl, withoutPassword: urlWithoutPassword });
    await settings().update('compress', 'gzip', vscode.ConfigurationTarget.Workspace);
    await settings().update('retention.keepLast', 100, vscode.ConfigurationTarget.Workspace);
  });

  after(async function () {
    await tasksEnded();
    await settings().update('compress', undefined, vscode.ConfigurationTarget.Workspace);
    await settings().update('retention.keepLast', undefined, vscode.ConfigurationTarget.Workspace);
    removeFilesAddedSince(backupsFolder, filesAtStart);
    prompts.dispose();
  });

  useDrillHooks(prompts, () => api);

  it('Compress: gzip makes Back Up Database write ….sql.gz files, listed by those names; Verify and Restore… read them and restore equal', async function () {
    const setId = await backUpFromPalette(prompts);
    const atBackup = await fingerprintDatabase(dbUrl);
    await tasksEnded();

    const manifest = JSON.parse(readFileSync(path.join(backupsFolder, `${setId}.manifest.json`), 'utf8')) as Manifest;
    assert.deepEqual(
      manifest.files.map((file) => file.name).sort(),
      ['complete', 'data', 'schema'].map((type) => `${setId.replace(/_(\d{8}_\d{6})$/, `_${type}_backup_$1`)}.sql.gz`).sort(),
    );
    for (const file of manifest.files) assert.equal(magic(path.join(backupsFolder, file.name)), '1f8b', `${file.name} is a gzip stream`);

    const node = await wholeSetNode(api, setId);
    const rows = (await api.backupsTree.getChildren(node)) ?? [];
    const files = rows.map((row) => api.backupsTree.getTreeItem(row) as vscode.TreeItem).filter((row) => typeof row.label === 'string' && row.label.endsWith(' dump'));
    assert.deepEqual(
      files.map((row) => [row.label, typeof row.tooltip === 'string' ? row.tooltip.split('\n')[0] : undefined, String(row.description).replace(/^[\d.]+ [KM]?B/, 'SIZE')]),
      (['complete', 'schema', 'data'] as const).map((type) => [
        { complete: 'Complete dump', schema: 'Schema-only dump', data: 'Data-only dump' }[type],
        manifest.files.find((file) => file.type === type)?.name,
        'SIZE · gzip',
      ]),
      "each file row says it is stored with gzip, and its tooltip starts with the file's name",
    );

    prompts.reset();
    await vscode.commands.executeCommand('pulseBackup.verify', reference(setId));
    await prompts.waitForMessage((call) => call.kind === 'information' && call.message.startsWith(`${setId} verifies: all`));

    await deleteUsers(dbUrl, 'id % 5 = 2');
    assert.ok(diffFingerprints(atBackup, await fingerprintDatabase(dbUrl)).length > 0, 'the database changed after the backup');
    prompts.reset();
    await restoreComplete(prompts, folder, setId);
    const restored = await prompts.waitForMessage((call) => call.kind === 'information' && call.message.startsWith(`Restored ${setId} (schema and data)`), 120_000);
    assert.match(restored.message, /Safety backup: \S+\./);
    assert.deepEqual(errors(), []);
    assert.deepEqual(diffFingerprints(atBackup, await fingerprintDatabase(dbUrl)), [], 'the database equals the compressed set, in full content');
  });
});
