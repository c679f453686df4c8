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
import { requireOffsite } from './offsiteStore';
import { pullDoneLines, pullProgressText, pushDoneLines, pushProgressText } from './offsiteText';
import type { FolderSettings } from './settings';
import type { SettingsStore } from './settingsStore';
import type { TaskIO } from './taskTerminal';

export interface OffsiteJobDependencies {
  config: SettingsStore;
  offsite: OffsiteStore;
  log: Log;
}

/** Copies the set to the folder's remote, then (pulseBackup.offsite.keep) applies the remote's retention. */
export async function pushJob(dependencies: OffsiteJobDependencies, folder: vscode.WorkspaceFolder, settings: FolderSettings, setId: string, io: TaskIO): Promise<PushResult> {
  const { config, offsite, log } = dependencies;
  config.requireTrust('Pushing offsite');
  const keep = requireOffsite(settings, folder).keep;
  const connection = await offsite.connection(folder, settings);
  io.line(`Pushing ${setId} to ${connection.url}${connection.storedKeys ? ' with the keys in secret storage' : ''}`);
  log.info(`push of ${setId} to ${connection.url} started`);
  try {
    const result = await pushSet({
      ...connection,
      folder: settings.backupsFolder,
      setId,
      ...(keep !== undefined ? { keep } : {}),
      signal: io.signal,
      onProgress: (event) => io.progress(pushProgressText(event)),
    });
    for (const line of pushDoneLines(result)) io.line(line);
    log.info(`push of ${setId}: ${result.alreadyThere ? 'the same copy was there already' : `${result.bytes} bytes sent`} (${result.url})`);
    if (result.retention && result.retention.removed.length > 0) log.info(`offsite retention at ${connection.url} removed ${result.retention.removed.join(', ')}`);
    return result;
  } finally {
    // Pushed, or stopped halfway: what the remote holds may have changed.
    offsite.invalidate(folder);
  }
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
export async function pullJob(dependencies: OffsiteJobDependencies, folder: vscode.WorkspaceFolder, settings: FolderSettings, setId: string, io: TaskIO): Promise<PullResult> {
  const { config, offsite, log } = dependencies;
  config.requireTrust('Pulling from offsite storage');
  const connection = await offsite.connection(folder, settings);
  io.line(`Pulling ${setId} from ${connection.url} into ${settings.backupsFolder}`);
  log.info(`pull of ${setId} from ${connection.url} started`);
  const result = await pullSet({
    ...connection,
    folder: settings.backupsFolder,
    setId,
    signal: io.signal,
    onProgress: (event) => io.progress(pullProgressText(event)),
  });
  for (const line of pullDoneLines(result)) io.line(line);
  log.info(`pull of ${setId}: ${result.alreadyHere ? 'the same set was here already' : `${result.bytes} bytes received`}`);
  return result;
}
