/**
 * Each workspace folder's offsite storage: its keys in SecretStorage (one
 * entry per endpoint and bucket, see settings.ts), the connection the engine
 * is given (the keys as values, never in an environment or a command line),
 * and the remote's listing for the Remote group and the cloud marks. The
 * listing is lazy: it is made when the Remote group is expanded (or a
 * command asks), never at activation, and kept until a push, a pull, new
 * settings or new keys make it out of date. Only then is the AWS SDK
 * loaded.
 */
import * as vscode from 'vscode';
import { openRemote, type RemoteConnection, type RemoteCredentials } from '../core/offsite/client';
import { listRemoteSets, type RemoteSet } from '../core/offsite/listing';
import { remoteUrl, type RemoteLocation } from '../core/offsite/remote';
import { PulseError } from '../core/errors';
import { forExtension } from './hints';
import type { RemoteFacts } from './offsiteViewModel';
import { Disposable } from './lifecycle';
import type { Log } from './log';
import { offsiteCredentialsKey, offsiteLocation, type FolderSettings, type OffsiteSettings } from './settings';
import type { SettingsStore } from './settingsStore';

/** What the Remote group shows: the remote's sets, or why there are none to show. */
export type RemoteListing =
  { kind: 'listed'; url: string; location: RemoteLocation; where: string; sets: RemoteSet[]; listedAt: Date } | { kind: 'failed'; url: string; error: PulseError };

/** A connection for the engine, and how a person reads where it goes. */
export interface OffsiteConnection extends RemoteConnection {
  /** s3://BUCKET/PREFIX */
  url: string;
  /** The keys came from secret storage (else the AWS SDK's own chain finds them). */
  storedKeys: boolean;
}

const CREDENTIALS_PREFIX = 'pulseBackup.offsiteCredentials:';

export class OffsiteStore extends Disposable {
  private readonly changed = this._register(new vscode.EventEmitter<vscode.WorkspaceFolder | undefined>());
  /** A folder's listing changed (undefined: every folder's). */
  readonly onDidChange = this.changed.event;
  private readonly listings = new Map<string, { promise: Promise<RemoteListing>; done?: RemoteListing }>();

  constructor(
    private readonly config: SettingsStore,
    private readonly secrets: vscode.SecretStorage,
    private readonly log: Log,
  ) {
    super();
    // Other settings or other keys: what was listed may not be what is there for them.
    this._register(config.onDidChange(() => this.forget()));
    this._register(
      secrets.onDidChange((event) => {
        if (event.key.startsWith(CREDENTIALS_PREFIX)) this.forget();
      }),
    );
  }

  /** The folder's listing as far as it is known now, without making one. */
  peek(folder: vscode.WorkspaceFolder): RemoteListing | undefined {
    return this.listings.get(folder.uri.toString())?.done;
  }

  /** The folder's listing: made once (the SDK loaded then), then kept until something changes. */
  list(folder: vscode.WorkspaceFolder): Promise<RemoteListing> {
    const key = folder.uri.toString();
    const known = this.listings.get(key);
    if (known) return known.promise;
    const entry: { promise: Promise<RemoteListing>; done?: RemoteListing } = { promise: Promise.resolve(undefined as unknown as RemoteListing) };
    entry.promise = this.load(folder).then((listing) => {
      entry.done = listing;
      if (this.listings.get(key) === entry) this.changed.fire(folder);
      return listing;
    });
    this.listings.set(key, entry);
    return entry.promise;
  }

  /** After a push or a pull: lists again at once where the Remote group was listed, else when it is next expanded. */
  invalidate(folder: vscode.WorkspaceFolder): void {
    const key = folder.uri.toString();
    const wasListed = this.listings.has(key);
    this.listings.delete(key);
    if (wasListed) void this.list(folder);
    else this.changed.fire(folder);
  }

  /** The Refresh command: every folder listed again when its Remote group asks. */
  forget(): void {
    this.listings.clear();
    this.changed.fire(undefined);
  }

  /**
   * What the engine needs to reach the folder's remote: the settings, and the
   * keys stored for that endpoint and bucket (their secret registered with
   * the log's redaction); without stored keys, the SDK's standard chain.
   */
  async connection(folder: vscode.WorkspaceFolder, settings: FolderSettings = this.config.settingsFor(folder)): Promise<OffsiteConnection> {
    const offsite = requireOffsite(settings, folder);
    const location = offsiteLocation(offsite);
    const credentials = await this.storedCredentials(offsite);
    if (credentials) this.log.addSecret(credentials.secretAccessKey);
    return {
      location,
      url: remoteUrl(location),
      ...(offsite.endpoint !== undefined ? { endpoint: offsite.endpoint } : {}),
      ...(offsite.region !== undefined ? { region: offsite.region } : {}),
      ...(offsite.pathStyle !== undefined ? { pathStyle: offsite.pathStyle } : {}),
      ...(credentials ? { credentials } : {}),
      storedKeys: credentials !== undefined,
    };
  }

  async storedCredentials(offsite: OffsiteSettings): Promise<RemoteCredentials | undefined> {
    const text = await this.secrets.get(offsiteCredentialsKey(offsite, process.env));
    if (!text) return undefined;
    try {
      const value = JSON.parse(text) as Partial<RemoteCredentials>;
      if (typeof value.accessKeyId === 'string' && typeof value.secretAccessKey === 'string') return { accessKeyId: value.accessKeyId, secretAccessKey: value.secretAccessKey };
    } catch {
      // Not ours, or damaged: as if none were stored.
    }
    return undefined;
  }

  async storeCredentials(offsite: OffsiteSettings, credentials: RemoteCredentials): Promise<void> {
    this.log.addSecret(credentials.secretAccessKey);
    await this.secrets.store(offsiteCredentialsKey(offsite, process.env), JSON.stringify({ accessKeyId: credentials.accessKeyId, secretAccessKey: credentials.secretAccessKey }));
  }

  /** True when there were keys to remove. */
  async clearCredentials(offsite: OffsiteSettings): Promise<boolean> {
    const key = offsiteCredentialsKey(offsite, process.env);
    const had = (await this.secrets.get(key)) !== undefined;
    await this.secrets.delete(key);
    return had;
  }

  private async load(folder: vscode.WorkspaceFolder): Promise<RemoteListing> {
    let url = '';
    try {
      this.config.requireTrust('Listing offsite copies');
      const settings = this.config.settingsFor(folder);
      url = settings.offsite?.url ?? '';
      const connection = await this.connection(folder, settings);
      url = connection.url;
      const remote = await openRemote(connection);
      try {
        const sets = await listRemoteSets(remote);
        this.log.info(`offsite copies of ${folder.name}: ${sets.length} set${sets.length === 1 ? '' : 's'} at ${connection.url} (${remote.where})`);
        return { kind: 'listed', url: connection.url, location: connection.location, where: remote.where, sets, listedAt: new Date() };
      } finally {
        remote.s3.destroy();
      }
    } catch (error) {
      const settings = safeSettings(this.config, folder);
      const pulseError = forExtension(error, { supabase: settings?.supabase !== undefined });
      this.log.error(`listing the offsite copies of ${folder.name}`, pulseError);
      return { kind: 'failed', url, error: pulseError };
    }
  }
}

/** What a listing says of the remote's sets, once it has listed them (for the marks and the status bar). */
export function remoteFacts(listing: RemoteListing | undefined): RemoteFacts | undefined {
  return listing?.kind === 'listed' ? { location: listing.location, where: listing.where, sets: listing.sets, listedAt: listing.listedAt } : undefined;
}

/** The folder's offsite settings; none is an error that says which setting to fill. */
export function requireOffsite(settings: FolderSettings, folder: vscode.WorkspaceFolder): OffsiteSettings {
  if (settings.offsite) return settings.offsite;
  throw new PulseError('offsite-not-configured', `${folder.name} has no offsite storage set up`, {
    hint: 'set "Pulse Backup: Offsite: URL" to s3://BUCKET/PREFIX in the settings (and "Offsite: Endpoint" for storage other than AWS S3)',
  });
}

function safeSettings(config: SettingsStore, folder: vscode.WorkspaceFolder): FolderSettings | undefined {
  try {
    return config.settingsFor(folder);
  } catch {
    return undefined;
  }
}
