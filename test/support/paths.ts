/** What another operating-system user can reach of our files (tests run as root hand work to other users). */
import { statSync } from 'node:fs';
import { dirname } from 'node:path';

/** The first folder on the way to `path` (itself included) that users other than its owner cannot pass through. */
export function firstClosedFolder(path: string): string | undefined {
  for (let current = path; current !== dirname(current); current = dirname(current)) {
    const info = statSync(current);
    if (info.isDirectory() && (info.mode & 0o001) === 0) return current;
  }
  return undefined;
}
