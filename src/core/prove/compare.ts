/**
 * Comparing what a set recorded with what a database holds: pure functions
 * over digests and catalog facts, shared by a proof (a scratch database the
 * set was just restored into, which must hold exactly the set) and a diff
 * (the database now, which may have moved on). Nothing here reads a file or
 * a database.
 */
import type { SchemaEntryDigest } from '../backup/dumpDigests';
import { type ManifestDigests, type ManifestTableDigest } from '../sets/manifest';
import { qualifiedName } from '../format';
import type { ObservedFacts } from './readSession';
import type { ReadbackTable } from './readback';

/** A table's rows as read back. */
export interface ObservedRows {
  schema: string;
  name: string;
  rows: number;
  bytes: number;
  digest: string;
}

/** What a table of the set is, in the database: the same rows, other rows, or not comparable (and why). */
export type TableComparison =
  | { table: ManifestTableDigest; state: 'same'; now: ObservedRows }
  | { table: ManifestTableDigest; state: 'different'; now: ObservedRows }
  | { table: ManifestTableDigest; state: 'missing' }
  /** The columns the set's COPY named are not all there (dropped or renamed since). */
  | { table: ManifestTableDigest; state: 'columns-differ'; missingColumns: string[] };

/**
 * Which of the set's tables can be read back with the set's own column
 * list: those that are there with every column the set's COPY named. The
 * others are compared by what the catalog says.
 */
export function readableTables(digests: ManifestDigests, facts: ObservedFacts): { read: ReadbackTable[]; unreadable: TableComparison[] } {
  const read: ReadbackTable[] = [];
  const unreadable: TableComparison[] = [];
  for (const table of digests.tables) {
    const observed = facts.tables.get(qualifiedName(table.schema, table.name));
    if (!observed) {
      unreadable.push({ table, state: 'missing' });
      continue;
    }
    const missingColumns = table.columns.filter((column) => !observed.columns.includes(column) || observed.generated.includes(column));
    if (missingColumns.length > 0) unreadable.push({ table, state: 'columns-differ', missingColumns });
    else read.push({ schema: table.schema, name: table.name, columns: table.columns });
  }
  return { read, unreadable };
}

/** Each of the set's tables against what was read back (in `readableTables`' order) or found unreadable. */
export function compareTables(digests: ManifestDigests, observed: readonly ObservedRows[], unreadable: readonly TableComparison[]): TableComparison[] {
  const byName = new Map(observed.map((rows) => [qualifiedName(rows.schema, rows.name), rows]));
  const notRead = new Map(unreadable.map((comparison) => [qualifiedName(comparison.table.schema, comparison.table.name), comparison]));
  return digests.tables.map((table): TableComparison => {
    const key = qualifiedName(table.schema, table.name);
    const now = byName.get(key);
    if (now) return { table, state: now.digest === table.digest && now.rows === table.rows ? 'same' : 'different', now };
    return notRead.get(key) ?? { table, state: 'missing' };
  });
}

/** A schema entry as a diff names it: "table public.users", "function public.f()". */
export interface EntryChange {
  type: string;
  schema: string;
  name: string;
  change: 'added' | 'dropped' | 'changed';
  /** For a changed table: what changed in its definition ("column rating added"), where its CREATE TABLE tells. */
  detail?: string;
}

/**
 * Entries of one schema against another's, by what they are about (type,
 * schema, name; an owner that differs makes an entry changed): what only
 * `after` has was added, what only `before` has was dropped.
 */
export function compareSchemaEntries(before: readonly SchemaEntryDigest[], after: readonly SchemaEntryDigest[]): EntryChange[] {
  const key = (entry: SchemaEntryDigest) => `${entry.type}\u0000${entry.schema}\u0000${entry.name}`;
  const group = (entries: readonly SchemaEntryDigest[]) => {
    const map = new Map<string, string[]>();
    for (const entry of entries) map.set(key(entry), [...(map.get(key(entry)) ?? []), entry.digest].sort());
    return map;
  };
  const was = group(before);
  const now = group(after);
  const changes: EntryChange[] = [];
  const describe = (entry: SchemaEntryDigest, change: EntryChange['change']) => ({ type: entry.type, schema: entry.schema, name: entry.name, change });
  const seen = new Set<string>();
  for (const entry of before) {
    const id = key(entry);
    if (seen.has(id)) continue;
    seen.add(id);
    const after = now.get(id);
    if (!after) changes.push(describe(entry, 'dropped'));
    else if (after.join() !== was.get(id)?.join()) changes.push(describe(entry, 'changed'));
  }
  for (const entry of after) {
    const id = key(entry);
    if (seen.has(id)) continue;
    seen.add(id);
    changes.push(describe(entry, 'added'));
  }
  return changes;
}

/** Sequences whose value differs from what the set gives them (null: not readable, left out). */
export function compareSequences(digests: ManifestDigests, facts: ObservedFacts): { name: string; expected: string; found: string }[] {
  const differences: { name: string; expected: string; found: string }[] = [];
  for (const sequence of digests.sequences) {
    const name = qualifiedName(sequence.schema, sequence.name);
    const now = facts.sequences.get(name);
    if (now === null) continue;
    const expected = `${sequence.value}${sequence.called ? '' : ' (not yet used)'}`;
    if (now === undefined) differences.push({ name, expected, found: 'no such sequence' });
    else if (now.value !== sequence.value || now.called !== sequence.called) differences.push({ name, expected, found: `${now.value}${now.called ? '' : ' (not yet used)'}` });
  }
  return differences;
}

/** Materialized views whose populated state differs from the set's (a populated one left empty by a restore). */
export function compareMaterializedViews(
  views: readonly { schema: string; name: string; populated: boolean }[],
  facts: ObservedFacts,
): { name: string; expected: string; found: string }[] {
  const differences: { name: string; expected: string; found: string }[] = [];
  for (const view of views) {
    const name = qualifiedName(view.schema, view.name);
    const populated = facts.materializedViews.get(name);
    const state = (value: boolean) => (value ? 'populated' : 'not populated');
    if (populated === undefined) differences.push({ name, expected: state(view.populated), found: 'no such materialized view' });
    else if (populated !== view.populated) differences.push({ name, expected: state(view.populated), found: state(populated) });
  }
  return differences;
}
