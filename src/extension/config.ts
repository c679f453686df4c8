/**
 * Settings and secrets, per workspace folder. The connection URL in the
 * settings carries no password; the password lives in SecretStorage and
 * joins the target only in memory, on its way to the engine (which hands it
 * to pg_dump and psql in their environment, never in argv). PG* variables,
 * DATABASE_URL and PULSE_BACKUP_DB_URL keep working as they do for the CLI.
 */
import * as vscode from 'vscode';
import { parseConnectionUrl, resolveConnection, type ConnectionTarget } from '../core/connection';
import { PulseError } from '../core/errors';
import { supabaseDatabaseUrl } from '../core/supabaseProject';
import { Disposable } from './lifecycle';
import type { Log } from './log';
import { SETTINGS_SECTION, SETTING, passwordKey, readFolderSettings, type FolderSettings, type RawFolderSettings } from './settings';

export class Config extends Disposable {
  private readonly changed = this._register(new vscode.EventEmitter<void>());
  /** Fires when a pulseBackup.* setting, the folders or the stored password change. */
  readonly onDidChange = this.changed.event;
  private readonly warnedUrls = new Set<string>();

  constructor(
    private readonly secrets: vscode.SecretStorage,
    private readonly log: Log,
  ) {
    super();
    this._register(
      vscode.workspace.onDidChangeConfiguration((event) => {
        if (event.affectsConfiguration(SETTINGS_SECTION)) this.changed.fire();
      }),
    );
    this._register(vscode.workspace.onDidChangeWorkspaceFolders(() => this.changed.fire()));
    this._register(
      secrets.onDidChange((event) => {
        if (event.key.startsWith('pulseBackup.password:')) this.changed.fire();
      }),
    );
  }

  get folders(): readonly vscode.WorkspaceFolder[] {
    return vscode.workspace.workspaceFolders ?? [];
  }

  /** One folder's settings; an unusable value is a PulseError naming the setting. */
  settingsFor(folder: vscode.WorkspaceFolder): FolderSettings {
    const section = vscode.workspace.getConfiguration(SETTINGS_SECTION, folder.uri);
    const raw: RawFolderSettings = {
      connectionUrl: section.get<string>(SETTING.connectionUrl),
      backupsFolder: section.get<string>(SETTING.backupsFolder),
      filePrefix: section.get<string>(SETTING.filePrefix),
      retentionKeep: section.get<number>(SETTING.retentionKeep),
      clientToolsFolder: section.get<string>(SETTING.clientToolsFolder),
      staleAfterHours: section.get<number>(SETTING.staleAfterHours),
      safetyBackupBeforeRestore: section.get<boolean>(SETTING.safetyBackupBeforeRestore),
      profile: section.get<string>(SETTING.profile),
    };
    return readFolderSettings(raw, { workspaceFolder: folder.uri.fsPath, env: process.env });
  }

  /** Where pg_dump and psql are looked for: the setting, else what the CLI reads. */
  clientToolsFolder(settings: FolderSettings): string | undefined {
    return settings.clientToolsFolder ?? (process.env.PULSE_BACKUP_PG_BIN_DIR?.trim() || undefined);
  }

  /**
   * The database this folder backs up: the setting's URL, else the
   * environment as the CLI reads it, with the stored password when the URL
   * and the environment give none.
   */
  async connectionTarget(folder: vscode.WorkspaceFolder): Promise<ConnectionTarget> {
    const settings = this.settingsFor(folder);
    const target = resolveConnection({ url: settings.connectionUrl, env: process.env, ...defaultUrlOf(settings) });
    if (settings.connectionUrl !== undefined && parseConnectionUrl(settings.connectionUrl, { env: {} }).password !== undefined) {
      this.warnPasswordInSettings(settings.connectionUrl);
    }
    if (target.password === undefined) {
      const stored = await this.secrets.get(passwordKey(target));
      if (stored !== undefined && stored !== '') target.password = stored;
    }
    return target;
  }

  async storePassword(target: ConnectionTarget, password: string | undefined): Promise<void> {
    const key = passwordKey(target);
    if (password === undefined || password === '') await this.secrets.delete(key);
    else await this.secrets.store(key, password);
  }

  async saveConnectionUrl(folder: vscode.WorkspaceFolder, url: string | undefined): Promise<void> {
    const section = vscode.workspace.getConfiguration(SETTINGS_SECTION, folder.uri);
    await section.update(SETTING.connectionUrl, url, vscode.ConfigurationTarget.WorkspaceFolder);
  }

  /** Restricted Mode: the tree lists, but nothing runs pg_dump, psql or git. */
  requireTrust(what: string): void {
    if (vscode.workspace.isTrusted) return;
    throw new PulseError('usage', `${what} is not available in Restricted Mode`, {
      hint: 'Pulse Backup runs no pg_dump, psql or git in an untrusted workspace; trust the folder (Manage Workspace Trust) to use it',
    });
  }

  private warnPasswordInSettings(url: string): void {
    if (this.warnedUrls.has(url)) return;
    this.warnedUrls.add(url);
    this.log.warn('pulseBackup.connectionUrl contains a password; settings are plain text. Run "Pulse Backup: Configure connection" to move it into secret storage.');
  }
}

/** A Supabase project's own database is the folder's default connection. */
export function defaultUrlOf(settings: FolderSettings): { defaultUrl?: string } {
  return settings.supabase ? { defaultUrl: supabaseDatabaseUrl(settings.supabase) } : {};
}

/** The folder a command is about: the only one, or the one the person picks. */
export async function pickWorkspaceFolder(config: Config, placeHolder: string): Promise<vscode.WorkspaceFolder | undefined> {
  const folders = config.folders;
  if (folders.length === 0) {
    throw new PulseError('usage', 'no folder is open', { hint: 'open the project folder whose database you want to back up' });
  }
  if (folders.length === 1) return folders[0];
  return vscode.window.showWorkspaceFolderPick({ placeHolder });
}
