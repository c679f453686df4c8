/** What "left untouched" means to a test: every file in a folder with its sha256. */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export function folderState(folder: string): Record<string, string> {
  const state: Record<string, string> = {};
  for (const name of readdirSync(folder).sort())
    state[name] = createHash('sha256')
      .update(readFileSync(join(folder, name)))
      .digest('hex');
  return state;
}
