/**
 * The real extension in a real VS Code extension host, driven through its
 * commands and tasks against a real PostgreSQL server (started by
 * test/extension/run.ts and named in PULSE_TEST_DB). What a person would
 * click or type is answered by ScriptedPrompts; everything else is the
 * product as shipped: the bundled dist/extension.js, the machine's pg_dump
 * and psql, files on disk.
 *
 * Each test sets up what it needs (the connection, a first set, a safety
 * backup, a setting) through the helpers below instead of living off what
 * an earlier test left, so they pass in any order: PULSE_TEST_ORDER=shuffle
 * (or reverse) runs them so (test/extension/suite/order.ts).
 */
import { strict as assert } from 'node:assert';
import { execFile, execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import * as vscode from 'vscode';
import { runBackup } from '../../../src/core/backup/backup';
import { acquireFolderLock } from '../../../src/core/files/folderLock';
import { parseConnectionUrl } from '../../../src/core/connection/target';
import { currentProof } from '../../../src/core/sets/history';
import { findSet, listSets } from '../../../src/core/sets/listing';
import { pruneSets } from '../../../src/core/retention/retention';
import type { Manifest } from '../../../src/core/sets/manifest';
import { verifySet } from '../../../src/core/verify/verify';
import type { PulseBackupApi } from '../../../src/extension/extension';
import type { BackupsNode, FileNode, GroupNode, SetNode } from '../../../src/extension/tree';
import { diffFingerprints, fingerprintDatabase } from '../../support/fingerprint';
import { editFirstRow, rewriteSetFile } from '../../support/tamper';
import {
  activatedApi,
  closedPort,
  commandLines,
  copySetAs,
  databaseUrl,
  firstActivatedByCommand,
  labelOf,
  localTimestamp,
  stageSetCopy,
  startTask,
  tasksEnded,
  testDatabase,
  waitFor,
} from './helpers';
import { ScriptedPrompts, type MessageCall } from './prompts';

const EXTENSION_ID = 'pulse-backup.pulse-backup';

/** Every file under a folder, recursively (for "the password is nowhere" checks). */
function filesUnder(folder: string): string[] {
  if (!existsSync(folder)) return [];
  return readdirSync(folder, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.join(entry.parentPath, entry.name));
}

describe('Pulse Backup in a real VS Code', function () {
  const db = testDatabase();
  const dbUrl = databaseUrl(db, db.database, true);
  const urlWithoutPassword = databaseUrl(db, db.database, false);
  const prompts = new ScriptedPrompts();
  let folder: vscode.WorkspaceFolder;
  let backupsFolder: string;
  let api: PulseBackupApi;
  let keptFirstSetId: string | undefined;
  let firstSetContent: Awaited<ReturnType<typeof fingerprintDatabase>>;
  /** A copy of the first set's files, for making many sets later. */
  const keptCopy = mkdtempSync(path.join(tmpdir(), 'pulse-ext-first-set-'));
  let keptManifest: Manifest;
  /** Read when the suite loads, before any test or hook has run. */
  const activeAtStart = vscode.extensions.getExtension(EXTENSION_ID)?.isActive;
  const LEGACY_STAMP = '20250901_173948';
  const legacyId = `factory_pulse_${LEGACY_STAMP}`;

  async function queryRows<Row>(sql: string, values: unknown[] = []): Promise<Row[]> {
    const client = new Client({ connectionString: dbUrl });
    await client.connect();
    try {
      return (await client.query(sql, values)).rows as Row[];
    } finally {
      await client.end();
    }
  }

  async function query(sql: string): Promise<void> {
    const client = new Client({ connectionString: dbUrl });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  }

  async function rootNodes(): Promise<BackupsNode[]> {
    return (await api.backupsTree.getChildren(undefined)) ?? [];
  }

  async function setNodes(): Promise<SetNode[]> {
    const roots = await rootNodes();
    const nested = await Promise.all(roots.filter((node) => node.kind === 'group').map(async (node) => (await api.backupsTree.getChildren(node)) ?? []));
    return [...roots, ...nested.flat()].filter((node): node is SetNode => node.kind === 'set');
  }

  async function setNode(setId: string): Promise<SetNode> {
    return waitFor(`set ${setId} in the Backups view`, async () => (await setNodes()).find((node) => node.entry.set.id === setId));
  }

  function iconOf(node: BackupsNode): vscode.ThemeIcon {
    return (api.backupsTree.getTreeItem(node) as vscode.TreeItem).iconPath as vscode.ThemeIcon;
  }

  async function iconOfSet(setId: string, expected: string): Promise<vscode.ThemeIcon> {
    return waitFor(`${setId} to show the ${expected} icon`, async () => {
      const icon = iconOf(await setNode(setId));
      return icon.id === expected ? icon : undefined;
    });
  }

  function reference(setId: string): { folderUri: string; setId: string } {
    return { folderUri: folder.uri.toString(), setId };
  }

  function errors(): MessageCall[] {
    return prompts.messages.filter((call) => call.kind === 'error');
  }

  function assertNoErrors(): void {
    assert.deepEqual(
      errors().map((call) => call.message),
      [],
      'no error notification expected',
    );
  }

  function setFilesOnDisk(): string[] {
    return existsSync(backupsFolder)
      ? readdirSync(backupsFolder)
          .filter((name) => !name.startsWith('.'))
          .sort()
      : [];
  }

  function folderSettings(): vscode.WorkspaceConfiguration {
    return vscode.workspace.getConfiguration('pulseBackup', folder.uri);
  }

  /** The test database configured as Configure Connection leaves it: the URL in the settings, the password in secret storage. */
  async function ensureConnection(): Promise<void> {
    if (folderSettings().get<string>('connectionURL') === urlWithoutPassword) return;
    prompts.answerInput = (call) => (call.password ? undefined : dbUrl);
    await vscode.commands.executeCommand('pulseBackup.configureConnection');
    await prompts.waitForMessage((call) => call.kind === 'information' && /Connected: PostgreSQL/.test(call.message));
    prompts.reset();
  }

  /**
   * A set of the test database in the backups folder, made by Back Up
   * Database: the one kept from an earlier test while it is still there,
   * else a new one. Its content and a copy of its files are kept too.
   */
  async function ensureFirstSet(): Promise<string> {
    await ensureConnection();
    if (keptFirstSetId && existsSync(path.join(backupsFolder, `${keptFirstSetId}.manifest.json`))) return keptFirstSetId;
    const { setId } = await backUp();
    const manifest = JSON.parse(readFileSync(path.join(backupsFolder, `${setId}.manifest.json`), 'utf8')) as Manifest;
    rmSync(keptCopy, { recursive: true, force: true });
    mkdirSync(keptCopy, { recursive: true });
    for (const file of [...manifest.files.map((entry) => entry.name), `${setId}.manifest.json`]) copyFileSync(path.join(backupsFolder, file), path.join(keptCopy, file));
    keptManifest = manifest;
    keptFirstSetId = setId;
    firstSetContent = await fingerprintDatabase(dbUrl);
    await setNode(setId);
    await tasksEnded();
    prompts.reset();
    return setId;
  }

  /**
   * The first set with a proof that still speaks for it: proved again
   * through Prove Restorable when an earlier test changed one of its files
   * after its proof (a damaged file put back, a file rewritten).
   */
  async function ensureProvedFirstSet(): Promise<string> {
    const setId = await ensureFirstSet();
    const standing = await currentProof(backupsFolder, await findSet(backupsFolder, setId));
    if (standing.proof?.outcome === 'proved') return setId;
    await vscode.commands.executeCommand('pulseBackup.prove', reference(setId));
    assertNoErrors();
    await prompts.waitForMessage((call) => call.kind === 'information' && call.message.startsWith(`${setId} is proved restorable: `));
    await tasksEnded();
    prompts.reset();
    return setId;
  }

  /** A copy of the first set dated some hours ago: a set of its own, never verified or proved. */
  async function copyOfFirstSet(hoursAgo: number): Promise<string> {
    await ensureFirstSet();
    const when = new Date(Date.now() - hoursAgo * 3_600_000);
    return copySetAs({ folder: keptCopy, manifest: keptManifest }, backupsFolder, localTimestamp(when), when);
  }

  /** Removes a set's files (those of its timestamp) and waits for the view to let it go. */
  async function removeSet(setId: string, what: string): Promise<void> {
    for (const name of setFilesOnDisk().filter((candidate) => candidate.includes(setId.slice(-15)))) rmSync(path.join(backupsFolder, name));
    await waitFor(`${what} to leave the tree`, async () => ((await setNodes()).some((node) => node.entry.set.id === setId) ? undefined : true));
  }

  /** A new safety backup of the test database (what a restore takes first), the newest set of the folder. */
  async function newSafetySet(): Promise<string> {
    await ensureFirstSet();
    const { manifest } = await runBackup({ target: parseConnectionUrl(dbUrl), folder: backupsFolder, prefix: 'factory_pulse', env: process.env, purpose: 'safety' });
    await setNode(manifest.id);
    return manifest.id;
  }

  /** The first set's files copied under the old script's names for another date, without a manifest. */
  async function ensureLegacySet(): Promise<SetNode> {
    const setId = await ensureFirstSet();
    for (const type of ['schema', 'data', 'complete']) {
      const source = readdirSync(backupsFolder).find((name) => name.startsWith(`${setId.replace(/_\d{8}_\d{6}$/, '')}_${type}_backup_${setId.slice(-15)}`));
      assert.ok(source);
      copyFileSync(path.join(backupsFolder, source), path.join(backupsFolder, `factory_pulse_${type}_backup_${LEGACY_STAMP}.sql`));
    }
    return setNode(legacyId);
  }

  /** No backups folder at all, and the view and status bar knowing it. */
  async function removeBackupsFolder(): Promise<void> {
    rmSync(backupsFolder, { recursive: true, force: true });
    await waitFor('an empty tree', async () => ((await rootNodes()).length === 0 ? true : undefined));
  }

  /** Runs Back Up Database; returns the new set's id from the notification. */
  async function backUp(): Promise<{ setId: string; toast: MessageCall }> {
    await vscode.commands.executeCommand('pulseBackup.backup');
    assertNoErrors();
    // Said at once, where a toast would never come: fail now rather than wait for it.
    const refused = prompts.messages.find((call) => /^A backup of .* is already running\.$/.test(call.message));
    assert.equal(refused, undefined, 'no backup of an earlier test is still running');
    const toast = await prompts.waitForMessage((call) => call.kind === 'information' && /^Backup \S+ written/.test(call.message));
    const setId = /^Backup (\S+) written/.exec(toast.message)?.[1];
    assert.ok(setId, toast.message);
    return { setId, toast };
  }

  before(function () {
    const folders = vscode.workspace.workspaceFolders;
    assert.ok(folders && folders.length === 1, 'the runner opens exactly one workspace folder');
    folder = folders[0];
    backupsFolder = path.join(folder.uri.fsPath, 'backups');
    prompts.install();
  });

  after(function () {
    prompts.dispose();
    rmSync(keptCopy, { recursive: true, force: true });
  });

  beforeEach(async function () {
    prompts.reset();
    api = await activatedApi();
  });

  afterEach(async function () {
    await tasksEnded();
    if (this.currentTest?.state !== 'failed' || !api) return;
    // What the extension said meanwhile: the log and the prompts, for the failure's reader.
    console.log(
      `    log (last 40 lines):\n${api
        .logLines()
        .slice(-40)
        .map((line) => `      ${line}`)
        .join('\n')}`,
    );
    console.log(`    prompts: ${JSON.stringify(prompts.messages.map((call) => [call.kind, call.modal, call.message, call.buttons]))}`);
  });

  it('activates lazily: not at start-up, but on its first command', function () {
    const extension = vscode.extensions.getExtension<PulseBackupApi>(EXTENSION_ID);
    assert.ok(extension, `${EXTENSION_ID} is installed`);
    assert.equal(activeAtStart, false, 'a folder without sets or a Supabase project does not ask for Pulse Backup');
    // The window's first test to ask for the API ran Refresh (helpers.ts): that, and nothing before it, activated it.
    assert.equal(extension.isActive, true);
    assert.ok(firstActivatedByCommand(), 'Refresh activated it');
    assert.ok(api?.backupsTree, 'activate() returns the API');
  });

  it('shows no sets for an empty backups folder (the welcome view), and a neutral status bar that offers to configure the connection', async function () {
    await folderSettings().update('connectionURL', undefined, vscode.ConfigurationTarget.WorkspaceFolder);
    await removeBackupsFolder();
    assert.deepEqual(await rootNodes(), []);
    // Without a connection and with no sets left, once the status bar has caught up with both.
    const status = await waitFor('the status bar to say there is no backup and offer to configure the connection', () => {
      const state = api.statusBar();
      return state.visible && state.text === '$(database) no backup' && state.command === 'pulseBackup.configureConnection' ? state : undefined;
    });
    assert.equal(status.warning, false, 'no connection and no backup yet: nothing is overdue');
    assert.equal(status.command, 'pulseBackup.configureConnection');
  });

  it('Configure Connection keeps the URL in the settings, the password in secret storage, and tests the connection', async function () {
    prompts.answerInput = (call) => (call.password ? undefined : dbUrl);
    await vscode.commands.executeCommand('pulseBackup.configureConnection');
    assert.equal(prompts.inputs.length, 1, 'a password inside the URL is taken from there: no second prompt');
    assert.equal(prompts.inputs[0].validationMessage, undefined);
    const saved = vscode.workspace.getConfiguration('pulseBackup', folder.uri).get<string>('connectionURL');
    assert.equal(saved, urlWithoutPassword);
    const settingsFile = path.join(folder.uri.fsPath, '.vscode', 'settings.json');
    const settingsText = readFileSync(settingsFile, 'utf8');
    assert.ok(settingsText.includes(`"pulseBackup.connectionURL": "${urlWithoutPassword}"`), settingsText);
    assert.ok(!settingsText.includes(db.password), 'the password must not reach settings.json');
    const done = await prompts.waitForMessage((call) => call.kind === 'information' && call.message.includes('secret storage'));
    assert.match(done.message, /Connected: PostgreSQL \d+\.\d+ at /, 'the connection is tried at once, with the server version shown');
    assert.ok(
      prompts.progress.some((entry) => entry.title?.startsWith('Connecting to')),
      'a progress while it connects',
    );
    assertNoErrors();
  });

  it('Enter on an empty password box, and Escape, keep the stored password', async function () {
    await ensureConnection();
    for (const answer of ['', undefined]) {
      prompts.reset();
      prompts.answerInput = (call) => (call.password ? answer : urlWithoutPassword);
      await vscode.commands.executeCommand('pulseBackup.configureConnection');
      const box = prompts.inputs.find((call) => call.password);
      assert.ok(box, 'the password is asked');
      assert.match(box.prompt ?? '', /Enter with nothing typed keeps the stored password/);
      const done = await prompts.waitForMessage((call) => call.kind === 'information' && call.message.includes('kept the stored password'));
      assert.match(done.message, /Connected: PostgreSQL/, `with ${JSON.stringify(answer)} the stored password still logs in`);
      assertNoErrors();
    }
  });

  it("a wrong password entered through Configure Connection is told so in VS Code words, never the CLI's", async function () {
    prompts.answerInput = (call) => (call.password ? 'not-the-password' : urlWithoutPassword);
    await vscode.commands.executeCommand('pulseBackup.configureConnection');
    // The saved password is now wrong: the test says so at once.
    const failure = await prompts.waitForMessage((call) => call.kind === 'error');
    assert.match(failure.message, /^Saved the URL for .* and its password\. PostgreSQL at .* rejected the password for user "/);
    assert.match(failure.message, /run Pulse Backup: Configure Connection and enter the password again$/);
    assert.doesNotMatch(failure.message, /--db|percent-encode|PGPASSWORD/);
    assert.ok(failure.buttons.includes('Configure Connection'), JSON.stringify(failure.buttons));
    // Put the right one back.
    prompts.reset();
    prompts.answerInput = (call) => (call.password ? db.password : urlWithoutPassword);
    await vscode.commands.executeCommand('pulseBackup.configureConnection');
    await prompts.waitForMessage((call) => call.kind === 'information' && /Connected: PostgreSQL/.test(call.message));
  });

  it('Back Up Database writes a set at once (no question), shows progress only in its terminal, and proves it (the default for a small set): it appears as proved', async function () {
    await ensureConnection();
    // The folder is a git repository: after the first backup into a backups folder the extension offers to ignore it,
    // once per folder; this test's own folder makes this backup that first one, whatever ran before.
    const own = `backups-${Date.now()}`;
    const into = path.join(folder.uri.fsPath, own);
    await folderSettings().update('backupsFolder', `\${workspaceFolder}/${own}`, vscode.ConfigurationTarget.WorkspaceFolder);
    try {
      await backUpIntoNewFolder(into, own);
    } finally {
      await folderSettings().update('backupsFolder', undefined, vscode.ConfigurationTarget.WorkspaceFolder);
      rmSync(into, { recursive: true, force: true });
    }
  });

  async function backUpIntoNewFolder(into: string, own: string): Promise<void> {
    prompts.answerMessage = (call) => (call.buttons.includes('Add to .gitignore') ? 'Add to .gitignore' : undefined);
    const { setId, toast } = await backUp();
    assert.equal(prompts.quickPicks.length, 0, 'nothing to choose: the engine always writes the whole set');
    assert.deepEqual(prompts.progress, [], 'no progress notification besides the task terminal');
    assert.ok(toast.buttons.includes('Open Report'));
    assert.ok(setId && /^[a-z0-9_]+_\d{8}_\d{6}$/.test(setId), toast.message);
    assert.match(toast.message, / and proved restorable\.$/, 'pulseBackup.proveAfterBackup is auto: a small set is proved in the same task, before retention');

    // On disk: the engine's set, exactly as the CLI writes it.
    const [listed] = await listSets(into);
    assert.equal(listed.id, setId);
    assert.equal(listed.status, 'complete');
    const manifest = JSON.parse(readFileSync(path.join(into, `${setId}.manifest.json`), 'utf8')) as Manifest;
    assert.deepEqual(manifest.files.map((file) => file.type).sort(), ['complete', 'data', 'schema']);

    // The tree: the set, newest first, and under it its files, its (not yet run) verification and its proof.
    const node = await setNode(setId);
    const item = api.backupsTree.getTreeItem(node) as vscode.TreeItem;
    assert.match(labelOf(item), /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
    assert.match(String(item.description), /^[\d.]+ (B|KB|MB) · just now · proved just now$/, 'the size first, so a narrow view cuts the age, not the size');
    assert.deepEqual(iconOf(node), new vscode.ThemeIcon('verified-filled', new vscode.ThemeColor('charts.green')));
    assert.match(String(item.accessibilityInformation?.label), /, proved by a test restore, /);
    assert.match(String(item.contextValue), /\bfinished\b/);
    const children = (await api.backupsTree.getChildren(node)) ?? [];
    const files = children.filter((child): child is FileNode => child.kind === 'file');
    assert.deepEqual(
      files.map((child) => labelOf(api.backupsTree.getTreeItem(child) as vscode.TreeItem)),
      ['Complete dump', 'Schema-only dump', 'Data-only dump'],
    );
    assert.ok(children.some((child) => child.kind === 'info' && child.label === 'Not verified yet'));
    assert.ok(
      children.some((child) => child.kind === 'info' && child.label === 'Proved restorable just now'),
      JSON.stringify(children.map((child) => child.kind === 'info' && child.label)),
    );

    // The status bar: the age of the last good backup, its report on click.
    const status = await waitFor('the status bar to show the new backup', () => {
      const state = api.statusBar();
      return state.visible && state.text === '$(database) just now' ? state : undefined;
    });
    assert.equal(status.warning, false);
    assert.equal(status.command, 'pulseBackup.openReport');
    assert.ok(status.tooltip.includes(setId), status.tooltip);
    assert.match(status.tooltip, /Proof: Proved restorable just now: \d+ tables/);

    // The .gitignore offer, accepted.
    await prompts.waitForMessage((call) => call.buttons.includes('Add to .gitignore'));
    await waitFor('.gitignore to list the backups folder', () => {
      const file = path.join(folder.uri.fsPath, '.gitignore');
      return existsSync(file) && new RegExp(`^/?${own}/?$`, 'm').test(readFileSync(file, 'utf8'));
    });
    // Exits non-zero (and so throws) unless git now ignores the backups.
    execFileSync('git', ['check-ignore', '-q', `${own}/factory_pulse_complete_backup_20250901_173948.sql`], { cwd: folder.uri.fsPath, stdio: 'pipe' });
  }

  it('a click on a dump file opens it in a preview editor, and file rows carry no resource decorations (git\'s "ignored" grey)', async function () {
    const children = (await api.backupsTree.getChildren(await setNode(await ensureFirstSet()))) ?? [];
    const complete = children.find((child): child is FileNode => child.kind === 'file' && child.file.type === 'complete');
    assert.ok(complete);
    const item = api.backupsTree.getTreeItem(complete) as vscode.TreeItem;
    assert.equal(item.resourceUri, undefined);
    assert.ok(item.command, 'the row runs a command on click');
    await vscode.commands.executeCommand(item.command.command, ...((item.command.arguments ?? []) as unknown[]));
    const tab = await waitFor('the dump in an editor tab', () =>
      vscode.window.tabGroups.all
        .flatMap((group) => group.tabs)
        .find((candidate) => candidate.input instanceof vscode.TabInputText && candidate.input.uri.fsPath === complete.path),
    );
    assert.equal(tab.isPreview, true, 'a preview, as a click in the Explorer opens');
    await vscode.window.tabGroups.close(tab);
  });

  it('keeps the password out of every file it wrote: settings, backups, manifests, history', async function () {
    await ensureFirstSet();
    for (const file of [...filesUnder(folder.uri.fsPath), ...filesUnder(backupsFolder)]) {
      if (statSync(file).size > 50_000_000) continue;
      assert.ok(!readFileSync(file).includes(db.password), `the password appears in ${file}`);
    }
  });

  it('PGHOST, PGPORT, PGUSER and PGPASSWORD in the environment do not beat the configured connection; the log says where each part came from', async function () {
    const ambient = { PGHOST: '127.0.0.1', PGPORT: String(db.port), PGUSER: db.user, PGPASSWORD: 'ambient-not-the-password' };
    await ensureConnection();
    const saved = Object.fromEntries(Object.keys(ambient).map((name) => [name, process.env[name]]));
    Object.assign(process.env, ambient);
    try {
      const before = api.logLines().length;
      const { setId } = await backUp();
      const lines = api.logLines().slice(before);
      const connection = lines.find((line) => line.startsWith('[info] connection of factory-pulse: '));
      assert.ok(connection, lines.join('\n'));
      assert.match(connection, /host, port, user and database from the pulseBackup\.connectionURL setting; password from VS Code's secret storage$/);
      assert.ok(!lines.some((line) => line.includes('ambient-not-the-password')), 'the ambient password is never logged');
      await waitFor('the second set', () => setNode(setId));
    } finally {
      for (const [name, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
  });

  it("Verify gives the engine's result and records it; the set stays proved, which says more than verified", async function () {
    const firstSetId = await ensureProvedFirstSet();
    await vscode.commands.executeCommand('pulseBackup.verify', reference(firstSetId));
    assertNoErrors();
    const engine = await verifySet({ folder: backupsFolder, setId: firstSetId, env: process.env });
    assert.equal(engine.outcome, 'pass');
    const checks = engine.groups.flatMap((group) => group.checks).length;
    await prompts.waitForMessage((call) => call.kind === 'information' && call.message === `${firstSetId} verifies: all ${checks} checks passed.`);
    assert.ok(existsSync(path.join(backupsFolder, `${firstSetId}.history.json`)), 'the verification is kept with the set');
    assert.equal((await iconOfSet(firstSetId, 'verified-filled')).color?.id, 'charts.green');
    const node = await setNode(firstSetId);
    const verification = await waitFor('the tree to show the verification', async () =>
      ((await api.backupsTree.getChildren(node)) ?? []).find((child) => child.kind === 'info' && child.label.startsWith('Verified ')),
    );
    assert.ok(verification.kind === 'info' && verification.description?.startsWith('passed'), JSON.stringify(verification));
  });

  it('Verify of a damaged file: the set shows as failed and the status bar warns; once the file changes back, neither the old result nor the proof counts, and a verification shows as verified', async function () {
    const firstSetId = await ensureFirstSet();
    const dataFile = path.join(
      backupsFolder,
      readdirSync(backupsFolder).find((name) => name.startsWith(firstSetId.replace(/_\d{8}_\d{6}$/, '_data_backup_') + firstSetId.slice(-15))) ?? '',
    );
    const original = readFileSync(dataFile);
    const damaged = Buffer.from(original);
    damaged[Math.floor(damaged.length / 2)] ^= 0x20;
    writeFileSync(dataFile, damaged);
    try {
      await vscode.commands.executeCommand('pulseBackup.verify', reference(firstSetId));
      const failed = await prompts.waitForMessage((call) => call.kind === 'error');
      assert.match(failed.message, new RegExp(`^${firstSetId} failed verification: .*_data_backup_.* does not match its recorded sha256`));
      assert.equal((await iconOfSet(firstSetId, 'error')).color?.id, 'testing.iconFailed');
      await waitFor('the status bar warning colour', () => api.statusBar().warning || undefined);
    } finally {
      writeFileSync(dataFile, original);
    }
    await iconOfSet(firstSetId, 'circle-large-outline');
    prompts.reset();
    await vscode.commands.executeCommand('pulseBackup.verify', reference(firstSetId));
    await prompts.waitForMessage((call) => call.kind === 'information' && call.message.includes('verifies'));
    await iconOfSet(firstSetId, 'pass');
    await waitFor('the status bar to lose the warning colour', () => (api.statusBar().warning ? undefined : true));
  });

  it('a history edited by hand (null, an empty object, a report without its checks among its verifications) hides no set: the tree and status bar read what is readable', async function () {
    const firstSetId = await ensureFirstSet();
    prompts.reset();
    await vscode.commands.executeCommand('pulseBackup.verify', reference(firstSetId));
    await prompts.waitForMessage((call) => call.kind === 'information' && call.message.includes('verifies'));
    const file = path.join(backupsFolder, `${firstSetId}.history.json`);
    const original = readFileSync(file, 'utf8');
    const history = JSON.parse(original) as { verifications: { groups: { checks: { status: string }[] }[] }[] };
    const last = history.verifications.at(-1);
    assert.ok(last, 'the set was verified');
    // Before the damage, a failed verification that reads: the set shows it, so the history was read again with the damage after it.
    const failed = { ...last, checkedAt: new Date(Date.now() + 5000).toISOString(), outcome: 'fail' };
    failed.groups = last.groups.map((group, index) =>
      index === 0 ? { ...group, checks: group.checks.map((check, at) => (at === 0 ? { ...check, status: 'fail' } : check)) } : group,
    );
    writeFileSync(file, JSON.stringify({ ...history, verifications: [...history.verifications, failed, { ...last, groups: [{ name: 'post-backup' }] }, {}, null] }));
    try {
      await iconOfSet(firstSetId, 'error');
      await waitFor('the status bar to warn of the failed verification', () => (api.statusBar().warning && /verif/i.test(api.statusBar().tooltip) ? true : undefined));
    } finally {
      writeFileSync(file, original);
    }
    await waitFor('the set to lose the failed verification', async () => (iconOf(await setNode(firstSetId)).id === 'error' ? undefined : true));
  });

  it('Restore… data only leads with what changes, lists the objects behind Show Details, and offers Undo, which brings the changed rows back', async function () {
    const firstSetId = await ensureFirstSet();
    // Half of every table's rows go, triggers and foreign-key checks quiet (replica role), so a restore must bring them back.
    await query(`
      SET session_replication_role = replica;
      DO $$
      DECLARE t record;
      BEGIN
        FOR t IN SELECT n.nspname AS schemaname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                 WHERE n.nspname = 'public' AND c.relkind = 'r' LOOP
          EXECUTE format('DELETE FROM %I.%I WHERE random() < 0.5', t.schemaname, t.relname);
        END LOOP;
      END $$;`);
    await query(`UPDATE users SET email = 'changed-' || email`);
    // A data restore refreshes materialized views at its end; a changed database whose view is refreshed too is what Undo gives back.
    await query('REFRESH MATERIALIZED VIEW public.project_overview');
    const changed = await fingerprintDatabase(dbUrl);
    assert.ok(diffFingerprints(firstSetContent, changed).length > 0, 'the data was changed before the restore');
    const before = setFilesOnDisk();

    // The first restore: Show Details, then yes; its toast: Undo, which restores the safety backup after its own confirmation.
    prompts.answerQuickPick = (call) => (call.title === `Restore ${firstSetId}` ? 'Data only' : undefined);
    prompts.answerMessage = (call) => {
      if (call.modal && call.message.startsWith(`Restore ${firstSetId} `)) return 'Show Details';
      if (!call.modal && call.message.includes('listed in the terminal')) return 'Restore';
      // Undo on the first restore's toast only: the undo's own toast offers Undo too (which would redo).
      if (call.buttons.includes('Undo') && call.message.startsWith(`Restored ${firstSetId} `)) return 'Undo';
      if (call.modal && call.buttons.includes('Restore')) return 'Restore';
      return undefined;
    };
    await vscode.commands.executeCommand('pulseBackup.restore', reference(firstSetId));
    assertNoErrors();
    const confirmation = prompts.messages.find((call) => call.modal);
    assert.ok(confirmation, 'a modal confirmation comes before anything changes');
    assert.equal(confirmation.message, `Restore ${firstSetId} (data only) into database "${db.database}" on ${db.host}:${db.port}?`);
    const lines = (confirmation.detail ?? '').split('\n');
    assert.match(lines[0], /^\d+ tables? will get back [\d,]+ rows? removed since the backup\.$/, 'it leads with what changes');
    assert.ok(lines.indexOf('') > 0 && lines[lines.indexOf('') + 1].startsWith('Target: '), 'then the target');
    assert.match(confirmation.detail ?? '', /A safety backup of the target is taken first/);
    assert.doesNotMatch(confirmation.detail ?? '', /public\.users/, 'the object list waits behind Show Details');
    assert.ok(
      prompts.messages.some((call) => !call.modal && call.message.includes('listed in the terminal')),
      'after Show Details the question waits in a notification, beside the terminal that lists the objects',
    );
    const restored = prompts.messages.find((call) => call.kind === 'information' && call.message.startsWith(`Restored ${firstSetId} (data only)`));
    assert.ok(restored, JSON.stringify(prompts.messages.map((call) => call.message)));
    assert.ok(restored.buttons.includes('Undo'), JSON.stringify(restored.buttons));
    const safetyId = /Safety backup: (\S+)\./.exec(restored.message)?.[1];
    assert.ok(safetyId, restored.message);

    // Undo restored the safety backup, taken of the changed database just before: the changes are back.
    const undoQuestion = prompts.messages.find((call) => call.modal && call.message.startsWith(`Restore ${safetyId} (data only)`));
    assert.ok(undoQuestion, 'Undo asks as every restore does');
    assert.ok(prompts.messages.some((call) => call.kind === 'information' && call.message.startsWith(`Restored ${safetyId} (data only)`)));
    assert.deepEqual(diffFingerprints(changed, await fingerprintDatabase(dbUrl)), [], 'Undo brought the database back to what it was before the restore');

    // The safety backup is a set of its own, with its own state and icon.
    const safety = await setNode(safetyId);
    assert.equal(safety.entry.set.purpose, 'safety');
    assert.deepEqual(iconOf(safety), new vscode.ThemeIcon('shield', new vscode.ThemeColor('charts.purple')));
    assert.ok(setFilesOnDisk().length > before.length);

    // And the set's content again, for what follows.
    prompts.reset();
    prompts.answerQuickPick = (call) => (call.title === `Restore ${firstSetId}` ? 'Data only' : undefined);
    prompts.answerMessage = (call) => (call.modal && call.buttons.includes('Restore') ? 'Restore' : undefined);
    await vscode.commands.executeCommand('pulseBackup.restore', reference(firstSetId));
    await prompts.waitForMessage((call) => call.kind === 'information' && call.message.startsWith(`Restored ${firstSetId} (data only)`));
    assert.deepEqual(diffFingerprints(firstSetContent, await fingerprintDatabase(dbUrl)), [], 'the database holds the backed-up content again');
  });

  it('Verify Latest Backup verifies the newest real backup, never a safety set, the same set the status bar calls the last good one', async function () {
    await newSafetySet();
    const sets = await listSets(backupsFolder);
    assert.equal(sets[0].purpose, 'safety', 'the newest set is a safety backup');
    const newestReal = sets.find((set) => set.purpose === 'backup' && set.status === 'complete');
    assert.ok(newestReal);
    await vscode.commands.executeCommand('pulseBackup.verifyLatest');
    const done = await prompts.waitForMessage((call) => call.message.includes('verifies'));
    assert.ok(done.message.startsWith(`${newestReal.id} verifies`), done.message);
    const status = await waitFor('the status bar', () => (api.statusBar().tooltip.includes(newestReal.id) ? api.statusBar() : undefined));
    assert.equal(status.command, 'pulseBackup.openReport');
  });

  it('pickers mark safety backups, with the same icons and words as the tree', async function () {
    // A set that verifies (a copy never proved: a proof outranks a verification) and a safety backup to pick from.
    const verifiedId = await copyOfFirstSet(26);
    try {
      await vscode.commands.executeCommand('pulseBackup.verify', reference(verifiedId));
      await prompts.waitForMessage((call) => call.kind === 'information' && call.message.startsWith(`${verifiedId} verifies`));
      await iconOfSet(verifiedId, 'pass');
      await newSafetySet();
      prompts.reset();
      await vscode.commands.executeCommand('pulseBackup.verify');
      const pick = prompts.quickPicks[0];
      assert.ok(pick, 'Verify without a set asks which one');
      const safety = pick.labels.filter((label) => label.startsWith('$(shield) '));
      assert.ok(safety.length >= 1, JSON.stringify(pick.labels));
      assert.ok(
        pick.labels.some((label) => label.startsWith('$(pass) ')),
        JSON.stringify(pick.labels),
      );
    } finally {
      await removeSet(verifiedId, 'the verified copy');
    }
  });

  it('Restore… schema only names the rows that will be lost; declining it changes nothing, is no error, and the task ends with exit code 0', async function () {
    const firstSetId = await ensureFirstSet();
    const files = setFilesOnDisk();
    const ended: (number | undefined)[] = [];
    const listener = vscode.tasks.onDidEndTaskProcess((event) => ended.push(event.exitCode));
    const before = api.logLines().length;
    try {
      prompts.answerQuickPick = (call) => (call.title === `Restore ${firstSetId}` ? 'Schema only' : undefined);
      prompts.answerMessage = () => undefined;
      await vscode.commands.executeCommand('pulseBackup.restore', reference(firstSetId));
      const confirmation = prompts.messages.find((call) => call.modal);
      assert.ok(confirmation);
      assert.equal(confirmation.message, `Restore ${firstSetId} (schema only) into database "${db.database}" on ${db.host}:${db.port}?`);
      assert.match((confirmation.detail ?? '').split('\n')[0], /^\d+ tables will be emptied: [\d,]+ rows\.$/);
      await waitFor('the task to end', () => (ended.length > 0 ? true : undefined));
    } finally {
      listener.dispose();
    }
    assert.deepEqual(ended, [0], 'a person saying no is not a failure');
    assert.deepEqual(
      prompts.messages.filter((call) => !call.modal).map((call) => call.message),
      [],
      'no toast: the person knows they cancelled',
    );
    const lines = api.logLines().slice(before);
    assert.ok(!lines.some((line) => line.startsWith('[error]')), lines.join('\n'));
    assert.ok(
      lines.some((line) => line.startsWith('[info]') && /restore not confirmed/i.test(line)),
      lines.join('\n'),
    );
    assert.deepEqual(diffFingerprints(firstSetContent, await fingerprintDatabase(dbUrl)), []);
    assert.deepEqual(setFilesOnDisk(), files, 'no safety backup before a confirmation');
  });

  it('Restore… complete says its mode once: "schema and data"', async function () {
    const firstSetId = await ensureFirstSet();
    prompts.answerQuickPick = (call) => (call.title === `Restore ${firstSetId}` ? 'Complete' : undefined);
    await vscode.commands.executeCommand('pulseBackup.restore', reference(firstSetId));
    const confirmation = prompts.messages.find((call) => call.modal);
    assert.ok(confirmation);
    assert.equal(confirmation.message, `Restore ${firstSetId} (schema and data) into database "${db.database}" on ${db.host}:${db.port}?`);
  });

  it('runs backup and verify as tasks of type pulse-backup, exit code 0, all in one reused terminal', async function () {
    await ensureConnection();
    const tasks = await vscode.tasks.fetchTasks({ type: 'pulse-backup' });
    const backupTask = tasks.find((task) => task.name === 'backup');
    assert.ok(backupTask, `the backup task is offered (got ${JSON.stringify(tasks.map((task) => `${task.source}: ${task.name}`))})`);
    assert.equal(await startTask(backupTask).ended, 0);
    const fromTasksJson = tasks.find((task) => task.name === 'verify latest' && task.source === 'Workspace');
    assert.ok(fromTasksJson, `the verify task from tasks.json is offered (got ${JSON.stringify(tasks.map((task) => `${task.source}: ${task.name}`))})`);
    const exitCode = await startTask(fromTasksJson).ended;
    assert.equal(exitCode, 0);
    assertNoErrors();
    // A backup and a verification just ran (and whatever tests ran before): one terminal for all of them.
    assert.equal(vscode.window.terminals.length, 1, `terminals: ${JSON.stringify(vscode.window.terminals.map((terminal) => terminal.name))}`);
  });

  /** A bigger set of a database of its own, made by the engine: a proof of it takes long enough to stop halfway. */
  let bigSet: { id: string; database: string } | undefined;

  async function scratchDatabases(): Promise<string[]> {
    const rows = await queryRows<{ name: string }>("SELECT datname AS name FROM pg_database WHERE datname LIKE 'pulse\\_prove\\_%' ORDER BY 1");
    return rows.map((row) => row.name);
  }

  function proofsInHistory(setId: string): { outcome: string }[] {
    const file = path.join(backupsFolder, `${setId}.history.json`);
    return existsSync(file) ? ((JSON.parse(readFileSync(file, 'utf8')) as { proofs?: { outcome: string }[] }).proofs ?? []) : [];
  }

  /**
   * The bigger set, made once and kept until the restore-confirmation test
   * removes it; `fresh` makes a new one (never proved, the newest backup) in
   * place of the last.
   */
  async function ensureBigSet(fresh = false): Promise<{ id: string; database: string }> {
    // Its proofs run on the configured connection's server.
    await ensureConnection();
    const kept = bigSet && existsSync(path.join(backupsFolder, `${bigSet.id}.manifest.json`)) ? bigSet : undefined;
    if (kept && !fresh) return kept;
    if (kept) await removeSet(kept.id, 'the last bigger set');
    const database = 'factory_pulse_big';
    if (!bigSet) {
      await query(`DROP DATABASE IF EXISTS ${database}`);
      await query(`CREATE DATABASE ${database}`);
      const sample = path.join(vscode.extensions.getExtension(EXTENSION_ID)?.extensionPath ?? '', 'test', 'samples', 'factory.sql');
      // Not execFileSync: the extension host's event loop (the watcher, the tasks) runs on meanwhile; the password in the environment, never in argv.
      await promisify(execFile)('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-v', 'scale=30', '-f', sample, databaseUrl(db, database, false)], {
        env: { ...process.env, PGPASSWORD: db.password },
      });
    }
    const made = await runBackup({ target: parseConnectionUrl(databaseUrl(db, database, true)), folder: backupsFolder, prefix: 'factory_pulse', env: process.env });
    bigSet = { id: made.manifest.id, database };
    return bigSet;
  }

  it('Prove Restorable stopped halfway (the task terminated) drops its scratch databases, records nothing, and is no error', async function () {
    const made = { manifest: { id: (await ensureBigSet(true)).id } };
    const node = await setNode(made.manifest.id);
    const status = await waitFor('the status bar to speak of the new set', () => (api.statusBar().tooltip.includes(made.manifest.id) ? api.statusBar() : undefined));
    assert.match(status.tooltip, /Proof: Not proved yet/);

    const command = vscode.commands.executeCommand('pulseBackup.prove', node);
    await waitFor('the proof to create its scratch databases', async () => ((await scratchDatabases()).length > 0 ? true : undefined), 60_000);
    const execution = vscode.tasks.taskExecutions.find((candidate) => candidate.task.name === `prove ${made.manifest.id}`);
    assert.ok(execution, `the proof runs as a task (running: ${JSON.stringify(vscode.tasks.taskExecutions.map((candidate) => candidate.task.name))})`);
    execution.terminate();
    await command;
    await waitFor('no scratch database left', async () => ((await scratchDatabases()).length === 0 ? true : undefined), 20_000);
    assert.deepEqual(proofsInHistory(made.manifest.id), [], 'a cancelled proof is no proof');
    assertNoErrors();
    const said = await prompts.waitForMessage((call) => /cancelled|stopped/.test(call.message));
    assert.equal(said.kind, 'information', said.message);
    assert.equal(iconOf(await setNode(made.manifest.id)).id, 'circle-large-outline', 'still not proved');
  });

  it('Prove Restorable from the tree restores the set into scratch databases; the set turns proved: icon, description, proof row, status bar tooltip', async function () {
    // A safety backup for the pickers to mark.
    await newSafetySet();
    // A new one, so that it is the newest backup, the one the status bar speaks of, and has no proof yet.
    const { id } = await ensureBigSet(true);
    await vscode.commands.executeCommand('pulseBackup.prove', await setNode(id));
    assertNoErrors();
    const toast = await prompts.waitForMessage((call) => call.message.startsWith(`${id} is proved restorable: `));
    assert.equal(toast.kind, 'information');
    assert.ok(toast.buttons.includes('Open Report'));
    assert.deepEqual(await scratchDatabases(), [], 'the scratch databases are dropped');
    assert.deepEqual(
      proofsInHistory(id).map((proof) => proof.outcome),
      ['proved'],
    );
    const icon = await iconOfSet(id, 'verified-filled');
    assert.equal(icon.color?.id, 'charts.green');
    const node = await setNode(id);
    const item = api.backupsTree.getTreeItem(node) as vscode.TreeItem;
    assert.match(String(item.description), / · proved just now$/);
    assert.match(
      (item.tooltip as vscode.MarkdownString).value,
      /Proof: Proved restorable just now: \d+ tables, [\d,]+ rows and the schema equal, by the complete file and by schema then data/,
    );
    const children = (await api.backupsTree.getChildren(node)) ?? [];
    assert.ok(children.some((child) => child.kind === 'info' && child.label === 'Proved restorable just now'));
    await waitFor('the status bar tooltip to say the last backup was proved', () =>
      api.statusBar().tooltip.includes(id) && /Proof: Proved restorable just now/.test(api.statusBar().tooltip) ? true : undefined,
    );
    // The pickers say the same.
    prompts.reset();
    await vscode.commands.executeCommand('pulseBackup.prove');
    assert.ok(
      prompts.quickPicks[0]?.labels.some((label) => label.startsWith('$(verified-filled) ')),
      JSON.stringify(prompts.quickPicks),
    );
    assert.ok(
      prompts.quickPicks[0]?.labels.some((label) => label.startsWith('$(shield) ')),
      'safety backups marked, as the other pickers do',
    );
  });

  it('Prove Restorable of a set that is still being proved is a run of its own: both run to the end, neither is taken for the other', async function () {
    // The bigger set: its proof runs long enough for the second to start meanwhile.
    const { id } = await ensureBigSet();
    const before = proofsInHistory(id).length;
    const running = () => vscode.tasks.taskExecutions.filter((execution) => execution.task.name === `prove ${id}`).length;
    const first = vscode.commands.executeCommand('pulseBackup.prove', reference(id));
    await waitFor('the first proof to run', () => (running() === 1 ? true : undefined));
    const second = vscode.commands.executeCommand('pulseBackup.prove', reference(id));
    await waitFor('both proofs to run at once', () => (running() === 2 ? true : undefined));
    await Promise.all([first, second]);
    assertNoErrors();
    const toasts = prompts.messages.filter((call) => call.message.startsWith(`${id} is proved restorable: `));
    assert.equal(toasts.length, 2, JSON.stringify(prompts.messages.map((call) => call.message)));
    assert.deepEqual(
      proofsInHistory(id)
        .slice(before)
        .map((proof) => proof.outcome),
      ['proved', 'proved'],
    );
    assert.deepEqual(await scratchDatabases(), []);
  });

  it('a set that a backup outside VS Code has just put in place proves at once, while the view still shows it being written', async function () {
    // What a backup in another process (the CLI, a scheduled job) leaves just before its last step: the folder
    // locked, the set's files under their hidden names. The view lists the set as being written.
    await ensureFirstSet();
    const when = new Date(Date.now() - 5 * 3_600_000);
    const lock = await acquireFolderLock(backupsFolder, 'backup');
    let id: string;
    try {
      const staged = stageSetCopy({ folder: keptCopy, manifest: keptManifest }, backupsFolder, localTimestamp(when), when);
      id = staged.id;
      await waitFor('the view to show the set being written', async () => (await setNodes()).find((node) => node.entry.set.id === id && node.entry.set.status === 'running'));
      // Its last step: the files renamed into place, the manifest last, the folder let go.
      staged.putInPlace();
    } finally {
      await lock.release();
    }
    try {
      // At once: the watcher's reload comes a few hundred milliseconds after the last change.
      assert.equal((await setNode(id)).entry.set.status, 'running', 'the view has not caught up yet');
      await vscode.commands.executeCommand('pulseBackup.prove', reference(id));
      assertNoErrors();
      const toast = await prompts.waitForMessage((call) => call.message.startsWith(`${id} is proved restorable: `));
      assert.equal(toast.kind, 'information');
      assert.deepEqual(
        proofsInHistory(id).map((proof) => proof.outcome),
        ['proved'],
      );
      await iconOfSet(id, 'verified-filled');
    } finally {
      await removeSet(id, 'the staged set');
    }
  });

  it('the restore confirmation names the proof in its first lines: proved and when, or out of date since a file changed', async function () {
    const firstSetId = await ensureFirstSet();
    const big = await ensureBigSet();
    if (!proofsInHistory(big.id).some((proof) => proof.outcome === 'proved')) {
      await vscode.commands.executeCommand('pulseBackup.prove', await setNode(big.id));
      await prompts.waitForMessage((call) => call.message.startsWith(`${big.id} is proved restorable: `));
    }
    // The first set's data file rewritten after its proof (the same bytes, a new time): that proof no longer speaks for it.
    const firstData = path.join(backupsFolder, readdirSync(backupsFolder).find((name) => name.includes('_data_backup_') && name.endsWith(`${firstSetId.slice(-15)}.sql`)) ?? '');
    writeFileSync(firstData, readFileSync(firstData));
    for (const [setId, expected] of [
      [big.id, /^Proved restorable just now: a test restore read back \d+ tables and [\d,]+ rows equal\.$/],
      // The first set's data file, rewritten above after the proof its backup made.
      [firstSetId, /^Proved (just now|.* ago), but a file of the set changed since: that proof no longer speaks for it\.$/],
    ] as const) {
      prompts.reset();
      prompts.answerQuickPick = (call) => (call.title === `Restore ${setId}` ? 'Schema only' : undefined);
      await vscode.commands.executeCommand('pulseBackup.restore', reference(setId));
      const confirmation = prompts.messages.find((call) => call.modal);
      assert.ok(confirmation, `a confirmation for ${setId}`);
      const firstBlock = (confirmation.detail ?? '').split('\n\n')[0].split('\n');
      assert.match(firstBlock[firstBlock.length - 1], expected, confirmation.detail);
    }
    // Done with the bigger set: it goes, with its database.
    bigSet = undefined;
    await query(`DROP DATABASE ${big.database}`);
    await removeSet(big.id, 'the bigger set');
  });

  it('a tampered set (a data file edited, its manifest checksum updated to match) fails its proof: a warning state, never deleted, with the difference', async function () {
    const id = await copyOfFirstSet(26);
    const manifest = JSON.parse(readFileSync(path.join(backupsFolder, `${id}.manifest.json`), 'utf8')) as Manifest;
    let firstId = '';
    rewriteSetFile(backupsFolder, manifest, 'data', (text) =>
      editFirstRow(text, 'public."group"', (fields) => {
        firstId = fields[0];
        return [fields[0], fields[1], '99', ...fields.slice(3)];
      }),
    );
    // The checksums agree: only the content tells.
    assert.equal(
      (await verifySet({ folder: backupsFolder, setId: id, env: process.env })).groups.flatMap((group) => group.checks).find((check) => check.id === 'checksums')?.status,
      'pass',
    );
    await vscode.commands.executeCommand('pulseBackup.prove', reference(id));
    assertNoErrors();
    const warning = await prompts.waitForMessage((call) => call.message.startsWith(`${id} did not prove restorable: `));
    assert.equal(warning.kind, 'warning', 'a failed proof is a warning about the set, not an error');
    assert.match(warning.message, new RegExp(`schema then data: public\\.group: 1 row changed \\(first: id = ${firstId}\\)`));
    const icon = await iconOfSet(id, 'warning');
    assert.equal(icon.color?.id, 'problemsWarningIcon.foreground');
    const node = await setNode(id);
    const item = api.backupsTree.getTreeItem(node) as vscode.TreeItem;
    assert.match(String(item.description), / · proof failed$/);
    const tooltip = (item.tooltip as vscode.MarkdownString).value;
    assert.match(tooltip, /Status: \$\(warning\) failed its proof/);
    assert.match(tooltip, /Failed its proof just now: schema then data: public\.group: 1 row changed \(first: id = \d+\)/);
    const row = ((await api.backupsTree.getChildren(node)) ?? []).find((child) => child.kind === 'info' && child.label === 'Proof failed just now');
    assert.ok(row && row.kind === 'info' && row.description?.startsWith('public.group: 1 row changed'), JSON.stringify(row));
    assert.ok(existsSync(path.join(backupsFolder, `${id}.manifest.json`)), 'the set is kept');
    assert.deepEqual(await scratchDatabases(), []);
    await removeSet(id, 'the tampered copy');
  });

  it("a scratch server role that may not create databases gets the engine's one line in VS Code words (the setting, never --scratch-db); after a backup that is a warning, and the set is kept", async function () {
    const firstSetId = await ensureFirstSet();
    await query("CREATE ROLE pulse_prove_nobody LOGIN PASSWORD 'nobody'");
    const section = vscode.workspace.getConfiguration('pulseBackup', folder.uri);
    await section.update('scratchServerURL', `postgresql://pulse_prove_nobody:nobody@${db.host}:${db.port}/${db.database}`, vscode.ConfigurationTarget.WorkspaceFolder);
    try {
      await vscode.commands.executeCommand('pulseBackup.prove', reference(firstSetId));
      const failure = await prompts.waitForMessage((call) => call.kind === 'error');
      assert.ok(!failure.message.includes('\n'), 'one line');
      assert.match(
        failure.message,
        /^Pulse_prove_nobody may not create databases on .*: [\w, ]+ can: set "Pulse Backup: Scratch Server URL" in the settings to postgresql:\/\/\w+@.* \(its password in ~\/\.pgpass\), or ALTER ROLE pulse_prove_nobody CREATEDB$/,
      );
      assert.doesNotMatch(failure.message, /--scratch-db|PGPASSWORD/);
      assert.deepEqual(await scratchDatabases(), []);
      // After a backup, a proof that cannot run is a warning: the backup succeeded and its set is kept.
      prompts.reset();
      const { setId } = await backUp();
      const warning = await prompts.waitForMessage(
        (call) => call.kind === 'warning' && call.message.startsWith(`Backup ${setId} is written and kept, but it could not be proved: `),
      );
      assert.match(warning.message, /set "Pulse Backup: Scratch Server URL" in the settings to /);
      assert.ok(
        (await listSets(backupsFolder)).some((set) => set.id === setId && set.status === 'complete'),
        'the set is there, whole',
      );
      assert.deepEqual(proofsInHistory(setId), [], 'no proof recorded');
    } finally {
      await section.update('scratchServerURL', undefined, vscode.ConfigurationTarget.WorkspaceFolder);
      await query('DROP ROLE pulse_prove_nobody');
    }
  });

  it('Compare with Database after known changes lists exactly those changes, read-only; once they are undone, nothing changed since this backup', async function () {
    const firstSetId = await ensureFirstSet();
    // public."group": a table no trigger touches and no sequence numbers, with a name that needs quoting.
    type GroupRow = { id: number; user: string; order: number; select: string | null };
    const rows = await queryRows<GroupRow>('SELECT id, "user", "order", "select" FROM public."group" ORDER BY id');
    assert.ok(rows.length >= 2, 'public."group" has rows');
    const first = rows[0];
    const last = rows[rows.length - 1];
    await queryRows('INSERT INTO public."group" (id, "user", "order", "select") VALUES (900001, $1, 0, $2)', [first.user, 'added after the backup']);
    await queryRows('UPDATE public."group" SET "select" = $1 WHERE id = $2', ['changed after the backup', first.id]);
    await queryRows('DELETE FROM public."group" WHERE id = $1', [last.id]);
    await query('CREATE INDEX group_order_idx ON public."group" ("order")');
    const changed = await fingerprintDatabase(dbUrl);
    const compare = async (): Promise<{ text: string; toast: MessageCall }> => {
      prompts.reset();
      await vscode.commands.executeCommand('pulseBackup.compareWithDatabase', await setNode(firstSetId));
      assertNoErrors();
      const toast = await prompts.waitForMessage((call) => call.kind === 'information' && /^(Since|Nothing changed)/.test(call.message));
      const editor = await waitFor('the comparison document', () =>
        vscode.window.activeTextEditor?.document.uri.scheme === 'pulse-backup-diff' ? vscode.window.activeTextEditor : undefined,
      );
      assert.equal(editor.document.languageId, 'markdown');
      return { text: editor.document.getText(), toast };
    };
    try {
      const { text, toast } = await compare();
      assert.match(toast.message, /has changed: 1 table of \d+ with other rows or gone; 1 schema object added, dropped or changed; restoring the set would undo that\.$/);
      const tableRows = text.split('\n').filter((line) => line.startsWith('| ') && !line.startsWith('| Table') && !line.startsWith('| ---'));
      assert.equal(tableRows.length, 1, text);
      const [name, inSet, now, added, removed, rowsChanged] = tableRows[0].slice(2).split(' | ');
      assert.deepEqual([name, inSet === now, added, removed, rowsChanged], ['public.group', true, '1', '1', '1'], tableRows[0]);
      assert.match(tableRows[0], new RegExp(`1 row added \\(first: id = 900001\\), 1 row removed \\(first: id = ${last.id}\\), 1 row changed \\(first: id = ${first.id}\\)`));
      const objects = text.split('\n').filter((line) => line.startsWith('- **'));
      assert.deepEqual(objects, ['- **index public.group_order_idx**: added since the set (a restore leaves it in place)'], text);
      assert.doesNotMatch(text, /## Sequences/, 'no sequence moved: the row was added with its own id');
      assert.deepEqual(diffFingerprints(changed, await fingerprintDatabase(dbUrl)), [], 'read-only: the database is as it was');
    } finally {
      await queryRows('DELETE FROM public."group" WHERE id = 900001');
      await queryRows('UPDATE public."group" SET "select" = $1 WHERE id = $2', [first.select, first.id]);
      await queryRows('INSERT INTO public."group" (id, "user", "order", "select") VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING', [last.id, last.user, last.order, last.select]);
      await query('DROP INDEX IF EXISTS public.group_order_idx');
    }
    assert.deepEqual(diffFingerprints(firstSetContent, await fingerprintDatabase(dbUrl)), [], 'the changes were undone');
    const again = await compare();
    assert.match(again.toast.message, /^Nothing changed since this backup: /);
    assert.match(again.text, /\*\*Nothing changed since this backup\*\*/);
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
  });

  it('terminating a running backup task cancels it: no new set, no temporary files, no pg_dump left', async function () {
    await ensureConnection();
    const before = setFilesOnDisk();
    const logFrom = api.logLines().length;
    // A transaction holding a lock on a table keeps pg_dump waiting, so the task is surely still running when terminated.
    const blocker = new Client({ connectionString: dbUrl });
    await blocker.connect();
    try {
      await blocker.query('BEGIN; LOCK TABLE public.messages IN ACCESS EXCLUSIVE MODE');
      const task = (await vscode.tasks.fetchTasks({ type: 'pulse-backup' })).find((candidate) => candidate.name === 'backup');
      assert.ok(task);
      const run = startTask(task);
      const execution = await run.execution;
      // Asked from another session: inside the blocker's transaction, pg_stat_activity would show one cached moment.
      await waitFor('the backup to wait for the locked table', async () => {
        const watcher = new Client({ connectionString: dbUrl });
        await watcher.connect();
        try {
          const waiting = await watcher.query("SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'");
          return waiting.rows.length > 0 || undefined;
        } finally {
          await watcher.end();
        }
      });
      assert.ok(
        readdirSync(backupsFolder).some((name) => name.startsWith('.')),
        'the backup holds the folder (lock, temporary files)',
      );
      // While pg_dump runs: no process on this machine has the password in its command line.
      const lines = commandLines();
      assert.ok(
        lines.some((line) => line.includes('pg_dump')),
        'pg_dump was running',
      );
      for (const line of lines) assert.ok(!line.includes(db.password), 'the password is on a command line');
      execution.terminate();
      await run.ended;
    } finally {
      await blocker.query('ROLLBACK').catch(() => undefined);
      await blocker.end();
    }
    await waitFor('the folder to be as it was', () => (JSON.stringify(setFilesOnDisk()) === JSON.stringify(before) ? true : undefined), 10_000);
    // Other work on this machine may run its own pg_dump: only ours (it reaches this server's port) counts.
    const ours = await waitFor(
      'our pg_dump to be gone',
      () => {
        const pids = execFileSync('sh', ['-c', 'pgrep -x pg_dump || true'], { encoding: 'utf8' })
          .split('\n')
          .filter((pid) => pid.trim() !== '');
        const left = pids.filter((pid) => {
          try {
            return readFileSync(`/proc/${pid.trim()}/environ`, 'utf8').split('\0').includes(`PGPORT=${db.port}`);
          } catch {
            return false;
          }
        });
        return left.length === 0 ? left : undefined;
      },
      10_000,
    );
    assert.deepEqual(ours, [], 'no pg_dump of ours left running');
    // VS Code reports the task ended once its terminal closes; the backup stops a moment later, and its last
    // word is this line: until then the folder is still taken and Back Up Database says a backup is running.
    await waitFor(
      'the log to say the backup was cancelled',
      () =>
        api
          .logLines()
          .slice(logFrom)
          .find((line) => line.startsWith('[info] backup: Backup cancelled: no files were kept')),
      10_000,
    );
  });

  it('while a backup runs, a second Back Up Database, a Restore… and a Prune Old Backups of the folder say so and start nothing', async function () {
    await ensureConnection();
    const node = await setNode(await ensureFirstSet());
    const before = (await listSets(backupsFolder)).length;
    prompts.reset();
    // Started in the same moment: the first backup counts as running before its task's terminal opens.
    await Promise.all([
      vscode.commands.executeCommand('pulseBackup.backup'),
      vscode.commands.executeCommand('pulseBackup.backup'),
      vscode.commands.executeCommand('pulseBackup.restore', node),
      vscode.commands.executeCommand('pulseBackup.prune'),
    ]);
    assertNoErrors();
    const said = prompts.messages.map((call) => call.message);
    assert.equal(said.filter((message) => /^A backup of .* is already running\.$/.test(message)).length, 1, said.join('\n'));
    assert.ok(said.includes(`A backup of ${folder.name} is running: wait for it to finish, then restore again.`), said.join('\n'));
    assert.ok(said.includes(`A backup of ${folder.name} is running: wait for it to finish, then prune again.`), said.join('\n'));
    assert.equal(said.filter((message) => /^Backup \S+ written/.test(message)).length, 1, said.join('\n'));
    assert.equal(prompts.quickPicks.length, 0, 'no restore mode was asked for');
    assert.equal((await listSets(backupsFolder)).length, before + 1);
  });

  it("a dead server gives the engine's one line as a sentence, advice that fits a plain folder, and no new set", async function () {
    await ensureConnection();
    const before = setFilesOnDisk();
    const port = await closedPort();
    const section = vscode.workspace.getConfiguration('pulseBackup', folder.uri);
    await section.update('connectionURL', `postgresql://${db.user}@127.0.0.1:${port}/${db.database}`, vscode.ConfigurationTarget.WorkspaceFolder);
    try {
      await vscode.commands.executeCommand('pulseBackup.backup');
      const failure = await prompts.waitForMessage((call) => call.kind === 'error');
      assert.ok(!failure.message.includes('\n'), 'one line');
      assert.ok(!/\bat .+:\d+:\d+/.test(failure.message), 'no stack trace');
      assert.match(
        failure.message,
        new RegExp(
          `^Cannot connect to PostgreSQL at 127\\.0\\.0\\.1:${port}: connection refused: start the PostgreSQL server, or run Pulse Backup: Configure Connection if it runs elsewhere$`,
        ),
      );
      assert.doesNotMatch(failure.message, /supabase/i, 'this folder has no Supabase project');
      assert.ok(failure.buttons.includes('Configure Connection'), `an action that helps (got ${JSON.stringify(failure.buttons)})`);
    } finally {
      await section.update('connectionURL', urlWithoutPassword, vscode.ConfigurationTarget.WorkspaceFolder);
    }
    assert.deepEqual(setFilesOnDisk(), before);
  });

  it('a backups folder that cannot be used offers Choose Backups Folder, which picks a folder and writes the setting where it lives', async function () {
    await ensureConnection();
    const section = vscode.workspace.getConfiguration('pulseBackup', folder.uri);
    const notAFolder = path.join(folder.uri.fsPath, 'not-a-folder');
    writeFileSync(notAFolder, 'a file\n');
    const chosen = path.join(folder.uri.fsPath, 'elsewhere');
    mkdirSync(chosen, { recursive: true });
    await section.update('backupsFolder', notAFolder, vscode.ConfigurationTarget.WorkspaceFolder);
    try {
      prompts.answerMessage = (call) => (call.kind === 'error' && call.buttons.includes('Choose Backups Folder') ? 'Choose Backups Folder' : undefined);
      prompts.answerOpenDialog = (options) => (options?.canSelectFolders ? [vscode.Uri.file(chosen)] : undefined);
      await vscode.commands.executeCommand('pulseBackup.backup');
      const failure = await prompts.waitForMessage((call) => call.kind === 'error');
      assert.match(failure.message, /^The backups folder .* is a file, not a folder: point the setting "Pulse Backup: Backups Folder" at a folder/);
      await waitFor('the chosen folder in the settings', () =>
        vscode.workspace.getConfiguration('pulseBackup', folder.uri).get('backupsFolder') === '${workspaceFolder}/elsewhere' ? true : undefined,
      );
      const inspected = vscode.workspace.getConfiguration('pulseBackup', folder.uri).inspect('backupsFolder');
      assert.equal(inspected?.globalValue, undefined, 'the user settings are not touched');
      assert.match(readFileSync(path.join(folder.uri.fsPath, '.vscode', 'settings.json'), 'utf8'), /"pulseBackup\.backupsFolder": "\$\{workspaceFolder\}\/elsewhere"/);
    } finally {
      await section.update('backupsFolder', undefined, vscode.ConfigurationTarget.WorkspaceFolder);
      rmSync(notAFolder, { force: true });
      rmSync(chosen, { recursive: true, force: true });
    }
  });

  it('lists sets made by the old script (no manifest) as such, with their own icon', async function () {
    const legacy = await ensureLegacySet();
    assert.equal(legacy.entry.set.status, 'legacy');
    assert.deepEqual(iconOf(legacy), new vscode.ThemeIcon('archive', new vscode.ThemeColor('charts.yellow')));
    const item = api.backupsTree.getTreeItem(legacy) as vscode.TreeItem;
    assert.match(String((item.accessibilityInformation ?? { label: '' }).label), /from the old script \(no manifest\)/);
    const nodes = await setNodes();
    assert.equal(nodes[nodes.length - 1].entry.set.id, legacyId, 'newest first: the 2025 set comes last');
  });

  it('Pin, Copy Restore Command, Open Backup Report and Delete (permanently, where there is no Trash) work on a set from the tree', async function () {
    const firstSetId = await ensureFirstSet();
    const node = await setNode(firstSetId);
    await vscode.commands.executeCommand('pulseBackup.pin', node);
    const pinned = await waitFor('the set to show as pinned', async () => {
      const fresh = await setNode(firstSetId);
      return fresh.entry.set.pinned ? fresh : undefined;
    });
    assert.match(String((api.backupsTree.getTreeItem(pinned) as vscode.TreeItem).contextValue), /\bpinned\b/);
    assert.match(String((api.backupsTree.getTreeItem(pinned) as vscode.TreeItem).description), / · pinned\b/);
    await vscode.commands.executeCommand('pulseBackup.unpin', pinned);
    await waitFor('the set to show as unpinned', async () => ((await setNode(firstSetId)).entry.set.pinned ? undefined : true));

    prompts.answerQuickPick = (call) => call.labels.find((label) => label.startsWith('Complete') && label.includes('psql'));
    await vscode.commands.executeCommand('pulseBackup.copyRestoreCommand', node);
    const copied = await vscode.env.clipboard.readText();
    assert.match(copied, /^psql .*-v ON_ERROR_STOP=1/);
    assert.ok(copied.includes(`_complete_backup_${firstSetId.slice(-15)}.sql`), copied);
    assert.ok(!copied.includes(db.password));

    await vscode.commands.executeCommand('pulseBackup.openReport', node);
    await vscode.commands.executeCommand('pulseBackup.openReport', reference(firstSetId));
    const reportTabs = () =>
      vscode.window.tabGroups.all.flatMap((group) => group.tabs).filter((tab) => tab.input instanceof vscode.TabInputWebview && tab.input.viewType.endsWith('pulseBackup.report'));
    await waitFor(
      `a report tab (tabs: ${JSON.stringify(vscode.window.tabGroups.all.flatMap((group) => group.tabs.map((tab) => tab.label)))})`,
      () => reportTabs().length > 0 || undefined,
      10_000,
    );
    // Both commands were for the same set: one panel, revealed again.
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.equal(reportTabs().length, 1, 'one report panel per set');
    const [tab] = reportTabs();
    assert.ok(tab.label.includes(firstSetId), tab.label);
    await vscode.window.tabGroups.close(tab);

    const legacy = await ensureLegacySet();
    prompts.answerMessage = (call) => (call.modal && call.message.startsWith(`Delete backup set ${legacyId}`) ? 'Delete Permanently' : undefined);
    await vscode.commands.executeCommand('pulseBackup.delete', legacy);
    const question = prompts.messages.find((call) => call.modal);
    assert.ok(question);
    // code-server's file system has no Trash, so the dialog says the deletion is for good.
    assert.match(question.message, /permanently\?$/);
    assert.match(question.detail ?? '', /There is no Trash here: this cannot be undone\./);
    await waitFor('the deleted set to leave the tree', async () => ((await setNodes()).some((candidate) => candidate.entry.set.id === legacyId) ? undefined : true));
    assert.ok(!setFilesOnDisk().some((name) => name.includes(LEGACY_STAMP)));
    assertNoErrors();
  });

  it('Prune Old Backups says what it will remove, removes exactly that after the confirmation, and counts it', async function () {
    await ensureFirstSet();
    const section = vscode.workspace.getConfiguration('pulseBackup', folder.uri);
    await section.update('retention.keepLast', 1, vscode.ConfigurationTarget.WorkspaceFolder);
    try {
      // Safety sets have a retention of their own: a second real backup makes one to prune.
      await runBackup({ target: parseConnectionUrl(dbUrl), folder: backupsFolder, prefix: 'factory_pulse', env: process.env });
      const plan = await pruneSets({ folder: backupsFolder, prefix: 'factory_pulse', keep: 1, env: process.env, verify: verifySet, dryRun: true });
      assert.ok(plan.removed.length > 0, 'several real backups of the prefix and keep 1: something to prune');
      const kept = [...plan.kept, ...plan.keptSafety, ...plan.protected].map((set) => set.id);
      prompts.answerMessage = (call) =>
        call.modal && call.buttons.some((button) => button.startsWith('Remove ')) ? call.buttons.find((button) => button.startsWith('Remove ')) : undefined;
      await vscode.commands.executeCommand('pulseBackup.prune');
      assertNoErrors();
      const confirmation = prompts.messages.find((call) => call.modal);
      assert.ok(confirmation);
      assert.match(confirmation.detail ?? '', /^Prune will remove these sets/);
      assert.doesNotMatch(confirmation.detail ?? '', /Removed/);
      for (const set of plan.removed) assert.ok(confirmation.detail?.includes(set.id), `the confirmation names ${set.id}`);
      const remaining = (await listSets(backupsFolder)).map((set) => set.id).sort();
      assert.deepEqual(remaining, kept.sort());
      await prompts.waitForMessage((call) => call.kind === 'information' && call.message.startsWith(`Removed ${plan.removed.length} backup set`));
      await waitFor('the tree to show what is left', async () =>
        JSON.stringify((await setNodes()).map((node) => node.entry.set.id).sort()) === JSON.stringify(remaining) ? true : undefined,
      );
    } finally {
      await section.update('retention.keepLast', undefined, vscode.ConfigurationTarget.WorkspaceFolder);
    }
  });

  it("names its commands in Title Case with VS Code's verbs, and titles its settings Connection URL and Retention: Keep Last with links and a warning", function () {
    const manifest = vscode.extensions.getExtension(EXTENSION_ID)?.packageJSON as {
      contributes: {
        commands: { command: string; title: string; category: string }[];
        configuration: { properties: Record<string, { markdownDescription?: string; markdownDeprecationMessage?: string }> };
      };
    };
    const titles = Object.fromEntries(manifest.contributes.commands.map((command) => [command.command, command.title]));
    assert.equal(titles['pulseBackup.backup'], 'Back Up Database');
    assert.equal(titles['pulseBackup.revealSet'], 'Open Backups Folder', 'not VS Code\'s own "Reveal in File Explorer"');
    for (const [id, title] of Object.entries(titles)) {
      // As VS Code's own titles (Compare with Selected): short prepositions and articles stay lower case.
      for (const word of title.replace(/…$/, '').split(' ')) assert.match(word, /^([A-Z]|(a|an|the|and|or|with|to|in|of|on|for)$)/, `${id}: "${title}" is in Title Case`);
    }
    const properties = manifest.contributes.configuration.properties;
    assert.ok(properties['pulseBackup.connectionURL'], 'VS Code titles it "Connection URL"');
    assert.ok(properties['pulseBackup.retention.keepLast'], 'VS Code titles it "Retention: Keep Last"');
    assert.match(properties['pulseBackup.connectionURL'].markdownDescription ?? '', /\(command:pulseBackup\.configureConnection\)/);
    assert.match(properties['pulseBackup.retention.keepLast'].markdownDescription ?? '', /\*\*Lowering it removes sets on the next backup\*\*/);
    assert.ok(properties['pulseBackup.connectionUrl'].markdownDeprecationMessage, 'the old name is deprecated, not gone');
  });

  it('notices a removed backups folder: the tree empties and the status bar offers a backup again', async function () {
    await ensureFirstSet();
    await waitFor('the status bar to show the set', () => (api.statusBar().command === 'pulseBackup.openReport' ? true : undefined));
    await removeBackupsFolder();
    await waitFor('the status bar to say there is no backup', () => (api.statusBar().text === '$(database) no backup' ? true : undefined));
    assert.equal(api.statusBar().command, 'pulseBackup.backup', 'a connection is configured: back up');
  });

  it('forty sets made with --keep 100, in groups like the Timeline; a backup asks before removing 31 of them and removes nothing until answered', async function () {
    // Copies of a real set, into a folder that has nothing else.
    await ensureFirstSet();
    await removeBackupsFolder();
    prompts.reset();
    const now = Date.now();
    // The newest an hour ago, or halfway back to midnight when that is nearer: between
    // midnight and one o'clock an hour ago is yesterday, and the first group is then Yesterday.
    const midnight = new Date(now).setHours(0, 0, 0, 0);
    const newestAgo = Math.min(3_600_000, Math.floor((now - midnight) / 2));
    const made: string[] = [];
    for (let index = 0; index < 40; index++) {
      const when = new Date(now - newestAgo - index * 12 * 3_600_000);
      made.push(copySetAs({ folder: keptCopy, manifest: keptManifest }, backupsFolder, localTimestamp(when), when));
    }
    // What forty `pulse-backup backup --keep 100` runs leave behind: their retention kept every set under that policy.
    await pruneSets({ folder: backupsFolder, prefix: 'factory_pulse', keep: 100, env: process.env, verify: verifySet });
    const groups = await waitFor('the sets in groups', async () => {
      const roots = await rootNodes();
      const grouped = roots.filter((node): node is GroupNode => node.kind === 'group');
      return roots.length > 0 && grouped.length === roots.length ? grouped : undefined;
    });
    const titles = groups.map((node) => labelOf(api.backupsTree.getTreeItem(node) as vscode.TreeItem));
    assert.deepEqual(
      titles.filter((title) => !['Today', 'Yesterday', 'This Week', 'Older'].includes(title)),
      [],
    );
    assert.equal(titles[0], 'Today');
    assert.ok(titles.includes('Older'));
    assert.equal(
      groups.reduce((sum, node) => sum + node.entries.length, 0),
      40,
    );
    const older = groups.find((node) => node.group === 'older');
    assert.ok(older);
    assert.equal((api.backupsTree.getTreeItem(older) as vscode.TreeItem).collapsibleState, vscode.TreeItemCollapsibleState.Collapsed);
    const todaysFirst = ((await api.backupsTree.getChildren(groups[0])) ?? [])[0];
    assert.ok(todaysFirst?.kind === 'set');
    assert.match(labelOf(api.backupsTree.getTreeItem(todaysFirst) as vscode.TreeItem), /^\d{2}:\d{2}:\d{2}$/, 'under Today, the time');

    // The first backup under the default policy (keep the last 10): a question, and nothing gone while it is asked.
    const onDisk = () => new Set(readdirSync(backupsFolder));
    const before = onDisk();
    let stillThere = false;
    prompts.answerMessage = (call) => {
      if (!call.modal || !call.message.startsWith('Remove ')) return undefined;
      stillThere = [...before].every((name) => onDisk().has(name));
      return 'Keep Them';
    };
    const kept = await backUp();
    const question = prompts.messages.find((call) => call.modal);
    assert.ok(question, 'asked before removing');
    assert.match(question.message, /^Remove 31 backup sets \([\d.]+ MB\) from factory-pulse\?$/);
    assert.ok(question.buttons.includes('Remove 31 backup sets') && question.buttons.includes('Keep Them'), JSON.stringify(question.buttons));
    assert.equal((question.detail ?? '').split('\n').filter((line) => /^factory_pulse_\d{8}_\d{6} \(/.test(line)).length, 31, 'every set it would remove is listed');
    assert.match(question.detail ?? '', /this policy has not kept before \(the policy changed\)/);
    assert.ok(stillThere, 'nothing was removed while the question was open');
    assert.match(kept.toast.message, /Retention kept 31 sets it would remove, as you chose\.$/);
    assert.equal((await listSets(backupsFolder)).length, 41, 'Keep Them removed nothing');

    // The next backup asks again; this time the answer is yes: each removal counted in the toast and written to the log.
    prompts.reset();
    const logFrom = api.logLines().length;
    prompts.answerMessage = (call) => (call.modal && call.message.startsWith('Remove ') ? call.buttons.find((button) => button.startsWith('Remove ')) : undefined);
    const removed = await backUp();
    const second = prompts.messages.find((call) => call.modal);
    assert.ok(second);
    const count = Number(/^Remove (\d+) backup sets/.exec(second.message)?.[1]);
    assert.equal(count, 32, second.message);
    assert.match(removed.toast.message, new RegExp(`Retention removed ${count} old sets \\([\\d.]+ MB\\)\\.$`));
    const removals = api
      .logLines()
      .slice(logFrom)
      .filter((line) => /^\[info\] retention removed factory_pulse_\d{8}_\d{6} \(/.test(line));
    assert.equal(removals.length, count);
    assert.equal((await listSets(backupsFolder)).length, 10);
    assert.ok(
      made.slice(-10).every((id) => !existsSync(path.join(backupsFolder, `${id}.manifest.json`))),
      'the oldest went',
    );
  });
});
