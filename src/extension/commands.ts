/**
 * Every pulseBackup.* command. Commands about one set take it from the tree
 * (a SetNode), from the status bar or the report ({ folderUri, setId }), or
 * ask for it. Work a person should watch (backup, verify, restore, prove,
 * compare) runs as a
 * task (tasks.ts); quick things (pin, delete, prune) run here. Every failure
 * goes through showFailure; a question answered with no is not a failure.
 */
import { extensionLine } from './hints';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { showError, showInformation, showWarning, withNotificationProgress } from './notifications';
import { PulseError } from '../core/errors';
import { tableCountText } from '../core/backup/summary';
import { formatBytes } from '../core/format';
import type { ListedSet } from '../core/sets/listing';
import type { BackupFileType } from '../core/sets/manifest';
import { buildReport } from '../core/report/build';
import type { RestoreMode } from '../core/restore/types';
import { confirmedRemovals, deleteSet, pinSet, pruneSets, unpinSet, type PruneResult } from '../core/retention/retention';
import { describePolicy } from '../core/retention/policy';
import { latestBackup } from '../core/sets/state';
import { findSupabaseCli } from '../core/supabase/reset';
import { verifySet } from '../core/verify/verify';
import type { BackupsStore } from './backupsStore';
import { pickWorkspaceFolder, type SettingsStore } from './settingsStore';
import { configureConnection } from './connectionCommand';
import { backupDoneMessage, prunedMessage, removalConfirmation, restoredMessage, verifiedMessage } from './dialogs';
import { chooseFolderSetting } from './folderSettingCommand';
import { Disposable } from './lifecycle';
import { showFailure, showWarningWithActions, type Log } from './log';
import { pushNotMadeMessage } from './offsiteText';
import type { DiffDocuments } from './diffDocuments';
import type { OffsiteStore } from './offsiteStore';
import type { Passphrases } from './passphrases';
import type { ProofRecord } from '../core/prove/record';
import { sentenceOf } from './hints';
import { diffMessage, proofMessage, proofNotRunMessage } from './proofText';
import { ReportPanel, type ReportPanelDependencies } from './reportPanel';
import { SETTING } from './settings';
import { TASK_TYPE, type PulseTasks, type TaskOutcome } from './tasks';
import { setLabel } from './viewModel';
import { isFileNode, noSets, resolveSet, throwIfUnusable, type ResolvedSet } from './setPicker';

interface CommandDependencies {
  extensionUri: vscode.Uri;
  config: SettingsStore;
  store: BackupsStore;
  offsite: OffsiteStore;
  passphrases: Passphrases;
  log: Log;
  tasks: PulseTasks;
  diffDocuments: DiffDocuments;
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
      passphrases: dependencies.passphrases,
      verify: (folder, setId) => this.verify({ folderUri: folder.uri.toString(), setId }),
      prove: (folder, setId) => this.prove({ folderUri: folder.uri.toString(), setId }),
      restore: (folder, setId) => this.restore({ folderUri: folder.uri.toString(), setId }),
    };
    const commands: Record<string, (...args: unknown[]) => Promise<void> | void> = {
      'pulseBackup.backup': (arg) => this.backup(arg),
      'pulseBackup.verifyLatest': () => this.verifyLatest(),
      'pulseBackup.openReport': (arg) => this.openReport(arg),
      'pulseBackup.prune': () => this.prune(),
      'pulseBackup.configureConnection': () => configureConnection(dependencies.config, dependencies.log),
      'pulseBackup.chooseBackupsFolder': () => chooseFolderSetting(dependencies.config, SETTING.backupsFolder),
      'pulseBackup.chooseClientToolsFolder': () => chooseFolderSetting(dependencies.config, SETTING.clientToolsFolder),
      'pulseBackup.showLog': () => dependencies.log.show(),
      'pulseBackup.refresh': () => {
        dependencies.store.refresh();
        dependencies.offsite.forget();
      },
      'pulseBackup.restore': (arg) => this.restore(arg),
      'pulseBackup.verify': (arg) => this.verify(arg),
      'pulseBackup.prove': (arg) => this.prove(arg),
      'pulseBackup.compareWithDatabase': (arg) => this.compareWithDatabase(arg),
      'pulseBackup.copyRestoreCommand': (arg) => this.copyRestoreCommand(arg),
      'pulseBackup.revealSet': (arg) => this.revealSet(arg),
      'pulseBackup.pin': (arg) => this.setPinned(arg, true),
      'pulseBackup.unpin': (arg) => this.setPinned(arg, false),
      'pulseBackup.delete': (arg) => this.deleteSet(arg),
      'pulseBackup.openFile': (arg) => this.openFile(arg),
      'pulseBackup.copyPath': (arg) => this.copyPath(arg),
    };
    for (const registration of registerCommands(commands, dependencies.log)) this._register(registration);
  }

  // -------------------------------------------------------------------------
  // Backup, verify, restore: tasks

  /** The engine always writes the whole set (schema, data and complete) from one pg_dump run: there is nothing to choose. */
  /** `arg`: the folder, when whoever started it knows which (Back Up Now of a failed scheduled backup, the guard's, the status bar's). */
  private async backup(arg?: unknown): Promise<void> {
    const { config, store, tasks } = this.dependencies;
    const folder = await pickWorkspaceFolder(config, 'Back up the database of which folder?', arg);
    if (!folder) return;
    config.requireTrust('Backing up');
    if (store.isRunning('backup', folder)) {
      void showInformation(`A backup of ${folder.name} is already running.`);
      return;
    }
    const outcome = await tasks.run({ type: TASK_TYPE, action: 'backup' }, folder);
    if (await this.failed(outcome, 'backup')) return;
    const manifest = outcome.backup?.manifest;
    if (!manifest) return;
    const message = backupDoneMessage({
      setId: manifest.id,
      bytes: manifest.files.reduce((sum, file) => sum + file.bytes, 0),
      tables: tableCountText(manifest.tables),
      removed: outcome.retention?.result.removed ?? [],
      kept: outcome.retention?.declined ?? 0,
      ...(outcome.proof?.outcome === 'proved' ? { proved: true } : {}),
      ...(outcome.push ? { pushed: true } : {}),
    });
    // A proof that failed, or could not run, is a warning of its own: the backup is written and kept; so is a push that could not be made.
    if (outcome.proof && outcome.proof.outcome !== 'proved') void this.showProof(folder, outcome.proof, { afterBackup: true });
    if (outcome.proofNotRun)
      void showWarning(proofNotRunMessage(manifest.id, sentenceOf(outcome.proofNotRun)), 'Show Log').then((choice) => choice && this.dependencies.log.show());
    if (outcome.pushNotMade) void showWarningWithActions(pushNotMadeMessage(manifest.id, sentenceOf(outcome.pushNotMade)), outcome.pushNotMade);
    const choice = await showInformation(message, 'Open Report');
    if (choice === 'Open Report') ReportPanel.createOrShow(this.reportDependencies, folder, manifest.id);
  }

  /** The newest real backup: never a safety set, the same set the status bar's "last good" is drawn from. */
  private async verifyLatest(): Promise<void> {
    const folder = await pickWorkspaceFolder(this.dependencies.config, 'Verify the latest backup of which folder?');
    if (!folder) return;
    const listing = await this.dependencies.store.currentListing(folder);
    throwIfUnusable(listing);
    const latest = latestBackup(listing.entries);
    if (!latest) throw noSets(listing);
    await this.verify({ folderUri: folder.uri.toString(), setId: latest.set.id });
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
    const show = report.outcome === 'pass' ? showInformation : report.outcome === 'warn' ? showWarning : showError;
    const choice = await show(verifiedMessage(report), 'Open Report');
    if (choice === 'Open Report') ReportPanel.createOrShow(this.reportDependencies, resolved.folder, resolved.set.id);
  }

  /** Prove Restorable: the engine's proof in the task terminal; the set's state follows from its history. */
  private async prove(arg: unknown): Promise<void> {
    const resolved = await this.resolveSet(arg, 'Prove which backup set restorable?');
    if (!resolved) return;
    this.dependencies.config.requireTrust('Proving a set');
    if (resolved.set.status === 'running')
      throw new PulseError('backup-locked', `${resolved.set.id} is still being written`, { hint: 'wait for the backup to finish, then prove it' });
    const outcome = await this.dependencies.tasks.run({ type: TASK_TYPE, action: 'prove', setId: resolved.set.id }, resolved.folder);
    if (!outcome.proof) {
      await this.failed(outcome, 'prove');
      return;
    }
    await this.showProof(resolved.folder, outcome.proof, { afterBackup: false });
  }

  private async showProof(folder: vscode.WorkspaceFolder, proof: ProofRecord, context: { afterBackup: boolean }): Promise<void> {
    const message = proofMessage(proof, context);
    const show = message.kind === 'information' ? showInformation : showWarning;
    const choice = await show(message.text, 'Open Report');
    if (choice === 'Open Report') ReportPanel.createOrShow(this.reportDependencies, folder, proof.setId);
  }

  /** Compare with Database: what changed since the set, read-only, shown as a document. */
  private async compareWithDatabase(arg: unknown): Promise<void> {
    const resolved = await this.resolveSet(arg, 'Compare which backup set with the database?');
    if (!resolved) return;
    this.dependencies.config.requireTrust('Comparing with the database');
    const outcome = await this.dependencies.tasks.run({ type: TASK_TYPE, action: 'diff', setId: resolved.set.id }, resolved.folder);
    if (!outcome.diff) {
      await this.failed(outcome, 'compare with the database');
      return;
    }
    await this.dependencies.diffDocuments.show(outcome.diff);
    void showInformation(diffMessage(outcome.diff));
  }

  private async restore(arg: unknown, preset?: { mode: RestoreMode }): Promise<void> {
    const resolved = await this.resolveSet(arg, 'Restore which backup set?');
    if (!resolved) return;
    this.dependencies.config.requireTrust('Restoring');
    const settings = this.dependencies.config.settingsFor(resolved.folder);
    const canReset = settings.supabase !== undefined && findSupabaseCli(process.env) !== undefined;
    if (this.backupRunning(resolved.folder, 'restore')) return;
    const choice = preset ? { ...preset, reset: false } : await pickRestoreMode(resolved.set, canReset);
    if (!choice || this.backupRunning(resolved.folder, 'restore')) return;
    // The modal in the task leads with what the restore changes in the target; nothing changes before it.
    const outcome = await this.dependencies.tasks.run(
      { type: TASK_TYPE, action: 'restore', setId: resolved.set.id, mode: choice.mode, clean: true, ...(choice.reset ? { reset: true } : {}) },
      resolved.folder,
    );
    if (await this.failed(outcome, 'restore')) return;
    const result = outcome.restore;
    if (!result) return;
    const message = restoredMessage(result);
    const undo = 'Undo';
    const buttons = result.safetyBackup ? [undo] : [];
    const picked = result.rowCountsMatch ? await showInformation(message, ...buttons) : await showWarning(message, ...buttons);
    if (picked === undo && result.safetyBackup) {
      // The safety set holds the target as it was: its rows for a data restore, everything for the others.
      await this.restore({ folderUri: resolved.folder.uri.toString(), setId: result.safetyBackup }, { mode: result.plan.mode === 'data' ? 'data' : 'complete' });
    }
  }

  /**
   * A backup of the folder is running (started here, by the schedule or a
   * task): a restore would change the database under it, and a prune could
   * take its set for an old one. Said, and nothing starts.
   */
  private backupRunning(folder: vscode.WorkspaceFolder, what: 'restore' | 'prune'): boolean {
    if (!this.dependencies.store.isRunning('backup', folder)) return false;
    void showInformation(`A backup of ${folder.name} is running: wait for it to finish, then ${what} again.`);
    return true;
  }

  private failed(outcome: TaskOutcome, what: string): Promise<boolean> {
    return reportFailedRun(this.dependencies.log, outcome, what);
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
    const { config, store, log } = this.dependencies;
    const folder = await pickWorkspaceFolder(config, 'Prune the backups of which folder?');
    if (!folder) return;
    config.requireTrust('Pruning');
    if (this.backupRunning(folder, 'prune')) return;
    const settings = config.settingsFor(folder);
    const options = { folder: settings.backupsFolder, prefix: settings.prefix, policy: settings.retention, env: process.env, verify: verifySet };
    const plan = await withCancellableProgress(`Looking for backups of ${settings.prefix} to prune…`, (signal) => pruneSets({ ...options, dryRun: true, signal }));
    if (plan.removed.length === 0) {
      void showInformation(nothingToPrune(plan));
      return;
    }
    const question = removalConfirmation(plan, { afterBackup: false, folderName: folder.name });
    const choice = await showWarning(question.message, { modal: true, detail: question.detail }, question.remove);
    if (choice !== question.remove || this.backupRunning(folder, 'prune')) return;
    const operation = store.trackOperation(folder, 'prune');
    try {
      const result = await withCancellableProgress('Pruning old backups…', (signal) =>
        pruneSets({
          ...options,
          confirmed: confirmedRemovals(plan),
          signal,
          onProgress: (event) => {
            if (event.kind === 'removed') log.info(`prune removed ${event.set.id} (${formatBytes(event.set.totalBytes)})`);
          },
        }),
      );
      for (const warning of result.warnings) log.warn(`prune: ${extensionLine(warning)}`);
      void showInformation(prunedMessage(result));
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

  /**
   * Removes a whole set after a confirmation, through the engine (the same
   * order and lock as retention). Where the platform has a trash, the files
   * go there and can be brought back; elsewhere the dialog says it is for good.
   */
  private async deleteSet(arg: unknown): Promise<void> {
    const resolved = await this.resolveSet(arg, 'Delete which backup set?');
    if (!resolved) return;
    this.dependencies.config.requireTrust('Deleting a backup set');
    const { set } = resolved;
    if (set.status === 'running') throw new PulseError('backup-locked', `${set.id} is still being written`, { hint: 'wait for the backup to finish' });
    const trash = hasTrash();
    const files = `${set.files.length} dump file${set.files.length === 1 ? '' : 's'} (${formatBytes(set.totalBytes)}), its manifest, history and pin marker`;
    const detail = [
      trash ? `${files} go to the Trash, from where they can be restored.` : `${files} are deleted from ${resolved.backupsFolder}. There is no Trash here: this cannot be undone.`,
      ...(set.pinned ? ['The set is pinned: retention would have kept it.'] : []),
    ].join('\n');
    const button = trash ? 'Move to Trash' : 'Delete Permanently';
    const question = trash ? `Move backup set ${set.id} (${setLabel(set)}) to the Trash?` : `Delete backup set ${set.id} (${setLabel(set)}) permanently?`;
    const choice = await showWarning(question, { modal: true, detail }, button);
    if (choice !== button) return;
    try {
      await deleteSet(resolved.backupsFolder, set.id, trash ? moveToTrash : undefined);
      this.dependencies.log.info(`${trash ? 'moved to the Trash' : 'deleted'}: ${set.id} (${formatBytes(set.totalBytes)})`);
    } finally {
      this.dependencies.store.refresh(resolved.folder);
    }
  }

  // -------------------------------------------------------------------------
  // Files and folders

  /**
   * Open Backups Folder: the system's file manager at the set's complete
   * dump; where VS Code cannot open one (in a browser, over a remote
   * connection), the Explorer view at the same file.
   */
  private async revealSet(arg: unknown): Promise<void> {
    const resolved = await this.resolveSet(arg, 'Show the files of which backup set?');
    if (!resolved) return;
    const file = resolved.set.files.find((candidate) => candidate.type === 'complete') ?? resolved.set.files[0];
    const uri = vscode.Uri.file(file ? path.join(resolved.backupsFolder, file.name) : resolved.backupsFolder);
    await vscode.commands.executeCommand(hasLocalDesktop() ? 'revealFileInOS' : 'revealInExplorer', uri);
  }

  private async openFile(arg: unknown): Promise<void> {
    if (!isFileNode(arg)) return;
    await vscode.commands.executeCommand('vscode.open', vscode.Uri.file(arg.path), { preview: true });
  }

  private async copyPath(arg: unknown): Promise<void> {
    if (!isFileNode(arg)) return;
    await vscode.env.clipboard.writeText(arg.path);
  }

  private resolveSet(arg: unknown, placeHolder: string): Promise<ResolvedSet | undefined> {
    return resolveSet(this.dependencies.config, this.dependencies.store, arg, placeHolder);
  }
}

async function pickRestoreMode(set: ListedSet, canReset: boolean): Promise<{ mode: RestoreMode; reset: boolean } | undefined> {
  const has = (type: BackupFileType) => set.files.some((file) => file.type === type);
  const items: (vscode.QuickPickItem & { mode: RestoreMode; reset: boolean })[] = [
    {
      label: 'Complete',
      description: 'schema and data',
      detail: "Drops the backup's objects that exist in the target and recreates everything from the complete file.",
      mode: 'complete' as const,
      reset: false,
    },
    {
      label: 'Schema only',
      description: 'definitions, no rows',
      detail: "Drops the backup's objects that exist in the target and recreates them empty.",
      mode: 'schema' as const,
      reset: false,
    },
    {
      label: 'Data only',
      description: 'rows into the existing schema',
      detail: "Empties the backup's tables in the target and loads the rows, triggers off.",
      mode: 'data' as const,
      reset: false,
    },
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
    title: `Restore ${set.id}${set.purpose === 'safety' ? ' (safety backup)' : ''}`,
    placeHolder: 'What to restore (a pre-flight check and a confirmation come before anything changes)',
  });
  return picked ? { mode: picked.mode, reset: picked.reset } : undefined;
}

/** A failed or cancelled run: its one line (with actions) as a notification. True when it did not succeed. */
export async function reportFailedRun(log: Log, outcome: TaskOutcome, what: string): Promise<boolean> {
  if (outcome.declined) return true;
  if (!outcome.error) return false;
  // The task's terminal has logged it already.
  await showFailure(log, what, outcome.error, { logged: true });
  return true;
}

/** Registers commands whose failures reach a person the one way (showFailure): a one-line notification with what helps. */
export function registerCommands(commands: Record<string, (...args: unknown[]) => Promise<void> | void>, log: Log): vscode.Disposable[] {
  return Object.entries(commands).map(([id, run]) =>
    vscode.commands.registerCommand(id, async (...args: unknown[]) => {
      try {
        await run(...args);
      } catch (error) {
        await showFailure(log, id, error);
      }
    }),
  );
}

function nothingToPrune(plan: PruneResult): string {
  const count = plan.kept.length + plan.protected.length;
  if (count === 0) return `No backup sets of ${plan.prefix} in ${plan.folder}: nothing to prune.`;
  return `Nothing to prune: the policy (keep ${describePolicy(plan.policy)}) keeps all ${count} set${count === 1 ? '' : 's'} of ${plan.prefix}.`;
}

async function withCancellableProgress<T>(title: string, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  return withNotificationProgress({ title, cancellable: true }, (_progress, token) => {
    const controller = new AbortController();
    token.onCancellationRequested(() => controller.abort());
    return work(controller.signal);
  });
}

/** VS Code on a desktop, with the files on this machine: its file manager and its Trash are at hand. */
function hasLocalDesktop(): boolean {
  return vscode.env.uiKind === vscode.UIKind.Desktop && vscode.env.remoteName === undefined;
}

/** Desktop VS Code moves local files to the platform's Trash (Electron's shell.trashItem); a browser or a remote server has none. */
function hasTrash(): boolean {
  return hasLocalDesktop();
}

async function moveToTrash(file: string): Promise<void> {
  try {
    await vscode.workspace.fs.delete(vscode.Uri.file(file), { useTrash: true, recursive: false });
  } catch (error) {
    if (error instanceof vscode.FileSystemError && error.code === 'FileNotFound') throw Object.assign(new Error(`${file} does not exist`), { code: 'ENOENT' });
    throw error;
  }
}
