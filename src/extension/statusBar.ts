/**
 * `$(database) 2h ago`: the age of the last good backup, in the warning
 * colour when it is stale or the last verification failed, neutral while
 * there is nothing to warn about yet; its tooltip says when the last
 * offsite copy was made. The decision is statusBarModel's; a
 * click opens that set's report (or backs up, or configures). A running
 * backup shows in its task terminal, not here.
 */
import * as vscode from 'vscode';
import type { BackupsStore } from './backupsStore';
import { forExtension } from './hints';
import { Disposable } from './lifecycle';
import { remoteFacts, type OffsiteStore } from './offsiteStore';
import { offsiteMark, offsiteSummary } from './offsiteViewModel';
import { statusBarModel, type FolderBackups } from './statusBarModel';

/** What the item shows at this moment. */
export interface StatusBarState {
  visible: boolean;
  text: string;
  /** The Markdown of the tooltip. */
  tooltip: string;
  warning: boolean;
  /** The command a click runs. */
  command: string | undefined;
}

/** Ages are redrawn this often; staleness can begin without any file changing. */
const REDRAW_MS = 60_000;

export class BackupStatusBar extends Disposable {
  private readonly item: vscode.StatusBarItem;
  private updating: Promise<void> | undefined;
  private updateAgain = false;
  private visible = false;

  constructor(
    private readonly store: BackupsStore,
    private readonly offsite: OffsiteStore,
    /** The schedule's line for a folder (scheduler.ts). */
    private readonly scheduleOf: (folder: vscode.WorkspaceFolder) => string = () => '',
  ) {
    super();
    this.item = this._register(vscode.window.createStatusBarItem('pulseBackup.status', vscode.StatusBarAlignment.Left, 10));
    this.item.name = 'Pulse Backup';
    this._register(store.onDidChange(() => this.update()));
    this._register(offsite.onDidChange(() => this.update()));
    const timer = setInterval(() => this.update(), REDRAW_MS);
    this._register({ dispose: () => clearInterval(timer) });
  }

  state(): StatusBarState {
    const tooltip = this.item.tooltip;
    const command = this.item.command;
    return {
      visible: this.visible,
      text: this.item.text,
      tooltip: typeof tooltip === 'string' ? tooltip : (tooltip?.value ?? ''),
      warning: this.item.backgroundColor !== undefined,
      command: typeof command === 'string' ? command : command?.command,
    };
  }

  /** Runs one update at a time; a change meanwhile runs one more afterwards. */
  update(): void {
    if (this.updating) {
      this.updateAgain = true;
      return;
    }
    this.updating = this.render()
      .catch((error: unknown) => this.renderFailure(error))
      .finally(() => {
        this.updating = undefined;
        if (this.updateAgain) {
          this.updateAgain = false;
          this.update();
        }
      });
  }

  /** What could not be shown is said, not left as the last text drawn (which may have said all was well). */
  private renderFailure(error: unknown): void {
    if (this.isDisposed) return;
    this.item.text = '$(warning) Backups: unreadable';
    this.item.accessibilityInformation = { label: 'Pulse Backup: the backups could not be read' };
    this.item.backgroundColor = new vscode.ThemeColor('statusBarItem.warningBackground');
    this.item.tooltip = `Pulse Backup could not read the backups: ${forExtension(error).message}`;
    this.item.command = undefined;
    this.item.show();
    this.visible = true;
  }

  private async render(): Promise<void> {
    if (this.isDisposed) return;
    const listings = await this.store.allListings();
    if (this.isDisposed) return;
    if (listings.length === 0) {
      this.item.hide();
      this.visible = false;
      return;
    }
    const folders: FolderBackups[] = listings.map((listing) => {
      // What the remote's listing says where it was listed, else what the pushes recorded: the status bar never lists a remote itself.
      const remote = remoteFacts(this.offsite.peek(listing.folder));
      const marks = listing.entries.map((entry) => ({ setId: entry.set.id, mark: offsiteMark(entry, remote) }));
      return {
        key: listing.folder.uri.toString(),
        name: listing.folder.name,
        entries: listing.entries,
        staleAfterHours: listing.settings?.staleAfterHours ?? 24,
        configured: listing.settings?.connectionUrl !== undefined,
        offsite: offsiteSummary(listing.settings?.offsite?.url, marks, remote, listing.settings?.prefix),
        schedule: this.scheduleOf(listing.folder),
      };
    });
    const model = statusBarModel(folders, new Date());
    this.item.text = model.text;
    // Read aloud as words: no icon syntax, no Markdown from the tooltip.
    this.item.accessibilityInformation = { label: `Pulse Backup: ${model.text.replace(/\$\([^)]*\)\s*/g, '')}${model.warning ? ', needs attention' : ''}` };
    this.item.backgroundColor = model.warning ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
    const tooltip = new vscode.MarkdownString(model.tooltip);
    tooltip.supportThemeIcons = true;
    this.item.tooltip = tooltip;
    const target = model.target;
    this.item.command = target
      ? { title: 'Open Backup Report', command: 'pulseBackup.openReport', arguments: [{ folderUri: target.folderKey, setId: target.setId }] }
      : model.command === 'pulseBackup.configureConnection'
        ? { title: 'Configure Connection', command: model.command }
        : { title: 'Back Up Database', command: model.command, arguments: model.folderKey === undefined ? [] : [{ folderUri: model.folderKey }] };
    this.item.show();
    this.visible = true;
  }
}
