/**
 * Reads a small file of the backups folder (a manifest, a history, the
 * retention memory, a lock entry, the schedule's state), or the project's
 * supabase/config.toml, only if it is a regular file. A FIFO put there in its
 * place would block a plain read for ever — on a worker thread that then
 * keeps even Ctrl-C from ending the process — so it is opened without
 * blocking and looked at first.
 */
import { closeSync, constants, fstatSync, openSync, readFileSync, type Stats } from 'node:fs';
import { open } from 'node:fs/promises';

export async function readRegularFile(path: string): Promise<string> {
  const handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    assertRegular(path, await handle.stat());
    return await handle.readFile('utf8');
  } finally {
    await handle.close();
  }
}

/** The same, at once, for a file read before anything else runs (supabase/config.toml, for every command's defaults). */
export function readRegularFileSync(path: string): string {
  const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    assertRegular(path, fstatSync(fd));
    return readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
}

function assertRegular(path: string, info: Stats): void {
  if (info.isFile()) return;
  throw Object.assign(new Error(`${path} is ${info.isDirectory() ? 'a folder' : 'not a regular file (a pipe or a device)'}`), {
    code: info.isDirectory() ? 'EISDIR' : 'EINVAL',
  });
}
