/**
 * What a set's files need of the server they load into: the extensions they
 * create and the roles they name. A target server without them (PostGIS not
 * installed there, a Supabase stack's set on a plain PostgreSQL, production's
 * roles missing on a laptop) made a complete or schema restore take its
 * safety backup and then fail in psql, and a proof there record the set as
 * failed. The pre-restore checks name what is missing, and a restore or a
 * proof stops before anything.
 */
import { strict as assert } from 'node:assert';
import { chownSync } from 'node:fs';
import { join } from 'node:path';
import { assertOneLineError, runCli } from '../support/cli';
import { assertSameContent, diffFingerprints, fingerprintDatabase } from '../support/fingerprint';
import { backupSet, failedChecks, listSets, restoreArgs, useServer, useTempFolders } from '../support/integration';
import { hasServerMajor, serverProcessOwner, startServer } from '../support/pgServer';
import type { TestServer } from '../support/serverConnection';
import type { Manifest } from '../../src/core/sets/manifest';

/**
 * The extension is pg_walinspect, which PostgreSQL 15 ships and 14 does
 * not: a set of a 15 database, restored into a real 14 server.
 */
describe('a set whose extension the target server lacks', function () {
  const server = useServer();
  const newFolder = useTempFolders('pulse-backup-extensions-');
  const source = 'ext_source';
  let older: TestServer | undefined;
  let folder: string;
  let manifest: Manifest;

  before(async function () {
    if (!hasServerMajor(14)) {
      console.log('    skipped: no PostgreSQL 14 server binaries (pg-server-14 is not installed: npm run test-servers)');
      this.skip();
    }
    older = await startServer({ major: 14 });
    await server.createDatabase(source);
    await server.query(
      source,
      `CREATE EXTENSION pg_walinspect;
       CREATE TABLE public.shifts (id int PRIMARY KEY, line text NOT NULL);
       INSERT INTO public.shifts SELECT g, 'line ' || (g % 3) FROM generate_series(1, 40) g;`,
    );
    folder = newFolder();
    manifest = await backupSet(server, source, folder, 'ext');
  });

  after(async function () {
    await older?.stop();
  });

  const missingWords =
    'the server has no extension pg_walinspect, which a complete or schema restore of the set creates (CREATE EXTENSION): install it on the server (the package that puts pg_walinspect.control in its extension folder), or restore into a server that has it';

  it('verify --db names the extension the target server lacks, and passes a server that has it', async function () {
    await older!.createDatabase('verify_target');
    const lacking = await runCli(['verify', manifest.id, '--dir', folder, '--db', older!.url('verify_target'), '--json']);
    assert.equal(lacking.code, 1, lacking.stderr);
    const failed = failedChecks(lacking.stdout);
    assert.equal(failed.get('extensions'), missingWords);
    const human = await runCli(['verify', manifest.id, '--dir', folder, '--db', older!.url('verify_target')]);
    assert.ok(human.stdout.includes(`✘ The target server has the extensions the set creates\n      ${missingWords}\n`), human.stdout);

    await server.createDatabase('verify_same');
    const having = await runCli(['verify', manifest.id, '--dir', folder, '--db', server.url('verify_same'), '--json']);
    assert.equal(having.code, 0, having.stdout);
    const report = JSON.parse(having.stdout) as { groups: { checks: { id: string; status: string; detail: string }[] }[] };
    const check = report.groups.flatMap((group) => group.checks).find((candidate) => candidate.id === 'extensions');
    assert.deepEqual(check && [check.status, check.detail], ['pass', 'the server has pg_walinspect']);
  });

  for (const mode of ['complete', 'schema']) {
    it(`a ${mode} restore is refused before anything: no safety backup, the target unchanged`, async function () {
      const target = `${mode}_target`;
      await older!.createDatabase(target);
      await older!.query(target, 'CREATE TABLE public.kept (id int PRIMARY KEY); INSERT INTO public.kept VALUES (1), (2)');
      const before = await fingerprintDatabase(older!.url(target));
      const result = await runCli(restoreArgs(manifest.id, mode, older!.url(target), folder));
      assertOneLineError(result);
      assert.equal(
        result.stderr.trim(),
        `pulse-backup: cannot restore ${manifest.id} into ${older!.user}@127.0.0.1:${older!.port}/${target}: ${missingWords}; nothing was changed`,
      );
      assert.deepEqual(diffFingerprints(before, await fingerprintDatabase(older!.url(target))), []);
      assert.deepEqual(
        (await listSets(folder)).map((set) => set.id),
        [manifest.id],
        'no safety set',
      );
    });
  }

  it('a proof on a server without it is refused in one line before any scratch database, and records no failed proof; on one with it, the set proves', async function () {
    const before = await older!.query<{ name: string }>('postgres', 'SELECT datname AS name FROM pg_database ORDER BY 1');
    const refused = await runCli(['prove', manifest.id, '--dir', folder, '--db', server.url(source), '--scratch-db', older!.url('postgres')]);
    assertOneLineError(refused);
    assert.equal(
      refused.stderr.trim(),
      `pulse-backup: 127.0.0.1:${older!.port} has no extension pg_walinspect, which the set needs, so a proof there could not restore the set, sound or not: prove on a server that has it: pass --scratch-db URL naming one, or install it on the server (the package that puts pg_walinspect.control in its extension folder)`,
    );
    assert.deepEqual(await older!.query<{ name: string }>('postgres', 'SELECT datname AS name FROM pg_database ORDER BY 1'), before, 'no scratch database made');
    const listed = async () =>
      (JSON.parse((await runCli(['list', '--dir', folder, '--json'])).stdout) as { id: string; proof: { outcome: string } | null }[]).find((set) => set.id === manifest.id);
    assert.equal((await listed())?.proof, null);

    const proved = await runCli(['prove', manifest.id, '--dir', folder, '--db', server.url(source)]);
    assert.equal(proved.code, 0, proved.stderr + proved.stdout);
    assert.equal((await listed())?.proof?.outcome, 'proved');
  });

  it('a data restore creates no extension: it goes ahead into the schema already there, equal to the source', async function () {
    await older!.createDatabase('data_target');
    await older!.query('data_target', 'CREATE TABLE public.shifts (id int PRIMARY KEY, line text NOT NULL)');
    const result = await runCli(restoreArgs(manifest.id, 'data', older!.url('data_target'), folder, ['--no-safety-backup']));
    assert.equal(result.code, 0, result.stderr);
    // The source without its extension is what a data restore brings: the rows. Its schema public as
    // PostgreSQL 14 makes it (owned by the bootstrap superuser, CREATE for everyone; 15 changed both).
    await server.createDatabase('source_rows', { template: source });
    await server.query('source_rows', 'DROP EXTENSION pg_walinspect; ALTER SCHEMA public OWNER TO postgres; GRANT CREATE ON SCHEMA public TO PUBLIC');
    await assertSameContent(server.url('source_rows'), older!.url('data_target'));
  });
});

describe('a set that names roles the target server lacks', function () {
  const server = useServer();
  const newFolder = useTempFolders('pulse-backup-roles-');
  const source = 'roles_source';
  let fresh: TestServer | undefined;
  let folder: string;
  let manifest: Manifest;

  before(async function () {
    fresh = await startServer();
    await server.createDatabase(source);
    // An owner, a grantee whose name needs quotes, a policy's role and a user mapping's: each a statement of its own kind in the set.
    await server.query(
      source,
      `CREATE ROLE shift_lead NOLOGIN; CREATE ROLE "Floor Reader" NOLOGIN; CREATE ROLE auditor NOLOGIN; CREATE ROLE "Remote User" NOLOGIN;
       CREATE FOREIGN DATA WRAPPER plant_link; CREATE SERVER plant_b FOREIGN DATA WRAPPER plant_link;
       CREATE USER MAPPING FOR "Remote User" SERVER plant_b OPTIONS (login 'plant'); CREATE USER MAPPING FOR public SERVER plant_b;
       CREATE TABLE public.shifts (id int PRIMARY KEY, line text NOT NULL);
       INSERT INTO public.shifts SELECT g, 'line ' || (g % 3) FROM generate_series(1, 40) g;
       ALTER TABLE public.shifts OWNER TO shift_lead;
       GRANT SELECT ON public.shifts TO "Floor Reader";
       ALTER TABLE public.shifts ENABLE ROW LEVEL SECURITY;
       CREATE POLICY audit_all ON public.shifts FOR SELECT TO auditor USING (line <> 'hidden TO x');`,
    );
    folder = newFolder();
    manifest = await backupSet(server, source, folder, 'roles');
  });

  after(async function () {
    await fresh?.stop();
  });

  const missingWords =
    'the server has no role Remote User, shift_lead, auditor, Floor Reader, which the set names as owner, grantee, policy role or user mapping: create them first (CREATE ROLE "Remote User" NOLOGIN; CREATE ROLE "shift_lead" NOLOGIN; CREATE ROLE "auditor" NOLOGIN; CREATE ROLE "Floor Reader" NOLOGIN;), or restore on the server the backup came from';

  it('verify --db and a complete restore name every missing role and the statements that make them; made as said, the restore equals the source', async function () {
    await fresh!.createDatabase('roles_target');
    const verified = await runCli(['verify', manifest.id, '--dir', folder, '--db', fresh!.url('roles_target'), '--json']);
    assert.equal(verified.code, 1, verified.stderr);
    assert.deepEqual([...failedChecks(verified.stdout)], [['roles', missingWords]]);

    const before = await fingerprintDatabase(fresh!.url('roles_target'));
    const refused = await runCli(restoreArgs(manifest.id, 'complete', fresh!.url('roles_target'), folder));
    assertOneLineError(refused);
    assert.equal(
      refused.stderr.trim(),
      `pulse-backup: cannot restore ${manifest.id} into ${fresh!.user}@127.0.0.1:${fresh!.port}/roles_target: ${missingWords}; nothing was changed`,
    );
    assert.deepEqual(diffFingerprints(before, await fingerprintDatabase(fresh!.url('roles_target'))), []);
    assert.deepEqual(
      (await listSets(folder)).map((set) => set.id),
      [manifest.id],
      'no safety set',
    );

    // The statements the line gives are all the server lacked.
    const statements = /\((CREATE ROLE .*;)\)/.exec(missingWords)![1];
    await fresh!.query('postgres', statements);
    const restored = await runCli(restoreArgs(manifest.id, 'complete', fresh!.url('roles_target'), folder));
    assert.equal(restored.code, 0, restored.stderr);
    await assertSameContent(server.url(source), fresh!.url('roles_target'));
  });
});

/** Makes each role the server lacks: NOLOGIN, or a deploy role (LOGIN CREATEDB, password "deploy"). */
async function ensureRoles(server: TestServer, roles: readonly { name: string; deploys?: boolean }[]): Promise<void> {
  const statements = roles.map(
    (role) =>
      `IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '${role.name}') THEN CREATE ROLE ${role.name} ${role.deploys ? "LOGIN CREATEDB PASSWORD 'deploy'" : 'NOLOGIN'}; END IF;`,
  );
  await server.query('postgres', `DO $$BEGIN ${statements.join(' ')} END$$`);
}

/** The folder lists the set with no proof: a refused proof records nothing. */
async function assertNoProofRecorded(folder: string, id: string): Promise<void> {
  const listed = JSON.parse((await runCli(['list', '--dir', folder, '--json'])).stdout) as { id: string; proof: unknown }[];
  assert.deepEqual(
    listed.map((set) => [set.id, set.proof]),
    [[id, null]],
    'no proof recorded',
  );
}

/**
 * As `role` (password "deploy"): verify --db fails the check `id` alone
 * with `words`, and a complete restore is refused with them before
 * anything: the target unchanged, no safety set.
 */
async function assertRefusedBeforeAnything(
  server: TestServer,
  target: string,
  role: string,
  manifest: Manifest,
  folder: string,
  id: string,
  words: string,
): Promise<{ url: string; env: NodeJS.ProcessEnv }> {
  const url = new URL(server.url(target));
  url.username = role;
  url.password = '';
  const env = { PGPASSWORD: 'deploy' };
  const verified = await runCli(['verify', manifest.id, '--dir', folder, '--db', url.href, '--json'], { env });
  assert.equal(verified.code, 1, verified.stderr);
  assert.deepEqual([...failedChecks(verified.stdout)], [[id, words]]);

  const before = await fingerprintDatabase(server.url(target));
  const refused = await runCli(restoreArgs(manifest.id, 'complete', url.href, folder), { env });
  assertOneLineError(refused);
  assert.equal(refused.stderr.trim(), `pulse-backup: cannot restore ${manifest.id} into ${role}@127.0.0.1:${server.port}/${target}: ${words}; nothing was changed`);
  assert.deepEqual(diffFingerprints(before, await fingerprintDatabase(server.url(target))), []);
  assert.deepEqual(
    (await listSets(folder)).map((set) => set.id),
    [manifest.id],
    'no safety set',
  );
  return { url: url.href, env };
}

/**
 * A role that is no superuser may make an object's owner only itself and
 * the roles it is a member of: restoring as such a role (a deploy role, a
 * database's owner) a set whose objects another role owns failed in psql,
 * after the safety backup.
 */
describe('a set whose objects are owned by a role the restoring role may not become', function () {
  const server = useServer();
  const newFolder = useTempFolders('pulse-backup-owners-');
  const source = 'owners_source';
  const target = 'owners_target';
  let folder: string;
  let manifest: Manifest;

  before(async function () {
    await server.createDatabase(source);
    await ensureRoles(server, [{ name: 'pulse_owner_app' }, { name: 'pulse_deployer', deploys: true }]);
    await server.query(
      source,
      `CREATE TABLE public.machines (id int PRIMARY KEY, name text NOT NULL);
       INSERT INTO public.machines SELECT g, 'press ' || g FROM generate_series(1, 25) g;
       ALTER TABLE public.machines OWNER TO pulse_owner_app;`,
    );
    folder = newFolder();
    manifest = await backupSet(server, source, folder, 'owners');
    await server.query('postgres', `CREATE DATABASE ${target} OWNER pulse_deployer`);
  });

  it('verify --db, a complete restore and a proof name the owner and the GRANTs, before anything; granted as said, the restore equals the source', async function () {
    const { url, env } = await assertRefusedBeforeAnything(
      server,
      target,
      'pulse_deployer',
      manifest,
      folder,
      'owners',
      "the set's objects are owned by pulse_owner_app, which pulse_deployer (no superuser) may not make an object's owner; and by pulse_owner_app, which may not create in schema public: " +
        'have a superuser grant what is missing first (GRANT "pulse_owner_app" TO "pulse_deployer"; GRANT CREATE ON SCHEMA "public" TO "pulse_owner_app";), or restore as a superuser',
    );

    // A proof as that role would fail on the role, not on the set: refused, and no failed proof recorded.
    const proof = await runCli(['prove', manifest.id, '--dir', folder, '--db', url], { env });
    assertOneLineError(proof);
    assert.match(
      proof.stderr,
      /^pulse-backup: pulse_deployer is no superuser and may not make pulse_owner_app the owner of the set's objects in scratch databases of its own on 127\.0\.0\.1:\d+, so a proof there could not restore the set, sound or not: prove as a superuser: pass --scratch-db URL naming one$/,
    );
    await assertNoProofRecorded(folder, manifest.id);

    await server.query('postgres', 'GRANT pulse_owner_app TO pulse_deployer');
    await server.query(target, 'GRANT CREATE ON SCHEMA public TO pulse_owner_app');
    // The same grant in the source, for the comparison: the target has it now, and the set never touches schema public's privileges.
    await server.query(source, 'GRANT CREATE ON SCHEMA public TO pulse_owner_app');
    const restored = await runCli(restoreArgs(manifest.id, 'complete', url, folder), { env });
    assert.equal(restored.code, 0, restored.stderr);
    await assertSameContent(server.url(source), server.url(target));
  });
});

/**
 * A schema the set creates belongs to its owner until the set's grants at
 * its end: another role's table in it got its owner (ALTER TABLE … OWNER
 * TO) before any GRANT CREATE ON SCHEMA, and a restore as a role that is no
 * superuser failed there with "permission denied for schema", after the
 * safety backup, though every role and membership the check asked for was
 * in place.
 */
describe("a set whose schema's objects are owned by a role other than the schema's owner", function () {
  const server = useServer();
  const newFolder = useTempFolders('pulse-backup-schema-owners-');
  const source = 'schema_owners_source';
  const target = 'schema_owners_target';
  let folder: string;
  let manifest: Manifest;

  before(async function () {
    await server.createDatabase(source);
    await ensureRoles(server, [{ name: 'pulse_plant_owner' }, { name: 'pulse_line_owner' }, { name: 'pulse_schema_deployer', deploys: true }]);
    await server.query(
      'postgres',
      `REVOKE pulse_plant_owner FROM pulse_line_owner;
       GRANT pulse_plant_owner, pulse_line_owner TO pulse_schema_deployer;`,
    );
    await server.query(
      source,
      `CREATE SCHEMA plant AUTHORIZATION pulse_plant_owner;
       GRANT USAGE, CREATE ON SCHEMA plant TO pulse_line_owner;
       CREATE TABLE plant.lines (id int PRIMARY KEY, name text NOT NULL);
       INSERT INTO plant.lines SELECT g, 'line ' || g FROM generate_series(1, 12) g;
       ALTER TABLE plant.lines OWNER TO pulse_line_owner;
       CREATE TABLE plant.halls (id int PRIMARY KEY);
       ALTER TABLE plant.halls OWNER TO pulse_plant_owner;
       GRANT CREATE ON DATABASE ${source} TO pulse_line_owner;
       CREATE PUBLICATION plant_changes FOR TABLE plant.lines;
       ALTER PUBLICATION plant_changes OWNER TO pulse_line_owner;`,
    );
    folder = newFolder();
    manifest = await backupSet(server, source, folder, 'schema-owners');
    // The schema's new owner needs no CREATE on the database (the restoring role's counts), the publication's does.
    await server.query('postgres', `CREATE DATABASE ${target} OWNER pulse_schema_deployer`);
  });

  it("verify --db and a complete restore name the membership the schema's owner must give and the publication's owner's CREATE, before anything; granted as said, the restore equals the source", async function () {
    const { url, env } = await assertRefusedBeforeAnything(
      server,
      target,
      'pulse_schema_deployer',
      manifest,
      folder,
      'owners',
      "the set's objects are owned by pulse_line_owner, which may not create in schema plant (the set creates it owned by pulse_plant_owner and grants on it only at its end); " +
        `and by pulse_line_owner, which owns a publication and may not create in ${target}: ` +
        `have a superuser grant what is missing first (GRANT "pulse_plant_owner" TO "pulse_line_owner"; GRANT CREATE ON DATABASE "${target}" TO "pulse_line_owner";), or restore as a superuser`,
    );

    await server.query('postgres', `GRANT pulse_plant_owner TO pulse_line_owner; GRANT CREATE ON DATABASE ${target} TO pulse_line_owner`);
    const restored = await runCli(restoreArgs(manifest.id, 'complete', url, folder), { env });
    assert.equal(restored.code, 0, restored.stderr);
    await assertSameContent(server.url(source), server.url(target));
  });
});

/**
 * What only a superuser may create, in a set whose objects the restoring
 * role owns: an extension that is not trusted, a function in language
 * internal, a function that sets a superuser's setting. Restored as such a role (a deploy role, a managed service's
 * admin) it took a safety backup and then failed in psql ("permission
 * denied to create extension"), and a proof as that role recorded the
 * sound set as failed.
 */
describe('a set that creates what only a superuser may', function () {
  const server = useServer();
  const newFolder = useTempFolders('pulse-backup-superuser-');
  const source = 'superuser_source';
  const target = 'superuser_target';
  let folder: string;
  let manifest: Manifest;

  before(async function () {
    await server.createDatabase(source);
    await ensureRoles(server, [{ name: 'pulse_su_deployer', deploys: true }]);
    await server.query(
      source,
      `CREATE EXTENSION postgres_fdw;
       CREATE TABLE public.gauges (id int PRIMARY KEY, label text NOT NULL);
       INSERT INTO public.gauges SELECT g, 'gauge ' || g FROM generate_series(1, 30) g;
       CREATE FUNCTION public.label_length(text) RETURNS int LANGUAGE internal IMMUTABLE STRICT AS 'textlen';
       CREATE FUNCTION public.verbose_report() RETURNS int LANGUAGE sql SET log_statement = 'all' SET search_path = public AS 'SELECT count(*)::int FROM public.gauges';
       ALTER TABLE public.gauges OWNER TO pulse_su_deployer;
       ALTER FUNCTION public.label_length(text) OWNER TO pulse_su_deployer;
       ALTER FUNCTION public.verbose_report() OWNER TO pulse_su_deployer;`,
    );
    folder = newFolder();
    manifest = await backupSet(server, source, folder, 'superuser');
    await server.query('postgres', `CREATE DATABASE ${target} OWNER pulse_su_deployer`);
  });

  it('verify --db, a complete restore and a proof as a role that is none name what needs one, before anything; as a superuser the restore equals the source', async function () {
    const found = 'extension postgres_fdw, function public.label_length(text) in language internal, function public.verbose_report(), which sets log_statement';
    const { url, env } = await assertRefusedBeforeAnything(
      server,
      target,
      'pulse_su_deployer',
      manifest,
      folder,
      'superuser',
      `the set creates what only a superuser may, and pulse_su_deployer is none: ${found}: restore as a superuser, or drop them in the source database and back up again`,
    );

    const proof = await runCli(['prove', manifest.id, '--dir', folder, '--db', url], { env });
    assertOneLineError(proof);
    assert.equal(
      proof.stderr.trim(),
      `pulse-backup: the set creates what only a superuser may, and pulse_su_deployer is none: ${found}, so a proof as pulse_su_deployer on 127.0.0.1:${server.port} could not restore the set, sound or not: prove as a superuser: pass --scratch-db URL naming one`,
    );
    await assertNoProofRecorded(folder, manifest.id);

    const restored = await runCli(restoreArgs(manifest.id, 'complete', server.url(target), folder));
    assert.equal(restored.code, 0, restored.stderr);
    await assertSameContent(server.url(source), server.url(target));
  });
});

/**
 * Grants on what the restore does not create: schema public (its owner is
 * the database's), an extension's functions (the extension's). A role that
 * is neither their owner nor holds the privileges WITH GRANT OPTION gets
 * only a warning from psql ("no privileges were granted", "no privileges
 * could be revoked"), and the restore ended "restored" with the grants
 * missing — a function of pgcrypto the source had revoked from PUBLIC
 * still open to everyone.
 */
describe('a set that grants on what the restoring role does not own', function () {
  const server = useServer();
  const newFolder = useTempFolders('pulse-backup-grants-');

  before(async function () {
    await ensureRoles(server, [{ name: 'pulse_grant_deployer', deploys: true }, { name: 'pulse_grant_reader' }]);
  });

  it("schema public's grants, as a role that does not own it: refused before anything, naming its owner; as its owner the restore equals the source", async function () {
    await server.createDatabase('grants_public_source');
    await server.query(
      'grants_public_source',
      `GRANT USAGE, CREATE ON SCHEMA public TO pulse_grant_deployer;
       GRANT USAGE ON SCHEMA public TO pulse_grant_reader;
       CREATE TABLE public.readings (id int PRIMARY KEY, value numeric NOT NULL);
       INSERT INTO public.readings SELECT g, g * 1.5 FROM generate_series(1, 20) g;
       ALTER TABLE public.readings OWNER TO pulse_grant_deployer;`,
    );
    const folder = newFolder();
    const manifest = await backupSet(server, 'grants_public_source', folder, 'grants-public');
    // The database's owner is the test server's superuser: its schema public too.
    await server.createDatabase('grants_public_target');
    await server.query('grants_public_target', 'GRANT USAGE, CREATE ON SCHEMA public TO pulse_grant_deployer');
    await assertRefusedBeforeAnything(
      server,
      'grants_public_target',
      'pulse_grant_deployer',
      manifest,
      folder,
      'schema-public',
      `the set sets schema public's grants, which only its owner ${server.user} (or a role holding its privileges WITH GRANT OPTION) may, and pulse_grant_deployer is not: restore as ${server.user} or a superuser`,
    );
    const restored = await runCli(restoreArgs(manifest.id, 'complete', server.url('grants_public_target'), folder));
    assert.equal(restored.code, 0, restored.stderr);
    await assertSameContent(server.url('grants_public_source'), server.url('grants_public_target'));
  });

  it("the target's default privileges the set does not bring stay; those it brings for the same schema and kind give way, and the plan says so", async function () {
    await server.query('postgres', 'CREATE DATABASE grants_defaults_source OWNER pulse_grant_deployer');
    await server.query(
      'grants_defaults_source',
      `CREATE TABLE public.shifts (id int PRIMARY KEY);
       ALTER TABLE public.shifts OWNER TO pulse_grant_deployer;
       ALTER DEFAULT PRIVILEGES FOR ROLE pulse_grant_deployer IN SCHEMA public GRANT UPDATE ON TABLES TO pulse_grant_reader;`,
    );
    const folder = newFolder();
    const manifest = await backupSet(server, 'grants_defaults_source', folder, 'grants-defaults');
    await server.query('postgres', 'CREATE DATABASE grants_defaults_target OWNER pulse_grant_deployer');
    await server.query(
      'grants_defaults_target',
      `ALTER DEFAULT PRIVILEGES FOR ROLE pulse_grant_deployer GRANT SELECT ON TABLES TO pulse_grant_reader;
       ALTER DEFAULT PRIVILEGES FOR ROLE pulse_grant_deployer REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;
       ALTER DEFAULT PRIVILEGES FOR ROLE pulse_grant_deployer IN SCHEMA public GRANT INSERT ON TABLES TO pulse_grant_reader;`,
    );
    const defaults = (database: string) =>
      server.query<{ scope: string; kind: string; acl: string }>(
        database,
        `SELECT COALESCE(n.nspname, '-') AS scope, d.defaclobjtype::text AS kind, d.defaclacl::text AS acl
           FROM pg_default_acl d LEFT JOIN pg_namespace n ON n.oid = d.defaclnamespace ORDER BY 1, 2`,
      );
    const before = await defaults('grants_defaults_target');
    const url = new URL(server.url('grants_defaults_target'));
    url.username = 'pulse_grant_deployer';
    url.password = '';
    const restored = await runCli(restoreArgs(manifest.id, 'complete', url.href, folder), { env: { PGPASSWORD: 'deploy' } });
    assert.equal(restored.code, 0, restored.stderr);
    assert.match(restored.stdout, /note +the default privileges of pulse_grant_deployer in schema public \(tables\) give way to the backup's; its others stay/);
    assert.deepEqual(await defaults('grants_defaults_target'), [
      ...before.filter((row) => row.scope === '-'),
      ...(await defaults('grants_defaults_source')).filter((row) => row.scope === 'public'),
    ]);
    // The restored table has the grants the set gave it, none of the target's defaults.
    const acl = (database: string) => server.query<{ acl: string | null }>(database, "SELECT relacl::text AS acl FROM pg_class WHERE oid = 'public.shifts'::regclass");
    assert.deepEqual(await acl('grants_defaults_target'), await acl('grants_defaults_source'));
  });

  it("an extension's function the set revokes from PUBLIC, as a role that does not own it: rolled back, the target unchanged; as a superuser the restore equals the source", async function () {
    await server.createDatabase('grants_extension_source');
    await server.query(
      'grants_extension_source',
      `CREATE EXTENSION pgcrypto;
       CREATE TABLE public.tokens (id int PRIMARY KEY, hash bytea NOT NULL);
       INSERT INTO public.tokens SELECT g, public.digest('token ' || g, 'sha256') FROM generate_series(1, 10) g;
       ALTER TABLE public.tokens OWNER TO pulse_grant_deployer;
       REVOKE ALL ON FUNCTION public.digest(text, text) FROM PUBLIC;
       GRANT ALL ON FUNCTION public.digest(text, text) TO pulse_grant_reader;`,
    );
    const folder = newFolder();
    const manifest = await backupSet(server, 'grants_extension_source', folder, 'grants-extension');
    await server.query('postgres', 'CREATE DATABASE grants_extension_target OWNER pulse_grant_deployer');
    const url = new URL(server.url('grants_extension_target'));
    url.username = 'pulse_grant_deployer';
    url.password = '';
    const before = await fingerprintDatabase(server.url('grants_extension_target'));
    const refused = await runCli(restoreArgs(manifest.id, 'complete', url.href, folder), { env: { PGPASSWORD: 'deploy' } });
    assertOneLineError(refused);
    const file = join(folder, manifest.files.find((entry) => entry.type === 'complete')!.name);
    assert.match(
      refused.stderr.trim(),
      new RegExp(
        `^pulse-backup: restore failed and was rolled back: pulse_grant_deployer may not grant and revoke all the set does: no privileges could be revoked for "digest" \\(line \\d+ of ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\), and 1 more such warning: ` +
          'connect as the owner of function public\\.digest\\(text, text\\) \\(or a role that holds its privileges WITH GRANT OPTION\\) or a superuser: psql only warns about a privilege it could not give, and the target would lack it; the target is unchanged$',
      ),
    );
    assert.deepEqual(diffFingerprints(before, await fingerprintDatabase(server.url('grants_extension_target'))), []);
    // In parallel, not one transaction: what it created is dropped again.
    const parallel = await runCli([...restoreArgs(manifest.id, 'complete', url.href, folder), '--jobs', '2'], { env: { PGPASSWORD: 'deploy' } });
    assertOneLineError(parallel);
    assert.match(
      parallel.stderr,
      /^pulse-backup: restore with 2 jobs failed: pulse_grant_deployer may not grant and revoke all the set does: no privileges could be revoked for "digest"(, and 1 more such warning)?: .*not one transaction: what it had created was dropped, and the database is empty again/,
    );
    assert.deepEqual(diffFingerprints(before, await fingerprintDatabase(server.url('grants_extension_target'))), []);

    const restored = await runCli(restoreArgs(manifest.id, 'complete', server.url('grants_extension_target'), folder));
    assert.equal(restored.code, 0, restored.stderr);
    await assertSameContent(server.url('grants_extension_source'), server.url('grants_extension_target'));
    const [open] = await server.query<{ open: boolean }>('grants_extension_target', "SELECT has_function_privilege('public', 'public.digest(text, text)', 'EXECUTE') AS open");
    assert.equal(open.open, false, 'the revoke from PUBLIC restored');
  });
});

/**
 * What the target has already and the restore must change, as a role that
 * may not change it: a table another role owns, which --clean drops; an
 * empty schema of another role's, whose owner the set sets; a table the
 * role may read but not load rows into. Each took the safety backup and
 * failed in psql, or (a table the role may not even read) stopped the plan
 * with "unexpected error … report it".
 */
describe('a target whose objects the restoring role may not change', function () {
  const server = useServer();
  const newFolder = useTempFolders('pulse-backup-access-');
  let folder: string;
  let manifest: Manifest;
  const url = (database: string) => {
    const address = new URL(server.url(database));
    address.username = 'pulse_access_deployer';
    address.password = '';
    return address.href;
  };
  const env = { PGPASSWORD: 'deploy' };

  before(async function () {
    await ensureRoles(server, [{ name: 'pulse_access_deployer', deploys: true }, { name: 'pulse_access_other' }]);
    await server.query('postgres', `GRANT SET ON PARAMETER session_replication_role TO pulse_access_deployer;`);
    await server.query('postgres', 'CREATE DATABASE access_source OWNER pulse_access_deployer');
    await server.query(
      'access_source',
      `SET ROLE pulse_access_deployer;
       CREATE SCHEMA plant;
       CREATE TABLE plant.presses (id int PRIMARY KEY, name text NOT NULL);
       INSERT INTO plant.presses SELECT g, 'press ' || g FROM generate_series(1, 15) g;`,
    );
    folder = newFolder();
    manifest = await backupSet(server, 'access_source', folder, 'access');
  });

  /** A target made as the set has it, as the deploy role, then changed by `change` as a superuser. */
  async function targetWith(name: string, change: string): Promise<string> {
    await server.query('postgres', `CREATE DATABASE ${name} OWNER pulse_access_deployer`);
    const made = await runCli(restoreArgs(manifest.id, 'complete', url(name), folder), { env });
    assert.equal(made.code, 0, made.stderr);
    await server.query(name, change);
    return name;
  }

  async function assertRefused(database: string, mode: string, extra: string[], words: string): Promise<void> {
    const before = await fingerprintDatabase(server.url(database));
    const sets = (await listSets(folder)).map((set) => set.id);
    const refused = await runCli([...restoreArgs(manifest.id, mode, url(database), folder), ...extra], { env });
    assertOneLineError(refused);
    assert.equal(
      refused.stderr.trim(),
      `pulse-backup: cannot restore ${manifest.id} into pulse_access_deployer@127.0.0.1:${server.port}/${database}: ${words}; nothing was changed`,
    );
    assert.deepEqual(diffFingerprints(before, await fingerprintDatabase(server.url(database))), []);
    assert.deepEqual(
      (await listSets(folder)).map((set) => set.id),
      sets,
      'no safety set',
    );
  }

  it("schema public owned by pg_database_owner (any database made since PostgreSQL 15): into the role's own database the restore goes ahead, equal to the source; into another's, the refusal says to make it the database's owner", async function () {
    await server.query('postgres', 'CREATE DATABASE access_public_source OWNER pulse_access_deployer');
    await server.query(
      'access_public_source',
      `ALTER SCHEMA public OWNER TO pulse_access_deployer;
       SET ROLE pulse_access_deployer;
       CREATE TABLE public.gauges (id int PRIMARY KEY, reading numeric NOT NULL);
       INSERT INTO public.gauges SELECT g, g * 0.5 FROM generate_series(1, 12) g;`,
    );
    const publicFolder = newFolder();
    const set = await backupSet(server, 'access_public_source', publicFolder, 'access-public');
    await server.query('postgres', 'CREATE DATABASE access_public_own OWNER pulse_access_deployer');
    const owner = async (database: string) =>
      (await server.query(database, "SELECT nspowner::regrole::text AS owner FROM pg_namespace WHERE nspname = 'public'"))[0].owner as string;
    assert.equal(await owner('access_public_own'), 'pg_database_owner');
    const restored = await runCli(restoreArgs(set.id, 'complete', url('access_public_own'), publicFolder), { env });
    assert.equal(restored.code, 0, restored.stderr);
    await assertSameContent(server.url('access_public_source'), server.url('access_public_own'));

    await server.query('postgres', 'CREATE DATABASE access_public_theirs');
    assert.equal(await owner('access_public_theirs'), 'pg_database_owner');
    const before = await fingerprintDatabase(server.url('access_public_theirs'));
    const refused = await runCli(restoreArgs(set.id, 'complete', url('access_public_theirs'), publicFolder), { env });
    assertOneLineError(refused);
    assert.match(
      refused.stderr,
      /pulse_access_deployer does not own schema public \(pg_database_owner's\), whose owner the set sets: restore as the database's owner or a superuser \(or have a superuser make pulse_access_deployer the database's owner: ALTER DATABASE "access_public_theirs" OWNER TO "pulse_access_deployer";\); nothing was changed/,
    );
    assert.deepEqual(diffFingerprints(before, await fingerprintDatabase(server.url('access_public_theirs'))), []);
  });

  it('complete --clean over a table another role owns, readable or not: refused before anything, naming its owner', async function () {
    const database = await targetWith('access_clean', 'ALTER TABLE plant.presses OWNER TO pulse_access_other');
    const words =
      "pulse_access_deployer does not own table plant.presses (pulse_access_other's), which --clean drops: " +
      'restore as pulse_access_other or a superuser (or have a superuser make pulse_access_deployer a member: GRANT "pulse_access_other" TO "pulse_access_deployer";)';
    await assertRefused(database, 'complete', ['--clean'], words);
    await server.query(database, 'GRANT SELECT ON plant.presses TO pulse_access_deployer');
    await assertRefused(database, 'complete', ['--clean'], words);
  });

  it("a schema of another role's that the set creates: refused before anything; data into a table the role may not load: refused, with the GRANT", async function () {
    await server.query('postgres', 'CREATE DATABASE access_schema OWNER pulse_access_deployer');
    await server.query('access_schema', 'CREATE SCHEMA plant AUTHORIZATION pulse_access_other; GRANT USAGE, CREATE ON SCHEMA plant TO pulse_access_deployer');
    await assertRefused(
      'access_schema',
      'complete',
      [],
      "pulse_access_deployer does not own schema plant (pulse_access_other's), whose owner the set sets: " +
        'restore as pulse_access_other or a superuser (or have a superuser make pulse_access_deployer a member: GRANT "pulse_access_other" TO "pulse_access_deployer";)',
    );
    const database = await targetWith(
      'access_data',
      'TRUNCATE plant.presses; ALTER TABLE plant.presses OWNER TO pulse_access_other; GRANT SELECT ON plant.presses TO pulse_access_deployer',
    );
    await assertRefused(
      database,
      'data',
      [],
      "pulse_access_deployer may not load rows into table plant.presses (pulse_access_other's): " +
        'have its owner grant it first (GRANT INSERT ON plant.presses TO "pulse_access_deployer";), or restore as pulse_access_other or a superuser',
    );
    await server.query(database, 'GRANT INSERT ON plant.presses TO pulse_access_deployer');
    const loaded = await runCli(restoreArgs(manifest.id, 'data', url(database), folder), { env });
    assert.equal(loaded.code, 0, loaded.stderr);
    const [count] = await server.query<{ rows: string }>(database, 'SELECT count(*)::text AS rows FROM plant.presses');
    assert.equal(count.rows, '15');
  });

  it('data into a table whose row-level security applies to the role: refused before anything, where the load would fail; the count under it says "at least"', async function () {
    const database = await targetWith(
      'access_policed',
      `ALTER TABLE plant.presses ENABLE ROW LEVEL SECURITY; ALTER TABLE plant.presses FORCE ROW LEVEL SECURITY;
       CREATE POLICY first_ten ON plant.presses USING (id <= 10);`,
    );
    await assertRefused(
      database,
      'data',
      ['--clean'],
      "row-level security applies to pulse_access_deployer on plant.presses, which the set's rows load into with row_security off (as pg_dump writes them), so the load would fail there: " +
        'restore as a superuser or a role with BYPASSRLS (ALTER ROLE "pulse_access_deployer" BYPASSRLS; as a superuser), or as the tables\' owner where they do not FORCE ROW LEVEL SECURITY',
    );
    // A complete restore replaces the table; its plan counts what the policy lets the role see, and says so.
    const plan = await runCli([...restoreArgs(manifest.id, 'complete', url(database), folder).filter((arg) => arg !== '--yes'), '--clean'], { env });
    assert.match(plan.stdout, /table plant\.presses \(at least 10 rows now, row-level security hiding those the role may not see, 15 in the backup\)/);
  });
});

/**
 * A data restore creates the set's large objects and gives each its owner
 * and grants: one owned by a role the restoring role may not make an owner,
 * or granted to a role the server no longer has, failed it after the safety
 * backup ("must be member of role …"). The manifest names their owners and
 * grantees, and the restore is refused before anything.
 */
describe('a data restore of large objects the restoring role may not give their owners', function () {
  const server = useServer();
  const newFolder = useTempFolders('pulse-backup-lo-owners-');

  it('is refused before anything, naming the owner, the missing grantee and the GRANT; granted and made as said, the restore equals the source', async function () {
    await ensureRoles(server, [{ name: 'pulse_lo_deployer', deploys: true }, { name: 'pulse_lo_keeper' }, { name: 'pulse_lo_gone' }]);
    await server.query('postgres', 'GRANT SET ON PARAMETER session_replication_role TO pulse_lo_deployer');
    for (const database of ['lo_owners_source', 'lo_owners_target']) await server.query('postgres', `CREATE DATABASE ${database} OWNER pulse_lo_deployer`);
    await server.query(
      'lo_owners_source',
      `SET ROLE pulse_lo_deployer;
       CREATE TABLE public.drawings (id int PRIMARY KEY, scan oid NOT NULL);
       INSERT INTO public.drawings VALUES (1, lo_from_bytea(0, '\\x0102'::bytea)), (2, lo_from_bytea(0, 'press frame'::bytea));
       SELECT lo_from_bytea(0, 'unreferenced'::bytea);
       RESET ROLE;`,
    );
    const [first, second] = await server.query<{ scan: string }>('lo_owners_source', 'SELECT scan::text FROM public.drawings ORDER BY id');
    await server.query('lo_owners_source', `ALTER LARGE OBJECT ${first.scan} OWNER TO pulse_lo_keeper; GRANT SELECT ON LARGE OBJECT ${second.scan} TO pulse_lo_gone`);
    const folder = newFolder();
    const manifest = await backupSet(server, 'lo_owners_source', folder, 'drawings');
    // The grantee is gone since the backup: the source no longer grants to it.
    await server.query('lo_owners_source', `REVOKE ALL ON LARGE OBJECT ${second.scan} FROM pulse_lo_gone`);
    await server.query('postgres', 'DROP ROLE pulse_lo_gone');
    const url = new URL(server.url('lo_owners_target'));
    url.username = 'pulse_lo_deployer';
    url.password = '';
    const env = { PGPASSWORD: 'deploy' };
    const schema = await runCli(restoreArgs(manifest.id, 'schema', url.href, folder), { env });
    assert.equal(schema.code, 0, schema.stderr);
    const sets = (await listSets(folder)).map((set) => set.id);
    const before = await fingerprintDatabase(server.url('lo_owners_target'));

    const refused = await runCli(restoreArgs(manifest.id, 'data', url.href, folder), { env });
    assertOneLineError(refused);
    assert.equal(
      refused.stderr.trim(),
      `pulse-backup: cannot restore ${manifest.id} into pulse_lo_deployer@127.0.0.1:${server.port}/lo_owners_target: ` +
        'the server has no role pulse_lo_gone, which the set names as owner, grantee, policy role or user mapping; ' +
        "the set's large objects are owned by pulse_lo_keeper, which pulse_lo_deployer (no superuser) may not make an object's owner: " +
        'create it first (CREATE ROLE "pulse_lo_gone" NOLOGIN;), or restore on the server the backup came from; ' +
        'have a superuser grant what is missing first (GRANT "pulse_lo_keeper" TO "pulse_lo_deployer";), or restore as a superuser; nothing was changed',
    );
    assert.deepEqual(diffFingerprints(before, await fingerprintDatabase(server.url('lo_owners_target'))), []);
    assert.deepEqual(
      (await listSets(folder)).map((set) => set.id),
      sets,
      'no safety set',
    );

    await server.query('postgres', 'CREATE ROLE pulse_lo_gone NOLOGIN; GRANT pulse_lo_keeper TO pulse_lo_deployer');
    await server.query('lo_owners_source', `GRANT SELECT ON LARGE OBJECT ${second.scan} TO pulse_lo_gone`);
    const restored = await runCli(restoreArgs(manifest.id, 'data', url.href, folder), { env });
    assert.equal(restored.code, 0, restored.stderr);
    await assertSameContent(server.url('lo_owners_source'), server.url('lo_owners_target'));
  });
});

/**
 * An extension the target database has already, in another schema than
 * the set's (a managed service installs its extensions in a schema of its
 * own): the set's CREATE EXTENSION IF NOT EXISTS did nothing, and its first
 * column of the extension's type failed in psql after the safety backup
 * ("type ext.citext does not exist").
 */
describe('a set whose extension the target database has in another schema', function () {
  const server = useServer();
  const newFolder = useTempFolders('pulse-backup-extension-schema-');

  it('is refused before anything, naming both schemas and the statement that moves it; moved as said, the restore equals the source', async function () {
    await server.createDatabase('extension_schema_source');
    await server.query(
      'extension_schema_source',
      `CREATE SCHEMA ext;
       CREATE EXTENSION citext SCHEMA ext;
       CREATE TABLE public.tags (name ext.citext PRIMARY KEY);
       INSERT INTO public.tags VALUES ('Weld'), ('Paint');`,
    );
    const folder = newFolder();
    const manifest = await backupSet(server, 'extension_schema_source', folder, 'extension-schema');
    await server.createDatabase('extension_schema_target');
    await server.query('extension_schema_target', 'CREATE EXTENSION citext SCHEMA public');
    const before = await fingerprintDatabase(server.url('extension_schema_target'));
    const refused = await runCli(restoreArgs(manifest.id, 'complete', server.url('extension_schema_target'), folder));
    assertOneLineError(refused);
    assert.equal(
      refused.stderr.trim(),
      `pulse-backup: cannot restore ${manifest.id} into ${server.user}@127.0.0.1:${server.port}/extension_schema_target: ` +
        "the target database has extension citext in schema public, not ext as the set has it: the set's CREATE EXTENSION IF NOT EXISTS would leave it there, and what uses it would not find it: " +
        'move it where the set has it (ALTER EXTENSION "citext" SET SCHEMA "ext"; once the schema exists), or restore into a database without it; nothing was changed',
    );
    assert.deepEqual(diffFingerprints(before, await fingerprintDatabase(server.url('extension_schema_target'))), []);
    assert.deepEqual(
      (await listSets(folder)).map((set) => set.id),
      [manifest.id],
      'no safety set',
    );

    await server.query('extension_schema_target', 'CREATE SCHEMA ext; ALTER EXTENSION "citext" SET SCHEMA "ext";');
    const restored = await runCli(restoreArgs(manifest.id, 'complete', server.url('extension_schema_target'), folder));
    assert.equal(restored.code, 0, restored.stderr);
    await assertSameContent(server.url('extension_schema_source'), server.url('extension_schema_target'));
  });
});

describe('a set whose tables are in a tablespace the target server lacks', function () {
  const server = useServer();
  const newFolder = useTempFolders('pulse-backup-tablespaces-');
  const source = 'tablespace_source';
  let fresh: TestServer | undefined;
  let folder: string;
  let manifest: Manifest;

  /** A folder the server's user owns, for a tablespace. */
  function tablespaceFolder(): string {
    const made = newFolder();
    const owner = serverProcessOwner();
    if (owner) chownSync(made, owner.uid, owner.gid);
    return made;
  }

  before(async function () {
    fresh = await startServer();
    await server.query('postgres', `CREATE TABLESPACE fast LOCATION '${tablespaceFolder()}'`);
    await server.createDatabase(source);
    await server.query(
      source,
      `CREATE TABLE public.readings (id int PRIMARY KEY USING INDEX TABLESPACE fast, value numeric NOT NULL) TABLESPACE fast;
       INSERT INTO public.readings SELECT g, g * 0.5 FROM generate_series(1, 40) g;`,
    );
    folder = newFolder();
    manifest = await backupSet(server, source, folder, 'tablespace');
  });

  after(async function () {
    await fresh?.stop();
  });

  const missingWords = `the server has no tablespace fast, which the set creates tables or indexes in: create it first, as a superuser (CREATE TABLESPACE "fast" LOCATION '/an/empty/folder/the/server/owns';), or restore with --no-tablespaces to create them in the database's default tablespace, or restore on the server the backup came from`;

  /** The tablespace each of the source's relations is in, in a database of the fresh server (null: the database's default). */
  async function placesIn(database: string): Promise<{ relation: string; tablespace: string | null }[]> {
    return fresh!.query<{ relation: string; tablespace: string | null }>(
      database,
      "SELECT c.relname AS relation, t.spcname AS tablespace FROM pg_class c LEFT JOIN pg_tablespace t ON t.oid = c.reltablespace WHERE c.relname IN ('readings', 'readings_pkey') ORDER BY 1",
    );
  }

  it("without it, --no-tablespaces restores complete (one job and two) into the database's default tablespace, and a data restore goes ahead", async function () {
    for (const [database, extra] of [
      ['tablespace_default', []],
      ['tablespace_jobs', ['--jobs', '2']],
    ] as const) {
      await fresh!.createDatabase(database);
      const restored = await runCli(restoreArgs(manifest.id, 'complete', fresh!.url(database), folder, ['--no-tablespaces', '--no-safety-backup', ...extra]));
      assert.equal(restored.code, 0, restored.stderr);
      assert.match(restored.stdout, /note +--no-tablespaces: what the set creates in tablespace fast goes into the target database's default tablespace/);
      await assertSameContent(server.url(source), fresh!.url(database));
      assert.deepEqual(await placesIn(database), [
        { relation: 'readings', tablespace: null },
        { relation: 'readings_pkey', tablespace: null },
      ]);
    }
    // The data file switches tablespace between entries as pg_dump wrote it: a data restore, which creates nothing, sets it aside.
    const data = await runCli(restoreArgs(manifest.id, 'data', fresh!.url('tablespace_default'), folder, ['--clean', '--no-safety-backup']));
    assert.equal(data.code, 0, data.stderr);
    await assertSameContent(server.url(source), fresh!.url('tablespace_default'));
  });

  it('verify --db, a complete restore and a proof name it and the statement that makes it; made, the restore equals the source', async function () {
    await fresh!.createDatabase('tablespace_target');
    const verified = await runCli(['verify', manifest.id, '--dir', folder, '--db', fresh!.url('tablespace_target'), '--json']);
    assert.equal(verified.code, 1, verified.stderr);
    assert.deepEqual([...failedChecks(verified.stdout)], [['tablespaces', missingWords]]);

    const before = await fingerprintDatabase(fresh!.url('tablespace_target'));
    const refused = await runCli(restoreArgs(manifest.id, 'complete', fresh!.url('tablespace_target'), folder));
    assertOneLineError(refused);
    assert.equal(
      refused.stderr.trim(),
      `pulse-backup: cannot restore ${manifest.id} into ${fresh!.user}@127.0.0.1:${fresh!.port}/tablespace_target: ${missingWords}; nothing was changed`,
    );
    assert.deepEqual(diffFingerprints(before, await fingerprintDatabase(fresh!.url('tablespace_target'))), []);
    const proof = await runCli(['prove', manifest.id, '--dir', folder, '--db', server.url(source), '--scratch-db', fresh!.url('postgres')]);
    assertOneLineError(proof);
    assert.match(
      proof.stderr,
      /has no tablespace fast, which the set needs, so a proof there could not restore the set, sound or not: prove on a server that has it: .*CREATE TABLESPACE "fast"/,
    );
    const listed = JSON.parse((await runCli(['list', '--dir', folder, '--json'])).stdout) as { id: string; proof: unknown }[];
    assert.deepEqual(
      listed.map((set) => [set.id, set.proof]),
      [[manifest.id, null]],
      'no safety set, no proof recorded',
    );

    await fresh!.query('postgres', `CREATE TABLESPACE fast LOCATION '${tablespaceFolder()}'`);
    const restored = await runCli(restoreArgs(manifest.id, 'complete', fresh!.url('tablespace_target'), folder));
    assert.equal(restored.code, 0, restored.stderr);
    await assertSameContent(server.url(source), fresh!.url('tablespace_target'));
    assert.deepEqual(await placesIn('tablespace_target'), [
      { relation: 'readings', tablespace: 'fast' },
      { relation: 'readings_pkey', tablespace: 'fast' },
    ]);
  });
});

/**
 * The server imports its collations from its machine's locales and its ICU
 * library: a set whose columns use one (`COLLATE pg_catalog."de-x-icu"`)
 * needs it in the target. A database that lacks it is made here by
 * dropping it from the target database's own catalog.
 */
describe('a set whose columns use a collation the target database lacks', function () {
  const server = useServer();
  const newFolder = useTempFolders('pulse-backup-collations-');
  const source = 'collation_source';
  let folder: string;
  let manifest: Manifest;

  before(async function () {
    await server.createDatabase(source);
    await server.query(
      source,
      `CREATE COLLATION public.sv_ci (provider = icu, locale = 'sv-SE-u-ks-level2', deterministic = false);
       CREATE TABLE public.names (id int PRIMARY KEY, name text COLLATE "de-x-icu" NOT NULL, nick text COLLATE public.sv_ci);
       CREATE INDEX names_nick ON public.names (nick);
       INSERT INTO public.names VALUES (1, 'Ärger', 'Anna'), (2, 'Zebra', 'anna'), (3, 'Öl', NULL);`,
    );
    folder = newFolder();
    manifest = await backupSet(server, source, folder, 'collation');
  });

  const missingWords =
    "the target database has no collation de-x-icu, which the set's columns, indexes or types use: install its locale on the target server's machine (or restore on a server whose operating system and ICU library have it, as the backup's did), then have a superuser import it: SELECT pg_catalog.pg_import_system_collations('pg_catalog'); in the target database";

  it('verify --db, a complete or schema restore and a proof name it and how to get it, before anything; imported as said, the restore equals the source', async function () {
    const target = 'collation_target';
    await server.createDatabase(target);
    await server.query(target, 'DROP COLLATION pg_catalog."de-x-icu"');
    const verified = await runCli(['verify', manifest.id, '--dir', folder, '--db', server.url(target), '--json']);
    assert.equal(verified.code, 1, verified.stderr);
    assert.deepEqual([...failedChecks(verified.stdout)], [['collations', missingWords]]);

    const before = await fingerprintDatabase(server.url(target));
    for (const mode of ['complete', 'schema'] as const) {
      const refused = await runCli(restoreArgs(manifest.id, mode, server.url(target), folder));
      assertOneLineError(refused);
      assert.equal(
        refused.stderr.trim(),
        `pulse-backup: cannot restore ${manifest.id} into ${server.user}@127.0.0.1:${server.port}/${target}: ${missingWords}; nothing was changed`,
      );
    }
    assert.deepEqual(diffFingerprints(before, await fingerprintDatabase(server.url(target))), []);
    assert.deepEqual(
      (await listSets(folder)).map((set) => set.id),
      [manifest.id],
      'no safety set',
    );

    // A server that never had it (made here by dropping it from template0, which scratch databases are made from, and from the database the proof connects to).
    const lacking = await startServer();
    try {
      await lacking.query('postgres', 'ALTER DATABASE template0 ALLOW_CONNECTIONS true');
      for (const database of ['template0', 'postgres']) await lacking.query(database, 'DROP COLLATION pg_catalog."de-x-icu"');
      await lacking.query('postgres', 'ALTER DATABASE template0 ALLOW_CONNECTIONS false');
      const proof = await runCli(['prove', manifest.id, '--dir', folder, '--db', server.url(source), '--scratch-db', lacking.url('postgres')]);
      assertOneLineError(proof);
      assert.match(
        proof.stderr,
        /has no collation de-x-icu, which the set needs, so a proof there could not restore the set, sound or not: prove on a server that has it: pass --scratch-db URL naming one$/m,
      );
    } finally {
      await lacking.stop();
    }
    await assertNoProofRecorded(folder, manifest.id);

    // The set's own collation (public.sv_ci) it creates itself: only pg_catalog's counts.
    const [{ imported }] = await server.query<{ imported: number }>(target, "SELECT pg_catalog.pg_import_system_collations('pg_catalog') AS imported");
    assert.ok(imported >= 1);
    const restored = await runCli(restoreArgs(manifest.id, 'complete', server.url(target), folder));
    assert.equal(restored.code, 0, restored.stderr);
    await assertSameContent(server.url(source), server.url(target));
  });
});

describe('a target database in an encoding that cannot hold every character of the set', function () {
  const server = useServer();
  const newFolder = useTempFolders('pulse-backup-encoding-');

  it('is warned of before, and a character it lacks fails the restore in one line saying what database to make; the target unchanged', async function () {
    await server.createDatabase('encoding_source');
    await server.query('encoding_source', "CREATE TABLE public.prices (id int PRIMARY KEY, label text NOT NULL); INSERT INTO public.prices VALUES (1, 'café'), (2, '5 € a piece')");
    const folder = newFolder();
    const manifest = await backupSet(server, 'encoding_source', folder, 'prices');
    await server.query('postgres', "CREATE DATABASE encoding_latin1 ENCODING 'LATIN1' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0");
    const before = await fingerprintDatabase(server.url('encoding_latin1'));
    const result = await runCli(restoreArgs(manifest.id, 'complete', server.url('encoding_latin1'), folder, ['--no-safety-backup']));
    assertOneLineError(result);
    const warning =
      "the set's text is UTF8, the target database's encoding LATIN1: a character LATIN1 has no room for fails the restore, which then changes nothing: to be sure, restore into a database made in UTF8 (CREATE DATABASE … ENCODING 'UTF8' TEMPLATE template0)";
    assert.ok(result.stdout.includes(`  warning  The target database's encoding holds the set's text: ${warning}\n`), result.stdout);
    assert.match(
      result.stderr.trim(),
      /^pulse-backup: restore failed and was rolled back: character with byte sequence 0xe2 0x82 0xac in encoding "UTF8" has no equivalent in encoding "LATIN1" \(line \d+ of .*\): the target database's encoding, LATIN1, cannot hold every character of the set \(UTF8\): restore into a database made in UTF8 \(CREATE DATABASE … ENCODING 'UTF8' TEMPLATE template0\); the target is unchanged$/,
    );
    assert.deepEqual(diffFingerprints(before, await fingerprintDatabase(server.url('encoding_latin1'))), []);

    // Every character the set holds has room in LATIN1: the warning stands, the restore goes through, equal to the source.
    await server.query('encoding_source', "UPDATE public.prices SET label = '5 EUR a piece' WHERE id = 2");
    const fitting = await backupSet(server, 'encoding_source', folder, 'fitting');
    const restored = await runCli(restoreArgs(fitting.id, 'complete', server.url('encoding_latin1'), folder, ['--no-safety-backup']));
    assert.equal(restored.code, 0, restored.stderr);
    assert.ok(restored.stdout.includes(`  warning  The target database's encoding holds the set's text: ${warning}\n`), restored.stdout);
    // (The fingerprint hashes rows as the server encodes them, so it differs between encodings: the rows are compared as text.)
    const labels = async (database: string) =>
      (await server.query<{ id: number; label: string }>(database, 'SELECT id, label FROM public.prices ORDER BY id')).map((row) => [row.id, row.label]);
    assert.deepEqual(await labels('encoding_latin1'), await labels('encoding_source'));
    assert.deepEqual(await labels('encoding_latin1'), [
      [1, 'café'],
      [2, '5 EUR a piece'],
    ]);
  });
});

describe('a data restore into tables whose columns changed since the backup', function () {
  const server = useServer();
  const newFolder = useTempFolders('pulse-backup-columns-');
  let folder: string;
  let manifest: Manifest;

  before(async function () {
    await server.createDatabase('columns_source');
    await server.query(
      'columns_source',
      `CREATE TABLE public.machines (id int PRIMARY KEY, name text NOT NULL, legacy_code text);
       INSERT INTO public.machines VALUES (1, 'press', 'A1'), (2, 'lathe', 'B2');
       CREATE TABLE public.retired (id int PRIMARY KEY, legacy_code text);`,
    );
    folder = newFolder();
    manifest = await backupSet(server, 'columns_source', folder, 'columns');
  });

  /** The source's schema without its rows, then `migration` run on it. */
  async function migrated(database: string, migration: string): Promise<string> {
    await server.createDatabase(database, { template: 'columns_source' });
    await server.query(database, `TRUNCATE public.machines; ${migration}`);
    return database;
  }

  it('refuses before anything, naming each column the rows would not fit: gone (even from a table without rows), generated now, required now', async function () {
    const target = await migrated(
      'columns_changed',
      `ALTER TABLE public.machines DROP COLUMN legacy_code;
       ALTER TABLE public.machines ADD COLUMN site text NOT NULL;
       ALTER TABLE public.machines DROP COLUMN name, ADD COLUMN name text GENERATED ALWAYS AS ('m' || id) STORED;
       ALTER TABLE public.retired DROP COLUMN legacy_code;`,
    );
    const before = await fingerprintDatabase(server.url(target));
    const result = await runCli(restoreArgs(manifest.id, 'data', server.url(target), folder, ['--clean']));
    assertOneLineError(result);
    assert.equal(
      result.stderr.trim(),
      "pulse-backup: the target's tables differ from the backup's: public.machines has no column legacy_code, which the rows hold; public.machines.name is a generated column now; public.machines.site is NOT NULL without a default, and the rows have no value for it; and 1 more: the target's schema changed since the backup (a migration?): restore --mode complete into an empty database, or bring the target's schema back to the backup's first; nothing was changed",
    );
    assert.deepEqual(diffFingerprints(before, await fingerprintDatabase(server.url(target))), []);
    assert.deepEqual(
      (await listSets(folder)).map((set) => set.id),
      [manifest.id],
      'no safety set',
    );
  });

  it('a column type, check or unique index changed since the backup fails the load in one line that says so, not to pass --clean; the target unchanged', async function () {
    const cases = [
      {
        migration: 'ALTER TABLE public.machines ALTER COLUMN legacy_code TYPE integer USING NULL',
        says: /: invalid input syntax for type integer: "A1" \(line \d+ of .*\): the target's column machines\.legacy_code does not take the backup's values: the target's schema changed since the backup \(a migration\?\): restore --mode complete into an empty database, or bring the target's schema back to the backup's first; the target is unchanged$/,
      },
      {
        migration: 'ALTER TABLE public.machines ALTER COLUMN name TYPE varchar(3)',
        says: /: value too long for type character varying\(3\) \(line \d+ of .*\): the target's column machines\.name does not take the backup's values: the target's schema changed/,
      },
      {
        migration: 'ALTER TABLE public.machines ADD CONSTRAINT short_name CHECK (length(name) < 5)',
        says: /: new row for relation "machines" violates check constraint "short_name" \(line \d+ of .*\): the target's table machines has a check, short_name, that a row of the backup breaks: the target's schema changed/,
      },
      {
        migration: 'CREATE UNIQUE INDEX one_machine ON public.machines ((id % 1))',
        says: /: duplicate key value violates unique constraint "one_machine" \(line \d+ of .*\): the tables it loads were empty first, so a constraint or unique index added since the backup \(a migration\?\), or rows a trigger or another session added as it loaded, clash with the backup's: restore --mode complete/,
      },
    ];
    for (const [index, { migration, says }] of cases.entries()) {
      const target = await migrated(`columns_retyped_${index}`, migration);
      const before = await fingerprintDatabase(server.url(target));
      const result = await runCli(restoreArgs(manifest.id, 'data', server.url(target), folder, ['--clean', '--no-safety-backup']));
      assertOneLineError(result);
      assert.match(result.stderr.trim(), says, `${migration}: ${result.stderr}`);
      assert.doesNotMatch(result.stderr, /pass --clean|PULSE_BACKUP_DEBUG/, migration);
      assert.deepEqual(diffFingerprints(before, await fingerprintDatabase(server.url(target))), [], migration);
    }
  });

  it('goes ahead where a migration only added what the rows need not fill (a nullable column, one with a default)', async function () {
    const target = await migrated(
      'columns_added',
      "ALTER TABLE public.machines ADD COLUMN notes text; ALTER TABLE public.machines ADD COLUMN site text NOT NULL DEFAULT 'main'; ALTER TABLE public.machines ADD COLUMN serial bigint GENERATED ALWAYS AS IDENTITY",
    );
    const result = await runCli(restoreArgs(manifest.id, 'data', server.url(target), folder, ['--no-safety-backup']));
    assert.equal(result.code, 0, result.stderr);
    const rows = await server.query<{ id: number; name: string; legacy_code: string; notes: string | null; site: string }>(
      target,
      'SELECT id, name, legacy_code, notes, site FROM public.machines ORDER BY id',
    );
    assert.deepEqual(rows, [
      { id: 1, name: 'press', legacy_code: 'A1', notes: null, site: 'main' },
      { id: 2, name: 'lathe', legacy_code: 'B2', notes: null, site: 'main' },
    ]);
  });
});
