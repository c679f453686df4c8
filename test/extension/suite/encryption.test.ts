/**
 * Encrypted sets (….sql.age) in a real VS Code: the passphrase stored with
 * Set Encryption Passphrase… (answered as a person types it, twice) and
 * found nowhere else, the set shown as encrypted, Verify and Restore…
 * reading it with the stored passphrase without asking, restoring equal in
 * full content; a wrong passphrase one clear message that changes nothing;
 * with none stored, one question and the offer to remember it.
 *
 * The sets are made by the engine under a prefix of their own, so the
 * window's other tests never count them; they, the passphrase and the
 * database's content go back as they were when the suite ends.
 */
import { strict as assert } from 'node:assert';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { runBackup } from '../../../src/core/backup/backup';
import { parseConnectionUrl } from '../../../src/core/connection/target';
import type { PulseBackupApi } from '../../../src/extension/extension';
import type { SetNode } from '../../../src/extension/tree';
import { diffFingerprints, fingerprintDatabase, type Fingerprint } from '../../support/fingerprint';
import { commandLines, databaseUrl, tasksEnded, testDatabase, waitFor } from './helpers';
import {
  deleteUsers,
  ensureConnection as ensureConnectionAs,
  removeFilesAddedSince,
  restoreComplete as restoreSetComplete,
  startDrill,
  useDrillHooks,
  wholeSetNode,
} from './drill';
import { ScriptedPrompts, type MessageCall } from './prompts';

describe('Encrypted sets in a real VS Code', function () {
  const db = testDatabase();
  const dbUrl = databaseUrl(db, db.database, true);
  const urlWithoutPassword = databaseUrl(db, db.database, false);
  const PASSPHRASE = 'correct horse battery staple 4711';
  /** The prefix of the sets made here, apart from the folder's own. */
  const SET_PREFIX = 'encrypted_drill';
  const prompts = new ScriptedPrompts();
  let folder: vscode.WorkspaceFolder;
  let backupsFolder: string;
  let api: PulseBackupApi;
  let filesAtStart: Set<string>;
  let encryptedSet: string;
  let atBackup: Fingerprint;

  const errors = () => prompts.messages.filter((call) => call.kind === 'error');
  const reference = (setId: string) => ({ folderUri: folder.uri.toString(), setId });

  const setNode = (setId: string): Promise<SetNode> => wholeSetNode(api, setId);

  /** Set Encryption Passphrase…, answered as a person types it twice. */
  async function storePassphrase(passphrase: string): Promise<MessageCall> {
    prompts.reset();
    prompts.answerInput = (call) => (call.password ? passphrase : undefined);
    await vscode.commands.executeCommand('pulseBackup.setEncryptionPassphrase');
    const answer = await prompts.waitForMessage((call) => /passphrase/.test(call.message));
    prompts.reset();
    return answer;
  }

  async function clearPassphrase(): Promise<void> {
    await vscode.commands.executeCommand('pulseBackup.clearEncryptionPassphrase');
    await prompts.waitForMessage((call) => /passphrase/.test(call.message));
    prompts.reset();
  }

  const ensureConnection = () => ensureConnectionAs(prompts, folder, { withPassword: dbUrl, withoutPassword: urlWithoutPassword });

  async function changeDatabase(): Promise<void> {
    await deleteUsers(dbUrl, 'id % 4 = 1');
    assert.ok(diffFingerprints(atBackup, await fingerprintDatabase(dbUrl)).length > 0, 'the database changed after the backup');
  }

  const restoreComplete = (setId: string) => restoreSetComplete(prompts, folder, setId);

  before(async function () {
    ({ folder, backupsFolder, filesAtStart, api } = await startDrill(prompts));
    await ensureConnection();
    // An encrypted set of the database as it is now, made by the engine as `backup --encrypt` makes it.
    const { manifest } = await runBackup({
      target: parseConnectionUrl(dbUrl),
      folder: backupsFolder,
      prefix: SET_PREFIX,
      env: process.env,
      encoding: { encryption: { to: { kind: 'passphrase', passphrase: () => Promise.resolve(PASSPHRASE) }, record: { format: 'age', method: 'passphrase' } } },
    });
    encryptedSet = manifest.id;
    atBackup = await fingerprintDatabase(dbUrl);
    assert.ok(
      manifest.files.every((file) => file.name.endsWith('.sql.age')),
      JSON.stringify(manifest.files.map((file) => file.name)),
    );
  });

  after(async function () {
    await tasksEnded();
    prompts.reset();
    await clearPassphrase();
    removeFilesAddedSince(backupsFolder, filesAtStart);
    prompts.dispose();
  });

  useDrillHooks(prompts, () => api);

  it('shows an encrypted set as encrypted; with the passphrase stored by the command, Verify and Restore… read it without asking and restore it equal', async function () {
    const node = await setNode(encryptedSet);
    const item = api.backupsTree.getTreeItem(node) as vscode.TreeItem;
    assert.match(String(item.description), / · encrypted · /);
    const tooltip = typeof item.tooltip === 'string' ? item.tooltip : (item.tooltip?.value ?? '');
    assert.match(tooltip, /Encrypted: \$\(lock\) age, with a passphrase/);

    const saved = await storePassphrase(PASSPHRASE);
    assert.equal(saved.kind, 'information', saved.message);
    assert.equal(saved.message, `Saved the passphrase of ${folder.name}'s encrypted sets in VS Code's secret storage.`);

    await vscode.commands.executeCommand('pulseBackup.verify', reference(encryptedSet));
    await prompts.waitForMessage((call) => call.kind === 'information' && call.message.startsWith(`${encryptedSet} verifies: all`));
    assert.deepEqual(prompts.inputs, [], 'nothing was asked: the stored passphrase opened the set');

    await ensureConnection();
    await changeDatabase();
    prompts.reset();
    await restoreComplete(encryptedSet);
    const restored = await prompts.waitForMessage((call) => call.kind === 'information' && call.message.startsWith(`Restored ${encryptedSet} (schema and data)`), 120_000);
    assert.match(restored.message, /Safety backup: \S+\./);
    assert.deepEqual(
      errors().map((call) => call.message),
      [],
    );
    assert.deepEqual(prompts.inputs, [], 'nothing was asked');
    assert.deepEqual(diffFingerprints(atBackup, await fingerprintDatabase(dbUrl)), [], 'the database equals the encrypted set, in full content');

    // The passphrase is nowhere but in secret storage.
    const settingsFile = path.join(folder.uri.fsPath, '.vscode', 'settings.json');
    assert.ok(!existsSync(settingsFile) || !readFileSync(settingsFile, 'utf8').includes(PASSPHRASE), 'the settings file');
    assert.ok(!api.logLines().some((line) => line.includes(PASSPHRASE)), 'the log');
    assert.ok(!prompts.messages.some((call) => call.message.includes(PASSPHRASE) || (call.detail ?? '').includes(PASSPHRASE)), 'the notifications');
    assert.ok(!commandLines().some((line) => line.includes(PASSPHRASE)), 'a command line');
  });

  it('a wrong stored passphrase is one clear message offering to set it, and the restore changes nothing', async function () {
    await ensureConnection();
    const wrong = await storePassphrase('not the passphrase at all');
    assert.equal(wrong.kind, 'information', wrong.message);
    await changeDatabase();
    const before = await fingerprintDatabase(dbUrl);
    const filesBefore = readdirSync(backupsFolder).sort();
    await restoreComplete(encryptedSet);
    const failure = await prompts.waitForMessage((call) => call.kind === 'error', 120_000);
    assert.match(
      failure.message,
      /^The passphrase does not decrypt encrypted_drill_\w+\.sql\.age: give the passphrase it was encrypted with: run Pulse Backup: Set Encryption Passphrase…$/,
    );
    assert.doesNotMatch(failure.message, /\n|\bat \S+ \(/, 'one line, no stack trace');
    assert.ok(failure.buttons.includes('Set Encryption Passphrase…'), JSON.stringify(failure.buttons));
    assert.ok(!prompts.messages.some((call) => call.message.startsWith(`Restored ${encryptedSet}`)), 'nothing was restored');
    assert.deepEqual(diffFingerprints(before, await fingerprintDatabase(dbUrl)), [], 'the database is as it was');
    assert.deepEqual(readdirSync(backupsFolder).sort(), filesBefore, 'no safety backup or other file was written');
    assert.ok(!api.logLines().some((line) => line.includes('not the passphrase at all')), 'the log never holds a passphrase, even a wrong one');

    // The right passphrase restores it, and leaves the database as the window's other tests expect it.
    await storePassphrase(PASSPHRASE);
    await restoreComplete(encryptedSet);
    await prompts.waitForMessage((call) => call.kind === 'information' && call.message.startsWith(`Restored ${encryptedSet} (schema and data)`), 120_000);
    assert.deepEqual(diffFingerprints(atBackup, await fingerprintDatabase(dbUrl)), []);
  });

  it('with no passphrase stored, Verify asks for it once, then offers to remember it; remembered, the next run asks nothing', async function () {
    await clearPassphrase();
    prompts.answerInput = (call) => (call.password && call.title === `Passphrase of ${encryptedSet}` ? PASSPHRASE : undefined);
    prompts.answerMessage = (call) => (call.buttons.includes('Remember') ? 'Remember' : undefined);
    await vscode.commands.executeCommand('pulseBackup.verify', reference(encryptedSet));
    await prompts.waitForMessage((call) => call.kind === 'information' && call.message.startsWith(`${encryptedSet} verifies: all`));
    assert.equal(prompts.inputs.length, 1, `asked once for the set's three files: ${JSON.stringify(prompts.inputs.map((call) => call.title))}`);
    const offer = await prompts.waitForMessage((call) => call.buttons.includes('Remember'));
    assert.equal(offer.message, `Remember the passphrase of ${folder.name}'s encrypted sets in VS Code's secret storage?`);
    await waitFor('the passphrase to be remembered', () => (api.logLines().some((line) => /passphrase of .+ is kept in secret storage/.test(line)) ? true : undefined));

    prompts.reset();
    await vscode.commands.executeCommand('pulseBackup.verify', reference(encryptedSet));
    await prompts.waitForMessage((call) => call.kind === 'information' && call.message.startsWith(`${encryptedSet} verifies: all`));
    assert.deepEqual(prompts.inputs, [], 'the remembered passphrase opened the set');
  });
});
