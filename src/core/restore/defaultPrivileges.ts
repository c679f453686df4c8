/**
 * Grants that come back exactly as they were, in a database that already
 * has default privileges.
 *
 * pg_dump writes each object's GRANTs and REVOKEs as changes from the
 * built-in defaults (the owner has everything; PUBLIC may run functions and
 * use types), and its ALTER DEFAULT PRIVILEGES last. A restore into a
 * database whose restoring role already has default privileges — every
 * Supabase stack: the platform lets anon and authenticated do everything on
 * postgres's new tables and functions in public — creates each object with
 * those instead, and the dump's GRANTs only add to them: a table whose anon
 * privileges the application had revoked would come back open to anon.
 *
 * So before a complete or schema restore creates anything, the restoring
 * role's default privileges are set to the built-in ones — its global ones
 * and those in every schema but the ones the backup leaves to someone else
 * (a Supabase set's platform schemas) — and the dump's own ALTER DEFAULT
 * PRIVILEGES, at its end, make them the backup's again. After those, the
 * target's own come back where the set brings none for that schema and kind
 * (keepDefaultPrivilegesStatement): they are the target's settings, not the
 * set's, and a restore that replaces nothing else must not drop them. A
 * Supabase set's schema and complete files carry the reset too, so that
 * plain psql restores them exactly as well.
 */
import { dollarTag } from '../sql';

/** A DO block that sets current_user's default privileges to the built-in ones, except in the given schemas. */
export function resetDefaultPrivilegesStatement(exceptSchemas: readonly string[]): string {
  const except = exceptSchemas.map((schema) => `'${schema.replace(/'/g, "''")}'`).join(', ');
  const tag = dollarTag('pulse_default_privileges', [except]);
  return [
    `DO ${tag}`,
    'DECLARE',
    '  entry record;',
    '  grantee text;',
    '  objects text;',
    '  scope text;',
    'BEGIN',
    '  FOR entry IN',
    '    SELECT n.nspname AS schema, d.defaclobjtype AS kind, d.defaclacl AS acl',
    '      FROM pg_catalog.pg_default_acl d LEFT JOIN pg_catalog.pg_namespace n ON n.oid = d.defaclnamespace',
    '     WHERE d.defaclrole = (SELECT oid FROM pg_catalog.pg_roles WHERE rolname = current_user)',
    `       AND (n.nspname IS NULL OR n.nspname <> ALL (ARRAY[${except}]::text[]))`,
    '  LOOP',
    "    objects := CASE entry.kind WHEN 'r' THEN 'TABLES' WHEN 'S' THEN 'SEQUENCES' WHEN 'f' THEN 'FUNCTIONS' WHEN 'T' THEN 'TYPES' ELSE 'SCHEMAS' END;",
    "    scope := CASE WHEN entry.schema IS NULL THEN '' ELSE pg_catalog.format(' IN SCHEMA %I', entry.schema) END;",
    "    FOR grantee IN SELECT DISTINCT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(a.grantee)) END",
    '                     FROM pg_catalog.aclexplode(entry.acl) a LOOP',
    "      EXECUTE pg_catalog.format('ALTER DEFAULT PRIVILEGES FOR ROLE %I%s REVOKE ALL ON %s FROM %s', current_user, scope, objects, grantee);",
    '    END LOOP;',
    '    IF entry.schema IS NULL THEN',
    '      -- A global entry: the built-in defaults again (the owner has everything, PUBLIC runs functions and uses types).',
    "      EXECUTE pg_catalog.format('ALTER DEFAULT PRIVILEGES FOR ROLE %I GRANT ALL ON %s TO %I', current_user, objects, current_user);",
    "      IF entry.kind = 'f' THEN EXECUTE pg_catalog.format('ALTER DEFAULT PRIVILEGES FOR ROLE %I GRANT EXECUTE ON FUNCTIONS TO PUBLIC', current_user); END IF;",
    "      IF entry.kind = 'T' THEN EXECUTE pg_catalog.format('ALTER DEFAULT PRIVILEGES FOR ROLE %I GRANT USAGE ON TYPES TO PUBLIC', current_user); END IF;",
    '    END IF;',
    '  END LOOP;',
    `END ${tag};`,
  ].join('\n');
}

/** One of current_user's default privileges as pg_default_acl holds it: its schema (null for a global one), its object kind, its ACL as text. */
export interface SavedDefaultPrivileges {
  schema: string | null;
  kind: string;
  acl: string;
}

/** SQL for current_user's default privileges outside the schemas in $1, as SavedDefaultPrivileges rows. */
export const SAVED_DEFAULT_PRIVILEGES_SQL = `SELECT n.nspname AS schema, d.defaclobjtype::text AS kind, d.defaclacl::text AS acl
  FROM pg_catalog.pg_default_acl d LEFT JOIN pg_catalog.pg_namespace n ON n.oid = d.defaclnamespace
 WHERE d.defaclrole = (SELECT oid FROM pg_catalog.pg_roles WHERE rolname = current_user)
   AND (n.nspname IS NULL OR n.nspname <> ALL ($1::text[]))
 ORDER BY 1, 2`;

/**
 * A DO block, run after the set's own statements and before COMMIT, that
 * gives current_user back the default privileges the target had (`saved`)
 * where the set set none of its own for that schema and kind: the reset
 * before the load is for the objects the set creates, not a change to the
 * target's settings the set does not bring. Empty when there were none.
 */
export function keepDefaultPrivilegesStatement(saved: readonly SavedDefaultPrivileges[]): string {
  if (saved.length === 0) return '';
  const literal = (text: string | null) => (text === null ? 'NULL::text' : `'${text.replace(/'/g, "''")}'`);
  const rows = saved.map((entry) => `(${literal(entry.schema)}, ${literal(entry.kind)}, ${literal(entry.acl)}::pg_catalog.aclitem[])`).join(', ');
  const tag = dollarTag('pulse_keep_default_privileges', [rows]);
  return [
    `DO ${tag}`,
    'DECLARE',
    '  entry record;',
    '  item record;',
    '  objects text;',
    '  scope text;',
    'BEGIN',
    `  FOR entry IN SELECT * FROM (VALUES ${rows}) AS saved(schema, kind, acl) LOOP`,
    '    CONTINUE WHEN entry.schema IS NOT NULL AND NOT EXISTS (SELECT FROM pg_catalog.pg_namespace WHERE nspname = entry.schema);',
    '    CONTINUE WHEN EXISTS (SELECT FROM pg_catalog.pg_default_acl d',
    '                           WHERE d.defaclrole = (SELECT oid FROM pg_catalog.pg_roles WHERE rolname = current_user)',
    '                             AND d.defaclobjtype::text = entry.kind',
    '                             AND d.defaclnamespace = COALESCE((SELECT oid FROM pg_catalog.pg_namespace WHERE nspname = entry.schema), 0));',
    "    objects := CASE entry.kind WHEN 'r' THEN 'TABLES' WHEN 'S' THEN 'SEQUENCES' WHEN 'f' THEN 'FUNCTIONS' WHEN 'T' THEN 'TYPES' ELSE 'SCHEMAS' END;",
    "    scope := CASE WHEN entry.schema IS NULL THEN '' ELSE pg_catalog.format(' IN SCHEMA %I', entry.schema) END;",
    '    IF entry.schema IS NULL THEN',
    '      -- A global entry replaces the built-in defaults: clear those first.',
    "      EXECUTE pg_catalog.format('ALTER DEFAULT PRIVILEGES FOR ROLE %I REVOKE ALL ON %s FROM %I', current_user, objects, current_user);",
    "      IF entry.kind IN ('f', 'T') THEN EXECUTE pg_catalog.format('ALTER DEFAULT PRIVILEGES FOR ROLE %I REVOKE ALL ON %s FROM PUBLIC', current_user, objects); END IF;",
    '    END IF;',
    "    FOR item IN SELECT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(a.grantee)) END AS grantee,",
    '                       a.privilege_type, a.is_grantable FROM pg_catalog.aclexplode(entry.acl) a LOOP',
    "      EXECUTE pg_catalog.format('ALTER DEFAULT PRIVILEGES FOR ROLE %I%s GRANT %s ON %s TO %s%s', current_user, scope, item.privilege_type, objects, item.grantee,",
    "                                CASE WHEN item.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END);",
    '    END LOOP;',
    '  END LOOP;',
    `END ${tag};`,
  ].join('\n');
}

/** pg_default_acl's object kinds by the word pg_dump names a DEFAULT ACL entry with ("DEFAULT PRIVILEGES FOR TABLES"). */
const KIND_OF_OBJECTS: Readonly<Record<string, string>> = { TABLES: 'r', SEQUENCES: 'S', FUNCTIONS: 'f', TYPES: 'T', SCHEMAS: 'n' };

/**
 * Of the target's default privileges of `user` (saved), those the set's own
 * replace (a DEFAULT ACL entry of that role for the same schema and kind),
 * in words: "in schema public (tables)", "everywhere (functions)".
 */
export function defaultPrivilegesReplaced(
  saved: readonly SavedDefaultPrivileges[],
  entries: readonly { type: string; schema: string; name: string; owner?: string }[],
  user: string,
): string[] {
  const brought = new Set(
    entries
      .filter((entry) => entry.type === 'DEFAULT ACL' && entry.owner === user)
      .map((entry) => `${entry.schema === '-' ? '' : entry.schema}\u0000${KIND_OF_OBJECTS[entry.name.replace(/^DEFAULT PRIVILEGES FOR /, '')] ?? ''}`),
  );
  const objects = Object.fromEntries(Object.entries(KIND_OF_OBJECTS).map(([word, kind]) => [kind, word.toLowerCase()]));
  return saved
    .filter((entry) => brought.has(`${entry.schema ?? ''}\u0000${entry.kind}`))
    .map((entry) => `${entry.schema === null ? 'everywhere' : `in schema ${entry.schema}`} (${objects[entry.kind] ?? entry.kind})`);
}
