/**
 * Which set a command is about: the tree's node, a { folderUri, setId }
 * reference (the status bar, the report, another command), or the one the
 * person picks from a list that marks each set's state as the tree does —
 * so a safety backup is never mistaken for a backup.
 */
import * as vscode from 'vscode';
import { PulseError } from '../core/errors';
import { formatBytes } from '../core/format';
import type { ListedSet } from '../core/sets/listing';
import type { BackupsStore, FolderListing } from './backupsStore';
import { pickWorkspaceFolder, type SettingsStore } from './settingsStore';
import type { BackupsNode, FileNode, SetNode } from './tree';
import { SET_STATE_ICONS, SET_STATE_WORDS, setLabel, setState, type SetEntry } from './viewModel';

/** How a command names a set when it does not come from the tree. */
export interface SetReference {
  folderUri: string;
  setId: string;
}

export interface ResolvedSet {
  folder: vscode.WorkspaceFolder;
  listing: FolderListing;
  backupsFolder: string;
  set: ListedSet;
}

export async function resolveSet(config: SettingsStore, store: BackupsStore, arg: unknown, placeHolder: string): Promise<ResolvedSet | undefined> {
  let folder: vscode.WorkspaceFolder | undefined;
  let setId: string | undefined;
  if (isSetNode(arg)) {
    folder = arg.folder;
    setId = arg.entry.set.id;
  } else if (isSetReference(arg)) {
    folder = config.folders.find((candidate) => candidate.uri.toString() === arg.folderUri);
    setId = arg.setId;
  } else {
    folder = await pickWorkspaceFolder(config, placeHolder);
  }
  if (!folder) return undefined;
  const listing = await store.currentListing(folder, setId);
  throwIfUnusable(listing);
  const backupsFolder = listing.settings?.backupsFolder ?? '';
  if (setId === undefined) {
    if (listing.entries.length === 0) throw noSets(listing);
    const picked = await vscode.window.showQuickPick(listing.entries.map(setPickItem), { placeHolder });
    return picked ? { folder, listing, backupsFolder, set: picked.set } : undefined;
  }
  const found = listing.entries.find((entry) => entry.set.id === setId);
  if (!found) {
    throw new PulseError('unknown-set', `no backup set ${setId} in ${backupsFolder}`, { hint: 'it may have been removed; refresh the Backups view' });
  }
  return { folder, listing, backupsFolder, set: found.set };
}

/** A set in a picker: its state's icon and words, so a safety backup is never mistaken for a backup. */
export function setPickItem(entry: SetEntry): vscode.QuickPickItem & { set: ListedSet } {
  const state = setState(entry);
  return {
    label: `$(${SET_STATE_ICONS[state].id}) ${setLabel(entry.set)}`,
    description: `${SET_STATE_WORDS[state]}${entry.set.pinned ? ', pinned' : ''}`,
    detail: `${entry.set.id} · ${formatBytes(entry.set.totalBytes)}`,
    set: entry.set,
  };
}

export function throwIfUnusable(listing: FolderListing): void {
  if (listing.error && !listing.settings) throw listing.error;
}

export function noSets(listing: FolderListing): PulseError {
  return new PulseError('unknown-set', `there are no backup sets in ${listing.settings?.backupsFolder ?? listing.folder.name}`, {
    hint: 'run Pulse Backup: Back Up Database first',
  });
}

function isSetNode(value: unknown): value is SetNode {
  return typeof value === 'object' && value !== null && (value as BackupsNode).kind === 'set';
}

export function isFileNode(value: unknown): value is FileNode {
  return typeof value === 'object' && value !== null && (value as BackupsNode).kind === 'file';
}

function isSetReference(value: unknown): value is SetReference {
  if (typeof value !== 'object' || value === null) return false;
  const { folderUri, setId } = value as { folderUri?: unknown; setId?: unknown };
  return typeof folderUri === 'string' && typeof setId === 'string';
}
