/**
 * The backup profiles' decisions without a database: when `auto` chooses the
 * Supabase profile, and which archive entries of a full dump the Supabase
 * profile keeps, with what it records as left out.
 */
import * as assert from 'node:assert/strict';
import type { EntryHeader } from '../../src/core/pg/dumpReader';
import { chooseProfile, isSupabasePlatformSchema, isSupabaseReservedRole, supabaseAllowsSetting, supabaseEntryFilter, type PlatformFacts } from '../../src/core/backup/profile';

const FACTS: PlatformFacts = {
  platformSchemas: ['auth', 'extensions', 'storage', 'supabase_migrations'],
  triggersOnPlatformTables: [
    { schema: 'auth', table: 'users', trigger: 'create_operator', functionSchema: 'public' },
    { schema: 'storage', table: 'objects', trigger: 'touch_updated_at', functionSchema: 'storage' },
  ],
  eventTriggers: [
    { name: 'issue_pg_cron_access', functionSchema: 'extensions' },
    { name: 'audit_ddl', functionSchema: 'public' },
  ],
  platformSequences: [
    { schema: 'auth', name: 'refresh_tokens_id_seq', tableSchema: 'auth', table: 'refresh_tokens' },
    { schema: 'supabase_migrations', name: 'seeds_id_seq', tableSchema: 'supabase_migrations', table: 'seed_files' },
  ],
};

function entry(type: string, schema: string, name: string, owner = 'postgres'): EntryHeader {
  return { isData: type === 'TABLE DATA' || type === 'SEQUENCE SET', type, schema, name, owner };
}

describe('backup profiles', () => {
  it('auto chooses supabase only with the platform schemas and role; an explicit choice wins', () => {
    const supabase = { schemas: ['auth', 'storage'], roles: ['supabase_admin'] };
    assert.equal(chooseProfile('auto', supabase).name, 'supabase');
    assert.equal(chooseProfile('auto', { schemas: ['auth', 'storage'], roles: [] }).name, 'plain');
    assert.equal(chooseProfile('auto', { schemas: ['auth'], roles: ['supabase_admin'] }).name, 'plain');
    assert.equal(chooseProfile('plain', supabase).name, 'plain');
    assert.equal(chooseProfile('supabase', { schemas: [], roles: [] }).name, 'supabase');
    assert.match(chooseProfile('supabase', { schemas: [], roles: [] }).reason, /although the Supabase platform schemas or role are missing/);
  });

  it('the Supabase profile keeps the application, platform rows and what the application attached to platform tables', () => {
    const { keep, record } = supabaseEntryFilter(FACTS);
    const kept = (type: string, schema: string, name: string) => keep(entry(type, schema, name));
    // The application.
    assert.ok(kept('TABLE', 'public', 'operators'));
    assert.ok(kept('TABLE DATA', 'public', 'operators'));
    assert.ok(kept('FUNCTION', 'public', 'create_operator_for_new_user()'));
    assert.ok(kept('ACL', 'public', 'TABLE operators'));
    assert.ok(kept('EXTENSION', '-', 'citext'), "an extension the application installed, into extensions as Supabase's docs say");
    assert.ok(kept('COMMENT', '-', 'EXTENSION pg_trgm'));
    assert.ok(keep(entry('DEFAULT ACL', 'public', 'DEFAULT PRIVILEGES FOR TABLES', 'postgres')), "the application's own default privileges");
    assert.ok(kept('EVENT TRIGGER', '-', 'audit_ddl'));
    assert.ok(kept('ACL', '-', 'SCHEMA public'));
    // Platform rows a person would miss, and their sequences.
    assert.ok(kept('TABLE DATA', 'auth', 'users'));
    assert.ok(kept('TABLE DATA', 'storage', 'objects'));
    assert.ok(kept('SEQUENCE SET', 'auth', 'refresh_tokens_id_seq'));
    // What the application attached to platform tables.
    assert.ok(kept('TRIGGER', 'auth', 'users create_operator'));
    assert.ok(kept('POLICY', 'storage', 'objects "badge photos by their owner"'));
    // The platform's own.
    for (const [type, schema, name] of [
      ['SCHEMA', '-', 'auth'],
      ['TABLE', 'auth', 'users'],
      ['FUNCTION', 'auth', 'uid()'],
      ['TRIGGER', 'storage', 'objects touch_updated_at'],
      ['EXTENSION', '-', 'pgcrypto'],
      ['COMMENT', '-', 'EXTENSION pgcrypto'],
      ['ACL', '-', 'SCHEMA auth'],
      ['EVENT TRIGGER', '-', 'issue_pg_cron_access'],
      ['PUBLICATION', '-', 'supabase_realtime'],
      ['TABLE DATA', 'auth', 'schema_migrations'],
      ['TABLE DATA', 'supabase_migrations', 'schema_migrations'],
      ['SEQUENCE SET', 'supabase_migrations', 'seeds_id_seq'],
      ['ROW SECURITY', 'storage', 'objects'],
    ] as const) {
      assert.equal(kept(type, schema, name), false, `${type} ${schema}.${name} must be left out`);
    }
    // A platform role's default privileges: postgres may not set them.
    assert.equal(keep(entry('DEFAULT ACL', 'public', 'DEFAULT PRIVILEGES FOR TABLES', 'supabase_admin')), false);
    assert.deepEqual(
      record.leftOut.entries?.map((left) => `${left.type} ${left.owner}`),
      ['DEFAULT ACL supabase_admin'],
    );
    assert.deepEqual(record.platformData, ['auth.users', 'storage.objects']);
    assert.deepEqual(record.attachedObjects, ['TRIGGER auth.users create_operator', 'POLICY storage.objects "badge photos by their owner"']);
    assert.deepEqual(
      record.leftOut.tableData.map((table) => `${table.schema}.${table.name}: ${table.why}`),
      [
        'auth.schema_migrations: a migration history: the platform and supabase db reset rebuild it',
        'supabase_migrations.schema_migrations: a migration history: the platform and supabase db reset rebuild it',
      ],
    );
    assert.deepEqual(
      record.leftOut.schemas.map((schema) => schema.name),
      FACTS.platformSchemas,
    );
  });

  it("treats as the platform's the schemas the Supabase CLI does (InternalSchemas), etl, dbdev, repack and TimescaleDB's among them", () => {
    for (const schema of [
      'auth',
      'storage',
      'etl',
      'dbdev',
      'repack',
      'timescaledb_information',
      'timescaledb_experimental',
      '_timescaledb_catalog',
      'cron',
      'pgmq',
      'net',
      'vault',
      'supabase_functions',
      '_supavisor',
    ]) {
      assert.ok(isSupabasePlatformSchema(schema), schema);
    }
    for (const schema of ['public', 'app', 'etl_staging', 'crontab', 'my_timescaledb_copy']) assert.equal(isSupabasePlatformSchema(schema), false, schema);
  });

  it("keeps, as the CLI's data dump does, the rows of cron, pgmq, net and supabase_functions, but not their histories or pg_cron's policies", () => {
    const { keep, record } = supabaseEntryFilter({
      platformSchemas: ['auth', 'cron', 'net', 'pgmq', 'supabase_functions', 'vault', 'etl'],
      triggersOnPlatformTables: [],
      eventTriggers: [],
      platformSequences: [
        { schema: 'cron', name: 'jobid_seq', tableSchema: 'cron', table: 'job' },
        { schema: 'cron', name: 'runid_seq', tableSchema: 'cron', table: 'job_run_details' },
        { schema: 'pgmq', name: 'q_orders_msg_id_seq', tableSchema: 'pgmq', table: 'q_orders' },
        { schema: 'supabase_functions', name: 'hooks_id_seq', tableSchema: 'supabase_functions', table: 'hooks' },
      ],
    });
    const kept = (type: string, schema: string, name: string) => keep(entry(type, schema, name));
    for (const [schema, name] of [
      ['cron', 'job'],
      ['cron', 'job_run_details'],
      ['pgmq', 'meta'],
      ['pgmq', 'q_orders'],
      ['pgmq', 'a_orders'],
      ['net', 'http_request_queue'],
      ['supabase_functions', 'hooks'],
    ]) {
      assert.ok(kept('TABLE DATA', schema, name), `${schema}.${name} rows`);
    }
    for (const name of ['jobid_seq', 'runid_seq']) assert.ok(kept('SEQUENCE SET', 'cron', name), name);
    assert.ok(kept('SEQUENCE SET', 'pgmq', 'q_orders_msg_id_seq'));
    assert.ok(kept('SEQUENCE SET', 'supabase_functions', 'hooks_id_seq'));
    assert.equal(kept('TABLE DATA', 'supabase_functions', 'migrations'), false);
    assert.equal(kept('TABLE DATA', 'vault', 'secrets'), false);
    assert.equal(kept('TABLE DATA', 'etl', 'replication_state'), false);
    assert.equal(kept('TABLE', 'cron', 'job'), false, 'the extension creates the table');
    assert.equal(kept('POLICY', 'cron', 'job cron_job_policy'), false, "pg_cron's own policy");
    assert.equal(kept('POLICY', 'cron', 'job_run_details cron_job_run_details_policy'), false);
    assert.ok(kept('POLICY', 'cron', 'job "ops may read jobs"'), 'a policy of the application');
    assert.deepEqual(
      record.leftOut.tableData.map((table) => `${table.schema}.${table.name}`),
      ['supabase_functions.migrations', 'vault.secrets', 'etl.replication_state'],
    );
    assert.match(record.leftOut.tableData[0].why, /migration history/);
  });

  it("knows the CLI's reserved roles and the settings the stack lets postgres set", () => {
    for (const role of [
      'anon',
      'authenticated',
      'service_role',
      'supabase_admin',
      'supabase_auth_admin',
      'supabase_etl_admin',
      'cli_login_postgres',
      'pgtle_admin',
      'pgsodium_keymaker',
      'postgres',
    ]) {
      assert.ok(isSupabaseReservedRole(role), role);
    }
    for (const role of ['app_reader', 'supabase', 'anonymous', 'my_supabase_admin']) assert.equal(isSupabaseReservedRole(role), false, role);
    for (const setting of ['session_replication_role', 'statement_timeout', 'pgrst.db_schemas', 'pgaudit.log', 'track_io_timing'])
      assert.ok(supabaseAllowsSetting(setting), setting);
    for (const setting of ['log_statement', 'pgaudit', 'work_mem_x']) assert.equal(supabaseAllowsSetting(setting), false, setting);
  });
});
