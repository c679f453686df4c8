/**
 * Answers the extension's prompts the way a person would, inside the real
 * extension host: notifications, modal confirmations, quick picks, input
 * boxes, folder picks and save dialogs are recorded, and answered by the
 * test's script (nothing scripted: dismissed, as Escape would).
 *
 * This works because the suite is loaded from inside the extension's own
 * folder: VS Code gives every extension one `vscode` API object, chosen by
 * the path of the requiring file, so the suite and the extension share
 * `vscode.window`. The suite checks that at start (see `install`), so a host
 * that hands out separate objects fails loudly instead of hanging on a real
 * dialog nobody clicks.
 */
import * as vscode from 'vscode';

export type MessageKind = 'information' | 'warning' | 'error';

export interface MessageCall {
  kind: MessageKind;
  message: string;
  modal: boolean;
  detail?: string;
  /** The buttons offered, by title. */
  buttons: string[];
}

export interface QuickPickCall {
  title?: string;
  placeHolder?: string;
  labels: string[];
  details: (string | undefined)[];
}

export interface InputCall {
  title?: string;
  prompt?: string;
  value?: string;
  password: boolean;
  /** What validateInput said about the answer, when it objected. */
  validationMessage?: string;
}

type Answer<Call> = (call: Call) => string | undefined;

type Writable<T> = { -readonly [K in keyof T]: T[K] };

export class ScriptedPrompts implements vscode.Disposable {
  readonly messages: MessageCall[] = [];
  readonly quickPicks: QuickPickCall[] = [];
  readonly inputs: InputCall[] = [];
  /** Which button a message gets (by title); undefined dismisses it. */
  answerMessage: Answer<MessageCall> = () => undefined;
  /** Which item a quick pick gets (by label); undefined cancels it. */
  answerQuickPick: Answer<QuickPickCall> = () => undefined;
  /** What an input box gets; undefined cancels it. */
  answerInput: Answer<InputCall> = () => undefined;
  /** Which workspace folder a folder pick gets (by name). */
  answerFolderPick: (folders: readonly vscode.WorkspaceFolder[]) => vscode.WorkspaceFolder | undefined = () => undefined;
  /** Where a save dialog saves. */
  answerSaveDialog: (options: vscode.SaveDialogOptions | undefined) => vscode.Uri | undefined = () => undefined;
  /** What an open dialog (a folder picker) picks. */
  answerOpenDialog: (options: vscode.OpenDialogOptions | undefined) => vscode.Uri[] | undefined = () => undefined;
  /** Every progress the extension showed, by where and title (the work itself runs as it would). */
  readonly progress: { location: string; title?: string }[] = [];

  private readonly originals: Partial<typeof vscode.window> = {};
  private readonly waiters: { predicate: (call: MessageCall) => boolean; resolve: (call: MessageCall) => void }[] = [];

  install(): this {
    const window = vscode.window as Writable<typeof vscode.window>;
    this.originals.showInformationMessage = window.showInformationMessage;
    this.originals.showWarningMessage = window.showWarningMessage;
    this.originals.showErrorMessage = window.showErrorMessage;
    this.originals.showQuickPick = window.showQuickPick;
    this.originals.showInputBox = window.showInputBox;
    this.originals.showWorkspaceFolderPick = window.showWorkspaceFolderPick;
    this.originals.showSaveDialog = window.showSaveDialog;
    this.originals.showOpenDialog = window.showOpenDialog;
    this.originals.withProgress = window.withProgress;
    const originalWithProgress = window.withProgress.bind(window);
    const message =
      (kind: MessageKind) =>
      (text: string, ...rest: unknown[]): Thenable<unknown> =>
        Promise.resolve(this.onMessage(kind, text, rest));
    window.showInformationMessage = message('information');
    window.showWarningMessage = message('warning');
    window.showErrorMessage = message('error');
    window.showQuickPick = ((items: unknown, options?: vscode.QuickPickOptions) => this.onQuickPick(items, options)) as typeof window.showQuickPick;
    window.showInputBox = (options?: vscode.InputBoxOptions) => this.onInput(options);
    window.showWorkspaceFolderPick = () => Promise.resolve(this.answerFolderPick(vscode.workspace.workspaceFolders ?? []));
    window.showSaveDialog = (options?: vscode.SaveDialogOptions) => Promise.resolve(this.answerSaveDialog(options));
    window.showOpenDialog = (options?: vscode.OpenDialogOptions) => Promise.resolve(this.answerOpenDialog(options));
    window.withProgress = ((options: vscode.ProgressOptions, task: Parameters<typeof window.withProgress>[1]) => {
      const location = typeof options.location === 'object' ? `view:${options.location.viewId}` : vscode.ProgressLocation[options.location];
      this.progress.push({ location, ...(options.title !== undefined ? { title: options.title } : {}) });
      return originalWithProgress(options, task);
    }) as typeof window.withProgress;
    return this;
  }

  dispose(): void {
    Object.assign(vscode.window, this.originals);
  }

  /** Forgets what was recorded and every scripted answer. */
  reset(): void {
    this.messages.length = 0;
    this.quickPicks.length = 0;
    this.inputs.length = 0;
    this.progress.length = 0;
    this.answerMessage = () => undefined;
    this.answerQuickPick = () => undefined;
    this.answerInput = () => undefined;
    this.answerFolderPick = () => undefined;
    this.answerSaveDialog = () => undefined;
    this.answerOpenDialog = () => undefined;
  }

  /** The first message (already shown or still to come) that matches. */
  waitForMessage(predicate: (call: MessageCall) => boolean, timeoutMs = 30_000): Promise<MessageCall> {
    const shown = this.messages.find(predicate);
    if (shown) return Promise.resolve(shown);
    return new Promise((resolve, reject) => {
      const waiter = { predicate, resolve: (call: MessageCall) => (clearTimeout(timer), resolve(call)) };
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        reject(new Error(`no such message within ${timeoutMs} ms; shown: ${JSON.stringify(this.messages.map((call) => call.message))}`));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  private onMessage(kind: MessageKind, text: string, rest: unknown[]): unknown {
    let options: vscode.MessageOptions | undefined;
    let items = rest;
    if (rest.length > 0 && isMessageOptions(rest[0])) {
      options = rest[0];
      items = rest.slice(1);
    }
    const call: MessageCall = {
      kind,
      message: text,
      modal: options?.modal === true,
      ...(options?.detail !== undefined ? { detail: options.detail } : {}),
      buttons: items.map((item) => (typeof item === 'string' ? item : (item as vscode.MessageItem).title)),
    };
    this.messages.push(call);
    for (const waiter of this.waiters.filter((candidate) => candidate.predicate(call))) {
      this.waiters.splice(this.waiters.indexOf(waiter), 1);
      waiter.resolve(call);
    }
    const answer = this.answerMessage(call);
    if (answer === undefined) return undefined;
    const index = call.buttons.indexOf(answer);
    if (index < 0) throw new Error(`the message "${text}" offers no button "${answer}" (it offers ${JSON.stringify(call.buttons)})`);
    return items[index];
  }

  private async onQuickPick(itemsOrPromise: unknown, options: vscode.QuickPickOptions | undefined): Promise<unknown> {
    const items = (await Promise.resolve(itemsOrPromise)) as (string | vscode.QuickPickItem)[];
    const labelOf = (item: string | vscode.QuickPickItem) => (typeof item === 'string' ? item : item.label);
    const call: QuickPickCall = {
      ...(options?.title !== undefined ? { title: options.title } : {}),
      ...(options?.placeHolder !== undefined ? { placeHolder: options.placeHolder } : {}),
      labels: items.map(labelOf),
      details: items.map((item) => (typeof item === 'string' ? undefined : item.detail)),
    };
    this.quickPicks.push(call);
    const answer = this.answerQuickPick(call);
    if (answer === undefined) return undefined;
    const chosen = items.find((item) => labelOf(item) === answer);
    if (chosen === undefined) throw new Error(`the quick pick "${call.title ?? call.placeHolder ?? ''}" offers no "${answer}" (it offers ${JSON.stringify(call.labels)})`);
    return chosen;
  }

  private async onInput(options: vscode.InputBoxOptions | undefined): Promise<string | undefined> {
    const call: InputCall = {
      ...(options?.title !== undefined ? { title: options.title } : {}),
      ...(options?.prompt !== undefined ? { prompt: options.prompt } : {}),
      ...(options?.value !== undefined ? { value: options.value } : {}),
      password: options?.password === true,
    };
    this.inputs.push(call);
    const answer = this.answerInput(call);
    if (answer === undefined || !options?.validateInput) return answer;
    // As the real box does: an answer the validator rejects cannot be accepted.
    const verdict = await Promise.resolve(options.validateInput(answer));
    const objection = typeof verdict === 'string' ? verdict : verdict?.message;
    if (objection) {
      call.validationMessage = objection;
      return undefined;
    }
    return answer;
  }
}

function isMessageOptions(value: unknown): value is vscode.MessageOptions {
  return typeof value === 'object' && value !== null && !('title' in value);
}
