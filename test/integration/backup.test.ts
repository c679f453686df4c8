/**
 * A backup set must be complete, consistent and restorable with plain psql.
 * Every sample database is backed up with the real CLI, each file restored
 * with plain psql the way the team's old instructions say, and the restored
 * databases compared with the source in full content.
 */
import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import type { Manifest } from '../../src/core/sets/manifest';
import { assertSameContent } from '../support/fingerprint';
import { backupSet, useServer, useTempFolders } from '../support/integration';
import { runCli } from '../support/cli';
import { factorySample, loadSample, plainFor, sampleCases } from '../samples';
import { loadExeca } from '../support/execa';

function sha256(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

describe('backup sets restore with plain psql and equal the source', function () {
  const server = useServer();
  const newFolder = useTempFolders('pulse-backup-test-');

  before(async function () {});

  for (const sample of sampleCases()) {
    describe(`${sample.name}${sample.shared ? ' (shared fixture)' : ''}`, function () {
      const source = `source_${sample.name}`;
      let folder: string;
      let manifest: Manifest;
      const fileOf = (type: 'schema' | 'data' | 'complete') => join(folder, manifest.files.find((file) => file.type === type)!.name);

      before(async function () {
        await server.createDatabase(source);
        await loadSample(server, source, sample);
        folder = join(newFolder(), 'backups');
        manifest = await backupSet(server, source, folder, sample.name, plainFor(sample));
      });

      it("writes the three files under the old script's names, and the manifest", function () {
        const ts = manifest.timestamp;
        assert.match(ts, /^\d{8}_\d{6}$/);
        assert.equal(manifest.id, `${sample.name}_${ts}`);
        assert.deepEqual(readdirSync(folder).sort(), [
          // What retention kept, for the next run to tell a routine removal from a new one.
          '.pulse-backup.retention.json',
          `${sample.name}_${ts}.manifest.json`,
          `${sample.name}_complete_backup_${ts}.sql`,
          `${sample.name}_data_backup_${ts}.sql`,
          `${sample.name}_schema_backup_${ts}.sql`,
        ]);
      });

      it('the complete file restores into an empty database and equals the source', async function () {
        const target = `complete_${sample.name}`;
        await server.createDatabase(target);
        await server.loadSql(target, fileOf('complete'));
        await assertSameContent(server.url(source), server.url(target));
      });

      it('the schema file, then the data file, restore into an empty database and equal the source', async function () {
        const target = `split_${sample.name}`;
        await server.createDatabase(target);
        await server.loadSql(target, fileOf('schema'));
        await server.loadSql(target, fileOf('data'));
        await assertSameContent(server.url(source), server.url(target));
      });

      it("records each file's size and sha256, and keeps the files private (0600)", function () {
        for (const file of manifest.files) {
          const path = join(folder, file.name);
          assert.equal(statSync(path).size, file.bytes, file.name);
          assert.equal(sha256(path), file.sha256, file.name);
          assert.equal(statSync(path).mode & 0o777, 0o600, file.name);
        }
        assert.equal(statSync(join(folder, `${manifest.id}.manifest.json`)).mode & 0o777, 0o600);
        assert.equal(statSync(folder).mode & 0o777, 0o700, 'the new backups folder is private');
      });

      it('records every table with its exact row count at the snapshot', async function () {
        const tables = await server.query<{ schema: string; name: string }>(
          source,
          `SELECT n.nspname AS schema, c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%'`,
        );
        const recorded = new Map(manifest.tables.map((table) => [`${table.schema}.${table.name}`, table]));
        for (const table of tables) {
          const entry = recorded.get(`${table.schema}.${table.name}`);
          assert.ok(entry, `${table.schema}.${table.name} is missing from the manifest`);
          const [{ count }] = await server.query<{ count: string }>(
            source,
            // ONLY: an inheritance parent's own rows; its children's are theirs.
            `SELECT count(*)::text AS count FROM ONLY ${quoteIdent(table.schema)}.${quoteIdent(table.name)}`,
          );
          assert.equal(entry.rows, Number(count), `${table.schema}.${table.name}`);
          assert.ok(entry.bytes > 0, `${table.schema}.${table.name} has a size`);
        }
        assert.equal(manifest.database.name, source);
        assert.equal(manifest.database.user, 'postgres');
        assert.match(manifest.server.version, /^15\./);
        assert.match(manifest.tools.pgDump.version, /^15\./);
      });

      it('the schema file holds exactly what pg_dump --schema-only writes', async function () {
        const execa = await loadExeca();
        const own = await execa(manifest.tools.pgDump.path, ['--schema-only', '--no-password'], {
          env: { ...process.env, PGHOST: server.host, PGPORT: String(server.port), PGUSER: server.user, PGPASSWORD: server.password, PGDATABASE: source },
          stripFinalNewline: false,
        });
        const normalise = (text: string) =>
          text
            .split('\n')
            .filter((line) => !/^\\(un)?restrict /.test(line) && !line.startsWith('-- Pulse Backup:'))
            .join('\n')
            .replace(/\n{3,}/g, '\n\n');
        assert.equal(normalise(readFileSync(fileOf('schema'), 'utf8')), normalise(own.stdout));
      });

      it('never writes the password into the manifest or the files', function () {
        for (const name of readdirSync(folder)) {
          assert.ok(!readFileSync(join(folder, name), 'utf8').includes(server.password), `${name} contains the password`);
        }
      });
    });
  }

  describe('consistency', function () {
    it('all three files come from one snapshot while the database is being written to', async function () {
      const source = 'busy';
      const sample = factorySample();
      await server.createDatabase(source);
      await server.loadSql(source, sample.file, { scale: '20' });
      const folder = newFolder();

      // A writer that changes users, messages (whose trigger rewrites users)
      // and a sequence, committing many small transactions during the dump.
      const writer = new Client({ connectionString: server.url(source) });
      await writer.connect();
      let writing = true;
      let commits = 0;
      const writing$ = (async () => {
        while (writing) {
          await writer.query(`BEGIN`);
          await writer.query(`UPDATE users SET full_name = full_name || '.' WHERE id = (SELECT min(id) FROM users)`);
          await writer.query(`INSERT INTO messages (sender_id, body, sent_at) SELECT id, 'during backup', now() FROM users ORDER BY id LIMIT 1`);
          await writer.query(`COMMIT`);
          commits += 1;
        }
      })();
      try {
        const manifest = await backupSet(server, source, folder, 'busy');
        writing = false;
        await writing$;
        assert.ok(commits > 0, 'the writer committed while the backup ran');

        await server.createDatabase('busy_complete');
        await server.loadSql('busy_complete', join(folder, manifest.files.find((file) => file.type === 'complete')!.name));
        await server.createDatabase('busy_split');
        await server.loadSql('busy_split', join(folder, manifest.files.find((file) => file.type === 'schema')!.name));
        await server.loadSql('busy_split', join(folder, manifest.files.find((file) => file.type === 'data')!.name));
        await assertSameContent(server.url('busy_complete'), server.url('busy_split'));

        const [{ count }] = await server.query<{ count: string }>('busy_complete', 'SELECT count(*)::text AS count FROM messages');
        assert.equal(manifest.tables.find((table) => table.name === 'messages')?.rows, Number(count));
      } finally {
        writing = false;
        await writing$.catch(() => undefined);
        await writer.end();
      }
    });
  });

  describe('sizes on disk', function () {
    /** A table with an index, one with TOAST, a partitioned one: autovacuum off, and vacuumed, so nothing changes a file's size between the backup and the check. */
    async function createSizedTables(source: string): Promise<void> {
      await server.createDatabase(source);
      await server.query(
        source,
        `CREATE TABLE plain (id integer PRIMARY KEY, note text) WITH (autovacuum_enabled = off);
         CREATE TABLE wide (id integer PRIMARY KEY, body text) WITH (autovacuum_enabled = off, toast.autovacuum_enabled = off);
         CREATE TABLE parent (id integer, at date) PARTITION BY RANGE (at);
         CREATE TABLE parent_2025 PARTITION OF parent FOR VALUES FROM ('2025-01-01') TO ('2026-01-01') WITH (autovacuum_enabled = off);
         INSERT INTO plain SELECT g, 'note ' || g FROM generate_series(1, 2000) g;
         INSERT INTO wide SELECT g, string_agg(md5(g::text || h::text), '') FROM generate_series(1, 20) g, generate_series(1, 400) h GROUP BY g;
         INSERT INTO parent SELECT g, date '2025-01-01' + g FROM generate_series(1, 300) g;`,
      );
      await server.query(source, 'VACUUM ANALYZE');
    }

    it("records each table's size as pg_total_relation_size and the database's as pg_database_size", async function () {
      const source = 'sizes_source';
      await createSizedTables(source);
      const manifest = await backupSet(server, source, join(newFolder(), 'backups'), 'sizes');
      const sizes = await server.query<{ name: string; bytes: string }>(
        source,
        `SELECT c.relname AS name, pg_total_relation_size(c.oid)::text AS bytes FROM pg_class c
          WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p') ORDER BY 1`,
      );
      assert.deepEqual(
        manifest.tables.map((table) => ({ name: table.name, bytes: table.bytes })).sort((a, b) => a.name.localeCompare(b.name)),
        sizes.map((row) => ({ name: row.name, bytes: Number(row.bytes) })),
      );
      assert.ok(manifest.tables.find((table) => table.name === 'wide')!.bytes > 200_000, 'the TOAST table counts');
      const [database] = await server.query<{ bytes: string }>(source, 'SELECT pg_database_size(current_database())::text AS bytes');
      assert.equal(manifest.database.sizeBytes, Number(database.bytes));
      assert.equal(manifest.sizes, undefined, 'a small database gets exact sizes');
    });

    it("above the threshold records the catalog's estimates, says so, and reads a table never analyzed from its files", async function () {
      const source = 'estimated_sizes_source';
      await createSizedTables(source);
      // Created after the VACUUM: the catalog has no statistics of it (reltuples -1), whatever its rows.
      await server.query(source, `CREATE TABLE fresh (id integer PRIMARY KEY) WITH (autovacuum_enabled = off); INSERT INTO fresh SELECT generate_series(1, 5000);`);
      const folder = join(newFolder(), 'backups');
      const manifest = await backupSet(server, source, folder, 'estimated', [], { env: { ...process.env, PULSE_BACKUP_EXACT_SIZES_UP_TO: '2' } });
      assert.equal(manifest.sizes, 'estimated');
      const exact = new Map(
        (
          await server.query<{ name: string; bytes: string }>(
            source,
            `SELECT c.relname AS name, pg_total_relation_size(c.oid)::text AS bytes FROM pg_class c
              WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p')`,
          )
        ).map((row) => [row.name, Number(row.bytes)]),
      );
      const recorded = new Map(manifest.tables.map((table) => [table.name, table.bytes]));
      assert.deepEqual([...recorded.keys()].sort(), [...exact.keys()].sort());
      // Vacuumed: the catalog counts the pages of the table, its TOAST table
      // and their indexes (an index VACUUM had nothing to clean in may keep an
      // older count); the free space and visibility maps are left out.
      const mainForks = new Map(
        (
          await server.query<{ name: string; bytes: string }>(
            source,
            `SELECT c.relname AS name,
                    (pg_relation_size(c.oid) + COALESCE(pg_relation_size(NULLIF(c.reltoastrelid, 0)), 0)
                     + (SELECT COALESCE(sum(pg_relation_size(i.indexrelid)), 0) FROM pg_index i WHERE i.indrelid IN (c.oid, c.reltoastrelid)))::text AS bytes
               FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace AND c.relname IN ('plain', 'wide', 'parent_2025')`,
          )
        ).map((row) => [row.name, Number(row.bytes)]),
      );
      for (const [name, bytes] of mainForks) {
        const estimate = recorded.get(name)!;
        assert.ok(estimate <= bytes && estimate >= bytes * 0.9, `${name}: ${estimate} against ${bytes} in the main forks`);
      }
      assert.ok(recorded.get('wide')! > 200_000, 'the TOAST table counts');
      assert.equal(recorded.get('parent'), 0, 'a partitioned table has no storage of its own');
      assert.equal(recorded.get('fresh'), exact.get('fresh'), 'a table never analyzed is read from its files');
      const [database] = await server.query<{ bytes: string }>(source, 'SELECT pg_database_size(current_database())::text AS bytes');
      const databaseBytes = Number(database.bytes);
      assert.ok(
        manifest.database.sizeBytes <= databaseBytes && manifest.database.sizeBytes >= databaseBytes * 0.5,
        `database: ${manifest.database.sizeBytes} against ${databaseBytes} on disk`,
      );

      // What the user reads says the sizes are estimates.
      const shown = await runCli(['show', manifest.id, '--dir', folder]);
      assert.equal(shown.code, 0, shown.stderr);
      assert.match(shown.stdout, /sizes estimated from the catalog/);
      assert.match(shown.stdout, /public\.plain +2,000 rows +≈ \d/);
      const summary = await runCli(['summary', manifest.id, '--dir', folder]);
      assert.equal(summary.code, 0, summary.stderr);
      assert.match(summary.stdout, /sizes \(≈\) are the catalog's estimates/);
      assert.match(summary.stdout, /Size at backup time \| ≈ \d/);
    });
  });
});
