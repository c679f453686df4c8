/**
 * `push`: a local set copied to the remote, in the one layout (remote.ts):
 * the abandoned multipart uploads under the prefix aborted first
 * (uploads.ts), each file streamed up and checked (transfer.ts), the
 * manifest written last, so the copy is listed as good only once every
 * object is there. A copy that is already there, the same and whole (every
 * object its manifest names there at its size, as the listing judges it),
 * is left as it is; one with an object missing or of another size, or a
 * manifest that cannot be read, is replaced, its manifest removed first;
 * a different set under the same id is never overwritten. A push that
 * fails or is stopped aborts its upload and removes the objects it wrote.
 * Retention runs once the copy is there and recorded: one that fails is the
 * result's `retentionFailed`, never a failed push (the copy stays good).
 */
import { join } from 'node:path';
import { PulseError, toPulseError } from '../errors';
import { hint, run } from '../hint';
import { findSet } from '../sets/listing';
import { loadCodec } from '../codecs/codecs';
import type { Encryption } from '../crypto/keySources';
import { readManifest, type Manifest, type ManifestFile } from '../sets/manifest';
import { openRemote, type Remote, type RemoteConnection } from './client';
import { listObjects, readTextIfThere } from './listing';
import { recordCopy } from './copyRecord';
import { manifestKey, objectKey, setKeyPrefix } from './remote';
import { parseRemoteManifest, remoteManifestOf, type RemoteManifest, type StoredFile } from './remoteManifest';
import { pruneRemoteSets, type RemotePruneResult } from './retention';
import { UploadTakenOver, uploadFile } from './transfer';
import { abortAbandonedUploads } from './uploads';

export type PushProgress =
  | { kind: 'connected'; where: string; url: string }
  | { kind: 'cleaned'; keys: string[] }
  | { kind: 'file-start'; name: string; bytes: number }
  | { kind: 'file-progress'; name: string; sent: number; bytes: number }
  | { kind: 'file-done'; name: string; bytes: number }
  | { kind: 'manifest'; name: string };

export interface PushOptions extends RemoteConnection {
  folder: string;
  setId: string;
  /** Encrypt the remote copy (the local set stays as it is): its files are stored as `….sql.age`. */
  encryption?: Encryption;
  /** Remote retention once the copy is there: keep the newest N complete sets of the set's prefix (other prefixes' sets are left alone). */
  keep?: number;
  signal?: AbortSignal;
  onProgress?: (event: PushProgress) => void;
}

export interface PushResult {
  setId: string;
  /** s3://… of the set's folder. */
  url: string;
  bytes: number;
  durationMs: number;
  /** The same copy was there already: nothing was sent. */
  alreadyThere: boolean;
  /** What was wrong with the copy this push replaced (an object missing, a manifest that cannot be read). */
  replacedDamaged?: string[];
  /** The copy is encrypted (the set itself, or only its remote copy). */
  encrypted: boolean;
  /** Keys of abandoned multipart uploads that were aborted. */
  cleanedUploads: string[];
  retention?: RemotePruneResult;
  /** The copy is there and recorded, but `keep`'s retention stopped on this (some older sets may be left). */
  retentionFailed?: PulseError;
}

export async function pushSet(options: PushOptions): Promise<PushResult> {
  const started = performance.now();
  const set = await findSet(options.folder, options.setId);
  if (set.status !== 'complete' || !set.hasManifest) {
    throw new PulseError(
      'usage',
      `the set ${set.id} is ${set.status === 'legacy' ? 'from the old script (no manifest)' : set.status}: only a complete set with its manifest can be pushed`,
      {
        hint:
          set.status === 'legacy' ? 'its files have no checksums to check a copy against; take a new backup and push that' : hint`${run('verify', set.id)} to see what is wrong`,
      },
    );
  }
  const manifest = await readManifest(join(options.folder, `${set.id}.manifest.json`));
  // Refused before anything reaches the storage.
  if (options.encryption && manifest.encryption) {
    throw new PulseError('usage', `the set ${set.id} is encrypted already`, { hint: 'push it as it is, without encrypting it again' });
  }
  const remote = await openRemote(options);
  try {
    options.onProgress?.({ kind: 'connected', where: remote.where, url: remote.url(set.id) });
    const cleanedUploads = await abortAbandonedUploads(remote, set.id, options.signal);
    if (cleanedUploads.length > 0) options.onProgress?.({ kind: 'cleaned', keys: cleanedUploads });
    const result = {
      setId: set.id,
      url: remote.url(set.id),
      bytes: manifest.files.reduce((sum, file) => sum + file.bytes, 0),
      cleanedUploads,
      encrypted: Boolean(options.encryption ?? manifest.encryption),
    };
    const existing = await existingCopy(remote, set.id, options.signal);
    const there = existing?.manifest;
    if (there && !sameSet(there, manifest, options.encryption !== undefined)) {
      const what = sameSet(there, manifest, options.encryption === undefined) ? `this set ${options.encryption ? 'unencrypted' : 'encrypted'}` : `another set named ${set.id}`;
      throw new PulseError('offsite-set-conflict', `${remote.url(set.id)} already holds ${what}`, {
        hint: 'it stays as it is; push to another prefix, or remove that copy first',
      });
    }
    const damaged = existing !== undefined && existing.problems.length > 0 ? existing.problems : undefined;
    // A damaged copy loses its manifest before anything is sent: until the new one is written it lists as unfinished, never as good with other bytes.
    if (damaged) await removeObject(remote, manifestKey(remote.location, set.id), options.signal);
    const copy = there && !damaged ? there : await sendSet(remote, options, manifest);
    await recordCopy(options.folder, remote, set.id, copy, 'pushed');
    const done = { ...result, durationMs: performance.now() - started, alreadyThere: copy === there, ...(damaged ? { replacedDamaged: damaged } : {}) };
    if (options.keep === undefined) return done;
    try {
      return { ...done, retention: await pruneRemoteSets(remote, { keep: options.keep, signal: options.signal, justPushed: set.id, prefix: set.prefix }) };
    } catch (error) {
      if (options.signal?.aborted) throw error;
      return { ...done, retentionFailed: toPulseError(error) };
    }
  } finally {
    remote.s3.destroy();
  }
}

/** The copy holds this set (its own files, by size and SHA-256), stored the way asked (encrypted for the remote only, or not). */
function sameSet(existing: RemoteManifest, manifest: Manifest, encryptedForRemote: boolean): boolean {
  const key = (files: readonly ManifestFile[]) =>
    files
      .map((file) => `${file.name} ${file.bytes} ${file.sha256}`)
      .sort()
      .join('\n');
  return key(existing.files) === key(manifest.files) && (existing.offsite.encryption !== undefined) === encryptedForRemote;
}

/** The copy under the set's id, if its manifest is there: what it holds (unless its manifest cannot be read) and what is wrong with it. */
async function existingCopy(remote: Remote, setId: string, signal?: AbortSignal): Promise<{ manifest?: RemoteManifest; problems: string[] } | undefined> {
  const key = manifestKey(remote.location, setId);
  const text = await readTextIfThere(remote, key, signal);
  if (text === undefined) return undefined;
  let manifest: RemoteManifest;
  try {
    manifest = parseRemoteManifest(text, remote.url(setId, key.slice(key.lastIndexOf('/') + 1)));
  } catch (error) {
    if (!(error instanceof PulseError)) throw error;
    return { problems: [`its manifest cannot be read: ${error.message}`] };
  }
  const sizes = new Map((await listObjects(remote, setKeyPrefix(remote.location, setId), signal)).map((object) => [object.key, object.bytes]));
  const problems = manifest.offsite.stored.flatMap(({ name, bytes }) => {
    const stored = sizes.get(objectKey(remote.location, setId, name));
    return stored === bytes ? [] : [stored === undefined ? `${name} is missing` : `${name} has ${stored} bytes, not ${bytes}`];
  });
  return { manifest, problems };
}

async function removeObject(remote: Remote, key: string, signal?: AbortSignal): Promise<void> {
  await remote.s3.send(new remote.sdk.DeleteObjectCommand({ Bucket: remote.location.bucket, Key: key }), { abortSignal: signal }).catch((error: unknown) => {
    throw remote.failure(error, key);
  });
}

async function sendSet(remote: Remote, options: PushOptions, manifest: Manifest): Promise<RemoteManifest> {
  const written: string[] = [];
  const stored: StoredFile[] = [];
  const encoding = options.encryption ? await loadCodec('age') : undefined;
  try {
    for (const file of manifest.files) {
      const name = options.encryption ? `${file.name}.age` : file.name;
      const key = objectKey(remote.location, options.setId, name);
      options.onProgress?.({ kind: 'file-start', name, bytes: file.bytes });
      written.push(key);
      const object = await uploadFile(remote, {
        key,
        path: join(options.folder, file.name),
        bytes: file.bytes,
        sha256: file.sha256,
        ...(encoding && options.encryption ? { encoder: await encoding.encoder({ encryption: options.encryption }) } : {}),
        signal: options.signal,
        onBytes: (sent) => options.onProgress?.({ kind: 'file-progress', name, sent, bytes: file.bytes }),
      });
      stored.push({ type: file.type, name, ...object });
      if (options.signal?.aborted) throw cancelled(options.setId);
      options.onProgress?.({ kind: 'file-done', name, bytes: object.bytes });
    }
    const remoteManifest = remoteManifestOf(manifest, stored, new Date(), options.encryption?.record);
    const key = manifestKey(remote.location, options.setId);
    options.onProgress?.({ kind: 'manifest', name: key.slice(key.lastIndexOf('/') + 1) });
    await remote.s3
      .send(new remote.sdk.PutObjectCommand({ Bucket: remote.location.bucket, Key: key, Body: `${JSON.stringify(remoteManifest, null, 2)}\n`, ContentType: 'application/json' }), {
        abortSignal: options.signal,
      })
      .catch((error: unknown) => {
        throw remote.failure(error, key);
      });
    return remoteManifest;
  } catch (error) {
    // Another push of the set took over: what is there is that push's to finish, not this one's to remove.
    if (error instanceof UploadTakenOver) throw error;
    // Nothing of a push that did not finish may stay: its uploads aborted, the objects it wrote removed (best effort: what a dead network keeps, the next push or prune cleans).
    await removeQuietly(remote, options.setId, written);
    if (options.signal?.aborted) throw cancelled(options.setId);
    throw error;
  }
}

async function removeQuietly(remote: Remote, setId: string, keys: readonly string[]): Promise<void> {
  const deadline = AbortSignal.timeout(5000);
  await abortAbandonedUploads(remote, setId, deadline).catch(() => undefined);
  for (const key of keys) await remote.s3.send(new remote.sdk.DeleteObjectCommand({ Bucket: remote.location.bucket, Key: key }), { abortSignal: deadline }).catch(() => undefined);
}

function cancelled(setId: string): PulseError {
  return new PulseError('cancelled', `push of ${setId} cancelled`, { hint: 'its upload was aborted and nothing of it is listed on the remote; the local set is unchanged' });
}
