/**
 * A parallel restore (parallel.ts) is not one transaction, so it only goes
 * into a database with nothing of its own, and a failure makes it so again.
 * "Nothing of its own": no object made after initdb (an object id of 16384
 * or more, PostgreSQL's first for user objects) in any catalog a dump
 * creates into, besides the `public` schema itself. Emptying drops every
 * such object and puts `public`'s owner, grants and comment back.
 */
import type pg from 'pg';
import { quoteIdentifier, quoteLiteral } from '../sql';
import { isLockTimeout } from '../pg/lockWaits';

/** The first object id PostgreSQL gives an object made after initdb (FirstNormalObjectId). */
const FIRST_USER_OID = 16384;

/** What `public` was before the restore: what emptying puts back. */
export interface PublicSchemaState {
  owner: string;
  /** aclexplode rows: grantee ('' for PUBLIC), privilege, grantable. */
  grants: { grantee: string; privilege: string; grantable: boolean }[];
  comment: string | null;
}

/** Kinds of object a database has of its own, counted (empty when it has none). */
export async function userObjects(client: pg.Client): Promise<{ kind: string; count: number }[]> {
  const catalogs: [string, string][] = [
    ['schema', `pg_namespace WHERE nspname <> 'public' AND nspname !~ '^pg_(toast_)?temp_'`],
    ['relation', `pg_class WHERE relnamespace NOT IN (SELECT oid FROM pg_namespace WHERE nspname ~ '^pg_(toast_)?temp_')`],
    ['function', 'pg_proc'],
    // Neither a relation's own row type nor an array type (which come with their type or relation).
    [
      'type',
      `pg_type t WHERE typrelid = 0 AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_type e WHERE e.typarray = t.oid) AND typnamespace NOT IN (SELECT oid FROM pg_namespace WHERE nspname ~ '^pg_(toast_)?temp_')`,
    ],
    ['extension', 'pg_extension'],
    ['large object', 'pg_largeobject_metadata'],
    ['event trigger', 'pg_event_trigger'],
    ['publication', 'pg_publication'],
    ['foreign-data wrapper', 'pg_foreign_data_wrapper'],
    ['foreign server', 'pg_foreign_server'],
    ['language', 'pg_language'],
    ['cast', 'pg_cast'],
    ['collation', 'pg_collation'],
    ['operator', 'pg_operator'],
    ['operator family', 'pg_opfamily'],
    ['text search configuration', 'pg_ts_config'],
    ['text search dictionary', 'pg_ts_dict'],
    ['conversion', 'pg_conversion'],
    ['access method', 'pg_am'],
    ['default privileges', 'pg_default_acl'],
  ];
  const query = catalogs
    .map(
      ([kind, from]) =>
        `SELECT '${kind}' AS kind, count(*)::int AS count FROM pg_catalog.${from} ${from.includes(' WHERE ') ? 'AND' : 'WHERE'} ${from.startsWith('pg_type t ') ? 't.' : ''}oid >= ${FIRST_USER_OID}`,
    )
    .join('\nUNION ALL\n');
  const result = await client.query<{ kind: string; count: number }>(query);
  return result.rows.filter((row) => row.count > 0);
}

/** "3 relations, 1 schema": what userObjects found, in words. */
export function describeUserObjects(found: readonly { kind: string; count: number }[]): string {
  return found.map((row) => `${row.count} ${row.count === 1 || row.kind === 'default privileges' ? row.kind : `${row.kind}s`}`).join(', ');
}

export async function publicSchemaState(client: pg.Client): Promise<PublicSchemaState | undefined> {
  const schema = await client.query<{ owner: string; comment: string | null }>(
    `SELECT pg_catalog.pg_get_userbyid(nspowner) AS owner, pg_catalog.obj_description(oid, 'pg_namespace') AS comment FROM pg_catalog.pg_namespace WHERE nspname = 'public'`,
  );
  if (schema.rows.length === 0) return undefined;
  return { ...schema.rows[0], grants: await publicGrants(client) };
}

async function publicGrants(client: pg.Client): Promise<PublicSchemaState['grants']> {
  const grants = await client.query<{ grantee: string; privilege: string; grantable: boolean }>(
    `SELECT CASE WHEN a.grantee = 0 THEN '' ELSE pg_catalog.pg_get_userbyid(a.grantee) END AS grantee, a.privilege_type AS privilege, a.is_grantable AS grantable
       FROM pg_catalog.pg_namespace n, pg_catalog.aclexplode(COALESCE(n.nspacl, pg_catalog.acldefault('n', n.nspowner))) a
      WHERE n.nspname = 'public' ORDER BY 1, 2`,
  );
  return grants.rows;
}

/**
 * Drops every object of the database's own (see userObjects) and puts
 * `public` back as it was; returns what is left (empty when all went).
 * Each drop is its own statement and may fail while something it needs
 * still stands (an extension's member): the rounds repeat while they help.
 * A drop that another session's lock holds back past the session's
 * lock_timeout ends them: the rest would wait as long.
 */
export async function emptyAgain(client: pg.Client, before: PublicSchemaState | undefined): Promise<{ left: { kind: string; count: number }[]; heldBack: boolean }> {
  let held = false;
  for (let round = 0; round < 4 && !held; round += 1) {
    const drops = await client.query<{ statement: string }>(
      `WITH own AS (
         SELECT 'pg_extension'::regclass AS classid, oid AS objid FROM pg_catalog.pg_extension WHERE oid >= ${FIRST_USER_OID}
         UNION ALL SELECT 'pg_event_trigger'::regclass, oid FROM pg_catalog.pg_event_trigger WHERE oid >= ${FIRST_USER_OID}
         UNION ALL SELECT 'pg_publication'::regclass, oid FROM pg_catalog.pg_publication WHERE oid >= ${FIRST_USER_OID}
         UNION ALL SELECT 'pg_namespace'::regclass, oid FROM pg_catalog.pg_namespace WHERE oid >= ${FIRST_USER_OID} AND nspname <> 'public' AND nspname !~ '^pg_(toast_)?temp_'
         UNION ALL SELECT d.classid, d.objid FROM pg_catalog.pg_depend d
          WHERE d.refclassid = 'pg_namespace'::regclass AND d.refobjid = (SELECT oid FROM pg_catalog.pg_namespace WHERE nspname = 'public') AND d.deptype = 'n'
         UNION ALL SELECT 'pg_cast'::regclass, oid FROM pg_catalog.pg_cast WHERE oid >= ${FIRST_USER_OID}
         UNION ALL SELECT 'pg_foreign_data_wrapper'::regclass, oid FROM pg_catalog.pg_foreign_data_wrapper WHERE oid >= ${FIRST_USER_OID}
         UNION ALL SELECT 'pg_language'::regclass, oid FROM pg_catalog.pg_language WHERE oid >= ${FIRST_USER_OID}
         UNION ALL SELECT 'pg_am'::regclass, oid FROM pg_catalog.pg_am WHERE oid >= ${FIRST_USER_OID}
       )
       SELECT 'DROP ' || CASE i.type WHEN 'composite type' THEN 'TYPE' WHEN 'foreign-data wrapper' THEN 'FOREIGN DATA WRAPPER' ELSE upper(i.type) END
              || ' IF EXISTS ' || i.identity || ' CASCADE' AS statement
         FROM own, LATERAL pg_catalog.pg_identify_object(own.classid, own.objid, 0) i
        ORDER BY own.classid = 'pg_extension'::regclass DESC, own.classid = 'pg_namespace'::regclass DESC`,
    );
    const largeObjects = await client.query<{ count: string }>('SELECT count(*)::text AS count FROM pg_catalog.pg_largeobject_metadata');
    if (drops.rows.length === 0 && largeObjects.rows[0].count === '0') break;
    for (const { statement } of drops.rows) {
      try {
        await client.query(statement);
      } catch (error) {
        // Another session holds what it would drop (the session's lock_timeout): the next drops would wait as long; what is left is said.
        if (isLockTimeout(error)) {
          held = true;
          break;
        }
      }
    }
    if (held) break;
    // Large objects have no DROP: every one is the restore's (the target had none).
    await client.query('SELECT pg_catalog.lo_unlink(oid) FROM pg_catalog.pg_largeobject_metadata').catch(() => undefined);
  }
  if (before) await putPublicBack(client, before).catch(() => undefined);
  const left = await userObjects(client);
  const now = before ? await publicSchemaState(client) : undefined;
  if (before && now && JSON.stringify(now) !== JSON.stringify(before)) left.push({ kind: "change to schema public's owner, grants or comment", count: 1 });
  return { left, heldBack: held };
}

/** The owner, grants and comment `public` had before (a dump may change any of them). */
async function putPublicBack(client: pg.Client, before: PublicSchemaState): Promise<void> {
  const now = await publicSchemaState(client);
  if (!now || JSON.stringify(now) === JSON.stringify(before)) return;
  const role = (name: string) => (name === '' ? 'PUBLIC' : quoteIdentifier(name));
  if (now.owner !== before.owner) await client.query(`ALTER SCHEMA public OWNER TO ${role(before.owner)}`);
  if (JSON.stringify(now.grants) !== JSON.stringify(before.grants)) {
    for (const grantee of new Set(now.grants.map((grant) => grant.grantee))) await client.query(`REVOKE ALL ON SCHEMA public FROM ${role(grantee)} CASCADE`);
    for (const grant of before.grants) {
      await client.query(`GRANT ${grant.privilege} ON SCHEMA public TO ${role(grant.grantee)}${grant.grantable ? ' WITH GRANT OPTION' : ''}`);
    }
  }
  if (now.comment !== before.comment) await client.query(`COMMENT ON SCHEMA public IS ${before.comment === null ? 'NULL' : quoteLiteral(before.comment)}`);
}
