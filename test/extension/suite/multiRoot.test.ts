/**
 * A multi-root workspace (test/extension/run.ts makes it): two plants, each
 * folder backing up its own database into its own backups folder with its
 * own prefix. The view groups the sets by folder, the status bar names the
 * folder it speaks of, and a task says which folder it is for.
 */
import { strict as assert } from 'node:assert';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { PulseBackupApi } from '../../../src/extension/extension';
import type { BackupsNode, FolderNode, SetNode } from '../../../src/extension/tree';
import { databaseUrl, labelOf, startTask, tasksEnded, testDatabase, useActivatedExtension, waitFor } from './helpers';
import { ScriptedPrompts } from './prompts';

describe('Pulse Backup in a multi-root workspace', function () {
  const db = testDatabase();
  const prompts = new ScriptedPrompts();
  let api: PulseBackupApi;
  let berlin: vscode.WorkspaceFolder;
  let porto: vscode.WorkspaceFolder;

  const backupsOf = (folder: vscode.WorkspaceFolder) => path.join(folder.uri.fsPath, 'backups');

  async function folderNodes(): Promise<FolderNode[]> {
    return ((await api.backupsTree.getChildren(undefined)) ?? []).filter((node): node is FolderNode => node.kind === 'folder');
  }

  async function setsUnder(folder: vscode.WorkspaceFolder): Promise<SetNode[]> {
    const node = (await folderNodes()).find((candidate) => candidate.listing.folder.uri.toString() === folder.uri.toString());
    if (!node) return [];
    const children: BackupsNode[] = (await api.backupsTree.getChildren(node)) ?? [];
    return children.filter((child): child is SetNode => child.kind === 'set');
  }

  async function configure(folder: vscode.WorkspaceFolder, database: string): Promise<void> {
    prompts.reset();
    prompts.answerFolderPick = (folders) => folders.find((candidate) => candidate.name === folder.name);
    prompts.answerInput = (call) => (call.password ? undefined : databaseUrl(db, database, true));
    await vscode.commands.executeCommand('pulseBackup.configureConnection');
    assert.equal(vscode.workspace.getConfiguration('pulseBackup', folder.uri).get('connectionURL'), databaseUrl(db, database, false));
    await prompts.waitForMessage((call) => call.kind === 'information' && call.message.includes('Connected: PostgreSQL'));
  }

  async function backUp(folder: vscode.WorkspaceFolder): Promise<string> {
    prompts.reset();
    prompts.answerFolderPick = (folders) => folders.find((candidate) => candidate.name === folder.name);
    await vscode.commands.executeCommand('pulseBackup.backup');
    assert.deepEqual(
      prompts.messages.filter((call) => call.kind === 'error').map((call) => call.message),
      [],
    );
    const done = await prompts.waitForMessage((call) => /^Backup \S+ written/.test(call.message));
    return /^Backup (\S+) written/.exec(done.message)?.[1] ?? '';
  }

  const databaseOf = (folder: vscode.WorkspaceFolder) => (folder === berlin ? db.database : db.secondDatabase);

  /** Each folder's connection as Configure Connection leaves it, unless it is so already. */
  async function ensureConnections(): Promise<void> {
    for (const folder of [berlin, porto]) {
      if (vscode.workspace.getConfiguration('pulseBackup', folder.uri).get('connectionURL') !== databaseUrl(db, databaseOf(folder), false))
        await configure(folder, databaseOf(folder));
    }
    prompts.reset();
  }

  /** A set in the folder's backups folder: one there already, else a new one. */
  async function ensureSet(folder: vscode.WorkspaceFolder): Promise<void> {
    await ensureConnections();
    const there = existsSync(backupsOf(folder)) && readdirSync(backupsOf(folder)).some((name) => name.endsWith('.manifest.json'));
    if (!there) await backUp(folder);
    await tasksEnded();
    await waitFor(`a set under ${folder.name} in the view`, async () => ((await setsUnder(folder)).length > 0 ? true : undefined));
    prompts.reset();
  }

  /** Neither folder has backups, and the view knows it. */
  async function removeBackups(): Promise<void> {
    for (const folder of [berlin, porto]) rmSync(backupsOf(folder), { recursive: true, force: true });
    await waitFor('no sets in the view', async () =>
      (await folderNodes()).length === 0 && ((await api.backupsTree.getChildren(undefined)) ?? []).length === 0 ? true : undefined,
    );
  }

  before(function () {
    const folders = vscode.workspace.workspaceFolders ?? [];
    assert.deepEqual(
      folders.map((folder) => folder.name),
      ['plant-berlin', 'plant-porto'],
    );
    [berlin, porto] = folders;
  });
  useActivatedExtension(prompts, (activated) => (api = activated));

  it('each folder has its own connection: Configure connection asks which folder', async function () {
    await removeBackups();
    await configure(berlin, db.database);
    await configure(porto, db.secondDatabase);
    assert.deepEqual(await api.backupsTree.getChildren(undefined), [], 'no backups anywhere yet: the welcome view');
  });

  it('backs up each folder into its own backups folder, with its own prefix, and the view groups the sets by folder', async function () {
    await ensureConnections();
    await removeBackups();
    const berlinSet = await backUp(berlin);
    assert.match(berlinSet, /^plant_berlin_\d{8}_\d{6}$/);
    const nodes = await waitFor('a folder node per workspace folder', async () => ((await folderNodes()).length === 2 ? folderNodes() : undefined));
    assert.deepEqual(
      nodes.map((node) => labelOf(api.backupsTree.getTreeItem(node) as vscode.TreeItem)),
      ['plant-berlin', 'plant-porto'],
    );
    const portoChildren = (await api.backupsTree.getChildren(nodes[1])) ?? [];
    assert.deepEqual(
      portoChildren.map((child) => (child.kind === 'info' ? child.label : child.kind)),
      ['No backups yet'],
    );
    assert.deepEqual(
      (await setsUnder(berlin)).map((node) => node.entry.set.id),
      [berlinSet],
    );

    const portoSet = await backUp(porto);
    assert.match(portoSet, /^plant_porto_\d{8}_\d{6}$/);
    await waitFor('the porto set under plant-porto', async () => ((await setsUnder(porto)).some((node) => node.entry.set.id === portoSet) ? true : undefined));
    assert.ok(
      readdirSync(backupsOf(berlin)).every((name) => !name.startsWith('plant_porto_')),
      'nothing of porto in berlin/backups',
    );
    assert.ok(
      readdirSync(backupsOf(porto)).every((name) => !name.startsWith('plant_berlin_')),
      'nothing of berlin in porto/backups',
    );
    assert.ok(existsSync(path.join(backupsOf(porto), `${portoSet}.manifest.json`)));
  });

  it('the status bar names the folder it speaks of', async function () {
    // A set just made in each folder: both are fresh, and the one shown is named.
    await ensureConnections();
    await backUp(berlin);
    await backUp(porto);
    const state = await waitFor('the status bar', () => {
      const current = api.statusBar();
      return /^\$\(database\) plant-(berlin|porto): just now$/.test(current.text) ? current : undefined;
    });
    assert.match(state.tooltip, /plant-berlin/);
    assert.match(state.tooltip, /plant-porto/);
  });

  it("Back Up Database started for a folder (the scheduler's and the guard's Back Up Now, the status bar) backs up that folder without asking which", async function () {
    await ensureConnections();
    prompts.reset();
    let asked = 0;
    prompts.answerFolderPick = () => {
      asked += 1;
      return undefined;
    };
    const before = readdirSync(backupsOf(porto)).filter((name) => name.endsWith('.manifest.json')).length;
    await vscode.commands.executeCommand('pulseBackup.backup', porto);
    await prompts.waitForMessage((call) => /^Backup plant_porto_\S+ written/.test(call.message));
    await tasksEnded();
    prompts.answerFolderPick = () => {
      asked += 1;
      return undefined;
    };
    await vscode.commands.executeCommand('pulseBackup.backup', { folderUri: porto.uri.toString() });
    await waitFor('the second porto set', () => (readdirSync(backupsOf(porto)).filter((name) => name.endsWith('.manifest.json')).length >= before + 2 ? true : undefined));
    await tasksEnded();
    assert.equal(asked, 0, 'no folder was asked for');
  });

  it('a task from the workspace file runs for the folder it names', async function () {
    await ensureSet(berlin);
    await ensureSet(porto);
    const task = (await vscode.tasks.fetchTasks({ type: 'pulse-backup' })).find((candidate) => candidate.name === 'verify porto');
    assert.ok(task, 'the workspace file declares "verify porto"');
    assert.equal(await startTask(task).ended, 0);
    const porto1 = (await setsUnder(porto))[0];
    await waitFor('porto to show its verification', async () => {
      const children =
        (await api.backupsTree.getChildren(await waitFor('porto set', async () => (await setsUnder(porto)).find((node) => node.entry.set.id === porto1.entry.set.id)))) ?? [];
      return children.some((child) => child.kind === 'info' && child.label.startsWith('Verified ')) || undefined;
    });
    const berlinSet = (await setsUnder(berlin))[0];
    const berlinChildren = (await api.backupsTree.getChildren(berlinSet)) ?? [];
    assert.ok(
      berlinChildren.some((child) => child.kind === 'info' && child.label === 'Not verified yet'),
      'berlin was not verified',
    );
  });

  it("Choose Backups Folder writes the scope that holds the value: the workspace file's setting stays in the workspace file", async function () {
    const workspaceFile = vscode.workspace.workspaceFile;
    assert.ok(workspaceFile, 'a multi-root workspace has a workspace file');
    const shared = path.join(path.dirname(workspaceFile.fsPath), 'shared-backups');
    const chosen = path.join(path.dirname(workspaceFile.fsPath), 'chosen-backups');
    mkdirSync(chosen, { recursive: true });
    const section = () => vscode.workspace.getConfiguration('pulseBackup', porto.uri);
    await section().update('backupsFolder', shared, vscode.ConfigurationTarget.Workspace);
    try {
      prompts.reset();
      prompts.answerFolderPick = (folders) => folders.find((candidate) => candidate.name === porto.name);
      prompts.answerOpenDialog = (options) => (options?.canSelectFolders ? [vscode.Uri.file(chosen)] : undefined);
      await vscode.commands.executeCommand('pulseBackup.chooseBackupsFolder');
      const done = await prompts.waitForMessage((call) => call.kind === 'information' && call.message.includes('backups folder of plant-porto'));
      assert.match(done.message, /in the workspace settings\)\.$/);
      const inspected = section().inspect<string>('backupsFolder');
      assert.equal(inspected?.workspaceValue, chosen, 'the workspace file holds the new value');
      assert.equal(inspected?.workspaceFolderValue, undefined, 'no folder setting shadows it');
      assert.equal(inspected?.globalValue, undefined, 'the user settings are untouched');
      assert.equal(vscode.workspace.getConfiguration('pulseBackup', berlin.uri).get('backupsFolder'), chosen, 'a workspace setting applies to every folder');
      assert.ok(readFileSync(workspaceFile.fsPath, 'utf8').includes(JSON.stringify(chosen)));
      assert.ok(
        !existsSync(path.join(porto.uri.fsPath, '.vscode', 'settings.json')) ||
          !readFileSync(path.join(porto.uri.fsPath, '.vscode', 'settings.json'), 'utf8').includes('backupsFolder'),
      );
    } finally {
      await section().update('backupsFolder', undefined, vscode.ConfigurationTarget.Workspace);
    }
  });
});
