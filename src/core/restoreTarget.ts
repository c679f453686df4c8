/**
 * What a restore would meet in the target database: which of the backup's
 * objects already exist there (and how many rows their tables hold), and
 * the SQL that sets them aside for --clean. Only objects the backup itself
 * has are ever named; everything else in the target is left alone.
 */
import type pg from 'pg';
import type { DumpEntry } from './dumpScan';
import { qualifiedIdentifier, quoteIdentifier } from './sql';

/** An object a dump creates, as its entry header names it. */
export interface DumpObject {
  type: string;
  schema: string;
  name: string;
}

/** One of the backup's objects found in the target. */
export interface ExistingObject {
  kind:
    | 'table'
    | 'foreign table'
    | 'view'
    | 'materialized view'
    | 'sequence'
    | 'routine'
    | 'aggregate'
    | 'type'
    | 'schema'
    | 'large object'
    /** A platform table whose rows the set holds (Supabase profile): emptied, never dropped. */
    | 'platform table'
    /** The application's trigger or policy on a platform table (Supabase profile). */
    | 'trigger'
    | 'policy';
  schema: string;
  name: string;
  /** Exact row count, for tables. */
  rows: number | null;
  /** The rows the backup holds for this table (from its manifest), for tables. */
  backupRows?: number | null;
  /** How to name it in DROP (routines need their argument types). */
  dropName: string;
}

const TABLE_TYPES = new Set(['TABLE', 'FOREIGN TABLE']);
const ROUTINE_TYPES = new Set(['FUNCTION', 'PROCEDURE']);
const TYPE_TYPES = new Set(['TYPE', 'DOMAIN']);

/** The objects of a dump that a restore creates at the top level (not parts of a table). */
export function objectsOfDump(entries: readonly DumpEntry[]): DumpObject[] {
  const wanted = new Set(['TABLE', 'FOREIGN TABLE', 'VIEW', 'MATERIALIZED VIEW', 'SEQUENCE', 'FUNCTION', 'PROCEDURE', 'AGGREGATE', 'TYPE', 'DOMAIN', 'SCHEMA', 'BLOB', 'LARGE OBJECT', 'BLOB METADATA']);
  return entries
    .filter((entry) => wanted.has(entry.type))
    .map((entry) => ({ type: entry.type, schema: entry.schema, name: entry.name }));
}

/**
 * Looks up the backup's objects in the target. Reads the catalog once per
 * kind, then matches by name, so a thousand tables cost a handful of queries.
 */
export async function findExistingObjects(client: pg.Client, objects: readonly DumpObject[]): Promise<ExistingObject[]> {
  const key = (schema: string, name: string) => `${schema}\u0000${name}`;
  const relations = await client.query<{ schema: string; name: string; kind: string }>(
    `SELECT n.nspname AS schema, c.relname AS name, c.relkind::text AS kind
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r', 'p', 'f', 'v', 'm', 'S')`,
  );
  const relationByName = new Map(relations.rows.map((row) => [key(row.schema, row.name), row.kind]));
  const routines = await client.query<{ schema: string; tag: string; drop_name: string; kind: string }>(
    `SELECT n.nspname AS schema, p.proname || '(' || oidvectortypes(p.proargtypes) || ')' AS tag,
            p.oid::regprocedure::text AS drop_name, p.prokind::text AS kind
       FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
      WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')`,
  );
  const routineByTag = new Map(routines.rows.map((row) => [key(row.schema, row.tag), row]));
  const types = await client.query<{ schema: string; name: string }>(
    `SELECT n.nspname AS schema, t.typname AS name FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
      WHERE t.typtype IN ('e', 'c', 'd', 'r', 'm') AND (t.typrelid = 0 OR (SELECT relkind FROM pg_class WHERE oid = t.typrelid) = 'c')`,
  );
  const typeNames = new Set(types.rows.map((row) => key(row.schema, row.name)));
  const schemas = new Set((await client.query<{ name: string }>('SELECT nspname AS name FROM pg_namespace')).rows.map((row) => row.name));
  const largeObjectOids = objects.filter((object) => isLargeObject(object.type)).map((object) => Number(object.name)).filter(Number.isFinite);
  const existingLargeObjects = new Set<number>();
  if (largeObjectOids.length > 0) {
    const found = await client.query<{ oid: string }>('SELECT oid::text AS oid FROM pg_largeobject_metadata WHERE oid = ANY($1::oid[])', [largeObjectOids]);
    for (const row of found.rows) existingLargeObjects.add(Number(row.oid));
  }

  const existing: ExistingObject[] = [];
  for (const object of objects) {
    const relationKind = relationByName.get(key(object.schema, object.name));
    if (TABLE_TYPES.has(object.type) && relationKind !== undefined && 'rpf'.includes(relationKind)) {
      existing.push({
        kind: relationKind === 'f' ? 'foreign table' : 'table',
        schema: object.schema,
        name: object.name,
        rows: null,
        dropName: qualifiedIdentifier(object.schema, object.name),
      });
    } else if (object.type === 'VIEW' && relationKind === 'v') {
      existing.push({ kind: 'view', schema: object.schema, name: object.name, rows: null, dropName: qualifiedIdentifier(object.schema, object.name) });
    } else if (object.type === 'MATERIALIZED VIEW' && relationKind === 'm') {
      existing.push({ kind: 'materialized view', schema: object.schema, name: object.name, rows: null, dropName: qualifiedIdentifier(object.schema, object.name) });
    } else if (object.type === 'SEQUENCE' && relationKind === 'S') {
      existing.push({ kind: 'sequence', schema: object.schema, name: object.name, rows: null, dropName: qualifiedIdentifier(object.schema, object.name) });
    } else if ((ROUTINE_TYPES.has(object.type) || object.type === 'AGGREGATE') && routineByTag.has(key(object.schema, object.name))) {
      const routine = routineByTag.get(key(object.schema, object.name))!;
      existing.push({ kind: routine.kind === 'a' ? 'aggregate' : 'routine', schema: object.schema, name: object.name, rows: null, dropName: routine.drop_name });
    } else if (TYPE_TYPES.has(object.type) && typeNames.has(key(object.schema, object.name))) {
      existing.push({ kind: 'type', schema: object.schema, name: object.name, rows: null, dropName: qualifiedIdentifier(object.schema, object.name) });
    } else if (object.type === 'SCHEMA' && schemas.has(object.name)) {
      existing.push({ kind: 'schema', schema: object.name, name: object.name, rows: null, dropName: quoteIdentifier(object.name) });
    } else if (isLargeObject(object.type) && existingLargeObjects.has(Number(object.name))) {
      existing.push({ kind: 'large object', schema: '-', name: object.name, rows: null, dropName: object.name });
    }
  }
  for (const table of existing.filter((object) => object.kind === 'table')) {
    const result = await client.query<{ count: string }>(`SELECT count(*)::text AS count FROM ${table.dropName}`);
    table.rows = Number(result.rows[0].count);
  }
  return existing;
}

function isLargeObject(type: string): boolean {
  return type === 'BLOB' || type === 'LARGE OBJECT' || type === 'BLOB METADATA';
}

/**
 * SQL that removes the backup's own objects from the target so a complete or
 * schema restore can recreate them. No CASCADE: if something the backup does
 * not have depends on them, the restore stops (and rolls back) rather than
 * dropping it. Tables go in one statement so foreign keys among them, even
 * circular ones, are no obstacle; views go first, newest first, as pg_dump
 * created them in dependency order.
 */
export function dropStatements(existing: readonly ExistingObject[]): string[] {
  const named = (kind: ExistingObject['kind']) => existing.filter((object) => object.kind === kind).map((object) => object.dropName);
  const statements: string[] = [];
  const views = existing.filter((object) => object.kind === 'view' || object.kind === 'materialized view').reverse();
  for (const view of views) {
    statements.push(`DROP ${view.kind === 'view' ? 'VIEW' : 'MATERIALIZED VIEW'} IF EXISTS ${view.dropName};`);
  }
  const tables = named('table');
  if (tables.length > 0) statements.push(`DROP TABLE IF EXISTS ${tables.join(', ')};`);
  const foreignTables = named('foreign table');
  if (foreignTables.length > 0) statements.push(`DROP FOREIGN TABLE IF EXISTS ${foreignTables.join(', ')};`);
  // Sequences owned by a table went with it; the rest are standalone.
  const sequences = named('sequence');
  if (sequences.length > 0) statements.push(`DROP SEQUENCE IF EXISTS ${sequences.join(', ')};`);
  const aggregates = named('aggregate');
  if (aggregates.length > 0) statements.push(`DROP AGGREGATE IF EXISTS ${aggregates.join(', ')};`);
  const routines = named('routine');
  if (routines.length > 0) statements.push(`DROP ROUTINE IF EXISTS ${routines.join(', ')};`);
  const types = named('type');
  if (types.length > 0) statements.push(`DROP TYPE IF EXISTS ${types.join(', ')};`);
  const largeObjects = named('large object');
  if (largeObjects.length > 0) {
    statements.push(`SELECT pg_catalog.lo_unlink(oid) FROM pg_catalog.pg_largeobject_metadata WHERE oid IN (${largeObjects.join(', ')});`);
  }
  return statements;
}

/**
 * SQL that empties the backup's tables for a data restore: one TRUNCATE, so
 * tables that reference each other are emptied together. Large objects the
 * backup brings back are unlinked first so their OIDs are free.
 */
export function emptyStatements(existing: readonly ExistingObject[]): string[] {
  const statements: string[] = [];
  const tables = existing.filter((object) => object.kind === 'table').map((object) => object.dropName);
  if (tables.length > 0) statements.push(`TRUNCATE TABLE ${tables.join(', ')};`);
  const largeObjects = existing.filter((object) => object.kind === 'large object').map((object) => object.dropName);
  if (largeObjects.length > 0) {
    statements.push(`SELECT pg_catalog.lo_unlink(oid) FROM pg_catalog.pg_largeobject_metadata WHERE oid IN (${largeObjects.join(', ')});`);
  }
  return statements;
}

// ---------------------------------------------------------------------------
// Supabase profile: platform tables and what the application attached to them

/** A trigger or policy the application put on a platform table, as its dump entry names it ("users on_auth_user_created"). */
export interface AttachedObject {
  type: 'TRIGGER' | 'POLICY';
  schema: string;
  table: string;
  name: string;
}

/** Splits an on-table entry name, "table object" (each part quoted by pg_dump only when needed). */
export function splitOnTableName(entryName: string): { table: string; name: string } | undefined {
  const first = entryName.startsWith('"') ? /^"((?:[^"]|"")*)" (.+)$/.exec(entryName) : /^(\S+) (.+)$/.exec(entryName);
  if (!first) return undefined;
  const table = entryName.startsWith('"') ? first[1].replace(/""/g, '"') : first[1];
  const rest = first[2];
  const name = rest.startsWith('"') && rest.endsWith('"') ? rest.slice(1, -1).replace(/""/g, '"') : rest;
  return { table, name };
}

/** The platform tables the set holds rows of, as found in the target, with their rows. */
export async function findPlatformTables(client: pg.Client, tables: readonly { schema: string; name: string }[]): Promise<{ present: ExistingObject[]; missing: { schema: string; name: string }[] }> {
  const present: ExistingObject[] = [];
  const missing: { schema: string; name: string }[] = [];
  for (const table of tables) {
    const found = await client.query<{ exists: boolean }>(
      `SELECT EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p')) AS exists`,
      [table.schema, table.name],
    );
    if (!found.rows[0].exists) {
      missing.push(table);
      continue;
    }
    const dropName = qualifiedIdentifier(table.schema, table.name);
    const count = await client.query<{ count: string }>(`SELECT count(*)::text AS count FROM ${dropName}`);
    present.push({ kind: 'platform table', schema: table.schema, name: table.name, rows: Number(count.rows[0].count), dropName });
  }
  return { present, missing };
}

/** Which of the application's triggers and policies on platform tables the target has already. */
export async function findAttachedObjects(client: pg.Client, attached: readonly AttachedObject[]): Promise<ExistingObject[]> {
  const existing: ExistingObject[] = [];
  for (const object of attached) {
    const sql =
      object.type === 'TRIGGER'
        ? `SELECT EXISTS (SELECT 1 FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = $1 AND c.relname = $2 AND t.tgname = $3 AND NOT t.tgisinternal) AS exists`
        : `SELECT EXISTS (SELECT 1 FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = $1 AND c.relname = $2 AND p.polname = $3) AS exists`;
    const found = await client.query<{ exists: boolean }>(sql, [object.schema, object.table, object.name]);
    if (!found.rows[0].exists) continue;
    existing.push({
      kind: object.type === 'TRIGGER' ? 'trigger' : 'policy',
      schema: object.schema,
      name: `${object.table} ${object.name}`,
      rows: null,
      dropName: `${quoteIdentifier(object.name)} ON ${qualifiedIdentifier(object.schema, object.table)}`,
    });
  }
  return existing;
}

/** Drops the application's triggers and policies on platform tables: first, since they depend on its functions. */
export function dropAttachedStatements(existing: readonly ExistingObject[]): string[] {
  return existing
    .filter((object) => object.kind === 'trigger' || object.kind === 'policy')
    .map((object) => `DROP ${object.kind === 'trigger' ? 'TRIGGER' : 'POLICY'} IF EXISTS ${object.dropName};`);
}

/**
 * Empties the platform tables the set brings rows for. DELETE, not TRUNCATE:
 * the platform's other tables (sessions, tokens) reference auth.users, and
 * TRUNCATE would need CASCADE into tables the set does not have. Referencing
 * tables go first (identities before users, objects before buckets).
 */
export function emptyPlatformStatements(existing: readonly ExistingObject[], references: readonly { from: string; to: string }[]): string[] {
  const tables = existing.filter((object) => object.kind === 'platform table');
  const nameOf = (object: ExistingObject) => `${object.schema}.${object.name}`;
  const ordered: ExistingObject[] = [];
  const pending = [...tables];
  while (pending.length > 0) {
    // A table no remaining one references can go now; a cycle falls back to the given order.
    const index = pending.findIndex((candidate) => !pending.some((other) => other !== candidate && references.some((edge) => edge.from === nameOf(other) && edge.to === nameOf(candidate))));
    ordered.push(...pending.splice(index < 0 ? 0 : index, 1));
  }
  return ordered.map((table) => `DELETE FROM ${table.dropName};`);
}
