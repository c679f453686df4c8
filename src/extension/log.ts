/**
 * The "Pulse Backup" log (a LogOutputChannel) and the one way failures reach
 * a person: the engine's one-line message in a notification, with the action
 * that helps, and the details in the log. Everything written here passes
 * through redactText and redactHttpCredentials, so no password in a URL (nor
 * an offsite endpoint's keys) or a password setting reaches the log or a
 * notification.
 */
import * as vscode from 'vscode';
import { showError, showInformation, showWarning } from './notifications';
import { redactHttpCredentials, redactText } from '../core/connection/redact';
import { toPulseError, type PulseErrorCode } from '../core/errors';
import { Disposable } from './lifecycle';
import { actionsFor, extensionLine, forExtension, sentenceOf } from './hints';

export const LOG_NAME = 'Pulse Backup';

/** Recent lines kept for the extension's API (what a person reads in the log, for automation to check). */
const RECENT_LINES = 1000;

export class Log extends Disposable {
  private readonly channel: vscode.LogOutputChannel;
  private readonly recent: string[] = [];
  /** Secrets of this session (offsite keys) to blank wherever they would appear. */
  private readonly secrets = new Set<string>();

  constructor() {
    super();
    this.channel = this._register(vscode.window.createOutputChannel(LOG_NAME, { log: true }));
  }

  redact(text: string): string {
    let safe = redactHttpCredentials(redactText(text));
    for (const secret of this.secrets) safe = safe.split(secret).join('****');
    return safe;
  }

  /** A secret in use from now on (a secret access key): never written to the log, a terminal or a notification. */
  addSecret(secret: string): void {
    if (secret.length >= 4) this.secrets.add(secret);
  }

  info(message: string): void {
    this.write('info', this.redact(message));
  }

  warn(message: string): void {
    this.write('warning', this.redact(message));
  }

  /** The one-line message, then whatever the engine kept for the log (a tool's stderr, a stack). */
  error(context: string, error: unknown): void {
    const pulseError = toPulseError(error);
    this.write('error', this.redact(`${context}: ${extensionLine(pulseError)}`));
    if (pulseError.details) this.write('error', this.redact(pulseError.details));
  }

  /** The newest lines written, oldest first, each as "[level] message" (redacted like the log). */
  lines(): readonly string[] {
    return [...this.recent];
  }

  private write(level: 'info' | 'warning' | 'error', text: string): void {
    if (level === 'info') this.channel.info(text);
    else if (level === 'warning') this.channel.warn(text);
    else this.channel.error(text);
    this.recent.push(`[${level}] ${text}`);
    if (this.recent.length > RECENT_LINES) this.recent.splice(0, this.recent.length - RECENT_LINES);
  }

  show(): void {
    this.channel.show(true);
  }
}

/**
 * Logs the failure (unless the task terminal already did) and shows its one
 * line, as a sentence. A cancel is not a failure: an information message
 * without actions, written to the log as information.
 */
export async function showFailure(log: Log, context: string, error: unknown, options: { logged?: boolean; prefix?: string } = {}): Promise<void> {
  const pulseError = forExtension(error);
  const line = `${options.prefix ?? ''}${log.redact(sentenceOf(pulseError))}`;
  if (pulseError.code === 'cancelled') {
    if (!options.logged) log.info(`${context}: ${log.redact(extensionLine(pulseError))}`);
    void showInformation(line);
    return;
  }
  if (!options.logged) log.error(context, pulseError);
  await offerActions(showError, line, pulseError);
}

/** A warning about something that went wrong beside a success (a push after a backup), with the actions that help. */
export async function showWarningWithActions(line: string, error: unknown): Promise<void> {
  await offerActions(showWarning, line, toPulseError(error));
}

async function offerActions(show: typeof showError, line: string, error: { code: PulseErrorCode }): Promise<void> {
  const actions = actionsFor(error.code);
  const chosen = await show(line, ...actions.map((action) => action.title));
  const action = actions.find((candidate) => candidate.title === chosen);
  if (action) await vscode.commands.executeCommand(action.command);
}
