/**
 * A backup before the commands that wipe or rewrite the local database
 * (the engine's list, src/core/destructiveCommands.ts).
 *
 * What is guaranteed, and what is not. **Back Up and Reset Database** takes a
 * safety set first and starts `supabase db reset` only once that set is
 * written, as `pulse-backup guard` does: the database as it was is in the
 * set. A command typed into a terminal, or a task of someone else's, VS Code
 * reports only once it has started: by then nothing can be backed up
 * "first", and stopping it halfway could leave a half-reset database. So
 * with pulseBackup.guard on, the extension warns as it starts, says how old
 * the newest backup is, and offers Back Up Now (which may already miss what
 * the command changed) and the guarded command for next time. Terminals are
 * seen only where VS Code's shell integration runs (bash, zsh, fish,
 * PowerShell with it enabled).
 */
import * as vscode from 'vscode';
import { showWarning } from './notifications';
import { DESTRUCTIVE_COMMANDS, destructiveCommandIn, type DestructiveCommand } from '../core/process/destructiveCommands';
import { PulseError } from '../core/errors';
import { newestBackupClause } from './guardWords';
import type { BackupsStore } from './backupsStore';
import { Disposable } from './lifecycle';
import { showFailure, type Log } from './log';
import { pickWorkspaceFolder, type SettingsStore } from './settingsStore';
import { TASK_TYPE } from './taskDefinition';
import type { PulseTasks } from './tasks';

const RESET: DestructiveCommand = DESTRUCTIVE_COMMANDS[0];
const GUARDED_TASK_SOURCE = 'Pulse Backup (guarded)';

export class CommandGuard extends Disposable {
  /** Warnings given, newest last (the extension's tests read them through the API). */
  readonly warnings: string[] = [];
  /** Guarded resets running now: their own reset, seen by shell integration in its terminal, is no cause for a warning. */
  private guardedRuns = 0;

  constructor(
    private readonly config: SettingsStore,
    private readonly store: BackupsStore,
    private readonly tasks: PulseTasks,
    private readonly log: Log,
  ) {
    super();
    this._register(
      vscode.commands.registerCommand('pulseBackup.guardedReset', async () => {
        try {
          await this.guardedReset();
        } catch (error) {
          await showFailure(log, 'pulseBackup.guardedReset', error);
        }
      }),
    );
    // VS Code 1.93 and later; an older host simply has no such event.
    const onShellExecution = (vscode.window as Partial<typeof vscode.window>).onDidStartTerminalShellExecution;
    if (onShellExecution) {
      this._register(
        onShellExecution((event) => {
          const cwd = event.execution.cwd ?? event.shellIntegration.cwd;
          void this.started(event.execution.commandLine.value, `the terminal "${event.terminal.name}"`, cwd);
        }),
      );
    }
    this._register(
      vscode.tasks.onDidStartTask((event) => {
        const task = event.execution.task;
        if (task.source === GUARDED_TASK_SOURCE || task.definition.type === TASK_TYPE) return;
        const line = commandLineOf(task.execution);
        const scope = typeof task.scope === 'object' ? task.scope.uri : undefined;
        if (line !== undefined) void this.started(line, `the task "${task.name}"`, scope);
      }),
    );
  }

  /** A destructive command has just started somewhere: warn, honestly, once per start. */
  private async started(commandLine: string, where: string, cwd: vscode.Uri | undefined): Promise<void> {
    if (!this.config.guardEnabled) return;
    const command = destructiveCommandIn(commandLine);
    if (!command || (command === RESET && this.guardedRuns > 0)) return;
    const folders = this.config.folders;
    if (folders.length === 0) return;
    // The folder it runs in; outside every folder, the only one, else none is guessed (Back Up Now then asks).
    const folder = (cwd && vscode.workspace.getWorkspaceFolder(cwd)) ?? (folders.length === 1 ? folders[0] : undefined);
    let newest = '';
    if (folder) {
      newest = `; there is no backup of ${folder.name} yet`;
      try {
        newest = newestBackupClause(folder.name, (await this.store.currentListing(folder)).entries);
      } catch {
        // An unreadable folder: the warning still goes out.
      }
    }
    const message = `${command.command} started in ${where} without a backup first: it ${command.effect}. It is already running, so a backup now may miss what it changes${newest}. Next time, run it guarded (Pulse Backup: Back Up and Reset Database, or pulse-backup guard -- ${command.command}).`;
    this.warnings.push(message);
    this.log.warn(message);
    const backUp = 'Back Up Now';
    const choice = await showWarning(message, backUp, 'Turn Off These Warnings');
    if (choice === backUp) await vscode.commands.executeCommand('pulseBackup.backup', folder);
    if (choice === 'Turn Off These Warnings') await vscode.workspace.getConfiguration('pulseBackup').update('guard', false, vscode.ConfigurationTarget.Global);
  }

  /** The safety set, then `supabase db reset` in a task terminal, only once the set is written. */
  private async guardedReset(): Promise<void> {
    const folder = await pickWorkspaceFolder(this.config, 'Reset the database of which folder?');
    if (!folder) return;
    this.config.requireTrust('Resetting the database');
    const settings = this.config.settingsFor(folder);
    if (!settings.supabase) {
      throw new PulseError('usage', `${folder.name} has no supabase/config.toml, so there is no supabase db reset to guard`, {
        hint: 'for another command, run pulse-backup guard -- COMMAND in a terminal',
      });
    }
    const go = 'Back Up, Then Reset';
    const choice = await showWarning(
      `Back up the database of ${folder.name}, then run ${RESET.command}?`,
      {
        modal: true,
        detail: `${RESET.command} ${RESET.effect}. A safety set of the database as it is now is written first; the reset starts only once it is whole, and does not start at all when the backup fails.`,
      },
      go,
    );
    if (choice !== go) return;
    const outcome = await this.tasks.run({ type: TASK_TYPE, action: 'backup', before: RESET.command }, folder);
    if (outcome.error || !outcome.backup) {
      const error = outcome.error ?? new PulseError('cancelled', 'the safety backup was stopped', { hint: 'the database was not touched' });
      await showFailure(this.log, 'safety backup', error, { logged: true, prefix: `${RESET.command} did not run: ` });
      return;
    }
    const setId = outcome.backup.manifest.id;
    const task = new vscode.Task(
      { type: 'shell', guardedBy: setId },
      folder,
      RESET.command,
      GUARDED_TASK_SOURCE,
      new vscode.ShellExecution('supabase', ['db', 'reset'], { cwd: folder.uri.fsPath }),
      [],
    );
    task.presentationOptions = { reveal: vscode.TaskRevealKind.Always, focus: true, panel: vscode.TaskPanelKind.Dedicated };
    this.log.info(`${RESET.command} in ${folder.name} after the safety set ${setId}`);
    this.guardedRuns += 1;
    let exitCode: number | undefined;
    try {
      exitCode = await runToEnd(task);
    } finally {
      this.guardedRuns -= 1;
    }
    this.store.refresh(folder);
    if (exitCode !== 0) {
      void showWarning(
        `${RESET.command} exited with ${exitCode ?? 'no exit code'}; the safety set ${setId} holds the database as it was before it: restore it from the Backups view.`,
      );
    }
  }
}

/** Starts a task and resolves with its exit code (listening first: a quick one can end before executeTask settles). */
function runToEnd(task: vscode.Task): Promise<number | undefined> {
  return new Promise((resolve, reject) => {
    let execution: vscode.TaskExecution | undefined;
    const early: vscode.TaskProcessEndEvent[] = [];
    const ended = vscode.tasks.onDidEndTaskProcess((event) => {
      if (execution === undefined) early.push(event);
      else if (event.execution === execution) finish(event.exitCode);
    });
    const finish = (code: number | undefined) => {
      ended.dispose();
      resolve(code);
    };
    vscode.tasks.executeTask(task).then(
      (started) => {
        execution = started;
        const before = early.find((event) => event.execution === started);
        if (before) finish(before.exitCode);
      },
      (error: unknown) => {
        ended.dispose();
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}

/** The line a task runs, as a shell would read it; undefined for our own executions. */
function commandLineOf(execution: vscode.Task['execution']): string | undefined {
  if (execution instanceof vscode.ShellExecution) {
    const command = typeof execution.command === 'string' ? execution.command : execution.command?.value;
    const args = (execution.args ?? []).map((arg) => (typeof arg === 'string' ? arg : arg.value));
    return execution.commandLine ?? [command, ...args].filter((word) => word !== undefined).join(' ');
  }
  if (execution instanceof vscode.ProcessExecution) return [execution.process, ...execution.args].join(' ');
  return undefined;
}
