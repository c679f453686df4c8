/**
 * What the guard's warning says of the folder's newest backup (guard.ts), as
 * a pure function: a set dated after now (made under a wrong clock) has no
 * age that can be believed, and is said to be dated ahead, not "from 2d from now".
 */
import { formatAge } from '../core/format';
import { isDatedAhead, type ListedSet } from '../core/sets/listing';
import { latestBackup } from '../core/sets/state';

export function newestBackupClause(folderName: string, entries: readonly { set: ListedSet }[], now: Date = new Date()): string {
  const latest = latestBackup(entries);
  if (!latest) return `; there is no backup of ${folderName} yet`;
  const made = new Date(latest.set.createdAt);
  if (isDatedAhead(latest.set, now))
    return `; the newest backup of ${folderName} is dated ${formatAge(made, now)}, ahead of this machine's clock, so how old it really is cannot be told`;
  return `; the newest backup of ${folderName} was made ${formatAge(made, now)}`;
}
