/**
 * "The same content", as the team's fixtures README (../shared/fixtures beside
 * the repository) defines it: every
 * table's row count and ordered row hash, every sequence's value, and the
 * definitions of constraints, indexes, triggers, policies, views, functions,
 * comments, large objects and grants.
 *
 * A fingerprint is a flat list of facts keyed by what they are about
 * ("rows of table public.users"), so that comparing two databases is a key by
 * key comparison whose differences read as sentences. Objects are named, never
 * identified by OID, because a restore gives every object a new OID; large
 * objects are the exception, since pg_dump keeps their OIDs.
 *
 * Row data is hashed on the server: a 100 MB database never travels to Node.
 */
import { AssertionError } from 'node:assert';
import { Client } from 'pg';
import { uncommonObjectFacts } from './fingerprintUncommon';

export interface Fingerprint {
  /** Every compared fact in a stable order, keyed by what it is about. */
  readonly facts: ReadonlyMap<string, string>;
}

export interface FingerprintOptions {
  /** Schemas to leave out besides the system ones (pg_catalog, information_schema, pg_toast*, pg_temp*). */
  excludeSchemas?: string[];
  /**
   * Also compare what application databases rarely have (operators, casts,
   * text search, publications and their tables, foreign servers, column
   * storage settings…): see fingerprintUncommon.ts. On unless turned off:
   * a restore that loses a table's place in a publication has not restored
   * the database.
   */
  uncommonObjects?: boolean;
}

export async function fingerprintDatabase(url: string, options: FingerprintOptions = {}): Promise<Fingerprint> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    // Catalog functions print names and values according to the session:
    // with an empty search_path every name comes out schema-qualified, and the
    // remaining settings make row text identical whatever the server defaults.
    // One snapshot for every query, so a database that changes meanwhile still
    // yields a fingerprint of a single moment.
    await client.query(`
      BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY;
      SET LOCAL search_path = '';
      SET LOCAL TimeZone = 'UTC';
      SET LOCAL DateStyle = 'ISO, YMD';
      SET LOCAL IntervalStyle = 'postgres';
      SET LOCAL extra_float_digits = 1;
      SET LOCAL bytea_output = 'hex';
      SET LOCAL lc_monetary = 'C';
      SET LOCAL row_security = off;
    `);
    const reader = new CatalogReader(client, options.excludeSchemas ?? []);
    const facts = new FactList();
    await reader.addExtensions(facts);
    await reader.addSchemas(facts);
    await reader.addTypes(facts);
    await reader.addRelations(facts);
    await reader.addColumns(facts);
    await reader.addSequenceValues(facts);
    await reader.addConstraints(facts);
    await reader.addIndexes(facts);
    await reader.addTriggers(facts);
    await reader.addRules(facts);
    await reader.addPolicies(facts);
    await reader.addFunctions(facts);
    await reader.addComments(facts);
    await reader.addLargeObjects(facts);
    await reader.addDefaultPrivileges(facts);
    await reader.addRowHashes(facts);
    if (options.uncommonObjects !== false) {
      for (const [key, value] of await uncommonObjectFacts(client, isUserSchema, options.excludeSchemas ?? [])) facts.add(key, value);
    }
    await client.query('COMMIT');
    return { facts: facts.entries };
  } finally {
    await client.end();
  }
}

/** Human-readable differences from the first fingerprint to the second; empty when they are equal. */
export function diffFingerprints(first: Fingerprint, second: Fingerprint): string[] {
  const differences: string[] = [];
  for (const [key, firstValue] of first.facts) {
    const secondValue = second.facts.get(key);
    if (secondValue === undefined) {
      differences.push(`${key}: only in the first database (${shorten(firstValue)})`);
    } else if (secondValue !== firstValue) {
      differences.push(`${key}: ${describeChange(firstValue, secondValue)}`);
    }
  }
  for (const [key, secondValue] of second.facts) {
    if (!first.facts.has(key)) differences.push(`${key}: only in the second database (${shorten(secondValue)})`);
  }
  return differences;
}

/**
 * Where `result` falls short of `bar`: every fact that `bar` (e.g. a plain
 * `pg_dump | psql` of the source) has as in the source, `result` must have
 * as in the source too, and it may hold no fact that neither has. Facts the
 * bar itself gets wrong are not asked of `result`.
 */
export function shortfallsAgainst(source: Fingerprint, bar: Fingerprint, result: Fingerprint): string[] {
  const shortfalls: string[] = [];
  for (const key of new Set([...source.facts.keys(), ...result.facts.keys()])) {
    const wanted = source.facts.get(key);
    const got = result.facts.get(key);
    if (got === wanted || bar.facts.get(key) !== wanted) continue;
    if (got === undefined) shortfalls.push(`${key}: missing (${shorten(wanted ?? '')})`);
    else if (wanted === undefined) shortfalls.push(`${key}: not in the source (${shorten(got)})`);
    else shortfalls.push(`${key}: ${describeChange(wanted, got)}`);
  }
  return shortfalls;
}

/** Throws an AssertionError listing the first differences when the two databases differ in content. */
export async function assertSameContent(firstUrl: string, secondUrl: string, options: FingerprintOptions = {}): Promise<void> {
  const [first, second] = await Promise.all([fingerprintDatabase(firstUrl, options), fingerprintDatabase(secondUrl, options)]);
  const differences = diffFingerprints(first, second);
  if (differences.length === 0) return;
  const shown = 20;
  const more = differences.length > shown ? [`… and ${differences.length - shown} more`] : [];
  throw new AssertionError({
    message: [
      `the databases differ in content (${differences.length} difference${differences.length === 1 ? '' : 's'}):`,
      ...differences.slice(0, shown).map((line) => `  - ${line}`),
      ...more.map((line) => `  ${line}`),
    ].join('\n'),
  });
}

// ---------------------------------------------------------------------------

class FactList {
  readonly entries = new Map<string, string>();

  add(key: string, value: string): void {
    // Two objects with one key would hide one of them from every comparison.
    if (this.entries.has(key)) throw new Error(`fingerprint: two facts are both called "${key}"`);
    this.entries.set(key, value);
  }
}

type CatalogRow = Record<string, string | null>;

const relationKinds: Record<string, string> = {
  r: 'table',
  p: 'partitioned table',
  v: 'view',
  m: 'materialized view',
  S: 'sequence',
  f: 'foreign table',
};

const triggerStates: Record<string, string> = {
  O: 'enabled',
  D: 'disabled',
  R: 'enabled for replica sessions only',
  A: 'enabled always',
};

/** Whether a trigger or rule fires, in words (pg_trigger.tgenabled, pg_rewrite.ev_enabled, pg_event_trigger.evtenabled). */
function firingState(state: string | null | undefined): string {
  return triggerStates[text(state)] ?? text(state);
}

/**
 * SQL that is true for a schema we compare. $1 is the caller's list of
 * excluded schemas in every query.
 */
function isUserSchema(schemaName: string): string {
  return `(${schemaName} NOT IN ('pg_catalog', 'information_schema')
    AND ${schemaName} NOT LIKE 'pg\\_toast%'
    AND ${schemaName} NOT LIKE 'pg\\_temp%'
    AND ${schemaName} <> ALL ($1::text[]))`;
}

/** Objects an extension created come back with CREATE EXTENSION, not from the dump: compare the extension instead. */
function isNotExtensionMember(catalog: string, objectId: string): string {
  return `NOT EXISTS (SELECT FROM pg_catalog.pg_depend AS membership
    WHERE membership.classid = '${catalog}'::regclass AND membership.objid = ${objectId} AND membership.deptype = 'e')`;
}

/**
 * FROM a catalog of objects that hang on a table (triggers, rules, policies)
 * joined to that table as `c`, keeping those on tables we compare.
 */
function onComparedTables(catalog: string, alias: string, tableColumn: string, condition?: string): string {
  return `FROM pg_catalog.${catalog} AS ${alias}
      JOIN pg_catalog.pg_class AS c ON c.oid = ${alias}.${tableColumn}
      JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
      WHERE ${condition ? `${condition} AND ` : ''}${isUserSchema('n.nspname')} AND ${isNotExtensionMember('pg_class', 'c.oid')}`;
}

/** An ACL as sorted text; a NULL ACL is spelt out as the owner's defaults so both forms compare equal. */
function privilegesText(aclColumn: string, objectTypeSql: string, ownerColumn: string): string {
  return `'owner ' || pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(${ownerColumn})) || '; ' || coalesce(pg_catalog.array_to_string(ARRAY(
    SELECT item::text FROM pg_catalog.unnest(coalesce(${aclColumn}, pg_catalog.acldefault(${objectTypeSql}, ${ownerColumn}))) AS item
    ORDER BY item::text COLLATE "C"), ' '), '')`;
}

class CatalogReader {
  constructor(
    private readonly client: Client,
    private readonly excludedSchemas: string[],
  ) {}

  private async rows(sql: string): Promise<CatalogRow[]> {
    const parameters = sql.includes('$1') ? [this.excludedSchemas] : [];
    const result = await this.client.query<CatalogRow>(sql, parameters);
    return result.rows;
  }

  async addExtensions(facts: FactList): Promise<void> {
    const rows = await this.rows(`
      SELECT pg_catalog.quote_ident(x.extname) AS name, x.extversion AS version,
             pg_catalog.quote_ident(n.nspname) AS schema_name
      FROM pg_catalog.pg_extension AS x JOIN pg_catalog.pg_namespace AS n ON n.oid = x.extnamespace
      ORDER BY 1`);
    for (const row of rows) facts.add(`extension ${text(row.name)}`, `version ${text(row.version)} in schema ${text(row.schema_name)}`);
  }

  async addSchemas(facts: FactList): Promise<void> {
    const rows = await this.rows(`
      SELECT pg_catalog.quote_ident(n.nspname) AS name, ${privilegesText('n.nspacl', "'n'", 'n.nspowner')} AS privileges
      FROM pg_catalog.pg_namespace AS n
      WHERE ${isUserSchema('n.nspname')} AND ${isNotExtensionMember('pg_namespace', 'n.oid')}
      ORDER BY 1`);
    for (const row of rows) {
      facts.add(`schema ${text(row.name)}`, 'exists');
      facts.add(`privileges on schema ${text(row.name)}`, text(row.privileges));
    }
  }

  async addTypes(facts: FactList): Promise<void> {
    const rows = await this.rows(`
      SELECT t.oid::pg_catalog.regtype::text AS name, t.typtype AS type_kind,
             ${privilegesText('t.typacl', "'T'", 't.typowner')} AS privileges,
             CASE t.typtype
               WHEN 'e' THEN (SELECT pg_catalog.string_agg(pg_catalog.quote_literal(e.enumlabel), ', ' ORDER BY e.enumsortorder)
                              FROM pg_catalog.pg_enum AS e WHERE e.enumtypid = t.oid)
               WHEN 'd' THEN pg_catalog.format_type(t.typbasetype, t.typtypmod)
                             || CASE WHEN t.typnotnull THEN ' not null' ELSE '' END
                             || coalesce(' default ' || t.typdefault, '')
               WHEN 'c' THEN (SELECT pg_catalog.string_agg(pg_catalog.quote_ident(a.attname) || ' ' || pg_catalog.format_type(a.atttypid, a.atttypmod), ', ' ORDER BY a.attnum)
                              FROM pg_catalog.pg_attribute AS a WHERE a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped)
               WHEN 'r' THEN (SELECT 'range of ' || pg_catalog.format_type(r.rngsubtype, NULL)
                              FROM pg_catalog.pg_range AS r WHERE r.rngtypid = t.oid)
             END AS definition
      FROM pg_catalog.pg_type AS t JOIN pg_catalog.pg_namespace AS n ON n.oid = t.typnamespace
      WHERE ${isUserSchema('n.nspname')} AND ${isNotExtensionMember('pg_type', 't.oid')}
        AND (t.typtype IN ('e', 'd', 'r')
             OR (t.typtype = 'c' AND (SELECT c.relkind FROM pg_catalog.pg_class AS c WHERE c.oid = t.typrelid) = 'c'))
      ORDER BY 1`);
    const typeKinds: Record<string, string> = { e: 'enum type', d: 'domain', c: 'composite type', r: 'range type' };
    for (const row of rows) {
      const kind = typeKinds[text(row.type_kind)] ?? 'type';
      facts.add(`${kind} ${text(row.name)}`, text(row.definition));
      facts.add(`privileges on ${kind} ${text(row.name)}`, text(row.privileges));
    }
  }

  async addRelations(facts: FactList): Promise<void> {
    const rows = await this.rows(`
      SELECT c.oid::pg_catalog.regclass::text AS name, c.relkind AS kind, c.relpersistence AS persistence,
             c.relrowsecurity::text AS row_security, c.relforcerowsecurity::text AS forced_row_security,
             c.relispopulated::text AS populated, c.relreplident AS replica_identity,
             pg_catalog.array_to_string(c.reloptions, ', ') AS options,
             CASE WHEN c.relkind = 'p' THEN pg_catalog.pg_get_partkeydef(c.oid) END AS partition_key,
             CASE WHEN c.relispartition THEN pg_catalog.pg_get_expr(c.relpartbound, c.oid) END AS partition_bound,
             (SELECT pg_catalog.string_agg(i.inhparent::pg_catalog.regclass::text, ', ' ORDER BY i.inhseqno)
              FROM pg_catalog.pg_inherits AS i WHERE i.inhrelid = c.oid) AS parents,
             CASE WHEN c.relkind IN ('v', 'm') THEN pg_catalog.pg_get_viewdef(c.oid) END AS definition,
             (SELECT pg_catalog.format('%s, start %s, increment %s, minimum %s, maximum %s, cache %s%s',
                       pg_catalog.format_type(s.seqtypid, NULL), s.seqstart, s.seqincrement, s.seqmin, s.seqmax, s.seqcache,
                       CASE WHEN s.seqcycle THEN ', cycles' ELSE '' END)
              FROM pg_catalog.pg_sequence AS s WHERE s.seqrelid = c.oid) AS sequence_parameters,
             (SELECT d.refobjid::pg_catalog.regclass::text || '.' || pg_catalog.quote_ident(a.attname)
                     || CASE d.deptype WHEN 'i' THEN ' as identity' ELSE '' END
              FROM pg_catalog.pg_depend AS d
              JOIN pg_catalog.pg_attribute AS a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
              WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.refclassid = 'pg_class'::regclass
                AND d.deptype IN ('a', 'i') AND c.relkind = 'S'
              LIMIT 1) AS sequence_owned_by,
             ${privilegesText('c.relacl', `(CASE WHEN c.relkind = 'S' THEN 's' ELSE 'r' END)::"char"`, 'c.relowner')} AS privileges
      FROM pg_catalog.pg_class AS c JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
        AND ${isUserSchema('n.nspname')} AND ${isNotExtensionMember('pg_class', 'c.oid')}
      ORDER BY 1`);
    for (const row of rows) {
      const kind = relationKinds[text(row.kind)] ?? 'relation';
      const name = text(row.name);
      const description: string[] = [];
      if (row.persistence === 'u') description.push('unlogged');
      if (row.partition_key) description.push(`partitioned by ${row.partition_key}`);
      if (row.parents) description.push(row.partition_bound ? `partition of ${row.parents} ${row.partition_bound}` : `inherits ${row.parents}`);
      if (row.row_security === 'true') description.push(row.forced_row_security === 'true' ? 'row level security forced' : 'row level security enabled');
      else if (row.forced_row_security === 'true') description.push('row level security off but forced');
      if (row.replica_identity !== 'd' && (row.kind === 'r' || row.kind === 'p')) description.push(`replica identity ${text(row.replica_identity)}`);
      if (row.options) description.push(`options ${row.options}`);
      if (row.sequence_parameters) description.push(row.sequence_parameters);
      if (row.sequence_owned_by) description.push(`owned by ${row.sequence_owned_by}`);
      if (row.kind === 'm') description.push(row.populated === 'true' ? 'populated' : 'not populated');
      facts.add(`${kind} ${name}`, description.join('; ') || 'exists');
      if (row.definition !== null) facts.add(`definition of ${kind} ${name}`, row.definition);
      facts.add(`privileges on ${kind} ${name}`, text(row.privileges));
    }
  }

  async addColumns(facts: FactList): Promise<void> {
    const rows = await this.rows(`
      SELECT c.oid::pg_catalog.regclass::text AS table_name, c.relkind AS kind,
             pg_catalog.quote_ident(a.attname) AS name,
             pg_catalog.row_number() OVER (PARTITION BY c.oid ORDER BY a.attnum)::text AS position,
             pg_catalog.format_type(a.atttypid, a.atttypmod) AS type,
             a.attnotnull::text AS not_null, a.attidentity AS identity, a.attgenerated AS generated,
             pg_catalog.pg_get_expr(d.adbin, d.adrelid) AS expression,
             CASE WHEN a.attcollation <> t.typcollation THEN a.attcollation::pg_catalog.regcollation::text END AS collation,
             CASE WHEN a.attacl IS NOT NULL THEN pg_catalog.array_to_string(ARRAY(
               SELECT item::text FROM pg_catalog.unnest(a.attacl) AS item ORDER BY item::text COLLATE "C"), ' ') END AS privileges
      FROM pg_catalog.pg_attribute AS a
      JOIN pg_catalog.pg_class AS c ON c.oid = a.attrelid
      JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
      JOIN pg_catalog.pg_type AS t ON t.oid = a.atttypid
      LEFT JOIN pg_catalog.pg_attrdef AS d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
      WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p', 'f')
        AND ${isUserSchema('n.nspname')} AND ${isNotExtensionMember('pg_class', 'c.oid')}
      ORDER BY 1, a.attnum`);
    for (const row of rows) {
      const parts = [`column ${text(row.position)}`, text(row.type)];
      if (row.collation) parts.push(`collate ${row.collation}`);
      if (row.not_null === 'true') parts.push('not null');
      if (row.generated === 's') parts.push(`generated always as (${text(row.expression)}) stored`);
      else if (row.generated === 'v') parts.push(`generated always as (${text(row.expression)}) virtual`);
      else if (row.expression !== null) parts.push(`default ${row.expression}`);
      if (row.identity === 'a') parts.push('generated always as identity');
      else if (row.identity === 'd') parts.push('generated by default as identity');
      const column = `${text(row.table_name)}.${text(row.name)}`;
      facts.add(`column ${column}`, parts.join(' '));
      if (row.privileges !== null) facts.add(`privileges on column ${column}`, row.privileges);
    }
  }

  async addSequenceValues(facts: FactList): Promise<void> {
    const sequences = await this.rows(`
      SELECT c.oid::pg_catalog.regclass::text AS name
      FROM pg_catalog.pg_class AS c JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
      WHERE c.relkind = 'S' AND ${isUserSchema('n.nspname')} AND ${isNotExtensionMember('pg_class', 'c.oid')}
      ORDER BY 1`);
    for (const sequence of sequences) {
      const name = text(sequence.name);
      // regclass text is already quoted and schema-qualified.
      const result = await this.client.query<CatalogRow>(`SELECT last_value::text AS last_value, is_called::text AS is_called FROM ${name}`);
      const value = result.rows[0];
      if (!value) continue;
      facts.add(`value of sequence ${name}`, `last_value ${text(value.last_value)}, ${value.is_called === 'true' ? 'called' : 'not called yet'}`);
    }
  }

  async addConstraints(facts: FactList): Promise<void> {
    // NOT NULL constraints (PostgreSQL 18 lists them here) are compared as column facts.
    const rows = await this.rows(`
      SELECT pg_catalog.quote_ident(con.conname) AS name,
             CASE WHEN con.conrelid <> 0 THEN 'table ' || con.conrelid::pg_catalog.regclass::text
                  ELSE 'domain ' || con.contypid::pg_catalog.regtype::text END AS owner_name,
             pg_catalog.pg_get_constraintdef(con.oid) AS definition
      FROM pg_catalog.pg_constraint AS con JOIN pg_catalog.pg_namespace AS n ON n.oid = con.connamespace
      WHERE con.contype <> 'n'
        AND ${isUserSchema('n.nspname')}
        AND ${isNotExtensionMember('pg_class', 'con.conrelid')}
        AND ${isNotExtensionMember('pg_type', 'con.contypid')}
      ORDER BY 2, 1`);
    for (const row of rows) facts.add(`constraint ${text(row.name)} on ${text(row.owner_name)}`, text(row.definition));
  }

  async addIndexes(facts: FactList): Promise<void> {
    const rows = await this.rows(`
      SELECT i.indexrelid::pg_catalog.regclass::text AS name, pg_catalog.pg_get_indexdef(i.indexrelid) AS definition,
             i.indisclustered::text AS clustered, i.indisvalid::text AS valid, i.indisreplident::text AS replica_identity
      FROM pg_catalog.pg_index AS i
      JOIN pg_catalog.pg_class AS t ON t.oid = i.indrelid
      JOIN pg_catalog.pg_namespace AS n ON n.oid = t.relnamespace
      WHERE ${isUserSchema('n.nspname')} AND ${isNotExtensionMember('pg_class', 't.oid')}
      ORDER BY 1`);
    for (const row of rows) {
      const flags = [row.clustered === 'true' ? 'clustered' : '', row.valid === 'true' ? '' : 'invalid', row.replica_identity === 'true' ? 'replica identity' : ''].filter(Boolean);
      facts.add(`index ${text(row.name)}`, [text(row.definition), ...flags].join('; '));
    }
  }

  /** Triggers and rules alike: each on a table, with its definition and whether it fires, by table then name. */
  private firingObjects(catalog: string, alias: string, columns: { name: string; table: string; definition: string; state: string }, condition: string): Promise<CatalogRow[]> {
    return this.rows(`
      SELECT pg_catalog.quote_ident(${alias}.${columns.name}) AS name, ${alias}.${columns.table}::pg_catalog.regclass::text AS table_name,
             pg_catalog.${columns.definition}(${alias}.oid) AS definition, ${alias}.${columns.state} AS state
      ${onComparedTables(catalog, alias, columns.table, condition)}
      ORDER BY 2, 1`);
  }

  async addTriggers(facts: FactList): Promise<void> {
    const rows = await this.firingObjects('pg_trigger', 'tg', { name: 'tgname', table: 'tgrelid', definition: 'pg_get_triggerdef', state: 'tgenabled' }, 'NOT tg.tgisinternal');
    for (const row of rows) {
      const trigger = `trigger ${text(row.name)} on ${text(row.table_name)}`;
      facts.add(trigger, text(row.definition));
      facts.add(`state of ${trigger}`, firingState(row.state));
    }
    const eventTriggers = await this.rows(`
      SELECT pg_catalog.quote_ident(e.evtname) AS name, e.evtevent AS event, e.evtfoid::pg_catalog.regproc::text AS function_name,
             pg_catalog.array_to_string(e.evttags, ', ') AS tags, e.evtenabled AS state,
             pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(e.evtowner)) AS owner
      FROM pg_catalog.pg_event_trigger AS e
      WHERE ${isNotExtensionMember('pg_event_trigger', 'e.oid')}
      ORDER BY 1`);
    for (const row of eventTriggers) {
      const tags = row.tags ? ` for ${row.tags}` : '';
      facts.add(`event trigger ${text(row.name)}`, `on ${text(row.event)}${tags} execute ${text(row.function_name)}; owner ${text(row.owner)}; ${firingState(row.state)}`);
    }
  }

  async addRules(facts: FactList): Promise<void> {
    const rows = await this.firingObjects('pg_rewrite', 'r', { name: 'rulename', table: 'ev_class', definition: 'pg_get_ruledef', state: 'ev_enabled' }, "r.rulename <> '_RETURN'");
    for (const row of rows) {
      facts.add(`rule ${text(row.name)} on ${text(row.table_name)}`, `${text(row.definition)}; ${firingState(row.state)}`);
    }
  }

  async addPolicies(facts: FactList): Promise<void> {
    const rows = await this.rows(`
      SELECT pg_catalog.quote_ident(pol.polname) AS name, pol.polrelid::pg_catalog.regclass::text AS table_name,
             CASE WHEN pol.polpermissive THEN 'permissive' ELSE 'restrictive' END AS mode,
             CASE pol.polcmd WHEN 'r' THEN 'select' WHEN 'a' THEN 'insert' WHEN 'w' THEN 'update'
                             WHEN 'd' THEN 'delete' ELSE 'all' END AS command,
             pg_catalog.array_to_string(ARRAY(
               SELECT role_name FROM (
                 SELECT CASE WHEN role_id = 0 THEN 'public' ELSE pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(role_id)) END AS role_name
                 FROM pg_catalog.unnest(pol.polroles) AS role_id) AS policy_roles
               ORDER BY role_name COLLATE "C"), ', ') AS roles,
             pg_catalog.pg_get_expr(pol.polqual, pol.polrelid) AS using_expression,
             pg_catalog.pg_get_expr(pol.polwithcheck, pol.polrelid) AS check_expression
      ${onComparedTables('pg_policy', 'pol', 'polrelid')}
      ORDER BY 2, 1`);
    for (const row of rows) {
      const using = row.using_expression ? ` using (${row.using_expression})` : '';
      const check = row.check_expression ? ` with check (${row.check_expression})` : '';
      facts.add(`policy ${text(row.name)} on ${text(row.table_name)}`, `${text(row.mode)} for ${text(row.command)} to ${text(row.roles)}${using}${check}`);
    }
  }

  async addFunctions(facts: FactList): Promise<void> {
    const rows = await this.rows(`
      SELECT p.oid::pg_catalog.regprocedure::text AS signature, p.prokind AS kind,
             CASE WHEN p.prokind <> 'a' THEN pg_catalog.pg_get_functiondef(p.oid) END AS definition,
             CASE WHEN p.prokind = 'a' THEN (
               SELECT pg_catalog.format('returns %s; state %s via %s; final %s; initially %s',
                        pg_catalog.format_type(p.prorettype, NULL), pg_catalog.format_type(a.aggtranstype, NULL),
                        a.aggtransfn::pg_catalog.regproc, a.aggfinalfn::pg_catalog.regproc, coalesce(a.agginitval, 'null'))
               FROM pg_catalog.pg_aggregate AS a WHERE a.aggfnoid = p.oid) END AS aggregate,
             ${privilegesText('p.proacl', "'f'", 'p.proowner')} AS privileges
      FROM pg_catalog.pg_proc AS p JOIN pg_catalog.pg_namespace AS n ON n.oid = p.pronamespace
      WHERE ${isUserSchema('n.nspname')} AND ${isNotExtensionMember('pg_proc', 'p.oid')}
      ORDER BY 1`);
    const functionKinds: Record<string, string> = { f: 'function', p: 'procedure', a: 'aggregate', w: 'window function' };
    for (const row of rows) {
      const routine = `${functionKinds[text(row.kind)] ?? 'function'} ${text(row.signature)}`;
      facts.add(routine, text(row.definition ?? row.aggregate));
      facts.add(`privileges on ${routine}`, text(row.privileges));
    }
  }

  async addComments(facts: FactList): Promise<void> {
    // Objects below FirstNormalObjectId (16384) come with the server, not the database.
    const rows = await this.rows(`
      SELECT o.type AS object_type, o.identity AS identity, d.description AS description
      FROM pg_catalog.pg_description AS d,
           LATERAL pg_catalog.pg_identify_object(d.classoid, d.objoid, d.objsubid) AS o
      WHERE d.objoid >= 16384
        AND (o.schema IS NULL OR ${isUserSchema('o.schema')})
        AND NOT EXISTS (SELECT FROM pg_catalog.pg_depend AS membership
                        WHERE membership.classid = d.classoid AND membership.objid = d.objoid AND membership.deptype = 'e')
      ORDER BY 1, 2`);
    for (const row of rows) facts.add(`comment on ${text(row.object_type)} ${text(row.identity)}`, text(row.description));
  }

  async addLargeObjects(facts: FactList): Promise<void> {
    const rows = await this.rows(`
      SELECT m.oid::text AS id, pg_catalog.length(content.data)::text AS size, pg_catalog.md5(content.data) AS hash,
             ${privilegesText('m.lomacl', "'L'", 'm.lomowner')} AS privileges
      FROM pg_catalog.pg_largeobject_metadata AS m,
           LATERAL (SELECT pg_catalog.lo_get(m.oid) AS data) AS content
      ORDER BY m.oid`);
    for (const row of rows) {
      facts.add(`large object ${text(row.id)}`, `${text(row.size)} bytes, md5 ${text(row.hash)}`);
      facts.add(`privileges on large object ${text(row.id)}`, text(row.privileges));
    }
  }

  async addDefaultPrivileges(facts: FactList): Promise<void> {
    const rows = await this.rows(`
      SELECT pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(da.defaclrole)) AS role_name,
             coalesce('schema ' || pg_catalog.quote_ident(n.nspname), 'all schemas') AS scope,
             CASE da.defaclobjtype WHEN 'r' THEN 'tables' WHEN 'S' THEN 'sequences' WHEN 'f' THEN 'functions'
                                   WHEN 'T' THEN 'types' WHEN 'n' THEN 'schemas' ELSE da.defaclobjtype::text END AS object_type,
             pg_catalog.array_to_string(ARRAY(
               SELECT item::text FROM pg_catalog.unnest(da.defaclacl) AS item ORDER BY item::text COLLATE "C"), ' ') AS privileges
      FROM pg_catalog.pg_default_acl AS da LEFT JOIN pg_catalog.pg_namespace AS n ON n.oid = da.defaclnamespace
      WHERE n.nspname IS NULL OR ${isUserSchema('n.nspname')}
      ORDER BY 1, 2, 3`);
    for (const row of rows) {
      facts.add(`default privileges of ${text(row.role_name)} on ${text(row.object_type)} in ${text(row.scope)}`, text(row.privileges));
    }
  }

  async addRowHashes(facts: FactList): Promise<void> {
    // Partitioned parents hold no rows of their own: their partitions are hashed.
    // ONLY keeps an inheritance parent from counting its children's rows twice.
    const relations = await this.rows(`
      SELECT c.oid::pg_catalog.regclass::text AS name, c.relkind AS kind
      FROM pg_catalog.pg_class AS c JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
      WHERE (c.relkind = 'r' OR (c.relkind = 'm' AND c.relispopulated))
        AND ${isUserSchema('n.nspname')} AND ${isNotExtensionMember('pg_class', 'c.oid')}
      ORDER BY 1`);
    for (const relation of relations) {
      const name = text(relation.name);
      const only = relation.kind === 'r' ? 'ONLY ' : '';
      // Sorting the rows' hashes orders the rows as well as sorting their text
      // would, with 33 bytes a row to aggregate instead of the whole row.
      const result = await this.client.query<CatalogRow>(`
        SELECT pg_catalog.count(*)::text AS row_count,
               pg_catalog.md5(coalesce(pg_catalog.string_agg(row_hash, '' ORDER BY row_hash COLLATE "C"), '')) AS content_hash
        FROM (SELECT pg_catalog.md5((source_row.*)::text) AS row_hash FROM ${only}${name} AS source_row) AS hashed`);
      const summary = result.rows[0];
      const kind = relation.kind === 'm' ? 'materialized view' : 'table';
      facts.add(`rows of ${kind} ${name}`, `${text(summary?.row_count)} rows, hash ${text(summary?.content_hash)}`);
    }
  }
}

function text(value: string | null | undefined): string {
  return value ?? '';
}

function describeChange(firstValue: string, secondValue: string): string {
  const firstLines = firstValue.split('\n');
  const secondLines = secondValue.split('\n');
  if (firstLines.length === 1 && secondLines.length === 1) return `${shorten(firstValue)} ≠ ${shorten(secondValue)}`;
  const index = firstLines.findIndex((line, position) => line !== secondLines[position]);
  const at = index === -1 ? firstLines.length : index;
  return `differs from line ${at + 1}: ${shorten(firstLines[at] ?? '(end)')} ≠ ${shorten(secondLines[at] ?? '(end)')}`;
}

function shorten(value: string, limit = 240): string {
  const oneLine = value.replace(/\n/g, '⏎');
  return oneLine.length > limit ? `${oneLine.slice(0, limit - 1)}…` : oneLine;
}
