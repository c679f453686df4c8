/**
 * The "Pulse Backup" log (a LogOutputChannel) and the one way failures reach
 * a person: the engine's one-line message in a notification, with the action
 * that helps, and the details in the log. Everything written here passes
 * through redactText, so no password in a URL or a password setting reaches
 * the log or a notification.
 */
import * as vscode from 'vscode';
import { redactText } from '../core/connection';
import { formatError, toPulseError, type PulseErrorCode } from '../core/errors';
import { Disposable } from './lifecycle';
import { forExtension } from './hints';

export const LOG_NAME = 'Pulse Backup';

export class Log extends Disposable {
  private readonly channel: vscode.LogOutputChannel;

  constructor() {
    super();
    this.channel = this._register(vscode.window.createOutputChannel(LOG_NAME, { log: true }));
  }

  redact(text: string): string {
    return redactText(text);
  }

  info(message: string): void {
    this.channel.info(this.redact(message));
  }

  warn(message: string): void {
    this.channel.warn(this.redact(message));
  }

  /** The one-line message, then whatever the engine kept for the log (a tool's stderr, a stack). */
  error(context: string, error: unknown): void {
    const pulseError = toPulseError(error);
    this.channel.error(this.redact(`${context}: ${formatError(pulseError)}`));
    if (pulseError.details) this.channel.error(this.redact(pulseError.details));
  }

  show(): void {
    this.channel.show(true);
  }
}

/** Command ids the failure notification can offer; registered in commands.ts. */
export const FAILURE_ACTIONS = {
  configureConnection: { title: 'Configure connection', command: 'pulseBackup.configureConnection' },
  clientTools: { title: 'Set client tools folder', command: 'workbench.action.openSettings', args: ['pulseBackup.clientToolsFolder'] },
  backupsFolder: { title: 'Set backups folder', command: 'workbench.action.openSettings', args: ['pulseBackup.backupsFolder'] },
  showLog: { title: 'Show log', command: 'pulseBackup.showLog' },
} as const;

type FailureAction = (typeof FAILURE_ACTIONS)[keyof typeof FAILURE_ACTIONS];

const CONNECTION_CODES: ReadonlySet<PulseErrorCode> = new Set([
  'connection-refused',
  'connection-timeout',
  'host-not-found',
  'authentication-failed',
  'database-not-found',
  'permission-denied',
  'remote-target',
]);

/** The action that helps with an error of this kind, then always the log. */
export function actionsFor(code: PulseErrorCode): FailureAction[] {
  const actions: FailureAction[] = [];
  if (CONNECTION_CODES.has(code)) actions.push(FAILURE_ACTIONS.configureConnection);
  if (code === 'tools-not-found' || code === 'tools-too-old') actions.push(FAILURE_ACTIONS.clientTools);
  if (code === 'folder-not-writable' || code === 'folder-not-a-folder' || code === 'disk-full') actions.push(FAILURE_ACTIONS.backupsFolder);
  actions.push(FAILURE_ACTIONS.showLog);
  return actions;
}

/**
 * Logs the failure (unless the task terminal already did) and shows its one
 * line. A cancel is not a failure: it gets an information message without actions.
 */
export async function showFailure(log: Log, context: string, error: unknown, options: { logged?: boolean } = {}): Promise<void> {
  const pulseError = forExtension(error);
  if (!options.logged) log.error(context, pulseError);
  const line = log.redact(formatError(pulseError));
  if (pulseError.code === 'cancelled') {
    void vscode.window.showInformationMessage(line);
    return;
  }
  const actions = actionsFor(pulseError.code);
  const chosen = await vscode.window.showErrorMessage(line, ...actions.map((action) => action.title));
  const action = actions.find((candidate) => candidate.title === chosen);
  if (!action) return;
  if ('args' in action) await vscode.commands.executeCommand(action.command, ...action.args);
  else await vscode.commands.executeCommand(action.command);
}
