/**
 * The session of a read-back: one read-only transaction whose snapshot it
 * exports, so pg_dump (the schema) and psql (the rows) read the same moment
 * it does, and in which it reads what is cheaper to ask than to dump: which
 * of the set's tables are there with which columns (and their primary
 * keys), the sequences' values, which materialized views are populated, how
 * many large objects there are, and what a Supabase profile needs to know
 * of the platform.
 */
import type pg from 'pg';
import { LARGE_OBJECTS_PER_QUERY, LargeObjectDigest } from '../backup/largeObjectDigest';
import { type ConnectionTarget } from '../connection/target';
import { describeConnectionError } from '../connection/failures';
import { endOnce, openSession, rememberEnd } from '../connection/session';
import { type ManifestSequenceValue } from '../sets/manifest';
import { qualifiedName } from '../format';
import type { PlatformFacts } from '../backup/profile';
import { readPlatformFacts } from '../backup/snapshot';
import { qualifiedIdentifier } from '../sql';
import { PulseError } from '../errors';

export interface ReadSession {
  readonly client: pg.Client;
  readonly snapshotId: string;
  /** Why the server ended the session, if it did (a standby's replay, pg_terminate_backend). */
  lostReason(): string | undefined;
  close(): Promise<void>;
}

/**
 * Opens the session and its snapshot; a lock another session holds is
 * waited for at most `lockTimeoutSeconds`. `connected` is a session to the
 * same database opened beforehand (a proof connects while its files load),
 * which becomes this one and closes with it.
 */
export async function openReadSession(
  target: ConnectionTarget,
  options: { lockTimeoutSeconds?: number; signal?: AbortSignal; connected?: Promise<pg.Client> } = {},
): Promise<ReadSession> {
  let client: pg.Client;
  try {
    client = await (options.connected ?? openSession(target, options.signal ? { signal: options.signal } : {}));
  } catch (error) {
    if (options.signal?.aborted) throw new PulseError('cancelled', 'cancelled');
    throw error;
  }
  const lostReason = rememberEnd(client);
  try {
    const results = (await client.query(
      `BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY;
       SET LOCAL lock_timeout = '${Math.round((options.lockTimeoutSeconds ?? 0) * 1000)}ms';
       SET LOCAL statement_timeout = 0;
       SET LOCAL search_path = '';
       SELECT pg_catalog.pg_export_snapshot() AS id`,
    )) as unknown as pg.QueryResult<{ id: string }>[];
    const snapshotId = results[results.length - 1].rows[0].id;
    return { client, snapshotId, lostReason, close: endOnce(client) };
  } catch (error) {
    await client.end().catch(() => undefined);
    throw describeConnectionError(error, target);
  }
}

/** A table as the database has it now. */
export interface ObservedTable {
  /** Its columns that are not dropped, in order; generated ones marked. */
  columns: string[];
  generated: string[];
  /** Its primary key's columns, or those of a unique index over NOT NULL columns; empty when it has neither. */
  key: string[];
}

export interface ObservedFacts {
  /** By qualified name ("public.users"); undefined: not there. */
  tables: Map<string, ObservedTable | undefined>;
  /** By qualified name; null when this role may not read it. */
  sequences: Map<string, { value: string; called: boolean } | null>;
  /** Materialized views by qualified name: populated or not; absent: not there. */
  materializedViews: Map<string, boolean>;
  largeObjects: number;
  platform?: PlatformFacts;
}

export interface WantedFacts {
  tables: readonly { schema: string; name: string }[];
  sequences: readonly Pick<ManifestSequenceValue, 'schema' | 'name'>[];
  platform: boolean;
}

export async function readFacts(client: pg.Client, wanted: WantedFacts): Promise<ObservedFacts> {
  const tables = await client.query<{ schema: string; name: string; columns: string[] | null; generated: string[] | null; key: string[] | null }>(
    `SELECT w.schema, w.name,
            (SELECT pg_catalog.array_agg(a.attname::text ORDER BY a.attnum) FROM pg_catalog.pg_attribute a
              WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped) AS columns,
            (SELECT pg_catalog.array_agg(a.attname::text ORDER BY a.attnum) FROM pg_catalog.pg_attribute a
              WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated <> '') AS generated,
            (SELECT pg_catalog.array_agg(a.attname::text ORDER BY k.ordinality)
               FROM (SELECT i.indkey FROM pg_catalog.pg_index i
                      WHERE i.indrelid = c.oid AND i.indisunique AND i.indpred IS NULL AND i.indexprs IS NULL
                        AND NOT EXISTS (SELECT 1 FROM pg_catalog.unnest(i.indkey::int2[]) col
                                         JOIN pg_catalog.pg_attribute na ON na.attrelid = c.oid AND na.attnum = col WHERE NOT na.attnotnull)
                      ORDER BY i.indisprimary DESC, i.indnatts, i.indexrelid LIMIT 1) best
               CROSS JOIN LATERAL pg_catalog.unnest(best.indkey::int2[]) WITH ORDINALITY AS k(attnum, ordinality)
               JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum) AS key
       FROM unnest($1::text[], $2::text[]) AS w(schema, name)
       LEFT JOIN pg_catalog.pg_namespace n ON n.nspname = w.schema
       LEFT JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid AND c.relname = w.name AND c.relkind IN ('r', 'p', 'f', 'm')`,
    [wanted.tables.map((table) => table.schema), wanted.tables.map((table) => table.name)],
  );
  const facts: ObservedFacts = { tables: new Map(), sequences: new Map(), materializedViews: new Map(), largeObjects: 0 };
  for (const row of tables.rows) {
    facts.tables.set(qualifiedName(row.schema, row.name), row.columns ? { columns: row.columns, generated: row.generated ?? [], key: row.key ?? [] } : undefined);
  }
  // The set names a sequence as pg_dump's entry header does, its line breaks as spaces (headerName): matched so, read by its own name.
  const readable = await client.query<{ schema: string; name: string; oid: string | null; may: boolean | null; real_schema: string; real_name: string }>(
    `SELECT w.schema, w.name, c.oid::text AS oid, pg_catalog.has_sequence_privilege(c.oid, 'SELECT') AS may, n.nspname AS real_schema, c.relname AS real_name
       FROM unnest($1::text[], $2::text[]) AS w(schema, name)
       LEFT JOIN pg_catalog.pg_namespace n ON pg_catalog.translate(n.nspname, E'\\n\\r', '  ') = w.schema
       LEFT JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid AND pg_catalog.translate(c.relname, E'\\n\\r', '  ') = w.name AND c.relkind = 'S'`,
    [wanted.sequences.map((sequence) => sequence.schema), wanted.sequences.map((sequence) => sequence.name)],
  );
  const allowed = readable.rows.filter((row) => row.oid !== null && row.may);
  for (const row of readable.rows) if (row.oid !== null && !row.may) facts.sequences.set(qualifiedName(row.schema, row.name), null);
  if (allowed.length > 0) {
    const union = allowed
      .map((row, index) => `SELECT ${index} AS i, last_value::text AS value, is_called AS called FROM ${qualifiedIdentifier(row.real_schema, row.real_name)}`)
      .join(' UNION ALL ');
    const values = await client.query<{ i: number; value: string; called: boolean }>(union);
    for (const value of values.rows) {
      const row = allowed[value.i];
      facts.sequences.set(qualifiedName(row.schema, row.name), { value: value.value, called: value.called });
    }
  }
  const views = await client.query<{ schema: string; name: string; populated: boolean }>(
    `SELECT schemaname::text AS schema, matviewname::text AS name, ispopulated AS populated FROM pg_catalog.pg_matviews`,
  );
  for (const view of views.rows) facts.materializedViews.set(qualifiedName(view.schema, view.name), view.populated);
  const objects = await client.query<{ count: string }>('SELECT pg_catalog.count(*)::text AS count FROM pg_catalog.pg_largeobject_metadata');
  facts.largeObjects = Number(objects.rows[0].count);
  if (wanted.platform) facts.platform = await readPlatformFacts(client);
  return facts;
}

/** The database's large objects as their digest (largeObjectDigest.ts): each one's OID, owner and the SHA-256 of its content, read in batches. */
export async function readLargeObjectDigest(client: pg.Client): Promise<LargeObjectDigest> {
  const digest = new LargeObjectDigest();
  let after = '0';
  for (;;) {
    const batch = await client.query<{ oid: string; owner: string; sha256: string }>(
      `SELECT oid::text AS oid, pg_catalog.pg_get_userbyid(lomowner)::text AS owner, pg_catalog.encode(pg_catalog.sha256(pg_catalog.lo_get(oid)), 'hex') AS sha256
         FROM pg_catalog.pg_largeobject_metadata WHERE oid > $1::oid ORDER BY oid LIMIT ${LARGE_OBJECTS_PER_QUERY}`,
      [after],
    );
    for (const row of batch.rows) digest.addObject(row.oid, row.owner, row.sha256);
    if (batch.rows.length < LARGE_OBJECTS_PER_QUERY) return digest;
    after = batch.rows[batch.rows.length - 1].oid;
  }
}
