/**
 * The Backups view: the sets of each workspace folder's backups folder,
 * newest first, and under each set its files and its last verification.
 * Wording, icons and tooltips come from viewModel.ts; this file turns them
 * into TreeItems. An empty folder yields no items, so the view's welcome
 * content (the Backup and Configure buttons) shows instead.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ListedFile } from '../core/listing';
import type { BackupsStore, FolderListing } from './backups';
import { Disposable } from './lifecycle';
import {
  SET_STATE_WORDS,
  setChildren,
  setContextValue,
  setDescription,
  setIcon,
  setLabel,
  setState,
  setTooltipMarkdown,
  type IconModel,
  type SetChildModel,
  type SetEntry,
} from './viewModel';

export const BACKUPS_VIEW_ID = 'pulseBackup.backups';

export interface FolderNode {
  kind: 'folder';
  listing: FolderListing;
}

export interface SetNode {
  kind: 'set';
  folder: vscode.WorkspaceFolder;
  backupsFolder: string;
  /** The prefix this folder's backups get; sets of another prefix say theirs. */
  prefix: string;
  entry: SetEntry;
}

export interface FileNode {
  kind: 'file';
  set: SetNode;
  file: ListedFile;
  path: string;
  model: SetChildModel;
}

export interface InfoNode {
  kind: 'info';
  id: string;
  label: string;
  description?: string;
  tooltip?: string;
  icon: IconModel;
  contextValue?: string;
  command?: vscode.Command;
}

export type BackupsNode = FolderNode | SetNode | FileNode | InfoNode;

/** Ages in descriptions ("5 min ago") are redrawn this often while the view is visible. */
const AGE_REDRAW_MS = 60_000;

export class BackupsTreeProvider extends Disposable implements vscode.TreeDataProvider<BackupsNode> {
  private readonly changed = this._register(new vscode.EventEmitter<BackupsNode | undefined>());
  readonly onDidChangeTreeData = this.changed.event;
  private redrawTimer: NodeJS.Timeout | undefined;

  constructor(private readonly store: BackupsStore) {
    super();
    this._register(store.onDidChange(() => this.changed.fire(undefined)));
    this._register({ dispose: () => this.setVisible(false) });
  }

  /** Only a visible view redraws its ages. */
  setVisible(visible: boolean): void {
    if (visible && !this.redrawTimer) {
      this.redrawTimer = setInterval(() => this.changed.fire(undefined), AGE_REDRAW_MS);
    } else if (!visible && this.redrawTimer) {
      clearInterval(this.redrawTimer);
      this.redrawTimer = undefined;
    }
  }

  async getChildren(node?: BackupsNode): Promise<BackupsNode[]> {
    if (!node) return this.roots();
    if (node.kind === 'folder') return this.folderChildren(node.listing, true);
    if (node.kind === 'set') return this.setChildren(node);
    return [];
  }

  getParent(node: BackupsNode): BackupsNode | undefined {
    if (node.kind === 'file') return node.set;
    return undefined;
  }

  getTreeItem(node: BackupsNode): vscode.TreeItem {
    const now = new Date();
    switch (node.kind) {
      case 'folder': {
        const item = new vscode.TreeItem(node.listing.folder.name, vscode.TreeItemCollapsibleState.Expanded);
        item.id = `folder:${node.listing.folder.uri.toString()}`;
        item.iconPath = new vscode.ThemeIcon('root-folder');
        item.description = node.listing.settings ? displayPath(node.listing.settings.backupsFolder, node.listing.folder) : undefined;
        item.contextValue = 'folder';
        return item;
      }
      case 'set': {
        const { entry } = node;
        const item = new vscode.TreeItem(setLabel(entry.set), vscode.TreeItemCollapsibleState.Collapsed);
        item.id = `set:${node.folder.uri.toString()}:${entry.set.id}`;
        item.description = setDescription(entry, now, node.prefix);
        const tooltip = new vscode.MarkdownString(setTooltipMarkdown(entry, now));
        tooltip.supportThemeIcons = true;
        item.tooltip = tooltip;
        item.iconPath = themeIcon(setIcon(entry));
        item.contextValue = setContextValue(entry);
        item.accessibilityInformation = { label: `Backup set ${setLabel(entry.set)}, ${SET_STATE_WORDS[setState(entry)]}, ${item.description}` };
        return item;
      }
      case 'file': {
        const item = new vscode.TreeItem(node.model.label, vscode.TreeItemCollapsibleState.None);
        item.id = `file:${node.path}`;
        item.description = node.model.description;
        item.tooltip = `${node.model.tooltip}\n${node.path}`;
        item.iconPath = themeIcon(node.model.icon);
        item.resourceUri = vscode.Uri.file(node.path);
        item.contextValue = 'file';
        item.accessibilityInformation = { label: `${node.model.label}, ${node.model.description}, ${node.file.name}` };
        return item;
      }
      case 'info': {
        const item = new vscode.TreeItem(node.label, vscode.TreeItemCollapsibleState.None);
        item.id = node.id;
        item.description = node.description;
        item.tooltip = node.tooltip;
        item.iconPath = themeIcon(node.icon);
        item.contextValue = node.contextValue ?? 'info';
        item.command = node.command;
        item.accessibilityInformation = { label: node.description ? `${node.label}, ${node.description}` : node.label };
        return item;
      }
    }
  }

  private async roots(): Promise<BackupsNode[]> {
    const listings = await this.store.allListings();
    if (listings.length === 1) return this.folderChildren(listings[0], false);
    // Every folder empty and fine: no items, so the welcome content shows.
    if (listings.every((listing) => listing.entries.length === 0 && !listing.error)) return [];
    return listings.map((listing): FolderNode => ({ kind: 'folder', listing }));
  }

  private folderChildren(listing: FolderListing, underFolderNode: boolean): BackupsNode[] {
    const nodes: BackupsNode[] = [];
    if (listing.error) {
      nodes.push({
        kind: 'info',
        id: `error:${listing.folder.uri.toString()}`,
        label: listing.error.message,
        tooltip: listing.error.hint,
        icon: { id: 'error', color: 'list.errorForeground' },
        command: { title: 'Show log', command: 'pulseBackup.showLog' },
      });
    }
    const settings = listing.settings;
    if (settings) {
      for (const entry of listing.entries) nodes.push({ kind: 'set', folder: listing.folder, backupsFolder: settings.backupsFolder, prefix: settings.prefix, entry });
    }
    if (nodes.length === 0 && underFolderNode) {
      nodes.push({ kind: 'info', id: `empty:${listing.folder.uri.toString()}`, label: 'No backups yet', icon: { id: 'info' } });
    }
    return nodes;
  }

  private setChildren(node: SetNode): BackupsNode[] {
    const now = new Date();
    return setChildren(node.entry, now).map((model, index): BackupsNode => {
      if (model.kind === 'file') {
        return { kind: 'file', set: node, file: model.file, path: path.join(node.backupsFolder, model.file.name), model };
      }
      const id = `${model.kind}:${node.folder.uri.toString()}:${node.entry.set.id}:${index}`;
      return {
        kind: 'info',
        id,
        label: model.label,
        description: model.description,
        tooltip: model.tooltip,
        icon: model.icon,
        contextValue: model.kind,
        ...(model.kind === 'verification'
          ? { command: { title: 'Open report', command: 'pulseBackup.openReport', arguments: [node] } }
          : {}),
      };
    });
  }
}

function themeIcon(icon: IconModel): vscode.ThemeIcon {
  return new vscode.ThemeIcon(icon.id, icon.color ? new vscode.ThemeColor(icon.color) : undefined);
}

/** A path inside the workspace folder as ./backups, anything else as it is. */
function displayPath(folderPath: string, folder: vscode.WorkspaceFolder): string {
  const relative = path.relative(folder.uri.fsPath, folderPath);
  if (relative === '') return '.';
  if (!relative.startsWith('..') && !path.isAbsolute(relative)) return `./${relative.split(path.sep).join('/')}`;
  return folderPath;
}
