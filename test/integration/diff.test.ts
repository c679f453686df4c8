/**
 * `pulse-backup diff` on real servers: right after a backup every sample's
 * database reads the same as its set (the project's samples, the shared
 * fixtures when present, the Supabase shape); after known changes, the diff
 * lists exactly those — rows added, removed and changed by key, a table
 * dropped and one added, a function changed, a sequence gone — and it never
 * writes the database it reads.
 */
import { strict as assert } from 'node:assert';
import type { DiffResult } from '../../src/core/prove/diffResult';
import type { Manifest } from '../../src/core/sets/manifest';
import { runCli } from '../support/cli';
import { diffFingerprints, fingerprintDatabase } from '../support/fingerprint';
import { backupSet, copySetFiles, createFactoryDatabase, useServer, useTempFolders } from '../support/integration';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadSample, sampleCases } from '../samples';

describe('diff', function () {
  const server = useServer();
  const newFolder = useTempFolders('pulse-backup-diff-');

  async function backup(database: string, prefix: string): Promise<{ folder: string; manifest: Manifest }> {
    const folder = newFolder();
    return { folder, manifest: await backupSet(server, database, folder, prefix) };
  }

  async function diff(setId: string, folder: string, database: string): Promise<DiffResult> {
    const result = await runCli(['diff', setId, '--db', server.url(database), '--dir', folder, '--json']);
    assert.equal(result.code, 0, result.stderr);
    return JSON.parse(result.stdout) as DiffResult;
  }

  describe("right after a backup, every sample's database reads as its set", function () {
    for (const sample of sampleCases()) {
      it(`${sample.name}${sample.shared ? ' (shared fixture)' : ''}`, async function () {
        const database = `diff_${sample.name}`;
        await server.createDatabase(database);
        await loadSample(server, database, sample);
        const { folder, manifest } = await backup(database, 'sample');
        const result = await diff(manifest.id, folder, database);
        assert.deepEqual(
          result.tables.filter((table) => table.state !== 'same'),
          [],
        );
        assert.deepEqual(result.objects, []);
        assert.deepEqual(result.sequences, []);
        assert.equal(result.same, true);
        assert.equal(result.tables.length, manifest.digests?.tables.length);
        assert.match(result.summary, new RegExp(`^since ${manifest.id}, ${database} has not changed`));
      });
    }
  });

  it('after known changes, lists exactly those, and writes nothing', async function () {
    const database = 'diff_changes';
    await createFactoryDatabase(server, database);
    const { folder, manifest } = await backup(database, 'changes');
    const [ids] = await server.query<{ organization: number; notifications: number[]; group: number; user: string }>(
      database,
      `SELECT (SELECT min(id) FROM public.organizations) AS organization,
              ARRAY(SELECT id FROM public.notifications ORDER BY id LIMIT 2) AS notifications,
              (SELECT coalesce(max(id), 0) + 1 FROM public."group") AS "group",
              (SELECT min(id)::text FROM public.users) AS "user"`,
    );
    await server.query(
      database,
      `UPDATE public.organizations SET name = name || ' (renamed)' WHERE id = ${ids.organization};
       DELETE FROM public.notifications WHERE id IN (${ids.notifications.join(', ')});
       INSERT INTO public."group" (id, "user", "order", "select") VALUES (${ids.group}, ${ids.user}, 1, 'new');
       DROP TABLE public.customer_returns;
       CREATE TABLE public.added_since (id integer);
       CREATE OR REPLACE FUNCTION "shop floor"."Fahrenheit from °C"(celsius numeric) RETURNS numeric LANGUAGE sql IMMUTABLE AS 'SELECT celsius * 1.8 + 32.0'`,
    );
    const before = await fingerprintDatabase(server.url(database));
    const result = await diff(manifest.id, folder, database);
    assert.deepEqual(diffFingerprints(before, await fingerprintDatabase(server.url(database))), [], 'diff writes nothing');

    const changed = result.tables
      .filter((table) => table.state !== 'same')
      .map((table) => ({
        name: `${table.schema}.${table.name}`,
        state: table.state,
        rows: table.rows && { added: table.rows.added, removed: table.rows.removed, changed: table.rows.changed, exact: table.rows.exact },
      }));
    assert.deepEqual(
      changed,
      [
        { name: 'public.organizations', state: 'changed', rows: { added: 0, removed: 0, changed: 1, exact: true } },
        { name: 'public.customer_returns', state: 'dropped', rows: undefined },
        { name: 'public.notifications', state: 'changed', rows: { added: 0, removed: 2, changed: 0, exact: true } },
        { name: 'public.group', state: 'changed', rows: { added: 1, removed: 0, changed: 0, exact: true } },
      ].sort(
        (a, b) => result.tables.findIndex((table) => `${table.schema}.${table.name}` === a.name) - result.tables.findIndex((table) => `${table.schema}.${table.name}` === b.name),
      ),
    );
    const detail = (name: string) => result.tables.find((table) => `${table.schema}.${table.name}` === name)?.detail;
    assert.match(detail('public.organizations') ?? '', new RegExp(`^1 row changed \\(first: id = ${ids.organization}\\)`));
    assert.match(detail('public.notifications') ?? '', new RegExp(`^2 rows removed \\(first: id = (${ids.notifications.join('|')})\\)`));
    assert.match(detail('public.group') ?? '', new RegExp(`^1 row added \\(first: id = ${ids.group}\\)`));

    assert.deepEqual(result.objects.map((object) => `${object.change} ${object.type} ${object.schema}.${object.name}`).sort(), [
      'added TABLE public.added_since',
      'changed FUNCTION shop floor.Fahrenheit from °C(numeric)',
      'dropped CONSTRAINT public.customer_returns customer_returns_pkey',
      'dropped FK CONSTRAINT public.customer_returns customer_returns_work_order_id_fkey',
      'dropped SEQUENCE public.customer_returns_id_seq',
      'dropped TABLE public.customer_returns',
    ]);
    assert.deepEqual(result.sequences, [{ name: 'public.customer_returns_id_seq', expected: '1 (not yet used)', found: 'no such sequence' }]);
    assert.equal(result.same, false);

    const text = await runCli(['diff', manifest.id, '--db', server.url(database), '--dir', folder]);
    assert.equal(text.code, 0, text.stderr);
    assert.match(
      text.stdout,
      /^Since changes_\d+_\d+, diff_changes has changed: 4 tables of \d+ with other rows or gone; 6 schema objects added, dropped or changed; 1 sequence moved; restoring the set would undo that/,
    );
    assert.match(text.stdout, /^ {2}public\.organizations +1 row changed \(first: id = \d+\); /m);
    assert.match(text.stdout, /^ {2}table public\.customer_returns: dropped since the set \(a restore brings it back\)$/m);
  });

  it("says what changed in a table's definition: columns, constraints, the owner", async function () {
    const database = 'diff_definitions';
    await createFactoryDatabase(server, database);
    const { folder, manifest } = await backup(database, 'definitions');
    await server.query(
      database,
      `ALTER TABLE "shop floor"."Shift Notes" ADD COLUMN "Shift No" smallint DEFAULT 1;
       ALTER TABLE "shop floor"."Shift Notes" ALTER COLUMN note TYPE character varying(500);
       ALTER TABLE public."group" DROP COLUMN "select";
       ALTER TABLE public.organizations ADD CONSTRAINT name_not_blank CHECK (name <> '');
       ALTER TABLE public.documents OWNER TO pulse_sample_reader`,
    );
    const result = await diff(manifest.id, folder, database);
    const tableChanges = result.objects
      .filter((object) => object.type === 'TABLE')
      .map((object) => `${object.schema}.${object.name}: ${object.detail ?? '(no detail)'}`)
      .sort();
    assert.deepEqual(tableChanges, [
      'public.documents: owner postgres in the set, pulse_sample_reader now',
      'public.group: column "select" dropped',
      'public.organizations: constraint name_not_blank added',
      'shop floor.Shift Notes: column note: text NOT NULL in the set, character varying(500) NOT NULL now; column "Shift No" added',
    ]);
    const text = await runCli(['diff', manifest.id, '--db', server.url(database), '--dir', folder]);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /^ {2}table public\.group: changed since the set: column "select" dropped \(a restore puts the set's back\)$/m);
  });

  it('notices a large object written to, removed or added since the set, and says how many it compared when nothing changed', async function () {
    const database = 'diff_large_objects';
    await server.createDatabase(database);
    await server.query(
      database,
      `CREATE TABLE public.attachments (id int PRIMARY KEY, body oid NOT NULL);
       INSERT INTO public.attachments SELECT g, lo_from_bytea(0, convert_to(repeat('scan ', g), 'UTF8')) FROM generate_series(1, 3) g;`,
    );
    const { folder, manifest } = await backup(database, 'objects');
    assert.equal(manifest.digests?.largeObjects?.count, 3);
    const same = await diff(manifest.id, folder, database);
    assert.equal(same.same, true);
    assert.deepEqual(same.largeObjects, { inSet: 3, now: 3, contentsSame: true, grants: { inSet: 0, now: 0, same: true }, same: true });
    assert.equal(same.summary, `since ${manifest.id}, ${database} has not changed: 1 table, the schema, the sequences and 3 large objects as the set holds them`);

    // One given to another role, then back.
    await server.query(database, "DO $$BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'diff_lo_owner') THEN CREATE ROLE diff_lo_owner NOLOGIN; END IF; END$$");
    const [{ oid }] = await server.query<{ oid: string }>(database, 'SELECT min(body)::text AS oid FROM public.attachments');
    await server.query(database, `ALTER LARGE OBJECT ${oid} OWNER TO diff_lo_owner`);
    assert.deepEqual((await diff(manifest.id, folder, database)).largeObjects, { inSet: 3, now: 3, contentsSame: false, grants: { inSet: 0, now: 0, same: true }, same: false });
    await server.query(database, `ALTER LARGE OBJECT ${oid} OWNER TO CURRENT_USER`);
    assert.equal((await diff(manifest.id, folder, database)).same, true);

    // Two bytes written into one: the same objects, one with other content.
    await server.query(database, "SELECT lo_put((SELECT min(body) FROM public.attachments), 0, '\\x5858'::bytea)");
    const written = await diff(manifest.id, folder, database);
    assert.equal(written.same, false);
    assert.deepEqual(written.largeObjects, { inSet: 3, now: 3, contentsSame: false, grants: { inSet: 0, now: 0, same: true }, same: false });
    assert.match(written.summary, /has changed: large objects changed \(3 in the set and now, not all the same\); restoring the set would undo that$/);
    const text = await runCli(['diff', manifest.id, '--db', server.url(database), '--dir', folder]);
    assert.match(text.stdout, /^Large objects: 3 in the set and now, not all the same$/m);

    // A set made before large objects were digested reads them from its complete file.
    const older = newFolder();
    const { digests, ...rest } = manifest;
    const withoutDigest = { ...rest, digests: { ...digests, largeObjects: undefined } };
    copySetFiles(folder, older, manifest);
    writeFileSync(join(older, `${manifest.id}.manifest.json`), JSON.stringify(withoutDigest, null, 2));
    assert.deepEqual((await diff(manifest.id, older, database)).largeObjects, { inSet: 3, now: 3, contentsSame: false, same: false });

    await server.query(database, 'SELECT lo_unlink(body) FROM public.attachments WHERE id = 3');
    assert.deepEqual((await diff(manifest.id, folder, database)).largeObjects, { inSet: 3, now: 2, contentsSame: false, grants: { inSet: 0, now: 0, same: true }, same: false });

    // pg_dump leaves large objects out of a set of some schemas: it holds none, and says nothing of the database's.
    const schemaOnly = newFolder();
    const some = await backupSet(server, database, schemaOnly, 'some', ['--schema', 'public']);
    assert.equal(some.largeObjects, 0);
    const scoped = await diff(some.id, schemaOnly, database);
    assert.equal(scoped.same, true, scoped.summary);
  });

  it("notices a large object's grant or comment changed since the set, not one granted and revoked again", async function () {
    const database = 'diff_large_object_grants';
    await server.createDatabase(database);
    await server.query(database, "DO $$BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'diff_lo_reader') THEN CREATE ROLE diff_lo_reader NOLOGIN; END IF; END$$");
    const [{ first, second, third }] = await server.query<{ first: string; second: string; third: string }>(
      database,
      `SELECT lo_from_bytea(0, 'one')::text AS first, lo_from_bytea(0, 'two')::text AS second, lo_from_bytea(0, 'three')::text AS third`,
    );
    await server.query(database, `GRANT SELECT ON LARGE OBJECT ${first} TO diff_lo_reader; COMMENT ON LARGE OBJECT ${second} IS 'a scan'`);
    const { folder, manifest } = await backup(database, 'grants');
    assert.equal(manifest.digests?.largeObjects?.grants?.count, 2);
    const same = await diff(manifest.id, folder, database);
    assert.deepEqual(same.largeObjects, { inSet: 3, now: 3, contentsSame: true, grants: { inSet: 2, now: 2, same: true }, same: true });

    // A grant and its revoke leave the owner's privileges written out in the catalog: the same as none.
    await server.query(database, `GRANT UPDATE ON LARGE OBJECT ${third} TO diff_lo_reader; REVOKE UPDATE ON LARGE OBJECT ${third} FROM diff_lo_reader`);
    assert.equal((await diff(manifest.id, folder, database)).same, true);

    const changes: [string, string, { inSet: number; now: number; same: boolean }][] = [
      [`GRANT UPDATE ON LARGE OBJECT ${first} TO diff_lo_reader`, `REVOKE UPDATE ON LARGE OBJECT ${first} FROM diff_lo_reader`, { inSet: 2, now: 2, same: false }],
      [`REVOKE SELECT ON LARGE OBJECT ${first} FROM diff_lo_reader`, `GRANT SELECT ON LARGE OBJECT ${first} TO diff_lo_reader`, { inSet: 2, now: 1, same: false }],
      [`COMMENT ON LARGE OBJECT ${second} IS 'another scan'`, `COMMENT ON LARGE OBJECT ${second} IS 'a scan'`, { inSet: 2, now: 2, same: false }],
      [`COMMENT ON LARGE OBJECT ${third} IS 'new'`, `COMMENT ON LARGE OBJECT ${third} IS NULL`, { inSet: 2, now: 3, same: false }],
    ];
    for (const [change, undo, grants] of changes) {
      await server.query(database, change);
      const changed = await diff(manifest.id, folder, database);
      assert.deepEqual(changed.largeObjects, { inSet: 3, now: 3, contentsSame: true, grants, same: false }, change);
      assert.equal(
        changed.summary,
        `since ${manifest.id}, ${database} has changed: large objects changed (3 in the set and now, their contents the same but not their grants or comments (2 with any in the set, ${grants.now} now)); restoring the set would undo that`,
      );
      await server.query(database, undo);
      assert.equal((await diff(manifest.id, folder, database)).same, true, undo);
    }
    const text = await runCli(['diff', manifest.id, '--db', server.url(database), '--dir', folder]);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /has not changed: 0 tables, the schema, the sequences and 3 large objects as the set holds them/);
  });
});
