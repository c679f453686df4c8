/**
 * Backup profiles: what of a database a set holds.
 *
 * - `plain`: everything pg_dump dumps.
 * - `supabase`: a Supabase database, whose platform (the stack, and
 *   `supabase db reset`) owns schemas, roles and migration histories. The
 *   set holds the application: its schemas' objects and data, the platform
 *   data a person would miss after a reset (the rows of auth and storage:
 *   users, identities, buckets, objects, …; its pg_cron jobs, queued pgmq
 *   messages and database hooks), and the application's own objects attached
 *   to platform tables (a trigger on auth.users, policies on
 *   storage.objects). Never the platform's own objects or migration
 *   histories, which the platform rebuilds.
 *
 * One pg_dump run still dumps the whole database from the set's snapshot;
 * the profile decides, entry by entry (see `entryFilter`), what goes into
 * the files. Every list of platform things lives here, in one place.
 */
import type { EntryHeader } from '../pg/dumpReader';
import { qualifiedName } from '../format';

export type ProfileChoice = 'auto' | 'supabase' | 'plain';
export type ProfileName = 'supabase' | 'plain';
export const PROFILE_CHOICES: readonly ProfileChoice[] = ['auto', 'supabase', 'plain'];

/*
 * The platform lists follow the Supabase CLI's own dump code, so a set holds
 * what `supabase db dump` would: supabase/cli `pkg/migration/dump.go`
 * (`InternalSchemas`, `excludedSchemas`, `reservedRoles`, `allowedConfigs`)
 * and `scripts/dump_data.sh`, as released in the CLI's v2 series of June
 * 2026 (the lists gained `etl` that spring and have not changed since).
 */

/**
 * Schemas the Supabase platform creates and manages — the CLI's
 * `InternalSchemas` without `information_schema` and `pg_*`, which pg_dump
 * never dumps — besides any schema an extension owns (found in the catalog).
 */
export const SUPABASE_PLATFORM_SCHEMAS: readonly string[] = [
  // Made by the supabase/postgres image and the stack's services.
  '_analytics',
  '_realtime',
  '_supavisor',
  'auth',
  'etl',
  'extensions',
  'pgbouncer',
  'realtime',
  'storage',
  'supabase_functions',
  'supabase_migrations',
  // Owned by extensions the platform installs or offers.
  'cron',
  'dbdev',
  'graphql',
  'graphql_public',
  'net',
  'pgmq',
  'pgsodium',
  'pgsodium_masks',
  'pgtle',
  'repack',
  'tiger',
  'tiger_data',
  'topology',
  'vault',
];

/** The CLI's `timescaledb_*` and `_timescaledb_*`: every schema starting so is TimescaleDB's. */
export const SUPABASE_PLATFORM_SCHEMA_PREFIXES: readonly string[] = ['timescaledb_', '_timescaledb_'];

/** Whether a schema is the platform's by name (extension-owned schemas are found in the catalog). */
export function isSupabasePlatformSchema(name: string): boolean {
  return SUPABASE_PLATFORM_SCHEMAS.includes(name) || SUPABASE_PLATFORM_SCHEMA_PREFIXES.some((prefix) => name.startsWith(prefix));
}

/**
 * Platform schemas whose rows are the application's — the CLI's data dump
 * keeps them "for migrating to a new project" (InternalSchemas less
 * excludedSchemas): auth (users, identities, sessions, factors, …), storage
 * (buckets, objects, …), supabase_functions (the project's database hooks),
 * cron (its pg_cron jobs), net (pg_net's request queue) and pgmq (its queues
 * and their messages) — except the migration histories.
 */
export const SUPABASE_DATA_SCHEMAS: readonly string[] = ['auth', 'storage', 'supabase_functions', 'cron', 'net', 'pgmq'];

/** The platform's migration histories: `db reset` and the stack rebuild them; restoring old ones would lie to them. */
export const SUPABASE_MIGRATION_HISTORIES: readonly string[] = [
  'auth.schema_migrations',
  'storage.migrations',
  'supabase_functions.migrations',
  'supabase_migrations.schema_migrations',
  'supabase_migrations.seed_files',
  'realtime.schema_migrations',
];

/**
 * Policies the platform's extensions create on their own tables (pg_cron's
 * `cron_job_policy`, `cron_job_run_details_policy`): the CLI leaves out
 * every `CREATE POLICY "cron_job_…`; any other policy on a platform table is
 * the application's.
 */
export function isPlatformPolicy(schema: string, name: string): boolean {
  return schema === 'cron' && / cron_job_/.test(` ${name.replace(/"/g, '')}`);
}

/**
 * The CLI's `reservedRoles` (regular expressions, as it passes them to its
 * role dump): roles the platform creates and owns. `postgres` is among them
 * because the stack makes it; it is also every plain PostgreSQL's superuser.
 */
export const SUPABASE_RESERVED_ROLES: readonly string[] = [
  'anon',
  'authenticated',
  'authenticator',
  'cli_login_.*',
  'dashboard_user',
  'pgbouncer',
  'postgres',
  'service_role',
  'supabase_.*',
  // Managed by extensions
  'pgsodium_keyholder',
  'pgsodium_keyiduser',
  'pgsodium_keymaker',
  'pgtle_admin',
];

const reservedRole = new RegExp(`^(?:${SUPABASE_RESERVED_ROLES.join('|')})$`);

/** Whether a role is one the Supabase platform creates (the CLI's reservedRoles). */
export function isSupabaseReservedRole(name: string): boolean {
  return reservedRole.test(name);
}

/**
 * The CLI's `allowedConfigs`: the settings that the stack's `postgres`, not a
 * superuser, may still set, because supautils lets it
 * (supabase/postgres `supautils.conf`). `session_replication_role` is the
 * one a data restore needs.
 */
export const SUPABASE_ALLOWED_SETTINGS: readonly string[] = ['pgaudit.*', 'pgrst.*', 'session_replication_role', 'statement_timeout', 'track_io_timing'];

/** Whether the stack lets `postgres` set this superuser-only setting (SUPABASE_ALLOWED_SETTINGS). */
export function supabaseAllowsSetting(name: string): boolean {
  return SUPABASE_ALLOWED_SETTINGS.some((allowed) => (allowed.endsWith('.*') ? name.startsWith(allowed.slice(0, -1)) : name === allowed));
}

/**
 * The extensions the platform itself installs (the supabase/postgres image's
 * init scripts and migrations, and pg_stat_statements from its entrypoint):
 * every stack has them, so a set leaves them to the platform. Any other
 * extension is the application's — wherever it lives, `extensions` included,
 * where Supabase's docs tell people to put them — and the set keeps its
 * CREATE EXTENSION (pg_dump writes IF NOT EXISTS).
 */
export const SUPABASE_PLATFORM_EXTENSIONS: readonly string[] = ['plpgsql', 'pgcrypto', 'uuid-ossp', 'pgjwt', 'pg_graphql', 'pgsodium', 'supabase_vault', 'pg_stat_statements'];

/** A Supabase database has these schemas and this role; `auto` then chooses the Supabase profile. */
export const SUPABASE_MARKER_SCHEMAS: readonly string[] = ['auth', 'storage'];
export const SUPABASE_MARKER_ROLE = 'supabase_admin';

/** What the catalog says about the platform, read in the set's snapshot. */
export interface PlatformFacts {
  /** The platform schemas present, and schemas an extension owns. */
  platformSchemas: string[];
  /** User triggers on tables in platform schemas, with the schema of the function they call. */
  triggersOnPlatformTables: { schema: string; table: string; trigger: string; functionSchema: string }[];
  /** Event triggers and the schema of their function. */
  eventTriggers: { name: string; functionSchema: string }[];
  /** Sequences in platform schemas owned by a column of a table there, or used by a column's default (pg_cron's jobid_seq). */
  platformSequences: { schema: string; name: string; tableSchema: string; table: string }[];
}

/** Why something a pg_dump of the database holds is not in the set. */
export interface LeftOut {
  schemas: { name: string; why: string }[];
  tableData: { schema: string; name: string; why: string }[];
  /** Single entries left out elsewhere ("DEFAULT ACL public DEFAULT PRIVILEGES FOR TABLES", owner supabase_admin); missing in older manifests. */
  entries?: { type: string; schema: string; name: string; owner: string; why: string }[];
}

export interface ProfileRecord {
  name: ProfileName;
  /** What was asked: --profile (or the extension's setting), `auto` by default. */
  chosen: ProfileChoice;
  /** Why this profile: what `auto` saw, or that it was asked for. */
  reason: string;
  /** Platform tables whose rows the set holds (supabase). */
  platformData: string[];
  /** Application objects on platform tables that the set holds (supabase): "TRIGGER auth.users on_auth_user_created". */
  attachedObjects: string[];
  leftOut: LeftOut;
}

export interface DatabaseShape {
  schemas: string[];
  roles: string[];
}

/** `auto`: the Supabase profile when the platform's schemas and role are there. */
export function chooseProfile(choice: ProfileChoice, shape: DatabaseShape): { name: ProfileName; reason: string } {
  const schemas = SUPABASE_MARKER_SCHEMAS.filter((schema) => shape.schemas.includes(schema));
  const hasRole = shape.roles.includes(SUPABASE_MARKER_ROLE);
  const isSupabase = schemas.length === SUPABASE_MARKER_SCHEMAS.length && hasRole;
  if (choice === 'plain') return { name: 'plain', reason: 'asked for (--profile plain): everything pg_dump dumps' };
  if (choice === 'supabase') {
    return {
      name: 'supabase',
      reason: isSupabase ? 'asked for (--profile supabase)' : 'asked for (--profile supabase), although the Supabase platform schemas or role are missing',
    };
  }
  if (isSupabase) {
    return { name: 'supabase', reason: `auto: the database has the Supabase platform schemas (${SUPABASE_MARKER_SCHEMAS.join(', ')}) and role ${SUPABASE_MARKER_ROLE}` };
  }
  return { name: 'plain', reason: 'auto: no Supabase platform schemas and role, so everything pg_dump dumps' };
}

/**
 * The Supabase profile's decision for each archive entry of the full dump,
 * and the record of what it left out (filled in as entries go past).
 */
export function supabaseEntryFilter(facts: PlatformFacts): { keep: (header: EntryHeader) => boolean; record: Pick<ProfileRecord, 'platformData' | 'attachedObjects' | 'leftOut'> } {
  const platform = new Set(facts.platformSchemas);
  const histories = new Set(SUPABASE_MIGRATION_HISTORIES);
  const dataSchemas = new Set(SUPABASE_DATA_SCHEMAS);
  const keepsRows = (schema: string, name: string) => dataSchemas.has(schema) && !histories.has(qualifiedName(schema, name));
  const appTriggers = new Set(
    facts.triggersOnPlatformTables.filter((trigger) => !platform.has(trigger.functionSchema)).map((trigger) => `${trigger.schema}\u0000${trigger.table} ${trigger.trigger}`),
  );
  const platformExtensions = new Set(SUPABASE_PLATFORM_EXTENSIONS);
  const platformEventTriggers = new Set(facts.eventTriggers.filter((trigger) => platform.has(trigger.functionSchema)).map((trigger) => trigger.name));
  const keptSequences = new Set(
    facts.platformSequences.filter((sequence) => keepsRows(sequence.tableSchema, sequence.table)).map((sequence) => `${sequence.schema}\u0000${sequence.name}`),
  );
  const record: Pick<ProfileRecord, 'platformData' | 'attachedObjects' | 'leftOut'> = {
    platformData: [],
    attachedObjects: [],
    leftOut: {
      schemas: facts.platformSchemas.map((name) => ({ name, why: 'managed by the Supabase platform: the stack and supabase db reset create it' })),
      tableData: [],
      entries: [],
    },
  };

  /** "SCHEMA auth", "EXTENSION pgcrypto": what a COMMENT, ACL or SECURITY LABEL entry with Schema "-" is about. */
  const aboutPlatform = (name: string): boolean => {
    const schema = /^SCHEMA (.+)$/.exec(name);
    if (schema) return platform.has(unquote(schema[1]));
    const extension = /^EXTENSION (.+)$/.exec(name);
    if (extension) return platformExtensions.has(unquote(extension[1]));
    const eventTrigger = /^EVENT TRIGGER (.+)$/.exec(name);
    if (eventTrigger) return platformEventTriggers.has(unquote(eventTrigger[1]));
    return false;
  };

  const keep = (header: EntryHeader): boolean => {
    const { type, schema, name } = header;
    if (!platform.has(schema)) {
      switch (type) {
        case 'SCHEMA':
          return !platform.has(unquote(name));
        case 'EXTENSION':
          return !platformExtensions.has(unquote(name));
        case 'EVENT TRIGGER':
          return !platformEventTriggers.has(unquote(name));
        case 'PUBLICATION':
          return !unquote(name).startsWith('supabase_realtime');
        case 'DEFAULT ACL':
          // A platform role's defaults (supabase_admin's in public) are the
          // platform's, and only a member of that role may set them.
          if (header.owner !== 'postgres' && isSupabaseReservedRole(header.owner)) {
            record.leftOut.entries?.push({
              type,
              schema,
              name,
              owner: header.owner,
              why: `the default privileges of the platform role ${header.owner}: the stack sets them, and postgres may not`,
            });
            return false;
          }
          return true;
        case 'COMMENT':
        case 'ACL':
        case 'SECURITY LABEL':
          return !aboutPlatform(name);
        default:
          return true;
      }
    }
    const qualified = qualifiedName(schema, name);
    switch (type) {
      case 'TABLE DATA':
        if (keepsRows(schema, name)) {
          record.platformData.push(qualified);
          return true;
        }
        record.leftOut.tableData.push({
          schema,
          name,
          why: histories.has(qualified) ? 'a migration history: the platform and supabase db reset rebuild it' : 'platform data the stack manages',
        });
        return false;
      case 'SEQUENCE SET':
        return keptSequences.has(`${schema}\u0000${name}`);
      case 'TRIGGER':
        if (appTriggers.has(`${schema}\u0000${name}`)) {
          record.attachedObjects.push(`TRIGGER ${schema}.${name}`);
          return true;
        }
        return false;
      case 'POLICY':
        // Apart from pg_cron's own, every policy on a platform table is the application's.
        if (isPlatformPolicy(schema, name)) return false;
        record.attachedObjects.push(`POLICY ${schema}.${name}`);
        return true;
      default:
        return false;
    }
  };
  return { keep, record };
}

/** An entry's Name as pg_dump writes it: identifiers are quoted only when they need it. */
function unquote(name: string): string {
  return name.startsWith('"') && name.endsWith('"') ? name.slice(1, -1).replace(/""/g, '"') : name;
}
