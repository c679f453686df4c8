/**
 * pg_dump heads each entry with a comment line, `-- Name: N; Type: T;
 * Schema: S; Owner: O`, and the splitter sends each entry to the schema or
 * the data file by its type. Three things a database nobody here wrote can
 * put into those lines broke sets:
 *
 * - a table in a tablespace of its own: pg_dump adds `; Tablespace: fast`,
 *   which was read as part of the owner's name, so every restore was refused
 *   for a missing role "postgres; Tablespace: fast";
 * - a table named with a header's words (`t; Type: SEQUENCE; …`): its rows'
 *   entry was read as a SEQUENCE entry, the COPY statement went into the
 *   schema file and its rows into the data file, and the backup said "0
 *   tables" and succeeded;
 * - a name with a line break: pg_dump writes the COPY statement over two
 *   lines, and the backup failed with "pg_dump stopped before the end"; a
 *   header writes the break as a space, so the table (and a role named so,
 *   its owner) was then looked for under another name.
 */
import { strict as assert } from 'node:assert';
import { chownSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../support/cli';
import { assertSameContent } from '../support/fingerprint';
import { backupSet, restoreArgs, useServer, useTempFolders } from '../support/integration';
import { serverProcessOwner } from '../support/pgServer';
import type { Manifest } from '../../src/core/sets/manifest';

const WORDS = 't; Type: SEQUENCE; Schema: public; Owner: x';

describe("names and places pg_dump writes into its entries' headers", function () {
  const server = useServer();
  const newFolder = useTempFolders('pulse-backup-headers-');
  let tablespaceFolder: string;
  let folder: string;
  let manifest: Manifest;

  before(async function () {
    tablespaceFolder = mkdtempSync(join(tmpdir(), 'pulse-backup-tablespace-'));
    const owner = serverProcessOwner();
    if (owner) chownSync(tablespaceFolder, owner.uid, owner.gid);
    await server.query('postgres', `CREATE TABLESPACE fast LOCATION '${tablespaceFolder}'`);
    await server.createDatabase('headers_source');
    await server.query(
      'headers_source',
      `CREATE TABLE public.readings (id int PRIMARY KEY USING INDEX TABLESPACE fast, value numeric NOT NULL) TABLESPACE fast;
       INSERT INTO public.readings SELECT g, g * 1.5 FROM generate_series(1, 30) g;
       CREATE TABLE public."${WORDS}" (id int PRIMARY KEY, v text);
       INSERT INTO public."${WORDS}" VALUES (1, 'one'), (2, 'two');
       CREATE TABLE public."line\nbreak" ("a\nb" int PRIMARY KEY, c text);
       INSERT INTO public."line\nbreak" VALUES (1, E'first\\nline'), (2, 'second');
       CREATE VIEW public.broken_view AS SELECT "a\nb" AS a FROM public."line\nbreak";
       CREATE ROLE "shift\nlead" NOLOGIN;
       ALTER TABLE public."line\nbreak" OWNER TO "shift\nlead";`,
    );
    folder = newFolder();
    manifest = await backupSet(server, 'headers_source', folder, 'headers');
  });

  // The suite's server, and the tablespace with it, is thrown away after the suite.
  after(function () {
    rmSync(tablespaceFolder, { recursive: true, force: true });
  });

  it('backs up every table with its rows, each file holding what it should', function () {
    assert.deepEqual(
      manifest.tables.map((table) => [table.name, table.rows]).sort(),
      [
        [WORDS, 2],
        ['line\nbreak', 2],
        ['readings', 30],
      ].sort(),
    );
    const schema = readFileSync(join(folder, manifest.files.find((file) => file.type === 'schema')!.name), 'utf8');
    const data = readFileSync(join(folder, manifest.files.find((file) => file.type === 'data')!.name), 'utf8');
    assert.doesNotMatch(schema, /^COPY /m, 'no COPY statement in the schema file');
    assert.match(data, /^COPY public\."line\nbreak" \("a\nb", c\) FROM stdin;\n1\tfirst\\nline\n/m);
    assert.match(data, /^COPY public\."t; Type: SEQUENCE; Schema: public; Owner: x" \(id, v\) FROM stdin;\n1\tone\n/m);
  });

  it('verifies, restores complete, schema then data, and equals the source in full content', async function () {
    const verified = await runCli(['verify', manifest.id, '--dir', folder, '--db', server.url('headers_source')]);
    assert.equal(verified.code, 0, verified.stdout + verified.stderr);

    await server.createDatabase('headers_complete');
    const complete = await runCli(restoreArgs(manifest.id, 'complete', server.url('headers_complete'), folder, ['--no-safety-backup']));
    assert.equal(complete.code, 0, complete.stderr);
    await assertSameContent(server.url('headers_source'), server.url('headers_complete'));
    const placed = await server.query<{ tablespace: string }>(
      'headers_complete',
      "SELECT t.spcname AS tablespace FROM pg_class c JOIN pg_tablespace t ON t.oid = c.reltablespace WHERE c.relname = 'readings'",
    );
    assert.deepEqual(placed, [{ tablespace: 'fast' }]);

    await server.createDatabase('headers_schema');
    for (const mode of ['schema', 'data'] as const) {
      const restored = await runCli(restoreArgs(manifest.id, mode, server.url('headers_schema'), folder, ['--no-safety-backup']));
      assert.equal(restored.code, 0, `${mode}: ${restored.stderr}`);
    }
    await assertSameContent(server.url('headers_source'), server.url('headers_schema'));
    const again = await runCli(restoreArgs(manifest.id, 'data', server.url('headers_schema'), folder, ['--clean', '--no-safety-backup']));
    assert.equal(again.code, 0, again.stderr);
    await assertSameContent(server.url('headers_source'), server.url('headers_schema'));
  });

  it('proves the set, and diff finds the source unchanged', async function () {
    const proved = await runCli(['prove', manifest.id, '--dir', folder, '--db', server.url('headers_source')]);
    assert.equal(proved.code, 0, proved.stdout + proved.stderr);
    const diff = await runCli(['diff', manifest.id, '--dir', folder, '--db', server.url('headers_source')]);
    assert.equal(diff.code, 0, diff.stderr);
    assert.match(diff.stdout, /has not changed: 3 tables/);
  });
});

/**
 * A header writes a line break in a name as a space, and what matched a
 * header's name with the catalog's took them for two objects: a complete
 * restore with --clean of a set with schema "plant<LF>floor" failed with
 * "schema … already exists" (its CREATE SCHEMA was not made IF NOT
 * EXISTS); diff said a sequence named so had gone ("no such sequence
 * now") right after an exact restore; and backup --jobs failed on a big
 * table named so ("holds no rows entry for the table").
 */
describe('a line break in the name of a schema, a sequence and a big table', function () {
  const server = useServer();
  const newFolder = useTempFolders('pulse-backup-header-breaks-');

  it('backs up with jobs, restores complete with --clean over itself, and diff and a proof find it unchanged', async function () {
    await server.createDatabase('breaks_source');
    await server.query(
      'breaks_source',
      `CREATE SCHEMA "plant\nfloor";
       CREATE SEQUENCE "plant\nfloor"."batch\nno";
       SELECT nextval('"plant\nfloor"."batch\nno"') FROM generate_series(1, 3);
       CREATE OPERATOR CLASS "plant\nfloor".press_ops FOR TYPE int4 USING hash AS OPERATOR 1 =, FUNCTION 1 hashint4(int4);
       CREATE TABLE "plant\nfloor".presses (id int PRIMARY KEY, name text);
       INSERT INTO "plant\nfloor".presses VALUES (1, 'press one');
       CREATE TABLE public."big\nlog" AS SELECT n AS id, repeat(md5(n::text), 8) AS note FROM generate_series(1, 150000) AS n;
       ANALYZE public."big\nlog";`,
    );
    const folder = newFolder();
    const manifest = await backupSet(server, 'breaks_source', folder, 'breaks', ['--jobs', '2']);
    assert.deepEqual([manifest.options.jobs, manifest.options.parallelTables], [2, 1], 'the big table dumped by a job of its own');

    await server.createDatabase('breaks_target');
    for (const extra of [[], ['--clean']]) {
      const restored = await runCli(restoreArgs(manifest.id, 'complete', server.url('breaks_target'), folder, ['--no-safety-backup', ...extra]));
      assert.equal(restored.code, 0, `${extra.join(' ')}: ${restored.stderr}`);
      await assertSameContent(server.url('breaks_source'), server.url('breaks_target'));
    }
    // The plan counts each table's rows now and in the backup, the one named with a line break too.
    const data = await runCli(restoreArgs(manifest.id, 'data', server.url('breaks_target'), folder, ['--no-safety-backup', '--clean']));
    assert.equal(data.code, 0, data.stderr);
    assert.ok(data.stdout.includes('table public.big log (150,000 rows now, 150,000 in the backup)'), data.stdout);
    const diff = await runCli(['diff', manifest.id, '--dir', folder, '--db', server.url('breaks_target'), '--json']);
    assert.equal(diff.code, 0, diff.stderr);
    assert.deepEqual((JSON.parse(diff.stdout) as { sequences: unknown[] }).sequences, []);
    const proved = await runCli(['prove', manifest.id, '--dir', folder, '--db', server.url('breaks_source')]);
    assert.equal(proved.code, 0, proved.stdout + proved.stderr);
  });
});
