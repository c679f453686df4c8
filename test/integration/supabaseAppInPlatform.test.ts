/**
 * The application's own objects in a platform schema: what `postgres` may
 * create in auth on a stack (a helper function a policy calls, a table of
 * its own with rows). A Supabase set keeps them whole, as it keeps the
 * triggers and policies the application attaches to platform tables, so it
 * restores into a fresh stack; and a proof, whose scratch database gets the
 * platform from the live one, proves them by the set's files alone. Runs on
 * Supabase's own platform (../shared/fixtures) when present, else on the
 * project's sample of it.
 */
import { strict as assert } from 'node:assert';
import type { Manifest } from '../../src/core/sets/manifest';
import type { ProofRecord } from '../../src/core/prove/record';
import { runCli } from '../support/cli';
import { useTempFolders } from '../support/integration';
import { startSupabaseLikeServer, type SupabaseLikeServer } from '../support/supabasePlatform';

describe("the application's own objects in a Supabase platform schema", function () {
  this.timeout(300_000);
  let stack: SupabaseLikeServer;
  const newFolder = useTempFolders('pulse-backup-app-in-platform-');
  let folder: string;
  let manifest: Manifest;
  const source = 'app';

  before(async function () {
    stack = await startSupabaseLikeServer();
    await stack.withApplication(source, true);
    // As the stack's own postgres, the way a project's migration would.
    await stack.server.query(
      source,
      `SET ROLE postgres;
       CREATE FUNCTION auth.is_admin() RETURNS boolean LANGUAGE sql STABLE AS $$ SELECT auth.uid() IS NOT NULL AND false $$;
       CREATE POLICY "admins see all" ON public.posts FOR SELECT TO authenticated USING (auth.is_admin());
       CREATE TABLE auth.app_extra (id int PRIMARY KEY, note text);
       INSERT INTO auth.app_extra VALUES (1, 'one'), (2, 'two');`,
    );
    folder = newFolder();
    const result = await runCli(['backup', '--db', stack.asPostgres(source), '--dir', folder, '--prefix', 'app', '--json']);
    assert.equal(result.code, 0, result.stderr);
    manifest = JSON.parse(result.stdout) as Manifest;
  });
  after(async function () {
    await stack?.server.stop();
  });

  it('the set keeps them whole, definition and rows, and says so', function () {
    assert.equal(manifest.profile?.name, 'supabase');
    for (const object of ['FUNCTION auth.is_admin()', 'TABLE auth.app_extra'])
      assert.ok(manifest.profile.attachedObjects.includes(object), `${object} in ${manifest.profile.attachedObjects.join(', ')}`);
    const table = manifest.tables.find((one) => one.schema === 'auth' && one.name === 'app_extra');
    assert.deepEqual({ rows: table?.rows, definition: table?.definition }, { rows: 2, definition: undefined });
    assert.ok(!manifest.profile.attachedObjects.some((object) => /grant_pg_|schema_migrations|\.users$/.test(object)), manifest.profile.attachedObjects.join(', '));
  });

  it('restores as postgres into a fresh stack, with them', async function () {
    await stack.freshStack('fresh');
    const result = await runCli(['restore', manifest.id, '--dir', folder, '--db', stack.asPostgres('fresh'), '--mode', 'complete', '--yes']);
    assert.equal(result.code, 0, result.stderr);
    const [row] = await stack.server.query<{ rows: string; admin: boolean; owner: string }>(
      'fresh',
      "SELECT (SELECT count(*) FROM auth.app_extra) AS rows, auth.is_admin() AS admin, (SELECT tableowner FROM pg_tables WHERE schemaname = 'auth' AND tablename = 'app_extra') AS owner",
    );
    assert.deepEqual(row, { rows: '2', admin: false, owner: 'postgres' });
  });

  it('proves the set by its own files: the scratch database gets the platform without them', async function () {
    const result = await runCli(['prove', manifest.id, '--db', stack.asPostgres(source), '--dir', folder, '--json']);
    const record = result.stdout ? (JSON.parse(result.stdout) as ProofRecord) : undefined;
    assert.equal(result.code, 0, `${result.stderr}\n${JSON.stringify(record?.differences, null, 2)}`);
    assert.equal(record?.outcome, 'proved');
  });
});
