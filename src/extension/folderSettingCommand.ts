/**
 * Choose Backups Folder and Choose Client Tools Folder: a folder picker,
 * and the choice written to the settings scope that holds the value now
 * (a workspace file's value stays in the workspace file, a user setting in
 * the user settings), so the new value is the one that applies.
 */
import * as vscode from 'vscode';
import { showInformation } from './notifications';
import { pickWorkspaceFolder, scopeHolding, type SettingsStore } from './settingsStore';
import { SETTINGS_SECTION, SETTING, settingValue } from './settings';

type FolderSettingKey = typeof SETTING.backupsFolder | typeof SETTING.clientToolsFolder;

const SCOPE_WORDS: Readonly<Record<vscode.ConfigurationTarget, string>> = {
  [vscode.ConfigurationTarget.Global]: 'user settings',
  [vscode.ConfigurationTarget.Workspace]: 'workspace settings',
  [vscode.ConfigurationTarget.WorkspaceFolder]: 'folder settings',
};

export async function chooseFolderSetting(config: SettingsStore, key: FolderSettingKey): Promise<void> {
  const what = key === SETTING.backupsFolder ? 'backups folder' : 'client tools folder (pg_dump and psql)';
  const folder = await pickWorkspaceFolder(config, `Choose the ${what} of which folder?`);
  if (!folder) return;
  const settings = config.settingsFor(folder);
  const current = key === SETTING.backupsFolder ? settings.backupsFolder : settings.clientToolsFolder;
  const picked = await vscode.window.showOpenDialog({
    title: `Pulse Backup: ${key === SETTING.backupsFolder ? 'Backups Folder' : 'Client Tools Folder'} of ${folder.name}`,
    canSelectFolders: true,
    canSelectFiles: false,
    canSelectMany: false,
    openLabel: 'Use This Folder',
    defaultUri: vscode.Uri.file(current ?? folder.uri.fsPath),
  });
  const chosen = picked?.[0];
  if (!chosen) return;
  const section = vscode.workspace.getConfiguration(SETTINGS_SECTION, folder.uri);
  const scope = scopeHolding(section, key) ?? (config.folders.length > 1 ? vscode.ConfigurationTarget.WorkspaceFolder : vscode.ConfigurationTarget.Workspace);
  const value = settingValue(chosen.fsPath, folder.uri.fsPath);
  await section.update(key, value, scope);
  void showInformation(`The ${what} of ${folder.name} is now ${chosen.fsPath} (pulseBackup.${key} in the ${SCOPE_WORDS[scope]}).`);
}
