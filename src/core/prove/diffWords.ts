/**
 * The words of a diff: what changed since the set, said as what restoring
 * it would undo. The same for the CLI and, later, the extension.
 */
import { countOf, formatCount } from '../format';
import type { DiffResult } from './diffResult';
import type { EntryChange } from './compare';
import { entryName } from './words';
import type { RowChanges } from './rowDetail';

/** "3 rows added (first: id = 601), 1 changed (first: id = 42); 600 rows in the set, 602 now". */
export function tableDiffDetail(rowsInSet: number, rowsNow: number, changes: RowChanges | undefined): string {
  const counts = `${countOf(rowsInSet, 'row')} in the set, ${formatCount(rowsNow)} now`;
  if (!changes) return `other rows: ${counts}`;
  if (!changes.exact) return `other rows (too many to count one by one): ${counts}`;
  const first = (keys: readonly string[]) => (keys.length > 0 ? ` (first: ${keys[0]})` : '');
  const parts = [
    ...(changes.added > 0 ? [`${countOf(changes.added, 'row')} added${first(changes.firstAdded)}`] : []),
    ...(changes.removed > 0 ? [`${countOf(changes.removed, 'row')} removed${first(changes.firstRemoved)}`] : []),
    ...(changes.changed > 0 ? [`${countOf(changes.changed, 'row')} changed${first(changes.firstChanged)}`] : []),
  ];
  return `${parts.join(', ')}; ${counts}`;
}

export const ENTRY_CHANGE_WORDS: Record<EntryChange['change'], string> = {
  added: 'added since the set (a restore leaves it; --clean does not drop it)',
  dropped: 'dropped since the set (a restore brings it back)',
  changed: "changed since the set (a restore puts the set's back)",
};

export function describeEntryChange(change: EntryChange): string {
  return `${entryName(change)}: ${entryChangeWords(change, ENTRY_CHANGE_WORDS)}`;
}

/** "changed since the set: column rating added (a restore puts the set's back)", the detail where a changed table has one. */
export function entryChangeWords(change: EntryChange, words: Readonly<Record<EntryChange['change'], string>>): string {
  const said = words[change.change];
  if (change.detail === undefined) return said;
  const open = said.indexOf(' (');
  return open < 0 ? `${said}: ${change.detail}` : `${said.slice(0, open)}: ${change.detail}${said.slice(open)}`;
}

/** One line: nothing changed, or how much did. */
export function diffSummary(result: Pick<DiffResult, 'setId' | 'tables' | 'objects' | 'sequences' | 'largeObjects' | 'same' | 'target'>): string {
  const since = `since ${result.setId}, ${result.target.database}`;
  if (result.same) {
    const objects = result.largeObjects.inSet > 0 ? `, the sequences and ${countOf(result.largeObjects.inSet, 'large object')}` : ' and the sequences';
    return `${since} has not changed: ${countOf(result.tables.length, 'table')}, the schema${objects} as the set holds them`;
  }
  const changed = result.tables.filter((table) => table.state !== 'same');
  const parts = [
    ...(changed.length > 0 ? [`${countOf(changed.length, 'table')} of ${formatCount(result.tables.length)} with other rows or gone`] : []),
    ...(result.objects.length > 0 ? [`${countOf(result.objects.length, 'schema object')} added, dropped or changed`] : []),
    ...(result.sequences.length > 0 ? [`${countOf(result.sequences.length, 'sequence')} moved`] : []),
    ...(result.largeObjects.same ? [] : [largeObjectsWords(result.largeObjects)]),
  ];
  return `${since} has changed: ${parts.join('; ')}; restoring the set would undo that`;
}

/** "large objects changed (20,000 in the set, 19,999 now)", or "… (20,000 in the set and now, not all the same)", or "… (3 in the set and now, their contents the same but not their grants or comments …)". */
export function largeObjectsWords(largeObjects: DiffResult['largeObjects']): string {
  return `large objects changed (${largeObjectsDetail(largeObjects)})`;
}

/** "20,000 in the set, 19,999 now", or "20,000 in the set and now, not all the same", and what changed of their grants and comments. */
export function largeObjectsDetail({ inSet, now, contentsSame, grants }: DiffResult['largeObjects']): string {
  const counts = inSet === now ? `${formatCount(inSet)} in the set and now` : `${formatCount(inSet)} in the set, ${formatCount(now)} now`;
  if (!grants || grants.same) return inSet === now ? `${counts}, not all the same` : counts;
  const withAny = `${formatCount(grants.inSet)} with any in the set, ${formatCount(grants.now)} now`;
  if (contentsSame) return `${counts}, their contents the same but not their grants or comments (${withAny})`;
  return `${inSet === now ? `${counts}, not all the same` : counts}; their grants or comments differ too (${withAny})`;
}
