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
 * PRIVILEGES, at its end, make them the backup's again. A Supabase set's
 * schema and complete files carry the same statement, so that plain psql
 * restores them exactly too.
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
