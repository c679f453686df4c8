/**
 * The one database session of a backup: it exports a snapshot that pg_dump
 * then dumps from (`--snapshot`), and reads the catalog facts for the
 * manifest inside that same snapshot, so the table list and the dump
 * describe the same moment. Sizes on disk are read last, while the dump is
 * split: they are no part of any snapshot, and opening every table for its
 * size is the dearest read of a big catalog, which nothing waits for but the
 * manifest. Above EXACT_SIZES_UP_TO_TABLES tables they are the catalog's
 * own estimates instead (relpages), and the manifest says so.
 */
import type pg from 'pg';
import { RESTORE_RUNNING_SQL, runningRestore } from '../pg/restoreTurn';
import { type ConnectionTarget } from '../connection/target';
import { describeConnectionError } from '../connection/failures';
import { endOnce, openSession, rememberEnd } from '../connection/session';
import { findForeignKeyCycles } from './foreignKeyCycles';
import type { ForeignKeyCycle, ManifestTable } from '../sets/manifest';
import { qualifiedName } from '../format';
import { SUPABASE_MARKER_ROLE, SUPABASE_MARKER_SCHEMAS, SUPABASE_PLATFORM_SCHEMA_PREFIXES, SUPABASE_PLATFORM_SCHEMAS, type DatabaseShape, type PlatformFacts } from './profile';
import { jsonRows } from '../pg/jsonRows';
import { readLargeObjectGrants, type LargeObjectGrants } from './largeObjectDigest';
import { MultisetDigest } from './digest';

/** What the session learns in the round trip that exports the snapshot: enough to choose pg_dump. */
export interface ServerVersion {
  version: string;
  versionNum: number;
}

/** The rest of what the manifest records of the server, read inside the snapshot once pg_dump is on its way. */
export interface ServerFacts extends ServerVersion {
  currentUser: string;
  isSuperuser: boolean;
  /** The schemas and roles a profile's `auto` looks at (SUPABASE_MARKER_*), those present. */
  shape: DatabaseShape;
  /** The settings pg_dump's session gets as well, which shape how rows come out as text (digest.ts). */
  outputSettings: OutputSettings;
}

/** Session settings, beyond those pg_dump sets itself, that decide how a row is written as COPY text. */
export interface OutputSettings {
  timeZone: string;
  byteaOutput: string;
  lcMonetary: string;
}

/**
 * A CHECK constraint added NOT VALID: rows that break it may exist, so it must
 * not be active while the data file loads rows into a restored schema.
 */
export interface UnvalidatedCheck {
  /** 'table' for ALTER TABLE, 'domain' for ALTER DOMAIN. */
  on: 'table' | 'domain';
  schema: string;
  /** The table's or the domain's name. */
  name: string;
  constraint: string;
  /** pg_get_constraintdef: "CHECK ((delta <> 0)) NOT VALID". */
  definition: string;
  /** Its COMMENT ON CONSTRAINT, which must come back with it. */
  comment: string | null;
}

/** A table of the catalog, as the manifest lists it before its size is read. */
export interface CatalogTable extends Omit<ManifestTable, 'bytes' | 'definition' | 'dataLeftOut'> {
  /** For reading its size (readSizes). */
  oid: number;
}

export interface CatalogFacts {
  tables: CatalogTable[];
  unvalidatedChecks: UnvalidatedCheck[];
  materializedViews: { schema: string; name: string; populated: boolean }[];
  foreignKeyCycles: ForeignKeyCycle[];
  largeObjects: number;
  /** The grants and comments of the large objects (none to read where there are none). */
  largeObjectGrants: LargeObjectGrants;
  sequences: number;
  platform?: PlatformFacts;
}

export interface Sizes {
  databaseBytes: number;
  /** By the table's oid; a table dropped since the snapshot has none. */
  tableBytes: ReadonlyMap<number, number>;
  /** The catalog's estimates (pages as of the last VACUUM or ANALYZE), not the files' sizes. */
  estimated: boolean;
}

/**
 * Up to this many tables, sizes are the files' own (pg_total_relation_size,
 * pg_database_size); above it, the catalog's estimates. Measured on 2 cores:
 * the exact sizes of 5,000 tables cost the server 1.5–2.5 s of its CPU
 * beside pg_dump's own 3.7 s, those of 1,000 tables about 0.3 s.
 */
export const EXACT_SIZES_UP_TO_TABLES = 1000;

/** An ordinary table and the bytes its rows take on disk (heap and TOAST, no indexes), as the statistics have it. */
export interface TableDataSize {
  schema: string;
  name: string;
  bytes: number;
}

export interface TableDataSizes {
  /** The tables of at least the size asked for. */
  tables: TableDataSize[];
  /** The bytes of every other table, together. */
  otherBytes: number;
}

export interface SnapshotSession {
  readonly snapshotId: string;
  readonly server: ServerVersion;
  readServerFacts(): Promise<ServerFacts>;
  /** Whether a restore was loading into the database as the snapshot was taken (pg/restoreTurn.ts). */
  readonly restoreRunning: boolean;
  /** Who that restore is, as far as this role may see. */
  describeRunningRestore(): Promise<string | undefined>;
  /** With `platform`, also what the Supabase profile needs to know about the platform. */
  readCatalog(options?: { platform?: boolean }): Promise<CatalogFacts>;
  /**
   * Bytes on disk of the database and of each of `tables` (indexes and TOAST
   * included), by oid: exact up to `exactUpTo` tables (EXACT_SIZES_UP_TO_TABLES), estimated above.
   */
  readSizes(tables: readonly CatalogTable[], exactUpTo?: number): Promise<Sizes>;
  /** Ordinary tables of at least `minBytes` whose rows pg_dump dumps, with the size of those rows on disk (a parallel backup shares them out), and the other tables' bytes together. */
  readTableDataSizes(minBytes: number): Promise<TableDataSizes>;
  /** Why the server ended the session, if it did (a standby's replay, pg_terminate_backend): pg_dump then finds no snapshot to import. */
  lostReason(): string | undefined;
  /** Ends the session (and its snapshot, which a pg_dump that already imported it keeps); safe to call again. */
  close(): Promise<void>;
}

/** Schemas that are PostgreSQL's own, never the application's. */
const SYSTEM_SCHEMA_FILTER = `n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp\\_%'`;

/** Relations that belong to an extension are recreated by CREATE EXTENSION, not dumped. */
const NOT_EXTENSION_MEMBER = `NOT EXISTS (SELECT 1 FROM pg_depend d
  WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')`;

export interface SessionOptions {
  /** Aborts a connection still being made. */
  signal?: AbortSignal;
  /** How long any of the session's queries waits for a table another session holds (lockWaits.ts). */
  lockTimeoutSeconds: number;
}

export async function openSnapshotSession(target: ConnectionTarget, options: SessionOptions): Promise<SnapshotSession> {
  // A connection that dies mid-backup is reported by pg_dump's own failure (it loses the snapshot).
  const client = await openSession(target, options.signal ? { signal: options.signal } : {});
  const lostReason = rememberEnd(client);
  try {
    // One round trip: pg_dump can start as soon as the snapshot exists, and
    // which pg_dump to start depends only on the server's version. A lock
    // another session holds is waited for at most lockTimeoutSeconds (as
    // pg_dump's own --lock-wait-timeout); a statement_timeout set for the
    // role or database does not apply, as pg_dump does not let it either
    // (nor do the timeouts that end a waiting session: connectClient).
    const [, , , exported] = (await client.query(
      `BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY;
       SET LOCAL lock_timeout = '${Math.round(options.lockTimeoutSeconds * 1000)}ms';
       SET LOCAL statement_timeout = 0;
       SELECT pg_export_snapshot() AS id, current_setting('server_version') AS version, current_setting('server_version_num') AS version_num,
              ${RESTORE_RUNNING_SQL} AS restore_running`,
    )) as unknown as [pg.QueryResult, pg.QueryResult, pg.QueryResult, pg.QueryResult<{ id: string; version: string; version_num: string; restore_running: boolean }>];
    const row = exported.rows[0];
    const server: ServerVersion = { version: row.version.split(' ')[0] ?? row.version, versionNum: Number(row.version_num) };
    return {
      snapshotId: row.id,
      server,
      restoreRunning: row.restore_running,
      describeRunningRestore: () => runningRestore(client),
      readServerFacts: () => readServerFacts(client, server),
      readCatalog: (options) => readCatalog(client, options),
      readSizes: (tables, exactUpTo = EXACT_SIZES_UP_TO_TABLES) => (tables.length > exactUpTo ? estimateSizes(client, tables) : readSizes(client, tables)),
      readTableDataSizes: (minBytes) => readTableDataSizes(client, minBytes),
      lostReason,
      close: endOnce(client),
    };
  } catch (error) {
    await client.end().catch(() => undefined);
    throw describeConnectionError(error, target);
  }
}

async function readServerFacts(client: pg.Client, server: ServerVersion): Promise<ServerFacts> {
  const facts = await client.query<{
    current_user: string;
    is_superuser: boolean;
    marker_schemas: string[] | null;
    marker_roles: string[] | null;
    time_zone: string;
    bytea_output: string;
    lc_monetary: string;
  }>(
    `SELECT current_user AS current_user,
            current_setting('TimeZone') AS time_zone, current_setting('bytea_output') AS bytea_output,
            current_setting('lc_monetary') AS lc_monetary,
            COALESCE((SELECT rolsuper FROM pg_roles WHERE rolname = current_user), false) AS is_superuser,
            ARRAY(SELECT nspname::text FROM pg_namespace WHERE nspname = ANY($1::text[]) ORDER BY 1) AS marker_schemas,
            ARRAY(SELECT rolname::text FROM pg_roles WHERE rolname = $2 ORDER BY 1) AS marker_roles`,
    [SUPABASE_MARKER_SCHEMAS, SUPABASE_MARKER_ROLE],
  );
  const row = facts.rows[0];
  return {
    ...server,
    currentUser: row.current_user,
    isSuperuser: row.is_superuser,
    shape: { schemas: row.marker_schemas ?? [], roles: row.marker_roles ?? [] },
    outputSettings: { timeZone: row.time_zone, byteaOutput: row.bytea_output, lcMonetary: row.lc_monetary },
  };
}

/**
 * From the planner's statistics (pages as of the last VACUUM or ANALYZE), as
 * `pg_dump -j` orders its tables: reading the files' sizes would lock every
 * table, and wait behind any session holding one, before pg_dump even starts.
 * A table never vacuumed nor analyzed counts as empty. Only the tables of at
 * least `minBytes` come back one by one, the others as one sum: this runs
 * before pg_dump starts, and a catalog of thousands of small tables then
 * costs one row, not thousands.
 */
async function readTableDataSizes(client: pg.Client, minBytes: number): Promise<TableDataSizes> {
  const result = await client.query<{ schema: string | null; name: string | null; bytes: string }>(
    `WITH sized AS (
       SELECT n.nspname AS schema, c.relname AS name,
              (c.relpages::bigint + COALESCE(t.relpages, 0)) * current_setting('block_size')::bigint AS bytes
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         LEFT JOIN pg_class t ON t.oid = c.reltoastrelid
        WHERE c.relkind = 'r' AND ${SYSTEM_SCHEMA_FILTER} AND ${NOT_EXTENSION_MEMBER}
     )
     SELECT schema, name, bytes::text FROM sized WHERE bytes >= $1
     UNION ALL
     SELECT NULL, NULL, COALESCE(sum(bytes), 0)::text FROM sized WHERE bytes < $1`,
    [minBytes],
  );
  const tables: TableDataSize[] = [];
  let otherBytes = 0;
  for (const row of result.rows) {
    if (row.schema === null || row.name === null) otherBytes += Number(row.bytes);
    else tables.push({ schema: row.schema, name: row.name, bytes: Number(row.bytes) });
  }
  return { tables, otherBytes };
}

async function readCatalog(client: pg.Client, options: { platform?: boolean } = {}): Promise<CatalogFacts> {
  const relations = await jsonRows<[oid: number, schema: string, name: string, kind: string, populated: boolean]>(
    client,
    `SELECT json_agg(json_build_array(c.oid::bigint, n.nspname, c.relname, c.relkind, c.relispopulated) ORDER BY c.oid, n.nspname)
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r', 'p', 'f', 'm') AND ${SYSTEM_SCHEMA_FILTER} AND ${NOT_EXTENSION_MEMBER}`,
  );
  const edges = await client.query<{ from_schema: string; from_name: string; to_schema: string; to_name: string }>(
    `SELECT fn.nspname AS from_schema, f.relname AS from_name, tn.nspname AS to_schema, t.relname AS to_name
       FROM pg_constraint k
       JOIN pg_class f ON f.oid = k.conrelid JOIN pg_namespace fn ON fn.oid = f.relnamespace
       JOIN pg_class t ON t.oid = k.confrelid JOIN pg_namespace tn ON tn.oid = t.relnamespace
      WHERE k.contype = 'f' AND k.conparentid = 0`,
  );
  const unvalidated = await client.query<{ on: 'table' | 'domain'; schema: string; name: string; constraint: string; definition: string; comment: string | null }>(
    `SELECT CASE WHEN k.contypid <> 0 THEN 'domain' ELSE 'table' END AS on,
            n.nspname AS schema, COALESCE(c.relname, t.typname) AS name, k.conname AS constraint,
            pg_get_constraintdef(k.oid) AS definition, obj_description(k.oid, 'pg_constraint') AS comment
       FROM pg_constraint k
       LEFT JOIN pg_class c ON c.oid = k.conrelid
       LEFT JOIN pg_type t ON t.oid = k.contypid
       JOIN pg_namespace n ON n.oid = COALESCE(c.relnamespace, t.typnamespace)
      WHERE k.contype = 'c' AND NOT k.convalidated AND k.coninhcount = 0 AND ${SYSTEM_SCHEMA_FILTER}
      ORDER BY 2, 3, 4`,
  );
  const counts = await client.query<{ large_objects: string; sequences: string }>(
    `SELECT (SELECT count(*) FROM pg_largeobject_metadata)::text AS large_objects,
            (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
              WHERE c.relkind = 'S' AND ${SYSTEM_SCHEMA_FILTER} AND ${NOT_EXTENSION_MEMBER})::text AS sequences`,
  );

  const tables: CatalogTable[] = [];
  const materializedViews: CatalogFacts['materializedViews'] = [];
  for (const [oid, schema, name, kind, populated] of relations) {
    if (kind === 'm') {
      materializedViews.push({ schema, name, populated });
      continue;
    }
    tables.push({
      oid,
      schema,
      name,
      kind: kind === 'p' ? 'partitioned table' : kind === 'f' ? 'foreign table' : 'table',
      rows: kind === 'r' ? 0 : null,
    });
  }
  const cycles = findForeignKeyCycles(
    edges.rows.map((edge) => ({
      from: qualifiedName(edge.from_schema, edge.from_name),
      to: qualifiedName(edge.to_schema, edge.to_name),
    })),
  );
  const countsRow = counts.rows[0];
  const largeObjects = Number(countsRow.large_objects);
  const largeObjectGrants = largeObjects > 0 ? await readLargeObjectGrants(client) : { count: 0, digest: new MultisetDigest().digest };
  const platform = options.platform ? await readPlatformFacts(client) : undefined;
  return {
    ...(platform ? { platform } : {}),
    tables,
    unvalidatedChecks: unvalidated.rows,
    materializedViews,
    foreignKeyCycles: cycles,
    largeObjects,
    largeObjectGrants,
    sequences: Number(countsRow.sequences),
  };
}

/**
 * One query for every table: pg_total_relation_size opens each table, its
 * indexes and its TOAST table (thousands of them in a big catalog), and
 * pg_database_size reads the size of every file of the database.
 */
async function readSizes(client: pg.Client, tables: readonly CatalogTable[]): Promise<Sizes> {
  const database = await client.query<{ bytes: string }>('SELECT pg_database_size(current_database())::text AS bytes');
  const sizes = await jsonRows<[oid: number, bytes: number | null]>(
    client,
    'SELECT json_agg(json_build_array(t.oid::bigint, pg_total_relation_size(t.oid))) FROM unnest($1::oid[]) AS t(oid)',
    [tables.map((table) => table.oid)],
  );
  // A table dropped since the snapshot has no size left (null): 0.
  return {
    databaseBytes: Number(database.rows[0].bytes),
    tableBytes: new Map(sizes.map(([oid, bytes]) => [oid, bytes ?? 0])),
    estimated: false,
  };
}

/**
 * The sizes of a big catalog, from what the catalog says of its own
 * relations in one set-based read, no file opened: each table's pages, its
 * TOAST table's and those of their indexes (relpages, as the last VACUUM,
 * ANALYZE or CREATE INDEX left it) times the block size; the database's, the
 * pages of all its relations. A table the statistics have never seen
 * (reltuples < 0: never vacuumed nor analyzed, whatever its rows) has no
 * estimate worth the name: its size is read from its files.
 */
async function estimateSizes(client: pg.Client, tables: readonly CatalogTable[]): Promise<Sizes> {
  const sizes = await jsonRows<[oid: number, bytes: number]>(
    client,
    `WITH wanted AS (SELECT c.oid, c.relkind, c.reltuples, c.relpages, c.reltoastrelid
                       FROM unnest($1::oid[]) AS t(oid) JOIN pg_class c ON c.oid = t.oid),
          parts AS (SELECT w.oid AS owner, w.relpages FROM wanted w
                    UNION ALL
                    SELECT w.oid, r.relpages FROM wanted w JOIN pg_class r ON r.oid = w.reltoastrelid
                    UNION ALL
                    SELECT w.oid, x.relpages FROM wanted w
                      JOIN pg_index i ON i.indrelid IN (w.oid, w.reltoastrelid) JOIN pg_class x ON x.oid = i.indexrelid)
     SELECT json_agg(json_build_array(w.oid::bigint,
              CASE WHEN w.relkind = 'r' AND w.reltuples < 0 THEN pg_total_relation_size(w.oid)
                   ELSE p.pages * current_setting('block_size')::bigint END))
       FROM wanted w
       JOIN (SELECT owner, sum(GREATEST(relpages, 0))::bigint AS pages FROM parts GROUP BY owner) p ON p.owner = w.oid`,
    [tables.map((table) => table.oid)],
  );
  const database = await client.query<{ bytes: string }>(
    `SELECT (sum(GREATEST(relpages, 0))::bigint * current_setting('block_size')::bigint)::text AS bytes
       FROM pg_class WHERE relkind IN ('r', 'i', 't', 'm', 'S') AND NOT relisshared`,
  );
  return {
    databaseBytes: Number(database.rows[0].bytes ?? 0),
    tableBytes: new Map(sizes),
    estimated: true,
  };
}

/** The Supabase profile's view of the platform: its schemas, and what the application attached to them. */
export async function readPlatformFacts(client: pg.Client): Promise<PlatformFacts> {
  const schemas = await client.query<{ name: string }>(
    `SELECT n.nspname AS name FROM pg_namespace n
      WHERE n.nspname = ANY($1::text[])
         OR EXISTS (SELECT 1 FROM unnest($2::text[]) AS prefix WHERE left(n.nspname, length(prefix)) = prefix)
         OR EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_namespace'::regclass AND d.objid = n.oid AND d.deptype = 'e')
      ORDER BY 1`,
    [SUPABASE_PLATFORM_SCHEMAS, SUPABASE_PLATFORM_SCHEMA_PREFIXES],
  );
  const platformSchemas = schemas.rows.map((row) => row.name);
  const triggers = await client.query<{ schema: string; table: string; trigger: string; function_schema: string }>(
    `SELECT n.nspname AS schema, c.relname AS table, t.tgname AS trigger, fn.nspname AS function_schema
       FROM pg_trigger t
       JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_proc f ON f.oid = t.tgfoid JOIN pg_namespace fn ON fn.oid = f.pronamespace
      WHERE NOT t.tgisinternal AND n.nspname = ANY($1::text[])
      ORDER BY 1, 2, 3`,
    [platformSchemas],
  );
  const eventTriggers = await client.query<{ name: string; function_schema: string }>(
    `SELECT e.evtname AS name, fn.nspname AS function_schema
       FROM pg_event_trigger e JOIN pg_proc f ON f.oid = e.evtfoid JOIN pg_namespace fn ON fn.oid = f.pronamespace ORDER BY 1`,
  );
  const sequences = await client.query<{ schema: string; name: string; table_schema: string; table: string }>(
    // Owned by a column (serial, identity), or only named in a column's
    // default, as pg_cron's jobid_seq is: either way its value goes with the rows.
    `SELECT DISTINCT sn.nspname AS schema, s.relname AS name, tn.nspname AS table_schema, t.relname AS table
       FROM pg_class s JOIN pg_namespace sn ON sn.oid = s.relnamespace
       JOIN (SELECT d.objid AS sequence, d.refobjid AS table_oid FROM pg_depend d
              WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')
             UNION ALL
             SELECT d.refobjid, a.adrelid FROM pg_depend d JOIN pg_attrdef a ON a.oid = d.objid
              WHERE d.classid = 'pg_attrdef'::regclass AND d.refclassid = 'pg_class'::regclass) uses ON uses.sequence = s.oid
       JOIN pg_class t ON t.oid = uses.table_oid JOIN pg_namespace tn ON tn.oid = t.relnamespace
      WHERE s.relkind = 'S' AND sn.nspname = ANY($1::text[])
      ORDER BY 1, 2`,
    [platformSchemas],
  );
  return {
    platformSchemas,
    triggersOnPlatformTables: triggers.rows.map((row) => ({ schema: row.schema, table: row.table, trigger: row.trigger, functionSchema: row.function_schema })),
    eventTriggers: eventTriggers.rows.map((row) => ({ name: row.name, functionSchema: row.function_schema })),
    platformSequences: sequences.rows.map((row) => ({ schema: row.schema, name: row.name, tableSchema: row.table_schema, table: row.table })),
  };
}
