/**
 * The push and pull jobs a pulse-backup task runs (tasks.ts starts them in
 * the shared task terminal): the engine's pushSet and pullSet with the
 * folder's offsite settings and the keys from secret storage, given to the
 * engine as values (never in a child's environment or a command line).
 * Progress and outcome lines go to the terminal; the structured result goes
 * back to the command. A stopped push aborts its upload and removes what it
 * wrote, so nothing of it is listed as good on the remote.
 */
import type * as vscode from 'vscode';
import { PulseError } from '../core/errors';
import { extensionLine, forExtension } from './hints';
import { pullSet, type PullResult } from '../core/offsite/pull';
import { pushSet, type PushResult } from '../core/offsite/push';
import type { Log } from './log';
import type { OffsiteStore } from './offsiteStore';
import type { Passphrases } from './passphrases';
import type { Encryption } from '../core/crypto/keySources';
import type { SetKeys } from '../core/codecs/types';
import { findSet } from '../core/sets/listing';
import { requireOffsite } from './offsiteStore';
import { pullDoneLines, pullProgressText, pushDoneLines, pushProgressText } from './offsiteText';
import type { FolderSettings } from './settings';
import type { SettingsStore } from './settingsStore';
import type { TaskIO } from './taskTerminal';

export interface OffsiteJobDependencies {
  config: SettingsStore;
  offsite: OffsiteStore;
  passphrases: Passphrases;
  log: Log;
}

/** Copies the set to the folder's remote, then (pulseBackup.offsite.keep) applies the remote's retention. */
export async function pushJob(dependencies: OffsiteJobDependencies, folder: vscode.WorkspaceFolder, settings: FolderSettings, setId: string, io: TaskIO): Promise<PushResult> {
  const { config, offsite, log } = dependencies;
  config.requireTrust('Pushing offsite');
  const { keep, encrypt } = requireOffsite(settings, folder);
  const connection = await offsite.connection(folder, settings);
  const encryption = encrypt ? await remoteEncryption(dependencies, folder, settings, setId) : undefined;
  io.line(
    `Pushing ${setId} to ${connection.url}${connection.storedKeys ? ' with the keys in secret storage' : ''}${encryption ? ', encrypted there (age) with the passphrase in secret storage' : ''}`,
  );
  log.info(`push of ${setId} to ${connection.url} started`);
  try {
    const result = await pushSet({
      ...connection,
      folder: settings.backupsFolder,
      setId,
      ...(keep !== undefined ? { keep } : {}),
      ...(encryption ? { encryption } : {}),
      signal: io.signal,
      onProgress: (event) => io.progress(pushProgressText(event)),
    });
    for (const line of pushDoneLines(result)) io.line(line);
    if (result.retentionFailed) {
      io.line(`Warning: the copy is there, but offsite retention did not run to the end: ${extensionLine(result.retentionFailed, { supabase: settings.supabase !== undefined })}`);
      log.error(`offsite retention at ${connection.url} after the push of ${setId}`, result.retentionFailed);
    }
    log.info(`push of ${setId}: ${result.alreadyThere ? 'the same copy was there already' : `${result.bytes} bytes sent`} (${result.url})`);
    if (result.retention && result.retention.removed.length > 0) log.info(`offsite retention at ${connection.url} removed ${result.retention.removed.join(', ')}`);
    return result;
  } finally {
    // Pushed, or stopped halfway: what the remote holds may have changed.
    offsite.invalidate(folder);
  }
}

/**
 * Offsite: Encrypt's key: the folder's stored passphrase, never asked in the
 * middle of a task (a typo there would lock the copy away). A set that is
 * encrypted already goes as it is.
 */
async function remoteEncryption(dependencies: OffsiteJobDependencies, folder: vscode.WorkspaceFolder, settings: FolderSettings, setId: string): Promise<Encryption | undefined> {
  const set = await findSet(settings.backupsFolder, setId);
  if (set.manifest?.encryption) return undefined;
  const passphrase = await dependencies.passphrases.stored(folder);
  if (passphrase === undefined) {
    throw new PulseError('key-missing', `Offsite: Encrypt is on, but no passphrase of ${folder.name}'s encrypted sets is stored: nothing was pushed`, {
      hint: 'run Pulse Backup: Set Encryption Passphrase…, or turn the setting off',
    });
  }
  return { to: { kind: 'passphrase', passphrase: () => Promise.resolve(passphrase) }, record: { format: 'age', method: 'passphrase' } };
}

/**
 * The pulseBackup.offsite.pushAfterBackup setting's push, in the backup's
 * task: one that fails is a warning about a set that is written and kept
 * here, never a failed backup. A cancel stops the task (the set is written).
 */
export async function pushAfterBackup(
  dependencies: OffsiteJobDependencies,
  folder: vscode.WorkspaceFolder,
  settings: FolderSettings,
  setId: string,
  io: TaskIO,
): Promise<{ push?: PushResult; pushNotMade?: PulseError }> {
  const context = { supabase: settings.supabase !== undefined };
  try {
    return { push: await pushJob(dependencies, folder, settings, setId, io) };
  } catch (error) {
    const pulseError = forExtension(error, context);
    if (io.signal.aborted) {
      throw new PulseError('cancelled', `the push of ${setId} was cancelled`, {
        hint: 'the backup is written and kept here; nothing of it is listed on the remote, and retention did not run',
      });
    }
    io.line(`Warning: the backup succeeded and its set is kept here, but it was not copied offsite: ${extensionLine(pulseError, context)}`);
    dependencies.log.error(`push after the backup ${setId}`, pulseError);
    return { pushNotMade: pulseError };
  }
}

/** Copies a remote set into the backups folder, all or nothing, every file checked against the remote manifest. */
export async function pullJob(
  dependencies: OffsiteJobDependencies,
  folder: vscode.WorkspaceFolder,
  settings: FolderSettings,
  setId: string,
  io: TaskIO,
  keys: SetKeys,
): Promise<PullResult> {
  const { config, offsite, log } = dependencies;
  config.requireTrust('Pulling from offsite storage');
  const connection = await offsite.connection(folder, settings);
  io.line(`Pulling ${setId} from ${connection.url} into ${settings.backupsFolder}`);
  log.info(`pull of ${setId} from ${connection.url} started`);
  const result = await pullSet({
    ...connection,
    folder: settings.backupsFolder,
    setId,
    // A copy encrypted for the remote only (Offsite: Encrypt) is decrypted on the way with the folder's passphrase.
    keys: () => Promise.resolve(keys),
    signal: io.signal,
    onProgress: (event) => io.progress(pullProgressText(event)),
  });
  for (const line of pullDoneLines(result)) io.line(line);
  log.info(`pull of ${setId}: ${result.alreadyHere ? 'the same set was here already' : `${result.bytes} bytes received`}`);
  return result;
}
