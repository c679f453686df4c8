/**
 * `pulse-backup prove` on real servers with the real pg_dump and psql: every
 * sample (the project's and, when present, the shared real-world fixtures)
 * restores both ways into scratch databases and reads back equal, while its
 * own database is never written; a set whose restore fails, a data file
 * edited with its checksum updated to match, and a table dropped from the
 * schema file each fail with the exact difference; the scratch databases are
 * gone afterwards, also after a kill -9, and a live proof's are never taken
 * for leftovers; `backup --prove` and retention use the result.
 */
import { strict as assert } from 'node:assert';
import { existsSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tableCountText } from '../../src/core/backup/summary';
import { formatCount } from '../../src/core/format';
import type { Manifest } from '../../src/core/sets/manifest';
import type { ProofRecord } from '../../src/core/prove/record';
import { assertOneLineError, runCli, startCli } from '../support/cli';
import { diffFingerprints, fingerprintDatabase } from '../support/fingerprint';
import { waitFor } from '../support/processes';
import { backupSet, useServer, useTempFolders } from '../support/integration';
import { startServer, type TestServer } from '../support/pgServer';
import { closedPort } from '../support/ports';
import { beforeFooter, editFirstRow, rewriteSetFile, withoutEntries } from '../support/tamper';
import { factorySample, loadSample, sampleCases } from '../samples';

const factory = factorySample();

describe('prove', function () {
  const server = useServer();
  const newFolder = useTempFolders('pulse-backup-prove-');

  async function prove(setId: string, folder: string, database: string, extra: string[] = []): Promise<{ code: number; record?: ProofRecord; stderr: string }> {
    const result = await runCli(['prove', setId, '--db', server.url(database), '--dir', folder, '--json', ...extra]);
    return { code: result.code, stderr: result.stderr, ...(result.stdout ? { record: JSON.parse(result.stdout) as ProofRecord } : {}) };
  }

  /** A stopped run's sessions end as the server notices them gone, their locks with them: until then a proof leaves their databases be. */
  async function stoppedSessionsGone(): Promise<void> {
    const sessions = async () =>
      (
        await server.query<{ n: string }>(
          'postgres',
          "SELECT count(*)::text AS n FROM pg_stat_activity WHERE application_name LIKE 'pulse-backup%' OR datname LIKE 'pulse\\_prove\\_%'",
        )
      )[0].n;
    await waitFor(async () => (await sessions()) === '0', 10_000, "the stopped run's sessions to end");
  }

  async function scratchDatabases(on: TestServer = server): Promise<string[]> {
    const rows = await on.query<{ name: string }>('postgres', "SELECT datname AS name FROM pg_database WHERE datname LIKE 'pulse\\_prove\\_%' ORDER BY 1");
    return rows.map((row) => row.name);
  }

  describe('every sample proves restorable both ways, and its own database is never written', function () {
    for (const sample of sampleCases()) {
      it(`${sample.name}${sample.shared ? ' (shared fixture)' : ''}${sample.supabaseShaped ? ', the Supabase way' : ''}`, async function () {
        const database = `prove_${sample.name}`;
        await server.createDatabase(database);
        await loadSample(server, database, sample);
        const folder = newFolder();
        const manifest = await backupSet(server, database, folder, 'sample');
        assert.ok(manifest.digests, 'the manifest records digests');
        const before = await fingerprintDatabase(server.url(database));

        const { code, record, stderr } = await prove(manifest.id, folder, database);
        assert.equal(code, 0, `${stderr}\n${JSON.stringify(record?.differences, null, 2)}`);
        assert.equal(record?.outcome, 'proved');
        assert.deepEqual(record.differences, []);
        assert.deepEqual(
          record.paths.map((path) => [path.path, path.restored, path.equal, path.schemaEqual]),
          [
            ['complete', true, true, true],
            ['schema-then-data', true, true, true],
          ],
        );
        const rows = manifest.digests.tables.reduce((sum, table) => sum + table.rows, 0);
        assert.deepEqual([record.tables, record.rows], [manifest.digests.tables.length, rows]);
        for (const path of record.paths) assert.deepEqual([path.tables, path.rows], [manifest.digests.tables.length, rows], path.path);
        assert.equal(record.paths[0].tablesReadBack, manifest.digests.tables.length, 'the complete way reads every table back');
        // The backup's own words count the tables as the proof does: a partitioned parent, a foreign table are named apart.
        assert.ok(
          tableCountText(manifest.tables).startsWith(`${formatCount(record.tables)} table${record.tables === 1 ? '' : 's'}`),
          `the backup says ${tableCountText(manifest.tables)}, the proof ${record.tables} tables`,
        );
        assert.ok(
          record.notes.some((note) => note.startsWith('schema then data: ')),
          `a note says how schema then data compared its rows: ${record.notes.join('; ')}`,
        );
        assert.ok(rows > 0, 'the sample has rows to compare');

        assert.deepEqual(diffFingerprints(before, await fingerprintDatabase(server.url(database))), [], 'the backed-up database is unchanged');
        assert.deepEqual(await scratchDatabases(), []);
        const shown = await runCli(['show', manifest.id, '--dir', folder, '--json']);
        assert.equal((JSON.parse(shown.stdout) as { proof: { outcome: string } }).proof.outcome, 'proved');
      });
    }
  });

  it("grants made through another role's grant option (SET SESSION AUTHORIZATION inside their entries) stay in their own file, each with its RESET, and the set proves both ways", async function () {
    // The split took that SET for a switch before the next entry and gave it to both files: the data file then granted a large object's privileges as the wrong role.
    const database = 'prove_grant_chains';
    await server.createDatabase(database);
    await server.query('postgres', `DO $$BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'pulse_chain_lead') THEN CREATE ROLE pulse_chain_lead NOLOGIN; END IF; END$$`);
    await server.query(
      database,
      `CREATE TABLE public.gauges (id int PRIMARY KEY);
       INSERT INTO public.gauges VALUES (1), (2);
       SELECT lo_from_bytea(91001, 'calibration sheet'::bytea);
       GRANT SELECT ON public.gauges TO pulse_chain_lead WITH GRANT OPTION;
       GRANT SELECT ON LARGE OBJECT 91001 TO pulse_chain_lead WITH GRANT OPTION;
       SET ROLE pulse_chain_lead;
       GRANT SELECT ON public.gauges TO PUBLIC;
       GRANT SELECT ON LARGE OBJECT 91001 TO PUBLIC;
       RESET ROLE;`,
    );
    const folder = newFolder();
    const manifest = await backupSet(server, database, folder, 'chains');
    for (const file of manifest.files) {
      const text = readFileSync(join(folder, file.name), 'utf8');
      const count = (pattern: RegExp) => text.match(pattern)?.length ?? 0;
      assert.equal(count(/^SET SESSION AUTHORIZATION /gm), count(/^RESET SESSION AUTHORIZATION;$/gm), `${file.type}: every SET has its RESET`);
      assert.equal(count(/^SET SESSION AUTHORIZATION /gm), file.type === 'complete' ? 2 : 1, file.type);
    }
    const proved = await prove(manifest.id, folder, database);
    assert.equal(proved.code, 0, proved.stderr);
    assert.equal(proved.record?.outcome, 'proved', JSON.stringify(proved.record?.differences));
  });

  it('a set of some schemas (--schema public, as many a Supabase app backs up) proves, and diff reads the database as the set holds it', async function () {
    // pg_dump --schema public writes CREATE SCHEMA public, which every database has already, and leaves large objects out.
    const database = 'prove_some_schemas';
    await server.createDatabase(database);
    await server.query(
      database,
      `CREATE TABLE public.machines (id int PRIMARY KEY, name text NOT NULL);
       INSERT INTO public.machines VALUES (1, 'press'), (2, 'lathe');
       CREATE SCHEMA audit;
       CREATE TABLE audit.events (id int PRIMARY KEY, at timestamptz NOT NULL DEFAULT now());
       INSERT INTO audit.events (id) VALUES (1);
       SELECT lo_from_bytea(0, 'manual'::bytea);`,
    );
    const folder = newFolder();
    const manifest = await backupSet(server, database, folder, 'some', ['--schema', 'public']);
    assert.deepEqual(
      manifest.tables.map((table) => `${table.schema}.${table.name}`),
      ['public.machines'],
    );
    assert.equal(manifest.largeObjects, 0, 'the set holds no large objects');
    const proved = await prove(manifest.id, folder, database);
    assert.equal(proved.code, 0, proved.stderr);
    assert.equal(proved.record?.outcome, 'proved', JSON.stringify(proved.record?.differences));
    assert.ok(
      proved.record?.notes.some((note) => note.startsWith('the set creates schema public itself')),
      JSON.stringify(proved.record?.notes),
    );
    assert.deepEqual(await scratchDatabases(), []);
    const diff = await runCli(['diff', manifest.id, '--db', server.url(database), '--dir', folder]);
    assert.equal(diff.code, 0, diff.stderr);
    assert.match(diff.stdout, new RegExp(`^Since ${manifest.id}, ${database} has not changed: 1 table, the schema and the sequences as the set holds them`));
  });

  describe('a set that does not read back as it was written fails with the exact difference', function () {
    const source = 'prove_tamper';
    let folder: string;
    let manifest: Manifest;

    before(async function () {
      await server.createDatabase(source);
      await server.loadSql(source, factory.file);
    });

    beforeEach(async function () {
      folder = newFolder();
      manifest = await backupSet(server, source, folder, 'tamper');
    });

    it('a data file edited, its checksum updated to match: the row that changed, by its key, in the way that loads that file', async function () {
      rewriteSetFile(folder, manifest, 'data', (text) => editFirstRow(text, 'public.organizations', (fields) => [fields[0], `${fields[1]} (edited)`, ...fields.slice(2)]));
      const verify = await runCli(['verify', manifest.id, '--dir', folder]);
      assert.equal(verify.code, 0, 'the checksums agree: only the content tells');

      const { code, record } = await prove(manifest.id, folder, source);
      assert.equal(code, 1);
      assert.equal(record?.outcome, 'failed');
      assert.deepEqual(
        record.paths.map((path) => [path.path, path.equal]),
        [
          ['complete', true],
          ['schema-then-data', false],
        ],
      );
      assert.deepEqual(
        record.differences.map(({ path, kind, object }) => ({ path, kind, object })),
        [{ path: 'schema-then-data', kind: 'rows', object: 'public.organizations' }],
      );
      assert.match(
        record.differences[0].detail,
        /^1 row changed \(first: id = \d+\); \d+ rows in the set, \d+ restored \(tamper_data_backup_\d+_\d+\.sql no longer holds these rows as the backup recorded them; compared with tamper_complete_backup_\d+_\d+\.sql, which does\)$/,
      );
      assert.match(record.summary, /^NOT proved: schema then data: public\.organizations: 1 row changed/);
      assert.deepEqual(await scratchDatabases(), []);
    });

    it("a large object's content edited in the data file, its checksum updated to match: the large objects, in the way that loads that file", async function () {
      assert.ok((manifest.digests?.largeObjects?.count ?? 0) > 0, 'the sample has large objects');
      rewriteSetFile(folder, manifest, 'data', (text) =>
        text.replace(/^(SELECT pg_catalog\.lowrite\(0, '\\x)([0-9a-f]{2})/m, (_, head: string, first: string) => `${head}${first === '58' ? '59' : '58'}`),
      );
      const { code, record } = await prove(manifest.id, folder, source);
      assert.equal(code, 1);
      assert.deepEqual(
        record?.differences.map(({ path, kind, object }) => [path, kind, object]),
        [['schema-then-data', 'large-objects', 'large objects']],
      );
      assert.match(record.differences[0].detail, /^[\d,]+ as the set holds, but not all with the OIDs and contents its data recorded$/);
      assert.deepEqual(await scratchDatabases(), []);
    });

    it("a large object's grant taken out of the data file, its checksum updated to match: their grants, in the way that loads that file", async function () {
      assert.ok((manifest.digests?.largeObjects?.grants?.count ?? 0) > 0, 'the sample has large objects with grants or comments');
      rewriteSetFile(folder, manifest, 'data', (text) => {
        const changed = text.replace(/^GRANT SELECT ON LARGE OBJECT \d+ TO pulse_sample_reader;\n/m, '');
        assert.notEqual(changed, text, 'the data file grants a large object');
        return changed;
      });
      const { code, record } = await prove(manifest.id, folder, source);
      assert.equal(code, 1);
      assert.deepEqual(
        record?.differences.map(({ path, kind, object }) => [path, kind, object]),
        [['schema-then-data', 'large-objects', 'large objects']],
      );
      const recorded = manifest.digests!.largeObjects!.grants!.count;
      assert.equal(record.differences[0].detail, `their grants or comments are not the ones the backup recorded: ${recorded} with any in the set, ${recorded - 1} restored`);
      assert.deepEqual(await scratchDatabases(), []);
    });

    it('a data file changed after the backup (one letter: its size is the same), its manifest not: the checksum and the row, in the way that loads it', async function () {
      await runCli(['verify', manifest.id, '--dir', folder]);
      const file = join(folder, manifest.files.find((candidate) => candidate.type === 'data')!.name);
      await new Promise((resolve) => setTimeout(resolve, 2100));
      const oneLetter = (name: string) => `${name.startsWith('X') ? 'Y' : 'X'}${name.slice(1)}`;
      writeFileSync(
        file,
        editFirstRow(readFileSync(file, 'utf8'), 'public.organizations', (fields) => [fields[0], oneLetter(fields[1]), ...fields.slice(2)]),
      );
      const { code, record } = await prove(manifest.id, folder, source);
      assert.equal(code, 1);
      assert.deepEqual(
        record?.differences.map(({ path, kind, object }) => [path, kind, object]),
        [
          ['schema-then-data', 'checksum', 'data file'],
          ['schema-then-data', 'rows', 'public.organizations'],
        ],
      );
      assert.match(record.differences[0].detail, /^tamper_data_backup_\d+_\d+\.sql no longer matches the sha256 its manifest recorded: it changed after the backup$/);
    });

    it('a table dropped from the schema file: the load that needs it fails, naming it', async function () {
      rewriteSetFile(folder, manifest, 'schema', (text) => withoutEntries(text, (header) => /\bstock_movements\b/.test(header.name)));
      const { code, record } = await prove(manifest.id, folder, source);
      assert.equal(code, 1);
      const split = record?.differences.filter((difference) => difference.path === 'schema-then-data') ?? [];
      assert.equal(split.length, 1, JSON.stringify(record?.differences));
      assert.equal(split[0].kind, 'restore');
      // A materialized view of the schema file reads the table.
      assert.equal(split[0].object, 'schema file');
      assert.match(
        split[0].detail,
        /^does not restore: relation "public\.stock_movements" does not exist \(line \d+ of tamper_schema_backup_\d+_\d+\.sql\); the file uses an object the set's own files do not create/,
      );
      assert.ok(record?.paths.find((path) => path.path === 'complete')?.equal, 'the complete file still restores equal');
    });

    it('a table dropped from the schema and data files alike: the schema entry and the rows that are missing', async function () {
      // Nothing else in the sample refers to it.
      const customerReturns = (header: { name: string }) => header.name.includes('customer_returns');
      rewriteSetFile(folder, manifest, 'schema', (text) => withoutEntries(text, customerReturns));
      rewriteSetFile(folder, manifest, 'data', (text) => withoutEntries(text, customerReturns));
      const { code, record } = await prove(manifest.id, folder, source);
      assert.equal(code, 1);
      const split = record!.differences.filter((difference) => difference.path === 'schema-then-data');
      assert.deepEqual(
        split.map(({ kind, object, detail }) => [kind, object, kind === 'schema' ? '' : detail]),
        [
          ['missing-table', 'public.customer_returns', 'not there after the restore'],
          ['schema', 'schema', ''],
          ['sequence', 'public.customer_returns_id_seq', 'expected 1 (not yet used), found no such sequence'],
        ],
      );
      assert.match(split[1].detail, /^table public\.customer_returns missing after the restore; /);
      assert.match(split[1].detail, /no longer holds the schema the backup recorded; compared with tamper_complete_backup_\d+_\d+\.sql, which does/);
      assert.deepEqual(
        record!.differences.filter((difference) => difference.path === 'complete'),
        [],
      );
    });

    it('a data file with a statement added that deletes a row, its checksum updated: schema then data reads every table back and finds the row missing', async function () {
      const [first] = await server.query<{ id: number }>(source, 'SELECT min(id) AS id FROM public.organizations');
      rewriteSetFile(folder, manifest, 'data', (text) => beforeFooter(text, `DELETE FROM public.organizations WHERE id = ${first.id};`));
      const { code, record } = await prove(manifest.id, folder, source);
      assert.equal(code, 1);
      assert.deepEqual(
        record?.differences.map(({ path, kind, object }) => [path, kind, object]),
        [['schema-then-data', 'rows', 'public.organizations']],
      );
      assert.match(record.differences[0].detail, new RegExp(`^1 row missing \\(first: id = ${first.id}\\); \\d+ rows in the set, \\d+ restored$`));
      const way = record.paths.find((path) => path.path === 'schema-then-data');
      assert.equal(way?.tablesReadBack, manifest.digests?.tables.length, 'every table was read back');
      assert.ok(
        record.notes.includes(
          `schema then data: every table was read back, as the data file holds a statement a data-only dump does not (DELETE FROM public.organizations WHERE id = ${first.id};)`,
        ),
        record.notes.join('\n'),
      );
    });

    it('a schema file with a row added to a table, its checksum updated: schema then data reads that table back and finds the row', async function () {
      rewriteSetFile(folder, manifest, 'schema', (text) =>
        beforeFooter(text, "INSERT INTO public.organizations OVERRIDING SYSTEM VALUE VALUES (999999, 'Not in the set', 'not-in-the-set', '2020-01-01');"),
      );
      const { code, record } = await prove(manifest.id, folder, source);
      assert.equal(code, 1);
      assert.deepEqual(
        record?.differences.map(({ path, kind, object }) => [path, kind, object]),
        [['schema-then-data', 'rows', 'public.organizations']],
      );
      assert.match(record.differences[0].detail, /^1 row not in the set \(first: id = 999999\); \d+ rows in the set, \d+ restored$/);
      assert.equal(record.paths.find((path) => path.path === 'schema-then-data')?.tablesReadBack, 1, 'only the table that had rows before the data file');
    });

    it('a scratch server without a role the set names: refused in one line before any scratch database, no failed proof recorded; with the role made as the line says, the set proves there', async function () {
      this.timeout(180_000);
      const other = await startServer();
      const lastProof = async () =>
        (JSON.parse((await runCli(['list', '--dir', folder, '--json'])).stdout) as { id: string; proof: unknown }[]).find((set) => set.id === manifest.id)?.proof;
      try {
        const before = await lastProof();
        const refused = await runCli(['prove', manifest.id, '--db', server.url(source), '--dir', folder, '--scratch-db', other.url('postgres')]);
        assertOneLineError(refused);
        assert.match(
          refused.stderr.trim(),
          /^pulse-backup: 127\.0\.0\.1:\d+ has no role pulse_sample_reader, which the set needs, so a proof there could not restore the set, sound or not: prove on a server that has it: pass --scratch-db URL naming one, or create it first \(CREATE ROLE "pulse_sample_reader" NOLOGIN;\)$/,
        );
        assert.deepEqual(await scratchDatabases(other), []);
        assert.deepEqual(await lastProof(), before, 'no proof recorded');

        await other.query('postgres', 'CREATE ROLE pulse_sample_reader NOLOGIN');
        const proved = await prove(manifest.id, folder, source, ['--scratch-db', other.url('postgres')]);
        assert.equal(proved.code, 0, proved.stderr + JSON.stringify(proved.record?.differences));
        assert.equal(proved.record?.server.port, other.port, 'the scratch databases were on the other server');
        assert.deepEqual(await scratchDatabases(other), []);
      } finally {
        await other.stop();
      }
    });
  });

  describe("what schema then data does not take from the complete file's way", function () {
    /** A database of one table with two rows, and what the test adds to it; backed up. */
    async function notesSet(database: string, more: readonly string[]): Promise<{ folder: string; manifest: Manifest }> {
      await server.createDatabase(database);
      for (const sql of ['CREATE TABLE public.notes (id integer PRIMARY KEY, body text NOT NULL)', "INSERT INTO public.notes VALUES (1, 'first'), (2, 'second')", ...more]) {
        await server.query(database, sql);
      }
      const folder = newFolder();
      return { folder, manifest: await backupSet(server, database, folder, 'notes') };
    }

    it('a set with nothing in the way proves schema then data without reading a table back or dumping its schema again', async function () {
      const { folder, manifest } = await notesSet('prove_notes_plain', []);
      const { code, record } = await prove(manifest.id, folder, 'prove_notes_plain');
      assert.equal(code, 0, JSON.stringify(record?.differences));
      assert.deepEqual(
        record?.paths.map((path) => [path.path, path.tables, path.tablesReadBack, path.schemaEqual]),
        [
          ['complete', 1, 1, true],
          ['schema-then-data', 1, 0, true],
        ],
      );
      assert.ok(
        record.notes.some((note) =>
          /^schema then data: 0 of 1 table read back; .*; its schema was not dumped again: the schema file runs the complete file's schema statements/.test(note),
        ),
        record.notes.join('\n'),
      );
    });

    it("a schema file with a grant added, its checksum updated: schema then data dumps its own schema, not the complete file's, and finds the grant", async function () {
      const { folder, manifest } = await notesSet('prove_notes_grant', []);
      rewriteSetFile(folder, manifest, 'schema', (text) => beforeFooter(text, 'GRANT SELECT ON TABLE public.notes TO PUBLIC;'));
      const { code, record } = await prove(manifest.id, folder, 'prove_notes_grant');
      assert.equal(code, 1);
      assert.deepEqual(
        record?.differences.map(({ path, kind, object }) => [path, kind, object]),
        [['schema-then-data', 'schema', 'schema']],
      );
      assert.match(record.differences[0].detail, /^acl public\.TABLE notes not in the set \(notes_schema_backup_\d+_\d+\.sql no longer holds the schema the backup recorded/);
    });

    it('a trigger that fires during a data-only load (ENABLE ALWAYS), rewriting rows: schema then data reads every table back and finds the rows it changed, the complete file proves', async function () {
      const database = 'prove_always_trigger';
      const { folder, manifest } = await notesSet(database, [
        "CREATE FUNCTION public.mark_loaded() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN NEW.body := NEW.body || ' (loaded)'; RETURN NEW; END$$",
        'CREATE TRIGGER notes_mark_loaded BEFORE INSERT ON public.notes FOR EACH ROW EXECUTE FUNCTION public.mark_loaded()',
        'ALTER TABLE public.notes ENABLE ALWAYS TRIGGER notes_mark_loaded',
      ]);
      const { code, record } = await prove(manifest.id, folder, database);
      assert.equal(code, 1);
      assert.deepEqual(
        record?.paths.map((path) => [path.path, path.restored, path.equal]),
        [
          ['complete', true, true],
          ['schema-then-data', true, false],
        ],
      );
      assert.deepEqual(
        record.differences.map(({ path, kind, object, detail }) => [path, kind, object, detail]),
        [['schema-then-data', 'rows', 'public.notes', '2 rows changed (first: id = 1); 2 rows in the set, 2 restored']],
      );
      assert.ok(
        record.notes.includes('schema then data: every table was read back, as trigger notes_mark_loaded on public.notes could change rows while the data file loads'),
        record.notes.join('\n'),
      );
    });
  });

  describe('scratch databases', function () {
    const slow = 'prove_slow';
    const fast = 'prove_fast';
    let slowFolder: string;
    let slowSet: Manifest;
    let fastFolder: string;
    let fastSet: Manifest;

    before(async function () {
      this.timeout(300_000);
      await server.createDatabase(slow);
      await server.loadSql(slow, factory.file, { scale: '30' });
      await server.createDatabase(fast);
      await server.loadSql(fast, factory.file);
      slowFolder = newFolder();
      slowSet = await backupSet(server, slow, slowFolder, 'slow');
      fastFolder = newFolder();
      fastSet = await backupSet(server, fast, fastFolder, 'fast');
    });

    it('kill -9 in the middle of a proof leaves its scratch databases, and the next proof on the server drops them', async function () {
      const { subprocess } = await startCli(['prove', slowSet.id, '--db', server.url(slow), '--dir', slowFolder]);
      await waitFor(async () => (await scratchDatabases()).length === 2, 60_000, 'the proof to create its scratch databases');
      subprocess.kill('SIGKILL');
      await subprocess;
      const left = await scratchDatabases();
      assert.equal(left.length, 2, 'a killed proof cannot drop what it made');

      await stoppedSessionsGone();
      const next = await runCli(['prove', fastSet.id, '--db', server.url(fast), '--dir', fastFolder]);
      assert.equal(next.code, 0, next.stderr);
      assert.deepEqual(await scratchDatabases(), []);
      assert.match(readFileSync(join(fastFolder, `${fastSet.id}.history.json`), 'utf8'), /"outcome": "proved"/);
    });

    it("a subscriber's set (a subscription restored disabled, with its slot's name): the proof drops its scratch databases without reaching the publisher, and says so truly", async function () {
      this.timeout(120_000);
      const subscriber = 'prove_subscriber';
      await server.createDatabase(subscriber, { template: fast });
      // As pg_dump writes it back: no connection made now; the slot is the one the real subscriber uses at the publisher (here a port nothing answers on).
      await server.query(
        subscriber,
        "CREATE SUBSCRIPTION orders_feed CONNECTION 'host=127.0.0.1 port=1 dbname=upstream connect_timeout=2' PUBLICATION orders WITH (connect = false, slot_name = 'orders_feed_slot')",
      );
      try {
        const folder = newFolder();
        const set = await backupSet(server, subscriber, folder, 'subscriber');
        const result = await runCli(['prove', set.id, '--db', server.url(subscriber), '--dir', folder]);
        assert.equal(result.code, 0, result.stderr + result.stdout);
        assert.match(result.stdout, /^Proved restorable/);
        assert.doesNotMatch(result.stdout, /could not drop/);
        assert.match(result.stdout, /, dropped again\.$/m);
        assert.deepEqual(await scratchDatabases(), []);
      } finally {
        await server.query(subscriber, 'ALTER SUBSCRIPTION orders_feed SET (slot_name = NONE)');
        await server.query(subscriber, 'DROP SUBSCRIPTION orders_feed');
        await server.dropDatabase(subscriber);
      }
    });

    it('Ctrl-C in the middle of a proof drops its scratch databases and says so in one line', async function () {
      const { subprocess } = await startCli(['prove', slowSet.id, '--db', server.url(slow), '--dir', slowFolder]);
      await waitFor(async () => (await scratchDatabases()).length === 2, 60_000, 'the proof to create its scratch databases');
      subprocess.kill('SIGINT');
      const result = await subprocess;
      assertOneLineError({ code: result.exitCode ?? -1, stdout: String(result.stdout), stderr: String(result.stderr), durationMs: 0 }, 130);
      assert.match(String(result.stderr), /^pulse-backup: proof cancelled: its scratch databases were dropped; the set and the database are as they were$/);
      assert.deepEqual(await scratchDatabases(), []);
      const history = join(slowFolder, `${slowSet.id}.history.json`);
      const proofs = existsSync(history) ? ((JSON.parse(readFileSync(history, 'utf8')) as { proofs?: unknown[] }).proofs ?? []) : [];
      assert.equal(proofs.length, 0, 'a cancelled proof is no proof');
    });

    it('a second Ctrl-C stops the proof at once, says its scratch databases may be left, and the next proof drops them', async function () {
      const { subprocess } = await startCli(['prove', slowSet.id, '--db', server.url(slow), '--dir', slowFolder]);
      await waitFor(async () => (await scratchDatabases()).length === 2, 60_000, 'the proof to create its scratch databases');
      subprocess.kill('SIGINT');
      // Apart, or the two arrive as one; well before dropping two databases is done.
      await new Promise((resolve) => setTimeout(resolve, 10));
      subprocess.kill('SIGINT');
      const result = await subprocess;
      assert.equal(result.exitCode, 130, String(result.stderr));
      assert.equal(
        String(result.stderr).trim().split('\n').at(-1),
        'pulse-backup: prove stopped at once: it stopped its tools; scratch databases it made (pulse_prove_…) may be left on the server: the next proof drops them; any hidden partial files it left are removed by the next backup, restore or prune in that folder',
      );
      await stoppedSessionsGone();
      const next = await runCli(['prove', fastSet.id, '--db', server.url(fast), '--dir', fastFolder]);
      assert.equal(next.code, 0, next.stderr);
      assert.deepEqual(await scratchDatabases(), [], 'the next proof dropped what was left');
    });

    it('a proof running on the same server at the same time keeps its scratch databases, and both prove', async function () {
      const { subprocess } = await startCli(['prove', slowSet.id, '--db', server.url(slow), '--dir', slowFolder, '--json']);
      await waitFor(async () => (await scratchDatabases()).length === 2, 60_000, 'the slow proof to create its scratch databases');
      const other = await runCli(['prove', fastSet.id, '--db', server.url(fast), '--dir', fastFolder]);
      assert.equal(other.code, 0, other.stderr);
      const slowResult = await subprocess;
      assert.equal(slowResult.exitCode, 0, String(slowResult.stderr));
      assert.equal((JSON.parse(String(slowResult.stdout)) as ProofRecord).outcome, 'proved');
      assert.deepEqual(await scratchDatabases(), []);
    });

    it('a scratch server that is down or refuses the password: the advice names --scratch-db, not --db', async function () {
      const down = `postgresql://postgres@127.0.0.1:${await closedPort()}/postgres`;
      const wrong = new URL(server.url('postgres'));
      wrong.password = 'Wrong-Pass-123';
      const cases: [string, RegExp][] = [
        [down, /connection refused: start the database \(supabase start, or your PostgreSQL service\), or pass --scratch-db URL if it runs elsewhere$/m],
        [wrong.href, /rejected the password for user "postgres": check the password in the --scratch-db URL/],
      ];
      for (const [scratch, expected] of cases) {
        const result = await runCli(['prove', fastSet.id, '--db', server.url(fast), '--dir', fastFolder, '--scratch-db', scratch]);
        assertOneLineError(result);
        assert.match(result.stderr, expected);
        assert.doesNotMatch(result.stderr, /--db|PULSE_BACKUP_DB_URL|Wrong-Pass-123/);
      }
      assert.deepEqual(await scratchDatabases(), []);
    });

    it('a role that may not create databases gets one line saying which role can, and how to pass it', async function () {
      await server.query(fast, "CREATE ROLE pulse_prove_nobody LOGIN PASSWORD 'nobody'; GRANT SELECT ON ALL TABLES IN SCHEMA public TO pulse_prove_nobody");
      try {
        const url = new URL(server.url(fast));
        url.username = 'pulse_prove_nobody';
        url.password = '';
        const result = await runCli(['prove', fastSet.id, '--db', url.href, '--dir', fastFolder], { env: { PGPASSWORD: 'nobody' } });
        assertOneLineError(result);
        assert.match(
          result.stderr,
          /^pulse-backup: pulse_prove_nobody may not create databases on 127\.0\.0\.1:\d+, and a proof restores the set into new ones it drops afterwards: postgres can: pass --scratch-db postgresql:\/\/postgres@127\.0\.0\.1:\d+\/prove_fast/,
        );
      } finally {
        await server.query(fast, 'REVOKE ALL ON ALL TABLES IN SCHEMA public FROM pulse_prove_nobody; DROP ROLE pulse_prove_nobody');
      }
    });
  });

  describe('backup --prove and retention', function () {
    const source = 'prove_backup';

    before(async function () {
      await server.createDatabase(source);
      await server.loadSql(source, factory.file);
    });

    it('proves the new set, lists it as proved, and the report shows the proof', async function () {
      const folder = newFolder();
      const result = await runCli(['backup', '--db', server.url(source), '--dir', folder, '--prefix', 'bp', '--prove']);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /^Proved restorable: \d+ tables, [\d,]+ rows and the schema equal, by the complete file and by schema then data$/m);
      const list = await runCli(['list', '--dir', folder]);
      assert.match(list.stdout, /ok, proved/);
      const [set] = JSON.parse((await runCli(['list', '--dir', folder, '--json'])).stdout) as {
        id: string;
        proof: { outcome: string; current: boolean };
        files: { type: string; name: string }[];
      }[];
      assert.deepEqual([set.proof.outcome, set.proof.current], ['proved', true]);
      const summary = await runCli(['summary', set.id, '--dir', folder]);
      assert.match(summary.stdout, /### Proved restorable\n\n\*\*proved restorable\*\*/);

      // A set changed or damaged after its proof is not listed as proved, as if the proof were of what is there now.
      const data = set.files.find((file) => file.type === 'data');
      assert.ok(data);
      const later = new Date(Date.now() + 5000);
      utimesSync(join(folder, data.name), later, later);
      const changed = await runCli(['list', '--dir', folder]);
      assert.match(changed.stdout, new RegExp(`${set.id} .* ok, proved earlier$`, 'm'));
      const shown = await runCli(['show', set.id, '--dir', folder]);
      assert.match(shown.stdout, /^ {2}proof {5}.*proved restorable.* \(a file of the set changed or went since: it no longer speaks for them\)$/m);
      const [listed] = JSON.parse((await runCli(['list', '--dir', folder, '--json'])).stdout) as { proof: { outcome: string; current: boolean } }[];
      assert.deepEqual([listed.proof.outcome, listed.proof.current], ['proved', false]);
      rmSync(join(folder, data.name));
      const damaged = await runCli(['list', '--dir', folder]);
      assert.match(damaged.stdout, new RegExp(`${set.id} .* INCOMPLETE, proved earlier: ${data.name} is missing$`, 'm'));
    });

    it('a set that fails its proof is kept, but retention does not count it as the newest good set', async function () {
      const folder = newFolder();
      const older = await backupSet(server, source, folder, 'ret');
      await new Promise((resolve) => setTimeout(resolve, 1100));
      const newer = await backupSet(server, source, folder, 'ret');
      rewriteSetFile(folder, newer, 'data', (text) => editFirstRow(text, 'public.organizations', (fields) => [fields[0], 'Changed', ...fields.slice(2)]));
      assert.equal((await prove(newer.id, folder, source)).code, 1);

      const prune = await runCli(['prune', '--dir', folder, '--prefix', 'ret', '--keep', '1', '--json']);
      assert.equal(prune.code, 0, prune.stderr);
      const result = JSON.parse(prune.stdout) as { removed: string[]; kept: string[]; protected: { id: string; reason: string }[]; newestGood: { id: string } };
      assert.deepEqual(result.removed, []);
      assert.deepEqual(result.kept, [newer.id]);
      assert.deepEqual(
        result.protected.map((set) => [set.id, set.reason]),
        [[older.id, 'newest-good']],
      );
      assert.equal(result.newestGood.id, older.id);
      assert.match((await runCli(['list', '--dir', folder])).stdout, new RegExp(`${newer.id} .*ok, PROOF FAILED`));
    });
  });
});
