/**
 * The Supabase profile, on Supabase-shaped databases (the project's own
 * test/samples/supabase.sql, and the team's shared fixture when present):
 * what a backup under `auto` holds and leaves out, and the two restores the
 * team needs — after `supabase db reset` (data into the rebuilt schema) and
 * over a broken local database (complete, --clean) — each ending equal to
 * the source in full content. A plain database stays whole under `auto`.
 */
import { strict as assert } from 'node:assert';
import { readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Manifest } from '../../src/core/sets/manifest';
import { SUPABASE_DATA_SCHEMAS, SUPABASE_MIGRATION_HISTORIES } from '../../src/core/backup/profile';
import { assertOneLineError, runCli } from '../support/cli';
import { assertSameContent, diffFingerprints, fingerprintDatabase } from '../support/fingerprint';
import { backupSet, useServer, useTempFolders } from '../support/integration';
import { factorySample, loadSample, sampleCases } from '../samples';

/** Top-level entry headers of a dump file: "Type Schema.Name". */
function entries(file: string): string[] {
  return [...readFileSync(file, 'utf8').matchAll(/^-- (?:Data for )?Name: (.*?); Type: (.*?); Schema: (.*?); Owner:/gm)].map((match) => `${match[2]} ${match[3]}.${match[1]}`);
}

/** Rows of each COPY block: "schema.table" → count. */
function copyRows(file: string): Map<string, number> {
  const rows = new Map<string, number>();
  let current: string | undefined;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (current === undefined) {
      const copy = /^COPY (\S+?)\.(\S+) .* FROM stdin;$/.exec(line);
      if (copy) {
        current = `${copy[1]}.${copy[2]}`.replace(/"/g, '');
        rows.set(current, 0);
      }
    } else if (line === '\\.') current = undefined;
    else rows.set(current, (rows.get(current) ?? 0) + 1);
  }
  return rows;
}

describe('the Supabase profile', function () {
  const server = useServer();
  const newFolder = useTempFolders('pulse-backup-supabase-');

  before(async function () {});

  async function backup(database: string, prefix: string, extra: string[] = []): Promise<{ folder: string; manifest: Manifest }> {
    const folder = newFolder();
    return { folder, manifest: await backupSet(server, database, folder, prefix, extra) };
  }

  for (const sample of sampleCases().filter((candidate) => candidate.supabaseShaped)) {
    describe(`${sample.name}${sample.shared ? ' (shared fixture)' : ''}`, function () {
      const source = `sb_${sample.name}`;
      let folder: string;
      let manifest: Manifest;
      const fileOf = (type: string) => join(folder, manifest.files.find((file) => file.type === type)!.name);

      before(async function () {
        await server.createDatabase(source);
        await loadSample(server, source, sample);
        ({ folder, manifest } = await backup(source, sample.name));
      });

      it('auto chooses the Supabase profile, and the manifest says what it left out and why', function () {
        const profile = manifest.profile;
        assert.ok(profile);
        assert.equal(profile.name, 'supabase');
        assert.equal(profile.chosen, 'auto');
        assert.match(profile.reason, /Supabase platform schemas \(auth, storage\) and role supabase_admin/);
        for (const schema of ['auth', 'storage']) assert.ok(profile.leftOut.schemas.some((entry) => entry.name === schema && /platform/.test(entry.why)));
        const historiesHere = profile.leftOut.tableData.filter((table) => SUPABASE_MIGRATION_HISTORIES.includes(`${table.schema}.${table.name}`));
        assert.ok(historiesHere.length >= 2, JSON.stringify(profile.leftOut.tableData));
        for (const table of historiesHere) assert.match(table.why, /migration history/);
        assert.ok(profile.platformData.includes('auth.users'));
        assert.ok(
          profile.attachedObjects.some((object) => object.startsWith('TRIGGER auth.users ')),
          'the profile trigger on auth.users',
        );
        assert.ok(
          profile.attachedObjects.some((object) => object.startsWith('POLICY storage.objects ')),
          'the policies on storage.objects',
        );
      });

      it('leaves the platform schemas out of the schema file, except the application objects attached to platform tables', function () {
        const platform = new Set((manifest.profile?.leftOut.schemas ?? []).map((schema) => schema.name));
        const allowed = new Set(['TRIGGER', 'POLICY', 'TABLE DATA', 'SEQUENCE SET']);
        for (const type of ['schema', 'complete'] as const) {
          const inPlatform = entries(fileOf(type)).filter((entry) => {
            const match = /^(.+) ([^ .]+)\.(.+)$/.exec(entry);
            if (!match) return false;
            const [, kind, schema, name] = match;
            if (schema === '-') return kind === 'SCHEMA' && platform.has(name);
            return platform.has(schema) && !allowed.has(kind);
          });
          assert.deepEqual(inPlatform, [], `platform objects in the ${type} file`);
        }
        const schemaText = readFileSync(fileOf('schema'), 'utf8');
        assert.doesNotMatch(schemaText, /^CREATE SCHEMA (auth|storage)\b/m);
        assert.doesNotMatch(schemaText, /^CREATE TABLE auth\./m);
        assert.match(schemaText, /^CREATE TRIGGER \S+ AFTER INSERT ON auth\.users\b/m, 'the application trigger on auth.users');
        assert.match(schemaText, /^CREATE POLICY .* ON storage\.objects\b/m, 'the application policies on storage.objects');
        assert.match(schemaText, /^GRANT .* TO authenticated;$/m, 'grants to platform roles on the application tables');
      });

      it('keeps the rows the Supabase CLI keeps (auth, storage, cron jobs, queued messages, hooks) in the data file, and no migration history rows', async function () {
        const rows = copyRows(fileOf('data'));
        const [users] = await server.query<{ count: string }>(source, 'SELECT count(*)::text AS count FROM auth.users');
        assert.equal(rows.get('auth.users'), Number(users.count));
        assert.ok((rows.get('storage.objects') ?? 0) > 0);
        for (const history of SUPABASE_MIGRATION_HISTORIES) assert.equal(rows.get(history), undefined, `${history} rows in the data file`);
        // Every table of those schemas, with exactly its rows.
        const platformTables = await server.query<{ name: string; rows: string }>(
          source,
          `SELECT n.nspname || '.' || c.relname AS name, (xpath('/row/c/text()', query_to_xml(format('SELECT count(*) AS c FROM %I.%I', n.nspname, c.relname), false, true, '')))[1]::text AS rows
             FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind = 'r' AND n.nspname = ANY($1::text[]) AND NOT (n.nspname || '.' || c.relname) = ANY($2::text[])`,
          [SUPABASE_DATA_SCHEMAS, SUPABASE_MIGRATION_HISTORIES],
        );
        for (const table of platformTables) assert.equal(rows.get(table.name) ?? 0, Number(table.rows), `${table.name} rows in the data file`);
        if (sample.name === 'supabase') {
          assert.equal(rows.get('cron.job'), 2, 'the scheduled jobs');
          assert.equal(rows.get('pgmq.q_work_order_events'), 20, 'the queued messages');
          assert.equal(rows.get('supabase_functions.hooks'), 6);
          const data = readFileSync(fileOf('data'), 'utf8');
          assert.match(data, /^SELECT pg_catalog\.setval\('cron\.jobid_seq', 3, true\);$/m, 'the next job id, though no column owns the sequence');
          assert.match(data, /^SELECT pg_catalog\.setval\('pgmq\.q_work_order_events_msg_id_seq', 25, true\);$/m);
          assert.doesNotMatch(data, /^CREATE POLICY cron_job_policy/m);
        }
        assert.deepEqual(copyRows(fileOf('complete')), rows, 'the complete file holds the same rows');
      });

      it('the summary says which profile was used and what it left out, and why', async function () {
        const result = await runCli(['summary', manifest.id, '--dir', folder, '--format', 'md']);
        assert.equal(result.code, 0, result.stderr);
        assert.match(result.stdout, /Profile: \*\*supabase\*\* \(auto: the database has the Supabase platform schemas/);
        assert.match(result.stdout, /\| rows of auth\.schema_migrations \| a migration history: the platform and supabase db reset rebuild it \|/);
        assert.match(result.stdout, /\| schema auth \| managed by the Supabase platform/);
        // The uploads themselves are the Storage API's, not the database's.
        const files = manifest.tables.find((table) => table.schema === 'storage' && table.name === 'objects')?.rows ?? 0;
        if (files > 0) {
          assert.match(result.stdout, new RegExp(`\\| the contents of the ${files} files? storage\\.objects describes \\| Supabase Storage keeps them outside the database`));
        } else {
          assert.doesNotMatch(result.stdout, /storage\.objects describes/);
        }
      });

      it('verifies', async function () {
        const result = await runCli(['verify', manifest.id, '--dir', folder, '--json']);
        assert.equal(result.code, 0, result.stdout + result.stderr);
      });

      it('after a reset (platform and migrations rebuilt, no data), --mode data --clean brings back every row: the database equals the source', async function () {
        const target = `reset_${sample.name}`;
        // A copy, so the migration histories are the source's to the second (the platform rebuilds them).
        await server.createDatabase(target, { template: source });
        // What `supabase db reset` leaves: the schema from migrations, the migration histories, no data.
        await server.query(
          target,
          `DO $$ DECLARE t record; BEGIN
             SET LOCAL session_replication_role = replica;
             FOR t IN SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                       WHERE c.relkind = 'r' AND n.nspname IN ('public', ${SUPABASE_DATA_SCHEMAS.map((name) => `'${name}'`).join(', ')})
                         AND (n.nspname || '.' || c.relname) <> ALL ($1::text[]) LOOP
               EXECUTE format('DELETE FROM %I.%I', t.nspname, t.relname);
             END LOOP; END $$`.replace('$1::text[]', `ARRAY[${SUPABASE_MIGRATION_HISTORIES.map((name) => `'${name}'`).join(', ')}]::text[]`),
        );
        const result = await runCli(['restore', manifest.id, '--mode', 'data', '--clean', '--yes', '--no-safety-backup', '--db', server.url(target), '--dir', folder, '--json']);
        assert.equal(result.code, 0, result.stderr);
        await assertSameContent(server.url(source), server.url(target));
      });

      it('over a changed local database, --mode complete --clean recreates the application and reloads the platform rows: equal to the source', async function () {
        const target = `changed_${sample.name}`;
        await server.createDatabase(target, { template: source });
        await server.query(
          target,
          `SET session_replication_role = replica;
           ${sample.name === 'supabase' ? "DELETE FROM cron.job WHERE jobname = 'purge-sessions'; DELETE FROM pgmq.q_work_order_events WHERE msg_id < 10;" : ''}
           DELETE FROM storage.objects WHERE ctid IN (SELECT ctid FROM storage.objects LIMIT 5);
           UPDATE auth.users SET email = 'changed-' || email;
           INSERT INTO auth.users (id, email) VALUES ('00000000-0000-0000-0000-0000000000ff', 'intruder@test');`,
        );
        const result = await runCli(['restore', manifest.id, '--mode', 'complete', '--clean', '--yes', '--db', server.url(target), '--dir', folder, '--json']);
        assert.equal(result.code, 0, result.stderr);
        await assertSameContent(server.url(source), server.url(target));
      });

      it('a file damaged after its verification, read by psql itself, is caught and rolled back', async function () {
        // No large objects here, so psql reads the complete file itself while the CLI hashes the same file.
        const complete = fileOf('complete');
        const past = new Date(Date.now() - 3600_000);
        for (const file of [...manifest.files.map((entry) => join(folder, entry.name)), join(folder, `${manifest.id}.manifest.json`)]) utimesSync(file, past, past);
        const verify = await runCli(['verify', manifest.id, '--dir', folder]);
        assert.equal(verify.code, 0, verify.stdout);
        const saved = readFileSync(complete);
        const target = `rot_${sample.name}`;
        await server.createDatabase(target, { template: source });
        const before = await fingerprintDatabase(server.url(target));
        try {
          const bytes = Buffer.from(saved);
          const at = bytes.indexOf('@', bytes.indexOf('COPY auth.users ')) - 1;
          assert.ok(at > 0);
          bytes[at] = bytes[at] === 0x78 ? 0x79 : 0x78;
          writeFileSync(complete, bytes);
          utimesSync(complete, past, past);
          const result = await runCli(['restore', manifest.id, '--mode', 'complete', '--clean', '--yes', '--no-safety-backup', '--db', server.url(target), '--dir', folder]);
          assertOneLineError(result);
          assert.match(result.stderr, /changed after it was verified: it no longer matches its recorded sha256/);
          assert.deepEqual(diffFingerprints(before, await fingerprintDatabase(server.url(target))), []);
        } finally {
          writeFileSync(complete, saved);
        }
      });

      it('refuses a target without the platform, in one line, changing nothing', async function () {
        const target = `bare_${sample.name}`;
        await server.createDatabase(target);
        const result = await runCli(['restore', manifest.id, '--mode', 'complete', '--yes', '--no-safety-backup', '--db', server.url(target), '--dir', folder]);
        assertOneLineError(result);
        assert.match(result.stderr, /lacks \d+ of the Supabase platform's tables .*auth\.users/);
        assert.match(result.stderr, /restore into a Supabase database \(supabase start/);
      });

      it('--profile plain backs up everything, platform included', async function () {
        const plain = await backup(source, `${sample.name}_plain`, ['--profile', 'plain']);
        assert.equal(plain.manifest.profile?.name, 'plain');
        assert.match(plain.manifest.profile?.reason ?? '', /asked for/);
        const schemaFile = join(plain.folder, plain.manifest.files.find((file) => file.type === 'schema')!.name);
        assert.match(readFileSync(schemaFile, 'utf8'), /^CREATE TABLE auth\.users /m);
        assert.ok(plain.manifest.tables.some((table) => table.schema === 'auth' && table.name === 'schema_migrations'));
      });
    });
  }

  it('a plain database is backed up whole under auto', async function () {
    const factory = factorySample();
    await server.createDatabase('plain_factory');
    await server.loadSql('plain_factory', factory.file, factory.variables);
    const { manifest } = await backup('plain_factory', 'plain_factory');
    assert.equal(manifest.profile?.name, 'plain');
    assert.match(manifest.profile?.reason ?? '', /^auto: no Supabase platform/);
    assert.deepEqual(manifest.profile?.leftOut, { schemas: [], tableData: [] });
    const [count] = await server.query<{ count: string }>(
      'plain_factory',
      `SELECT count(*)::text AS count FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('r', 'p', 'f') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'`,
    );
    assert.equal(manifest.tables.length, Number(count.count), 'every table is in the set');
  });

  it('--exclude-table-data keeps the definition without the rows, and the set still verifies; --exclude-schema leaves a schema out', async function () {
    const factory = factorySample();
    await server.createDatabase('filtered_factory');
    await server.loadSql('filtered_factory', factory.file, factory.variables);
    const { folder, manifest } = await backup('filtered_factory', 'filtered', ['--exclude-table-data', 'public.activity_log', '--exclude-schema', '"shop floor"']);
    const log = manifest.tables.find((table) => table.schema === 'public' && table.name === 'activity_log');
    assert.ok(log);
    assert.equal(log.rows, null);
    assert.equal(log.dataLeftOut, true);
    assert.ok(!manifest.tables.some((table) => table.schema === 'shop floor'), 'no table of the excluded schema is promised');
    assert.ok(manifest.options.pgDumpArgs.includes('--exclude-table-data=public.activity_log'));
    const verify = await runCli(['verify', manifest.id, '--dir', folder]);
    assert.equal(verify.code, 0, verify.stdout + verify.stderr);
    // --schema patterns that match nothing ("shop floor" exists, but in double quotes the case must match).
    const before = readdirSync(folder).sort();
    const result = await runCli(['backup', '--db', server.url('filtered_factory'), '--dir', folder, '--prefix', 'filtered', '--schema', '"Shop floor"', '--schema', 'nomatch*']);
    assertOneLineError(result);
    assert.equal(
      result.stderr.trim(),
      `pulse-backup: no schema of filtered_factory matches the patterns "Shop floor", nomatch*: check the schema pattern (pg_dump's rules: * and ? are wildcards, letters outside double quotes are folded to lower case); nothing was written; older backups are untouched`,
    );
    assert.deepEqual(readdirSync(folder).sort(), before, 'the folder is as it was');
  });
});
