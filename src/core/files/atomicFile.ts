/**
 * Files appear whole or not at all: written under a hidden temporary name in
 * the same folder, flushed to disk, then renamed over the final name.
 */
import { open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** The hidden name a file is written under until it is complete. */
export function temporaryPathFor(finalPath: string): string {
  return join(dirname(finalPath), `.${basename(finalPath)}.${process.pid}.partial`);
}

/**
 * What a second writer of the same final file adds to its hidden name (a
 * backup under a profile writes the complete file from a filtered stream
 * while pg_dump's own output is still being read).
 */
export const FILTERED_VARIANT = 'filtered';

export interface TemporaryName {
  /** The name the file gets once whole. */
  finalName: string;
  /** The process writing it; once that process is gone, nobody finishes it. */
  pid: number;
  filtered: boolean;
}

/** Reads `.NAME.PID.partial` (and `.NAME.filtered.PID.partial`); undefined for any other name. */
export function parseTemporaryName(name: string): TemporaryName | undefined {
  const match = /^\.(.+?)(\.filtered)?\.(\d+)\.partial$/.exec(name);
  if (!match) return undefined;
  return { finalName: match[1], pid: Number(match[3]), filtered: match[2] !== undefined };
}

/** Writes of one final path in this process: they share the hidden name, so they take turns. */
const writesInProcess = new Map<string, Promise<unknown>>();

/** Writes the whole file and renames it into place; two calls for one path in this process take turns (the later one's contents win). */
export async function writeFileAtomic(finalPath: string, contents: string | Buffer, mode = 0o600): Promise<void> {
  await inTurn(writesInProcess, finalPath, async () => {
    const pending = await writeHiddenFile(finalPath, contents, mode);
    await pending.commit();
  });
}

/**
 * Runs `run` once every earlier call with the same key in `queue` has
 * settled (succeeded or failed), so calls of this process on one thing go
 * one after another.
 */
export async function inTurn<T>(queue: Map<string, Promise<unknown>>, key: string, run: () => Promise<T>): Promise<T> {
  const mine = (queue.get(key) ?? Promise.resolve()).then(run);
  const settled = mine.catch(() => undefined);
  queue.set(key, settled);
  try {
    return await mine;
  } finally {
    if (queue.get(key) === settled) queue.delete(key);
  }
}

/** A whole, durable file under its hidden name, waiting to be renamed into place. */
export interface PendingFile {
  readonly temporaryPath: string;
  /** Renames it to its final name and makes the rename durable. */
  commit(): Promise<void>;
  /** Removes it (never the final file). */
  discard(): Promise<void>;
}

export async function writeHiddenFile(finalPath: string, contents: string | Buffer, mode = 0o600): Promise<PendingFile> {
  const temporaryPath = temporaryPathFor(finalPath);
  const discard = () => unlink(temporaryPath).catch(() => undefined);
  try {
    const handle = await open(temporaryPath, 'w', mode);
    try {
      await handle.writeFile(contents);
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch (error) {
    await discard();
    throw error;
  }
  return {
    temporaryPath,
    async commit() {
      try {
        await rename(temporaryPath, finalPath);
      } catch (error) {
        await discard();
        throw error;
      }
      await syncFolder(dirname(finalPath));
    },
    discard,
  };
}

/** Makes renames in a folder durable; a no-op where folders cannot be opened (Windows). */
export async function syncFolder(folder: string): Promise<void> {
  try {
    const handle = await open(folder, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Not supported on this platform or file system; the rename itself has happened.
  }
}
