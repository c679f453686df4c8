/**
 * One run at a time per backups folder. A backup, a restore or a prune that
 * finds the folder taken fails at once (it does not wait): cron jobs and
 * editors should not pile up behind a long dump, and a person can simply run
 * it again. The same entries, named after one file, let short updates of
 * that file (a set's history) take turns; those wait (withFileUpdateLock).
 *
 * How the lock works, and why this way. Node has no flock or fcntl lock
 * without a native addon, and checking "is the lock stale?" and then
 * deleting it is a race: two runs that both judge a dead owner's lock stale
 * both delete it and both create their own. So nothing is ever deleted to
 * take a lock over. The lock is the highest of numbered entries
 * `.pulse-backup.lock.<generation>`; taking the folder means creating the
 * next generation, which the file system lets exactly one run do (creating
 * a name that exists fails). A run may do so only when the highest entry's
 * owner is gone, and afterwards checks that no higher generation appeared
 * (created by a run that looked a moment earlier); the older entries are
 * then removed. Each entry is a symbolic link whose target holds the owner
 * (pid, process start, purpose, time, host): created in one step, it is
 * never seen half-written, and it needs no data block, so even a full disk
 * leaves either a whole lock or none — never an empty file that blocks
 * every later run. Where symbolic links are not allowed (Windows without
 * the privilege, some network shares) an entry is a regular file, written
 * in full under a temporary name and linked into place.
 *
 * An entry whose owner is gone — its process no longer runs, or its pid now
 * belongs to a process started later — an empty or unreadable entry older
 * than a moment, and the single `.pulse-backup.lock` file of earlier
 * versions when its owner is gone: all are taken over. An entry from
 * another machine (a shared folder) is never taken over: nobody here can
 * tell whether its owner still runs.
 */
import { link, lstat, open, readdir, readlink, symlink, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { inTurn } from './atomicFile';
import { readRegularFile } from './regularFile';
import { isPulseError, PulseError, toPulseError } from '../errors';
import { finishOrRemoveLeftovers } from '../sets/leftovers';
import { isAlive, processStartOf } from '../process/processInfo';

/** The name earlier versions used for their single lock file; the numbered entries start with it. */
export const LOCK_FILE_NAME = '.pulse-backup.lock';

/** An entry that cannot be read yet may be one being written: it counts as held for this long. */
const UNREADABLE_GRACE_MS = 2000;
/** Runs that keep taking the folder between our looks: after this many tries, report whoever holds it. */
const MAX_ATTEMPTS = 20;

export interface LockOwner {
  pid: number;
  host: string;
  startedAt: string;
  purpose: string;
  /** When the process started (Linux: clock ticks since boot), to tell a reused pid from the owner. */
  processStart?: string;
}

export interface FolderLock {
  readonly path: string;
  release(): Promise<void>;
}

export interface AcquireOptions {
  /**
   * A run that writes nothing into the folder (a restore without a safety
   * backup) may go on without the lock when the folder cannot take one: it
   * is read-only, full, or not ours to write. Its lock is then a no-op.
   */
  unlessReadOnly?: boolean;
}

interface LockEntry {
  name: string;
  generation: number;
}

/** What an entry says, read once. */
type EntryState =
  | { kind: 'owner'; owner: LockOwner }
  /** Empty, unreadable, or not an owner record; `young` while it may still be being written. */
  | { kind: 'unreadable'; young: boolean }
  | { kind: 'gone' };

export async function acquireFolderLock(folder: string, purpose: string, options: AcquireOptions = {}): Promise<FolderLock> {
  try {
    const taken = await takeEntry(folder, LOCK_FILE_NAME, purpose);
    if ('held' in taken) throw lockedError(folder, taken.held.entry, taken.held.state);
    // Whatever a run that died left (hidden partial files, a set it was
    // putting in place) is finished or removed by the next one to hold the folder.
    await finishOrRemoveLeftovers(folder).catch(() => undefined);
    return taken.lock;
  } catch (error) {
    if (options.unlessReadOnly && isReadOnlyError(error)) return { path: join(folder, LOCK_FILE_NAME), release: () => Promise.resolve() };
    if (isPulseError(error)) throw error;
    throw cannotLockError(folder, purpose, error);
  }
}

/** Updates of one file that wait for each other in this process: the next starts when the last settled. */
const updatesInProcess = new Map<string, Promise<unknown>>();
/** How often a waiting update looks again whether another process is done. */
const UPDATE_POLL_MS = 25;

/**
 * Runs a short read-modify-write of one file in the folder (a set's
 * history) while no other process, and no other call of this one, updates
 * it: a writer that read the file before ours was renamed in would
 * otherwise put it back without our record. It takes entries named after
 * the file (`.NAME.lock.<generation>`), as the folder lock does, but waits
 * its turn, up to `waitMs`, instead of failing at once: such updates take
 * milliseconds.
 */
export async function withFileUpdateLock<T>(folder: string, fileName: string, update: () => Promise<T>, waitMs = 10_000): Promise<T> {
  return inTurn(updatesInProcess, join(folder, fileName), () => underFileLock(folder, fileName, update, waitMs));
}

async function underFileLock<T>(folder: string, fileName: string, update: () => Promise<T>, waitMs: number): Promise<T> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    let taken: Awaited<ReturnType<typeof takeEntry>>;
    try {
      taken = await takeEntry(folder, `.${fileName}.lock`, 'update');
    } catch (error) {
      // The lock entry is ours to know of: a person is told about the file it guards.
      const failure = error as NodeJS.ErrnoException & { dest?: string };
      if (typeof failure.path === 'string') failure.path = join(folder, fileName);
      delete failure.dest;
      throw toPulseError(failure);
    }
    if ('lock' in taken) {
      try {
        return await update();
      } finally {
        await taken.lock.release();
      }
    }
    if (Date.now() >= deadline) {
      const { entry, state } = taken.held;
      const holder = state.kind === 'owner' ? ` by pid ${state.owner.pid}${state.owner.host === hostname() ? '' : ` on ${state.owner.host}`}` : '';
      throw new PulseError(
        'backup-locked',
        `${fileName} in ${folder} has been held for an update${holder} for over ${waitMs >= 1000 ? `${Math.round(waitMs / 1000)} s` : `${waitMs} ms`}`,
        {
          hint: `try again; if nothing else runs, delete ${join(folder, entry.name)}`,
        },
      );
    }
    await new Promise((resolve) => setTimeout(resolve, UPDATE_POLL_MS));
  }
}

/**
 * Creates the next entry `BASE.<generation>` when no live run holds the
 * highest one, or says who holds it. `base` names the folder's lock, or
 * one file's.
 */
async function takeEntry(folder: string, base: string, purpose: string): Promise<{ lock: FolderLock } | { held: { entry: LockEntry; state: EntryState } }> {
  const owner: LockOwner = { pid: process.pid, host: hostname(), startedAt: new Date().toISOString(), purpose };
  const start = processStartOf(process.pid);
  if (start !== undefined) owner.processStart = start;
  let lastSeen: { entry: LockEntry; state: EntryState } | undefined;
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt += 1) {
    const [top] = await lockEntries(folder, base);
    if (top) {
      const state = await readEntry(join(folder, top.name));
      if (state.kind === 'gone') continue; // released while we looked
      lastSeen = { entry: top, state };
      if (!isTakeable(state)) return { held: lastSeen };
    }
    const generation = (top?.generation ?? 0) + 1;
    const path = join(folder, `${base}.${generation}`);
    try {
      await createEntry(path, owner);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') continue; // another run took this generation: look again
      throw error;
    }
    // A run that judged an older entry stale a moment ago may have created a
    // generation above ours: the highest entry holds the lock.
    const after = await lockEntries(folder, base);
    if (after.some((entry) => entry.generation > generation)) {
      await unlink(path).catch(() => undefined);
      continue;
    }
    for (const entry of after) {
      if (entry.generation < generation) await unlink(join(folder, entry.name)).catch(() => undefined);
    }
    return { lock: heldLock(path) };
  }
  if (lastSeen) return { held: lastSeen };
  throw new PulseError('backup-locked', `other runs keep taking the folder ${folder}`, { hint: 'wait for them to finish and try again' });
}

/** The folder cannot take the lock entry: it is read-only or not ours to write (a prune or restore writes nothing else first). */
function cannotLockError(folder: string, purpose: string, error: unknown): PulseError {
  const mapped = toPulseError(error);
  if (mapped.code !== 'folder-not-writable') return mapped;
  const why = (error as NodeJS.ErrnoException).code === 'EROFS' ? 'its file system is read-only' : 'permission denied';
  return new PulseError('folder-not-writable', `cannot lock the backups folder ${folder} for the ${purpose}: ${why}`, {
    hint: mapped.hint,
    cause: error,
  });
}

function heldLock(path: string): FolderLock {
  let released = false;
  return {
    path,
    async release() {
      if (released) return;
      released = true;
      await unlink(path).catch(() => undefined);
    },
  };
}

/** Who holds the folder's lock right now, if anyone alive (or on another machine) does. */
export async function currentLockHolder(folder: string): Promise<LockOwner | undefined> {
  const [top] = await lockEntries(folder);
  if (!top) return undefined;
  const state = await readEntry(join(folder, top.name));
  return state.kind === 'owner' && !isTakeable(state) ? state.owner : undefined;
}

/** The folder's lock entries, highest generation first (the single file of earlier versions is generation 0). */
async function lockEntries(folder: string, base = LOCK_FILE_NAME): Promise<LockEntry[]> {
  const pattern = new RegExp(`^${escapeRegExp(base)}(?:\\.(\\d{1,15}))?$`);
  let names: string[];
  try {
    names = await readdir(folder);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw toPulseError(error);
  }
  const entries: LockEntry[] = [];
  for (const name of names) {
    const match = pattern.exec(name);
    if (match) entries.push({ name, generation: match[1] === undefined ? 0 : Number(match[1]) });
  }
  return entries.sort((a, b) => b.generation - a.generation);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

async function createEntry(path: string, owner: LockOwner): Promise<void> {
  try {
    await symlink(encodeOwner(owner), path);
    return;
  } catch (error) {
    if (!NO_SYMLINKS.has((error as NodeJS.ErrnoException).code ?? '')) throw error;
  }
  // No symbolic links here: a regular file, whole before it gets its name.
  const temporary = `${path}.${process.pid}.partial`;
  const handle = await open(temporary, 'w', 0o644);
  try {
    await handle.writeFile(`${JSON.stringify(owner)}\n`);
    await handle.sync();
    await handle.close();
    try {
      await link(temporary, path);
    } catch (error) {
      if (!NO_SYMLINKS.has((error as NodeJS.ErrnoException).code ?? '')) throw error;
      // Not even hard links: create it exclusively and write it (readers give a young empty entry a moment).
      const entry = await open(path, 'wx', 0o644);
      try {
        await entry.writeFile(`${JSON.stringify(owner)}\n`);
      } finally {
        await entry.close();
      }
    }
  } finally {
    await handle.close().catch(() => undefined);
    await unlink(temporary).catch(() => undefined);
  }
}

const NO_SYMLINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EINVAL']);

/** `v1 PID START PURPOSE STARTED_MS HOST`: short enough to live in the link itself, no data block needed. */
function encodeOwner(owner: LockOwner): string {
  return ['v1', owner.pid, owner.processStart ?? '-', owner.purpose, Date.parse(owner.startedAt), owner.host].join(' ');
}

function decodeOwner(text: string): LockOwner | undefined {
  const match = /^v1 (\d+) (\S+) (\S+) (\d+) (.*)$/.exec(text);
  if (!match) return undefined;
  const owner: LockOwner = { pid: Number(match[1]), host: match[5], startedAt: new Date(Number(match[4])).toISOString(), purpose: match[3] };
  if (match[2] !== '-') owner.processStart = match[2];
  return owner;
}

async function readEntry(path: string): Promise<EntryState> {
  let text: string;
  try {
    text = await readlink(path);
    const owner = decodeOwner(text);
    return owner ? { kind: 'owner', owner } : { kind: 'unreadable', young: false };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { kind: 'gone' };
    if (code !== 'EINVAL' && code !== 'UNKNOWN') return unreadable(path);
  }
  // A regular file: an earlier version's lock, or an entry where links are not allowed.
  // Anything else there (a FIFO, whose plain read waited for ever) is unreadable.
  try {
    const value = JSON.parse(await readRegularFile(path)) as Partial<LockOwner>;
    if (typeof value.pid !== 'number') return unreadable(path);
    const owner: LockOwner = { pid: value.pid, host: String(value.host ?? ''), startedAt: String(value.startedAt ?? ''), purpose: String(value.purpose ?? 'backup') };
    if (typeof value.processStart === 'string') owner.processStart = value.processStart;
    return { kind: 'owner', owner };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'gone' };
    return unreadable(path);
  }
}

async function unreadable(path: string): Promise<EntryState> {
  try {
    const info = await lstat(path);
    return { kind: 'unreadable', young: Date.now() - info.mtimeMs < UNREADABLE_GRACE_MS };
  } catch {
    return { kind: 'gone' };
  }
}

/** An entry whose owner is gone, or that is empty or unreadable and not brand new. */
function isTakeable(state: EntryState): boolean {
  if (state.kind === 'gone') return true;
  if (state.kind === 'unreadable') return !state.young;
  const owner = state.owner;
  if (owner.host !== hostname()) return false; // cannot tell for another machine sharing the folder
  if (!isAlive(owner.pid)) return true;
  // The pid runs, but is it still the owner? After a reboot or a long time, pids are reused.
  const start = owner.processStart === undefined ? undefined : processStartOf(owner.pid);
  return start !== undefined && start !== owner.processStart;
}

function lockedError(folder: string, entry: LockEntry, state: EntryState): PulseError {
  const path = join(folder, entry.name);
  if (state.kind !== 'owner') {
    return new PulseError('backup-locked', `another run is taking the folder ${folder} right now`, {
      hint: 'try again in a moment',
    });
  }
  const holder = state.owner;
  const elsewhere = holder.host !== hostname();
  const who = ` (pid ${holder.pid}${elsewhere ? ` on ${holder.host}` : ''}, started ${holder.startedAt})`;
  const what = holder.purpose === 'restore' || holder.purpose === 'prune' ? `a ${holder.purpose}` : 'another backup';
  return new PulseError('backup-locked', `${what} is running in ${folder}${who}`, {
    hint: elsewhere ? `wait for it to finish and try again; if nothing runs there on ${holder.host}, delete ${path}` : 'wait for it to finish and try again',
  });
}

/** A folder that can take no lock: read-only, full, or not writable by us. */
function isReadOnlyError(error: unknown): boolean {
  const pulse = toPulseError(error);
  return pulse.code === 'folder-not-writable' || pulse.code === 'disk-full';
}
