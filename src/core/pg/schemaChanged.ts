/**
 * pg_dump reads the catalog in its snapshot, but some server functions it
 * calls (pg_get_indexdef and the like) read the catalog as it is now: an
 * object another session dropped since the snapshot is a failed lookup. A
 * plain pg_dump fails the same way; what helps is running again once the
 * schema change (a migration, DDL running alongside) is done. A table
 * dropped for good while pg_dump waited to lock it is not found by its name
 * any more (`relation "public.x" does not exist`, from its LOCK TABLE): no
 * connection ever fails with those words, which name a relation the tool
 * itself had just listed. A missing catalog relation is another matter (a
 * server that is not quite PostgreSQL) and is left to the plain message.
 */
const SCHEMA_CHANGED_MEANWHILE =
  /cache lookup failed for|could not open relation with OID|\w+ with OID \d+ does not exist|could not find parent table of|relation "(?!pg_catalog\.|information_schema\.)[^"\n]*" does not exist/i;

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
