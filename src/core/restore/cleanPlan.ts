/**
 * What `restore --clean` replaces, and the promise it keeps: what the backup
 * holds is dropped and recreated, with everything that depends on it inside
 * the backup (functions on a table's row type, rules, views on views,
 * policies, triggers, partitions, children, domains, publications); an
 * object outside the backup that depends on it stops the restore before
 * anything changes, named with its kind.
 *
 * The catalog answers both questions in one query: it finds the backup's
 * objects in the target, follows pg_depend from them exactly as DROP …
 * CASCADE would (dependents, and the owners of internal parts: a view for
 * its rule, a table for its row type), and keeps what nothing of the backup
 * covers — an object that is neither one of the backup's, nor part of one
 * (a column, index, constraint, trigger, rule, policy, default, row type),
 * nor a part the backup recreates on a table it keeps (a Supabase app's
 * trigger on auth.users). The drops then use CASCADE, and the same query
 * runs again inside the restore's transaction, after its locks are held and
 * before the first DROP, so a dependent created in the meantime fails the
 * restore instead of being dropped.
 */
import type pg from 'pg';
import type { DumpEntry } from '../verify/dumpScan';
import { dollarTag } from '../sql';
import { FIND_OBJECTS_SQL, WANTED_OBJECTS_SQL, objectsJson, splitOnTableName, type DumpObject, type ExistingObject } from './target';

/** A part of a table that the backup recreates, found by the table it is on. */
export interface RecreatedPart {
  type: 'TRIGGER' | 'POLICY' | 'RULE' | 'PUBLICATION TABLE' | 'PUBLICATION TABLES IN SCHEMA';
  schema: string;
  /** The table (for a publication membership, the table added to it). */
  table: string;
  /** The trigger, policy or rule (for a publication membership, the publication). */
  name: string;
}

/** An object outside the backup that depends on one of the backup's objects in the target. */
export interface OutsideDependent {
  /** As PostgreSQL describes it: "view public.report", "constraint audit_user_fkey on table public.audit". */
  description: string;
  /** What it depends on, when that is one of the backup's objects: "table public.users". */
  dependsOn: string | null;
  /** For a data --clean: the statement that takes it out of the way ("ALTER TABLE public.audit DROP CONSTRAINT audit_user_fkey;"). */
  release?: string;
  /** For a data --clean: a partition or inheritance child, which TRUNCATE would empty with its parent (not a foreign key). */
  child?: boolean;
}

export interface CleanCheck {
  /** Objects outside the backup that the drops would take with them: the restore must stop. */
  outside: OutsideDependent[];
  /**
   * Everything the drops remove: tables, indexes, sequences and views, and
   * their row types, constraints, defaults, rules and triggers. Each holds
   * a lock until COMMIT (the server locks every object it deletes).
   */
  objectsDropped: number;
}

const PART_TYPES = new Set(['TRIGGER', 'POLICY', 'RULE', 'PUBLICATION TABLE', 'PUBLICATION TABLES IN SCHEMA']);

/** The parts of tables the dump recreates, from its TRIGGER, POLICY, RULE and publication membership entries. */
export function recreatedParts(entries: readonly DumpEntry[]): RecreatedPart[] {
  return entries.flatMap((entry): RecreatedPart[] => {
    if (!PART_TYPES.has(entry.type)) return [];
    const parts = splitOnTableName(entry.name);
    if (!parts) return [];
    const type = entry.type as RecreatedPart['type'];
    // "supabase_realtime posts": the publication first, then the table (or, for a schema's tables, the schema).
    return [
      type.startsWith('PUBLICATION') ? { type, schema: entry.schema, table: parts.name, name: parts.table } : { type, schema: entry.schema, table: parts.table, name: parts.name },
    ];
  });
}

/**
 * The object a catalog object is part of, if any: its internal owner first
 * (pg_depend's 'i': a view for its rule, a constraint for its index or
 * triggers, a table for its row type or identity sequence, an element type
 * for its array type, a range for its multirange), else the table or domain
 * it is on (an index's, constraint's, trigger's, rule's, policy's,
 * default's, statistics' or publication membership's). `x` is the object
 * (classid, objid). Every branch is an index lookup: this runs once for
 * each object the drops reach.
 */
/** Catalogs of things that are part of one table, and the column naming it. */
const PARTS_ON_TABLES: readonly [catalog: string, column: string][] = [
  ['pg_trigger', 'tgrelid'],
  ['pg_rewrite', 'ev_class'],
  ['pg_policy', 'polrelid'],
  ['pg_attrdef', 'adrelid'],
  ['pg_statistic_ext', 'stxrelid'],
  ['pg_publication_rel', 'prrelid'],
];

/**
 * PostgreSQL 15 added schemas to publications (pg_publication_namespace):
 * on an older server the catalog does not exist, and a query naming it
 * fails whether or not its branch is reached, so it is left out there.
 */
const PUBLICATION_SCHEMAS_SINCE = 150000;

const parentSql = (publicationSchemas: boolean) => `
  SELECT 0 AS priority, d.refclassid AS classid, d.refobjid AS objid FROM pg_catalog.pg_depend d
   WHERE d.classid = x.classid AND d.objid = x.objid AND d.deptype = 'i'
  UNION ALL SELECT 1, 'pg_catalog.pg_class'::pg_catalog.regclass, i.indrelid FROM pg_catalog.pg_index i
   WHERE x.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND i.indexrelid = x.objid
  UNION ALL SELECT 1, CASE WHEN k.conrelid <> 0 THEN 'pg_catalog.pg_class'::pg_catalog.regclass ELSE 'pg_catalog.pg_type'::pg_catalog.regclass END,
                   CASE WHEN k.conrelid <> 0 THEN k.conrelid ELSE k.contypid END
    FROM pg_catalog.pg_constraint k WHERE x.classid = 'pg_catalog.pg_constraint'::pg_catalog.regclass AND k.oid = x.objid AND (k.conrelid <> 0 OR k.contypid <> 0)
${PARTS_ON_TABLES.map(
  ([catalog, column]) => `
  UNION ALL SELECT 1, 'pg_catalog.pg_class'::pg_catalog.regclass, p.${column} FROM pg_catalog.${catalog} p
   WHERE x.classid = 'pg_catalog.${catalog}'::pg_catalog.regclass AND p.oid = x.objid`,
).join('')}

  UNION ALL SELECT 1, 'pg_catalog.pg_opfamily'::pg_catalog.regclass, m.amopfamily FROM pg_catalog.pg_amop m
   WHERE x.classid = 'pg_catalog.pg_amop'::pg_catalog.regclass AND m.oid = x.objid
  UNION ALL SELECT 1, 'pg_catalog.pg_opfamily'::pg_catalog.regclass, m.amprocfamily FROM pg_catalog.pg_amproc m
   WHERE x.classid = 'pg_catalog.pg_amproc'::pg_catalog.regclass AND m.oid = x.objid
${
  publicationSchemas
    ? `  UNION ALL SELECT 1, 'pg_catalog.pg_publication'::pg_catalog.regclass, m.pnpubid FROM pg_catalog.pg_publication_namespace m
   WHERE x.classid = 'pg_catalog.pg_publication_namespace'::pg_catalog.regclass AND m.oid = x.objid
`
    : ''
}  -- A shell operator that CREATE OPERATOR made as another's commutator or negator comes back with it.
  UNION ALL SELECT 1, 'pg_catalog.pg_operator'::pg_catalog.regclass, o.oid FROM pg_catalog.pg_operator o
   WHERE x.classid = 'pg_catalog.pg_operator'::pg_catalog.regclass AND (o.oprcom = x.objid OR o.oprnegate = x.objid) AND o.oid <> x.objid
     AND (SELECT shell.oprcode::pg_catalog.oid FROM pg_catalog.pg_operator shell WHERE shell.oid = x.objid) = 0
  ORDER BY 1 LIMIT 1`;

/** The parts (JSON in $2) found in the catalog. */
const partsSql = (publicationSchemas: boolean) => `
  SELECT 'pg_catalog.pg_trigger'::pg_catalog.regclass AS classid, t.oid AS objid
    FROM given g JOIN pg_catalog.pg_trigger t ON t.tgrelid = g.relation AND t.tgname = g.name WHERE g.type = 'TRIGGER'
  UNION ALL SELECT 'pg_catalog.pg_policy'::pg_catalog.regclass, p.oid
    FROM given g JOIN pg_catalog.pg_policy p ON p.polrelid = g.relation AND p.polname = g.name WHERE g.type = 'POLICY'
  UNION ALL SELECT 'pg_catalog.pg_rewrite'::pg_catalog.regclass, r.oid
    FROM given g JOIN pg_catalog.pg_rewrite r ON r.ev_class = g.relation AND r.rulename = g.name WHERE g.type = 'RULE'
  UNION ALL SELECT 'pg_catalog.pg_publication_rel'::pg_catalog.regclass, m.oid
    FROM given g JOIN pg_catalog.pg_publication p ON p.pubname = g.name JOIN pg_catalog.pg_publication_rel m ON m.prpubid = p.oid AND m.prrelid = g.relation
   WHERE g.type = 'PUBLICATION TABLE'${
     publicationSchemas
       ? `
  UNION ALL SELECT 'pg_catalog.pg_publication_namespace'::pg_catalog.regclass, m.oid
    FROM given g JOIN pg_catalog.pg_publication p ON p.pubname = g.name JOIN pg_catalog.pg_publication_namespace m ON m.pnpubid = p.oid AND m.pnnspid = g.namespace
   WHERE g.type = 'PUBLICATION TABLES IN SCHEMA'`
       : ''
   }`;

/**
 * The closure and what nothing of the backup covers. $1: the backup's
 * objects, $2: the parts it recreates, both JSON. Run with an empty
 * search_path (function signatures are matched as pg_dump writes them).
 * One row: {"outside": [{description, dependsOn}], "objectsDropped": n}.
 */
export const cleanCheckSql = (serverVersionNum: number): string => {
  const publicationSchemas = serverVersionNum >= PUBLICATION_SCHEMAS_SINCE;
  return `
WITH RECURSIVE
wanted AS (${WANTED_OBJECTS_SQL}),
found AS (${FIND_OBJECTS_SQL}),
dropped AS (SELECT DISTINCT classid::pg_catalog.oid AS classid, objid FROM found WHERE kind NOT IN ('schema', 'large object')),
given AS (
  SELECT g.type, g.name, n.oid AS namespace, c.oid AS relation
    FROM pg_catalog.jsonb_to_recordset($2::pg_catalog.jsonb) AS g(type text, schema text, "table" text, name text)
    JOIN pg_catalog.pg_namespace n ON n.nspname = g.schema
    LEFT JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid AND c.relname = g."table"
),
parts AS (SELECT classid::pg_catalog.oid AS classid, objid FROM (${partsSql(publicationSchemas)}) p),
closure(classid, objid, objsubid) AS (
  SELECT classid, objid, 0 FROM dropped
  UNION
  SELECT step.classid, step.objid, step.objsubid FROM closure c CROSS JOIN LATERAL (
    SELECT d.classid, d.objid, d.objsubid FROM pg_catalog.pg_depend d
     WHERE c.objsubid = 0 AND d.refclassid = c.classid AND d.refobjid = c.objid AND d.deptype NOT IN ('e', 'x')
    UNION ALL
    SELECT d.refclassid, d.refobjid, 0 FROM pg_catalog.pg_depend d
     WHERE d.classid = c.classid AND d.objid = c.objid AND d.deptype = 'i'
  ) step
),
lineage(classid, objid, objsubid, at_classid, at_objid) AS (
  SELECT classid, objid, objsubid, classid, objid FROM closure
  UNION
  SELECT l.classid, l.objid, l.objsubid, up.classid, up.objid
    FROM lineage l CROSS JOIN LATERAL (
      SELECT parent.classid::pg_catalog.oid AS classid, parent.objid
        FROM (SELECT l.at_classid AS classid, l.at_objid AS objid) x CROSS JOIN LATERAL (${parentSql(publicationSchemas)}) parent
    ) up
),
covered AS (
  SELECT l.classid, l.objid, l.objsubid FROM lineage l JOIN dropped d ON d.classid = l.at_classid AND d.objid = l.at_objid
  UNION
  SELECT l.classid, l.objid, l.objsubid FROM lineage l JOIN parts p ON p.classid = l.at_classid AND p.objid = l.at_objid
),
outside AS (
  SELECT classid, objid, objsubid FROM closure EXCEPT SELECT classid, objid, objsubid FROM covered
),
outermost AS (
  -- A view, not also its rule or its columns: a part of something outside is named by that.
  SELECT o.* FROM outside o
   WHERE NOT EXISTS (SELECT 1 FROM lineage l JOIN outside p ON p.classid = l.at_classid AND p.objid = l.at_objid AND p.objsubid = 0
                      WHERE l.classid = o.classid AND l.objid = o.objid AND l.objsubid = o.objsubid
                        AND NOT (l.at_classid = o.classid AND l.at_objid = o.objid AND o.objsubid = 0))
)
SELECT pg_catalog.jsonb_build_object(
  'outside', coalesce((
    SELECT pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object('description', description, 'dependsOn', depends_on) ORDER BY description)
      FROM (SELECT pg_catalog.pg_describe_object(o.classid, o.objid, o.objsubid) AS description,
                   (SELECT pg_catalog.pg_describe_object(d.refclassid, d.refobjid, 0)
                      FROM pg_catalog.pg_depend d
                      JOIN closure k ON k.classid = d.refclassid AND k.objid = d.refobjid AND k.objsubid = 0
                     WHERE NOT EXISTS (SELECT 1 FROM lineage l WHERE l.classid = d.refclassid AND l.objid = d.refobjid
                                          AND l.at_classid = o.classid AND l.at_objid = o.objid)
                       AND CASE WHEN o.objsubid <> 0
                                THEN d.classid = o.classid AND d.objid = o.objid AND d.objsubid = o.objsubid
                                ELSE EXISTS (SELECT 1 FROM lineage l WHERE l.classid = d.classid AND l.objid = d.objid
                                                AND l.at_classid = o.classid AND l.at_objid = o.objid) END
                     -- One of the backup's objects first, and what the whole object itself depends on before what a part or a
                     -- column of it does (a partition is on its table, not on the sequence its column default inherited).
                     ORDER BY EXISTS (SELECT 1 FROM dropped p WHERE p.classid = d.refclassid AND p.objid = d.refobjid) DESC,
                              (d.classid = o.classid AND d.objid = o.objid AND d.objsubid = 0) DESC, 1
                     LIMIT 1) AS depends_on
              FROM outermost o) named), '[]'::pg_catalog.jsonb),
  'objectsDropped', (SELECT count(*) FROM closure WHERE objsubid = 0)
) AS result`;
};

/** Runs the check in the pre-flight session. */
export async function checkClean(client: pg.Client, objects: readonly DumpObject[], parts: readonly RecreatedPart[], serverVersionNum: number): Promise<CleanCheck> {
  await client.query(`BEGIN READ ONLY; SET LOCAL search_path = ''`);
  try {
    const result = await client.query<{ result: CleanCheck }>(cleanCheckSql(serverVersionNum), [objectsJson(objects), partsJson(parts)]);
    return result.rows[0].result;
  } finally {
    await client.query('COMMIT');
  }
}

/**
 * For a data --clean, what the backup does not have that emptying its
 * tables would reach: foreign keys of other tables that point into them
 * (TRUNCATE refuses them, and emptying under them would leave their rows
 * pointing nowhere), and partitions and inheritance children of them
 * (TRUNCATE empties those with their parent, and TRUNCATE ONLY is refused
 * for a partitioned table). $1: the emptied tables (SQL names). Run with an
 * empty search_path, so each statement names its tables schema-qualified.
 */
export const EMPTY_CHECK_SQL = `
  WITH emptied AS (SELECT pg_catalog.to_regclass(name) AS relation FROM pg_catalog.unnest($1::text[]) AS name)
  SELECT pg_catalog.pg_describe_object('pg_catalog.pg_constraint'::pg_catalog.regclass, k.oid, 0) AS description,
         pg_catalog.pg_describe_object('pg_catalog.pg_class'::pg_catalog.regclass, k.confrelid, 0) AS depends_on,
         pg_catalog.format('ALTER TABLE %s DROP CONSTRAINT %I;', k.conrelid::pg_catalog.regclass, k.conname) AS release,
         false AS child
    FROM pg_catalog.pg_constraint k
   WHERE k.contype = 'f' AND k.confrelid IN (SELECT relation FROM emptied) AND k.conrelid NOT IN (SELECT relation FROM emptied)
     AND k.conparentid = 0
  UNION ALL
  SELECT pg_catalog.pg_describe_object('pg_catalog.pg_class'::pg_catalog.regclass, i.inhrelid, 0),
         pg_catalog.pg_describe_object('pg_catalog.pg_class'::pg_catalog.regclass, i.inhparent, 0),
         CASE WHEN c.relispartition THEN pg_catalog.format('ALTER TABLE %s DETACH PARTITION %s;', i.inhparent::pg_catalog.regclass, i.inhrelid::pg_catalog.regclass)
              ELSE pg_catalog.format('ALTER TABLE %s NO INHERIT %s;', i.inhrelid::pg_catalog.regclass, i.inhparent::pg_catalog.regclass) END,
         true
    FROM pg_catalog.pg_inherits i JOIN pg_catalog.pg_class c ON c.oid = i.inhrelid
   WHERE i.inhparent IN (SELECT relation FROM emptied) AND i.inhrelid NOT IN (SELECT relation FROM emptied)
   ORDER BY 1`;

/** Runs the data --clean check (EMPTY_CHECK_SQL) in the pre-flight session. */
export async function findReferencesFromOutside(client: pg.Client, tables: readonly string[]): Promise<OutsideDependent[]> {
  if (tables.length === 0) return [];
  await client.query(`BEGIN READ ONLY; SET LOCAL search_path = ''`);
  const result = await client.query<{ description: string; depends_on: string; release: string; child: boolean }>(EMPTY_CHECK_SQL, [tables]).finally(() => client.query('COMMIT'));
  return result.rows.map((row) => ({ description: row.description, dependsOn: row.depends_on, release: row.release, child: row.child }));
}

/** The message that the data --clean check inside the transaction raises, followed by what it found as JSON. */
export const OUTSIDE_REFERENCES_MARK = 'pulse-backup: outside references:';

/**
 * The data --clean check again, inside the restore's transaction once the
 * locks are held: a foreign key or a partition added after the pre-flight
 * fails the restore (rolled back) instead of TRUNCATE emptying it or
 * refusing with no advice.
 */
export function emptyGuardStatement(tables: readonly string[]): string {
  const names = JSON.stringify(tables);
  const tag = (base: string) => dollarTag(base, [names, EMPTY_CHECK_SQL]);
  const [block, query, list] = [tag('pulse_guard'), tag('pulse_query'), tag('pulse_tables')];
  return guardBlock(block, [
    `  EXECUTE 'SELECT pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(''description'', f.description, ''dependsOn'', f.depends_on, ''release'', f.release, ''child'', f.child)) FROM (' || ${query}${EMPTY_CHECK_SQL}${query} || ') f'`,
    `    INTO found USING ARRAY(SELECT pg_catalog.jsonb_array_elements_text(${list}${names}${list}::pg_catalog.jsonb));`,
    '  IF found IS NOT NULL THEN',
    `    RAISE EXCEPTION '${OUTSIDE_REFERENCES_MARK} %', found;`,
    '  END IF;',
  ]);
}

/**
 * For a --clean of a Supabase set (data or complete), the foreign keys that
 * point into the platform tables it empties from tables the restore does
 * not reload. Those tables are emptied with DELETE under
 * session_replication_role = replica (emptyPlatformStatements), so no
 * foreign-key action fires and no check stops it: a row of a table the set
 * does not hold (an app's table added since the backup, for a user who
 * signed up since) would be left pointing at a user the restore deleted.
 * References from a table the restore reloads itself (the set's own, and
 * the platform tables it empties: auth.identities on auth.users) are not
 * listed. $1: the emptied platform tables, $2: the set's tables the target
 * has (SQL names). Run with an empty search_path. Each row comes with the
 * query that tells whether the referencing table has a row that points
 * anywhere (`probe`: every column of the key set), and whether the role may
 * read all of it (`readable`: else it counts as one that does).
 */
export const PLATFORM_REFERENCES_SQL = `
  WITH emptied AS (SELECT pg_catalog.to_regclass(name) AS relation FROM pg_catalog.unnest($1::text[]) AS name),
       reloaded AS (SELECT pg_catalog.to_regclass(name) AS relation FROM pg_catalog.unnest($1::text[] || $2::text[]) AS name)
  SELECT pg_catalog.pg_describe_object('pg_catalog.pg_constraint'::pg_catalog.regclass, k.oid, 0) AS description,
         pg_catalog.pg_describe_object('pg_catalog.pg_class'::pg_catalog.regclass, k.confrelid, 0) AS depends_on,
         k.conrelid::pg_catalog.regclass::text AS referencing,
         pg_catalog.format('DELETE FROM %s;', k.conrelid::pg_catalog.regclass) AS release,
         pg_catalog.has_table_privilege(k.conrelid, 'SELECT') AND NOT pg_catalog.row_security_active(k.conrelid) AS readable,
         pg_catalog.format('SELECT EXISTS (SELECT FROM %s WHERE %s) AS referenced', k.conrelid::pg_catalog.regclass,
                           (SELECT pg_catalog.string_agg(pg_catalog.format('%I IS NOT NULL', a.attname), ' AND ' ORDER BY a.attnum)
                              FROM pg_catalog.pg_attribute a WHERE a.attrelid = k.conrelid AND a.attnum OPERATOR(pg_catalog.=) ANY (k.conkey))) AS probe
    FROM pg_catalog.pg_constraint k
   WHERE k.contype = 'f' AND k.conparentid = 0
     AND k.confrelid IN (SELECT relation FROM emptied WHERE relation IS NOT NULL)
     AND k.conrelid NOT IN (SELECT relation FROM reloaded WHERE relation IS NOT NULL)
   ORDER BY 1`;

/** A foreign key PLATFORM_REFERENCES_SQL finds, with what tells whether its table's rows point anywhere. */
export interface PlatformReference extends OutsideDependent {
  /** The referencing table (SQL name). */
  referencing: string;
  readable: boolean;
  probe: string;
}

/** The foreign keys into the emptied platform tables from tables the restore does not reload, in the pre-flight session. */
export async function findPlatformReferences(client: pg.Client, emptied: readonly string[], reloaded: readonly string[]): Promise<PlatformReference[]> {
  if (emptied.length === 0) return [];
  await client.query(`BEGIN READ ONLY; SET LOCAL search_path = ''`);
  type Row = { description: string; depends_on: string; referencing: string; release: string; readable: boolean; probe: string };
  const result = await client.query<Row>(PLATFORM_REFERENCES_SQL, [emptied, reloaded]).finally(() => client.query('COMMIT'));
  return result.rows.map((row) => ({
    description: row.description,
    dependsOn: row.depends_on,
    referencing: row.referencing,
    release: row.release,
    readable: row.readable,
    probe: row.probe,
  }));
}

/**
 * Those of the foreign keys whose table holds a row that points into the
 * emptied tables (or that the role may not read whole), each read waiting
 * at most `lockTimeoutMs` (the server's lock timeout error is thrown).
 */
export async function withReferencingRows(client: pg.Client, references: readonly PlatformReference[], lockTimeoutMs: number): Promise<OutsideDependent[]> {
  if (references.length === 0) return [];
  await client.query(`BEGIN READ ONLY; SET LOCAL search_path = ''; SET LOCAL lock_timeout = '${Math.max(1, Math.round(lockTimeoutMs))}ms'`);
  const found: OutsideDependent[] = [];
  try {
    for (const reference of references) {
      if (reference.readable && !(await client.query<{ referenced: boolean }>(reference.probe)).rows[0].referenced) continue;
      found.push({ description: reference.description, dependsOn: reference.dependsOn, release: reference.release });
    }
  } finally {
    await client.query('COMMIT');
  }
  return found;
}

/** The message that the platform check inside the transaction raises, followed by what it found as JSON. */
export const PLATFORM_REFERENCES_MARK = 'pulse-backup: rows referencing the emptied platform tables:';

/**
 * The platform check again, inside the restore's transaction once the
 * locks are held: a row written after the pre-flight that points into the
 * emptied platform tables fails the restore (rolled back). The emptied
 * tables are held ACCESS EXCLUSIVE by then, so no new reference to them
 * can be written until the restore ends (a foreign-key check locks the row
 * it finds).
 */
export function platformGuardStatement(emptied: readonly string[], reloaded: readonly string[]): string {
  const [emptiedText, reloadedText] = [JSON.stringify(emptied), JSON.stringify(reloaded)];
  const tag = (base: string) => dollarTag(base, [emptiedText, reloadedText, PLATFORM_REFERENCES_SQL]);
  const [block, query, first, second] = [tag('pulse_guard'), tag('pulse_query'), tag('pulse_emptied'), tag('pulse_reloaded')];
  const array = (literal: string) => `ARRAY(SELECT pg_catalog.jsonb_array_elements_text(${literal}::pg_catalog.jsonb))`;
  return guardBlock(
    block,
    [
      `  FOR reference IN EXECUTE ${query}${PLATFORM_REFERENCES_SQL}${query}`,
      `    USING ${array(`${first}${emptiedText}${first}`)}, ${array(`${second}${reloadedText}${second}`)} LOOP`,
      '    referenced := true;',
      '    IF reference.readable THEN',
      '      EXECUTE reference.probe INTO referenced;',
      '    END IF;',
      '    IF referenced THEN',
      "      found := pg_catalog.jsonb_insert(COALESCE(found, '[]'), '{-1}', pg_catalog.jsonb_build_object('description', reference.description, 'dependsOn', reference.depends_on, 'release', reference.release), true);",
      '    END IF;',
      '  END LOOP;',
      '  IF found IS NOT NULL THEN',
      `    RAISE EXCEPTION '${PLATFORM_REFERENCES_MARK} %', found;`,
      '  END IF;',
    ],
    ['  reference record;', '  referenced boolean;'],
  );
}

/** A DO block that runs `body` with an empty search_path and a jsonb variable `found` for what the check finds (and `declarations` besides). */
export function guardBlock(tag: string, body: readonly string[], declarations: readonly string[] = []): string {
  return [`DO ${tag}`, 'DECLARE', '  found pg_catalog.jsonb;', ...declarations, 'BEGIN', "  PERFORM pg_catalog.set_config('search_path', '', true);", ...body, `END ${tag};`].join(
    '\n',
  );
}

function partsJson(parts: readonly RecreatedPart[]): string {
  return JSON.stringify(parts.map((part) => ({ type: part.type, schema: part.schema, table: part.table, name: part.name })));
}

/** DROP keyword for each kind, in the order the drops run (dependents of others first, where it helps IF EXISTS name them). */
const DROP_ORDER: readonly [ExistingObject['kind'], string][] = [
  ['event trigger', 'EVENT TRIGGER'],
  ['publication', 'PUBLICATION'],
  ['cast', 'CAST'],
  ['transform', 'TRANSFORM'],
  ['operator class', 'OPERATOR CLASS'],
  ['operator family', 'OPERATOR FAMILY'],
  ['operator', 'OPERATOR'],
  ['view', 'VIEW'],
  ['materialized view', 'MATERIALIZED VIEW'],
  ['routine', 'ROUTINE'],
  ['aggregate', 'AGGREGATE'],
  ['table', 'TABLE'],
  ['foreign table', 'FOREIGN TABLE'],
  ['sequence', 'SEQUENCE'],
  ['statistics', 'STATISTICS'],
  ['domain', 'DOMAIN'],
  ['type', 'TYPE'],
  ['collation', 'COLLATION'],
  ['conversion', 'CONVERSION'],
  ['text search configuration', 'TEXT SEARCH CONFIGURATION'],
  ['text search dictionary', 'TEXT SEARCH DICTIONARY'],
  ['text search template', 'TEXT SEARCH TEMPLATE'],
  ['text search parser', 'TEXT SEARCH PARSER'],
  ['server', 'SERVER'],
  ['foreign data wrapper', 'FOREIGN DATA WRAPPER'],
  ['access method', 'ACCESS METHOD'],
];

/** Kinds whose DROP takes one object at a time. */
const ONE_AT_A_TIME = new Set<ExistingObject['kind']>(['cast', 'transform', 'operator class', 'operator family', 'access method']);

/**
 * The drops: one statement a kind, IF EXISTS (an earlier CASCADE may have
 * taken an object already) and CASCADE (what depends on them was checked to
 * be the backup's own). Schemas are never dropped (they may hold what the
 * backup does not have; CREATE SCHEMA becomes IF NOT EXISTS instead), and
 * large objects are unlinked so their OIDs are free.
 */
export function dropStatements(existing: readonly ExistingObject[]): string[] {
  const statements: string[] = [];
  for (const [kind, keyword] of DROP_ORDER) {
    const names = existing.filter((object) => object.kind === kind).map((object) => object.dropName);
    if (names.length === 0) continue;
    if (ONE_AT_A_TIME.has(kind)) statements.push(...names.map((name) => `DROP ${keyword} IF EXISTS ${name} CASCADE;`));
    else statements.push(`DROP ${keyword} IF EXISTS ${names.join(', ')} CASCADE;`);
  }
  const largeObjects = existing.filter((object) => object.kind === 'large object').map((object) => object.dropName);
  if (largeObjects.length > 0) {
    statements.push(`SELECT pg_catalog.lo_unlink(oid) FROM pg_catalog.pg_largeobject_metadata WHERE oid IN (${largeObjects.join(', ')});`);
  }
  return statements;
}

/** Drops the application's triggers and policies on tables the backup keeps (platform tables), before they are recreated. */
export function dropPartStatements(existing: readonly ExistingObject[]): string[] {
  return existing
    .filter((object) => object.kind === 'trigger' || object.kind === 'policy')
    .map((object) => `DROP ${object.kind === 'trigger' ? 'TRIGGER' : 'POLICY'} IF EXISTS ${object.dropName};`);
}

/** The message that the check inside the transaction raises, recognised by the restore's error translation. */
export const OUTSIDE_DEPENDENTS_MARK = 'pulse-backup: outside dependents:';

/**
 * The check again, inside the restore's transaction: a DO block that fails
 * the restore (rolling everything back) if anything outside the backup now
 * depends on what the drops remove. The JSON and the query travel as
 * dollar-quoted literals whose tags appear nowhere in them.
 */
export function cleanGuardStatement(objects: readonly DumpObject[], parts: readonly RecreatedPart[], serverVersionNum: number): string {
  const objectsText = objectsJson(objects);
  const partsText = partsJson(parts);
  const checkSql = cleanCheckSql(serverVersionNum);
  const tag = (base: string) => dollarTag(base, [objectsText, partsText, checkSql]);
  const [block, query, first, second] = [tag('pulse_guard'), tag('pulse_query'), tag('pulse_objects'), tag('pulse_parts')];
  return guardBlock(block, [
    `  EXECUTE ${query}${checkSql}${query} INTO found USING ${first}${objectsText}${first}::text, ${second}${partsText}${second}::text;`,
    "  IF pg_catalog.jsonb_array_length(found -> 'outside') > 0 THEN",
    `    RAISE EXCEPTION '${OUTSIDE_DEPENDENTS_MARK} %', (SELECT pg_catalog.string_agg(o ->> 'description', '; ') FROM pg_catalog.jsonb_array_elements(found -> 'outside') o);`,
    '  END IF;',
  ]);
}
