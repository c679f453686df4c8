/**
 * The extension's front door: builds the pieces once and hands each to its
 * owner. Activation is cheap: nothing here touches a database, reads a dump
 * or loads the AWS SDK; the Backups view lists its folder when it becomes
 * visible (the offsite storage when its Remote group is expanded), and the
 * status bar lists (names, sizes, small manifests) once activation is done.
 * It activates at start-up in a folder that has backup sets or a Supabase
 * project (package.json's activationEvents), so the status bar is there.
 */
import * as vscode from 'vscode';
import { showError, showInformation, showWarning } from './notifications';
import { BackupsStore } from './backupsStore';
import { Commands } from './commands';
import { DiffDocuments } from './diffDocuments';
import { SettingsStore } from './settingsStore';
import { addToGitIgnore, gitIgnoreState } from './gitignore';
import { Log } from './log';
import { OffsiteCommands } from './offsiteCommands';
import { OffsiteStore } from './offsiteStore';
import { EncryptionCommands } from './encryptionCommands';
import { Passphrases } from './passphrases';
import { REPORT_VIEW_TYPE, ReportPanelSerializer } from './reportPanel';
import type { FolderSettings } from './settings';
import { BackupStatusBar, type StatusBarState } from './statusBar';
import { CommandGuard } from './guard';
import { BackupScheduler } from './scheduler';
import type { SlotOutcome } from '../core/schedule/runner';
import { PulseTasks } from './tasks';
import { BACKUPS_VIEW_ID, BackupsTreeProvider, type BackupsNode } from './tree';

/**
 * What activation hands to other extensions and to the extension's own
 * tests (`vscode.extensions.getExtension(...).exports`): read access to what
 * a person sees, so automation can check it without scraping the screen.
 */
export interface PulseBackupApi {
  /** The Backups view's data, exactly as the view shows it. */
  readonly backupsTree: vscode.TreeDataProvider<BackupsNode>;
  /** The status bar item as shown now. */
  statusBar(): StatusBarState;
  /** The Pulse Backup log's recent lines ("[info] …"), as a person reads them in Show Log. */
  logLines(): readonly string[];
  /** The line the Backups view shows above its content, if any. */
  viewMessage(): string | undefined;
  /**
   * pulseBackup.schedule's decision for a folder (by name) at a moment, as
   * its timer makes it; `now` lets a test stand for a machine waking from
   * sleep. What it did: ran, skipped (unchanged), covered, busy, wait, failed.
   */
  runSchedule(folderName: string, now?: Date): Promise<SlotOutcome | undefined>;
  /** The guard's warnings so far, newest last. */
  guardWarnings(): readonly string[];
}

export function activate(context: vscode.ExtensionContext): PulseBackupApi {
  const log = new Log();
  const config = new SettingsStore(context.secrets, log);
  const store = new BackupsStore(config, log);
  const offsite = new OffsiteStore(config, context.secrets, log);
  const passphrases = new Passphrases(context.secrets, log);
  const tasks = new PulseTasks({
    config,
    store,
    offsite,
    passphrases,
    log,
    afterBackup: (folder, settings) => void offerGitIgnore(context.workspaceState, folder, settings, log),
  });
  const diffDocuments = new DiffDocuments();
  const commands = new Commands({ extensionUri: context.extensionUri, config, store, offsite, passphrases, log, tasks, diffDocuments });
  const encryptionCommands = new EncryptionCommands(config, passphrases, log);
  const offsiteCommands = new OffsiteCommands({ config, store, offsite, log, tasks, restore: (folder, setId) => commands.reportDependencies.restore(folder, setId) });

  const tree = new BackupsTreeProvider(store, offsite);
  const treeView = vscode.window.createTreeView(BACKUPS_VIEW_ID, { treeDataProvider: tree, showCollapseAll: true });
  tree.setVisible(treeView.visible);
  const scheduler = new BackupScheduler(config, store, tasks, log);
  const guard = new CommandGuard(config, store, tasks, log);
  const statusBar = new BackupStatusBar(store, offsite, (folder) => scheduler.describe(folder));
  const describeFolders = () => void describeSupabaseFolders(store, treeView);

  context.subscriptions.push(
    log,
    config,
    store,
    offsite,
    tasks,
    diffDocuments,
    commands,
    offsiteCommands,
    encryptionCommands,
    tree,
    treeView,
    treeView.onDidChangeVisibility((event) => tree.setVisible(event.visible)),
    statusBar,
    scheduler,
    scheduler.onDidChange(() => statusBar.update()),
    guard,
    vscode.window.registerWebviewPanelSerializer(REPORT_VIEW_TYPE, new ReportPanelSerializer(commands.reportDependencies)),
    vscode.workspace.onDidGrantWorkspaceTrust(() => store.refresh()),
    store.onDidChange(describeFolders),
  );
  describeFolders();
  // After activation has returned: listing never delays the extension host.
  setTimeout(() => statusBar.update(), 0);
  return {
    backupsTree: tree,
    statusBar: () => statusBar.state(),
    logLines: () => log.lines(),
    viewMessage: () => treeView.message || undefined,
    runSchedule: (folderName, now) => {
      const folder = config.folders.find((candidate) => candidate.name === folderName);
      return folder ? scheduler.runDue(folder, now) : Promise.resolve(undefined);
    },
    guardWarnings: () => guard.warnings,
  };
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions; running tasks are
  // aborted when VS Code closes their terminals.
}

/** Asked once per backups folder, after its first backup in a trusted workspace. */
async function offerGitIgnore(memento: vscode.Memento, folder: vscode.WorkspaceFolder, settings: FolderSettings, log: Log): Promise<void> {
  const key = `pulseBackup.gitIgnoreOffered:${settings.backupsFolder}`;
  if (!vscode.workspace.isTrusted || memento.get<boolean>(key)) return;
  const state = await gitIgnoreState(settings.backupsFolder, process.env);
  if (state.state === 'unknown') log.warn(`could not ask git whether ${settings.backupsFolder} is ignored: ${state.detail ?? 'no reason given'}`);
  if (state.state !== 'not-ignored' || state.repositoryRoot === null) return;
  await memento.update(key, true);
  const add = 'Add to .gitignore';
  const choice = await showWarning(
    `The backups folder of ${folder.name} (${settings.backupsFolder}) is inside a git repository and not ignored: a commit could publish your database. Add it to .gitignore?`,
    add,
    'Not Now',
  );
  if (choice !== add) return;
  try {
    const line = await addToGitIgnore(state.repositoryRoot, settings.backupsFolder);
    void showInformation(`Added ${line} to ${state.repositoryRoot}/.gitignore.`);
  } catch (error) {
    log.error('adding the backups folder to .gitignore', error);
    void showError(`Could not update .gitignore: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/**
 * In a Supabase project the welcome text speaks of the project (a context
 * key picks it), and while it has no backups the view says which database
 * a backup reads, at the project's own port.
 */
async function describeSupabaseFolders(store: BackupsStore, view: vscode.TreeView<BackupsNode>): Promise<void> {
  const listings = await store.allListings();
  const projects = listings.filter((listing) => listing.settings?.supabase !== undefined);
  await vscode.commands.executeCommand('setContext', 'pulseBackup.supabaseProject', projects.length > 0);
  const empty = projects.filter((listing) => listing.entries.length === 0 && listing.settings?.connectionUrl === undefined);
  view.message =
    listings.length === 1 && empty.length === 1 && empty[0].settings?.supabase
      ? `Supabase project ${empty[0].settings.supabase.projectId ?? empty[0].folder.name}: backups read its local database, postgres@127.0.0.1:${empty[0].settings.supabase.dbPort}/postgres (supabase/config.toml).`
      : undefined;
}
