/**
 * The extension's only way to show a notification (or a modal dialog): VS
 * Code's show*Message with the message through withoutLinks, so no text a
 * database, a server or a file holds becomes a link a click would follow.
 */
import * as vscode from 'vscode';
import { withoutLinks } from './notificationText';

type Level = 'information' | 'warning' | 'error';

/** Looked up at each call, not kept: the extension's tests stand in for the window's functions. */
function windowShow(level: Level) {
  return level === 'information' ? vscode.window.showInformationMessage : level === 'warning' ? vscode.window.showWarningMessage : vscode.window.showErrorMessage;
}

export interface ShowMessage {
  <T extends string>(message: string, ...items: T[]): Thenable<T | undefined>;
  <T extends string>(message: string, options: vscode.MessageOptions, ...items: T[]): Thenable<T | undefined>;
}

function shower(level: Level): ShowMessage {
  return <T extends string>(message: string, ...rest: (vscode.MessageOptions | T)[]): Thenable<T | undefined> => {
    const text = withoutLinks(message);
    const items = rest.filter((item): item is T => typeof item === 'string');
    const options = rest.find((item): item is vscode.MessageOptions => typeof item === 'object');
    const show = windowShow(level);
    return options ? show(text, options, ...items) : show(text, ...items);
  };
}

export const showInformation = shower('information');
export const showWarning = shower('warning');
export const showError = shower('error');

/** A progress notification: its title is a notification's message too. */
export function withNotificationProgress<R>(
  options: { title: string; cancellable?: boolean },
  task: (progress: vscode.Progress<{ message?: string; increment?: number }>, token: vscode.CancellationToken) => Thenable<R>,
): Thenable<R> {
  return vscode.window.withProgress({ ...options, location: vscode.ProgressLocation.Notification, title: withoutLinks(options.title) }, task);
}
