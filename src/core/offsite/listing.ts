/**
 * The sets of a remote, newest first, each with a status read from the
 * objects themselves: `complete` (its manifest, written last, is there and
 * every object it names is there at its size), `incomplete` (objects but no
 * manifest: a push that died or is still under way — never counted as
 * good), `damaged` (a manifest that cannot be read, or an object missing or
 * of another size).
 */
import type { _Object } from '@aws-sdk/client-s3';
import { parseBackupFileName, parseSetId, parseTimestamp, type BackupFileKind, type DumpType } from '../sets/naming';
import { newestFirst } from '../sets/listing';
import type { Remote } from './client';
import { notS3Storage, shapelessListing } from './failures';
import { keyPrefix, manifestKey, setOfKey } from './remote';
import { parseRemoteManifest, type RemoteManifest, type StoredFile } from './remoteManifest';

export type RemoteSetStatus = 'complete' | 'incomplete' | 'damaged';

export interface RemoteSet {
  id: string;
  prefix: string;
  timestamp: string;
  /** ISO 8601: the backup's start, or the time in the set's name. */
  createdAt: string;
  status: RemoteSetStatus;
  /** Why it is not complete, one line each. */
  problems: string[];
  /** What is stored (from the manifest; for a set without one, the objects there are). */
  files: StoredFile[];
  totalBytes: number;
  purpose: 'backup' | 'safety';
  /** When its manifest was written. */
  pushedAt?: string;
  /** When the newest of its objects was written (what tells a push that died from one under way). */
  lastWrittenAt?: string;
  /** `s3://…` of the set's folder. */
  url: string;
  /** Its objects are encrypted: the set itself was (backup --encrypt), or only its remote copy (push --encrypt). */
  encrypted: boolean;
  manifest?: RemoteManifest;
}

export interface RemoteObject {
  key: string;
  bytes: number;
  lastModified?: Date;
}

/** Every object under the remote's prefix (one ListObjectsV2 page per 1,000). */
export async function listObjects(remote: Remote, under = keyPrefix(remote.location), signal?: AbortSignal): Promise<RemoteObject[]> {
  const objects: RemoteObject[] = [];
  let token: string | undefined;
  do {
    const page = await remote.s3
      .send(new remote.sdk.ListObjectsV2Command({ Bucket: remote.location.bucket, Prefix: under, ...(token ? { ContinuationToken: token } : {}) }), { abortSignal: signal })
      .catch((error: unknown) => {
        throw remote.failure(error);
      });
    if (shapelessListing(page)) throw notS3Storage({ bucket: remote.location.bucket, where: remote.where });
    for (const item of page.Contents ?? ([] as _Object[])) {
      if (item.Key !== undefined) objects.push({ key: item.Key, bytes: item.Size ?? 0, ...(item.LastModified ? { lastModified: item.LastModified } : {}) });
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return objects;
}

export async function listRemoteSets(remote: Remote, signal?: AbortSignal): Promise<RemoteSet[]> {
  const groups = new Map<string, RemoteObject[]>();
  for (const object of await listObjects(remote, undefined, signal)) {
    const inSet = setOfKey(remote.location, object.key);
    if (!inSet) continue;
    groups.set(inSet.setId, [...(groups.get(inSet.setId) ?? []), object]);
  }
  const sets: RemoteSet[] = [];
  for (const [id, objects] of groups) sets.push(await describeSet(remote, id, objects, signal));
  return sets.sort(newestFirst);
}

async function describeSet(remote: Remote, id: string, objects: RemoteObject[], signal?: AbortSignal): Promise<RemoteSet> {
  const parsed = parseSetId(id)!;
  const key = manifestKey(remote.location, id);
  const base = {
    id,
    prefix: parsed.prefix,
    timestamp: parsed.timestamp,
    createdAt: parseTimestamp(parsed.timestamp).toISOString(),
    purpose: 'backup' as const,
    url: remote.url(id),
    encrypted: objects.some((object) => object.key.endsWith('.age')),
    ...lastWritten(objects),
  };
  const byName = new Map(objects.map((object) => [object.key.slice(object.key.lastIndexOf('/') + 1), object]));
  // Without a readable manifest, the dump files there by their names (their type from the name, no checksum known).
  const asStored = (): StoredFile[] =>
    objects.flatMap((object) => {
      const name = object.key.slice(object.key.lastIndexOf('/') + 1);
      const parsed = object.key === key ? undefined : parseBackupFileName(name);
      return parsed && isDumpKind(parsed.kind) ? [{ type: parsed.kind, name, bytes: object.bytes, sha256: '' }] : [];
    });
  if (!objects.some((object) => object.key === key)) {
    const files = asStored();
    return { ...base, status: 'incomplete', problems: ['no manifest: a push that did not finish (or is still under way)'], files, totalBytes: sum(files) };
  }
  let manifest: RemoteManifest;
  try {
    manifest = parseRemoteManifest(await readText(remote, key, signal), remote.url(id, key.slice(key.lastIndexOf('/') + 1)));
  } catch (error) {
    const files = asStored();
    return { ...base, status: 'damaged', problems: [`its manifest cannot be read: ${error instanceof Error ? error.message : String(error)}`], files, totalBytes: sum(files) };
  }
  const problems = manifest.offsite.stored.flatMap((file) => {
    const object = byName.get(file.name);
    if (!object) return [`${file.name} is missing`];
    if (object.bytes !== file.bytes) return [`${file.name} has ${object.bytes} bytes, not ${file.bytes}`];
    return [];
  });
  return {
    ...base,
    createdAt: manifest.startedAt,
    purpose: manifest.purpose,
    status: problems.length === 0 ? 'complete' : 'damaged',
    problems,
    files: manifest.offsite.stored,
    totalBytes: sum(manifest.offsite.stored),
    pushedAt: manifest.offsite.pushedAt,
    encrypted: manifest.encryption !== undefined || manifest.offsite.encryption !== undefined,
    manifest,
  };
}

/** A small object (a manifest) as text. */
export async function readText(remote: Remote, key: string, signal?: AbortSignal): Promise<string> {
  const text = await readTextIfThere(remote, key, signal);
  if (text === undefined) throw remote.failure(Object.assign(new Error('NoSuchKey'), { name: 'NoSuchKey', Code: 'NoSuchKey' }), key);
  return text;
}

/** A small object as text; undefined when there is no such key. */
export async function readTextIfThere(remote: Remote, key: string, signal?: AbortSignal): Promise<string | undefined> {
  try {
    const answer = await remote.s3.send(new remote.sdk.GetObjectCommand({ Bucket: remote.location.bucket, Key: key }), { abortSignal: signal });
    // A manifest is stored as JSON; a web page in its place is another server's answer to every path.
    if (answer.ContentType?.startsWith('text/html')) throw notS3Storage({ bucket: remote.location.bucket, where: remote.where });
    return (await answer.Body?.transformToString('utf8')) ?? '';
  } catch (error) {
    const name = (error as { name?: string }).name;
    if (name === 'NoSuchKey' || name === 'NotFound') return undefined;
    throw remote.failure(error, key);
  }
}

function lastWritten(objects: readonly RemoteObject[]): { lastWrittenAt?: string } {
  const times = objects.flatMap((object) => (object.lastModified ? [object.lastModified.getTime()] : []));
  return times.length === 0 ? {} : { lastWrittenAt: new Date(Math.max(...times)).toISOString() };
}

function sum(files: readonly { bytes: number }[]): number {
  return files.reduce((total, file) => total + file.bytes, 0);
}

function isDumpKind(kind: BackupFileKind): kind is DumpType {
  return kind === 'schema' || kind === 'data' || kind === 'complete';
}
