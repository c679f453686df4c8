/**
 * The report of one backup set in a webview panel: one panel per set
 * (createOrShow brings an open one forward), restored after a window reload
 * by the serializer, redrawn when the set's files change (a verification
 * adds to its history). The page is reportView.ts's, its script and styles
 * come from media/ and nothing else may load.
 */
import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { showInformation } from './notifications';
import { writeFileAtomic } from '../core/files/atomicFile';
import { failedWrite } from '../core/errors';
import { buildReport } from '../core/report/build';
import type { BackupReport } from '../core/report/types';
import { renderReportMarkdown } from '../core/report/markdown';
import type { BackupsStore } from './backupsStore';
import type { SettingsStore } from './settingsStore';
import { Disposable } from './lifecycle';
import { showFailure, type Log } from './log';
import { renderReportBody, renderReportDocument, renderReportError } from './reportView';
import { extensionWords, forExtension, sentenceOf } from './hints';
import type { Passphrases } from './passphrases';
import type { SetKeys } from '../core/codecs/types';

export const REPORT_VIEW_TYPE = 'pulseBackup.report';

/** What the webview keeps (report.js calls setState with it) so the panel can come back. */
export interface ReportPanelState {
  folderUri: string;
  setId: string;
}

export interface ReportPanelDependencies {
  extensionUri: vscode.Uri;
  config: SettingsStore;
  store: BackupsStore;
  log: Log;
  /** An encrypted set's report reads its files' tops with the stored passphrase, never asking for one. */
  passphrases: Passphrases;
  /** The buttons that run engine work go through the commands, so they behave the same everywhere. */
  verify(folder: vscode.WorkspaceFolder, setId: string): Promise<void>;
  prove(folder: vscode.WorkspaceFolder, setId: string): Promise<void>;
  restore(folder: vscode.WorkspaceFolder, setId: string): Promise<void>;
}

type WebviewMessage = { type: 'copy'; text: string } | { type: 'verify' | 'prove' | 'restore' | 'exportMarkdown' | 'refresh' | 'showLog' };

/** The longest text a Copy button may put on the clipboard; commands are far shorter. */
const MAX_COPY_LENGTH = 100_000;

function parseMessage(value: unknown): WebviewMessage | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { type, text } = value as { type?: unknown; text?: unknown };
  if (type === 'copy') return typeof text === 'string' && text.length <= MAX_COPY_LENGTH ? { type, text } : undefined;
  if (type === 'verify' || type === 'prove' || type === 'restore' || type === 'exportMarkdown' || type === 'refresh' || type === 'showLog') return { type };
  return undefined;
}

export function isReportPanelState(value: unknown): value is ReportPanelState {
  if (typeof value !== 'object' || value === null) return false;
  const { folderUri, setId } = value as { folderUri?: unknown; setId?: unknown };
  return typeof folderUri === 'string' && typeof setId === 'string';
}

export class ReportPanel extends Disposable {
  private static readonly open = new Map<string, ReportPanel>();
  private report: BackupReport | undefined;
  private rendering = 0;

  static createOrShow(dependencies: ReportPanelDependencies, folder: vscode.WorkspaceFolder, setId: string): void {
    const state: ReportPanelState = { folderUri: folder.uri.toString(), setId };
    const existing = ReportPanel.open.get(keyOf(state));
    if (existing) {
      existing.panel.reveal();
      existing.render();
      return;
    }
    const panel = vscode.window.createWebviewPanel(REPORT_VIEW_TYPE, panelTitle(setId), vscode.ViewColumn.Active, webviewOptions(dependencies.extensionUri));
    new ReportPanel(panel, dependencies, state);
  }

  /** A panel VS Code kept across a reload. */
  static revive(dependencies: ReportPanelDependencies, panel: vscode.WebviewPanel, state: ReportPanelState): void {
    const existing = ReportPanel.open.get(keyOf(state));
    if (existing) {
      // Two restored panels for one set: keep the first.
      panel.dispose();
      existing.panel.reveal();
      return;
    }
    panel.webview.options = webviewOptions(dependencies.extensionUri);
    new ReportPanel(panel, dependencies, state);
  }

  private constructor(
    private readonly panel: vscode.WebviewPanel,
    private readonly dependencies: ReportPanelDependencies,
    private readonly state: ReportPanelState,
  ) {
    super();
    ReportPanel.open.set(keyOf(state), this);
    this.panel.iconPath = vscode.Uri.joinPath(dependencies.extensionUri, 'media', 'pulse-backup.svg');
    this._register(this.panel.onDidDispose(() => this.dispose()));
    this._register(this.panel.webview.onDidReceiveMessage((message: unknown) => void this.handle(message)));
    this._register(
      dependencies.store.onDidChange((folder) => {
        if (!folder || folder.uri.toString() === state.folderUri) this.render();
      }),
    );
    this.render();
  }

  override dispose(): void {
    if (this.isDisposed) return;
    if (ReportPanel.open.get(keyOf(this.state)) === this) ReportPanel.open.delete(keyOf(this.state));
    super.dispose();
    this.panel.dispose();
  }

  private folder(): vscode.WorkspaceFolder | undefined {
    return this.dependencies.config.folders.find((folder) => folder.uri.toString() === this.state.folderUri);
  }

  /** Builds the report again and redraws; an older render that finishes late is dropped. */
  private render(): void {
    const ticket = ++this.rendering;
    void this.build().then((body) => {
      if (ticket !== this.rendering || this.isDisposed) return;
      this.panel.webview.html = this.document(body);
    });
  }

  private async storedKeys(folder: vscode.WorkspaceFolder): Promise<{ keys?: SetKeys }> {
    const keys = await this.dependencies.passphrases.storedKeys(folder);
    return keys ? { keys } : {};
  }

  private async build(): Promise<string> {
    const { config, log } = this.dependencies;
    const folder = this.folder();
    try {
      if (!folder) throw new Error(`the workspace folder of ${this.state.setId} is no longer open`);
      const settings = config.settingsFor(folder);
      // The report asks git whether the backups are ignored: no git in Restricted Mode, the rest is read from files.
      this.report = await buildReport({
        folder: settings.backupsFolder,
        setId: this.state.setId,
        env: process.env,
        git: vscode.workspace.isTrusted,
        frontDoor: 'vscode',
        words: extensionWords(),
        policy: settings.retention,
        ...(await this.storedKeys(folder)),
      });
      return renderReportBody(this.report, { trusted: vscode.workspace.isTrusted });
    } catch (error) {
      this.report = undefined;
      log.error(`report of ${this.state.setId}`, error);
      return renderReportError(this.state.setId, log.redact(sentenceOf(forExtension(error))));
    }
  }

  private document(body: string): string {
    const webview = this.panel.webview;
    const media = (name: string) => webview.asWebviewUri(vscode.Uri.joinPath(this.dependencies.extensionUri, 'media', name)).toString();
    return renderReportDocument({
      title: panelTitle(this.state.setId),
      body,
      nonce: randomBytes(16).toString('base64'),
      cspSource: webview.cspSource,
      styleUri: media('report.css'),
      scriptUri: media('report.js'),
      state: this.state,
    });
  }

  private async handle(raw: unknown): Promise<void> {
    const message = parseMessage(raw);
    if (!message) return;
    const { log } = this.dependencies;
    try {
      switch (message.type) {
        case 'copy':
          await vscode.env.clipboard.writeText(message.text);
          void vscode.window.setStatusBarMessage('$(check) Copied', 2000);
          return;
        case 'showLog':
          log.show();
          return;
        case 'refresh':
          this.render();
          return;
        case 'exportMarkdown':
          await this.exportMarkdown();
          return;
        case 'verify':
        case 'prove':
        case 'restore': {
          const folder = this.folder();
          if (!folder) return;
          await this.dependencies[message.type](folder, this.state.setId);
          return;
        }
      }
    } catch (error) {
      await showFailure(log, `report action ${message.type}`, error);
    }
  }

  private async exportMarkdown(): Promise<void> {
    const report = this.report;
    if (!report) return;
    const target = await vscode.window.showSaveDialog({
      defaultUri: vscode.Uri.file(path.join(report.set.folder, `${report.set.id}.summary.md`)),
      filters: { Markdown: ['md'] },
      title: `Export the report of ${report.set.id}`,
    });
    if (!target) return;
    try {
      // 0600: the summary names every table and where the dumps are.
      await writeFileAtomic(target.fsPath, renderReportMarkdown(report), 0o600);
    } catch (error) {
      throw failedWrite(`export the report to ${target.fsPath}`, path.dirname(target.fsPath), error, 'or export it to another folder');
    }
    const open = await showInformation(`Exported the report of ${report.set.id} to ${target.fsPath}`, 'Open');
    if (open === 'Open') await vscode.commands.executeCommand('vscode.open', target);
  }
}

export class ReportPanelSerializer implements vscode.WebviewPanelSerializer<unknown> {
  constructor(private readonly dependencies: ReportPanelDependencies) {}

  deserializeWebviewPanel(panel: vscode.WebviewPanel, state: unknown): Promise<void> {
    if (isReportPanelState(state)) ReportPanel.revive(this.dependencies, panel, state);
    else panel.dispose();
    return Promise.resolve();
  }
}

function keyOf(state: ReportPanelState): string {
  return `${state.folderUri}\u0000${state.setId}`;
}

function panelTitle(setId: string): string {
  return `Backup ${setId}`;
}

function webviewOptions(extensionUri: vscode.Uri): vscode.WebviewPanelOptions & vscode.WebviewOptions {
  return {
    enableScripts: true,
    enableCommandUris: false,
    localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'media')],
  };
}
