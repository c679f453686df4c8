/**
 * Facts about what an application database rarely has and the fixtures'
 * definition of "the same content" leaves out, for databases that have them
 * (PostgreSQL's regression database): operators and what the access methods
 * hold of them, casts, collations, conversions, text search objects,
 * statistics objects, publications, foreign-data wrappers, servers, user
 * mappings, foreign table options, transforms, access methods, languages,
 * and the per-column and per-table settings pg_dump writes as ALTER
 * statements (statistics targets, storage, compression, table access method).
 *
 * Objects are keyed by pg_identify_object's type and identity, which name
 * them without OIDs. fingerprint.ts adds these unless told not to
 * (`uncommonObjects: false`).
 */
import type { Client } from 'pg';

/** SQL true for an object an extension brought; `catalog` is a regclass expression. */
function isExtensionMember(catalog: string, objectId: string): string {
  return `EXISTS (SELECT FROM pg_catalog.pg_depend AS membership
    WHERE membership.classid = ${catalog} AND membership.objid = ${objectId} AND membership.deptype = 'e')`;
}

/** SQL true for an object the server or an extension brought, not the database. */
function comesWithServerOrExtension(catalog: string, objectId: string): string {
  return `(${objectId} < 16384 OR ${isExtensionMember(catalog, objectId)})`;
}

function owner(column: string): string {
  return `'owner ' || pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(${column}))`;
}

function options(column: string): string {
  return `coalesce(pg_catalog.array_to_string(${column}, ', '), '')`;
}

/**
 * One row a catalog object: the catalog, the object, and what about it must
 * match. Operators and support functions the database added to a built-in
 * operator family (ALTER OPERATOR FAMILY integer_ops … ADD) count too: they
 * have OIDs of their own, and pg_dump does not dump them.
 */
function objectDetails(versionNum: number): string {
  // Row filters, column lists and publications of a schema's tables came with PostgreSQL 15.
  const publicationRelation =
    versionNum >= 150000
      ? `pg_catalog.concat_ws('; ', 'where ' || pg_catalog.pg_get_expr(r.prqual, r.prrelid),
           'columns ' || (SELECT pg_catalog.string_agg(pg_catalog.quote_ident(a.attname), ', ' ORDER BY a.attnum)
                          FROM pg_catalog.pg_attribute AS a WHERE a.attrelid = r.prrelid AND a.attnum = ANY (r.prattrs)))`
      : "''";
  const publicationSchemas =
    versionNum >= 150000
      ? `
  UNION ALL
  SELECT 'pg_publication_namespace'::regclass, n.oid, 'schema' FROM pg_catalog.pg_publication_namespace AS n`
      : '';
  return `
  SELECT 'pg_operator'::regclass AS catalog, o.oid AS object_id, pg_catalog.concat_ws('; ',
           'function ' || o.oprcode::regprocedure, 'commutator ' || nullif(o.oprcom, 0)::regoperator,
           'negator ' || nullif(o.oprnegate, 0)::regoperator, 'restrict ' || nullif(o.oprrest, 0)::regprocedure,
           'join ' || nullif(o.oprjoin, 0)::regprocedure, CASE WHEN o.oprcanhash THEN 'hashes' END,
           CASE WHEN o.oprcanmerge THEN 'merges' END, ${owner('o.oprowner')}) AS detail
  FROM pg_catalog.pg_operator AS o
  UNION ALL
  SELECT 'pg_opclass'::regclass, c.oid, pg_catalog.concat_ws('; ', 'for ' || pg_catalog.format_type(c.opcintype, NULL),
           'family ' || f.opfname, CASE WHEN c.opcdefault THEN 'default' END,
           'storage ' || nullif(c.opckeytype, 0)::regtype, ${owner('c.opcowner')})
  FROM pg_catalog.pg_opclass AS c JOIN pg_catalog.pg_opfamily AS f ON f.oid = c.opcfamily
  UNION ALL
  SELECT 'pg_opfamily'::regclass, f.oid, ${owner('f.opfowner')} FROM pg_catalog.pg_opfamily AS f
  UNION ALL
  SELECT 'pg_amop'::regclass, a.oid, pg_catalog.concat_ws('; ', CASE a.amoppurpose WHEN 'o' THEN 'for order by ' || a.amopsortfamily END)
  FROM pg_catalog.pg_amop AS a WHERE NOT ${isExtensionMember("'pg_opfamily'::regclass", 'a.amopfamily')}
  UNION ALL
  SELECT 'pg_amproc'::regclass, p.oid, 'function ' || p.amproc::regprocedure
  FROM pg_catalog.pg_amproc AS p WHERE NOT ${isExtensionMember("'pg_opfamily'::regclass", 'p.amprocfamily')}
  UNION ALL
  SELECT 'pg_cast'::regclass, c.oid, pg_catalog.concat_ws('; ', coalesce('function ' || nullif(c.castfunc, 0)::regprocedure, 'no function'),
           'context ' || c.castcontext::text, 'method ' || c.castmethod::text)
  FROM pg_catalog.pg_cast AS c
  UNION ALL
  SELECT 'pg_collation'::regclass, c.oid, pg_catalog.concat_ws('; ', 'provider ' || c.collprovider::text, 'collate ' || c.collcollate,
           'ctype ' || c.collctype, -- PostgreSQL 15 and 16 call it colliculocale, 17 colllocale, 13 and 14 have none.
           'locale ' || coalesce(pg_catalog.to_jsonb(c) ->> 'colliculocale', pg_catalog.to_jsonb(c) ->> 'colllocale'), CASE WHEN NOT c.collisdeterministic THEN 'nondeterministic' END,
           ${owner('c.collowner')})
  FROM pg_catalog.pg_collation AS c
  UNION ALL
  SELECT 'pg_conversion'::regclass, c.oid, pg_catalog.concat_ws('; ', pg_catalog.pg_encoding_to_char(c.conforencoding) || ' to '
           || pg_catalog.pg_encoding_to_char(c.contoencoding), 'function ' || c.conproc::regprocedure,
           CASE WHEN c.condefault THEN 'default' END, ${owner('c.conowner')})
  FROM pg_catalog.pg_conversion AS c
  UNION ALL
  SELECT 'pg_ts_config'::regclass, c.oid, pg_catalog.concat_ws('; ',
           (SELECT 'parser ' || pg_catalog.quote_ident(pn.nspname) || '.' || pg_catalog.quote_ident(p.prsname)
            FROM pg_catalog.pg_ts_parser AS p JOIN pg_catalog.pg_namespace AS pn ON pn.oid = p.prsnamespace WHERE p.oid = c.cfgparser),
           ${owner('c.cfgowner')},
           (SELECT pg_catalog.string_agg(m.maptokentype || ':' || m.mapseqno || '=' || m.mapdict::regdictionary::text, ' '
                                         ORDER BY m.maptokentype, m.mapseqno)
            FROM pg_catalog.pg_ts_config_map AS m WHERE m.mapcfg = c.oid))
  FROM pg_catalog.pg_ts_config AS c
  UNION ALL
  SELECT 'pg_ts_dict'::regclass, d.oid, pg_catalog.concat_ws('; ', 'template ' || t.tmplname, 'options ' || d.dictinitoption,
           ${owner('d.dictowner')})
  FROM pg_catalog.pg_ts_dict AS d JOIN pg_catalog.pg_ts_template AS t ON t.oid = d.dicttemplate
  UNION ALL
  SELECT 'pg_ts_parser'::regclass, p.oid, 'parser' FROM pg_catalog.pg_ts_parser AS p
  UNION ALL
  SELECT 'pg_ts_template'::regclass, t.oid, 'lexize ' || t.tmpllexize::regprocedure FROM pg_catalog.pg_ts_template AS t
  UNION ALL
  SELECT 'pg_statistic_ext'::regclass, s.oid, pg_catalog.concat_ws('; ', pg_catalog.pg_get_statisticsobjdef(s.oid),
           'statistics target ' || s.stxstattarget, ${owner('s.stxowner')})
  FROM pg_catalog.pg_statistic_ext AS s
  UNION ALL
  SELECT 'pg_publication'::regclass, p.oid, pg_catalog.concat_ws('; ', CASE WHEN p.puballtables THEN 'all tables' END,
           'publishes' || CASE WHEN p.pubinsert THEN ' insert' ELSE '' END || CASE WHEN p.pubupdate THEN ' update' ELSE '' END
           || CASE WHEN p.pubdelete THEN ' delete' ELSE '' END || CASE WHEN p.pubtruncate THEN ' truncate' ELSE '' END,
           CASE WHEN p.pubviaroot THEN 'via root' END, ${owner('p.pubowner')})
  FROM pg_catalog.pg_publication AS p
  UNION ALL
  SELECT 'pg_publication_rel'::regclass, r.oid, ${publicationRelation}
  FROM pg_catalog.pg_publication_rel AS r${publicationSchemas}
  UNION ALL
  SELECT 'pg_foreign_data_wrapper'::regclass, w.oid, pg_catalog.concat_ws('; ', 'handler ' || nullif(w.fdwhandler, 0)::regprocedure,
           'validator ' || nullif(w.fdwvalidator, 0)::regprocedure, 'options ' || ${options('w.fdwoptions')}, ${owner('w.fdwowner')},
           'privileges ' || ${options("coalesce(w.fdwacl, pg_catalog.acldefault('F', w.fdwowner))")})
  FROM pg_catalog.pg_foreign_data_wrapper AS w
  UNION ALL
  SELECT 'pg_foreign_server'::regclass, s.oid, pg_catalog.concat_ws('; ', 'type ' || s.srvtype, 'version ' || s.srvversion,
           'options ' || ${options('s.srvoptions')}, ${owner('s.srvowner')},
           'privileges ' || ${options("coalesce(s.srvacl, pg_catalog.acldefault('S', s.srvowner))")})
  FROM pg_catalog.pg_foreign_server AS s
  UNION ALL
  SELECT 'pg_user_mapping'::regclass, u.oid, 'options ' || ${options('u.umoptions')} FROM pg_catalog.pg_user_mapping AS u
  UNION ALL
  SELECT 'pg_transform'::regclass, t.oid, pg_catalog.concat_ws('; ', 'from sql ' || nullif(t.trffromsql, 0)::regprocedure,
           'to sql ' || nullif(t.trftosql, 0)::regprocedure)
  FROM pg_catalog.pg_transform AS t
  UNION ALL
  SELECT 'pg_am'::regclass, a.oid, pg_catalog.concat_ws('; ', 'type ' || a.amtype::text, 'handler ' || a.amhandler::regprocedure)
  FROM pg_catalog.pg_am AS a
  UNION ALL
  SELECT 'pg_language'::regclass, l.oid, pg_catalog.concat_ws('; ', CASE WHEN l.lanpltrusted THEN 'trusted' END,
           'handler ' || nullif(l.lanplcallfoid, 0)::regprocedure, 'inline ' || nullif(l.laninline, 0)::regprocedure,
           'validator ' || nullif(l.lanvalidator, 0)::regprocedure, ${owner('l.lanowner')},
           'privileges ' || ${options("coalesce(l.lanacl, pg_catalog.acldefault('l', l.lanowner))")})
  FROM pg_catalog.pg_language AS l`;
}

type Row = Record<string, string | null>;

/** [key, value] pairs in a stable order; $1 in every query is the list of excluded schemas. */
export async function uncommonObjectFacts(client: Client, isUserSchema: (schemaName: string) => string, excludedSchemas: string[]): Promise<[string, string][]> {
  const query = async (sql: string): Promise<Row[]> => (await client.query<Row>(sql, [excludedSchemas])).rows;
  const facts: [string, string][] = [];
  const versionNum = Number((await client.query<{ version: string }>("SELECT current_setting('server_version_num') AS version")).rows[0].version);

  const objects = await query(`
    SELECT o.type AS object_type, o.identity AS identity, details.detail AS detail
    FROM (${objectDetails(versionNum)}) AS details,
         LATERAL pg_catalog.pg_identify_object(details.catalog, details.object_id, 0) AS o
    WHERE NOT ${comesWithServerOrExtension('details.catalog', 'details.object_id')}
      AND (o.schema IS NULL OR ${isUserSchema('o.schema')})
    ORDER BY 1, 2`);
  for (const row of objects) facts.push([`${row.object_type ?? ''} ${row.identity ?? ''}`, row.detail ?? '']);

  const foreignTables = await query(`
    SELECT f.ftrelid::pg_catalog.regclass::text AS name, s.srvname AS server, ${options('f.ftoptions')} AS table_options
    FROM pg_catalog.pg_foreign_table AS f
    JOIN pg_catalog.pg_foreign_server AS s ON s.oid = f.ftserver
    JOIN pg_catalog.pg_class AS c ON c.oid = f.ftrelid
    JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
    WHERE ${isUserSchema('n.nspname')} AND NOT ${comesWithServerOrExtension("'pg_class'::regclass", 'c.oid')}
    ORDER BY 1`);
  for (const row of foreignTables) facts.push([`server of foreign table ${row.name ?? ''}`, `${row.server ?? ''}; options ${row.table_options ?? ''}`]);

  // What pg_dump writes as ALTER TABLE … ALTER COLUMN … SET STATISTICS / STORAGE / COMPRESSION / (options).
  // Column compression came with PostgreSQL 14. PostgreSQL 17.12 stamps
  // every column with an option of its own (pg_attver=<a counter>): the
  // server's bookkeeping, not the database's content, and no dump carries it.
  const compression = versionNum >= 140000 ? 'a.attcompression::text' : "''";
  const columnOptions = `ARRAY(SELECT o FROM pg_catalog.unnest(a.attoptions) AS o WHERE o NOT LIKE 'pg\\_attver=%')`;
  const columns = await query(`
    SELECT c.oid::pg_catalog.regclass::text || '.' || pg_catalog.quote_ident(a.attname) AS name,
           pg_catalog.concat_ws('; ',
             CASE WHEN a.attstattarget <> -1 THEN 'statistics ' || a.attstattarget END,
             CASE WHEN a.attstorage <> t.typstorage THEN 'storage ' || a.attstorage::text END,
             CASE WHEN ${compression} <> '' THEN 'compression ' || ${compression} END,
             'options ' || nullif(pg_catalog.array_to_string(${columnOptions}, ', '), ''),
             'foreign options ' || pg_catalog.array_to_string(a.attfdwoptions, ', ')) AS settings
    FROM pg_catalog.pg_attribute AS a
    JOIN pg_catalog.pg_type AS t ON t.oid = a.atttypid
    JOIN pg_catalog.pg_class AS c ON c.oid = a.attrelid
    JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
    WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p', 'f', 'm', 'i', 'I')
      AND ${isUserSchema('n.nspname')} AND NOT ${comesWithServerOrExtension("'pg_class'::regclass", 'c.oid')}
      AND (a.attstattarget <> -1 OR a.attstorage <> t.typstorage OR ${compression} <> ''
           OR pg_catalog.cardinality(${columnOptions}) > 0 OR a.attfdwoptions IS NOT NULL)
    ORDER BY 1`);
  for (const row of columns) facts.push([`settings of column ${row.name ?? ''}`, row.settings ?? '']);

  const accessMethods = await query(`
    SELECT c.oid::pg_catalog.regclass::text AS name, am.amname AS access_method
    FROM pg_catalog.pg_class AS c
    JOIN pg_catalog.pg_am AS am ON am.oid = c.relam
    JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
    WHERE c.relkind IN ('r', 'm') AND am.amname <> 'heap'
      AND ${isUserSchema('n.nspname')} AND NOT ${comesWithServerOrExtension("'pg_class'::regclass", 'c.oid')}
    ORDER BY 1`);
  for (const row of accessMethods) facts.push([`access method of ${row.name ?? ''}`, row.access_method ?? '']);

  return facts;
}
