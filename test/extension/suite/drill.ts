/**
 * What the project window's drills share (offsite.test.ts,
 * encryption.test.ts): each makes sets of its own under a prefix of its own
 * and takes them away when it ends, finds a set's row once the view lists
 * it whole, configures the connection as a person does, and changes the
 * database behind the extension's back so a restore has something to undo.
 */
import { strict as assert } from 'node:assert';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { Client } from 'pg';
import * as vscode from 'vscode';
import type { PulseBackupApi } from '../../../src/extension/extension';
import type { BackupsNode, SetNode } from '../../../src/extension/tree';
import { activatedApi, tasksEnded, waitFor } from './helpers';
import type { ScriptedPrompts } from './prompts';

/**
 * The hooks every drill has: the prompts reset before each test, no task
 * left running after one, and a failed test's log and messages printed.
 */
export function useDrillHooks(prompts: ScriptedPrompts, api: () => PulseBackupApi): void {
  beforeEach(function () {
    prompts.reset();
  });
  afterEach(async function () {
    await tasksEnded();
    // A test that failed before its restore leaves users deleted; the next test must find the database whole.
    await putBackDeletedUsers();
    if (this.currentTest?.state !== 'failed') return;
    console.log(`    log (last 30 lines):\n${api().logLines().slice(-30).join('\n')}\n    messages: ${JSON.stringify(prompts.messages.map((call) => call.message))}`);
  });
}

/** The files of the backups folder as a drill found it, to take away what it added when it ends. */
function filesOf(folder: string): Set<string> {
  return new Set(existsSync(folder) ? readdirSync(folder) : []);
}

export function removeFilesAddedSince(folder: string, atStart: ReadonlySet<string>): void {
  for (const name of [...filesOf(folder)].filter((file) => !atStart.has(file))) rmSync(path.join(folder, name), { force: true });
}

/** Every set row of the view, also those inside a group (after many sets the view groups them like the Timeline). */
async function setRows(api: PulseBackupApi): Promise<SetNode[]> {
  const roots = (await api.backupsTree.getChildren(undefined)) ?? [];
  const nested = await Promise.all(roots.filter((node) => node.kind === 'group').map(async (node) => (await api.backupsTree.getChildren(node)) ?? []));
  return [...roots, ...nested.flat()].filter((node: BackupsNode): node is SetNode => node.kind === 'set');
}

/** The set's row once the view lists it whole (a listing made while the set was written shows it as being written). */
export async function wholeSetNode(api: PulseBackupApi, setId: string): Promise<SetNode> {
  return waitFor(`set ${setId} in the Backups view, whole`, async () => (await setRows(api)).find((node) => node.entry.set.id === setId && node.entry.set.status === 'complete'));
}

/** Returns once the view no longer lists the set, in any group. */
export async function setLeftView(api: PulseBackupApi, setId: string): Promise<void> {
  await waitFor(`set ${setId} to leave the Backups view`, async () => ((await setRows(api)).some((node) => node.entry.set.id === setId) ? undefined : true));
}

/** The database as Configure Connection leaves it, answered as a person types the URL (the window's other tests do the same). */
export async function ensureConnection(prompts: ScriptedPrompts, folder: vscode.WorkspaceFolder, urls: { withPassword: string; withoutPassword: string }): Promise<void> {
  if (vscode.workspace.getConfiguration('pulseBackup', folder.uri).get<string>('connectionURL') === urls.withoutPassword) return;
  prompts.answerInput = (call) => (call.password ? undefined : urls.withPassword);
  await vscode.commands.executeCommand('pulseBackup.configureConnection');
  await prompts.waitForMessage((call) => call.kind === 'information' && /Connected: PostgreSQL/.test(call.message));
  prompts.reset();
}

/** Users a drill deleted, kept until its test ends so a test that fails before its restore does not leave them missing. */
const deletedUsers: { dbUrl: string; rows: unknown[] }[] = [];

/** Back Up Database from the palette: the new set's id, from the toast that says it is written (no error shown before it). */
export async function backUpFromPalette(prompts: ScriptedPrompts): Promise<string> {
  await vscode.commands.executeCommand('pulseBackup.backup');
  const toast = await prompts.waitForMessage((call) => call.kind === 'information' && /^Backup \S+ written/.test(call.message), 180_000);
  assert.deepEqual(
    prompts.messages.filter((call) => call.kind === 'error').map((call) => call.message),
    [],
  );
  return /^Backup (\S+) written/.exec(toast.message)?.[1] ?? '';
}

/** Restore… of a set in complete mode, its confirmation answered Restore. */
export async function restoreComplete(prompts: ScriptedPrompts, folder: vscode.WorkspaceFolder, setId: string): Promise<void> {
  prompts.answerQuickPick = (call) => (call.title === `Restore ${setId}` ? 'Complete' : undefined);
  prompts.answerMessage = (call) => (call.modal && call.buttons.includes('Restore') ? 'Restore' : undefined);
  await vscode.commands.executeCommand('pulseBackup.restore', { folderUri: folder.uri.toString(), setId });
}

/** Deletes the users matching `where`, their foreign keys not in the way: a change a restore must undo. */
export async function deleteUsers(dbUrl: string, where: string): Promise<void> {
  await withDatabase(dbUrl, async (database) => {
    await database.query('SET session_replication_role = replica');
    const deleted = await database.query(`DELETE FROM users WHERE ${where} RETURNING *`);
    deletedUsers.push({ dbUrl, rows: deleted.rows });
  });
}

/** Puts back the deleted users a restore did not bring back, as they were (a restore that did leaves nothing to do). */
async function putBackDeletedUsers(): Promise<void> {
  for (const { dbUrl, rows } of deletedUsers.splice(0)) {
    await withDatabase(dbUrl, async (database) => {
      await database.query('SET session_replication_role = replica');
      await database.query('INSERT INTO users OVERRIDING SYSTEM VALUE SELECT * FROM json_populate_recordset(NULL::users, $1) ON CONFLICT DO NOTHING', [JSON.stringify(rows)]);
    });
  }
}

export async function withDatabase(dbUrl: string, use: (database: Client) => Promise<void>): Promise<void> {
  const database = new Client({ connectionString: dbUrl });
  await database.connect();
  try {
    await use(database);
  } finally {
    await database.end();
  }
}

export interface DrillStart {
  folder: vscode.WorkspaceFolder;
  backupsFolder: string;
  /** The backups folder's files before the drill, which it leaves there. */
  filesAtStart: Set<string>;
  api: PulseBackupApi;
}

/** A drill's start in the project window: its one folder, the prompts scripted, the extension activated. */
export async function startDrill(prompts: ScriptedPrompts): Promise<DrillStart> {
  const folders = vscode.workspace.workspaceFolders;
  assert.ok(folders && folders.length === 1, 'the runner opens exactly one workspace folder');
  const backupsFolder = path.join(folders[0].uri.fsPath, 'backups');
  const filesAtStart = filesOf(backupsFolder);
  prompts.install();
  return { folder: folders[0], backupsFolder, filesAtStart, api: await activatedApi() };
}
