/**
 * What is in a backups folder: the sets this tool wrote, the sets the team's
 * old shell script left (no manifest), sets with a file missing, and a backup
 * still being written. Only names, sizes and the small manifests are read,
 * never the dumps themselves.
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { currentLockHolder } from './lock';
import { BACKUP_FILE_TYPES, readManifest, type BackupFileType, type Manifest } from './manifest';
import { fileNameFor, parseBackupFileName, parseTimestamp } from './naming';
import { PulseError } from './errors';
import { compareText } from './format';

/**
 * - `complete`: a manifest and every file it names, at the size it records;
 * - `legacy`: all three dump files but no manifest (the old script's sets);
 * - `incomplete`: a file missing, a size that differs from the manifest, or a damaged manifest;
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
  manifest?: Manifest;
}

interface Group {
  prefix: string;
  timestamp: string;
  id: string;
  files: Map<BackupFileType, { name: string; bytes: number }>;
  manifestName?: string;
  pinned: boolean;
  hasHistory: boolean;
  partial: boolean;
}

const PARTIAL_PATTERN = /^\.(.+)\.(\d+)\.partial$/;

export async function listSets(folder: string): Promise<ListedSet[]> {
  let names: string[];
  try {
    names = await readdir(folder);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return [];
    if (code === 'ENOTDIR') {
      throw new PulseError('folder-not-a-folder', `the backups folder ${folder} is a file, not a folder`, {
        hint: 'point --dir at a folder',
      });
    }
    throw new PulseError('folder-not-writable', `cannot read the backups folder ${folder}`, {
      hint: 'fix its permissions or choose another folder with --dir',
      cause: error,
    });
  }

  const groups = new Map<string, Group>();
  const groupFor = (prefix: string, timestamp: string, id: string): Group => {
    let group = groups.get(id);
    if (!group) {
      group = { prefix, timestamp, id, files: new Map(), pinned: false, hasHistory: false, partial: false };
      groups.set(id, group);
    }
    return group;
  };

  for (const name of names) {
    const partial = PARTIAL_PATTERN.exec(name);
    if (partial) {
      const parsed = parseBackupFileName(partial[1]);
      if (parsed) groupFor(parsed.prefix, parsed.timestamp, parsed.setId).partial = true;
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
      if (info?.isFile()) group.files.set(parsed.kind, { name, bytes: info.size });
    }
  }

  const running = groups.size > 0 && [...groups.values()].some((group) => group.partial) ? await currentLockHolder(folder) : undefined;
  const sets: ListedSet[] = [];
  for (const group of groups.values()) {
    if (group.files.size === 0 && !group.manifestName && !group.partial) continue;
    if (group.partial && group.files.size === 0 && !group.manifestName && !running) continue; // leftovers of a killed run
    sets.push(await describeGroup(folder, group, Boolean(running)));
  }
  return sets.sort((a, b) => (a.timestamp === b.timestamp ? compareText(a.id, b.id) : compareText(b.timestamp, a.timestamp)));
}

async function describeGroup(folder: string, group: Group, backupRunning: boolean): Promise<ListedSet> {
  const problems: string[] = [];
  let manifest: Manifest | undefined;
  if (group.manifestName) {
    try {
      manifest = await readManifest(join(folder, group.manifestName));
    } catch (error) {
      problems.push(error instanceof PulseError ? error.message : 'the manifest cannot be read');
    }
  }

  if (manifest && manifest.id !== group.id) problems.push(`its manifest is the manifest of ${manifest.id}`);
  const files: ListedFile[] = [];
  for (const type of BACKUP_FILE_TYPES) {
    const present = group.files.get(type);
    const recorded = manifest?.files.find((file) => file.type === type);
    if (present) {
      files.push({ type, name: present.name, bytes: present.bytes });
      if (manifest && !recorded) problems.push(`the manifest records no ${type} file`);
      else if (recorded && recorded.name !== present.name) problems.push(`the manifest records the ${type} file as ${recorded.name}`);
      else if (recorded && recorded.bytes !== present.bytes) {
        problems.push(`${present.name} is ${present.bytes} bytes, the manifest recorded ${recorded.bytes}`);
      }
    } else if (!group.partial) {
      problems.push(`${recorded?.name ?? fileNameFor(group.prefix, type, group.timestamp)} is missing`);
    }
  }

  let status: SetStatus;
  if (group.partial && backupRunning && !manifest) status = 'running';
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
    ...(manifest ? { manifest } : {}),
  };
}

/** Finds one set by id; an unknown id is a clear error that names what exists. */
export async function findSet(folder: string, id: string): Promise<ListedSet> {
  const sets = await listSets(folder);
  const match = sets.find((set) => set.id === id);
  if (match) return match;
  const known = sets.slice(0, 3).map((set) => set.id);
  throw new PulseError('unknown-set', `no backup set ${id} in ${folder}`, {
    hint: known.length > 0 ? `run pulse-backup list --dir ${folder} to see the sets (newest: ${known.join(', ')})` : 'the folder has no backup sets; run pulse-backup backup first',
  });
}
