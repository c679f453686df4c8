/**
 * What a schema-then-data proof asks the scratch database's catalog about
 * the data-only load (dataOnlyLoad.ts says why): which of the set's tables
 * held rows before the data file loaded, and what could have changed rows
 * while it did.
 */
import type pg from 'pg';
import { qualifiedName } from '../format';
import { qualifiedIdentifier } from '../sql';

type TableName = { schema: string; name: string };

/** Tables are asked about this many at a time. */
const TABLES_PER_QUERY = 500;

/**
 * The set's tables that hold rows now (by qualified name), asked between
 * the schema file and the data file, in a transaction of its own — and
 * those that are there as something else than a plain table (a foreign or
 * partitioned table, a view), whose rows COPY sends elsewhere; a message
 * instead when the role may not tell (row security applying to it, a table
 * it may not read).
 */
export async function tablesWithRows(client: pg.Client, tables: readonly TableName[]): Promise<ReadonlySet<string> | { unknown: string }> {
  try {
    // Row security would hide rows: off, a table it applies to fails to be read instead.
    await client.query('BEGIN READ ONLY; SET LOCAL row_security = off');
    const found = await client.query<{ schema: string; name: string; plain: boolean }>(
      `SELECT w.schema, w.name, c.relkind = 'r' AS plain FROM unnest($1::text[], $2::text[]) AS w(schema, name)
         JOIN pg_catalog.pg_namespace n ON n.nspname = w.schema
         JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid AND c.relname = w.name`,
      [tables.map((table) => table.schema), tables.map((table) => table.name)],
    );
    const withRows = new Set(found.rows.filter((table) => !table.plain).map((table) => qualifiedName(table.schema, table.name)));
    const plain = found.rows.filter((table) => table.plain);
    for (let start = 0; start < plain.length; start += TABLES_PER_QUERY) {
      const chunk = plain.slice(start, start + TABLES_PER_QUERY);
      const union = chunk.map((table, index) => `SELECT ${index} AS i WHERE EXISTS (SELECT FROM ONLY ${qualifiedIdentifier(table.schema, table.name)})`).join(' UNION ALL ');
      const result = await client.query<{ i: number }>(union);
      for (const row of result.rows) withRows.add(qualifiedName(chunk[row.i].schema, chunk[row.i].name));
    }
    return withRows;
  } catch (error) {
    return { unknown: error instanceof Error ? error.message : String(error) };
  } finally {
    await client.query('ROLLBACK').catch(() => undefined);
  }
}

/**
 * What could have changed rows while the data file loaded, in words
 * ("trigger audit on public.orders"), at most a few: triggers of the set's
 * tables and event triggers that fire in the load's session (`replica`:
 * ENABLE ALWAYS and ENABLE REPLICA ones; otherwise ordinary and ALWAYS
 * ones), functions in SQL or a procedural language of the database's own
 * (not built in, not compiled C) that a CHECK constraint, an index or a
 * generated column calls — or a view, when the file refreshes a
 * materialized view — and settings of the database itself, which every
 * session of the load started with.
 */
export async function rowChangers(client: pg.Client, options: { tables: readonly TableName[]; replica: boolean; refreshes: boolean }): Promise<string[]> {
  const firing = options.replica ? ['A', 'R'] : ['O', 'A'];
  const result = await client.query<{ what: string }>(
    `WITH loaded AS (
       SELECT c.oid FROM unnest($1::text[], $2::text[]) AS w(schema, name)
         JOIN pg_catalog.pg_namespace n ON n.nspname = w.schema
         JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid AND c.relname = w.name
     ), called AS (
       SELECT d.classid, d.objid, d.objsubid,
              CASE WHEN d.refclassid = 'pg_catalog.pg_proc'::pg_catalog.regclass THEN d.refobjid
                   ELSE (SELECT o.oprcode::pg_catalog.oid FROM pg_catalog.pg_operator o WHERE o.oid = d.refobjid) END AS function
         FROM pg_catalog.pg_depend d
        WHERE d.refclassid IN ('pg_catalog.pg_proc'::pg_catalog.regclass, 'pg_catalog.pg_operator'::pg_catalog.regclass)
          AND (   (d.classid = 'pg_catalog.pg_constraint'::pg_catalog.regclass
                   AND EXISTS (SELECT FROM pg_catalog.pg_constraint k WHERE k.oid = d.objid AND k.contype = 'c'))
               OR (d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass
                   AND EXISTS (SELECT FROM pg_catalog.pg_class i WHERE i.oid = d.objid AND i.relkind IN ('i', 'I')))
               OR (d.classid = 'pg_catalog.pg_attrdef'::pg_catalog.regclass
                   AND EXISTS (SELECT FROM pg_catalog.pg_attrdef a JOIN pg_catalog.pg_attribute t ON t.attrelid = a.adrelid AND t.attnum = a.adnum
                                WHERE a.oid = d.objid AND t.attgenerated <> ''))
               OR ($4 AND d.classid = 'pg_catalog.pg_rewrite'::pg_catalog.regclass))
     )
     SELECT pg_catalog.format('trigger %I on %s', t.tgname, t.tgrelid::pg_catalog.regclass) AS what
       FROM pg_catalog.pg_trigger t
      WHERE t.tgenabled = ANY ($3::"char"[]) AND t.tgrelid IN (SELECT oid FROM loaded)
        -- Foreign keys' own triggers only check; a partition's copy of its parent's trigger is internal before PostgreSQL 15.
        AND (NOT t.tgisinternal OR (t.tgparentid <> 0 AND t.tgfoid >= 16384))
     UNION ALL
     SELECT pg_catalog.format('event trigger %I', e.evtname) FROM pg_catalog.pg_event_trigger e WHERE e.evtenabled = ANY ($3::"char"[])
     UNION ALL
     SELECT pg_catalog.format('function %s (in %s)', p.oid::pg_catalog.regprocedure, pg_catalog.pg_describe_object(c.classid, c.objid, c.objsubid))
       FROM called c JOIN pg_catalog.pg_proc p ON p.oid = c.function
      WHERE p.oid >= 16384
        AND (p.prokind = 'a' OR p.prolang NOT IN (SELECT l.oid FROM pg_catalog.pg_language l WHERE l.lanname IN ('internal', 'c')))
     UNION ALL
     SELECT 'settings of the database itself' FROM pg_catalog.pg_db_role_setting s
      WHERE s.setdatabase = (SELECT d.oid FROM pg_catalog.pg_database d WHERE d.datname = pg_catalog.current_database())
     LIMIT 10`,
    [options.tables.map((table) => table.schema), options.tables.map((table) => table.name), firing, options.refreshes],
  );
  return result.rows.map((row) => row.what);
}
