/**
 * Offsite copies in a real VS Code, against a real S3-protocol server
 * (s3rver, started by test/extension/run.ts and named in PULSE_TEST_S3) and
 * the real AWS SDK: the keys set with the command (answered as a person
 * types them) and found nowhere else, Push Offsite from the tree, the cloud
 * mark, the lazy Remote group, Pull and Restore… restoring equal, a push
 * stopped halfway leaving nothing listed as good, and a backup pushed by
 * the setting with the remote's retention after it.
 *
 * The remote is looked at with the SDK directly (never through the code
 * under test). Each test sets up what it needs; the sets made here, the
 * settings and the keys go when the suite ends, so the project window's
 * other tests see the folder as they left it.
 */
import { strict as assert } from 'node:assert';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { DeleteObjectCommand, ListMultipartUploadsCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import * as vscode from 'vscode';
import { runBackup } from '../../../src/core/backup/backup';
import { parseConnectionUrl } from '../../../src/core/connection/target';
import { readHistory } from '../../../src/core/sets/history';
import { listSets } from '../../../src/core/sets/listing';
import type { Manifest } from '../../../src/core/sets/manifest';
import type { PulseBackupApi } from '../../../src/extension/extension';
import type { BackupsNode, InfoNode, RemoteGroupNode, RemoteSetNode, SetNode } from '../../../src/extension/tree';
import { diffFingerprints, fingerprintDatabase } from '../../support/fingerprint';
import { rewriteSetFile } from '../../support/tamper';
import { commandLines, copySetAs, databaseUrl, labelOf, localTimestamp, tasksEnded, testDatabase, waitFor } from './helpers';
import { deleteUsers, ensureConnection as ensureConnectionAs, removeFilesAddedSince, setLeftView, startDrill, useDrillHooks, wholeSetNode } from './drill';
import { ScriptedPrompts, type MessageCall } from './prompts';

interface TestS3 {
  endpoint: string;
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
}

function testS3(): TestS3 {
  const raw = process.env.PULSE_TEST_S3;
  if (!raw) throw new Error('PULSE_TEST_S3 is not set: run this suite with `npm run test:extension`');
  return JSON.parse(raw) as TestS3;
}

/** Where the extension's bundle loads the AWS SDK from, once something needs it. */
function sdkLoaded(): boolean {
  return Object.keys(require.cache).some((file) => file.endsWith(`${path.sep}dist${path.sep}offsite-sdk.js`));
}

describe('Offsite copies in a real VS Code', function () {
  const db = testDatabase();
  const dbUrl = databaseUrl(db, db.database, true);
  const urlWithoutPassword = databaseUrl(db, db.database, false);
  const s3 = testS3();
  const REMOTE_PREFIX = 'factory-pulse-offsite';
  const remoteUrl = `s3://${s3.bucket}/${REMOTE_PREFIX}`;
  /** The prefix of the sets made here, apart from the folder's own, so the window's retention and its other tests never count them. */
  const SET_PREFIX = 'offsite_drill';
  const prompts = new ScriptedPrompts();
  const client = new S3Client({
    endpoint: s3.endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
  });
  let folder: vscode.WorkspaceFolder;
  let backupsFolder: string;
  let api: PulseBackupApi;
  let filesAtStart: Set<string>;
  let sdkLoadedBeforeTheRemoteGroup: boolean | undefined;

  const settings = () => vscode.workspace.getConfiguration('pulseBackup', folder.uri);
  const errors = () => prompts.messages.filter((call) => call.kind === 'error');
  const assertNoErrors = () =>
    assert.deepEqual(
      errors().map((call) => call.message),
      [],
    );

  async function remoteKeys(under = `${REMOTE_PREFIX}/`): Promise<string[]> {
    const page = await client.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: under }));
    return (page.Contents ?? []).flatMap((item) => (item.Key ? [item.Key] : [])).sort();
  }

  async function pendingUploads(): Promise<string[]> {
    const page = await client.send(new ListMultipartUploadsCommand({ Bucket: s3.bucket, Prefix: `${REMOTE_PREFIX}/` }));
    return (page.Uploads ?? []).flatMap((upload) => (upload.Key ? [upload.Key] : []));
  }

  async function rootNodes(): Promise<BackupsNode[]> {
    return (await api.backupsTree.getChildren(undefined)) ?? [];
  }

  const setNode = (setId: string): Promise<SetNode> => wholeSetNode(api, setId);

  async function remoteGroup(): Promise<RemoteGroupNode> {
    return waitFor('the Remote group in the Backups view', async () => (await rootNodes()).find((node): node is RemoteGroupNode => node.kind === 'remote'));
  }

  /** The Remote group expanded, as a click on it does. */
  async function remoteChildren(): Promise<BackupsNode[]> {
    return (await api.backupsTree.getChildren(await remoteGroup())) ?? [];
  }

  async function remoteSetNode(setId: string): Promise<RemoteSetNode> {
    return waitFor(`${setId} in the Remote group`, async () => (await remoteChildren()).find((node): node is RemoteSetNode => node.kind === 'remoteSet' && node.set.id === setId));
  }

  function item(node: BackupsNode): vscode.TreeItem {
    return api.backupsTree.getTreeItem(node) as vscode.TreeItem;
  }

  function tooltipOf(node: BackupsNode): string {
    const tooltip = item(node).tooltip;
    return typeof tooltip === 'string' ? tooltip : (tooltip?.value ?? '');
  }

  /** Set Offsite Credentials…, answered as a person types the keys. */
  async function setKeys(keys: { accessKeyId: string; secretAccessKey: string } = s3): Promise<MessageCall> {
    prompts.reset();
    prompts.answerInput = (call) => (call.password ? keys.secretAccessKey : /access key ID/.test(call.title ?? '') ? keys.accessKeyId : undefined);
    await vscode.commands.executeCommand('pulseBackup.setOffsiteCredentials');
    const answer = await prompts.waitForMessage((call) => call.message.startsWith('Saved the offsite keys'));
    prompts.reset();
    return answer;
  }

  async function ensureKeys(): Promise<void> {
    const answer = await setKeys();
    assert.equal(answer.kind, 'information', answer.message);
  }

  const ensureConnection = () => ensureConnectionAs(prompts, folder, { withPassword: dbUrl, withoutPassword: urlWithoutPassword });

  /** A new set of the test database, made by the engine under this suite's own prefix, shown in the tree. */
  async function newSet(): Promise<string> {
    // One set a second at most: names are to the second.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const { manifest } = await runBackup({ target: parseConnectionUrl(dbUrl), folder: backupsFolder, prefix: SET_PREFIX, env: process.env });
    await setNode(manifest.id);
    return manifest.id;
  }

  async function push(setId: string): Promise<MessageCall> {
    await vscode.commands.executeCommand('pulseBackup.pushOffsite', await setNode(setId));
    assertNoErrors();
    return prompts.waitForMessage((call) => call.kind === 'information' && call.message.startsWith(`Pushed ${setId} to ${remoteUrl}/${setId}`));
  }

  function removeLocalSet(setId: string): void {
    for (const name of readdirSync(backupsFolder).filter((file) => file.includes(setId.slice(-15)) && file.startsWith(setId.slice(0, -16)))) rmSync(path.join(backupsFolder, name));
  }

  before(async function () {
    ({ folder, backupsFolder, filesAtStart, api } = await startDrill(prompts));
    await settings().update('offsite.URL', remoteUrl, vscode.ConfigurationTarget.Workspace);
    await settings().update('offsite.endpoint', s3.endpoint, vscode.ConfigurationTarget.Workspace);
    // Everything a window shows at start with offsite storage set up: the tree, its Remote group (folded), the status bar.
    await remoteGroup();
    await waitFor('the status bar to speak of offsite copies', () => (/Last offsite copy|Offsite copies/.test(api.statusBar().tooltip) ? true : undefined));
    sdkLoadedBeforeTheRemoteGroup = sdkLoaded();
  });

  after(async function () {
    await tasksEnded();
    prompts.reset();
    await vscode.commands.executeCommand('pulseBackup.clearOffsiteCredentials');
    for (const key of ['offsite.URL', 'offsite.endpoint', 'offsite.pushAfterBackup', 'offsite.keep', 'offsite.encrypt'])
      await settings().update(key, undefined, vscode.ConfigurationTarget.Workspace);
    removeFilesAddedSince(backupsFolder, filesAtStart);
    for (const key of await remoteKeys()) await client.send(new DeleteObjectCommand({ Bucket: s3.bucket, Key: key }));
    prompts.dispose();
    client.destroy();
  });

  useDrillHooks(prompts, () => api);

  it('lists the remote only when its group is expanded: activation, the tree and the status bar load no AWS SDK', async function () {
    assert.equal(sdkLoadedBeforeTheRemoteGroup, false, 'the SDK was loaded before anything asked for the remote');
    const group = await remoteGroup();
    assert.equal(item(group).collapsibleState, vscode.TreeItemCollapsibleState.Collapsed, 'folded until a person opens it');
    assert.equal(item(group).description, remoteUrl);
    await remoteChildren();
    assert.ok(sdkLoaded(), 'expanding the group loads the SDK and lists the remote');
  });

  it('without keys, the Remote group is one item that says what to do, and a click does it', async function () {
    await vscode.commands.executeCommand('pulseBackup.clearOffsiteCredentials');
    await prompts.waitForMessage((call) => /offsite keys/.test(call.message));
    const children = await waitFor('the listing without keys', async () => {
      const nodes = await remoteChildren();
      return nodes.length === 1 && nodes[0].kind === 'info' ? (nodes as InfoNode[]) : undefined;
    });
    const only = item(children[0]);
    assert.match(labelOf(only), /^Cannot sign in to http:\/\/127\.0\.0\.1:\d+ for s3:\/\/\S+: no AWS credentials were found: run Pulse Backup: Set Offsite Credentials…$/);
    assert.equal(only.command?.command, 'pulseBackup.setOffsiteCredentials');
  });

  it('Set Offsite Credentials… keeps the keys in secret storage only, lists the remote at once, and says so when they are wrong', async function () {
    const wrongSecret = 'Wr0ng-Secret-Never-Shown-0123456789';
    const wrong = await setKeys({ accessKeyId: 'AKIAWRONGKEY', secretAccessKey: wrongSecret });
    assert.equal(wrong.kind, 'error');
    assert.match(wrong.message, /rejected the credentials for s3:\/\/\S+ \(InvalidAccessKeyId\): run Pulse Backup: Set Offsite Credentials… with this storage's current keys$/);
    assert.ok(wrong.buttons.includes('Set Offsite Credentials…'), JSON.stringify(wrong.buttons));
    assert.ok(!api.logLines().some((line) => line.includes(wrongSecret)), 'the log never holds the secret, even a wrong one');

    const saved = await setKeys();
    assert.equal(saved.kind, 'information', saved.message);
    assert.match(saved.message, new RegExp(`^Saved the offsite keys for s3://${s3.bucket} at ${s3.endpoint}.+ Connected to ${s3.endpoint}: \\d+ sets? at ${remoteUrl}\\.$`));
    // Nowhere but secret storage: not in the settings, the log, a notification or any process's command line.
    const settingsFile = path.join(folder.uri.fsPath, '.vscode', 'settings.json');
    assert.ok(!readFileSync(settingsFile, 'utf8').includes(s3.secretAccessKey), 'the settings file');
    assert.ok(!api.logLines().some((line) => line.includes(s3.secretAccessKey)), 'the log');
    assert.ok(!prompts.messages.some((call) => call.message.includes(s3.secretAccessKey)), 'the notifications');
    assert.ok(!commandLines().some((line) => line.includes(s3.secretAccessKey)), 'a command line');
  });

  it('Push Offsite on a set copies it as a task, marks it with a cloud, and lists it in the Remote group', async function () {
    await ensureKeys();
    const setId = await newSet();
    const node = await setNode(setId);
    assert.match(String(item(node).contextValue), /\bpushable\b/, 'Push Offsite is on the set in the tree');
    assert.doesNotMatch(String(item(node).description), /☁/, 'no mark before the push');

    const toast = await push(setId);
    assert.match(toast.message, /\(\d+(\.\d+)? (B|KB|MB)\), every file checked against its SHA-256\.$/);
    const manifest = JSON.parse(readFileSync(path.join(backupsFolder, `${setId}.manifest.json`), 'utf8')) as Manifest;
    assert.deepEqual(
      await remoteKeys(`${REMOTE_PREFIX}/${setId}/`),
      [...manifest.files.map((file) => `${REMOTE_PREFIX}/${setId}/${file.name}`), `${REMOTE_PREFIX}/${setId}/${setId}.manifest.json`].sort(),
    );
    assert.equal((await readHistory(backupsFolder, setId)).offsite?.[0]?.url, `${remoteUrl}/${setId}`, "the push noted the copy in the set's history");

    // The cloud mark, first as the push recorded it, then checked against the remote's listing.
    const marked = await waitFor('the cloud mark', async () => {
      const fresh = await setNode(setId);
      return /☁ offsite/.test(String(item(fresh).description)) ? fresh : undefined;
    });
    assert.match(tooltipOf(marked), new RegExp(`Offsite: \\$\\(cloud\\) copy at \`${remoteUrl}/${setId}\``));
    assert.match(String(item(marked).accessibilityInformation?.label), /copied offsite/);
    const copy = await remoteSetNode(setId);
    assert.equal(item(copy).contextValue, 'remoteSet complete local');
    assert.match(String(item(copy).description), /pushed just now · also here$/);
    await waitFor('the mark checked against the remote', async () => (/checked against the remote/.test(tooltipOf(await setNode(setId))) ? true : undefined));
    await waitFor('the status bar to name the last offsite copy', () =>
      new RegExp(`Last offsite copy: just now \\(\`${SET_PREFIX}_\\d{8}_\\d{6}\` at \`${remoteUrl}\`\\)`).test(api.statusBar().tooltip) ? true : undefined,
    );
  });

  it('Pull and Restore… brings a set back from the remote, checked, and restores it equal, with a safety backup first', async function () {
    await ensureKeys();
    await ensureConnection();
    const setId = await newSet();
    const atBackup = await fingerprintDatabase(dbUrl);
    await push(setId);
    // The set is gone from here, and the database changed since.
    removeLocalSet(setId);
    await setLeftView(api, setId);
    await deleteUsers(dbUrl, 'id % 3 = 0');
    assert.ok(diffFingerprints(atBackup, await fingerprintDatabase(dbUrl)).length > 0, 'the database changed after the backup');
    const remote = await remoteSetNode(setId);
    assert.equal(remote.here, 'absent');
    assert.match(tooltipOf(remote), /not in the backups folder: Pull and Restore… brings it here first/);

    prompts.answerQuickPick = (call) => (call.title === `Restore ${setId}` ? 'Complete' : undefined);
    prompts.answerMessage = (call) => (call.modal && call.buttons.includes('Restore') ? 'Restore' : undefined);
    await vscode.commands.executeCommand('pulseBackup.pullAndRestore', remote);
    assertNoErrors();
    const restored = await prompts.waitForMessage((call) => call.kind === 'information' && call.message.startsWith(`Restored ${setId} (schema and data)`));
    assert.match(restored.message, /Safety backup: \S+\./);
    const [pulled] = (await listSets(backupsFolder)).filter((set) => set.id === setId);
    assert.equal(pulled?.status, 'complete', 'the set is in the backups folder again, whole');
    assert.deepEqual(diffFingerprints(atBackup, await fingerprintDatabase(dbUrl)), [], 'the database equals the set, in full content');
  });

  it('a push stopped halfway leaves nothing listed as good on the remote and no upload behind; the local set is unchanged', async function () {
    await ensureKeys();
    // A set whose complete file takes several parts (each held back by the server), made from a real one.
    const source = await newSet();
    const sourceManifest = JSON.parse(readFileSync(path.join(backupsFolder, `${source}.manifest.json`), 'utf8')) as Manifest;
    const big = copySetAs({ folder: backupsFolder, manifest: sourceManifest }, backupsFolder, localTimestamp(new Date(Date.now() + 3_600_000)), new Date());
    const bigManifest = JSON.parse(readFileSync(path.join(backupsFolder, `${big}.manifest.json`), 'utf8')) as Manifest;
    rewriteSetFile(backupsFolder, bigManifest, 'complete', (text) => `${text}\n${'-- padding for a push with many parts\n'.repeat(700_000)}`);
    await setNode(big);

    const pushing = vscode.commands.executeCommand('pulseBackup.pushOffsite', await setNode(big));
    await waitFor('a multipart upload under way', async () => ((await pendingUploads()).some((key) => key.includes(big)) ? true : undefined), 60_000);
    const execution = vscode.tasks.taskExecutions.find((candidate) => candidate.task.name === `push ${big} offsite`);
    assert.ok(execution, 'the push runs as a task');
    execution.terminate();
    await pushing;
    assertNoErrors();
    await prompts.waitForMessage((call) => call.kind === 'information' && call.message.startsWith(`Push of ${big} cancelled`));

    assert.deepEqual(await remoteKeys(`${REMOTE_PREFIX}/${big}/`), [], 'nothing of the set stays there');
    assert.deepEqual(await pendingUploads(), [], 'its multipart upload was aborted');
    const listed = (await remoteChildren()).find((node): node is RemoteSetNode => node.kind === 'remoteSet' && node.set.id === big);
    assert.ok(!listed || listed.set.status !== 'complete', 'never listed as good');
    const [local] = (await listSets(backupsFolder)).filter((set) => set.id === big);
    assert.equal(local?.status, 'complete');
    assert.doesNotMatch(String(item(await setNode(big)).description), /☁/);
  });

  it('Offsite: Encrypt stores the copy as ….sql.age with the stored passphrase (none stored: one message, nothing pushed); Pull and Restore… decrypts it and restores equal', async function () {
    const passphrase = 'offsite passphrase 0815 never shown';
    await ensureKeys();
    await ensureConnection();
    await settings().update('offsite.encrypt', true, vscode.ConfigurationTarget.Workspace);
    try {
      await vscode.commands.executeCommand('pulseBackup.clearEncryptionPassphrase');
      await prompts.waitForMessage((call) => /passphrase/.test(call.message));
      const setId = await newSet();
      const atBackup = await fingerprintDatabase(dbUrl);
      prompts.reset();
      await vscode.commands.executeCommand('pulseBackup.pushOffsite', await setNode(setId));
      const refused = await prompts.waitForMessage((call) => call.kind === 'error');
      assert.match(
        refused.message,
        /^Offsite: Encrypt is on, but no passphrase of \S+ encrypted sets is stored: nothing was pushed: run Pulse Backup: Set Encryption Passphrase…, or turn the setting off$/,
      );
      assert.ok(refused.buttons.includes('Set Encryption Passphrase…'), JSON.stringify(refused.buttons));
      assert.deepEqual(await remoteKeys(`${REMOTE_PREFIX}/${setId}/`), []);

      prompts.reset();
      prompts.answerInput = (call) => (call.password ? passphrase : undefined);
      await vscode.commands.executeCommand('pulseBackup.setEncryptionPassphrase');
      await prompts.waitForMessage((call) => call.message.startsWith('Saved the passphrase'));
      prompts.reset();
      await push(setId);
      const manifest = JSON.parse(readFileSync(path.join(backupsFolder, `${setId}.manifest.json`), 'utf8')) as Manifest;
      assert.deepEqual(
        await remoteKeys(`${REMOTE_PREFIX}/${setId}/`),
        [...manifest.files.map((file) => `${REMOTE_PREFIX}/${setId}/${file.name}.age`), `${REMOTE_PREFIX}/${setId}/${setId}.manifest.json`].sort(),
        'the files are stored encrypted there',
      );
      assert.ok(!manifest.encryption, 'the local set stays as it was');

      removeLocalSet(setId);
      await setLeftView(api, setId);
      await deleteUsers(dbUrl, 'id % 5 = 0');
      prompts.answerQuickPick = (call) => (call.title === `Restore ${setId}` ? 'Complete' : undefined);
      prompts.answerMessage = (call) => (call.modal && call.buttons.includes('Restore') ? 'Restore' : undefined);
      await vscode.commands.executeCommand('pulseBackup.pullAndRestore', await remoteSetNode(setId));
      await prompts.waitForMessage((call) => call.kind === 'information' && call.message.startsWith(`Restored ${setId} (schema and data)`), 120_000);
      assertNoErrors();
      assert.deepEqual(prompts.inputs, [], 'the stored passphrase decrypted the copy: nothing was asked');
      const [pulled] = (await listSets(backupsFolder)).filter((set) => set.id === setId);
      assert.deepEqual(pulled?.files.map((file) => file.name).sort(), manifest.files.map((file) => file.name).sort(), 'the set came back plain, as it was here');
      assert.deepEqual(diffFingerprints(atBackup, await fingerprintDatabase(dbUrl)), [], 'the database equals the set, in full content');
      assert.ok(!api.logLines().some((line) => line.includes(passphrase)), 'the log never holds the passphrase');
      assert.ok(!commandLines().some((line) => line.includes(passphrase)), 'nor a command line');
    } finally {
      await settings().update('offsite.encrypt', undefined, vscode.ConfigurationTarget.Workspace);
      await vscode.commands.executeCommand('pulseBackup.clearEncryptionPassphrase');
    }
  });

  it("Back Up Database pushes the new set when Offsite: Push After Backup is on, then applies the remote's retention", async function () {
    await ensureKeys();
    await ensureConnection();
    // An older copy of the folder's own sets (Back Up Database names them with the folder's prefix): the one Keep 1 removes.
    prompts.reset();
    await vscode.commands.executeCommand('pulseBackup.backup');
    assertNoErrors();
    const older =
      /^Backup (\S+) written/.exec((await prompts.waitForMessage((call) => call.kind === 'information' && /^Backup \S+ written/.test(call.message))).message)?.[1] ?? '';
    await push(older);
    // Copies of another prefix's sets (this file's own) are never counted by it.
    const otherPrefix = (await remoteKeys()).filter((key) => key.startsWith(`${REMOTE_PREFIX}/${SET_PREFIX}_`));
    assert.ok(otherPrefix.length > 0, 'copies of another prefix are there');
    // One set a second at most: names are to the second.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    await settings().update('offsite.pushAfterBackup', true, vscode.ConfigurationTarget.Workspace);
    await settings().update('offsite.keep', 1, vscode.ConfigurationTarget.Workspace);
    try {
      prompts.reset();
      await vscode.commands.executeCommand('pulseBackup.backup');
      assertNoErrors();
      const toast = await prompts.waitForMessage((call) => call.kind === 'information' && /^Backup \S+ written/.test(call.message));
      assert.match(toast.message, /(and|, proved restorable and) copied offsite\./);
      const setId = /^Backup (\S+) written/.exec(toast.message)?.[1] ?? '';
      const keys = await remoteKeys();
      assert.ok(keys.includes(`${REMOTE_PREFIX}/${setId}/${setId}.manifest.json`), JSON.stringify(keys));
      assert.ok(!keys.some((key) => key.startsWith(`${REMOTE_PREFIX}/${older}/`)), 'Offsite: Keep 1 removed the older copy of the same prefix there');
      assert.deepEqual(
        otherPrefix.filter((key) => !keys.includes(key)),
        [],
        "another prefix's copies stay",
      );
      // The older set's mark goes with its copy once the remote is listed again.
      await remoteChildren();
      await waitFor('the older set to lose its mark', async () => (/☁/.test(String(item(await setNode(older)).description)) ? undefined : true));
      assert.match(String(item(await setNode(setId)).description), /☁ offsite/);
    } finally {
      await settings().update('offsite.pushAfterBackup', undefined, vscode.ConfigurationTarget.Workspace);
      await settings().update('offsite.keep', undefined, vscode.ConfigurationTarget.Workspace);
    }
  });
});
