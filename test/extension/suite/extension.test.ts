/**
 * The real extension in a real VS Code extension host, driven through its
 * commands and tasks against a real PostgreSQL server (started by
 * test/extension/run.ts and named in PULSE_TEST_DB). What a person would
 * click or type is answered by ScriptedPrompts; everything else is the
 * product as shipped: the bundled dist/extension.js, the machine's pg_dump
 * and psql, files on disk.
 *
 * The tests run in order and build on each other, as a person's session
 * would: configure, back up, verify, restore, break things, clean up.
 */
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { Client } from 'pg';
import * as vscode from 'vscode';
import { runBackup } from '../../../src/core/backup';
import { parseConnectionUrl } from '../../../src/core/connection';
import { listSets } from '../../../src/core/listing';
import { pruneSets } from '../../../src/core/retention';
import type { Manifest } from '../../../src/core/manifest';
import { verifySet } from '../../../src/core/verify';
import type { PulseBackupApi } from '../../../src/extension/extension';
import type { BackupsNode, SetNode } from '../../../src/extension/tree';
import { diffFingerprints, fingerprintDatabase } from '../../support/fingerprint';
import { closedPort, commandLines, databaseUrl, labelOf, startTask, testDatabase, waitFor } from './helpers';
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
  let firstSetId: string;
  let firstSetContent: Awaited<ReturnType<typeof fingerprintDatabase>>;

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
    return (await rootNodes()).filter((node): node is SetNode => node.kind === 'set');
  }

  async function setNode(setId: string): Promise<SetNode> {
    return waitFor(`set ${setId} in the Backups view`, async () => (await setNodes()).find((node) => node.entry.set.id === setId));
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
    return existsSync(backupsFolder) ? readdirSync(backupsFolder).sort() : [];
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
  });

  beforeEach(function () {
    prompts.reset();
  });

  it('activates lazily: not at start-up, but on its first command', async function () {
    const extension = vscode.extensions.getExtension<PulseBackupApi>(EXTENSION_ID);
    assert.ok(extension, `${EXTENSION_ID} is installed`);
    assert.equal(extension.isActive, false, 'nothing in this workspace asks for Pulse Backup, so it must not be active yet');
    await vscode.commands.executeCommand('pulseBackup.refresh');
    assert.equal(extension.isActive, true);
    api = extension.exports;
    assert.ok(api?.backupsTree, 'activate() returns the API');
  });

  it('shows no sets for an empty backups folder (the welcome view), and a status bar that offers a backup', async function () {
    assert.deepEqual(await rootNodes(), []);
    const status = await waitFor('the status bar', () => (api.statusBar().visible ? api.statusBar() : undefined));
    assert.equal(status.text, '$(database) no backup');
    assert.equal(status.command, 'pulseBackup.backup');
  });

  it('Configure connection keeps the URL in the settings and the password in secret storage', async function () {
    prompts.answerInput = (call) => (call.password ? undefined : dbUrl);
    await vscode.commands.executeCommand('pulseBackup.configureConnection');
    assert.equal(prompts.inputs.length, 1, 'a password inside the URL is taken from there: no second prompt');
    assert.equal(prompts.inputs[0].validationMessage, undefined);
    const saved = vscode.workspace.getConfiguration('pulseBackup', folder.uri).get<string>('connectionUrl');
    assert.equal(saved, urlWithoutPassword);
    const settingsFile = path.join(folder.uri.fsPath, '.vscode', 'settings.json');
    const settingsText = readFileSync(settingsFile, 'utf8');
    assert.ok(settingsText.includes(urlWithoutPassword), settingsText);
    assert.ok(!settingsText.includes(db.password), 'the password must not reach settings.json');
    await prompts.waitForMessage((call) => call.kind === 'information' && call.message.includes('secret storage'));
    assertNoErrors();
  });

  it('Backup database (full set from the quick pick) writes a set that appears in the tree with its three files; the status bar says "just now"', async function () {
    prompts.answerQuickPick = (call) => (call.title === 'Pulse Backup: Backup database' ? call.labels.find((label) => label.includes('Full backup set')) : undefined);
    // The folder is a git repository: after the first backup the extension offers to ignore the backups folder.
    prompts.answerMessage = (call) => (call.buttons.includes('Add to .gitignore') ? 'Add to .gitignore' : undefined);
    await vscode.commands.executeCommand('pulseBackup.backup');
    assertNoErrors();
    assert.equal(prompts.quickPicks.length, 1, 'one quick pick: full set, schema-only or data-only');
    assert.deepEqual(
      prompts.quickPicks[0].labels.map((label) => label.replace(/^\$\([^)]*\) /, '')),
      ['Full backup set', 'Schema only', 'Data only'],
    );
    const done = await prompts.waitForMessage((call) => call.kind === 'information' && /^Backup \S+ written/.test(call.message));
    const setId = /^Backup (\S+) written/.exec(done.message)?.[1];
    assert.ok(setId && /^[a-z0-9_]+_\d{8}_\d{6}$/.test(setId), done.message);
    firstSetId = setId;
    firstSetContent = await fingerprintDatabase(dbUrl);

    // On disk: the engine's set, exactly as the CLI writes it.
    const [listed] = await listSets(backupsFolder);
    assert.equal(listed.id, setId);
    assert.equal(listed.status, 'complete');
    const manifest = JSON.parse(readFileSync(path.join(backupsFolder, `${setId}.manifest.json`), 'utf8')) as Manifest;
    assert.deepEqual(manifest.files.map((file) => file.type).sort(), ['complete', 'data', 'schema']);
    assert.ok(manifest.tables.length > 0);

    // The tree: the set, newest first, and under it its files and its (not yet run) verification.
    const node = await setNode(setId);
    const item = api.backupsTree.getTreeItem(node) as vscode.TreeItem;
    assert.match(labelOf(item), /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
    assert.match(String(item.description), /^just now · [\d.]+ (B|KB|MB)$/);
    assert.equal((item.iconPath as vscode.ThemeIcon).id, 'pass');
    assert.match(String(item.contextValue), /\brestorable\b/);
    const children = (await api.backupsTree.getChildren(node)) ?? [];
    const files = children.filter((child) => child.kind === 'file');
    assert.deepEqual(
      files.map((child) => labelOf(api.backupsTree.getTreeItem(child) as vscode.TreeItem)),
      ['Complete dump', 'Schema-only dump', 'Data-only dump'],
    );
    for (const child of files) {
      const fileItem = api.backupsTree.getTreeItem(child) as vscode.TreeItem;
      const onDisk = manifest.files.find((file) => child.kind === 'file' && file.name === child.file.name);
      assert.ok(onDisk, `${labelOf(fileItem)} is a file of the manifest`);
      assert.ok(String(fileItem.description).length > 0);
    }
    assert.ok(children.some((child) => child.kind === 'info' && child.label === 'Not verified yet'));

    // The status bar: the age of the last good backup, its report on click.
    const status = await waitFor('the status bar to show the new backup', () => {
      const state = api.statusBar();
      return state.visible && state.text === '$(database) just now' ? state : undefined;
    });
    assert.equal(status.warning, false);
    assert.equal(status.command, 'pulseBackup.openReport');
    assert.ok(status.tooltip.includes(setId), status.tooltip);

    // The .gitignore offer, accepted.
    await prompts.waitForMessage((call) => call.buttons.includes('Add to .gitignore'));
    await waitFor('.gitignore to list the backups folder', () => {
      const file = path.join(folder.uri.fsPath, '.gitignore');
      return existsSync(file) && /^\/?backups\/?$/m.test(readFileSync(file, 'utf8'));
    });
    // Exits non-zero (and so throws) unless git now ignores the backups.
    execFileSync('git', ['check-ignore', '-q', 'backups/factory_pulse_complete_backup_20250901_173948.sql'], { cwd: folder.uri.fsPath, stdio: 'pipe' });
  });

  it('keeps the password out of every file it wrote: settings, backups, manifests, history', function () {
    for (const file of [...filesUnder(folder.uri.fsPath), ...filesUnder(backupsFolder)]) {
      if (statSync(file).size > 50_000_000) continue;
      assert.ok(!readFileSync(file).includes(db.password), `the password appears in ${file}`);
    }
  });

  it('Verify gives the engine\'s result, records it, and the tree shows it', async function () {
    await vscode.commands.executeCommand('pulseBackup.verify', reference(firstSetId));
    assertNoErrors();
    const engine = await verifySet({ folder: backupsFolder, setId: firstSetId, env: process.env });
    assert.equal(engine.outcome, 'pass');
    const checks = engine.groups.flatMap((group) => group.checks).length;
    await prompts.waitForMessage((call) => call.kind === 'information' && call.message === `${firstSetId} verifies: all ${checks} checks passed.`);
    assert.ok(existsSync(path.join(backupsFolder, `${firstSetId}.history.json`)), 'the verification is kept with the set');
    const node = await setNode(firstSetId);
    const verification = await waitFor('the tree to show the verification', async () =>
      ((await api.backupsTree.getChildren(node)) ?? []).find((child) => child.kind === 'info' && child.label.startsWith('Verified ')),
    );
    assert.ok(verification.kind === 'info' && verification.description?.startsWith('passed'), JSON.stringify(verification));
  });

  it('Verify of a damaged file reports the failed checks; the status bar turns to the warning colour until it verifies again', async function () {
    const dataFile = path.join(backupsFolder, readdirSync(backupsFolder).find((name) => name.includes('_data_backup_') && name.endsWith('.sql')) ?? '');
    const original = readFileSync(dataFile);
    const damaged = Buffer.from(original);
    damaged[Math.floor(damaged.length / 2)] ^= 0x20;
    writeFileSync(dataFile, damaged);
    try {
      await vscode.commands.executeCommand('pulseBackup.verify', reference(firstSetId));
      const failed = await prompts.waitForMessage((call) => call.kind === 'error');
      assert.match(failed.message, new RegExp(`^${firstSetId} failed verification: .*_data_backup_.* does not match its recorded sha256`));
      await waitFor('the status bar warning colour', () => api.statusBar().warning || undefined);
    } finally {
      writeFileSync(dataFile, original);
    }
    prompts.reset();
    await vscode.commands.executeCommand('pulseBackup.verify', reference(firstSetId));
    await prompts.waitForMessage((call) => call.kind === 'information' && call.message.includes('verifies'));
    await waitFor('the status bar to lose the warning colour', () => (api.statusBar().warning ? undefined : true));
  });

  it('Restore… data-only, confirmed, brings the backed-up rows back after a safety backup', async function () {
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
    const changed = await fingerprintDatabase(dbUrl);
    assert.ok(diffFingerprints(firstSetContent, changed).length > 0, 'the data was changed before the restore');
    const before = setFilesOnDisk();

    prompts.answerQuickPick = (call) => (call.title === `Restore ${firstSetId}` ? 'Data only' : undefined);
    prompts.answerMessage = (call) => (call.modal && call.buttons.includes('Restore') ? 'Restore' : undefined);
    await vscode.commands.executeCommand('pulseBackup.restore', reference(firstSetId));
    assertNoErrors();
    const confirmation = prompts.messages.find((call) => call.modal);
    assert.ok(confirmation, 'a modal confirmation comes before anything changes');
    assert.equal(confirmation.message, `Restore ${firstSetId} (data only) into database "${db.database}" on ${db.host}:${db.port}?`);
    assert.match(confirmation.detail ?? '', /Pre-flight: the set verifies/);
    assert.match(confirmation.detail ?? '', /will be emptied first: .*rows now/);
    assert.match(confirmation.detail ?? '', /A safety backup of the target is taken first/);
    const restored = await prompts.waitForMessage((call) => call.kind === 'information' && call.message.startsWith(`Restored ${firstSetId} (data)`));
    const safetyId = /Safety backup: (\S+)\./.exec(restored.message)?.[1];
    assert.ok(safetyId, restored.message);

    assert.deepEqual(diffFingerprints(firstSetContent, await fingerprintDatabase(dbUrl)), [], 'the database holds the backed-up content again');

    // The safety backup is a set of its own, marked as such, and holds the changed data.
    const safety = await setNode(safetyId);
    assert.equal(safety.entry.set.purpose, 'safety');
    assert.equal(((api.backupsTree.getTreeItem(safety) as vscode.TreeItem).iconPath as vscode.ThemeIcon).id, 'shield');
    assert.ok(setFilesOnDisk().length > before.length);
  });

  it('Restore… that is not confirmed changes nothing', async function () {
    await query(`UPDATE users SET email = 'not-restored-' || email`);
    const changed = await fingerprintDatabase(dbUrl);
    const files = setFilesOnDisk();
    prompts.answerQuickPick = (call) => (call.title === `Restore ${firstSetId}` ? 'Complete' : undefined);
    prompts.answerMessage = () => undefined;
    await vscode.commands.executeCommand('pulseBackup.restore', reference(firstSetId));
    assert.ok(prompts.messages.some((call) => call.modal), 'the confirmation was asked');
    await prompts.waitForMessage((call) => call.message.includes('restore not confirmed'));
    assert.deepEqual(diffFingerprints(changed, await fingerprintDatabase(dbUrl)), []);
    assert.deepEqual(setFilesOnDisk(), files, 'no safety backup before a confirmation');
    await query(`UPDATE users SET email = substr(email, length('not-restored-') + 1)`);
    assert.deepEqual(diffFingerprints(firstSetContent, await fingerprintDatabase(dbUrl)), []);
  });

  it('runs backup and verify as tasks of type pulse-backup, exit code 0, in a pseudoterminal', async function () {
    const tasks = await vscode.tasks.fetchTasks({ type: 'pulse-backup' });
    const fromTasksJson = tasks.find((task) => task.name === 'verify latest' && task.source === 'Workspace');
    assert.ok(fromTasksJson, `the verify task from tasks.json is offered (got ${JSON.stringify(tasks.map((task) => `${task.source}: ${task.name}`))})`);
    const exitCode = await startTask(fromTasksJson).ended;
    assert.equal(exitCode, 0);
    assertNoErrors();
  });

  it('terminating a running backup task cancels it: no new set, no temporary files, no pg_dump left', async function () {
    const before = setFilesOnDisk();
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
      assert.ok(readdirSync(backupsFolder).some((name) => name.startsWith('.')), 'the backup holds the folder (lock, temporary files)');
      // While pg_dump runs: no process on this machine has the password in its command line.
      const lines = commandLines();
      assert.ok(lines.some((line) => line.includes('pg_dump')), 'pg_dump was running');
      for (const line of lines) assert.ok(!line.includes(db.password), 'the password is on a command line');
      execution.terminate();
      await run.ended;
    } finally {
      await blocker.query('ROLLBACK').catch(() => undefined);
      await blocker.end();
    }
    await waitFor('the folder to be as it was', () => (JSON.stringify(setFilesOnDisk()) === JSON.stringify(before) ? true : undefined), 10_000);
    const pgDumps = execFileSync('sh', ['-c', 'pgrep -x pg_dump || true'], { encoding: 'utf8' }).trim();
    assert.equal(pgDumps, '', 'no pg_dump left running');
  });

  it('a dead server gives the engine\'s one-line error and no new set', async function () {
    const before = setFilesOnDisk();
    const port = await closedPort();
    const section = vscode.workspace.getConfiguration('pulseBackup', folder.uri);
    await section.update('connectionUrl', `postgresql://${db.user}@127.0.0.1:${port}/${db.database}`, vscode.ConfigurationTarget.WorkspaceFolder);
    try {
      await vscode.commands.executeCommand('pulseBackup.backup', { focus: 'set' });
      const failure = await prompts.waitForMessage((call) => call.kind === 'error');
      assert.ok(!failure.message.includes('\n'), 'one line');
      assert.ok(!/\bat .+:\d+:\d+/.test(failure.message), 'no stack trace');
      assert.match(failure.message, new RegExp(`127\\.0\\.0\\.1:${port}`));
      assert.match(failure.message, /refused|not running|could not connect/i);
      assert.ok(failure.buttons.includes('Configure connection'), `an action that helps (got ${JSON.stringify(failure.buttons)})`);
    } finally {
      await section.update('connectionUrl', urlWithoutPassword, vscode.ConfigurationTarget.WorkspaceFolder);
    }
    assert.deepEqual(setFilesOnDisk(), before);
  });

  it('lists sets made by the old script (no manifest) as such', async function () {
    const stamp = '20250901_173948';
    for (const type of ['schema', 'data', 'complete']) {
      const source = readdirSync(backupsFolder).find((name) => name.startsWith(`${firstSetId.replace(/_\d{8}_\d{6}$/, '')}_${type}_backup_${firstSetId.slice(-15)}`));
      assert.ok(source);
      copyFileSync(path.join(backupsFolder, source), path.join(backupsFolder, `factory_pulse_${type}_backup_${stamp}.sql`));
    }
    const legacy = await setNode(`factory_pulse_${stamp}`);
    assert.equal(legacy.entry.set.status, 'legacy');
    const item = api.backupsTree.getTreeItem(legacy) as vscode.TreeItem;
    assert.equal((item.iconPath as vscode.ThemeIcon).id, 'archive');
    assert.match(String((item.accessibilityInformation ?? { label: '' }).label), /from the old script \(no manifest\)/);
    const nodes = await setNodes();
    assert.equal(nodes[nodes.length - 1].entry.set.id, `factory_pulse_${stamp}`, 'newest first: the 2025 set comes last');
  });

  it('Pin, Copy restore command, Open report and Delete work on a set from the tree', async function () {
    const node = await setNode(firstSetId);
    await vscode.commands.executeCommand('pulseBackup.pin', node);
    const pinned = await waitFor('the set to show as pinned', async () => {
      const fresh = await setNode(firstSetId);
      return fresh.entry.set.pinned ? fresh : undefined;
    });
    assert.match(String((api.backupsTree.getTreeItem(pinned) as vscode.TreeItem).contextValue), /\bpinned\b/);
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
    await waitFor(`a report tab (tabs: ${JSON.stringify(vscode.window.tabGroups.all.flatMap((group) => group.tabs.map((tab) => tab.label)))})`, () => reportTabs().length > 0 || undefined, 10_000);
    // Both commands were for the same set: one panel, revealed again.
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.equal(reportTabs().length, 1, 'one report panel per set');
    const [tab] = reportTabs();
    assert.ok(tab.label.includes(firstSetId), tab.label);
    await vscode.window.tabGroups.close(tab);

    const legacyId = 'factory_pulse_20250901_173948';
    const legacy = await setNode(legacyId);
    prompts.answerMessage = (call) => (call.modal && call.message.startsWith(`Delete backup set ${legacyId}`) ? 'Delete' : undefined);
    await vscode.commands.executeCommand('pulseBackup.delete', legacy);
    await waitFor('the deleted set to leave the tree', async () => ((await setNodes()).some((candidate) => candidate.entry.set.id === legacyId) ? undefined : true));
    assert.ok(!setFilesOnDisk().some((name) => name.includes('20250901_173948')));
    assertNoErrors();
  });

  it("Prune old backups removes what the engine's retention plan says, after a confirmation that lists it", async function () {
    const section = vscode.workspace.getConfiguration('pulseBackup', folder.uri);
    await section.update('retentionKeep', 1, vscode.ConfigurationTarget.WorkspaceFolder);
    try {
      // Safety sets have a retention of their own: a second real backup makes one to prune.
      await runBackup({ target: parseConnectionUrl(dbUrl), folder: backupsFolder, prefix: 'factory_pulse', env: process.env });
      const plan = await pruneSets({ folder: backupsFolder, prefix: 'factory_pulse', keep: 1, env: process.env, verify: verifySet, dryRun: true });
      assert.ok(plan.removed.length > 0, 'two real backups of the prefix and keep 1: something to prune');
      const kept = [...plan.kept, ...plan.keptSafety, ...plan.protected].map((set) => set.id);
      prompts.answerMessage = (call) => (call.modal && call.buttons.includes('Remove') ? 'Remove' : undefined);
      await vscode.commands.executeCommand('pulseBackup.prune');
      assertNoErrors();
      const confirmation = prompts.messages.find((call) => call.modal);
      assert.ok(confirmation);
      for (const set of plan.removed) assert.ok(confirmation.detail?.includes(set.id), `the confirmation names ${set.id}`);
      const remaining = (await listSets(backupsFolder)).map((set) => set.id).sort();
      assert.deepEqual(remaining, kept.sort());
      await waitFor('the tree to show what is left', async () =>
        JSON.stringify((await setNodes()).map((node) => node.entry.set.id).sort()) === JSON.stringify(remaining) ? true : undefined,
      );
    } finally {
      await section.update('retentionKeep', undefined, vscode.ConfigurationTarget.WorkspaceFolder);
    }
  });

  it('notices a removed backups folder: the tree empties and the status bar offers a backup again', async function () {
    rmSync(backupsFolder, { recursive: true, force: true });
    await waitFor('an empty tree', async () => ((await rootNodes()).length === 0 ? true : undefined));
    await waitFor('the status bar to say there is no backup', () => (api.statusBar().text === '$(database) no backup' ? true : undefined));
  });
});

