/**
 * pg_dump reads the catalog in its snapshot, but some server functions it
 * calls (pg_get_indexdef and the like) read the catalog as it is now: an
 * object another session dropped since the snapshot is a failed lookup. A
 * plain pg_dump fails the same way; what helps is running again once the
 * schema change (a migration, DDL running alongside) is done.
 */
const SCHEMA_CHANGED_MEANWHILE = /cache lookup failed for|could not open relation with OID|relation with OID \d+ does not exist|could not find parent table of/i;

/** Whether a tool's output says the schema changed under it. */
export function schemaChangedMeanwhile(text: string): boolean {
  return SCHEMA_CHANGED_MEANWHILE.test(text);
}

/** The words after "… failed: " or "could not … of DB: ". */
export const SCHEMA_CHANGED_WORDS = 'another session changed the schema while it was read';

/** What to do about it: run `what` ("the backup", "it") again. */
export function schemaChangedHint(what: string): string {
  return `a table or index was dropped or replaced meanwhile (a migration, or DDL running alongside): run ${what} again once that is done`;
}
