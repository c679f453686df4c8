/**
 * The manifest of a remote copy: the set's own manifest, whole, plus an
 * `offsite` record of what is stored — each object's name, size and SHA-256
 * as stored (the set's files themselves, or their encrypted form) and when
 * it was pushed. `pull` checks every object against it and writes the set's
 * own manifest back, so a pulled set is the set that was pushed.
 */
import { PulseError } from '../errors';
import { parseManifest, type BackupFileType, type Manifest } from '../sets/manifest';
import { PULSE_BACKUP_VERSION } from '../version';
import type { EncryptionRecord } from '../crypto/keySources';

export interface StoredFile {
  type: BackupFileType;
  /** The object's name in the set's folder. */
  name: string;
  bytes: number;
  sha256: string;
}

export interface OffsiteRecord {
  pushedAt: string;
  /** The pulse-backup version that pushed it. */
  pushedBy: string;
  /** What is stored, one object per file of the set. */
  stored: StoredFile[];
  /**
   * Only the remote copy is encrypted (push --encrypt): each object is the
   * set's file in the age format (`….sql.age`), and how it was encrypted.
   * Absent: the objects are the set's files as they are (which may be
   * encrypted themselves: the manifest's own `encryption`).
   */
  encryption?: EncryptionRecord;
}

export interface RemoteManifest extends Manifest {
  offsite: OffsiteRecord;
}

export function remoteManifestOf(manifest: Manifest, stored: StoredFile[], pushedAt: Date, encryption?: EncryptionRecord): RemoteManifest {
  const own: Manifest & { offsite?: unknown } = { ...manifest };
  delete own.offsite;
  return { ...own, offsite: { pushedAt: pushedAt.toISOString(), pushedBy: PULSE_BACKUP_VERSION, stored, ...(encryption ? { encryption } : {}) } };
}

/** The set's own manifest, as it was before it was pushed. */
export function localManifestOf(remote: RemoteManifest): Manifest {
  const own: Manifest & { offsite?: OffsiteRecord } = { ...remote };
  delete own.offsite;
  return own;
}

export function parseRemoteManifest(text: string, where: string): RemoteManifest {
  const manifest = parseManifest(text, where) as Manifest & { offsite?: unknown };
  const offsite = manifest.offsite as Partial<OffsiteRecord> | undefined;
  const stored = offsite?.stored;
  const valid =
    Array.isArray(stored) &&
    stored.length === manifest.files.length &&
    stored.every((file: Partial<StoredFile>) => typeof file.name === 'string' && typeof file.bytes === 'number' && typeof file.sha256 === 'string' && /^[^/\\]+$/.test(file.name));
  if (!valid) {
    throw new PulseError('invalid-manifest', `${where} is not the manifest of a pushed set (no record of what is stored)`, {
      hint: 'the object is damaged or was not written by pulse-backup push',
    });
  }
  // Each object is one of the set's files as it is, or (push --encrypt) its age form: a name is where pull writes.
  const encrypted = offsite?.encryption !== undefined;
  for (const file of stored) {
    const own = manifest.files.find((candidate) => candidate.type === file.type);
    if (!own || file.name !== (encrypted ? `${own.name}.age` : own.name) || stored.filter((other: StoredFile) => other.type === file.type).length > 1) {
      throw new PulseError('invalid-manifest', `${where} names ${JSON.stringify(file.name)} as a stored object, which is not one of ${manifest.id}'s files`, {
        hint: 'the remote copy was changed or damaged: nothing was written; pull another set, or push this one again from a machine that has it',
      });
    }
  }
  return manifest as RemoteManifest;
}
