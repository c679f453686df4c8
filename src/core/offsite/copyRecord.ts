/**
 * The local record of a remote copy (sets/history.ts): written when a push
 * finishes (or finds the same copy there) and when a pull brings a set
 * here, so a view can show that a set has an offsite copy, and since when,
 * without asking the remote.
 */
import { recordOffsiteCopy } from '../sets/history';
import type { Remote } from './client';
import type { RemoteManifest } from './remoteManifest';

export async function recordCopy(folder: string, remote: Remote, setId: string, manifest: RemoteManifest, how: 'pushed' | 'pulled'): Promise<void> {
  // The copy is there whatever happens to this note: a history that cannot be written (a full disk) costs the mark in a view, not the push.
  await recordOffsiteCopy(folder, setId, {
    url: remote.url(setId),
    where: remote.where,
    pushedAt: manifest.offsite.pushedAt,
    recordedAt: new Date().toISOString(),
    how,
    files: manifest.files.map((file) => ({ name: file.name, bytes: file.bytes, sha256: file.sha256 })),
  }).catch(() => undefined);
}
