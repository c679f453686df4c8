import { strict as assert } from 'node:assert';
import { DumpReader } from '../../src/core/pg/dumpReader';
import { guardNewerSettings } from '../../src/core/backup/backup';
import { rewriteForRestore } from '../../src/core/restore/feed';
import { dropStatements } from '../../src/core/restore/cleanPlan';
import { emptyStatements, type ExistingObject } from '../../src/core/restore/target';

/** The comment pg_dump writes above an entry, with the blank line after it. */
function entry(header: string): string[] {
  return ['--', `-- ${header}`, '--', ''];
}

/** A plain dump as pg_dump lays it out: `lines`, then the footer that says it is whole. */
function plainDump(lines: string[]): string {
  return [...lines, ...entry('PostgreSQL database dump complete')].join('\n');
}

const DUMP = plainDump([
  ...entry('PostgreSQL database dump'),
  ...entry('Name: shop floor; Type: SCHEMA; Schema: -; Owner: postgres'),
  'CREATE SCHEMA "shop floor";',
  '',
  ...entry('Name: f(); Type: FUNCTION; Schema: public; Owner: postgres'),
  'CREATE FUNCTION public.f() RETURNS void LANGUAGE plpgsql AS $$',
  'BEGIN;',
  'COMMIT;',
  '$$;',
  '',
  ...entry('Data for Name: BLOBS; Type: BLOBS; Schema: -; Owner: -'),
  'BEGIN;',
  '',
  "SELECT pg_catalog.lo_open('16400', 131072);",
  'COMMIT;',
  '',
]);

function restoreStream(existingSchemas: string[]): string {
  const schemas = new Set(existingSchemas);
  const reader = new DumpReader({ rewriteLine: (line, entry) => rewriteForRestore(line, entry, { existingSchemas: schemas }) });
  const pieces = [...reader.push(Buffer.from(DUMP)).whole, ...reader.end().whole];
  return Buffer.concat(pieces).toString();
}

describe('restore stream', () => {
  it('comments out the BEGIN and COMMIT around large-object data, so the restore stays one transaction', () => {
    const out = restoreStream([]);
    assert.match(out, /^-- BEGIN; \(left out/m);
    assert.match(out, /^-- COMMIT; \(left out/m);
    assert.ok(!/^COMMIT;$/m.test(out.slice(out.indexOf('BLOBS'))));
  });

  it('leaves a function body that happens to say BEGIN; and COMMIT; alone', () => {
    const out = restoreStream([]);
    assert.ok(out.includes('AS $$\nBEGIN;\nCOMMIT;\n$$;'));
  });

  it('creates a schema the target already has only if it does not exist', () => {
    assert.ok(restoreStream(['shop floor']).includes('CREATE SCHEMA IF NOT EXISTS "shop floor";'));
    assert.ok(restoreStream([]).includes('\nCREATE SCHEMA "shop floor";'));
  });

  it('passes everything else through byte for byte', () => {
    const out = restoreStream(['shop floor']);
    const expected = DUMP.replace('CREATE SCHEMA "shop floor";', 'CREATE SCHEMA IF NOT EXISTS "shop floor";')
      .replace('\nBEGIN;\n\nSELECT', '\n-- BEGIN; (left out: the restore runs in one transaction)\n\nSELECT')
      .replace('131072);\nCOMMIT;', '131072);\n-- COMMIT; (left out: the restore runs in one transaction)');
    assert.equal(out, expected);
  });
});

describe("setting the backup's objects aside", () => {
  const object = (kind: ExistingObject['kind'], name: string, dropName = `"public"."${name}"`): ExistingObject => ({ kind, schema: 'public', name, rows: null, dropName });

  it("drops each kind in one statement, IF EXISTS and CASCADE (what depends on them was checked to be the backup's), never a schema", () => {
    const statements = dropStatements([
      object('table', 'users'),
      object('table', 'messages'),
      object('view', 'v1'),
      object('view', 'v2'),
      object('routine', 'f()', 'public.f()'),
      object('aggregate', 'total(integer)', 'public.total(integer)'),
      object('type', 'status'),
      object('domain', 'email'),
      object('sequence', 'invoice_seq'),
      object('publication', 'changes', '"changes"'),
      { kind: 'schema', schema: 'public', name: 'public', rows: null, dropName: '"public"' },
    ]);
    assert.deepEqual(statements, [
      'DROP PUBLICATION IF EXISTS "changes" CASCADE;',
      'DROP VIEW IF EXISTS "public"."v1", "public"."v2" CASCADE;',
      'DROP ROUTINE IF EXISTS public.f() CASCADE;',
      'DROP AGGREGATE IF EXISTS public.total(integer) CASCADE;',
      'DROP TABLE IF EXISTS "public"."users", "public"."messages" CASCADE;',
      'DROP SEQUENCE IF EXISTS "public"."invoice_seq" CASCADE;',
      'DROP DOMAIN IF EXISTS "public"."email" CASCADE;',
      'DROP TYPE IF EXISTS "public"."status" CASCADE;',
    ]);
  });

  it('empties the tables together in one TRUNCATE and frees the large objects the backup brings', () => {
    assert.deepEqual(
      emptyStatements([object('table', 'users'), object('table', 'messages'), { kind: 'large object', schema: '-', name: '424242', rows: null, dropName: '424242' }]),
      ['TRUNCATE TABLE "public"."users", "public"."messages";', 'SELECT pg_catalog.lo_unlink(oid) FROM pg_catalog.pg_largeobject_metadata WHERE oid IN (424242);'],
    );
  });
});

describe('tablespaces set aside', () => {
  const dump = plainDump([
    "SET default_tablespace = '';",
    '',
    ...entry('Name: readings; Type: TABLE; Schema: public; Owner: postgres; Tablespace: fast'),
    'CREATE TABLE public.readings (id int);',
    '',
    'SET default_tablespace = fast;',
    '',
    ...entry('Name: readings readings_pkey; Type: CONSTRAINT; Schema: public; Owner: postgres; Tablespace: fast'),
    'ALTER TABLE ONLY public.readings ADD CONSTRAINT readings_pkey PRIMARY KEY (id);',
    '',
    "SET default_tablespace = '';",
    '',
  ]);

  function stream(defaultTablespace: boolean): string {
    const reader = new DumpReader({ rewriteLine: (line, entry) => rewriteForRestore(line, entry, { existingSchemas: new Set(), defaultTablespace }) });
    return Buffer.concat([...reader.push(Buffer.from(dump)).whole, ...reader.end().whole]).toString();
  }

  it("a data restore or --no-tablespaces sets the database's default wherever pg_dump switches tablespace; otherwise the lines stay", () => {
    assert.equal(rewriteForRestore('SET default_tablespace = fast;', undefined, { existingSchemas: new Set(), defaultTablespace: true }), "SET default_tablespace = '';");
    assert.equal(rewriteForRestore("SET default_tablespace = '';", undefined, { existingSchemas: new Set(), defaultTablespace: true }), undefined);
    assert.equal(rewriteForRestore('SET default_tablespace = fast;', undefined, { existingSchemas: new Set() }), undefined);
    const aside = stream(true);
    assert.doesNotMatch(aside, /default_tablespace = fast/);
    assert.equal(aside.match(/^SET default_tablespace = '';$/gm)?.length, 3);
    assert.match(stream(false), /^SET default_tablespace = fast;$/m);
  });
});

describe('a setting only newer servers know', () => {
  it('pg_dump 17 writes SET transaction_timeout; for an older server it is set only where the server has it', () => {
    const guarded = guardNewerSettings('SET transaction_timeout = 0;');
    assert.match(guarded ?? '', /^DO \$\$BEGIN IF pg_catalog\.current_setting\('server_version_num'\)::int >= 170000 THEN SET transaction_timeout = 0; END IF; END\$\$;$/);
    assert.equal(guardNewerSettings('SET statement_timeout = 0;'), undefined);
    assert.equal(rewriteForRestore('SET transaction_timeout = 0;', undefined, { existingSchemas: new Set(), olderServer: true }), guarded);
    assert.equal(rewriteForRestore('SET transaction_timeout = 0;', undefined, { existingSchemas: new Set(), olderServer: false }), undefined);
  });

  it('the reader guards it in all three files', () => {
    const dump = plainDump([
      'SET statement_timeout = 0;',
      'SET transaction_timeout = 0;',
      '',
      ...entry('Name: t; Type: TABLE; Schema: public; Owner: -'),
      'CREATE TABLE public.t (a int);',
      '',
    ]);
    const reader = new DumpReader({ rewritePreambleLine: guardNewerSettings });
    const parts = [reader.push(Buffer.from(dump)), reader.end()];
    for (const part of ['schema', 'data', 'whole'] as const) {
      const text = Buffer.concat(parts.flatMap((output) => output[part])).toString();
      assert.ok(text.includes('THEN SET transaction_timeout = 0; END IF;'), part);
      assert.ok(!/^SET transaction_timeout/m.test(text), part);
      assert.ok(text.includes('SET statement_timeout = 0;'), part);
    }
  });
});
