/**
 * Configure Connection: the URL (without the password) goes to the folder's
 * settings, the password to SecretStorage; then the connection is tried at
 * once and the server's version shown, so a wrong password shows now, not at
 * the first backup. In a Supabase project the example is the project's own
 * database, at its own port.
 */
import * as vscode from 'vscode';
import { showInformation, withNotificationProgress } from './notifications';
import { describeTarget, explainConnection } from '../core/connection/target';
import { toPulseError } from '../core/errors';
import { probeServer } from '../core/connection/probe';
import { supabaseDatabaseUrl } from '../core/supabase/project';
import { URL_SETTING_LABEL, defaultUrlOf, pickWorkspaceFolder, type SettingsStore } from './settingsStore';
import { forExtension } from './hints';
import { showFailure, type Log } from './log';
import { splitPassword } from './settings';

export async function configureConnection(config: SettingsStore, log: Log): Promise<void> {
  const folder = await pickWorkspaceFolder(config, 'Configure the database of which folder?');
  if (!folder) return;
  const settings = config.settingsFor(folder);
  const projectUrl = settings.supabase ? splitPassword(supabaseDatabaseUrl(settings.supabase)).url : undefined;
  const example = projectUrl ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
  const otherwise = settings.supabase
    ? `Empty: this Supabase project's local database (${projectUrl ?? ''}, from supabase/config.toml).`
    : 'Empty: PULSE_BACKUP_DB_URL, DATABASE_URL or the PG* variables, else the local Supabase database.';
  const entered = await vscode.window.showInputBox({
    title: `Pulse Backup: Database of ${folder.name}`,
    prompt: `PostgreSQL URL without the password, e.g. ${example}. ${otherwise}`,
    value: settings.connectionUrl === undefined ? (projectUrl ?? '') : splitPassword(settings.connectionUrl).url,
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
  const { target, origins } = explainConnection({ url, urlLabel: URL_SETTING_LABEL, env: process.env, ...defaultUrlOf(config.settingsFor(folder)) });
  const described = describeTarget(target);
  let saved: string;
  if (passwordInUrl !== undefined) {
    await config.storePassword(target, passwordInUrl);
    saved = `Saved the URL for ${described}; its password went into VS Code's secret storage, not the settings.`;
  } else {
    const stored = await config.hasStoredPassword(target);
    const empty = stored
      ? 'Enter with nothing typed keeps the stored password.'
      : origins.password === 'PGPASSWORD'
        ? 'Enter with nothing typed uses PGPASSWORD from the environment.'
        : 'Enter with nothing typed: no password (or ~/.pgpass).';
    const password = await vscode.window.showInputBox({
      title: `Password for ${described}`,
      prompt: `Kept in VS Code's secret storage, never in the settings. ${empty}`,
      password: true,
      ignoreFocusOut: true,
    });
    // Escape, like Enter on an empty box, keeps what is stored.
    if (password !== undefined && password !== '') {
      await config.storePassword(target, password);
      saved = `Saved the URL for ${described} and its password.`;
    } else {
      saved = stored ? `Saved the URL for ${described}; kept the stored password.` : `Saved the URL for ${described}, without a password.`;
    }
  }
  await testConnection(config, log, folder, saved);
}

/** Logs in with what is configured now; the result joins the "saved" message, a failure offers to configure again. */
async function testConnection(config: SettingsStore, log: Log, folder: vscode.WorkspaceFolder, saved: string): Promise<void> {
  const settings = config.settingsFor(folder);
  try {
    const target = await config.connectionTarget(folder);
    const probe = await withNotificationProgress({ title: `Connecting to ${describeTarget(target)}…` }, () => probeServer(target));
    log.info(`connection of ${folder.name} tested: PostgreSQL ${probe.serverVersion} at ${describeTarget(target)}`);
    void showInformation(`${saved} Connected: PostgreSQL ${probe.serverVersion} at ${describeTarget(target)}.`);
  } catch (error) {
    await showFailure(log, 'testing the connection', forExtension(error, { supabase: settings.supabase !== undefined }), { prefix: `${saved} ` });
  }
}
