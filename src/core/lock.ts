/**
 * One backup at a time per folder. A second backup into the same folder fails
 * at once (it does not wait): cron jobs and editors should not pile up behind
 * a long dump, and a person can simply run it again.
 */
import { open, readdir, readFile, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { PulseError } from './errors';

export const LOCK_FILE_NAME = '.pulse-backup.lock';

interface LockOwner {
  pid: number;
  host: string;
  startedAt: string;
  purpose: string;
}

export interface FolderLock {
  readonly path: string;
  release(): Promise<void>;
}

export async function acquireFolderLock(folder: string, purpose: string): Promise<FolderLock> {
  const path = join(folder, LOCK_FILE_NAME);
  const owner: LockOwner = { pid: process.pid, host: hostname(), startedAt: new Date().toISOString(), purpose };
  for (let attempt = 0; attempt < 2; attempt += 1) {
    try {
      const handle = await open(path, 'wx', 0o600);
      try {
        await handle.writeFile(JSON.stringify(owner));
      } finally {
        await handle.close();
      }
      let released = false;
      return {
        path,
        async release() {
          if (released) return;
          released = true;
          await unlink(path).catch(() => undefined);
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = await readLockOwner(path);
      if (holder && isStale(holder)) {
        // The process that held it is gone (crashed or killed -9): take over.
        await unlink(path).catch(() => undefined);
        continue;
      }
      throw lockedError(folder, path, holder);
    }
  }
  throw lockedError(folder, path, await readLockOwner(path));
}

/** Who holds the folder's lock right now, if anyone alive does. */
export async function currentLockHolder(folder: string): Promise<LockOwner | undefined> {
  const holder = await readLockOwner(join(folder, LOCK_FILE_NAME));
  return holder && !isStale(holder) ? holder : undefined;
}

async function readLockOwner(path: string): Promise<LockOwner | undefined> {
  try {
    const value = JSON.parse(await readFile(path, 'utf8')) as Partial<LockOwner>;
    if (typeof value.pid !== 'number') return undefined;
    return {
      pid: value.pid,
      host: String(value.host ?? ''),
      startedAt: String(value.startedAt ?? ''),
      purpose: String(value.purpose ?? 'backup'),
    };
  } catch {
    return undefined;
  }
}

function isStale(owner: LockOwner): boolean {
  if (owner.host !== hostname()) return false; // cannot tell for another machine sharing the folder
  try {
    process.kill(owner.pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

function lockedError(folder: string, path: string, holder: LockOwner | undefined): PulseError {
  const who = holder ? ` (pid ${holder.pid}${holder.host && holder.host !== hostname() ? ` on ${holder.host}` : ''}, started ${holder.startedAt})` : '';
  const what = holder?.purpose === 'restore' || holder?.purpose === 'prune' ? `a ${holder.purpose}` : 'another backup';
  return new PulseError('backup-locked', `${what} is running in ${folder}${who}`, {
    hint: `wait for it to finish and try again; if none is running, delete ${path}`,
  });
}

/**
 * Hidden temporaries left by a backup that was killed outright (kill -9, a
 * power cut): removed by the next backup, which holds the lock, so no live
 * backup can own them.
 */
export async function removeAbandonedTemporaries(folder: string): Promise<string[]> {
  const removed: string[] = [];
  for (const name of await readdir(folder)) {
    const match = /^\..+\.(\d+)\.partial$/.exec(name);
    if (!match) continue;
    const pid = Number(match[1]);
    if (pid === process.pid || isAlive(pid)) continue;
    await unlink(join(folder, name)).then(
      () => removed.push(name),
      () => undefined,
    );
  }
  return removed;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}
