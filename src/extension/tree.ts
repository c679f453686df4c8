/**
 * The Backups view: the sets of each workspace folder's backups folder,
 * newest first (a long list in groups, as the Timeline has them: Today,
 * Yesterday, This Week, Older), and under each set its files, which open on
 * a click, its last verification and its last proof; where offsite storage
 * is set up, a cloud mark on the sets copied there and a Remote group that
 * lists the remote's sets when it is expanded. Wording, icons and tooltips
 * come from viewModel.ts and offsiteViewModel.ts; this file turns them into
 * TreeItems. An empty folder yields no items, so the view's welcome content
 * shows instead.
 *
 * File rows carry no resourceUri: decorations keyed on the file (git's
 * grey for an ignored backups folder) would make every row look disabled.
 */
import { extensionWords } from './hints';
import { wordHint } from '../core/hint';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ListedFile } from '../core/sets/listing';
import type { BackupsStore, FolderListing } from './backupsStore';
import type { RemoteSet } from '../core/offsite/listing';
import { actionsFor, sentenceOf } from './hints';
import { Disposable } from './lifecycle';
import { localCounterpart, offsiteMark, offsiteTooltipLine, remoteGroupModel, remoteSetModel } from './offsiteViewModel';
import { remoteFacts, type OffsiteStore, type RemoteListing } from './offsiteStore';
import {
  SET_GROUP_TITLES,
  groupSets,
  setAccessibleLabel,
  setChildren,
  setContextValue,
  setDescription,
  setIcon,
  setLabelIn,
  setTooltipMarkdown,
  type IconModel,
  type SetChildModel,
  type SetEntry,
  type SetGroup,
} from './viewModel';

export const BACKUPS_VIEW_ID = 'pulseBackup.backups';

export interface FolderNode {
  kind: 'folder';
  listing: FolderListing;
}

/** A day range of a long list of sets. */
export interface GroupNode {
  kind: 'group';
  listing: FolderListing;
  group: SetGroup;
  entries: SetEntry[];
}

export interface SetNode {
  kind: 'set';
  folder: vscode.WorkspaceFolder;
  backupsFolder: string;
  /** The prefix this folder's backups get; sets of another prefix say theirs. */
  prefix: string;
  entry: SetEntry;
  /** The group the set is shown under, when the list is grouped. */
  group?: SetGroup;
  /** The folder has offsite storage set up (Push Offsite applies). */
  offsiteSetUp: boolean;
}

/** The folder's offsite storage: its sets, listed when the group is expanded. */
export interface RemoteGroupNode {
  kind: 'remote';
  listing: FolderListing;
  /** s3://BUCKET/PREFIX as set. */
  url: string;
}

export interface RemoteSetNode {
  kind: 'remoteSet';
  folder: vscode.WorkspaceFolder;
  backupsFolder: string;
  prefix: string;
  set: RemoteSet;
  /** Whether the backups folder has the set too. */
  here: 'same' | 'different' | 'absent';
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

export type BackupsNode = FolderNode | GroupNode | SetNode | FileNode | InfoNode | RemoteGroupNode | RemoteSetNode;

/** Ages in descriptions ("5 min ago") are redrawn this often while the view is visible. */
const AGE_REDRAW_MS = 60_000;

export class BackupsTreeProvider extends Disposable implements vscode.TreeDataProvider<BackupsNode> {
  private readonly changed = this._register(new vscode.EventEmitter<BackupsNode | undefined>());
  readonly onDidChangeTreeData = this.changed.event;
  private redrawTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: BackupsStore,
    private readonly offsite: OffsiteStore,
  ) {
    super();
    this._register(store.onDidChange(() => this.changed.fire(undefined)));
    this._register(offsite.onDidChange(() => this.changed.fire(undefined)));
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
    if (node.kind === 'group') return node.entries.map((entry) => this.setNode(node.listing, entry, node.group)).filter((child) => child !== undefined);
    if (node.kind === 'set') return this.setChildren(node);
    if (node.kind === 'remote') return this.remoteChildren(node);
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
      case 'group': {
        // Today and Yesterday open; older days stay folded until asked for.
        const open = node.group === 'today' || node.group === 'yesterday';
        const item = new vscode.TreeItem(SET_GROUP_TITLES[node.group], open ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.Collapsed);
        item.id = `group:${node.listing.folder.uri.toString()}:${node.group}`;
        item.description = `${node.entries.length} set${node.entries.length === 1 ? '' : 's'}`;
        item.contextValue = 'group';
        item.accessibilityInformation = { label: `${SET_GROUP_TITLES[node.group]}, ${item.description}` };
        return item;
      }
      case 'set': {
        const { entry } = node;
        const item = new vscode.TreeItem(setLabelIn(entry.set, node.group), vscode.TreeItemCollapsibleState.Collapsed);
        item.id = `set:${node.folder.uri.toString()}:${entry.set.id}`;
        const mark = offsiteMark(entry, remoteFacts(this.offsite.peek(node.folder)));
        item.description = setDescription(entry, now, { folderPrefix: node.prefix, grouped: node.group !== undefined, offsite: mark !== undefined });
        const offsiteLine = node.offsiteSetUp || mark ? offsiteTooltipLine(mark, now) : undefined;
        const tooltip = new vscode.MarkdownString(setTooltipMarkdown(entry, now, offsiteLine === undefined ? {} : { offsiteLine }));
        tooltip.supportThemeIcons = true;
        item.tooltip = tooltip;
        item.iconPath = themeIcon(setIcon(entry));
        item.contextValue = setContextValue(entry, { offsiteSetUp: node.offsiteSetUp });
        item.accessibilityInformation = { label: setAccessibleLabel(entry, now, node.prefix, mark !== undefined) };
        return item;
      }
      case 'remote': {
        const model = remoteGroupModel(node.url, this.offsite.peek(node.listing.folder));
        // Folded: the remote is listed (and the SDK loaded) only when a person opens it.
        const item = new vscode.TreeItem(model.label, vscode.TreeItemCollapsibleState.Collapsed);
        item.id = `remote:${node.listing.folder.uri.toString()}`;
        item.description = model.description;
        item.tooltip = model.tooltip;
        item.iconPath = themeIcon(model.icon);
        item.contextValue = 'remote';
        item.accessibilityInformation = { label: `Remote, offsite copies at ${model.description}` };
        return item;
      }
      case 'remoteSet': {
        const model = remoteSetModel(node.set, now, { folderPrefix: node.prefix, here: node.here });
        const item = new vscode.TreeItem(model.label, vscode.TreeItemCollapsibleState.None);
        item.id = `remoteSet:${node.folder.uri.toString()}:${node.set.id}`;
        item.description = model.description;
        const tooltip = new vscode.MarkdownString(model.tooltip);
        tooltip.supportThemeIcons = true;
        item.tooltip = tooltip;
        item.iconPath = themeIcon(model.icon);
        item.contextValue = model.contextValue;
        item.accessibilityInformation = { label: model.accessibleLabel };
        return item;
      }
      case 'file': {
        const item = new vscode.TreeItem(node.model.label, vscode.TreeItemCollapsibleState.None);
        item.id = `file:${node.path}`;
        item.description = node.model.description;
        item.tooltip = `${node.model.tooltip}\n${node.path}`;
        item.iconPath = themeIcon(node.model.icon);
        item.contextValue = 'file';
        // A click opens the dump in a preview editor, as the Explorer does.
        item.command = { title: 'Open', command: 'vscode.open', arguments: [vscode.Uri.file(node.path), { preview: true }] };
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
    if (listings.every((listing) => listing.entries.length === 0 && !listing.error && !listing.settings?.offsite)) return [];
    return listings.map((listing): FolderNode => ({ kind: 'folder', listing }));
  }

  private folderChildren(listing: FolderListing, underFolderNode: boolean): BackupsNode[] {
    const nodes: BackupsNode[] = [];
    if (listing.error) {
      nodes.push({
        kind: 'info',
        id: `error:${listing.folder.uri.toString()}`,
        label: listing.error.message,
        tooltip: listing.error.hint && wordHint(listing.error.hint, extensionWords()),
        icon: { id: 'error', color: 'list.errorForeground' },
        command: { title: 'Show Log', command: 'pulseBackup.showLog' },
      });
    }
    if (listing.settings) {
      const groups = groupSets(listing.entries, new Date());
      if (groups) nodes.push(...groups.map((group): GroupNode => ({ kind: 'group', listing, group: group.group, entries: group.entries })));
      else nodes.push(...listing.entries.map((entry) => this.setNode(listing, entry, undefined)).filter((node) => node !== undefined));
    }
    if (nodes.length === 0 && underFolderNode) {
      nodes.push({ kind: 'info', id: `empty:${listing.folder.uri.toString()}`, label: 'No backups yet', icon: { id: 'info' } });
    }
    if (listing.settings?.offsite) nodes.push({ kind: 'remote', listing, url: listing.settings.offsite.url });
    return nodes;
  }

  /** The remote's sets, newest first; a failure is one item that says what to do, and a click does it. */
  private async remoteChildren(node: RemoteGroupNode): Promise<BackupsNode[]> {
    const folder = node.listing.folder;
    const remote = await this.offsite.list(folder);
    const id = `remote:${folder.uri.toString()}`;
    if (remote.kind === 'failed') {
      const line = sentenceOf(remote.error, { supabase: node.listing.settings?.supabase !== undefined });
      return [{ kind: 'info', id: `${id}:error`, label: line, tooltip: line, icon: { id: 'error', color: 'list.errorForeground' }, command: remoteFailureCommand(remote) }];
    }
    const settings = node.listing.settings;
    if (remote.sets.length === 0 || !settings) {
      return [{ kind: 'info', id: `${id}:empty`, label: 'No sets there yet', description: 'Push Offsite on a set copies it', icon: { id: 'info' } }];
    }
    return remote.sets.map((set): RemoteSetNode => ({
      kind: 'remoteSet',
      folder,
      backupsFolder: settings.backupsFolder,
      prefix: settings.prefix,
      set,
      here: localCounterpart(set, node.listing.entries),
    }));
  }

  private setNode(listing: FolderListing, entry: SetEntry, group: SetGroup | undefined): SetNode | undefined {
    const settings = listing.settings;
    if (!settings) return undefined;
    return {
      kind: 'set',
      folder: listing.folder,
      backupsFolder: settings.backupsFolder,
      prefix: settings.prefix,
      entry,
      ...(group ? { group } : {}),
      offsiteSetUp: settings.offsite !== undefined,
    };
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
        ...(model.kind === 'verification' || model.kind === 'proof' ? { command: { title: 'Open Backup Report', command: 'pulseBackup.openReport', arguments: [node] } } : {}),
      };
    });
  }
}

/** A click on a failed listing does what helps: store the keys, open the settings, or read the log (as the failure's notification offers). */
function remoteFailureCommand(listing: Extract<RemoteListing, { kind: 'failed' }>): vscode.Command {
  const [action] = actionsFor(listing.error.code);
  return { title: action.title, command: action.command };
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
