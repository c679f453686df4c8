/**
 * `pull`: a remote copy brought into the backups folder, all or nothing.
 * Under the folder's lock (as a backup holds it), each object is streamed
 * into a hidden file and checked against the remote manifest's size and
 * SHA-256 (transfer.ts); only when every one matches is the set's own
 * manifest written (hidden), the files renamed into place and the manifest
 * last — the same order a backup uses, so a pull killed among the renames
 * is finished or removed by the next run that takes the folder
 * (sets/leftovers.ts). A damaged object leaves nothing behind. A set that is
 * already in the folder is left alone: the same one, its files read and
 * matching its manifest, is "already here"; the same one gone bad, or a
 * different one under the same id, is an error, never overwritten.
 */
import { createReadStream, existsSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { PulseError, failedWrite, isLocalWriteFailure } from '../errors';
import { syncFolder, writeHiddenFile, type PendingFile } from '../files/atomicFile';
import { acquireFolderLock } from '../files/folderLock';
import type { HashedFileWriter } from '../files/hashedFileWriter';
import { commandLineOnly, hint, option, setOption } from '../hint';
import { loadCodec, type SetKeys } from '../codecs/codecs';
import { listSets } from '../sets/listing';
import type { Manifest } from '../sets/manifest';
import { manifestNameFor, parseSetId } from '../sets/naming';
import { openRemote, type Remote, type RemoteConnection } from './client';
import { readTextIfThere } from './listing';
import { recordCopy } from './copyRecord';
import { manifestKey, objectKey } from './remote';
import { localManifestOf, parseRemoteManifest, type RemoteManifest } from './remoteManifest';
import { checksumMismatch, damagedCopy, downloadFile } from './transfer';

export type PullProgress =
  | { kind: 'connected'; where: string; url: string }
  | { kind: 'file-start'; name: string; bytes: number }
  | { kind: 'file-progress'; name: string; received: number; bytes: number }
  | { kind: 'file-done'; name: string; bytes: number }
  | { kind: 'placing' };

export interface PullOptions extends RemoteConnection {
  folder: string;
  setId: string;
  /** What decrypts a copy that only the remote holds encrypted (push --encrypt); asked for only then. */
  keys?: () => Promise<SetKeys>;
  signal?: AbortSignal;
  onProgress?: (event: PullProgress) => void;
}

export interface PullResult {
  setId: string;
  folder: string;
  manifest: Manifest;
  bytes: number;
  durationMs: number;
  /** The same set was in the folder already: nothing was downloaded. */
  alreadyHere: boolean;
  /** The remote copy was encrypted for the remote only, and decrypted on the way. */
  decrypted: boolean;
}

export async function pullSet(options: PullOptions): Promise<PullResult> {
  const started = performance.now();
  const parsed = parseSetId(options.setId);
  if (!parsed)
    throw new PulseError('usage', `"${options.setId}" is not a set id`, {
      hint: hint`a set id is PREFIX_YYYYMMDD_HHMMSS, ${commandLineOnly(hint`as list with ${option('remoteListing')} shows it`, hint`as the Remote group of the Backups view shows it`)}`,
    });
  const remote = await openRemote(options);
  try {
    options.onProgress?.({ kind: 'connected', where: remote.where, url: remote.url(options.setId) });
    const remoteManifest = await remoteManifestFor(remote, options.setId, options.signal);
    const manifest = localManifestOf(remoteManifest);
    const bytes = remoteManifest.offsite.stored.reduce((sum, file) => sum + file.bytes, 0);
    await mkdir(options.folder, { recursive: true, mode: 0o700 });
    const lock = await acquireFolderLock(options.folder, 'pull');
    const result = { setId: options.setId, folder: options.folder, manifest, bytes };
    try {
      if (await alreadyHere(options.folder, manifest, options.signal)) return { ...result, durationMs: performance.now() - started, alreadyHere: true, decrypted: false };
      await placeSet(remote, options, remoteManifest, manifest);
      await recordCopy(options.folder, remote, options.setId, remoteManifest, 'pulled');
      return { ...result, durationMs: performance.now() - started, alreadyHere: false, decrypted: remoteManifest.offsite.encryption !== undefined };
    } finally {
      await lock.release();
    }
  } finally {
    remote.s3.destroy();
  }
}

async function remoteManifestFor(remote: Remote, setId: string, signal?: AbortSignal): Promise<RemoteManifest> {
  const key = manifestKey(remote.location, setId);
  const text = await readTextIfThere(remote, key, signal);
  if (text === undefined) {
    throw new PulseError('offsite-set-not-found', `no complete set ${setId} at ${remote.url()}`, {
      hint: hint`${commandLineOnly(hint`list the remote's sets with list and ${option('remoteListing', remote.url())}`, hint`refresh the Remote group of the Backups view to see its sets`)}`,
    });
  }
  const where = remote.url(setId, key.slice(key.lastIndexOf('/') + 1));
  const manifest = parseRemoteManifest(text, where);
  // Its id names the files and the manifest pull writes: another set's would be written over that set's.
  if (manifest.id !== setId) {
    throw new PulseError('invalid-manifest', `${where} is the manifest of ${manifest.id}, not of ${setId}`, {
      hint: 'the remote copy was changed or damaged: nothing was written; pull another set, or push this one again from a machine that has it',
    });
  }
  return manifest;
}

/** The same set in the folder, its files as its manifest says: true; a different one, files of one under its names, or the same one gone bad: an error. */
async function alreadyHere(folder: string, manifest: Manifest, signal?: AbortSignal): Promise<boolean> {
  const local = (await listSets(folder)).find((set) => set.id === manifest.id);
  const names = [...manifest.files.map((file) => file.name), manifestNameFor(manifest.prefix, manifest.timestamp)];
  if (!local && !names.some((name) => existsSync(join(folder, name)))) return false;
  const same =
    local?.status === 'complete' &&
    local.manifest !== undefined &&
    manifest.files.every((file) => local.manifest!.files.some((mine) => mine.name === file.name && mine.sha256 === file.sha256 && mine.bytes === file.bytes));
  if (same) {
    // Its manifest says it is the same; a person may pull precisely because its files went bad since: they are read, never replaced.
    for (const file of manifest.files) {
      const path = join(folder, file.name);
      if ((await stat(path)).size !== file.bytes || (await sha256Of(path, signal)) !== file.sha256) {
        throw new PulseError('offsite-set-conflict', `the local copy of ${manifest.id} in ${folder} does not match its manifest (${file.name})`, {
          hint: hint`it stays as it is: move it away and pull again, or pull into another folder with ${option('backupsFolder')}`,
        });
      }
    }
    return true;
  }
  throw new PulseError(
    'offsite-set-conflict',
    `${folder} already holds ${local ? `a ${local.status === 'complete' ? 'different' : local.status} set` : 'files'} named ${manifest.id}`,
    {
      hint: hint`it stays as it is; pull into another folder with ${option('backupsFolder')}`,
    },
  );
}

async function sha256Of(path: string, signal?: AbortSignal): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024, signal })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

async function placeSet(remote: Remote, options: PullOptions, remoteManifest: RemoteManifest, manifest: Manifest): Promise<void> {
  const writers: HashedFileWriter[] = [];
  let pendingManifest: PendingFile | undefined;
  // A copy encrypted for the remote only is decrypted on the way, each file then checked against the set's own checksum.
  const decoding = remoteManifest.offsite.encryption ? { codec: await loadCodec('age'), keys: await keysFor(options) } : undefined;
  // Stored as they are, the objects are the set's files: a record of them that differs from the set's own checksums was changed, and would let changed bytes through.
  if (!decoding) {
    for (const file of remoteManifest.offsite.stored) {
      const own = manifest.files.find((candidate) => candidate.type === file.type);
      if (own && (own.bytes !== file.bytes || own.sha256 !== file.sha256))
        throw checksumMismatch(
          `the manifest of ${remote.url(options.setId)} records ${file.name} as stored with ${own.bytes === file.bytes ? 'another SHA-256' : `${file.bytes} bytes, not ${own.bytes}`} than the set's own`,
          damagedCopy('its manifest does not agree with itself'),
        );
    }
  }
  try {
    for (const file of remoteManifest.offsite.stored) {
      const own = manifest.files.find((candidate) => candidate.type === file.type);
      if (!own)
        throw new PulseError('invalid-manifest', `the manifest of ${remote.url(options.setId)} names ${file.name}, which is not one of the set's files`, {
          hint: 'the copy is damaged: pull another set',
        });
      options.onProgress?.({ kind: 'file-start', name: file.name, bytes: file.bytes });
      writers.push(
        await downloadFile(remote, {
          key: objectKey(remote.location, options.setId, file.name),
          path: join(options.folder, decoding ? own.name : file.name),
          bytes: file.bytes,
          sha256: file.sha256,
          ...(decoding ? { decoder: { transform: decoding.codec.decoder(file.name, decoding.keys), plain: { bytes: own.bytes, sha256: own.sha256 } } } : {}),
          signal: options.signal,
          onBytes: (received) => options.onProgress?.({ kind: 'file-progress', name: file.name, received, bytes: file.bytes }),
        }),
      );
      options.onProgress?.({ kind: 'file-done', name: file.name, bytes: file.bytes });
    }
    options.onProgress?.({ kind: 'placing' });
    pendingManifest = await writeHiddenFile(join(options.folder, manifestNameFor(manifest.prefix, manifest.timestamp)), `${JSON.stringify(manifest, null, 2)}\n`);
    for (const writer of writers) await writer.commit();
    await syncFolder(options.folder);
    await pendingManifest.commit();
  } catch (error) {
    await pendingManifest?.discard();
    for (const writer of writers) await writer.discard();
    if (options.signal?.aborted) throw new PulseError('cancelled', `pull of ${options.setId} cancelled`, { hint: 'nothing of it was left in the folder' });
    if (isLocalWriteFailure(error)) {
      throw failedWrite(
        `pull ${options.setId}`,
        options.folder,
        error,
        hint`then pull it again, or pull into another folder with ${option('backupsFolder')}; nothing of it was left in the folder`,
      );
    }
    throw error;
  }
}

async function keysFor(options: PullOptions): Promise<SetKeys> {
  if (!options.keys) {
    throw new PulseError('key-missing', `the remote copy of ${options.setId} is encrypted`, {
      hint: hint`give its passphrase (${setOption('passphrase')}) or ${option('identityFile')}`,
    });
  }
  return options.keys();
}
