/**
 * pulseBackup.schedule: backups that run by themselves while the window is
 * open. Each folder with a schedule has a timer that wakes at its next time,
 * and at least once a minute: a machine that slept (its timers stopped with
 * it) notices within a minute of waking, and the engine's decision folds
 * every time missed meanwhile into one backup. The engine's runner lets one
 * window decide per backups folder at a time and records what it did in
 * the folder, so a second window on the same folder takes no second backup.
 *
 * A scheduled backup is the manual one's task, run without revealing its
 * terminal or asking anything: retention that would need a confirmation
 * removes nothing (the next backup by hand asks). It says nothing unless it
 * fails; then a warning says what to do.
 */
import * as vscode from 'vscode';
import { showWarning } from './notifications';
import { toPulseError } from '../core/errors';
import { readActivity } from '../core/schedule/activity';
import { runDueBackup, type SlotOutcome } from '../core/schedule/runner';
import { timerDelay } from '../core/schedule/decide';
import { nextRuns } from '../core/schedule/when';
import type { BackupsStore } from './backupsStore';
import { extensionLine } from './hints';
import { Disposable } from './lifecycle';
import type { Log } from './log';
import type { SettingsStore } from './settingsStore';
import { scheduleLine } from './scheduleText';
import type { PulseTasks } from './tasks';
import { TASK_TYPE } from './taskDefinition';

interface FolderTimer {
  timer: NodeJS.Timeout;
  /** When the timer was meant to fire, to tell a sleep from a late timer in the log. */
  expected: number;
}

export class BackupScheduler extends Disposable {
  private readonly timers = new Map<string, FolderTimer>();
  private readonly running = new Set<string>();
  /** The last invalid value warned about per folder, so a wrong setting is said once. */
  private readonly warnedInvalid = new Map<string, string>();
  private readonly changed = this._register(new vscode.EventEmitter<void>());
  /** Fires when a folder's next time changes (the status bar redraws). */
  readonly onDidChange = this.changed.event;

  constructor(
    private readonly config: SettingsStore,
    private readonly store: BackupsStore,
    private readonly tasks: PulseTasks,
    private readonly log: Log,
  ) {
    super();
    this._register(config.onDidChange(() => this.reschedule()));
    this._register(vscode.workspace.onDidGrantWorkspaceTrust(() => this.reschedule()));
    this._register({ dispose: () => this.clearTimers() });
    this.reschedule();
  }

  /** The status bar's line for a folder: the next time, or off. */
  describe(folder: vscode.WorkspaceFolder, now = new Date()): string {
    const setting = this.settingOf(folder);
    if (setting === undefined) return '';
    return scheduleLine(setting, setting.kind === 'on' ? nextRuns(setting.times, 1, now)[0] : undefined, now);
  }

  /**
   * Decides for one folder now, and runs a backup when one is due. The
   * timers call it; the extension's tests call it too, with a time of their
   * own ("after a sleep"), through the API.
   */
  async runDue(folder: vscode.WorkspaceFolder, now = new Date()): Promise<SlotOutcome | undefined> {
    const setting = this.settingOf(folder);
    if (setting?.kind !== 'on' || !vscode.workspace.isTrusted) return undefined;
    const settings = this.config.settingsFor(folder);
    const outcome = await runDueBackup({
      folder: settings.backupsFolder,
      prefix: settings.prefix,
      times: setting.times,
      now,
      readActivity: async () => readActivity(await this.config.connectionTarget(folder)),
      backup: async () => {
        this.log.info(`scheduled backup of ${folder.name} (${setting.times.description}) started`);
        const result = await this.tasks.run({ type: TASK_TYPE, action: 'backup', scheduled: true }, folder);
        if (result.error || !result.backup) throw result.error ?? new Error(`the scheduled backup ended with exit code ${result.exitCode}`);
        return result.backup.manifest.id;
      },
    });
    this.report(folder, outcome);
    if (outcome.kind !== 'wait' && outcome.kind !== 'busy') this.store.refresh(folder);
    return outcome;
  }

  private report(folder: vscode.WorkspaceFolder, outcome: SlotOutcome): void {
    switch (outcome.kind) {
      case 'ran':
        this.log.info(
          `scheduled backup of ${folder.name} for ${outcome.slot.toISOString()} wrote ${outcome.setId}${outcome.missed > 0 ? ` (${outcome.missed} earlier times passed while the window was closed or the machine slept: one backup for all)` : ''}`,
        );
        return;
      case 'covered':
        this.log.info(`scheduled backup of ${folder.name} for ${outcome.slot.toISOString()}: ${outcome.setId} was written since, nothing to do`);
        return;
      case 'unchanged':
        this.log.info(`scheduled backup of ${folder.name} for ${outcome.slot.toISOString()} skipped: the database has written no row since ${outcome.setId}`);
        return;
      case 'busy':
        this.log.info(`scheduled backup of ${folder.name}: another window (or a backup) holds the backups folder; it is looked at again within a minute`);
        return;
      case 'wait':
        return;
      case 'failed': {
        const line = extensionLine(outcome.error, { supabase: this.config.settingsFor(folder).supabase !== undefined });
        this.log.error(`scheduled backup of ${folder.name} for ${outcome.slot.toISOString()}`, outcome.error);
        const showLog = 'Show Log';
        const backUp = 'Back Up Now';
        void showWarning(`The scheduled backup of ${folder.name} failed: ${line}`, backUp, showLog).then((choice) => {
          if (choice === showLog) void vscode.commands.executeCommand('pulseBackup.showLog');
          if (choice === backUp) void vscode.commands.executeCommand('pulseBackup.backup', folder);
        });
      }
    }
  }

  private settingOf(folder: vscode.WorkspaceFolder) {
    try {
      return this.config.settingsFor(folder).schedule;
    } catch {
      // Another setting is unusable (a bad prefix): the backup's own error says so when one runs.
      return undefined;
    }
  }

  private reschedule(): void {
    this.clearTimers();
    if (this.isDisposed) return;
    for (const folder of this.config.folders) {
      const setting = this.settingOf(folder);
      if (setting?.kind === 'invalid' && this.warnedInvalid.get(folder.uri.toString()) !== setting.text) {
        this.warnedInvalid.set(folder.uri.toString(), setting.text);
        this.log.warn(`${folder.name}: ${setting.error.message}`);
        void showWarning(`Scheduled backups of ${folder.name} are not running: ${extensionLine(setting.error)}`);
      }
      if (setting?.kind === 'on') this.arm(folder, 0);
    }
    this.changed.fire();
  }

  private arm(folder: vscode.WorkspaceFolder, delay: number): void {
    const key = folder.uri.toString();
    const expected = Date.now() + delay;
    const timer = setTimeout(() => void this.wake(folder, expected), delay);
    this.timers.set(key, { timer, expected });
  }

  private async wake(folder: vscode.WorkspaceFolder, expected: number): Promise<void> {
    const key = folder.uri.toString();
    const late = Date.now() - expected;
    if (late > 10_000) this.log.info(`schedule of ${folder.name}: the clock moved ${Math.round(late / 1000)} s past the timer (the machine slept?): looking for a missed time`);
    let next: Date | undefined;
    if (!this.running.has(key)) {
      this.running.add(key);
      try {
        const outcome = await this.runDue(folder);
        if (outcome?.kind === 'wait') next = outcome.next;
      } catch (error) {
        this.log.error(`schedule of ${folder.name}`, toPulseError(error));
      } finally {
        this.running.delete(key);
      }
    }
    if (this.isDisposed || this.timers.get(key)?.expected !== expected) return; // rescheduled meanwhile
    const setting = this.settingOf(folder);
    if (setting?.kind !== 'on') return;
    this.arm(folder, timerDelay(next ?? nextRuns(setting.times, 1, new Date())[0], new Date()));
    this.changed.fire();
  }

  private clearTimers(): void {
    for (const { timer } of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }
}
