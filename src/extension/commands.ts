/**
 * Every pulseBackup.* command. Commands about one set take it from the tree
 * (a SetNode), from the status bar or the report ({ folderUri, setId }), or
 * ask for it. Work a person should watch (backup, verify, restore) runs as a
 * task (tasks.ts); quick things (pin, delete, prune) run here behind a
 * progress notification. Every failure goes through showFailure.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { describeTarget, resolveConnection } from '../core/connection';
import { PulseError, toPulseError } from '../core/errors';
import { formatBytes } from '../core/format';
import type { ListedSet } from '../core/listing';
import type { BackupFileType } from '../core/manifest';
import { buildReport } from '../core/report';
import type { RestoreMode } from '../core/restore';
import { deleteSet, pinSet, pruneSets, unpinSet, type PruneResult } from '../core/retention';
import { findSupabaseCli } from '../core/supabaseReset';
import { verifySet } from '../core/verify';
import type { BackupsStore, FolderListing } from './backups';
import { defaultUrlOf, pickWorkspaceFolder, type Config } from './config';
import { Disposable } from './lifecycle';
import { showFailure, type Log } from './log';
import { ReportPanel, type ReportPanelDependencies } from './reportPanel';
import { splitPassword } from './settings';
import { TASK_TYPE, type PulseTasks, type TaskOutcome } from './tasks';
import type { BackupsNode, FileNode, SetNode } from './tree';
import { FILE_TYPE_WORDS, setLabel } from './viewModel';

/** How a command names a set when it does not come from the tree. */
export interface SetReference {
  folderUri: string;
  setId: string;
}

interface ResolvedSet {
  folder: vscode.WorkspaceFolder;
  listing: FolderListing;
  backupsFolder: string;
  set: ListedSet;
}

interface CommandDependencies {
  extensionUri: vscode.Uri;
  config: Config;
  store: BackupsStore;
  log: Log;
  tasks: PulseTasks;
}

export class Commands extends Disposable {
  readonly reportDependencies: ReportPanelDependencies;

  constructor(private readonly dependencies: CommandDependencies) {
    super();
    this.reportDependencies = {
      extensionUri: dependencies.extensionUri,
      config: dependencies.config,
      store: dependencies.store,
      log: dependencies.log,
      verify: (folder, setId) => this.verify({ folderUri: folder.uri.toString(), setId }),
      restore: (folder, setId) => this.restore({ folderUri: folder.uri.toString(), setId }),
    };
    const commands: Record<string, (...args: unknown[]) => Promise<void> | void> = {
      'pulseBackup.backup': (arg) => this.backup(arg),
      'pulseBackup.verifyLatest': () => this.verifyLatest(),
      'pulseBackup.openReport': (arg) => this.openReport(arg),
      'pulseBackup.prune': () => this.prune(),
      'pulseBackup.configureConnection': () => this.configureConnection(),
      'pulseBackup.showLog': () => dependencies.log.show(),
      'pulseBackup.refresh': () => dependencies.store.refresh(),
      'pulseBackup.restore': (arg) => this.restore(arg),
      'pulseBackup.verify': (arg) => this.verify(arg),
      'pulseBackup.copyRestoreCommand': (arg) => this.copyRestoreCommand(arg),
      'pulseBackup.revealSet': (arg) => this.revealSet(arg),
      'pulseBackup.pin': (arg) => this.setPinned(arg, true),
      'pulseBackup.unpin': (arg) => this.setPinned(arg, false),
      'pulseBackup.delete': (arg) => this.deleteSet(arg),
      'pulseBackup.openFile': (arg) => this.openFile(arg),
      'pulseBackup.copyPath': (arg) => this.copyPath(arg),
    };
    for (const [id, run] of Object.entries(commands)) {
      this._register(
        vscode.commands.registerCommand(id, async (...args: unknown[]) => {
          try {
            await run(...args);
          } catch (error) {
            await showFailure(dependencies.log, id, error);
          }
        }),
      );
    }
  }

  // -------------------------------------------------------------------------
  // Backup, verify, restore: tasks

  /**
   * The engine always writes the whole set (schema, data and complete) from
   * one pg_dump run and one snapshot: a schema-only run would cost as much
   * and lose the consistency. So the choice here is which file the person
   * wants to look at afterwards, and the quick pick says so.
   */
  private async backup(arg: unknown): Promise<void> {
    const { config, store, tasks } = this.dependencies;
    const folder = await pickWorkspaceFolder(config, 'Back up the database of which folder?');
    if (!folder) return;
    config.requireTrust('Backing up');
    const focus = isBackupFocus(arg) ? arg.focus : await pickBackupFocus();
    if (focus === undefined) return;
    if (store.isRunning('backup', folder)) {
      void vscode.window.showInformationMessage(`A backup of ${folder.name} is already running.`);
      return;
    }
    const outcome = await tasks.run({ type: TASK_TYPE, action: 'backup' }, folder);
    if (await this.failed(outcome, 'backup')) return;
    const manifest = outcome.backup?.manifest;
    if (!manifest) return;
    const total = manifest.files.reduce((sum, file) => sum + file.bytes, 0);
    const fileToOpen = focus === 'set' ? undefined : manifest.files.find((file) => file.type === focus);
    const openFile = fileToOpen ? `Open ${FILE_TYPE_WORDS[fileToOpen.type].toLowerCase()}` : undefined;
    const choice = await vscode.window.showInformationMessage(
      `Backup ${manifest.id} written (${formatBytes(total)}, ${manifest.tables.length} tables).`,
      'Open report',
      ...(openFile ? [openFile] : []),
    );
    if (choice === 'Open report') ReportPanel.createOrShow(this.reportDependencies, folder, manifest.id);
    else if (choice === openFile && fileToOpen && outcome.backup) {
      await vscode.commands.executeCommand('vscode.open', vscode.Uri.file(path.join(outcome.backup.folder, fileToOpen.name)));
    }
  }

  private async verifyLatest(): Promise<void> {
    const folder = await pickWorkspaceFolder(this.dependencies.config, 'Verify the latest backup of which folder?');
    if (!folder) return;
    const listing = await this.dependencies.store.listing(folder);
    throwIfUnusable(listing);
    const newest = listing.entries.find((entry) => entry.set.status !== 'running');
    if (!newest) throw noSets(listing);
    await this.verify({ folderUri: folder.uri.toString(), setId: newest.set.id });
  }

  private async verify(arg: unknown): Promise<void> {
    const resolved = await this.resolveSet(arg, 'Verify which backup set?');
    if (!resolved) return;
    const outcome = await this.dependencies.tasks.run({ type: TASK_TYPE, action: 'verify', setId: resolved.set.id }, resolved.folder);
    const report = outcome.verification;
    if (!report) {
      await this.failed(outcome, 'verify');
      return;
    }
    const checks = report.groups.flatMap((group) => group.checks);
    const flagged = checks.filter((check) => check.status !== 'pass');
    const text =
      report.outcome === 'pass'
        ? `${report.setId} verifies: all ${checks.length} checks passed.`
        : `${report.setId} ${report.outcome === 'fail' ? 'failed verification' : 'verifies with warnings'}: ${flagged.map((check) => `${check.title}: ${check.detail}`).join('; ')}`;
    const choice =
      report.outcome === 'pass'
        ? await vscode.window.showInformationMessage(text, 'Open report')
        : report.outcome === 'warn'
          ? await vscode.window.showWarningMessage(text, 'Open report')
          : await vscode.window.showErrorMessage(text, 'Open report');
    if (choice === 'Open report') ReportPanel.createOrShow(this.reportDependencies, resolved.folder, resolved.set.id);
  }

  private async restore(arg: unknown): Promise<void> {
    const resolved = await this.resolveSet(arg, 'Restore which backup set?');
    if (!resolved) return;
    this.dependencies.config.requireTrust('Restoring');
    const settings = this.dependencies.config.settingsFor(resolved.folder);
    const canReset = settings.supabase !== undefined && findSupabaseCli(process.env) !== undefined;
    const choice = await pickRestoreMode(resolved.set, canReset);
    if (!choice) return;
    // The modal in the task names what the pre-flight found in the target,
    // including every object that would be replaced; nothing changes before it.
    const outcome = await this.dependencies.tasks.run(
      { type: TASK_TYPE, action: 'restore', setId: resolved.set.id, mode: choice.mode, clean: true, ...(choice.reset ? { reset: true } : {}) },
      resolved.folder,
    );
    if (await this.failed(outcome, 'restore')) return;
    const result = outcome.restore;
    if (!result) return;
    const safety = result.safetyBackup ? ` Safety backup: ${result.safetyBackup}.` : '';
    const rows = result.rowCountsMatch ? '' : ' Some row counts differ from the manifest: see the task terminal.';
    const message = `Restored ${result.plan.setId} (${result.plan.mode}) into ${result.plan.target}.${safety}${rows}`;
    if (result.rowCountsMatch) void vscode.window.showInformationMessage(message);
    else void vscode.window.showWarningMessage(message);
  }

  /** A failed or cancelled run: its one line (with actions) as a notification. True when it did not succeed. */
  private async failed(outcome: TaskOutcome, what: string): Promise<boolean> {
    if (!outcome.error) return false;
    // The task's terminal has logged it already.
    await showFailure(this.dependencies.log, what, outcome.error, { logged: true });
    return true;
  }

  // -------------------------------------------------------------------------
  // Report

  private async openReport(arg: unknown): Promise<void> {
    const resolved = await this.resolveSet(arg, 'Open the report of which backup set?');
    if (!resolved) return;
    ReportPanel.createOrShow(this.reportDependencies, resolved.folder, resolved.set.id);
  }

  private async copyRestoreCommand(arg: unknown): Promise<void> {
    const resolved = await this.resolveSet(arg, 'Copy a restore command of which set?');
    if (!resolved) return;
    // Only the commands are needed: no git, so this works in Restricted Mode too.
    const report = await buildReport({ folder: resolved.backupsFolder, setId: resolved.set.id, env: process.env, git: false });
    const items = report.restore.options
      .filter((option) => option.available)
      .flatMap((option) =>
        [option.pulseBackup, ...option.psql].map((command) => ({ label: `${option.title}, ${command.title}`, detail: command.command, command: command.command })),
      );
    const chosen = await vscode.window.showQuickPick(items, { title: `Copy a restore command of ${resolved.set.id}`, matchOnDetail: true });
    if (!chosen) return;
    await vscode.env.clipboard.writeText(chosen.command);
    void vscode.window.setStatusBarMessage('$(check) Restore command copied', 3000);
  }

  // -------------------------------------------------------------------------
  // Retention, pin, delete

  private async prune(): Promise<void> {
    const { config, store } = this.dependencies;
    const folder = await pickWorkspaceFolder(config, 'Prune the backups of which folder?');
    if (!folder) return;
    config.requireTrust('Pruning');
    const settings = config.settingsFor(folder);
    const options = { folder: settings.backupsFolder, prefix: settings.prefix, keep: settings.keep, env: process.env, verify: verifySet };
    const plan = await withCancellableProgress(`Looking for backups of ${settings.prefix} to prune…`, (signal) => pruneSets({ ...options, dryRun: true, signal }));
    if (plan.removed.length === 0) {
      void vscode.window.showInformationMessage(nothingToPrune(plan));
      return;
    }
    const bytes = formatBytes(plan.removed.reduce((sum, set) => sum + set.totalBytes, 0));
    const detail = [
      `Keeping the newest ${plan.keep} backups (pulseBackup.retentionKeep) and ${plan.keepSafety} safety backups of ${plan.prefix} in ${plan.folder}.`,
      `Removed: ${plan.removed.map((set) => set.id).join(', ')}.`,
      ...(plan.protected.length > 0 ? [`Kept although older: ${plan.protected.map((set) => `${set.id} (${set.reason})`).join(', ')}.`] : []),
    ].join('\n');
    const choice = await vscode.window.showWarningMessage(
      `Remove ${plan.removed.length} old backup set${plan.removed.length === 1 ? '' : 's'} (${bytes})?`,
      { modal: true, detail },
      'Remove',
    );
    if (choice !== 'Remove') return;
    const operation = store.trackOperation(folder, 'prune');
    try {
      const result = await withCancellableProgress('Pruning old backups…', (signal) => pruneSets({ ...options, signal }));
      void vscode.window.showInformationMessage(`Removed ${result.removed.length} backup set${result.removed.length === 1 ? '' : 's'} of ${result.prefix}.`);
    } finally {
      operation.dispose();
      store.refresh(folder);
    }
  }

  private async setPinned(arg: unknown, pinned: boolean): Promise<void> {
    const resolved = await this.resolveSet(arg, pinned ? 'Pin which backup set?' : 'Unpin which backup set?');
    if (!resolved) return;
    this.dependencies.config.requireTrust(pinned ? 'Pinning' : 'Unpinning');
    await (pinned ? pinSet : unpinSet)(resolved.backupsFolder, resolved.set.id);
    this.dependencies.store.refresh(resolved.folder);
  }

  /** Removes a whole set, after a confirmation, through the engine (the same order and lock as retention). */
  private async deleteSet(arg: unknown): Promise<void> {
    const resolved = await this.resolveSet(arg, 'Delete which backup set?');
    if (!resolved) return;
    this.dependencies.config.requireTrust('Deleting a backup set');
    const { set } = resolved;
    if (set.status === 'running') throw new PulseError('backup-locked', `${set.id} is still being written`, { hint: 'wait for the backup to finish' });
    const detail = [
      `${set.files.length} dump file${set.files.length === 1 ? '' : 's'} (${formatBytes(set.totalBytes)}), its manifest, history and pin marker are removed from ${resolved.backupsFolder}. This cannot be undone.`,
      ...(set.pinned ? ['The set is pinned: retention would have kept it.'] : []),
    ].join('\n');
    const choice = await vscode.window.showWarningMessage(`Delete backup set ${set.id} (${setLabel(set)})?`, { modal: true, detail }, 'Delete');
    if (choice !== 'Delete') return;
    try {
      await deleteSet(resolved.backupsFolder, set.id);
    } finally {
      this.dependencies.store.refresh(resolved.folder);
    }
  }

  // -------------------------------------------------------------------------
  // Files and folders

  private async revealSet(arg: unknown): Promise<void> {
    const resolved = await this.resolveSet(arg, 'Reveal which backup set?');
    if (!resolved) return;
    const file = resolved.set.files.find((candidate) => candidate.type === 'complete') ?? resolved.set.files[0];
    const uri = vscode.Uri.file(file ? path.join(resolved.backupsFolder, file.name) : resolved.backupsFolder);
    // Over a remote connection the OS file manager is on the other machine.
    await vscode.commands.executeCommand(vscode.env.remoteName ? 'revealInExplorer' : 'revealFileInOS', uri);
  }

  private async openFile(arg: unknown): Promise<void> {
    if (!isFileNode(arg)) return;
    await vscode.commands.executeCommand('vscode.open', vscode.Uri.file(arg.path));
  }

  private async copyPath(arg: unknown): Promise<void> {
    if (!isFileNode(arg)) return;
    await vscode.env.clipboard.writeText(arg.path);
  }

  // -------------------------------------------------------------------------
  // Connection

  /**
   * Asks for the URL (without password) and the password; the URL goes to
   * the folder's settings, the password to SecretStorage. A password typed
   * into the URL is moved out of it.
   */
  private async configureConnection(): Promise<void> {
    const { config } = this.dependencies;
    const folder = await pickWorkspaceFolder(config, 'Configure the database of which folder?');
    if (!folder) return;
    const current = config.settingsFor(folder).connectionUrl;
    const entered = await vscode.window.showInputBox({
      title: `Pulse Backup: database of ${folder.name}`,
      prompt: 'PostgreSQL URL without the password, e.g. postgresql://postgres@127.0.0.1:54322/postgres. Empty: use PULSE_BACKUP_DB_URL, DATABASE_URL, PG* or the local Supabase database.',
      value: current === undefined ? '' : splitPassword(current).url,
      ignoreFocusOut: true,
      validateInput: (value) => {
        if (value.trim() === '') return undefined;
        try {
          splitPassword(value);
          return undefined;
        } catch (error) {
          return toPulseError(error).message;
        }
      },
    });
    if (entered === undefined) return;
    const { url, password: passwordInUrl } = entered.trim() === '' ? { url: undefined, password: undefined } : splitPassword(entered);
    await config.saveConnectionUrl(folder, url);
    const target = resolveConnection({ url, env: process.env, ...defaultUrlOf(config.settingsFor(folder)) });
    if (passwordInUrl !== undefined) {
      await config.storePassword(target, passwordInUrl);
      void vscode.window.showInformationMessage(`Saved the URL for ${describeTarget(target)}; its password went into VS Code's secret storage, not the settings.`);
      return;
    }
    if (target.password !== undefined) {
      void vscode.window.showInformationMessage(`Saved. The password for ${describeTarget(target)} comes from the environment (${target.source}).`);
      return;
    }
    const password = await vscode.window.showInputBox({
      title: `Password for ${describeTarget(target)}`,
      prompt: "Kept in VS Code's secret storage, never in the settings. Empty: no password (or ~/.pgpass). Escape: keep the stored one.",
      password: true,
      ignoreFocusOut: true,
    });
    if (password === undefined) return;
    await config.storePassword(target, password);
    void vscode.window.showInformationMessage(
      password === '' ? `Saved the URL for ${describeTarget(target)}, without a password.` : `Saved the URL for ${describeTarget(target)} and its password.`,
    );
  }

  // -------------------------------------------------------------------------
  // Which set

  private async resolveSet(arg: unknown, placeHolder: string): Promise<ResolvedSet | undefined> {
    const { config, store } = this.dependencies;
    let folder: vscode.WorkspaceFolder | undefined;
    let setId: string | undefined;
    if (isSetNode(arg)) {
      folder = arg.folder;
      setId = arg.entry.set.id;
    } else if (isSetReference(arg)) {
      folder = config.folders.find((candidate) => candidate.uri.toString() === arg.folderUri);
      setId = arg.setId;
    } else {
      folder = await pickWorkspaceFolder(config, placeHolder);
    }
    if (!folder) return undefined;
    const listing = await store.listing(folder);
    throwIfUnusable(listing);
    const backupsFolder = listing.settings?.backupsFolder ?? '';
    if (setId === undefined) {
      if (listing.entries.length === 0) throw noSets(listing);
      const picked = await vscode.window.showQuickPick(
        listing.entries.map((entry) => ({ label: setLabel(entry.set), description: entry.set.id, detail: `${formatBytes(entry.set.totalBytes)} · ${entry.set.status}`, set: entry.set })),
        { placeHolder },
      );
      return picked ? { folder, listing, backupsFolder, set: picked.set } : undefined;
    }
    const found = listing.entries.find((entry) => entry.set.id === setId);
    if (!found) {
      throw new PulseError('unknown-set', `no backup set ${setId} in ${backupsFolder}`, { hint: 'it may have been removed; refresh the Backups view' });
    }
    return { folder, listing, backupsFolder, set: found.set };
  }
}

type BackupFocus = 'set' | BackupFileType;

function isBackupFocus(value: unknown): value is { focus: BackupFocus } {
  if (typeof value !== 'object' || value === null) return false;
  const focus = (value as { focus?: unknown }).focus;
  return focus === 'set' || focus === 'complete' || focus === 'schema' || focus === 'data';
}

async function pickBackupFocus(): Promise<BackupFocus | undefined> {
  const note = 'Writes the full set anyway: one pg_dump run from one snapshot makes all three files at the cost of one.';
  const items: (vscode.QuickPickItem & { focus: BackupFocus })[] = [
    { label: '$(database) Full backup set', description: 'schema, data and complete files', detail: 'One pg_dump run, one snapshot; restorable with plain psql.', focus: 'set' },
    { label: '$(symbol-structure) Schema only', description: 'open the schema file afterwards', detail: note, focus: 'schema' },
    { label: '$(table) Data only', description: 'open the data file afterwards', detail: note, focus: 'data' },
  ];
  const picked = await vscode.window.showQuickPick(items, { title: 'Pulse Backup: Backup database', placeHolder: 'Which file do you care about? (Enter: the full set)' });
  return picked?.focus;
}

async function pickRestoreMode(set: ListedSet, canReset: boolean): Promise<{ mode: RestoreMode; reset: boolean } | undefined> {
  const has = (type: BackupFileType) => set.files.some((file) => file.type === type);
  const items: (vscode.QuickPickItem & { mode: RestoreMode; reset: boolean })[] = [
    { label: 'Complete', description: 'schema and data', detail: "Drops the backup's objects that exist in the target and recreates everything from the complete file.", mode: 'complete' as const, reset: false },
    { label: 'Schema only', description: 'definitions, no rows', detail: "Drops the backup's objects that exist in the target and recreates them empty.", mode: 'schema' as const, reset: false },
    { label: 'Data only', description: 'rows into the existing schema', detail: "Empties the backup's tables in the target and loads the rows, triggers off.", mode: 'data' as const, reset: false },
    ...(canReset
      ? [
          {
            label: 'Reset, then data only',
            description: 'supabase db reset --local first',
            detail: 'After the safety backup, rebuilds the local database from the migrations, then loads the rows: the whole "reset and restore" in one step.',
            mode: 'data' as const,
            reset: true,
          },
        ]
      : []),
  ].filter((item) => has(item.mode));
  if (items.length === 0) throw new PulseError('restore-refused', `${set.id} has no dump file to restore from`, { hint: 'pick another set' });
  const picked = await vscode.window.showQuickPick(items, {
    title: `Restore ${set.id}`,
    placeHolder: 'What to restore (a pre-flight check and a confirmation come before anything changes)',
  });
  return picked ? { mode: picked.mode, reset: picked.reset } : undefined;
}

function throwIfUnusable(listing: FolderListing): void {
  if (listing.error && !listing.settings) throw listing.error;
}

function noSets(listing: FolderListing): PulseError {
  return new PulseError('unknown-set', `there are no backup sets in ${listing.settings?.backupsFolder ?? listing.folder.name}`, {
    hint: 'run Pulse Backup: Backup database first',
  });
}

function nothingToPrune(plan: PruneResult): string {
  const count = plan.kept.length + plan.protected.length;
  if (count === 0) return `No backup sets of ${plan.prefix} in ${plan.folder}: nothing to prune.`;
  return `Nothing to prune: ${count} set${count === 1 ? '' : 's'} of ${plan.prefix}, keeping the newest ${plan.keep}.`;
}

async function withCancellableProgress<T>(title: string, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, (_progress, token) => {
    const controller = new AbortController();
    token.onCancellationRequested(() => controller.abort());
    return work(controller.signal);
  });
}

function isSetNode(value: unknown): value is SetNode {
  return typeof value === 'object' && value !== null && (value as BackupsNode).kind === 'set';
}

function isFileNode(value: unknown): value is FileNode {
  return typeof value === 'object' && value !== null && (value as BackupsNode).kind === 'file';
}

function isSetReference(value: unknown): value is SetReference {
  if (typeof value !== 'object' || value === null) return false;
  const { folderUri, setId } = value as { folderUri?: unknown; setId?: unknown };
  return typeof folderUri === 'string' && typeof setId === 'string';
}
