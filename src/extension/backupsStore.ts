/**
 * What each workspace folder's backups folder holds, kept fresh: the
 * engine's listing plus each set's last verification and proof from its history,
 * loaded on first use (the tree becoming visible, the status bar after
 * activation) and again whenever a FileSystemWatcher sees the folder change.
 * The tree and the status bar read from here; neither lists on its own.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { PulseError } from '../core/errors';
import { currentProof, currentVerification, lastVerification, offsiteCopiesOf, readHistory } from '../core/sets/history';
import { listSets, type ListedSet } from '../core/sets/listing';
import type { SettingsStore } from './settingsStore';
import { Disposable, disposeAll } from './lifecycle';
import type { Log } from './log';
import type { FolderSettings } from './settings';
import type { SetEntry } from './viewModel';
import { forExtension } from './hints';

export interface FolderListing {
  folder: vscode.WorkspaceFolder;
  /** Undefined when the settings cannot be used (see error). */
  settings?: FolderSettings;
  /** Newest first. */
  entries: SetEntry[];
  error?: PulseError;
}

export type OperationKind = 'backup' | 'restore' | 'verify' | 'prove' | 'diff' | 'prune' | 'push' | 'pull';

/** Changes that arrive together (a backup renames four files) cause one reload. */
const RELOAD_DELAY_MS = 300;

export class BackupsStore extends Disposable {
  private readonly changed = this._register(new vscode.EventEmitter<vscode.WorkspaceFolder | undefined>());
  /** A folder's listing changed (undefined: all of them). */
  readonly onDidChange = this.changed.event;

  private readonly listings = new Map<string, Promise<FolderListing>>();
  private readonly watchers = new Map<string, vscode.Disposable[]>();
  private readonly reloadTimers = new Map<string, NodeJS.Timeout>();
  private readonly running = new Map<number, { folder: string; kind: OperationKind }>();
  private nextOperation = 1;

  constructor(
    private readonly config: SettingsStore,
    private readonly log: Log,
  ) {
    super();
    // New settings can move the folder: watch the new place and list again.
    this._register(config.onDidChange(() => this.resetAll()));
    this._register({
      dispose: () => {
        for (const timer of this.reloadTimers.values()) clearTimeout(timer);
        for (const disposables of this.watchers.values()) disposeAll(disposables);
      },
    });
  }

  get folders(): readonly vscode.WorkspaceFolder[] {
    return this.config.folders;
  }

  /** The folder's sets, listed once and then kept until something changes. */
  listing(folder: vscode.WorkspaceFolder): Promise<FolderListing> {
    const key = folder.uri.toString();
    let listing = this.listings.get(key);
    if (!listing) {
      listing = this.load(folder);
      this.listings.set(key, listing);
    }
    return listing;
  }

  /**
   * The listing a command acts on. The cached one is as old as the
   * watcher's last reload, which comes a few hundred milliseconds after the
   * folder's last change: a backup run outside the extension (the CLI, a
   * scheduled job) may since have put in place a set it shows as being
   * written, or written one it does not show yet (`setId`). Then the folder
   * is listed again, so that a command never refuses a finished set as
   * still being written, nor misses a new one.
   */
  async currentListing(folder: vscode.WorkspaceFolder, setId?: string): Promise<FolderListing> {
    const listing = await this.listing(folder);
    const entries = listing.entries;
    const behind = entries.some((entry) => entry.set.status === 'running') || (setId !== undefined && !entries.some((entry) => entry.set.id === setId));
    if (!behind) return listing;
    this.refresh(folder);
    return this.listing(folder);
  }

  async allListings(): Promise<FolderListing[]> {
    return Promise.all(this.folders.map((folder) => this.listing(folder)));
  }

  /** The folder whose backups folder holds `backupsFolder`, for commands that come with a path. */
  async listingForBackupsFolder(backupsFolder: string): Promise<FolderListing | undefined> {
    for (const listing of await this.allListings()) {
      if (listing.settings && path.resolve(listing.settings.backupsFolder) === path.resolve(backupsFolder)) return listing;
    }
    return undefined;
  }

  /** Lists again now (the Refresh command, or after an operation of ours finished). */
  refresh(folder?: vscode.WorkspaceFolder): void {
    if (folder) {
      this.listings.delete(folder.uri.toString());
    } else {
      this.listings.clear();
    }
    this.changed.fire(folder);
  }

  /** Marks an operation as running until the returned disposable is disposed. */
  trackOperation(folder: vscode.WorkspaceFolder, kind: OperationKind): vscode.Disposable {
    const id = this.nextOperation++;
    this.running.set(id, { folder: folder.uri.toString(), kind });
    return {
      dispose: () => {
        this.running.delete(id);
      },
    };
  }

  isRunning(kind: OperationKind, folder?: vscode.WorkspaceFolder): boolean {
    return [...this.running.values()].some((operation) => operation.kind === kind && (!folder || operation.folder === folder.uri.toString()));
  }

  private async load(folder: vscode.WorkspaceFolder): Promise<FolderListing> {
    let settings: FolderSettings;
    try {
      settings = this.config.settingsFor(folder);
    } catch (error) {
      return { folder, entries: [], error: forExtension(error) };
    }
    this.watch(folder, settings.backupsFolder);
    try {
      const sets = await listSets(settings.backupsFolder);
      const entries = await Promise.all(
        sets.map(async (set): Promise<SetEntry> => {
          if (!set.hasHistory) return { set };
          try {
            return await this.entryWithHistory(settings.backupsFolder, set);
          } catch (error) {
            // One set's history that cannot be read costs that set its checks in the view, never the folder's listing.
            this.log.error(`reading the history of ${set.id}`, forExtension(error));
            return { set };
          }
        }),
      );
      return { folder, settings, entries };
    } catch (error) {
      const pulseError = forExtension(error);
      this.log.error(`listing ${settings.backupsFolder}`, pulseError);
      return { folder, settings, entries: [], error: pulseError };
    }
  }

  /** A set with what its history says: its last verification and proof (current or outdated), its offsite copies. */
  private async entryWithHistory(backupsFolder: string, set: ListedSet): Promise<SetEntry> {
    const history = await readHistory(backupsFolder, set.id);
    const last = lastVerification(history, 'post-backup');
    // A verification, and a passed proof, count until a file of the set changes after them.
    const [holding, proof] = await Promise.all([currentVerification(backupsFolder, set, history), currentProof(backupsFolder, set, history)]);
    const copies = set.manifest ? offsiteCopiesOf(history, set.manifest.files) : [];
    return {
      set,
      ...(holding ? { lastVerification: holding } : last ? { staleVerification: last } : {}),
      ...(proof.proof ? { proof: proof.proof } : {}),
      ...(proof.stale ? { staleProof: proof.stale } : {}),
      ...(copies.length > 0 ? { offsiteCopies: copies } : {}),
    };
  }

  /**
   * Inside the workspace folder (the default, ./backups) the workspace's own
   * recursive watcher sees the folder appear; outside it, the folder itself
   * is watched. The folder is watched as well as its files: when it is
   * removed whole, the watcher reports the folder's removal only, not each
   * file's.
   */
  private watch(folder: vscode.WorkspaceFolder, backupsFolder: string): void {
    const key = folder.uri.toString();
    if (this.watchers.has(key)) return;
    const relative = path.relative(folder.uri.fsPath, backupsFolder);
    const inside = relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative);
    const posixRelative = relative.split(path.sep).join('/');
    const patterns = inside
      ? [new vscode.RelativePattern(folder, `${posixRelative}/*`), new vscode.RelativePattern(folder, posixRelative)]
      : [new vscode.RelativePattern(vscode.Uri.file(backupsFolder), '*'), new vscode.RelativePattern(vscode.Uri.file(path.dirname(backupsFolder)), path.basename(backupsFolder))];
    const changed = () => this.scheduleReload(folder);
    this.watchers.set(
      key,
      patterns.flatMap((pattern) => {
        const watcher = vscode.workspace.createFileSystemWatcher(pattern);
        return [watcher, watcher.onDidCreate(changed), watcher.onDidChange(changed), watcher.onDidDelete(changed)];
      }),
    );
  }

  private scheduleReload(folder: vscode.WorkspaceFolder): void {
    const key = folder.uri.toString();
    const pending = this.reloadTimers.get(key);
    if (pending) clearTimeout(pending);
    this.reloadTimers.set(
      key,
      setTimeout(() => {
        this.reloadTimers.delete(key);
        this.refresh(folder);
      }, RELOAD_DELAY_MS),
    );
  }

  private resetAll(): void {
    for (const disposables of this.watchers.values()) disposeAll(disposables);
    this.watchers.clear();
    this.refresh();
  }
}
