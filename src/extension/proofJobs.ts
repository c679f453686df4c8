/**
 * The prove and diff jobs a pulse-backup task runs (tasks.ts starts them in
 * the shared task terminal): the engine's proveSet and diffSet with the
 * folder's configured connection — the URL setting and the password in
 * secret storage win over the environment, as for a backup — and, in a
 * Supabase project whose database runs in the stack's container, the
 * container's own pg_dump and psql. Progress and outcome lines go to the
 * terminal; the structured result goes back to the command.
 */
import type * as vscode from 'vscode';
import { describeServer, describeTarget, type ConnectionTarget } from '../core/connection/target';
import { diffSet } from '../core/prove/diff';
import { type DiffResult } from '../core/prove/diffResult';
import { proveSet } from '../core/prove/prove';
import type { ProofRecord } from '../core/prove/record';
import { type ContainerTools } from '../core/supabase/docker';
import { describeContainerTools, supabaseToolRoute } from '../core/supabase/toolRoute';
import type { SettingsStore } from './settingsStore';
import { capitalise } from './hints';
import type { Log } from './log';
import { diffProgressText, proofBriefLines, proveProgressText } from './proofText';
import { proofOutcomeLines } from '../core/prove/words';
import type { FolderSettings } from './settings';
import type { TaskIO } from './taskTerminal';
import type { SetKeys } from '../core/codecs/types';

export interface ProofJobDependencies {
  config: SettingsStore;
  log: Log;
}

/** Where the backed-up database is, as the backup just used it (prove after backup): not resolved twice. */
export interface KnownConnection {
  target: ConnectionTarget;
  container?: ContainerTools;
}

/**
 * Restores the set into scratch databases (on the database's own server, or
 * the pulseBackup.scratchServerURL setting's), reads it back, compares, drops
 * them, and records the result in the set's history. A cancel drops them too
 * and records nothing (the engine throws a `cancelled` error).
 */
export async function proveJob(
  dependencies: ProofJobDependencies,
  folder: vscode.WorkspaceFolder,
  settings: FolderSettings,
  setId: string,
  io: TaskIO,
  known?: Partial<KnownConnection> & { keys?: SetKeys },
): Promise<ProofRecord> {
  const { config, log } = dependencies;
  config.requireTrust('Proving a set');
  const afterBackup = known?.target !== undefined;
  const target = known?.target ?? (await config.connectionTarget(folder));
  const scratchTarget = await config.scratchTarget(folder);
  const pgBinDir = config.clientToolsFolder(settings);
  // The container's tools only where the scratch databases are the container's own database server.
  const container = scratchTarget ? await toolRoute(settings, scratchTarget, pgBinDir, io) : afterBackup ? known?.container : await toolRoute(settings, target, pgBinDir, io);
  io.line(`Proving ${setId} in scratch databases on ${describeServer(scratchTarget ?? target)} as ${(scratchTarget ?? target).user}`);
  log.info(`proof of ${setId} on ${describeTarget(scratchTarget ?? target)} started`);
  const record = await proveSet({
    folder: settings.backupsFolder,
    setId,
    target,
    ...(scratchTarget ? { scratchTarget } : {}),
    env: process.env,
    ...(pgBinDir !== undefined ? { pgBinDir } : {}),
    ...(container ? { container } : {}),
    allowRemote: false,
    ...(known?.keys ? { keys: known.keys } : {}),
    signal: io.signal,
    // After a backup (`known` with a target), the proof says its outcome in few lines: the backup's own lines stay in view.
    onProgress: (event) => io.progress(proveProgressText(event, { brief: afterBackup })),
  });
  for (const line of afterBackup ? proofBriefLines(record) : proofOutcomeLines(record)) io.line(line);
  log.info(`proof of ${setId}: ${record.summary}`);
  return record;
}

/** What changed in the database since the set, read-only in one snapshot. */
export async function diffJob(
  dependencies: ProofJobDependencies,
  folder: vscode.WorkspaceFolder,
  settings: FolderSettings,
  setId: string,
  io: TaskIO,
  keys?: SetKeys,
): Promise<DiffResult> {
  const { config, log } = dependencies;
  config.requireTrust('Comparing with the database');
  const target = await config.connectionTarget(folder);
  const pgBinDir = config.clientToolsFolder(settings);
  const container = await toolRoute(settings, target, pgBinDir, io);
  io.line(`Comparing ${setId} with ${describeTarget(target)}: nothing is written`);
  const result = await diffSet({
    folder: settings.backupsFolder,
    setId,
    target,
    env: process.env,
    ...(pgBinDir !== undefined ? { pgBinDir } : {}),
    ...(container ? { container } : {}),
    ...(keys ? { keys } : {}),
    signal: io.signal,
    onProgress: (event) => io.progress(diffProgressText(event)),
  });
  io.line(capitalise(result.summary));
  log.info(`diff of ${setId}: ${result.summary}`);
  return result;
}

async function toolRoute(settings: FolderSettings, target: ConnectionTarget, pgBinDir: string | undefined, io: TaskIO): Promise<ContainerTools | undefined> {
  const container = await supabaseToolRoute(settings.supabase, target, { pgBinDir, env: process.env });
  if (container) io.line(capitalise(describeContainerTools(container)));
  return container;
}
