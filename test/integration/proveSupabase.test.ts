/**
 * A Supabase set proved the Supabase way, on a server made like a stack
 * (Supabase's own platform from ../shared/fixtures when present, else the
 * project's sample of it): the scratch databases get the live stack's
 * platform, then the set, all as the stack's own `postgres`, which is not a
 * superuser; where `postgres` may not create databases, one line names the
 * role that can and how to pass it.
 */
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DiffResult } from '../../src/core/prove/diffResult';
import type { Manifest } from '../../src/core/sets/manifest';
import type { ProofRecord } from '../../src/core/prove/record';
import { assertOneLineError, runCli } from '../support/cli';
import { useTempFolders } from '../support/integration';
import { diffFingerprints, fingerprintDatabase } from '../support/fingerprint';
import { editFirstRow, rewriteSetFile } from '../support/tamper';
import { useSupabaseAppSet, type SupabaseLikeServer } from '../support/supabasePlatform';

describe("proving and diffing a Supabase set as the stack's own postgres", function () {
  let stack: SupabaseLikeServer;
  const newFolder = useTempFolders('pulse-backup-prove-supabase-');
  let folder: string;
  let manifest: Manifest;
  const source = 'app';

  const appSet = useSupabaseAppSet(source, newFolder);
  before(function () {
    ({ stack, folder, manifest } = appSet);
  });

  async function prove(extra: string[] = [], env: NodeJS.ProcessEnv = {}) {
    const result = await runCli(['prove', manifest.id, '--db', stack.asPostgres(source), '--dir', folder, '--json', ...extra], { env });
    return { ...result, record: result.stdout ? (JSON.parse(result.stdout) as ProofRecord) : undefined };
  }

  it('postgres is not a superuser here, and the set was made with the Supabase profile', async function () {
    const [role] = await stack.server.query<{ rolsuper: boolean; rolcreatedb: boolean }>(source, "SELECT rolsuper, rolcreatedb FROM pg_roles WHERE rolname = 'postgres'");
    assert.deepEqual(role, { rolsuper: false, rolcreatedb: true });
    assert.equal(manifest.profile?.name, 'supabase');
    assert.ok(
      manifest.digests?.tables.some((table) => table.schema === 'auth' && table.name === 'users' && table.rows > 0),
      'the set holds auth.users rows',
    );
  });

  it('restores into scratch databases with the platform, both ways, and reads back equal; the live database is not written', async function () {
    const before = await fingerprintDatabase(stack.server.url(source));
    const { code, record, stderr } = await prove();
    assert.equal(code, 0, `${stderr}\n${JSON.stringify(record?.differences, null, 2)}`);
    assert.equal(record?.outcome, 'proved');
    assert.equal(record.profile, 'supabase');
    assert.equal(record.server.user, 'postgres');
    assert.deepEqual(
      record.paths.map((path) => path.equal),
      [true, true],
    );
    assert.equal(record.tables, manifest.digests?.tables.length);
    assert.deepEqual(diffFingerprints(before, await fingerprintDatabase(stack.server.url(source))), []);
    const left = await stack.server.query<{ name: string }>(source, "SELECT datname AS name FROM pg_database WHERE datname LIKE 'pulse\\_prove\\_%'");
    assert.deepEqual(left, []);
  });

  it('a changed row of auth.users in the data file, its checksum updated, fails schema then data with that row', async function () {
    const copy = mkdtempSync(join(tmpdir(), 'pulse-backup-prove-supabase-copy-'));
    try {
      const backup = await runCli(['backup', '--db', stack.asPostgres(source), '--dir', copy, '--prefix', 'app', '--json']);
      const set = JSON.parse(backup.stdout) as Manifest;
      const columns = set.digests!.tables.find((table) => table.schema === 'auth' && table.name === 'users')!.columns;
      const email = columns.indexOf('email');
      rewriteSetFile(copy, set, 'data', (text) =>
        editFirstRow(text, 'auth.users', (fields) => fields.map((field, index) => (index === email ? 'someone.else@example.test' : field))),
      );
      const result = await runCli(['prove', set.id, '--db', stack.asPostgres(source), '--dir', copy, '--json']);
      assert.equal(result.code, 1, result.stderr);
      const record = JSON.parse(result.stdout) as ProofRecord;
      assert.deepEqual(
        record.differences.map(({ path, kind, object }) => [path, kind, object]),
        [['schema-then-data', 'rows', 'auth.users']],
      );
      assert.match(record.differences[0].detail, /^1 row changed \(first: id = [0-9a-f-]{36}\)/);
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });

  it('diff, as postgres, sees a post added since the set, and nothing of the platform', async function () {
    const copy = 'app_changed';
    await stack.withApplication(copy, true);
    const changedFolder = mkdtempSync(join(tmpdir(), 'pulse-backup-diff-supabase-'));
    try {
      const backup = await runCli(['backup', '--db', stack.asPostgres(copy), '--dir', changedFolder, '--prefix', 'app', '--json']);
      assert.equal(backup.code, 0, backup.stderr);
      const set = JSON.parse(backup.stdout) as Manifest;
      await stack.server.query(
        copy,
        "INSERT INTO public.posts (author_id, slug, title) SELECT id, 'after-the-backup', 'After the backup' FROM public.profiles ORDER BY id LIMIT 1",
      );
      const result = await runCli(['diff', set.id, '--db', stack.asPostgres(copy), '--dir', changedFolder, '--json']);
      assert.equal(result.code, 0, result.stderr);
      const diff = JSON.parse(result.stdout) as DiffResult;
      assert.deepEqual(
        diff.tables.filter((table) => table.state !== 'same').map((table) => [`${table.schema}.${table.name}`, table.rows?.added]),
        [['public.posts', 1]],
      );
      assert.deepEqual(diff.objects, []);
      assert.deepEqual(
        diff.sequences.map((sequence) => sequence.name),
        ['public.posts_id_seq'],
      );
    } finally {
      rmSync(changedFolder, { recursive: true, force: true });
    }
  });

  it('where postgres may not create databases, one line names the role that can and how to pass it; with it, the set proves', async function () {
    await stack.server.query(source, 'ALTER ROLE postgres NOCREATEDB');
    try {
      const refused = await runCli(['prove', manifest.id, '--db', stack.asPostgres(source), '--dir', folder]);
      assertOneLineError(refused);
      assert.match(
        refused.stderr,
        /^pulse-backup: postgres may not create databases on 127\.0\.0\.1:\d+, and a proof restores the set into new ones it drops afterwards: supabase_admin can: pass --scratch-db postgresql:\/\/supabase_admin@127\.0\.0\.1:\d+\/app \(its password in PGPASSWORD or ~\/\.pgpass\), or ALTER ROLE postgres CREATEDB$/,
      );
      const { code, record, stderr } = await prove(['--scratch-db', stack.server.url(source, 'supabase_admin')]);
      assert.equal(code, 0, `${stderr}\n${JSON.stringify(record?.differences, null, 2)}`);
      assert.equal(record?.server.user, 'supabase_admin');
    } finally {
      await stack.server.query(source, 'ALTER ROLE postgres CREATEDB');
    }
  });
});
