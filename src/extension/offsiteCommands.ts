/**
 * The offsite commands: Set Offsite Credentials… (the remote first when the
 * folder has none, then the access key id and the secret, which go to
 * VS Code's secret storage, never the settings; then the remote is listed
 * at once, so wrong keys show now), Clear Offsite Credentials, Open Offsite
 * Settings, Push Offsite on a set (a task in the shared terminal, as a
 * backup), and Pull and Restore… on a remote set (a pull task, then the
 * restore every set has: the mode, the pre-flight, the confirmation and the
 * safety backup).
 */
import * as vscode from 'vscode';
import { showInformation, withNotificationProgress } from './notifications';
import { toPulseError } from '../core/errors';
import { parseRemoteUrl } from '../core/offsite/remote';
import type { BackupsStore } from './backupsStore';
import { registerCommands, reportFailedRun } from './commands';
import { Disposable } from './lifecycle';
import { showFailure, type Log } from './log';
import { requireOffsite, type OffsiteStore } from './offsiteStore';
import { offsiteKeysPrompt, offsiteStorageWords, pushedMessage } from './offsiteText';
import { SETTINGS_SECTION, SETTING, offsiteLocation, type OffsiteSettings } from './settings';
import { pickWorkspaceFolder, scopeHolding, type SettingsStore } from './settingsStore';
import { resolveSet, type SetReference } from './setPicker';
import { TASK_TYPE, type PulseTasks, type TaskOutcome } from './tasks';
import type { RemoteSetNode } from './tree';

interface OffsiteCommandDependencies {
  config: SettingsStore;
  store: BackupsStore;
  offsite: OffsiteStore;
  log: Log;
  tasks: PulseTasks;
  /** The restore flow every local set has (Commands.restore). */
  restore: (folder: vscode.WorkspaceFolder, setId: string) => Promise<void>;
}

export class OffsiteCommands extends Disposable {
  constructor(private readonly dependencies: OffsiteCommandDependencies) {
    super();
    const commands: Record<string, (...args: unknown[]) => Promise<void> | void> = {
      'pulseBackup.setOffsiteCredentials': () => this.setCredentials(),
      'pulseBackup.clearOffsiteCredentials': () => this.clearCredentials(),
      'pulseBackup.openOffsiteSettings': async () => {
        await vscode.commands.executeCommand('workbench.action.openSettings', '@ext:pulse-backup.pulse-backup offsite');
      },
      'pulseBackup.pushOffsite': (arg) => this.push(arg),
      'pulseBackup.pullAndRestore': (arg) => this.pullAndRestore(arg),
    };
    for (const registration of registerCommands(commands, dependencies.log)) this._register(registration);
  }

  private async setCredentials(): Promise<void> {
    const { config, offsite, log } = this.dependencies;
    const folder = await pickWorkspaceFolder(config, 'Set the offsite keys of which folder?');
    if (!folder) return;
    config.requireTrust('Setting offsite credentials');
    const settings = config.settingsFor(folder).offsite ?? (await this.askForRemote(folder));
    if (!settings) return;
    const location = offsiteLocation(settings);
    const stored = await offsite.storedCredentials(settings);
    const storage = offsiteStorageWords(location.bucket, settings.endpoint);
    const accessKeyId = await vscode.window.showInputBox({
      title: `Offsite keys for ${storage}: access key ID`,
      prompt: "The access key ID of keys that may list, read, write and delete in the bucket. Kept in VS Code's secret storage, never in the settings.",
      value: stored?.accessKeyId ?? '',
      ignoreFocusOut: true,
      validateInput: (value) => (value.trim() === '' ? 'Give the access key ID (Escape keeps what is stored).' : undefined),
    });
    if (accessKeyId === undefined) return;
    const keepSecret = stored !== undefined && stored.accessKeyId === accessKeyId.trim();
    const secret = await vscode.window.showInputBox({
      title: `Offsite keys for ${storage}: secret access key`,
      prompt: offsiteKeysPrompt(settings.endpoint, settings.region, keepSecret),
      password: true,
      ignoreFocusOut: true,
    });
    if (secret === undefined || (secret === '' && !keepSecret)) return;
    await offsite.storeCredentials(settings, { accessKeyId: accessKeyId.trim(), secretAccessKey: secret === '' ? (stored?.secretAccessKey ?? '') : secret });
    log.info(`offsite keys for ${storage} stored in secret storage (access key ID ${accessKeyId.trim()})`);
    // Tried at once, as Configure Connection does: wrong keys show now, not at the first push.
    const saved = `Saved the offsite keys for ${storage} in VS Code's secret storage.`;
    const listing = await withNotificationProgress({ title: `Listing ${settings.url}…` }, () => offsite.list(folder));
    if (listing.kind === 'failed') {
      await showFailure(log, 'testing the offsite keys', listing.error, { logged: true, prefix: `${saved} ` });
      return;
    }
    const complete = listing.sets.filter((set) => set.status === 'complete').length;
    void showInformation(`${saved} Connected to ${listing.where}: ${complete} set${complete === 1 ? '' : 's'} at ${listing.url}.`);
  }

  /** The folder has no remote yet: its URL, and the endpoint for storage other than AWS S3, written to the settings. */
  private async askForRemote(folder: vscode.WorkspaceFolder): Promise<OffsiteSettings | undefined> {
    const url = await vscode.window.showInputBox({
      title: `Pulse Backup: Offsite storage of ${folder.name}`,
      prompt: 'Where the copies go, as s3://BUCKET/PREFIX (each set under PREFIX/SET_ID/).',
      placeHolder: `s3://my-backups/${folder.name.toLowerCase().replace(/[^a-z0-9-]+/g, '-')}`,
      ignoreFocusOut: true,
      validateInput: (value) => problemOf(() => parseRemoteUrl(value)),
    });
    if (url === undefined) return undefined;
    const endpoint = await vscode.window.showInputBox({
      title: `Pulse Backup: Endpoint of s3://${parseRemoteUrl(url).bucket}`,
      prompt: "The storage's endpoint URL when it is not AWS S3 (e.g. https://ACCOUNT_ID.r2.cloudflarestorage.com, http://127.0.0.1:9000 for MinIO). Empty: AWS S3.",
      ignoreFocusOut: true,
      validateInput: (value) => (value.trim() === '' || /^https?:\/\/[^\s@/]+/.test(value.trim()) ? undefined : 'An http(s) URL without credentials, e.g. https://s3.example.com'),
    });
    if (endpoint === undefined) return undefined;
    const section = vscode.workspace.getConfiguration(SETTINGS_SECTION, folder.uri);
    const scope =
      scopeHolding(section, SETTING.offsiteURL) ??
      (this.dependencies.config.folders.length > 1 ? vscode.ConfigurationTarget.WorkspaceFolder : vscode.ConfigurationTarget.Workspace);
    await section.update(SETTING.offsiteURL, url.trim(), scope);
    await section.update(SETTING.offsiteEndpoint, endpoint.trim() === '' ? undefined : endpoint.trim(), scope);
    return requireOffsite(this.dependencies.config.settingsFor(folder), folder);
  }

  private async clearCredentials(): Promise<void> {
    const { config, offsite, log } = this.dependencies;
    const folder = await pickWorkspaceFolder(config, 'Clear the offsite keys of which folder?');
    if (!folder) return;
    const settings = requireOffsite(config.settingsFor(folder), folder);
    const storage = offsiteStorageWords(offsiteLocation(settings).bucket, settings.endpoint);
    const had = await offsite.clearCredentials(settings);
    if (had) log.info(`offsite keys for ${storage} removed from secret storage`);
    void showInformation(had ? `Removed the offsite keys for ${storage} from VS Code's secret storage.` : `No offsite keys were stored for ${storage}.`);
  }

  /** Push Offsite: the set copied in the task terminal, watchable and stoppable. */
  private async push(arg: unknown): Promise<void> {
    const { config, store, tasks } = this.dependencies;
    const resolved = await resolveSet(config, store, arg, 'Push which backup set offsite?');
    if (!resolved) return;
    config.requireTrust('Pushing offsite');
    requireOffsite(config.settingsFor(resolved.folder), resolved.folder);
    const outcome = await tasks.run({ type: TASK_TYPE, action: 'push', setId: resolved.set.id }, resolved.folder);
    if (await this.failed(outcome, 'push offsite')) return;
    if (outcome.push) void showInformation(pushedMessage(outcome.push));
  }

  /** Pull and Restore…: the remote set brought here (checked, all or nothing), then the restore every set has. */
  private async pullAndRestore(arg: unknown): Promise<void> {
    const { config, store, tasks } = this.dependencies;
    const target = this.remoteSetOf(arg);
    if (!target) return;
    config.requireTrust('Pulling from offsite storage');
    const outcome = await tasks.run({ type: TASK_TYPE, action: 'pull', setId: target.setId }, target.folder);
    if (await this.failed(outcome, 'pull')) return;
    store.refresh(target.folder);
    await this.dependencies.restore(target.folder, target.setId);
  }

  private remoteSetOf(arg: unknown): { folder: vscode.WorkspaceFolder; setId: string } | undefined {
    if (isRemoteSetNode(arg)) return { folder: arg.folder, setId: arg.set.id };
    if (typeof arg === 'object' && arg !== null && typeof (arg as SetReference).folderUri === 'string' && typeof (arg as SetReference).setId === 'string') {
      const reference = arg as SetReference;
      const folder = this.dependencies.config.folders.find((candidate) => candidate.uri.toString() === reference.folderUri);
      return folder ? { folder, setId: reference.setId } : undefined;
    }
    void showInformation('Pull and Restore… works on a set of the Remote group in the Backups view.');
    return undefined;
  }

  private failed(outcome: TaskOutcome, what: string): Promise<boolean> {
    return reportFailedRun(this.dependencies.log, outcome, what);
  }
}

function isRemoteSetNode(value: unknown): value is RemoteSetNode {
  return typeof value === 'object' && value !== null && (value as RemoteSetNode).kind === 'remoteSet';
}

function problemOf(check: () => unknown): string | undefined {
  try {
    check();
    return undefined;
  } catch (error) {
    return toPulseError(error).message;
  }
}
