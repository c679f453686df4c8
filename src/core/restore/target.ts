/**
 * What a restore would meet in the target database: which of the backup's
 * objects already exist there (and how many rows their tables hold). Only
 * objects the backup itself has are ever named; everything else in the
 * target is left alone. What --clean then does with them is cleanPlan.ts.
 *
 * The backup's objects are named by its entry headers (type, schema, name as
 * pg_dump wrote them) and found in the catalog in one query: a function's
 * name is matched with its argument types written as pg_dump writes them
 * (every type schema-qualified but pg_catalog's, which needs an empty
 * search_path while the names are read).
 */
import type pg from 'pg';
import { jsonRows } from '../pg/jsonRows';
import { qualifiedName } from '../format';
import type { DumpEntry } from '../verify/dumpScan';
import { qualifiedIdentifier, quoteIdentifier, quoteLiteral } from '../sql';

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
    | 'domain'
    | 'collation'
    | 'conversion'
    | 'text search configuration'
    | 'text search dictionary'
    | 'text search parser'
    | 'text search template'
    | 'publication'
    /** Never replaced: dropping one drops its replication slot at the publisher (decide.ts refuses). */
    | 'subscription'
    | 'event trigger'
    | 'foreign data wrapper'
    | 'server'
    | 'statistics'
    | 'operator'
    | 'operator class'
    | 'operator family'
    | 'cast'
    | 'transform'
    | 'access method'
    | 'schema'
    | 'large object'
    /** A platform table whose rows the set holds (Supabase profile): emptied, never dropped. */
    | 'platform table'
    /** The application's trigger or policy on a platform table (Supabase profile). */
    | 'trigger'
    | 'policy';
  schema: string;
  name: string;
  /** Exact row count, for tables: of the rows the restoring role sees, where row-level security hides some (rowsHidden). */
  rows: number | null;
  /** Row-level security applies to the restoring role here: rows counts only those its policies let it see. */
  rowsHidden?: boolean;
  /** The rows the backup holds for this table (from its manifest), for tables. */
  backupRows?: number | null;
  /** How to name it in DROP (routines with their argument types), schema-qualified. */
  dropName: string;
  /** Its owner, and what the restoring role may do to it: drop or alter it (it has the owner's privileges), and for a table read, insert into and truncate it. Unknown for what the platform's pieces find. */
  access?: ObjectAccess;
}

export interface ObjectAccess {
  owner: string;
  owned: boolean;
  select: boolean;
  insert: boolean;
  truncate: boolean;
}

/** The entry types a restore creates as whole objects (not parts of a table), with the kind they are found as. */
const OBJECT_KINDS: Readonly<Record<string, ExistingObject['kind']>> = {
  TABLE: 'table',
  'FOREIGN TABLE': 'foreign table',
  VIEW: 'view',
  'MATERIALIZED VIEW': 'materialized view',
  SEQUENCE: 'sequence',
  FUNCTION: 'routine',
  PROCEDURE: 'routine',
  AGGREGATE: 'aggregate',
  TYPE: 'type',
  DOMAIN: 'domain',
  COLLATION: 'collation',
  CONVERSION: 'conversion',
  'TEXT SEARCH CONFIGURATION': 'text search configuration',
  'TEXT SEARCH DICTIONARY': 'text search dictionary',
  'TEXT SEARCH PARSER': 'text search parser',
  'TEXT SEARCH TEMPLATE': 'text search template',
  PUBLICATION: 'publication',
  SUBSCRIPTION: 'subscription',
  'EVENT TRIGGER': 'event trigger',
  'FOREIGN DATA WRAPPER': 'foreign data wrapper',
  SERVER: 'server',
  STATISTICS: 'statistics',
  OPERATOR: 'operator',
  'OPERATOR CLASS': 'operator class',
  'OPERATOR FAMILY': 'operator family',
  CAST: 'cast',
  TRANSFORM: 'transform',
  'ACCESS METHOD': 'access method',
  SCHEMA: 'schema',
  BLOB: 'large object',
  'LARGE OBJECT': 'large object',
  'BLOB METADATA': 'large object',
};

/** An object a dump creates, as its entry header names it. */
export interface DumpObject {
  type: string;
  schema: string;
  name: string;
}

/** The objects of a dump that a restore creates at the top level (not parts of a table). */
export function objectsOfDump(entries: readonly DumpEntry[]): DumpObject[] {
  return entries.filter((entry) => OBJECT_KINDS[entry.type] !== undefined).map((entry) => ({ type: entry.type, schema: entry.schema, name: entry.identity ?? entry.name }));
}

/**
 * Objects found by their name alone (in their schema, or database-wide):
 * pg_dump's entry type, the catalog, its name and schema columns, the kind.
 */
const NAMED_OBJECTS: readonly { type: string; catalog: string; name: string; namespace?: string; kind: ExistingObject['kind']; where?: string }[] = [
  // A collation for another encoding is never the one the database uses.
  {
    type: 'COLLATION',
    catalog: 'pg_collation',
    name: 'collname',
    namespace: 'collnamespace',
    kind: 'collation',
    where: 'o.collencoding IN (-1, pg_catalog.pg_char_to_encoding(pg_catalog.getdatabaseencoding()))',
  },
  { type: 'CONVERSION', catalog: 'pg_conversion', name: 'conname', namespace: 'connamespace', kind: 'conversion' },
  { type: 'TEXT SEARCH CONFIGURATION', catalog: 'pg_ts_config', name: 'cfgname', namespace: 'cfgnamespace', kind: 'text search configuration' },
  { type: 'TEXT SEARCH DICTIONARY', catalog: 'pg_ts_dict', name: 'dictname', namespace: 'dictnamespace', kind: 'text search dictionary' },
  { type: 'TEXT SEARCH PARSER', catalog: 'pg_ts_parser', name: 'prsname', namespace: 'prsnamespace', kind: 'text search parser' },
  { type: 'TEXT SEARCH TEMPLATE', catalog: 'pg_ts_template', name: 'tmplname', namespace: 'tmplnamespace', kind: 'text search template' },
  { type: 'STATISTICS', catalog: 'pg_statistic_ext', name: 'stxname', namespace: 'stxnamespace', kind: 'statistics' },
  { type: 'PUBLICATION', catalog: 'pg_publication', name: 'pubname', kind: 'publication' },
  // pg_subscription is shared by the cluster: the target database's own.
  {
    type: 'SUBSCRIPTION',
    catalog: 'pg_subscription',
    name: 'subname',
    kind: 'subscription',
    where: 'o.subdbid = (SELECT d.oid FROM pg_catalog.pg_database d WHERE d.datname = pg_catalog.current_database())',
  },
  { type: 'EVENT TRIGGER', catalog: 'pg_event_trigger', name: 'evtname', kind: 'event trigger' },
  { type: 'FOREIGN DATA WRAPPER', catalog: 'pg_foreign_data_wrapper', name: 'fdwname', kind: 'foreign data wrapper' },
  { type: 'SERVER', catalog: 'pg_foreign_server', name: 'srvname', kind: 'server' },
  { type: 'ACCESS METHOD', catalog: 'pg_am', name: 'amname', kind: 'access method' },
  { type: 'SCHEMA', catalog: 'pg_namespace', name: 'nspname', kind: 'schema' },
];

function namedObjectSql(object: (typeof NAMED_OBJECTS)[number]): string {
  const inSchema = object.namespace ? ` AND o.${object.namespace} = w.namespace` : '';
  // The object's own names: the entries' (w.schema, w.name) write a line break as a space.
  const dropName = object.namespace
    ? `pg_catalog.format('%I.%I', (SELECT n.nspname FROM pg_catalog.pg_namespace n WHERE n.oid = w.namespace), o.${object.name})`
    : `pg_catalog.quote_ident(o.${object.name})`;
  return `
  UNION ALL
  SELECT w.type, w.schema, w.name, 'pg_catalog.${object.catalog}'::pg_catalog.regclass, o.oid, '${object.kind}', ${dropName}
    FROM wanted w JOIN pg_catalog.${object.catalog} o ON pg_catalog.translate(o.${object.name}, E'\\n\\r', '  ') = w.name${inSchema}
   WHERE w.type = '${object.type}'${object.where ? ` AND ${object.where}` : ''}`;
}

/**
 * SQL (a CTE body, `$1` the objects as JSON: [{type, schema, name}]) that
 * finds the given objects in the catalog: one row per object found, with its
 * catalog address (classid, objid), the kind it is found as and its name for
 * DROP. Run with an empty search_path. Shared by the pre-flight and the
 * check that runs inside the restore's transaction (cleanPlan.ts).
 */
export const FIND_OBJECTS_SQL = `
  SELECT w.type, w.schema, w.name, 'pg_catalog.pg_class'::pg_catalog.regclass AS classid, c.oid AS objid,
         CASE c.relkind WHEN 'f' THEN 'foreign table' WHEN 'v' THEN 'view' WHEN 'm' THEN 'materialized view' WHEN 'S' THEN 'sequence' ELSE 'table' END AS kind,
         c.oid::pg_catalog.regclass::text AS drop_name
    FROM wanted w JOIN pg_catalog.pg_class c ON c.relnamespace = w.namespace AND pg_catalog.translate(c.relname, E'\\n\\r', '  ') = w.name
   WHERE (w.type = 'TABLE' AND c.relkind IN ('r', 'p')) OR (w.type = 'FOREIGN TABLE' AND c.relkind = 'f')
      OR (w.type = 'VIEW' AND c.relkind = 'v') OR (w.type = 'MATERIALIZED VIEW' AND c.relkind = 'm') OR (w.type = 'SEQUENCE' AND c.relkind = 'S')
  UNION ALL
  SELECT w.type, w.schema, w.name, 'pg_catalog.pg_proc'::pg_catalog.regclass, p.oid,
         CASE WHEN p.prokind = 'a' THEN 'aggregate' ELSE 'routine' END,
         -- Identity arguments name procedures that differ only in OUT parameters apart; an aggregate of no arguments is name(*).
         pg_catalog.format('%I.%I(%s)', (SELECT n.nspname FROM pg_catalog.pg_namespace n WHERE n.oid = w.namespace), p.proname,
                           CASE WHEN p.prokind = 'a' AND p.pronargs = 0 THEN '*' ELSE pg_catalog.pg_get_function_identity_arguments(p.oid) END)
    FROM wanted w JOIN pg_catalog.pg_proc p ON p.pronamespace = w.namespace
   WHERE w.type IN ('FUNCTION', 'PROCEDURE', 'AGGREGATE')
     AND pg_catalog.translate(p.proname, E'\\n\\r', '  ') || '(' || CASE WHEN p.prokind = 'a' AND p.pronargs = 0 THEN '*' ELSE pg_catalog.oidvectortypes(p.proargtypes) END || ')' = w.name
  UNION ALL
  SELECT w.type, w.schema, w.name, 'pg_catalog.pg_type'::pg_catalog.regclass, t.oid,
         CASE WHEN t.typtype = 'd' THEN 'domain' ELSE 'type' END, t.oid::pg_catalog.regtype::text
    FROM wanted w JOIN pg_catalog.pg_type t ON t.typnamespace = w.namespace AND pg_catalog.translate(t.typname, E'\\n\\r', '  ') = w.name
   WHERE (w.type = 'DOMAIN' AND t.typtype = 'd')
      OR (w.type = 'TYPE' AND (t.typtype IN ('b', 'e', 'r', 'p')
          OR (t.typtype = 'c' AND (SELECT r.relkind FROM pg_catalog.pg_class r WHERE r.oid = t.typrelid) = 'c')))
${NAMED_OBJECTS.map(namedObjectSql).join('')}

  UNION ALL
  SELECT w.type, w.schema, w.name, 'pg_catalog.pg_operator'::pg_catalog.regclass, o.oid, 'operator', o.oid::pg_catalog.regoperator::text
    FROM wanted w JOIN pg_catalog.pg_operator o ON o.oprnamespace = w.namespace
   WHERE w.type = 'OPERATOR'
     AND o.oprname || '(' || CASE WHEN o.oprleft = 0 THEN 'NONE' ELSE pg_catalog.format_type(o.oprleft, NULL) END
         || ', ' || CASE WHEN o.oprright = 0 THEN 'NONE' ELSE pg_catalog.format_type(o.oprright, NULL) END || ')' = w.name
  UNION ALL
  SELECT w.type, w.schema, w.name, 'pg_catalog.pg_opclass'::pg_catalog.regclass, o.oid, 'operator class', pg_catalog.format('%I.%I USING %I', (SELECT n.nspname FROM pg_catalog.pg_namespace n WHERE n.oid = w.namespace), o.opcname, a.amname)
    FROM wanted w JOIN pg_catalog.pg_opclass o ON o.opcnamespace = w.namespace JOIN pg_catalog.pg_am a ON a.oid = o.opcmethod
   WHERE w.type = 'OPERATOR CLASS' AND o.opcname || ' USING ' || pg_catalog.quote_ident(a.amname) = w.name
  UNION ALL
  SELECT w.type, w.schema, w.name, 'pg_catalog.pg_opfamily'::pg_catalog.regclass, o.oid, 'operator family', pg_catalog.format('%I.%I USING %I', (SELECT n.nspname FROM pg_catalog.pg_namespace n WHERE n.oid = w.namespace), o.opfname, a.amname)
    FROM wanted w JOIN pg_catalog.pg_opfamily o ON o.opfnamespace = w.namespace JOIN pg_catalog.pg_am a ON a.oid = o.opfmethod
   WHERE w.type = 'OPERATOR FAMILY' AND o.opfname || ' USING ' || pg_catalog.quote_ident(a.amname) = w.name
  UNION ALL
  SELECT w.type, w.schema, w.name, 'pg_catalog.pg_cast'::pg_catalog.regclass, c.oid, 'cast',
         '(' || pg_catalog.format_type(c.castsource, NULL) || ' AS ' || pg_catalog.format_type(c.casttarget, NULL) || ')'
    FROM wanted w JOIN pg_catalog.pg_cast c
      ON 'CAST (' || pg_catalog.format_type(c.castsource, NULL) || ' AS ' || pg_catalog.format_type(c.casttarget, NULL) || ')' = w.name
   WHERE w.type = 'CAST'
  UNION ALL
  SELECT w.type, w.schema, w.name, 'pg_catalog.pg_transform'::pg_catalog.regclass, t.oid, 'transform',
         'FOR ' || pg_catalog.format_type(t.trftype, NULL) || ' LANGUAGE ' || pg_catalog.quote_ident(l.lanname)
    FROM wanted w JOIN pg_catalog.pg_transform t JOIN pg_catalog.pg_language l ON l.oid = t.trflang
      ON 'TRANSFORM FOR ' || pg_catalog.format_type(t.trftype, NULL) || ' LANGUAGE ' || pg_catalog.quote_ident(l.lanname) = w.name
   WHERE w.type = 'TRANSFORM'
  UNION ALL
  SELECT w.type, w.schema, w.name, 'pg_catalog.pg_largeobject'::pg_catalog.regclass, o.oid, 'large object', o.oid::text
    FROM wanted w JOIN pg_catalog.pg_largeobject_metadata o ON w.name ~ '^[0-9]+$' AND o.oid = w.name::pg_catalog.oid
   WHERE w.type IN ('BLOB', 'LARGE OBJECT', 'BLOB METADATA')`;

/** The CTE that reads `$1` (the objects as JSON) for FIND_OBJECTS_SQL. */
export const WANTED_OBJECTS_SQL = `
  SELECT w.type, w.schema, w.name, n.oid AS namespace
    FROM pg_catalog.jsonb_to_recordset($1::pg_catalog.jsonb) AS w(type text, schema text, name text)
    LEFT JOIN pg_catalog.pg_namespace n ON pg_catalog.translate(n.nspname, E'\\n\\r', '  ') = w.schema`;

/** The backup's objects as the JSON the catalog queries read. */
export function objectsJson(objects: readonly DumpObject[]): string {
  return JSON.stringify(objects.map((object) => ({ type: object.type, schema: object.schema, name: object.name })));
}

/**
 * Looks up the backup's objects in the target, in one catalog query. Large
 * objects are looked up by OID, which pg_dump keeps. The rows of the tables
 * found are counted apart (countRows), once the platform's are known too.
 */
export async function findExistingObjects(client: pg.Client, objects: readonly DumpObject[]): Promise<ExistingObject[]> {
  await client.query(`BEGIN READ ONLY; SET LOCAL search_path = ''`);
  type Found = { type: string; schema: string; name: string; kind: ExistingObject['kind']; drop_name: string; access: ObjectAccess };
  let rows: Found[];
  try {
    rows = (await client.query<Found>(`WITH wanted AS (${WANTED_OBJECTS_SQL}), found AS (${FIND_OBJECTS_SQL}) ${FOUND_ACCESS_SQL}`, [objectsJson(objects)])).rows;
  } finally {
    await client.query('COMMIT');
  }
  // In the dump's order: views newest first when dropped, tables as pg_dump ordered them.
  const position = new Map(objects.map((object, index) => [`${object.type}\u0000${object.schema}\u0000${object.name}`, index]));
  rows.sort(
    (first, second) =>
      (position.get(`${first.type}\u0000${first.schema}\u0000${first.name}`) ?? 0) - (position.get(`${second.type}\u0000${second.schema}\u0000${second.name}`) ?? 0),
  );
  const seen = new Set<string>();
  const existing: ExistingObject[] = [];
  for (const row of rows) {
    const key = `${row.kind}\u0000${row.drop_name}`;
    if (seen.has(key)) continue; // a large object's BLOB and BLOB METADATA entries
    seen.add(key);
    existing.push({
      kind: row.kind,
      schema: row.kind === 'large object' ? '-' : row.kind === 'schema' ? row.name : row.schema,
      name: row.name,
      rows: null,
      dropName: row.drop_name,
      access: row.access,
    });
  }
  return existing;
}

/** Each catalog of FIND_OBJECTS_SQL whose rows name their owner, and that column. */
const OWNER_COLUMNS: readonly (readonly [catalog: string, column: string])[] = [
  ['pg_class', 'relowner'],
  ['pg_proc', 'proowner'],
  ['pg_type', 'typowner'],
  ['pg_namespace', 'nspowner'],
  ['pg_operator', 'oprowner'],
  ['pg_opclass', 'opcowner'],
  ['pg_opfamily', 'opfowner'],
  ['pg_collation', 'collowner'],
  ['pg_conversion', 'conowner'],
  ['pg_event_trigger', 'evtowner'],
  ['pg_foreign_data_wrapper', 'fdwowner'],
  ['pg_foreign_server', 'srvowner'],
  ['pg_publication', 'pubowner'],
  ['pg_statistic_ext', 'stxowner'],
  ['pg_subscription', 'subowner'],
  ['pg_ts_config', 'cfgowner'],
  ['pg_ts_dict', 'dictowner'],
];

/**
 * Each object found with its owner and what current_user may do to it. The
 * owner is read from the object's own catalog row: pg_shdepend records none
 * for a pinned role (the bootstrap superuser, pg_database_owner, which owns
 * `public` in a database made since PostgreSQL 15). Objects whose catalog
 * has no owner column (casts, transforms, access methods, text search
 * parsers and templates) go by pg_shdepend, else the bootstrap superuser.
 * current_user has an owner's privileges as that role, a member of it
 * (the database's owner is a member of pg_database_owner), or a superuser
 * (pg_has_role).
 */
const FOUND_ACCESS_SQL = `, owned AS (
  SELECT f.*, COALESCE(CASE f.classid${OWNER_COLUMNS.map(
    ([catalog, column]) => `
           WHEN 'pg_catalog.${catalog}'::pg_catalog.regclass THEN (SELECT o.${column} FROM pg_catalog.${catalog} o WHERE o.oid = f.objid)`,
  ).join('')}
           WHEN 'pg_catalog.pg_largeobject'::pg_catalog.regclass THEN (SELECT o.lomowner FROM pg_catalog.pg_largeobject_metadata o WHERE o.oid = f.objid)
         END,
         (SELECT s.refobjid FROM pg_catalog.pg_shdepend s
           WHERE s.classid = f.classid AND s.objid = f.objid AND s.objsubid = 0 AND s.deptype = 'o'
             AND s.dbid IN (0, (SELECT d.oid FROM pg_catalog.pg_database d WHERE d.datname = pg_catalog.current_database()))
           LIMIT 1),
         10::pg_catalog.oid) AS owner
    FROM found f)
  SELECT type, schema, name, kind, drop_name,
         pg_catalog.json_build_object(
           'owner', pg_catalog.pg_get_userbyid(owner),
           'owned', pg_catalog.pg_has_role(current_user, owner, 'USAGE'),
           'select', classid <> 'pg_catalog.pg_class'::pg_catalog.regclass OR pg_catalog.has_table_privilege(objid, 'SELECT'),
           'insert', classid <> 'pg_catalog.pg_class'::pg_catalog.regclass OR pg_catalog.has_table_privilege(objid, 'INSERT'),
           'truncate', classid <> 'pg_catalog.pg_class'::pg_catalog.regclass OR pg_catalog.has_table_privilege(objid, 'TRUNCATE')) AS access
    FROM owned`;

/** Tables counted per transaction: each count's lock is held until its transaction ends, and the server's lock table is shared. */
const COUNTS_PER_TRANSACTION = 50;

/**
 * The rows each table holds now (tables as SQL names), for the plan: what a
 * replaced or emptied table holds, and whether a data restore would meet
 * rows. One round trip however many tables, in short read-only
 * transactions. Reading a table waits for a session that holds it in ACCESS
 * EXCLUSIVE mode (a migration under way, VACUUM FULL, an ALTER TABLE left
 * open): each count waits at most `lockTimeoutMs`, as the restore's own
 * locks do, and the server's lock timeout error (55P03) is thrown.
 */
export async function countRows(client: pg.Client, tables: readonly string[], lockTimeoutMs: number): Promise<{ rows: number; hidden: boolean }[]> {
  if (tables.length === 0) return [];
  const statements: string[] = [];
  for (let first = 0; first < tables.length; first += COUNTS_PER_TRANSACTION) {
    statements.push('BEGIN READ ONLY', `SET LOCAL lock_timeout = '${Math.max(1, Math.round(lockTimeoutMs))}ms'`);
    // row_security_active: whether the count is of what the role's policies let it see, not of every row.
    for (const table of tables.slice(first, first + COUNTS_PER_TRANSACTION)) {
      statements.push(`SELECT pg_catalog.count(*)::text AS count, pg_catalog.row_security_active(${quoteLiteral(table)}::pg_catalog.regclass) AS hidden FROM ${table}`);
    }
    statements.push('COMMIT');
  }
  let results: pg.QueryResult<{ count: string; hidden: boolean }>[];
  try {
    // Several statements in one query: node-postgres answers with one result each.
    results = (await client.query<{ count: string; hidden: boolean }>(statements.join('; '))) as unknown as pg.QueryResult<{ count: string; hidden: boolean }>[];
  } catch (error) {
    // The server skipped the rest of the query; the failed transaction is still open.
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
  return results.filter((result) => result.command === 'SELECT').map((result) => ({ rows: Number(result.rows[0].count), hidden: result.rows[0].hidden }));
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
  statements.push(...unlinkLargeObjects(existing));
  return statements;
}

/** Frees the OIDs of the large objects the backup brings back. */
export function unlinkLargeObjects(existing: readonly ExistingObject[]): string[] {
  const largeObjects = existing.filter((object) => object.kind === 'large object').map((object) => object.dropName);
  if (largeObjects.length === 0) return [];
  return [`SELECT pg_catalog.lo_unlink(oid) FROM pg_catalog.pg_largeobject_metadata WHERE oid IN (${largeObjects.join(', ')});`];
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

/** The platform tables the set holds rows of, as found in the target (their rows are counted with the others: countRows). */
export async function findPlatformTables(
  client: pg.Client,
  tables: readonly { schema: string; name: string }[],
): Promise<{ present: ExistingObject[]; missing: { schema: string; name: string }[] }> {
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
    present.push({ kind: 'platform table', schema: table.schema, name: table.name, rows: null, dropName: qualifiedIdentifier(table.schema, table.name) });
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
    const index = pending.findIndex(
      (candidate) => !pending.some((other) => other !== candidate && references.some((edge) => edge.from === nameOf(other) && edge.to === nameOf(candidate))),
    );
    ordered.push(...pending.splice(index < 0 ? 0 : index, 1));
  }
  return ordered.map((table) => `DELETE FROM ${table.dropName};`);
}

/** A column of a target table as a data restore's COPY meets it. */
export interface TargetColumn {
  name: string;
  /** NOT NULL, with no default, not generated, not an identity: a row must bring its value. */
  required: boolean;
  /** GENERATED ALWAYS AS (…) STORED: COPY may not name it. */
  generated: boolean;
}

/** The columns of `tables` in the target, by qualifiedName; a table the target lacks is absent. */
export async function findTargetColumns(client: pg.Client, tables: readonly { schema: string; name: string }[]): Promise<Map<string, TargetColumn[]>> {
  const rows = await jsonRows<[schema: string, table: string, column: string, required: boolean, generated: boolean]>(
    client,
    `SELECT json_agg(json_build_array(n.nspname, c.relname, a.attname,
                     a.attnotnull AND NOT a.atthasdef AND a.attgenerated = '' AND a.attidentity = '', a.attgenerated <> '') ORDER BY n.nspname, c.relname, a.attnum)
       FROM unnest($1::text[], $2::text[]) AS wanted(schema, name)
       JOIN pg_catalog.pg_namespace n ON n.nspname = wanted.schema
       JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid AND c.relname = wanted.name
       JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped`,
    [tables.map((table) => table.schema), tables.map((table) => table.name)],
  );
  const columns = new Map<string, TargetColumn[]>();
  for (const [schema, table, name, required, generated] of rows) {
    const key = qualifiedName(schema, table);
    columns.set(key, [...(columns.get(key) ?? []), { name, required, generated }]);
  }
  return columns;
}
