/**
 * The settings and secrets as VS Code holds them, per workspace folder:
 * read (through settings.ts, which decides what they mean), watched, and
 * written by the commands that change them. The connection URL in the
 * settings carries no password; the password lives in SecretStorage and
 * joins the target only in memory, on its way to the engine (which hands it
 * to pg_dump and psql in their environment, never in argv).
 *
 * What a person configured in VS Code wins: the URL setting, then the
 * password kept in secret storage. The environment VS Code was started from
 * (PG* variables, DATABASE_URL, PULSE_BACKUP_DB_URL) fills only what is not
 * configured, and the log says where each part came from.
 */
import * as vscode from 'vscode';
import { describeOrigins, describeTarget, explainConnection, type ConnectionTarget } from '../core/connection/target';
import { PulseError } from '../core/errors';
import { POLICY_RULES, type PolicyRule } from '../core/retention/policy';
import { supabaseDatabaseUrl } from '../core/supabase/project';
import { Disposable } from './lifecycle';
import type { Log } from './log';
import { DEPRECATED_SETTING, RETENTION_SETTINGS, SETTINGS_SECTION, SETTING, passwordKey, readFolderSettings, type FolderSettings, type RawFolderSettings } from './settings';

/** How the log and messages name the URL setting. */
export const URL_SETTING_LABEL = 'the pulseBackup.connectionURL setting';
const SECRET_STORAGE_LABEL = "VS Code's secret storage";
const SCRATCH_SETTING_LABEL = 'the pulseBackup.scratchServerURL setting';

export class SettingsStore extends Disposable {
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
    const retention: Partial<Record<PolicyRule, number | undefined>> = {};
    for (const rule of POLICY_RULES) retention[rule] = explicitValue<number>(section, RETENTION_SETTINGS[rule]);
    retention.last ??= explicitValue<number>(section, DEPRECATED_SETTING.retentionKeep);
    const raw: RawFolderSettings = {
      connectionUrl: explicitValue<string>(section, SETTING.connectionURL) ?? explicitValue<string>(section, DEPRECATED_SETTING.connectionUrl),
      backupsFolder: section.get<string>(SETTING.backupsFolder),
      filePrefix: section.get<string>(SETTING.filePrefix),
      retention,
      clientToolsFolder: section.get<string>(SETTING.clientToolsFolder),
      staleAfterHours: section.get<number>(SETTING.staleAfterHours),
      safetyBackupBeforeRestore: section.get<boolean>(SETTING.safetyBackupBeforeRestore),
      profile: section.get<string>(SETTING.profile),
      proveAfterBackup: section.get<string>(SETTING.proveAfterBackup),
      scratchServerUrl: explicitValue<string>(section, SETTING.scratchServerURL),
      offsite: {
        url: section.get<string>(SETTING.offsiteURL),
        endpoint: section.get<string>(SETTING.offsiteEndpoint),
        region: section.get<string>(SETTING.offsiteRegion),
        pathStyle: section.get<string>(SETTING.offsitePathStyle),
        pushAfterBackup: section.get<boolean>(SETTING.offsitePushAfterBackup),
        keep: section.get<number>(SETTING.offsiteKeep),
        encrypt: section.get<boolean>(SETTING.offsiteEncrypt),
      },
      schedule: section.get<string>(SETTING.schedule),
      compress: section.get<string>(SETTING.compress),
      jobs: section.get<number>(SETTING.jobs),
    };
    return readFolderSettings(raw, { workspaceFolder: folder.uri.fsPath, env: process.env });
  }

  /** pulseBackup.guard: whether destructive commands started in terminals and tasks are watched (window-wide). */
  get guardEnabled(): boolean {
    return vscode.workspace.getConfiguration(SETTINGS_SECTION).get<boolean>(SETTING.guard) ?? true;
  }

  /** Where pg_dump and psql are looked for: the setting, else what the CLI reads. */
  clientToolsFolder(settings: FolderSettings): string | undefined {
    return settings.clientToolsFolder ?? (process.env.PULSE_BACKUP_PG_BIN_DIR?.trim() || undefined);
  }

  /**
   * The database this folder backs up: the setting's URL, else the
   * environment as the CLI reads it, else the folder's Supabase project; the
   * password from the URL setting if it has one, else the one stored for
   * this user, server and database, else the environment's.
   */
  async connectionTarget(folder: vscode.WorkspaceFolder): Promise<ConnectionTarget> {
    const settings = this.settingsFor(folder);
    const { target, origins } = explainConnection({ url: settings.connectionUrl, urlLabel: URL_SETTING_LABEL, env: process.env, ...defaultUrlOf(settings) });
    if (origins.password === URL_SETTING_LABEL && settings.connectionUrl !== undefined) this.warnPasswordInSettings(settings.connectionUrl);
    if (origins.password !== URL_SETTING_LABEL) {
      const stored = await this.secrets.get(passwordKey(target));
      if (stored !== undefined && stored !== '') {
        target.password = stored;
        origins.password = SECRET_STORAGE_LABEL;
      }
    }
    this.log.info(`connection of ${folder.name}: ${describeTarget(target)}; ${describeOrigins(origins)}`);
    return target;
  }

  /**
   * Where a proof creates its scratch databases: the pulseBackup.scratchServerURL
   * setting (its password from secret storage, or the environment, as any
   * URL without one), else undefined: the backed-up database's own server and role.
   */
  async scratchTarget(folder: vscode.WorkspaceFolder): Promise<ConnectionTarget | undefined> {
    const url = this.settingsFor(folder).scratchServerUrl;
    if (url === undefined) return undefined;
    const { target, origins } = explainConnection({ url, urlLabel: SCRATCH_SETTING_LABEL, env: process.env });
    target.setBy = 'scratchDatabase';
    if (origins.password === SCRATCH_SETTING_LABEL) this.warnPasswordInSettings(url, SETTING.scratchServerURL);
    else {
      const stored = await this.secrets.get(passwordKey(target));
      if (stored !== undefined && stored !== '') {
        target.password = stored;
        origins.password = SECRET_STORAGE_LABEL;
      }
    }
    this.log.info(`scratch server of ${folder.name}'s proofs: ${describeTarget(target)}; ${describeOrigins(origins)}`);
    return target;
  }

  /** Whether a password is kept in secret storage for this target. */
  async hasStoredPassword(target: ConnectionTarget): Promise<boolean> {
    const stored = await this.secrets.get(passwordKey(target));
    return stored !== undefined && stored !== '';
  }

  async storePassword(target: ConnectionTarget, password: string | undefined): Promise<void> {
    const key = passwordKey(target);
    if (password === undefined || password === '') await this.secrets.delete(key);
    else await this.secrets.store(key, password);
  }

  /** Writes the URL where the setting already lives (the folder's settings when nowhere yet), and retires the old name. */
  async saveConnectionUrl(folder: vscode.WorkspaceFolder, url: string | undefined): Promise<void> {
    const section = vscode.workspace.getConfiguration(SETTINGS_SECTION, folder.uri);
    const target = scopeHolding(section, SETTING.connectionURL) ?? scopeHolding(section, DEPRECATED_SETTING.connectionUrl) ?? vscode.ConfigurationTarget.WorkspaceFolder;
    await section.update(SETTING.connectionURL, url, target);
    for (const scope of scopesHolding(section, DEPRECATED_SETTING.connectionUrl)) await section.update(DEPRECATED_SETTING.connectionUrl, undefined, scope);
  }

  /** Restricted Mode: the tree lists, but nothing runs pg_dump, psql or git. */
  requireTrust(what: string): void {
    if (vscode.workspace.isTrusted) return;
    throw new PulseError('usage', `${what} is not available in Restricted Mode`, {
      hint: 'Pulse Backup runs no pg_dump, psql or git in an untrusted workspace; trust the folder (Manage Workspace Trust) to use it',
    });
  }

  private warnPasswordInSettings(url: string, setting: string = SETTING.connectionURL): void {
    if (this.warnedUrls.has(url)) return;
    this.warnedUrls.add(url);
    this.log.warn(
      setting === SETTING.connectionURL
        ? 'pulseBackup.connectionURL contains a password; settings are plain text. Run "Pulse Backup: Configure Connection" to move it into secret storage.'
        : `pulseBackup.${setting} contains a password; settings are plain text. Remove it and keep the password in ~/.pgpass instead.`,
    );
  }
}

/** A value someone set (folder, workspace or user settings), never the default. */
export function explicitValue<T>(section: vscode.WorkspaceConfiguration, key: string): T | undefined {
  const inspected = section.inspect<T>(key);
  return inspected?.workspaceFolderValue ?? inspected?.workspaceValue ?? inspected?.globalValue;
}

/** The most specific scope that sets the key, the one whose value applies; undefined when only the default does. */
export function scopeHolding(section: vscode.WorkspaceConfiguration, key: string): vscode.ConfigurationTarget | undefined {
  return scopesHolding(section, key)[0];
}

function scopesHolding(section: vscode.WorkspaceConfiguration, key: string): vscode.ConfigurationTarget[] {
  const inspected = section.inspect(key);
  const scopes: vscode.ConfigurationTarget[] = [];
  if (inspected?.workspaceFolderValue !== undefined) scopes.push(vscode.ConfigurationTarget.WorkspaceFolder);
  if (inspected?.workspaceValue !== undefined) scopes.push(vscode.ConfigurationTarget.Workspace);
  if (inspected?.globalValue !== undefined) scopes.push(vscode.ConfigurationTarget.Global);
  return scopes;
}

/** A Supabase project's own database is the folder's default connection. */
export function defaultUrlOf(settings: FolderSettings): { defaultUrl?: string } {
  return settings.supabase ? { defaultUrl: supabaseDatabaseUrl(settings.supabase) } : {};
}

/** The folder a command is about: the only one, or the one the person picks. */
export async function pickWorkspaceFolder(config: SettingsStore, placeHolder: string, given?: unknown): Promise<vscode.WorkspaceFolder | undefined> {
  const folders = config.folders;
  if (folders.length === 0) {
    throw new PulseError('usage', 'no folder is open', { hint: 'open the project folder whose database you want to back up' });
  }
  const named = folderNamedBy(folders, given);
  if (named) return named;
  if (folders.length === 1) return folders[0];
  return vscode.window.showWorkspaceFolderPick({ placeHolder });
}

/**
 * The workspace folder a command was started for, by whoever started it
 * with one: a WorkspaceFolder (the scheduler's and the guard's Back Up Now),
 * its Uri, or `{ folderUri }` (the status bar); nothing else names one.
 */
function folderNamedBy(folders: readonly vscode.WorkspaceFolder[], given: unknown): vscode.WorkspaceFolder | undefined {
  if (given === null || typeof given !== 'object') return undefined;
  const uri =
    given instanceof vscode.Uri
      ? given.toString()
      : 'folderUri' in given && typeof given.folderUri === 'string'
        ? given.folderUri
        : 'uri' in given && given.uri instanceof vscode.Uri && 'index' in given
          ? given.uri.toString()
          : undefined;
  return uri === undefined ? undefined : folders.find((folder) => folder.uri.toString() === uri);
}
