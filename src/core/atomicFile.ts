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

export async function writeFileAtomic(finalPath: string, contents: string | Buffer, mode = 0o600): Promise<void> {
  const temporaryPath = temporaryPathFor(finalPath);
  try {
    const handle = await open(temporaryPath, 'w', mode);
    try {
      await handle.writeFile(contents);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporaryPath, finalPath);
  } catch (error) {
    await unlink(temporaryPath).catch(() => undefined);
    throw error;
  }
  await syncFolder(dirname(finalPath));
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
