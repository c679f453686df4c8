/**
 * Reads a small file of the backups folder (a manifest, a history, the
 * retention memory) only if it is a regular file. A FIFO put there in its
 * place would block a plain read for ever — on a worker thread that then
 * keeps even Ctrl-C from ending the process — so it is opened without
 * blocking and looked at first.
 */
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';

export async function readRegularFile(path: string): Promise<string> {
  const handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const info = await handle.stat();
    if (!info.isFile()) {
      throw Object.assign(new Error(`${path} is ${info.isDirectory() ? 'a folder' : 'not a regular file (a pipe or a device)'}`), {
        code: info.isDirectory() ? 'EISDIR' : 'EINVAL',
      });
    }
    return await handle.readFile('utf8');
  } finally {
    await handle.close();
  }
}
