/**
 * What is in a backups folder: the sets this tool wrote, the sets the team's
 * old shell script left (no manifest), sets with a file missing, and a backup
 * still being written. Only names, sizes and the small manifests are read,
 * never the dumps themselves.
 */
import { hint, option, run, seeSets } from '../hint';
import { existsSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { parseTemporaryName } from '../files/atomicFile';
import { currentLockHolder } from '../files/folderLock';
import { BACKUP_FILE_TYPES, readManifest, type BackupFileType, type Manifest } from './manifest';
import { fileNameFor, manifestNameFor, parseBackupFileName, parseTimestamp } from './naming';
import { PulseError, isPulseError } from '../errors';
import { compareText } from '../format';

/**
 * - `complete`: a manifest and every file it names, at the size it records;
 * - `legacy`: all three dump files but no manifest (the old script's sets);
 * - `incomplete`: a file missing, a size that differs from the manifest, a
 *   damaged manifest, or a backup that died while writing it (its hidden
 *   files are still there);
 * - `running`: a backup is writing this set right now.
 */
export type SetStatus = 'complete' | 'legacy' | 'incomplete' | 'running';

export interface ListedFile {
  type: BackupFileType;
  name: string;
  bytes: number;
}

export interface ListedSet {
  id: string;
  prefix: string;
  timestamp: string;
  /** ISO 8601: the manifest's start time, or the time in the file names. */
  createdAt: string;
  status: SetStatus;
  /** Why a set is incomplete, one line each. */
  problems: string[];
  purpose: 'backup' | 'safety';
  files: ListedFile[];
  totalBytes: number;
  hasManifest: boolean;
  /** Pinned sets are never removed by retention (a <set id>.pinned marker beside it). */
  pinned: boolean;
  /** The set has a history file (verifications, retention runs). */
  hasHistory: boolean;
  /**
   * A backup that no longer runs was writing this set: its hidden files
   * (and perhaps some renamed ones) are there, its manifest is not in place.
   * The next backup, restore or prune in the folder finishes or removes it.
   */
  interrupted: boolean;
  manifest?: Manifest;
}

/** The one line `list`, `show` and `verify` give for a set a killed backup left. */
export const INTERRUPTED_PROBLEM =
  'a backup or pull was killed while writing this set (its hidden .partial files are still there): the next backup, restore or prune in this folder finishes or removes it';

interface Group {
  prefix: string;
  timestamp: string;
  id: string;
  /** Each type's files: more than one when a dump is there both as stored and as a copy (`gunzip -k` of a `.sql.gz`). */
  files: Map<BackupFileType, { name: string; bytes: number }[]>;
  manifestName?: string;
  pinned: boolean;
  hasHistory: boolean;
  /** Processes with hidden dump or manifest files of this set. */
  writers: Set<number>;
  /** One of them is the set's manifest: the backup had written the whole set and was putting it in place. */
  manifestPending: boolean;
}

export interface ListOptions {
  /**
   * Manifests the caller already holds, by file name, as they were written:
   * not read again (a backup's retention lists the folder it has just
   * written, and a big catalog's manifest is megabytes of JSON).
   */
  manifests?: ReadonlyMap<string, Manifest>;
}

export async function listSets(folder: string, options: ListOptions = {}): Promise<ListedSet[]> {
  let names: string[];
  try {
    names = await readdir(folder);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return [];
    if (code === 'ENOTDIR') {
      throw new PulseError('folder-not-a-folder', `the backups folder ${folder} is a file, not a folder`, {
        hint: hint`point ${option('backupsFolder')} at a folder`,
      });
    }
    throw new PulseError('folder-not-writable', `cannot read the backups folder ${folder}`, {
      hint: hint`fix its permissions or choose another folder with ${option('backupsFolder')}`,
      cause: error,
    });
  }

  const groups = new Map<string, Group>();
  const groupFor = (prefix: string, timestamp: string, id: string): Group => {
    let group = groups.get(id);
    if (!group) {
      group = { prefix, timestamp, id, files: new Map(), pinned: false, hasHistory: false, writers: new Set(), manifestPending: false };
      groups.set(id, group);
    }
    return group;
  };

  for (const name of names) {
    const partial = parseTemporaryName(name);
    if (partial) {
      const parsed = parseBackupFileName(partial.finalName);
      // A half-written history or pin marker says nothing about the set's own files.
      if (parsed && parsed.kind !== 'history' && parsed.kind !== 'pin') {
        const group = groupFor(parsed.prefix, parsed.timestamp, parsed.setId);
        group.writers.add(partial.pid);
        if (parsed.kind === 'manifest') group.manifestPending = true;
      }
      continue;
    }
    const parsed = parseBackupFileName(name);
    if (!parsed) continue;
    const group = groupFor(parsed.prefix, parsed.timestamp, parsed.setId);
    if (parsed.kind === 'manifest') {
      group.manifestName = name;
    } else if (parsed.kind === 'pin') {
      group.pinned = true;
    } else if (parsed.kind === 'history') {
      group.hasHistory = true;
    } else if (parsed.kind === 'schema' || parsed.kind === 'data' || parsed.kind === 'complete') {
      const info = await stat(join(folder, name)).catch(() => undefined);
      if (info?.isFile()) group.files.set(parsed.kind, [...(group.files.get(parsed.kind) ?? []), { name, bytes: info.size }]);
    }
  }

  // Whoever writes a set holds the folder's lock: a set is being written when
  // the lock's holder is one of its writers (or holds it from another machine).
  const holder = [...groups.values()].some((group) => group.writers.size > 0) ? await currentLockHolder(folder) : undefined;
  const isRunning = (group: Group) => holder !== undefined && (holder.host !== hostname() || group.writers.has(holder.pid));
  const sets: ListedSet[] = [];
  for (const group of groups.values()) {
    const running = isRunning(group);
    if (group.files.size === 0 && !group.manifestName && group.writers.size === 0) continue;
    // Hidden dumps of a killed run and nothing else: no set, only files the next run removes.
    if (!running && group.files.size === 0 && !group.manifestName && !group.manifestPending) continue;
    sets.push(await describeGroup(folder, group, running, options.manifests));
  }
  return sets.sort(newestFirst);
}

/**
 * Newest first by when each set was made (its manifest's start; a set
 * without one, by the local time its name carries), then by name. Not by
 * the names alone: they carry the local time of the clock that wrote them,
 * and that changes under a set's feet: a laptop taken to another time zone,
 * a cron job in a container on UTC beside an editor on local time, the hour
 * a daylight-saving change repeats. A set made after another can carry an
 * earlier name, and `latest`, retention and the views must still know it
 * for the newer.
 */
export function newestFirst(a: Pick<ListedSet, 'id' | 'timestamp' | 'createdAt'>, b: Pick<ListedSet, 'id' | 'timestamp' | 'createdAt'>): number {
  return madeAt(b) - madeAt(a) || compareText(b.timestamp, a.timestamp) || compareText(a.id, b.id);
}

/** How far after now a set may be dated before its date is not believed: a manifest's time is exact; an old script's name is local time, of any time zone. */
const AHEAD_TOLERANCE_MS = { manifest: 10 * 60_000, name: 26 * 3_600_000 } as const;

/**
 * A set dated after now: made under a wrong clock (or copied from a machine
 * whose clock was), or this clock is wrong now. It would be the newest for
 * ever: retention would remove the sets really made since, a schedule would
 * take it for a backup made after every time it fires, the status bar for a
 * backup made a moment ago.
 */
export function isDatedAhead(set: Pick<ListedSet, 'createdAt' | 'manifest'>, now: Date): boolean {
  return Date.parse(set.createdAt) - now.getTime() > (set.manifest ? AHEAD_TOLERANCE_MS.manifest : AHEAD_TOLERANCE_MS.name);
}

function madeAt(set: Pick<ListedSet, 'timestamp' | 'createdAt'>): number {
  const time = Date.parse(set.createdAt);
  return Number.isNaN(time) ? parseTimestamp(set.timestamp).getTime() : time;
}

async function describeGroup(folder: string, group: Group, running: boolean, known?: ReadonlyMap<string, Manifest>): Promise<ListedSet> {
  const problems: string[] = [];
  // The manifest is renamed into place last: with it there, hidden files left beside the set are only litter.
  const interrupted = !running && group.writers.size > 0 && !group.manifestName;
  if (interrupted) problems.push(INTERRUPTED_PROBLEM);
  let manifest: Manifest | undefined;
  if (group.manifestName) {
    try {
      manifest = known?.get(group.manifestName) ?? (await readManifest(join(folder, group.manifestName)));
    } catch (error) {
      problems.push(error instanceof PulseError ? error.message : 'the manifest cannot be read');
    }
  }

  if (manifest && manifest.id !== group.id) problems.push(`its manifest is the manifest of ${manifest.id}`);
  const files: ListedFile[] = [];
  for (const type of BACKUP_FILE_TYPES) {
    const recorded = manifest?.files.find((file) => file.type === type);
    // The file the manifest records, else the plainest (a copy beside it is the person's own).
    const candidates = [...(group.files.get(type) ?? [])].sort((a, b) => a.name.length - b.name.length);
    const present = candidates.find((candidate) => candidate.name === recorded?.name) ?? candidates[0];
    if (present) {
      files.push({ type, name: present.name, bytes: present.bytes });
      if (manifest && !recorded) problems.push(`the manifest records no ${type} file`);
      else if (recorded && recorded.name !== present.name) problems.push(`the manifest records the ${type} file as ${recorded.name}`);
      else if (recorded && recorded.bytes !== present.bytes) {
        problems.push(`${present.name} is ${present.bytes} bytes, the manifest recorded ${recorded.bytes}`);
      }
    } else if (!running && !interrupted) {
      problems.push(`${recorded?.name ?? fileNameFor(group.prefix, type, group.timestamp)} is missing`);
    }
  }

  let status: SetStatus;
  if (running && !manifest) status = 'running';
  else if (problems.length > 0) status = 'incomplete';
  else if (manifest) status = 'complete';
  else status = 'legacy';
  if (status === 'running') problems.length = 0;

  return {
    id: group.id,
    prefix: group.prefix,
    timestamp: group.timestamp,
    createdAt: manifest?.startedAt ?? parseTimestamp(group.timestamp).toISOString(),
    status,
    problems,
    purpose: manifest?.purpose ?? 'backup',
    files,
    totalBytes: files.reduce((sum, file) => sum + file.bytes, 0),
    hasManifest: manifest !== undefined,
    pinned: group.pinned,
    hasHistory: group.hasHistory,
    interrupted,
    ...(manifest ? { manifest } : {}),
  };
}

/** Finds one set by id; an unknown id is a clear error that names what exists. */
export async function findSet(folder: string, id: string): Promise<ListedSet> {
  const sets = await listSets(folder);
  const match = sets.find((set) => set.id === id);
  if (match) return match;
  const known = sets.slice(0, 3).map((set) => set.id);
  if (known.length === 0 && !existsSync(folder)) {
    // A mistyped folder, most likely: "run backup first" would write the first set into it.
    throw new PulseError('unknown-set', `no backup set ${id}: the folder ${folder} does not exist`, {
      hint: hint`check ${option('backupsFolder')} and run again`,
    });
  }
  throw new PulseError('unknown-set', `no backup set ${id} in ${folder}`, {
    hint: known.length > 0 ? hint`${seeSets(folder)} (newest: ${known.join(', ')})` : hint`the folder has no backup sets; ${run('backup')} first`,
  });
}

/**
 * Whether the set is still in the folder as it was listed: its manifest
 * (when it had one) and every file the listing found.
 */
export async function isStillThere(folder: string, set: Pick<ListedSet, 'prefix' | 'timestamp' | 'files' | 'hasManifest'>): Promise<boolean> {
  const names = [...set.files.map((file) => file.name), ...(set.hasManifest ? [manifestNameFor(set.prefix, set.timestamp)] : [])];
  for (const name of names) {
    if ((await stat(join(folder, name)).catch(() => undefined)) === undefined) return false;
  }
  return true;
}

/** What reads a set without holding the folder (verify, prove, diff, a restore's pre-flight). */
export type SetReader = 'verify' | 'prove' | 'diff' | 'restore';

const READING: Record<SetReader, { while: string; after: string; next: string }> = {
  verify: { while: 'verified', after: 'nothing was recorded for it', next: 'verify another set' },
  prove: { while: 'proved', after: 'nothing was recorded for it', next: 'prove another set' },
  diff: { while: 'compared with the database', after: 'nothing was compared', next: 'compare another set' },
  restore: { while: 'restored', after: 'nothing was changed', next: 'restore another set' },
};

/** The set went while it was read: a backup's retention or a prune (they hold the folder while they remove sets; readers do not). */
export function removedWhileReadError(folder: string, set: Pick<ListedSet, 'id'>, reader: SetReader): PulseError {
  const words = READING[reader];
  return new PulseError('unknown-set', `${set.id} was removed from ${folder} while it was being ${words.while} (by a backup's retention or a prune)`, {
    hint: hint`${words.after}; ${words.next}: ${seeSets(folder)}; pin a set to keep retention from removing it`,
  });
}

/**
 * For an error met while reading the set without the folder's lock
 * (verify, prove and diff must not keep every backup waiting for as long as
 * they read): the set's removal when it is gone — a file that vanished
 * mid-read is no finding about it — else the error itself. A cancel stays a
 * cancel.
 */
export async function unlessRemoved(folder: string, set: ListedSet, reader: SetReader, error: unknown): Promise<unknown> {
  if (isPulseError(error) && error.code === 'cancelled') return error;
  return (await isStillThere(folder, set)) ? error : removedWhileReadError(folder, set, reader);
}

/** After such a read, before anything is recorded of it: files it found missing may be a removal, not the set's fault. */
export async function assertStillThere(folder: string, set: ListedSet, reader: SetReader): Promise<void> {
  if (!(await isStillThere(folder, set))) throw removedWhileReadError(folder, set, reader);
}
