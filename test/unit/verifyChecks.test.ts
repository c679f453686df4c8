/**
 * The judgments of a verification, from made-up findings: what counts as a
 * complete set's content, when free space is too little, which psql can read
 * which files, and what is a warning rather than a failure.
 */
import { commandLineWords } from '../../src/core/commandLineWords';
import { extensionWords } from '../../src/extension/hints';
import { checkLine } from '../../src/core/verify/results';
import { strict as assert } from 'node:assert';
import { ownersAProofCannotGive } from '../../src/core/prove/scratchDatabase';
import { collationsFromText, languageFromText, superuserOnlyFromText, type DumpContents, type DumpEntry, type DumpScan } from '../../src/core/verify/dumpScan';
import type { Manifest } from '../../src/core/sets/manifest';
import { syntheticManifest } from '../support/syntheticSet';
import { parsePgVersion, type PgVersion } from '../../src/core/pg/tools';
import {
  checksumsCheck,
  contentCheckAgainstManifest,
  contentCheckFromFiles,
  diskSpaceCheck,
  diskSpaceVerdict,
  dumpFormatCheck,
  manifestCheck,
  manifestMismatches,
  noChecksumsCheck,
  notDecryptedCheck,
  permissionsCheck,
  presenceCheck,
  psqlCheck,
  serverVersionCheck,
  sizesCheck,
  writableCheck,
  encodingCheck,
  dataColumnsCheck,
  extensionsCheck,
  extensionsOf,
  rolesCheck,
  tablespacesCheck,
  collationsCheck,
  collationsOf,
  ownersCheck,
  largeObjectChecks,
  largeObjectNeeds,
  ownersOf,
  NO_OWNERS,
  tablespacesOf,
  rolesOf,
  type FileFinding,
  type SetContents,
  schemaPublicCheck,
  superuserCheck,
} from '../../src/core/verify/checks';

function version(text: string): PgVersion {
  const parsed = parsePgVersion(text);
  assert.ok(parsed, text);
  return parsed;
}

const table = (name: string, type = 'TABLE', schema = 'public'): DumpEntry => ({ type, schema, name });

/** What the three files of a healthy set of two tables (users 3 rows, empty_log 0) and a partitioned parent hold. */
function healthyContents(): Required<SetContents> {
  const definitions = [table('users'), table('empty_log'), table('events'), table('events_2024'), table('v', 'MATERIALIZED VIEW')];
  const rows = [
    { schema: 'public', name: 'users', rows: 3 },
    { schema: 'public', name: 'empty_log', rows: 0 },
    { schema: 'public', name: 'events_2024', rows: 5 },
  ];
  const dataEntries = [
    table('users', 'TABLE DATA'),
    table('empty_log', 'TABLE DATA'),
    table('events_2024', 'TABLE DATA'),
    table('users_id_seq', 'SEQUENCE SET'),
    table('v', 'MATERIALIZED VIEW DATA'),
  ];
  return {
    schema: { entries: definitions, tableRows: [] },
    data: { entries: dataEntries, tableRows: rows },
    complete: { entries: [...definitions, ...dataEntries], tableRows: rows },
  };
}

function manifestFor(tables: Manifest['tables'], extra: Partial<Manifest> = {}): Manifest {
  return syntheticManifest({
    durationMs: 100,
    database: { host: 'localhost', port: 5432, name: 'shop', user: 'postgres', sizeBytes: 1000 },
    options: { method: 'single-snapshot-split', pgDumpArgs: [] },
    files: [
      { type: 'schema', name: 'shop_schema_backup_20250901_120000.sql', bytes: 10, sha256: 'a'.repeat(64) },
      { type: 'data', name: 'shop_data_backup_20250901_120000.sql', bytes: 20, sha256: 'b'.repeat(64) },
      { type: 'complete', name: 'shop_complete_backup_20250901_120000.sql', bytes: 30, sha256: 'c'.repeat(64) },
    ],
    tables,
    materializedViews: [{ schema: 'public', name: 'v', populated: true }],
    sequences: 1,
    ...extra,
  });
}

const TABLES: Manifest['tables'] = [
  { schema: 'public', name: 'users', kind: 'table', rows: 3, bytes: 8192 },
  { schema: 'public', name: 'empty_log', kind: 'table', rows: 0, bytes: 8192 },
  { schema: 'public', name: 'events', kind: 'partitioned table', rows: null, bytes: 0 },
  { schema: 'public', name: 'events_2024', kind: 'table', rows: 5, bytes: 8192 },
];

function scan(overrides: Partial<DumpScan> = {}, contents: DumpContents = { entries: [], tableRows: [] }): DumpScan {
  return { bytes: 100, sha256: 'a'.repeat(64), hasHeader: true, hasFooter: true, endsUnrestricted: true, ...contents, ...overrides };
}

function finding(type: FileFinding['type'], extra: Partial<FileFinding> = {}): FileFinding {
  return { type, name: `shop_${type}_backup_20250901_120000.sql`, mode: 0o600, scan: scan(), ...extra };
}

describe('a manifest that does not describe its set', () => {
  const files = (['schema', 'data', 'complete'] as const).map((type) => finding(type));

  it('passes when it names the set and each of its files', () => {
    assert.deepEqual(manifestMismatches(manifestFor(TABLES), 'shop_20250901_120000', files), []);
    assert.equal(manifestCheck(manifestFor(TABLES), []).status, 'pass');
  });

  it("fails for another set's id, a file under another name, a type missing or recorded twice", () => {
    const manifest = manifestFor(TABLES, {
      id: 'shop_20250101_000000',
      files: [
        { type: 'schema', name: 'shop_schema_backup_20250901_120000.sql', bytes: 10, sha256: 'a'.repeat(64) },
        { type: 'data', name: 'shop_data_backup_20250901_120000.sql', bytes: 20, sha256: 'b'.repeat(64) },
        { type: 'data', name: 'shop_complete_backup_20250901_120000.sql', bytes: 30, sha256: 'c'.repeat(64) },
      ],
    });
    const mismatches = manifestMismatches(manifest, 'shop_20250901_120000', files);
    assert.deepEqual(mismatches, ['it is the manifest of shop_20250101_000000, not of shop_20250901_120000', 'it records 2 data files', 'it records no complete file']);
    const result = manifestCheck(manifest, mismatches);
    assert.equal(result.status, 'fail');
    assert.match(result.detail, /^the manifest does not describe this set: /);
    const renamed = manifestFor(TABLES);
    renamed.files[2] = { ...renamed.files[2], name: 'other.sql' };
    assert.deepEqual(manifestMismatches(renamed, 'shop_20250901_120000', files), [
      "it records the complete file as other.sql, but the set's is shop_complete_backup_20250901_120000.sql",
    ]);
  });
});

describe('verification checks', () => {
  describe('content against the manifest', () => {
    it('passes when every table is defined and has exactly its recorded rows in the data and complete files', () => {
      const result = contentCheckAgainstManifest(manifestFor(TABLES), healthyContents());
      assert.equal(result.status, 'pass', result.detail);
      assert.match(result.detail, /4 tables defined .* 8 rows of 3 tables/);
    });

    it('fails a complete file that is really the schema file, naming the tables without rows', () => {
      const contents = healthyContents();
      const result = contentCheckAgainstManifest(manifestFor(TABLES), { ...contents, complete: contents.schema });
      assert.equal(result.status, 'fail');
      assert.match(result.detail, /public\.users has no rows in the complete file \(3 recorded\)/);
      assert.match(result.detail, /the complete file does not hold the whole database/);
    });

    it('fails a "complete" file that lacks the definitions, such as a copy of the data file', () => {
      const contents = healthyContents();
      const result = contentCheckAgainstManifest(manifestFor(TABLES), { ...contents, complete: contents.data });
      assert.equal(result.status, 'fail');
      assert.match(result.detail, /public\.users has no definition in the complete file/);
    });

    it('fails a row count that differs from the recorded one', () => {
      const contents = healthyContents();
      const data = { ...contents.data, tableRows: contents.data.tableRows.map((rows) => (rows.name === 'users' ? { ...rows, rows: 2 } : rows)) };
      const result = contentCheckAgainstManifest(manifestFor(TABLES), { ...contents, data });
      assert.equal(result.status, 'fail');
      assert.match(result.detail, /public\.users has 2 rows in the data file, 3 recorded/);
    });

    it('accepts an empty table without a COPY block, and a partitioned parent without rows', () => {
      const contents = healthyContents();
      const withoutEmpty = (part: DumpContents): DumpContents => ({ ...part, tableRows: part.tableRows.filter((rows) => rows.name !== 'empty_log') });
      const result = contentCheckAgainstManifest(manifestFor(TABLES), { ...contents, data: withoutEmpty(contents.data), complete: withoutEmpty(contents.complete) });
      assert.equal(result.status, 'pass', result.detail);
    });

    it('fails when a populated materialized view is not refreshed by the data file', () => {
      const contents = healthyContents();
      const data = { ...contents.data, entries: contents.data.entries.filter((entry) => entry.type !== 'MATERIALIZED VIEW DATA') };
      const result = contentCheckAgainstManifest(manifestFor(TABLES), { ...contents, data });
      assert.equal(result.status, 'fail');
      assert.match(result.detail, /materialized view public\.v is not refreshed by the data file/);
    });

    it('cannot pass without all three files', () => {
      const contents: SetContents = healthyContents();
      delete contents.data;
      const result = contentCheckAgainstManifest(manifestFor(TABLES), contents);
      assert.equal(result.status, 'fail');
      assert.match(result.detail, /without the data file/);
    });

    it('matches names with spaces, quotes and non-ASCII letters exactly', () => {
      const odd: Manifest['tables'] = [{ schema: 'shop floor', name: 'Qualitäts "Prüfungen"', kind: 'table', rows: 1, bytes: 1 }];
      const entries = [table('Qualitäts "Prüfungen"', 'TABLE', 'shop floor')];
      const rows = [{ schema: 'shop floor', name: 'Qualitäts "Prüfungen"', rows: 1 }];
      const result = contentCheckAgainstManifest(manifestFor(odd, { materializedViews: [] }), {
        schema: { entries, tableRows: [] },
        data: { entries: [], tableRows: rows },
        complete: { entries, tableRows: rows },
      });
      assert.equal(result.status, 'pass', result.detail);
    });
  });

  describe('content of a set without a manifest', () => {
    it('passes when the schema and complete files define the same tables and the data and complete files hold the same rows', () => {
      const result = contentCheckFromFiles(healthyContents());
      assert.equal(result.status, 'pass', result.detail);
      assert.match(result.detail, /4 tables .* same 8 rows/);
    });

    it('fails a complete file that is really the schema file', () => {
      const contents = healthyContents();
      const result = contentCheckFromFiles({ ...contents, complete: contents.schema });
      assert.equal(result.status, 'fail');
      assert.match(result.detail, /public\.users has no rows in the complete file \(3 in the data file\)/);
    });

    it('says "1 row", not "1 rows", of a one-row table: in the same rows, and in rows that drifted', () => {
      const one = (rows: number) => ({ entries: [table('users'), table('users', 'TABLE DATA')], tableRows: [{ schema: 'public', name: 'users', rows }] });
      const same = contentCheckFromFiles({ schema: { entries: [table('users')], tableRows: [] }, data: one(1), complete: one(1) });
      assert.match(same.detail, /the data and complete files hold the same 1 row$/);
      const drifted = contentCheckFromFiles({ schema: { entries: [table('users')], tableRows: [] }, data: one(1), complete: one(2) });
      assert.match(drifted.detail, /^public\.users: 1 row in the data file, 2 in the complete file/);
      const recorded = contentCheckAgainstManifest(
        manifestFor([{ schema: 'public', name: 'users', kind: 'table', rows: 1, bytes: 8192 }], { materializedViews: [], sequences: 0 }),
        {
          schema: { entries: [table('users')], tableRows: [] },
          data: one(1),
          complete: one(1),
        },
      );
      assert.match(recorded.detail, /1 row of 1 table in the data and complete files/);
    });

    it("only warns when counts drifted between the old script's separate pg_dump runs", () => {
      const contents = healthyContents();
      const complete = { ...contents.complete, tableRows: contents.complete.tableRows.map((rows) => (rows.name === 'users' ? { ...rows, rows: 4 } : rows)) };
      const result = contentCheckFromFiles({ ...contents, complete });
      assert.equal(result.status, 'warn');
      assert.match(result.detail, /public\.users: 3 rows in the data file, 4 in the complete file/);
      assert.match(result.detail, /separate run/);
    });

    it('fails rows of a table the schema file does not define', () => {
      const contents = healthyContents();
      const schema = { ...contents.schema, entries: contents.schema.entries.filter((entry) => entry.name !== 'users') };
      const result = contentCheckFromFiles({ ...contents, schema });
      assert.equal(result.status, 'fail');
      assert.match(result.detail, /public\.users has rows but no definition in the schema file/);
    });
  });

  describe('free space for a safety backup', () => {
    it('fails below the need, warns when it barely fits, passes with room to spare', () => {
      assert.equal(diskSpaceVerdict(99, 100), 'fail');
      assert.equal(diskSpaceVerdict(100, 100), 'warn');
      assert.equal(diskSpaceVerdict(149, 100), 'warn');
      assert.equal(diskSpaceVerdict(150, 100), 'pass');
    });

    it('needs the larger of the target database and the set', () => {
      const byDatabase = diskSpaceCheck({ folder: '/b', freeBytes: 150 * 2 ** 20, databaseBytes: 120 * 2 ** 20, setBytes: 10 * 2 ** 20 });
      assert.equal(byDatabase.status, 'warn');
      assert.match(byDatabase.detail, /about 120 MB \(the target database's size\)/);
      const bySet = diskSpaceCheck({ folder: '/b', freeBytes: 5 * 2 ** 20, databaseBytes: 1 * 2 ** 20, setBytes: 10 * 2 ** 20 });
      assert.equal(bySet.status, 'fail');
      assert.match(checkLine(bySet, commandLineWords), /about 10\.0 MB \(this set's size\).*free some space/);
      const unknownTarget = diskSpaceCheck({ folder: '/b', freeBytes: 2 ** 30, setBytes: 10 * 2 ** 20 });
      assert.equal(unknownTarget.status, 'pass');
      assert.match(unknownTarget.detail, /the target's is unknown/);
    });
  });

  describe('the extensions a set creates', () => {
    it('are its EXTENSION entries, by name', () => {
      assert.deepEqual(
        extensionsOf([
          { type: 'EXTENSION', name: 'postgis' },
          { type: 'COMMENT', name: 'EXTENSION postgis' },
          { type: 'TABLE', name: 'sites' },
          { type: 'EXTENSION', name: 'pg_trgm' },
        ]),
        ['postgis', 'pg_trgm'],
      );
    });

    it('pass when the server has each, or when there are none', () => {
      assert.deepEqual(
        [extensionsCheck(['pg_trgm'], ['plpgsql', 'pg_trgm']).status, extensionsCheck(['pg_trgm'], ['plpgsql', 'pg_trgm']).detail],
        ['pass', 'the server has pg_trgm'],
      );
      assert.equal(extensionsCheck([], []).detail, 'the set creates no extension');
    });

    it('fail naming every one the server lacks and what to install', () => {
      const missing = extensionsCheck(['postgis', 'pg_trgm', 'pg_graphql'], ['pg_trgm']);
      assert.equal(missing.status, 'fail');
      assert.equal(
        checkLine(missing, commandLineWords),
        'the server has no extension postgis, pg_graphql, which a complete or schema restore of the set creates (CREATE EXTENSION): install them on the server (the package that puts postgis.control in its extension folder), or restore into a server that has them',
      );
    });
  });

  describe('the roles a set names', () => {
    it("are its entries' owners and the roles their SQL names, but not an extension's owner nor PostgreSQL's own", () => {
      assert.deepEqual(
        rolesOf([
          { type: 'EXTENSION', owner: 'supabase_admin' },
          { type: 'SCHEMA', owner: 'pg_database_owner' },
          { type: 'TABLE', owner: 'shift_lead' },
          { type: 'ACL', owner: 'shift_lead', roles: ['Floor Reader', 'pg_read_all_data'] },
          { type: 'CAST', owner: '-' },
          { type: 'COMMENT', owner: '' },
        ]),
        ['shift_lead', 'Floor Reader'],
      );
    });

    it('roles of the Supabase platform point at a Supabase database, and at the Supabase profile where the platform owns objects', () => {
      const api = rolesCheck(['app_owner', 'anon', 'authenticated'], ['app_owner', 'postgres']);
      assert.equal(
        checkLine(api, commandLineWords),
        'the server has no role anon, authenticated, which the set names as owner, grantee, policy role or user mapping: anon, authenticated are roles of the Supabase platform: restore into a Supabase database (supabase start); or create them first (CREATE ROLE "anon" NOLOGIN; CREATE ROLE "authenticated" NOLOGIN;)',
      );
      const owners = rolesCheck(['supabase_auth_admin'], ['postgres']);
      assert.equal(
        checkLine(owners, commandLineWords),
        'the server has no role supabase_auth_admin, which the set names as owner, grantee, policy role or user mapping: supabase_auth_admin is a role of the Supabase platform: restore into a Supabase database (supabase start), or back up with --profile supabase (the default for Supabase databases), which leaves the platform\'s objects to the platform; or create it first (CREATE ROLE "supabase_auth_admin" NOLOGIN;)',
      );
    });

    it('pass when the server has each; fail naming the first five and the statements that make them', () => {
      assert.equal(rolesCheck(['a', 'b'], ['a', 'b', 'c']).detail, 'the server has all 2 roles the set names as owner, grantee, policy role or user mapping');
      assert.equal(rolesCheck([], []).detail, 'the set names no role');
      const missing = rolesCheck(['r1', 'r2', 'r3', 'r4', 'r5', 'Road Crew', 'r7'], ['r1']);
      assert.equal(missing.status, 'fail');
      assert.equal(
        checkLine(missing, commandLineWords),
        'the server has no role r2, r3, r4, r5, Road Crew and 1 more, which the set names as owner, grantee, policy role or user mapping: create them first (CREATE ROLE "r2" NOLOGIN; CREATE ROLE "r3" NOLOGIN; CREATE ROLE "r4" NOLOGIN; CREATE ROLE "r5" NOLOGIN; CREATE ROLE "Road Crew" NOLOGIN; …), or restore on the server the backup came from',
      );
    });
  });

  describe('the tablespaces a set creates objects in', () => {
    it("reads them from the entries' headers; passes a server that has them, fails naming each and the statement that makes it", () => {
      const entries = [{ type: 'TABLE', tablespace: 'fast' }, { type: 'INDEX', tablespace: 'Fast Disk' }, { type: 'INDEX', tablespace: 'fast' }, { type: 'VIEW' }];
      assert.deepEqual(tablespacesOf(entries), ['fast', 'Fast Disk']);
      assert.equal(tablespacesCheck([], ['pg_default']).detail, "the set creates everything in the database's default tablespace");
      assert.equal(tablespacesCheck(['fast'], ['pg_default', 'fast']).status, 'pass');
      const missing = tablespacesCheck(['fast', 'Fast Disk'], ['pg_default', 'fast']);
      assert.equal(missing.status, 'fail');
      assert.equal(
        checkLine(missing, commandLineWords),
        `the server has no tablespace Fast Disk, which the set creates tables or indexes in: create it first, as a superuser (CREATE TABLESPACE "Fast Disk" LOCATION '/an/empty/folder/the/server/owns';), or restore with --no-tablespaces to create them in the database's default tablespace, or restore on the server the backup came from`,
      );
      assert.equal(
        checkLine(missing, extensionWords()),
        `the server has no tablespace Fast Disk, which the set creates tables or indexes in: create it first, as a superuser (CREATE TABLESPACE "Fast Disk" LOCATION '/an/empty/folder/the/server/owns';), or restore on the server the backup came from`,
        'VS Code has no --no-tablespaces',
      );
      assert.equal(
        tablespacesCheck(['fast'], ['pg_default'], true).detail,
        "no tablespace needed: what the set creates in fast goes into the database's default tablespace",
        '--no-tablespaces',
      );
    });
  });

  describe('the owners a set gives its objects', () => {
    it("reads them from owned entries only, not schema public's header; passes a superuser and a role that may give them, fails naming each GRANT", () => {
      const entries = [
        { type: 'TABLE', schema: 'public', owner: 'app_owner' },
        { type: 'INDEX', schema: 'public', owner: 'index_header_only' },
        { type: 'ACL', schema: 'public', owner: 'acl_header_only' },
        { type: 'SCHEMA', schema: '-', name: 'public', owner: 'postgres' },
        { type: 'SCHEMA', schema: '-', name: 'shop', owner: 'shop_owner' },
        { type: 'TABLE', schema: 'shop', owner: 'shop_owner' },
        { type: 'TABLE', schema: 'reports', owner: 'Report Owner' },
        { type: 'EXTENSION', schema: '-', owner: 'postgres' },
        { type: 'FUNCTION', schema: 'public', owner: 'pg_database_owner' },
        { type: 'VIEW', schema: 'public', owner: 'app_owner' },
        { type: 'DEFAULT ACL', schema: 'public', owner: 'grant_owner' },
        { type: 'PUBLICATION', schema: '-', name: 'changes', owner: 'shop_owner' },
      ];
      const owners = ownersOf(entries);
      assert.deepEqual(owners, {
        all: ['app_owner', 'shop_owner', 'Report Owner', 'grant_owner'],
        bySchema: { public: ['app_owner'], shop: ['shop_owner'], reports: ['Report Owner'] },
        ofPublications: ['shop_owner'],
        schemaOwners: { shop: 'shop_owner' },
      });
      const facts = {
        database: 'shop db',
        currentUser: 'deployer',
        superuser: false,
        mayBecome: ['deployer', 'shop_owner', 'app_owner', 'Report Owner', 'grant_owner'],
        roles: ['deployer', 'app_owner', 'shop_owner', 'Report Owner', 'grant_owner'],
        // shop is the set's own: not in the target yet.
        schemaCreators: { public: ['deployer', 'app_owner'], reports: ['Report Owner'] },
        databaseCreators: ['deployer', 'shop_owner'],
        inherits: {},
        superusers: ['postgres'],
      };
      assert.equal(ownersCheck(NO_OWNERS, facts).detail, "the set's objects name no owner");
      assert.equal(ownersCheck(owners, { ...facts, superuser: true, mayBecome: [] }).detail, "deployer is a superuser: it may give the set's objects any owner");
      assert.equal(ownersCheck(owners, facts).detail, "deployer may give the set's objects their owners (app_owner, shop_owner, Report Owner, grant_owner)");
      assert.equal(
        ownersCheck({ all: ['gone_role'], bySchema: { public: ['gone_role'] }, ofPublications: [], schemaOwners: {} }, facts).status,
        'pass',
        'a role the server lacks is the roles check',
      );
      const refused = ownersCheck(owners, {
        ...facts,
        mayBecome: ['deployer', 'shop_owner', 'grant_owner'],
        schemaCreators: { public: ['deployer'], reports: ['deployer'] },
        databaseCreators: ['deployer'],
      });
      assert.equal(refused.status, 'fail');
      assert.equal(
        checkLine(refused, commandLineWords),
        "the set's objects are owned by app_owner, Report Owner, which deployer (no superuser) may not make an object's owner; and by app_owner, which may not create in schema public; and by Report Owner, which may not create in schema reports; and by shop_owner, which owns a publication and may not create in shop db: " +
          'have a superuser grant what is missing first (GRANT "app_owner" TO "deployer"; GRANT "Report Owner" TO "deployer"; GRANT CREATE ON SCHEMA "public" TO "app_owner"; GRANT CREATE ON SCHEMA "reports" TO "Report Owner"; GRANT CREATE ON DATABASE "shop db" TO "shop_owner";), or restore as a superuser',
      );
    });
    it("a data restore asks only of large objects' owners and grantees, as the manifest names them", () => {
      const facts = {
        database: 'shop',
        currentUser: 'deployer',
        superuser: false,
        mayBecome: ['deployer'],
        roles: ['deployer', 'keeper', 'postgres'],
        schemaCreators: {},
        databaseCreators: ['deployer'],
        inherits: {},
        superusers: ['postgres'],
      };
      assert.deepEqual(largeObjectNeeds({ digests: undefined }), { owners: [], grantees: [] });
      assert.deepEqual(largeObjectChecks({ owners: [], grantees: [] }, facts), [], 'a set without large objects asks nothing');
      assert.deepEqual(
        largeObjectChecks({ owners: ['deployer'], grantees: ['keeper'] }, facts).map((result) => result.status),
        ['pass', 'pass'],
      );
      const [roles, owners] = largeObjectChecks({ owners: ['deployer', 'keeper', 'postgres'], grantees: ['gone', 'pg_read_all_data'] }, facts);
      assert.equal(roles.detail, 'the server has no role gone, which the set names as owner, grantee, policy role or user mapping');
      assert.equal(
        owners.detail,
        "the set's large objects are owned by postgres, a superuser, which deployer (no superuser) may not make an object's owner; and by keeper, which deployer (no superuser) may not make an object's owner",
      );
    });
    it("in a schema the set creates, another role's objects need its owner's privileges: the target's own schema of that name does not count", () => {
      const owners = ownersOf([
        { type: 'SCHEMA', schema: '-', name: 'plant', owner: 'plant_owner' },
        { type: 'TABLE', schema: 'plant', owner: 'plant_owner' },
        { type: 'TABLE', schema: 'plant', owner: 'line_owner' },
        { type: 'VIEW', schema: 'plant', owner: 'deployer' },
      ]);
      assert.deepEqual(owners.schemaOwners, { plant: 'plant_owner' });
      const facts = {
        database: 'shop',
        currentUser: 'deployer',
        superuser: false,
        mayBecome: ['deployer', 'plant_owner', 'line_owner'],
        roles: ['deployer', 'plant_owner', 'line_owner'],
        // A --clean restore drops the target's plant, which lets line_owner create: the set's does not.
        schemaCreators: { public: ['deployer'], plant: ['line_owner', 'plant_owner'] },
        databaseCreators: ['deployer', 'plant_owner'],
        inherits: { deployer: ['plant_owner', 'line_owner'] },
        superusers: ['postgres'],
      };
      const refused = ownersCheck(owners, facts);
      assert.equal(
        checkLine(refused, commandLineWords),
        "the set's objects are owned by line_owner, which may not create in schema plant (the set creates it owned by plant_owner and grants on it only at its end): " +
          'have a superuser grant what is missing first (GRANT "plant_owner" TO "line_owner";), or restore as a superuser',
      );
      assert.equal(ownersCheck(owners, { ...facts, inherits: { ...facts.inherits, line_owner: ['plant_owner'] } }).status, 'pass', 'a member of the schema owner');
      assert.equal(ownersCheck(owners, { ...facts, roles: ['deployer', 'line_owner'] }).status, 'pass', "a schema owner the server lacks is the roles check's");
    });
  });

  describe('the owners a proof as a role that is no superuser could not give', () => {
    it("a role it is no member of; from PostgreSQL 15 anyone but itself in schema public; for a publication anyone without its privileges; in the set's schema anyone without its owner's", () => {
      const owners = {
        all: ['deployer', 'app_owner', 'shop_owner', 'stranger'],
        bySchema: { public: ['deployer', 'app_owner'], shop: ['shop_owner'] },
        ofPublications: ['shop_owner'],
        schemaOwners: { shop: 'shop_owner' },
      };
      assert.deepEqual(ownersAProofCannotGive(owners, 'deployer', ['deployer', 'app_owner', 'shop_owner'], {}, 150018), ['stranger', 'app_owner', 'shop_owner']);
      assert.deepEqual(ownersAProofCannotGive(owners, 'deployer', ['deployer', 'app_owner', 'shop_owner'], {}, 140013), ['stranger', 'shop_owner']);
      assert.deepEqual(
        ownersAProofCannotGive({ all: ['deployer'], bySchema: { public: ['deployer'] }, ofPublications: ['deployer'], schemaOwners: {} }, 'deployer', [], {}, 170000),
        [],
      );
      // Its own schema: another role's objects in it need the proving role's privileges.
      const inOwnSchema = { all: ['deployer', 'line_owner'], bySchema: { plant: ['deployer', 'line_owner'] }, ofPublications: [], schemaOwners: { plant: 'deployer' } };
      assert.deepEqual(ownersAProofCannotGive(inOwnSchema, 'deployer', ['deployer', 'line_owner'], {}, 150018), ['line_owner']);
      assert.deepEqual(ownersAProofCannotGive(inOwnSchema, 'deployer', ['deployer', 'line_owner'], { line_owner: ['deployer'] }, 150018), []);
      // A schema another role owns needs only the membership that gives it (CREATE on the database is the proving role's).
      const ofAnother = { all: ['plant_owner'], bySchema: { plant: ['plant_owner'] }, ofPublications: [], schemaOwners: { plant: 'plant_owner' } };
      assert.deepEqual(ownersAProofCannotGive(ofAnother, 'deployer', ['deployer', 'plant_owner'], {}, 150018), []);
    });
  });

  describe('what only a superuser may create', () => {
    const facts = {
      currentUser: 'deployer',
      superuser: false,
      inherits: { deployer: ['app_owner'] },
      untrustedLanguages: ['internal', 'c', 'plpython3u'],
      installedExtensions: { plpgsql: 'postgres', pgcrypto: 'postgres', citext: 'app_owner' },
      superuserExtensions: ['postgres_fdw', 'pg_stat_statements', 'supautils_listed'],
      privilegedExtensions: ['supautils_listed'],
      maySubscribe: false,
    };

    it("reads a publication of all tables, a base type, a cast without a function and a function's language from pg_dump's SQL", () => {
      assert.equal(
        superuserOnlyFromText('PUBLICATION', "CREATE PUBLICATION allpub FOR ALL TABLES WITH (publish = 'insert, update, delete, truncate');\n"),
        'FOR ALL TABLES publication',
      );
      assert.equal(superuserOnlyFromText('PUBLICATION', "CREATE PUBLICATION some WITH (publish = 'insert');\n"), undefined);
      assert.equal(superuserOnlyFromText('TYPE', 'CREATE TYPE public.bt (\n    INTERNALLENGTH = 4,\n    INPUT = public.bt_in,\n    OUTPUT = public.bt_out\n);\n'), 'base type');
      assert.equal(superuserOnlyFromText('TYPE', 'CREATE TYPE public.comp AS (\n\ta integer\n);\n'), undefined);
      assert.equal(superuserOnlyFromText('TYPE', "CREATE TYPE public.mood AS ENUM (\n    'x'\n);\n"), undefined);
      assert.equal(superuserOnlyFromText('CAST', 'CREATE CAST (integer AS public.bt) WITHOUT FUNCTION;\n'), 'cast WITHOUT FUNCTION');
      assert.equal(superuserOnlyFromText('CAST', 'CREATE CAST (text AS public.bt) WITH FUNCTION public.bt(text);\n'), undefined);
      assert.equal(
        languageFromText('FUNCTION', 'CREATE FUNCTION public.bt_in(cstring) RETURNS public.bt\n    LANGUAGE internal IMMUTABLE STRICT\n    AS $$int4in$$;\n'),
        'internal',
      );
      assert.equal(languageFromText('PROCEDURE', 'CREATE PROCEDURE public.p()\n    LANGUAGE plpgsql\n    AS $$\n    LANGUAGE c\n$$;\n'), 'plpgsql', 'the first, before the body');
      assert.equal(languageFromText('FUNCTION', 'CREATE FUNCTION public.f() RETURNS int\n    LANGUAGE "My PL"\n    AS $$x$$;\n'), 'My PL');
      assert.equal(languageFromText('TABLE', 'CREATE TABLE t (\n    LANGUAGE c\n);\n'), undefined);
    });

    it('passes a superuser and a set without any; fails naming each, with what a Supabase stack lets postgres create left out', () => {
      const entries: DumpEntry[] = [
        { type: 'TABLE', schema: 'public', name: 'machines' },
        { type: 'FUNCTION', schema: 'public', name: 'ok()', language: 'plpgsql' },
        { type: 'EXTENSION', schema: '-', name: 'pgcrypto' },
        { type: 'EXTENSION', schema: '-', name: 'supautils_listed' },
        { type: 'COMMENT', schema: '-', name: 'EXTENSION citext' },
        { type: 'PUBLICATION', schema: '-', name: 'some' },
      ];
      assert.equal(superuserCheck(entries, facts).detail, 'the set creates nothing that only a superuser may');
      const risky: DumpEntry[] = [
        ...entries,
        { type: 'EVENT TRIGGER', schema: '-', name: 'audit_ddl' },
        { type: 'PUBLICATION', schema: '-', name: 'allpub', superuserOnly: 'FOR ALL TABLES publication' },
        { type: 'FUNCTION', schema: 'public', name: 'fast_hash(bytea)', language: 'c' },
        { type: 'EXTENSION', schema: '-', name: 'postgres_fdw' },
        { type: 'COMMENT', schema: '-', name: 'EXTENSION pgcrypto' },
        { type: 'SUBSCRIPTION', schema: '-', name: 'from_main' },
        { type: 'FOREIGN DATA WRAPPER', schema: '-', name: 'wrapper' },
      ];
      assert.equal(
        superuserCheck([{ type: 'ACL', schema: 'public', name: 'TABLE g', superuserOnly: 'grants made as app (SET SESSION AUTHORIZATION) on' }], facts).detail,
        'the set creates what only a superuser may, and deployer is none: grants made as app (SET SESSION AUTHORIZATION) on table public.g',
      );
      assert.equal(superuserCheck(risky, { ...facts, superuser: true }).status, 'pass');
      const refused = superuserCheck(risky, facts);
      assert.equal(
        checkLine(refused, commandLineWords),
        'the set creates what only a superuser may, and deployer is none: event trigger audit_ddl, FOR ALL TABLES publication allpub, function public.fast_hash(bytea) in language c, extension postgres_fdw, ' +
          'a comment on extension pgcrypto, which postgres owns here and 2 more: restore as a superuser, or drop them in the source database and back up again',
      );
      assert.equal(
        superuserCheck([{ type: 'SUBSCRIPTION', schema: '-', name: 'from_main' }], { ...facts, maySubscribe: true }).status,
        'pass',
        "PostgreSQL 16's pg_create_subscription",
      );
      const setting: DumpEntry = { type: 'FUNCTION', schema: 'public', name: 'verbose()', language: 'sql', settings: ['log_statement', 'search_path'] };
      assert.equal(superuserCheck([setting], facts).status, 'pass', 'settings unknown: none');
      assert.equal(
        superuserCheck([setting], { ...facts, superuserSettings: ['log_statement', 'session_replication_role'] }).detail,
        'the set creates what only a superuser may, and deployer is none: function public.verbose(), which sets log_statement',
      );
    });

    it("names a superuser owner without advising membership in it, which would be a superuser's power", () => {
      const owners = ownersOf([{ type: 'TABLE', schema: 'public', name: 'machines', owner: 'postgres' }]);
      const refused = ownersCheck(owners, {
        database: 'app',
        currentUser: 'deployer',
        superuser: false,
        mayBecome: ['deployer'],
        roles: ['postgres', 'deployer'],
        schemaCreators: { public: ['deployer', 'postgres'] },
        databaseCreators: ['deployer', 'postgres'],
        inherits: { postgres: ['deployer'] },
        superusers: ['postgres'],
      });
      assert.equal(
        checkLine(refused, commandLineWords),
        "the set's objects are owned by postgres, a superuser, which deployer (no superuser) may not make an object's owner: restore as a superuser, or make a role that is none their owner in the source database and back up again",
      );
    });
  });

  describe('an extension the target database has in another schema', () => {
    it("fails naming where it is and where the set has it, with the statement that moves it; passes where it is the set's", () => {
      const schemas = { set: { citext: 'ext', pgcrypto: 'public' }, target: { citext: 'public', pgcrypto: 'public', plpgsql: 'pg_catalog' } };
      assert.equal(extensionsCheck(['pgcrypto'], ['citext', 'pgcrypto'], schemas).status, 'pass');
      assert.equal(extensionsCheck(['citext'], ['citext', 'pgcrypto'], { set: schemas.set, target: {} }).status, 'pass', 'one the target lacks is created where the set has it');
      assert.equal(
        checkLine(extensionsCheck(['citext', 'pgcrypto'], ['citext', 'pgcrypto'], schemas), commandLineWords),
        "the target database has extension citext in schema public, not ext as the set has it: the set's CREATE EXTENSION IF NOT EXISTS would leave it there, and what uses it would not find it: " +
          'move it where the set has it (ALTER EXTENSION "citext" SET SCHEMA "ext"; once the schema exists), or restore into a database without it',
      );
    });
  });

  describe("schema public's comment and grants", () => {
    it('pass a set that leaves them, a superuser, its owner and a holder WITH GRANT OPTION; fail another role, naming the owner', () => {
      const acl: DumpEntry = { type: 'ACL', schema: '-', name: 'SCHEMA public' };
      const comment: DumpEntry = { type: 'COMMENT', schema: '-', name: 'SCHEMA public' };
      const elsewhere: DumpEntry = { type: 'ACL', schema: 'public', name: 'TABLE machines' };
      const facts = { currentUser: 'deployer', superuser: false, schemaPublic: { owner: 'app_owner', owned: false, grantable: false } };
      assert.equal(schemaPublicCheck([elsewhere], facts).detail, "the set leaves schema public's comment and grants as they are");
      assert.equal(schemaPublicCheck([acl], { ...facts, superuser: true }).status, 'pass');
      assert.equal(schemaPublicCheck([acl, comment], { ...facts, schemaPublic: { owner: 'deployer', owned: true, grantable: true } }).status, 'pass');
      assert.equal(
        schemaPublicCheck([acl], { ...facts, schemaPublic: { owner: 'app_owner', owned: false, grantable: true } }).detail,
        "the set sets schema public's grants, which deployer may as a holder of its privileges WITH GRANT OPTION",
      );
      assert.equal(
        checkLine(schemaPublicCheck([acl], facts), commandLineWords),
        "the set sets schema public's grants, which only its owner app_owner (or a role holding its privileges WITH GRANT OPTION) may, and deployer is not: restore as app_owner or a superuser",
      );
      assert.equal(
        schemaPublicCheck([comment, acl], { ...facts, schemaPublic: { owner: 'app_owner', owned: false, grantable: true } }).detail,
        "the set sets schema public's comment and grants, which only its owner app_owner may, and deployer is not",
        'a comment only its owner may set',
      );
    });
  });

  describe('the collations a set uses', () => {
    it("reads pg_catalog's from the entries' SQL, not the set's own; passes a database that has them, fails naming each and how to get it", () => {
      assert.deepEqual(
        collationsFromText(
          [
            'CREATE TABLE public.names (',
            '    name text COLLATE pg_catalog."de-x-icu",',
            '    code text COLLATE pg_catalog."C",',
            '    nick text COLLATE public.sv_ci,',
            '    plain text COLLATE pg_catalog.ucs_basic,',
            '    odd text COLLATE pg_catalog."say ""hi"""',
            ');',
            'CREATE INDEX names_idx ON public.names USING btree (name COLLATE pg_catalog."de-x-icu");',
          ].join('\n'),
        ),
        ['de-x-icu', 'C', 'ucs_basic', 'say "hi"'],
      );
      assert.deepEqual(collationsOf([{ collations: ['de-x-icu', 'C'] }, {}, { collations: ['C'] }]), ['de-x-icu', 'C']);
      assert.equal(collationsCheck([], ['C']).detail, 'the set uses no collation but the database default and its own');
      assert.equal(collationsCheck(['C', 'de-x-icu'], ['C', 'POSIX', 'de-x-icu']).detail, 'the target database has all 2 collations the set uses');
      const missing = collationsCheck(['C', 'de-x-icu', 'en_US'], ['C', 'POSIX']);
      assert.equal(missing.status, 'fail');
      assert.equal(
        checkLine(missing, commandLineWords),
        "the target database has no collation de-x-icu, en_US, which the set's columns, indexes or types use: install its locale on the target server's machine (or restore on a server whose operating system and ICU library have it, as the backup's did), then have a superuser import it: SELECT pg_catalog.pg_import_system_collations('pg_catalog'); in the target database",
      );
    });
  });

  describe("the target database's encoding", () => {
    it('passes the same encoding, UTF8 and SQL_ASCII; warns of another, saying what database to make; says nothing of a set whose encoding is unknown', () => {
      assert.equal(encodingCheck('UTF8', 'UTF8')?.status, 'pass');
      assert.equal(encodingCheck('LATIN1', 'UTF8')?.status, 'pass');
      assert.equal(encodingCheck('UTF8', 'SQL_ASCII')?.status, 'pass');
      const latin = encodingCheck('UTF8', 'LATIN1');
      assert.equal(latin?.status, 'warn');
      assert.equal(
        checkLine(latin, commandLineWords),
        "the set's text is UTF8, the target database's encoding LATIN1: a character LATIN1 has no room for fails the restore, which then changes nothing: to be sure, restore into a database made in UTF8 (CREATE DATABASE … ENCODING 'UTF8' TEMPLATE template0)",
      );
      assert.match(checkLine(encodingCheck('WIN1252', 'LATIN1')!, commandLineWords), /made in WIN1252 or UTF8 \(CREATE DATABASE … ENCODING 'WIN1252'/);
      assert.equal(encodingCheck(undefined, 'LATIN1'), undefined);
    });
  });

  describe("the target's tables, as a data restore's rows meet them", () => {
    const tables = [
      { schema: 'public', name: 'users', columns: ['id', 'email', 'last_login'], rows: 3 },
      { schema: 'public', name: 'notes', columns: ['id', 'body'], rows: 0 },
    ];
    const column = (name: string, required = false, generated = false) => ({ name, required, generated });
    it('passes when the target has none of the tables (a complete restore creates them) or every one with the columns the rows hold', () => {
      const none = dataColumnsCheck(tables, new Map());
      assert.equal(none.status, 'pass');
      assert.equal(none.detail, "the target has none of the set's 2 tables: a complete or schema restore creates them, a data restore needs them first");
      const same = dataColumnsCheck(
        tables,
        new Map([
          ['public.users', [column('id'), column('email'), column('last_login'), column('added_with_default')]],
          ['public.notes', [column('id'), column('body')]],
        ]),
      );
      assert.equal(same.status, 'pass');
      assert.equal(same.detail, "the target's tables have the columns of the set's rows (2 tables)");
    });
    it('warns, naming each problem, when a table is missing or its columns changed; a complete restore is not affected', () => {
      const changed = dataColumnsCheck(tables, new Map([['public.users', [column('id'), column('email'), column('tenant', true)]]]));
      assert.equal(changed.status, 'warn');
      assert.equal(
        checkLine(changed, commandLineWords),
        "a data restore would be refused: the target lacks 1 of the set's 2 tables (public.notes); public.users has no column last_login, which the rows hold; public.users.tenant is NOT NULL without a default, and the rows have no value for it: a complete restore with --clean recreates the tables and is not affected; for a data restore, bring the target's schema back to the backup's first (a migration since?)",
      );
    });
  });

  describe('a target that takes changes', () => {
    const server = version('15.18');
    /** A target's facts besides whether it takes changes. */
    const facts = {
      version: server,
      databaseBytes: 1,
      extensions: [],
      roles: [],
      tablespaces: [],
      collations: [],
      database: 'shop',
      currentUser: 'app',
      superuser: false,
      mayBecome: [],
      schemaCreators: {},
      databaseCreators: [],
      inherits: {},
      superusers: [],
      untrustedLanguages: [],
      installedExtensions: {},
      superuserExtensions: [],
      privilegedExtensions: [],
      maySubscribe: false,
      extensionSchemas: {},
      encoding: 'UTF8',
    };
    it('passes a primary whose transactions may write', () => {
      assert.equal(writableCheck('shop', 'app', facts).status, 'pass');
    });

    it('fails a standby, and says to restore into the primary', () => {
      const standby = writableCheck('shop', 'app', { ...facts, readOnly: 'standby' });
      assert.equal(standby.status, 'fail');
      assert.equal(
        checkLine(standby, commandLineWords),
        'the server is a standby (in recovery), which takes no changes: restore into the primary server: point --db at its host and port',
      );
    });

    it('fails read-only transactions by default, naming the role and the database', () => {
      const readOnly = writableCheck('shop', 'app', { ...facts, readOnly: 'read-only-default' });
      assert.equal(readOnly.status, 'fail');
      assert.match(
        checkLine(readOnly, commandLineWords),
        /^transactions of app in shop are read-only .*ALTER ROLE "app" SET default_transaction_read_only = off, or the same with ALTER DATABASE "shop"\)$/,
      );
    });
  });

  describe('which psql can read the files', () => {
    const old = { path: '/opt/pg15.13/bin/psql', version: version('15.13') };
    const fixed = { path: '/usr/lib/postgresql/15/bin/psql', version: version('15.14') };
    const newer = { path: '/usr/lib/postgresql/17/bin/psql', version: version('17.6') };
    const hint = ['use the folder'];

    it('fails when files contain \\restrict and no psql here understands it', () => {
      const result = psqlCheck({ candidates: [old], filesWithRestrict: ['a.sql'], binDirHint: hint });
      assert.equal(result.status, 'fail');
      assert.match(result.detail, /psql 15\.13 .* cannot read the \\restrict line in a\.sql/);
    });

    it('passes an old psql when the files have no \\restrict line (dumps from before August 2025)', () => {
      assert.equal(psqlCheck({ candidates: [old], filesWithRestrict: [], binDirHint: hint }).status, 'pass');
    });

    it('passes the first releases that understand \\restrict', () => {
      const result = psqlCheck({ candidates: [fixed], filesWithRestrict: ['a.sql'], serverVersion: version('15.18'), binDirHint: hint });
      assert.equal(result.status, 'pass', result.detail);
      assert.match(result.detail, /psql 15\.14 .* reads the \\restrict line/);
    });

    it('warns and names the psql that works when the one a restore would pick cannot read the files', () => {
      const result = psqlCheck({ candidates: [old, newer], preferred: old, filesWithRestrict: ['a.sql'], serverVersion: version('15.18'), binDirHint: hint });
      assert.equal(result.status, 'warn');
      assert.match(result.detail, /psql 17\.6 \(\/usr\/lib\/postgresql\/17\/bin\/psql\) can/);
    });

    it('warns when psql is older than the server', () => {
      const result = psqlCheck({ candidates: [fixed], filesWithRestrict: ['a.sql'], serverVersion: version('17.2'), binDirHint: hint });
      assert.equal(result.status, 'warn');
      assert.match(result.detail, /older than the PostgreSQL 17\.2 server/);
    });

    it('fails without any psql', () => {
      const result = psqlCheck({ candidates: [], filesWithRestrict: [], binDirHint: hint });
      assert.equal(result.status, 'fail');
      assert.match(checkLine(result, commandLineWords), /no psql found.*: use the folder$/);
    });
  });

  it('warns when the target server is older than the one the set was dumped from', () => {
    assert.equal(serverVersionCheck(version('15.18'), version('17.2')).status, 'pass');
    assert.equal(serverVersionCheck(version('15.18'), version('15.2')).status, 'pass');
    const older = serverVersionCheck(version('17.2'), version('15.18'));
    assert.equal(older.status, 'warn');
    assert.match(older.detail, /dumped from PostgreSQL 17\.2, the target runs 15\.18/);
  });

  describe('files', () => {
    it('permissions: private files pass, files others can read warn (not fail), Windows warns that it cannot tell', () => {
      const files = (['schema', 'data', 'complete'] as const).map((type) => finding(type));
      assert.equal(permissionsCheck(files, 'linux').status, 'pass');
      const open = files.map((file) => ({ ...file, mode: 0o644 }));
      const result = permissionsCheck(open, 'linux');
      assert.equal(result.status, 'warn');
      assert.match(result.detail, /all 3 files are readable by other users \(mode 0644\).*chmod 600.*not a failure/);
      assert.equal(permissionsCheck([finding('data', { mode: 0o660 })], 'linux').status, 'warn');
      const windows = permissionsCheck(files, 'win32');
      assert.equal(windows.status, 'warn');
      assert.match(windows.detail, /Windows/);
    });

    it('whole dumps: a missing header, a missing footer or a missing \\unrestrict line fail and name the file', () => {
      assert.equal(dumpFormatCheck([finding('schema'), finding('data'), finding('complete')]).status, 'pass');
      const noFooter = dumpFormatCheck([finding('data', { scan: scan({ hasFooter: false }) })]);
      assert.equal(noFooter.status, 'fail');
      assert.match(noFooter.detail, /shop_data_backup_20250901_120000\.sql stops before pg_dump's "dump complete" footer/);
      assert.match(dumpFormatCheck([finding('data', { scan: scan({ hasHeader: false }) })]).detail, /does not begin with pg_dump's header/);
      assert.match(dumpFormatCheck([finding('data', { scan: scan({ endsUnrestricted: false }) })]).detail, /before its \\unrestrict line/);
    });

    it('an encrypted file that does not decrypt fails; one read without a key is a warning that says what was not checked', () => {
      const damaged = dumpFormatCheck([
        finding('schema'),
        finding('data', { scan: scan({ notDecoded: 'shop_data_backup_20250901_120000.sql.age is damaged or cut short: chunk 3 does not authenticate' }) }),
      ]);
      assert.equal(damaged.status, 'fail');
      assert.match(damaged.detail, /chunk 3 does not authenticate: do not restore it/);
      const locked = dumpFormatCheck([finding('schema', { scan: scan({ notDecoded: 'no-key' }) }), finding('data', { scan: scan({ notDecoded: 'no-key' }) })]);
      assert.equal(locked.status, 'warn');
      assert.match(locked.detail, /^2 files are encrypted and no key was given: pg_dump's header and footer were not checked/);
      const content = notDecryptedCheck('content', ['shop_data_backup_20250901_120000.sql.age']);
      assert.equal(content.status, 'warn');
      assert.equal(checkLine(content, commandLineWords).includes('verify with the passphrase or identity'), true);
    });

    it('presence: a missing or unreadable file fails and is named', () => {
      const result = presenceCheck([
        finding('schema'),
        finding('data', { unreadable: 'missing', scan: undefined }),
        finding('complete', { unreadable: 'permission denied', scan: undefined }),
      ]);
      assert.equal(result.status, 'fail');
      assert.match(result.detail, /shop_data_backup_20250901_120000\.sql is missing; cannot read shop_complete_backup_20250901_120000\.sql: permission denied/);
    });

    it('sizes and checksums are compared with the manifest file by file', () => {
      const manifest = manifestFor(TABLES);
      const files = manifest.files.map((file) => finding(file.type, { scan: scan({ bytes: file.bytes, sha256: file.sha256 }) }));
      assert.equal(sizesCheck(manifest, files).status, 'pass');
      assert.equal(checksumsCheck(manifest, files).status, 'pass');
      const changed = files.map((file) => (file.type === 'data' ? { ...file, scan: scan({ bytes: 20, sha256: 'd'.repeat(64) }) } : file));
      assert.equal(sizesCheck(manifest, changed).status, 'pass');
      const checksums = checksumsCheck(manifest, changed);
      assert.equal(checksums.status, 'fail');
      assert.match(checksums.detail, /shop_data_backup_20250901_120000\.sql does not match its recorded sha256/);
      const shorter = files.map((file) => (file.type === 'data' ? { ...file, scan: scan({ bytes: 19, sha256: 'b'.repeat(64) }) } : file));
      assert.match(sizesCheck(manifest, shorter).detail, /is 19 bytes, the manifest recorded 20/);
    });

    it('a set without a manifest gets a warning that no checksums were recorded', () => {
      const result = noChecksumsCheck('legacy');
      assert.equal(result.id, 'checksums');
      assert.equal(result.status, 'warn');
      assert.match(result.detail, /no checksums were recorded/);
    });
  });
});
