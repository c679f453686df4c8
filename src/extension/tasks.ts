/**
 * Backup, verify, restore, prove, diff, push and pull run as VS Code tasks of type `pulse-backup`:
 * from the commands, and from a tasks.json a person writes (a pre-launch
 * backup, say). Each run is a CustomExecution whose terminal
 * (taskTerminal.ts) is the one place its progress shows; all of them share
 * one terminal panel, reused run after run. The command that started a task
 * gets the structured result back.
 */
import * as vscode from 'vscode';
import { showWarning } from './notifications';
import { backupDoneLines } from '../core/backup/summary';
import { runBackup, type BackupResult } from '../core/backup/backup';
import { describeTarget } from '../core/connection/target';
import { PulseError } from '../core/errors';
import { countOf, formatBytes } from '../core/format';
import { currentProof } from '../core/sets/history';
import { findSet, type ListedSet } from '../core/sets/listing';
import { executeRestore } from '../core/restore/load';
import { planRestore } from '../core/restore/plan';
import { type RestoreMode, type RestoreResult } from '../core/restore/types';
import { confirmedRemovals, pruneAfterBackup, pruneSets, type ConfirmedRemovals, type PruneResult } from '../core/retention/retention';
import { latestBackup } from '../core/sets/state';
import type { VerificationReport } from '../core/verify/results';
import type { DiffResult } from '../core/prove/diffResult';
import type { ProofRecord } from '../core/prove/record';
import { diffJob, proveJob, type KnownConnection } from './proofJobs';
import { pullJob, pushAfterBackup, pushJob } from './offsiteJobs';
import type { OffsiteStore } from './offsiteStore';
import type { Passphrases, RunKeys } from './passphrases';
import type { SetKeys } from '../core/codecs/types';
import type { PullResult } from '../core/offsite/pull';
import type { PushResult } from '../core/offsite/push';
import { verifySet } from '../core/verify/verify';
import type { BackupsStore } from './backupsStore';
import type { SettingsStore } from './settingsStore';
import { removalConfirmation, restoreConfirmation } from './dialogs';
import { capitalise, extensionLine, forExtension, type HintContext } from './hints';
import { Disposable } from './lifecycle';
import type { Log } from './log';
import { backupProgressText, restoreDoneLines, restoreProgressText, retentionLines, verificationLines, verifyProgressText } from './progressText';
import { provesAfterBackup, type FolderSettings } from './settings';
import { Declined, PulseTaskTerminal, type JobOutcome, type TaskIO } from './taskTerminal';
import { TASK_TYPE, checkTaskDefinition, isPulseTaskDefinition, taskName, type PulseTaskDefinition } from './taskDefinition';

export { TASK_TYPE, type PulseTaskDefinition };
import { type SupabaseProject } from '../core/supabase/project';
import { describeContainerTools, supabaseToolRoute } from '../core/supabase/toolRoute';
import { findSupabaseCli } from '../core/supabase/reset';

const TASK_SOURCE = 'Pulse Backup';

/** What retention did after a backup, and how many sets the person chose to keep. */
export interface RetentionOutcome {
  result: PruneResult;
  /** Sets the policy would have removed that the person kept when asked. */
  declined: number;
}

/** What a run produced, handed back to the command that started it. */
export interface TaskOutcome extends JobOutcome {
  backup?: BackupResult;
  retention?: RetentionOutcome;
  verification?: VerificationReport;
  restore?: RestoreResult;
  /** prove, and a backup proved after it was written. */
  proof?: ProofRecord;
  /** A backup whose proof could not run (the backup is written either way). */
  proofNotRun?: PulseError;
  diff?: DiffResult;
  /** push, and a backup pushed after it was written (pulseBackup.offsite.pushAfterBackup). */
  push?: PushResult;
  /** A backup whose push could not be made (the backup is written either way). */
  pushNotMade?: PulseError;
  pull?: PullResult;
}

interface TaskDependencies {
  config: SettingsStore;
  store: BackupsStore;
  offsite: OffsiteStore;
  passphrases: Passphrases;
  log: Log;
  /** Called after a backup was written (the .gitignore offer hangs off it). */
  afterBackup?: (folder: vscode.WorkspaceFolder, settings: FolderSettings) => void;
}

export class PulseTasks extends Disposable implements vscode.TaskProvider {
  private runs = 0;

  constructor(private readonly dependencies: TaskDependencies) {
    super();
    this._register(vscode.tasks.registerTaskProvider(TASK_TYPE, this));
  }

  /** The tasks offered in "Run Task": backup and verify-latest, per folder. */
  provideTasks(): vscode.Task[] {
    return this.dependencies.config.folders.flatMap((folder) => (['backup', 'verify'] as const).map((action) => this.createTask({ type: TASK_TYPE, action }, folder)));
  }

  /** A task from tasks.json: same definition, our execution. */
  resolveTask(task: vscode.Task): vscode.Task | undefined {
    if (!isPulseTaskDefinition(task.definition)) return undefined;
    return this.createTask(task.definition, task.scope);
  }

  /**
   * Starts a task and resolves with its outcome when its terminal closes.
   * The operation counts as running from this call on (the job records it
   * again once its terminal opens, as a tasks.json run has only that), so a
   * second command started meanwhile sees it.
   */
  async run(definition: PulseTaskDefinition, folder: vscode.WorkspaceFolder): Promise<TaskOutcome> {
    const reserved = this.dependencies.store.trackOperation(folder, definition.action);
    try {
      return await this.runTask(definition, folder);
    } finally {
      reserved.dispose();
    }
  }

  private async runTask(definition: PulseTaskDefinition, folder: vscode.WorkspaceFolder): Promise<TaskOutcome> {
    let resolveOutcome: (outcome: TaskOutcome) => void = () => undefined;
    const outcome = new Promise<TaskOutcome>((resolve) => {
      resolveOutcome = resolve;
    });
    let settled = false;
    const settle = (value: TaskOutcome) => {
      if (settled) return;
      settled = true;
      resolveOutcome(value);
    };
    // A run of its own: VS Code takes a task whose identity (its definition's declared
    // properties, `run` among them) equals an active or provided one's for that one: it
    // would ignore this start, or run the other task's execution, and our caller would
    // then hear nothing of this run.
    let started = false;
    const task = this.createTask({ ...definition, run: ++this.runs }, folder, settle, () => (started = true));
    let execution: vscode.TaskExecution | undefined;
    // A task that ends without its terminal ever opening (terminated at once) still answers. Once
    // the job has started, its terminal reports the outcome, a stopped one too (closing the terminal
    // aborts the job): VS Code can report the task ended while the job still runs, and that is no stop.
    const ended = vscode.tasks.onDidEndTask((event) => {
      if (execution === undefined || event.execution !== execution || started) return;
      setTimeout(() => settle({ exitCode: 130, error: new PulseError('cancelled', `${taskName(definition)} was stopped`, { hint: 'nothing was changed' }) }), 0);
    });
    try {
      execution = await vscode.tasks.executeTask(task);
      return await outcome;
    } finally {
      ended.dispose();
    }
  }

  private createTask(
    definition: PulseTaskDefinition,
    scope: vscode.WorkspaceFolder | vscode.TaskScope | undefined,
    onOutcome?: (outcome: TaskOutcome) => void,
    onStart?: () => void,
  ): vscode.Task {
    const execution = new vscode.CustomExecution((resolved) => {
      const run = (io: TaskIO) => {
        onStart?.();
        return this.runJob(resolved, scope, io);
      };
      return Promise.resolve(new PulseTaskTerminal<TaskOutcome>(taskName(definition), run, this.dependencies.log, (outcome) => onOutcome?.(outcome)));
    });
    // No problem matchers: the engine's outcome is the result, there is nothing to scan.
    const task = new vscode.Task(definition, scope ?? vscode.TaskScope.Workspace, taskName(definition), TASK_SOURCE, execution, []);
    // One terminal for every run, reused once the previous one has finished, instead of one per set and mode.
    // A scheduled backup runs where a person can look (the terminal list), never in front of their work.
    const reveal = definition.scheduled ? vscode.TaskRevealKind.Never : vscode.TaskRevealKind.Always;
    task.presentationOptions = { reveal, focus: false, panel: vscode.TaskPanelKind.Shared, clear: true };
    return task;
  }

  private async runJob(rawDefinition: vscode.TaskDefinition, scope: vscode.WorkspaceFolder | vscode.TaskScope | undefined, io: TaskIO): Promise<TaskOutcome> {
    const definition = checkTaskDefinition(rawDefinition);
    const folder = this.folderFor(definition, scope);
    const { config, store } = this.dependencies;
    const settings = config.settingsFor(folder);
    const context: HintContext = { supabase: settings.supabase !== undefined };
    const operation = store.trackOperation(folder, definition.action);
    // An encrypted set's passphrase: from secret storage, else asked once, only when a file of the set needs it.
    const run = this.dependencies.passphrases.forRun(folder, definition.setId ?? `the latest set of ${folder.name}`);
    try {
      switch (definition.action) {
        case 'backup':
          if (definition.before !== undefined) return await this.safetyBackup(folder, settings, definition.before, io);
          return await this.backup(folder, settings, io, definition.scheduled === true);
        case 'verify':
          return rememberAfter(run, await this.verify(folder, settings, definition, io, run.keys));
        case 'restore':
          return rememberAfter(run, await this.restore(folder, settings, definition, io, run.keys));
        case 'prove': {
          const setId = definition.setId ?? (await this.latest(folder, settings)).id;
          const proof = await proveJob(this.dependencies, folder, settings, setId, io, { keys: run.keys });
          return rememberAfter(run, { exitCode: proof.outcome === 'proved' ? 0 : 1, proof });
        }
        case 'diff': {
          const setId = definition.setId ?? (await this.latest(folder, settings)).id;
          return rememberAfter(run, { exitCode: 0, diff: await diffJob(this.dependencies, folder, settings, setId, io, run.keys) });
        }
        case 'push': {
          const setId = definition.setId ?? (await this.latest(folder, settings)).id;
          return { exitCode: 0, push: await pushJob(this.dependencies, folder, settings, setId, io) };
        }
        case 'pull':
          return rememberAfter(run, { exitCode: 0, pull: await pullJob(this.dependencies, folder, settings, definition.setId ?? '', io, run.keys) });
      }
    } catch (error) {
      throw forExtension(error, context);
    } finally {
      operation.dispose();
      store.refresh(folder);
    }
  }

  private async backup(folder: vscode.WorkspaceFolder, settings: FolderSettings, io: TaskIO, scheduled: boolean): Promise<TaskOutcome> {
    const { log } = this.dependencies;
    const { backup, target, container } = await this.writeSet(folder, settings, io);
    log.info(`backup ${backup.manifest.id} written`);
    // A scheduled backup offers nothing: the offer waits for a backup a person starts.
    if (!scheduled) this.dependencies.afterBackup?.(folder, settings);
    // Proved before retention runs, so a set that fails its proof is never the newest good set.
    const proved = provesAfterBackup(settings.proveAfterBackup, backup.manifest)
      ? await this.proveAfterBackup(folder, settings, backup, io, { target, ...(container ? { container } : {}) })
      : {};
    // Pushed before retention, as the CLI's backup --offsite: a set that failed its proof is pushed all the same (it is kept here too).
    const pushed = settings.offsite?.pushAfterBackup ? await pushAfterBackup(this.dependencies, folder, settings, backup.manifest.id, io) : {};
    // As in the CLI: the set is written whatever retention does, so its failure is a warning.
    let retention: RetentionOutcome | undefined;
    try {
      retention = await this.retainAfterBackup(folder, settings, backup, io, scheduled);
    } catch (error) {
      io.line(`Warning: the backup succeeded, but retention did not run to the end: ${extensionLine(error)}`);
      log.error('retention after the backup', error);
    }
    return { exitCode: 0, backup, ...proved, ...pushed, ...(retention ? { retention } : {}) };
  }

  /** A safety set before a destructive command, as `pulse-backup guard` takes it: kept as restore keeps its own, not proved, no retention. */
  private async safetyBackup(folder: vscode.WorkspaceFolder, settings: FolderSettings, before: string, io: TaskIO): Promise<TaskOutcome> {
    const { backup } = await this.writeSet(folder, settings, io, before);
    this.dependencies.log.info(`safety set ${backup.manifest.id} written before ${before}`);
    return { exitCode: 0, backup };
  }

  /** One set written, a real backup or (`before` a command) a safety set, its lines in the terminal. */
  private async writeSet(folder: vscode.WorkspaceFolder, settings: FolderSettings, io: TaskIO, before?: string) {
    const { config, log } = this.dependencies;
    config.requireTrust('Backing up');
    const target = await config.connectionTarget(folder);
    const container = await supabaseToolRoute(settings.supabase, target, { pgBinDir: config.clientToolsFolder(settings), env: process.env });
    if (container) io.line(capitalise(describeContainerTools(container)));
    io.line(`${before ? 'Safety backup of' : 'Backing up'} ${describeTarget(target)} into ${settings.backupsFolder}${before ? `, before ${before}` : ''}`);
    log.info(`backup of ${describeTarget(target)} into ${settings.backupsFolder} started`);
    const backup = await runBackup({
      target,
      folder: settings.backupsFolder,
      prefix: settings.prefix,
      env: process.env,
      pgBinDir: config.clientToolsFolder(settings),
      profile: settings.profile,
      ...(settings.compress ? { encoding: { compression: { method: settings.compress } } } : {}),
      ...(settings.jobs !== undefined ? { jobs: settings.jobs } : {}),
      ...(container ? { container } : {}),
      ...(before !== undefined ? { purpose: 'safety' as const, takenBefore: before } : {}),
      signal: io.signal,
      onProgress: (event) => io.progress(backupProgressText(event)),
    });
    for (const line of backupDoneLines(backup.manifest, settings.backupsFolder)) io.line(line);
    return { backup, target, container };
  }

  /**
   * The pulseBackup.proveAfterBackup setting's proof, in the same task: a
   * proof that fails, or cannot run, is a warning about a set that is kept,
   * never a failed backup. A cancel stops the task (the set is written).
   */
  private async proveAfterBackup(
    folder: vscode.WorkspaceFolder,
    settings: FolderSettings,
    backup: BackupResult,
    io: TaskIO,
    known: KnownConnection,
  ): Promise<Pick<TaskOutcome, 'proof' | 'proofNotRun'>> {
    try {
      return { proof: await proveJob(this.dependencies, folder, settings, backup.manifest.id, io, known) };
    } catch (error) {
      const pulseError = forExtension(error, { supabase: settings.supabase !== undefined });
      if (io.signal.aborted) {
        throw new PulseError('cancelled', `the proof of ${backup.manifest.id} was cancelled`, {
          hint: 'the backup is written and kept; the scratch databases were dropped, and retention did not run',
        });
      }
      io.line(`Warning: the backup succeeded and its set is kept, but it could not be proved: ${extensionLine(pulseError, { supabase: settings.supabase !== undefined })}`);
      this.dependencies.log.error(`proof after the backup ${backup.manifest.id}`, pulseError);
      return { proofNotRun: pulseError };
    }
  }

  /**
   * Retention after a backup, as the CLI's but asking instead of holding
   * back: when the policy would remove more than a few sets, or sets it has
   * never kept before, a modal lists them with their size and nothing goes
   * until the person answers. Every removal is written to the log.
   */
  private async retainAfterBackup(folder: vscode.WorkspaceFolder, settings: FolderSettings, backup: BackupResult, io: TaskIO, scheduled: boolean): Promise<RetentionOutcome> {
    const { log } = this.dependencies;
    const common = { policy: settings.retention, env: process.env, verify: verifySet, signal: io.signal };
    const preview = await pruneSets({
      ...common,
      folder: backup.folder,
      prefix: backup.manifest.prefix,
      justWritten: backup.manifest.id,
      justWrittenManifest: backup.manifest,
      dryRun: true,
    });
    let confirmed: ConfirmedRemovals = 'routine';
    let declinedCount = 0;
    if (preview.removed.length > 0 && preview.review.confirm && scheduled) {
      // Nobody is asked during a scheduled backup: what needs an answer stays until a backup by hand asks.
      confirmed = new Set();
      declinedCount = preview.removed.length;
      io.line(`Retention would remove ${countOf(preview.removed.length, 'set')} and needs your answer for that: kept them until the next backup you start.`);
      log.info(
        `retention after the scheduled ${backup.manifest.id}: kept ${countOf(preview.removed.length, 'set')} the policy would remove (${preview.review.reasons.join('; ')}) until a backup by hand asks`,
      );
    } else if (preview.removed.length > 0 && preview.review.confirm) {
      const question = removalConfirmation(preview, { afterBackup: true, folderName: folder.name });
      io.line(
        `Retention would remove ${countOf(preview.removed.length, 'set')} (${formatBytes(preview.removed.reduce((sum, set) => sum + set.totalBytes, 0))}): waiting for your answer.`,
      );
      const keep = 'Keep Them';
      const choice = await showWarning(question.message, { modal: true, detail: question.detail }, question.remove, keep);
      if (choice === question.remove) {
        confirmed = confirmedRemovals(preview);
      } else {
        confirmed = new Set();
        declinedCount = preview.removed.length;
        io.line(`Kept them: retention removed nothing (${preview.review.reasons.join('; ')}).`);
        log.info(`retention after ${backup.manifest.id}: kept ${countOf(preview.removed.length, 'set')} the policy would remove, as the person chose`);
      }
    }
    const result = await pruneAfterBackup(backup, {
      ...common,
      confirmed,
      onProgress: (event) => {
        if (event.kind === 'verifying') io.line(`Verifying ${event.setId} to find the newest good set…`);
        if (event.kind === 'removed') log.info(`retention removed ${event.set.id} (${formatBytes(event.set.totalBytes)})`);
      },
    });
    for (const line of retentionLines(result)) io.line(line);
    for (const warning of result.warnings.map((error) => extensionLine(error))) {
      io.line(`Warning: ${warning}`);
      log.warn(`retention after ${backup.manifest.id}: ${warning}`);
    }
    return { result, declined: declinedCount };
  }

  private async verify(folder: vscode.WorkspaceFolder, settings: FolderSettings, definition: PulseTaskDefinition, io: TaskIO, keys: SetKeys): Promise<TaskOutcome> {
    const setId = definition.setId ?? (await this.latest(folder, settings)).id;
    io.line(`Verifying ${setId} in ${settings.backupsFolder}`);
    const report = await verifySet({
      folder: settings.backupsFolder,
      setId,
      keys,
      env: process.env,
      pgBinDir: this.dependencies.config.clientToolsFolder(settings),
      signal: io.signal,
      onProgress: (event) => io.progress(verifyProgressText(event)),
    });
    for (const line of verificationLines(report)) io.line(line);
    return { exitCode: report.outcome === 'fail' ? 1 : 0, verification: report };
  }

  private async restore(folder: vscode.WorkspaceFolder, settings: FolderSettings, definition: PulseTaskDefinition, io: TaskIO, keys: SetKeys): Promise<TaskOutcome> {
    const { config, log } = this.dependencies;
    config.requireTrust('Restoring');
    const setId = definition.setId ?? (await this.latest(folder, settings)).id;
    const mode = definition.mode ?? 'complete';
    const target = await config.connectionTarget(folder);
    const container = await supabaseToolRoute(settings.supabase, target, { pgBinDir: config.clientToolsFolder(settings), env: process.env });
    if (container) io.line(capitalise(describeContainerTools(container)));
    io.line(`Pre-flight for restoring ${setId} (${mode}) into ${describeTarget(target)}: verifying the set and looking at the target…`);
    const planned = await planRestore({
      folder: settings.backupsFolder,
      setId,
      mode,
      keys,
      target,
      ...(container ? { container } : {}),
      env: process.env,
      pgBinDir: config.clientToolsFolder(settings),
      clean: (definition.clean ?? false) || definition.reset === true,
      allowRemote: false,
      safetyBackup: settings.safetyBackupBeforeRestore || definition.reset === true,
      signal: io.signal,
    });
    const { plan } = planned;
    const reset = definition.reset ? resetProject(settings, mode) : undefined;
    // A reset wipes the database: never without the safety backup.
    const safetyBackup = settings.safetyBackupBeforeRestore || reset !== undefined;
    const proof = await currentProof(settings.backupsFolder, await findSet(settings.backupsFolder, setId));
    const confirmation = restoreConfirmation(plan, { host: target.host, port: target.port, database: target.database }, safetyBackup, { standing: proof, now: new Date() });
    if (reset) {
      confirmation.message = `Reset the local database, then restore ${setId} (data only) into database "${target.database}" on ${target.host}:${target.port}?`;
      confirmation.detail = `First: supabase db reset --local in ${reset.folder}, after the safety backup: it wipes the database and rebuilds it from the migrations.\n${confirmation.detail}`;
    }
    for (const line of [confirmation.message, ...confirmation.detail.split('\n')]) io.line(line);
    const confirmed = await askToRestore(confirmation, io);
    if (!confirmed) throw new Declined('restore not confirmed', 'nothing was changed');
    log.info(`restore of ${setId} (${mode}) into ${plan.target} confirmed`);
    const result = await executeRestore(planned, {
      safetyBackup,
      ...(reset ? { reset: { project: reset, env: process.env } } : {}),
      signal: io.signal,
      onProgress: (event) => io.progress(restoreProgressText(event)),
    });
    for (const line of restoreDoneLines(result)) io.line(line);
    log.info(`restore of ${setId} finished; row counts ${result.rowCountsMatch ? 'match' : 'differ'}`);
    return { exitCode: result.rowCountsMatch ? 0 : 1, restore: result };
  }

  /** The newest real backup, whole: what "latest" means everywhere. */
  private async latest(folder: vscode.WorkspaceFolder, settings: FolderSettings): Promise<ListedSet> {
    const listing = await this.dependencies.store.currentListing(folder);
    const entry = latestBackup(listing.entries);
    if (!entry) {
      throw new PulseError('unknown-set', `there is no backup set to use in ${settings.backupsFolder}`, { hint: 'run Pulse Backup: Back Up Database first' });
    }
    return entry.set;
  }

  private folderFor(definition: PulseTaskDefinition, scope: vscode.WorkspaceFolder | vscode.TaskScope | undefined): vscode.WorkspaceFolder {
    const folders = this.dependencies.config.folders;
    if (definition.folder !== undefined) {
      const named = folders.find((folder) => folder.name === definition.folder || folder.uri.fsPath === definition.folder);
      if (!named) {
        throw new PulseError('usage', `no workspace folder is called "${definition.folder}"`, {
          hint: `set "folder" to one of: ${folders.map((folder) => folder.name).join(', ')}`,
        });
      }
      return named;
    }
    if (scope !== undefined && typeof scope === 'object') return scope;
    if (folders.length === 1) return folders[0];
    if (folders.length === 0) throw new PulseError('usage', 'no folder is open', { hint: 'open the project folder first' });
    throw new PulseError('usage', 'this workspace has several folders and the task does not say which', {
      hint: `add "folder": one of ${folders.map((folder) => `"${folder.name}"`).join(', ')} to the task`,
    });
  }
}

/** A run that read an encrypted set with a passphrase typed in for it offers to remember it, once the run is over. */
function rememberAfter(run: RunKeys, outcome: TaskOutcome): TaskOutcome {
  if (outcome.exitCode === 0 || outcome.verification !== undefined || outcome.proof !== undefined) void run.offerToRemember();
  return outcome;
}

/**
 * The modal asks; Show Details writes every object the restore replaces
 * into the terminal and asks again in a notification, so the list can be
 * read (and scrolled) while the question waits.
 */
async function askToRestore(confirmation: { message: string; detail: string; objects: string[] }, io: TaskIO): Promise<boolean> {
  const restore = 'Restore';
  const details = 'Show Details';
  const buttons = confirmation.objects.length > 0 ? [restore, details] : [restore];
  const choice = await showWarning(confirmation.message, { modal: true, detail: confirmation.detail }, ...buttons);
  if (choice !== details) return choice === restore;
  io.line('');
  io.line(`What the restore replaces (${confirmation.objects.length}):`);
  for (const line of confirmation.objects) io.line(`  ${line}`);
  const again = await showWarning(`${confirmation.message} The ${confirmation.objects.length} objects it replaces are listed in the terminal.`, restore, 'Cancel');
  return again === restore;
}

/** The project a reset task resets: a Supabase project, a data restore, and the supabase CLI on PATH. */
function resetProject(settings: FolderSettings, mode: RestoreMode): SupabaseProject {
  if (!settings.supabase) {
    throw new PulseError('usage', `"reset" needs a Supabase project: ${settings.workspaceFolder} has no supabase/config.toml`, { hint: 'remove "reset" from the task' });
  }
  if (mode !== 'data')
    throw new PulseError('usage', 'a reset rebuilds the schema from the migrations, so only a data restore can follow it', { hint: 'use "mode": "data" with "reset"' });
  if (!findSupabaseCli(process.env)) {
    throw new PulseError('tools-not-found', 'the supabase CLI is not on PATH (supabase db reset --local needs it)', {
      hint: 'install it, or run supabase db reset yourself and restore data only',
    });
  }
  return settings.supabase;
}
