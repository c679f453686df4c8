/**
 * How a schema-then-data proof decides which tables to read back: the
 * statements a data file may hold besides its rows (anything else sends it
 * back to reading every table), and the plan from that, the tables that held
 * rows before the data file and what could change rows while it loaded.
 */
import { strict as assert } from 'node:assert';
import { TRANSACTION_TIMEOUT_GUARD } from '../../src/core/backup/backup';
import { DATA_FILE_PREAMBLE, DumpReader } from '../../src/core/pg/dumpReader';
import { DataFileStatementCheck, isOneParenthesis, type DataFileStatements } from '../../src/core/prove/dataFileStatements';
import { planReadBack, readBackNote, type DataLoadEvidence } from '../../src/core/prove/dataOnlyLoad';
import type { ManifestTableDigest } from '../../src/core/sets/manifest';
import { SchemaStatements, sameSchemaStatements } from '../../src/core/prove/schemaStatements';

/** The statements of a file's text, read the way a proof reads the data file (through the dump reader, rows left out). */
function statementsOf(text: string, clientEncoding = 'UTF8'): DataFileStatements {
  const check = new DataFileStatementCheck({ clientEncoding });
  const reader = new DumpReader({ onSqlLine: (line) => check.line(line) });
  // Small chunks: lines and rows that span chunks must read the same.
  const bytes = Buffer.from(text);
  for (let start = 0; start < bytes.length; start += 7) reader.push(bytes.subarray(start, start + 7));
  reader.end();
  return check.end();
}

/** A data file as the splitter writes one, with room for what a test adds before the footer. */
function dataFile(extra = ''): string {
  return [
    '--',
    '-- PostgreSQL database dump',
    '--',
    '',
    '\\restrict AbC123',
    '',
    'SET statement_timeout = 0;',
    'SET lock_timeout = 0;',
    'SET idle_in_transaction_session_timeout = 0;',
    TRANSACTION_TIMEOUT_GUARD,
    "SET client_encoding = 'UTF8';",
    'SET standard_conforming_strings = on;',
    "SELECT pg_catalog.set_config('search_path', '', false);",
    'SET check_function_bodies = false;',
    'SET xmloption = content;',
    'SET client_min_messages = warning;',
    'SET row_security = off;',
    '',
    DATA_FILE_PREAMBLE.trimEnd(),
    'ALTER TABLE "public"."stock_movements" DROP CONSTRAINT IF EXISTS "stock_movements_delta_not_zero";',
    '',
    '--',
    '-- Data for Name: users; Type: TABLE DATA; Schema: public; Owner: postgres',
    '--',
    '',
    'COPY public.users (id, name, "Nick; Name") FROM stdin;',
    '1\tAda\tDELETE FROM users;',
    "2\tGrace\t'; DROP TABLE x; --",
    '\\.',
    '',
    "SET default_tablespace = '';",
    '',
    '--',
    '-- Data for Name: BLOBS; Type: BLOBS; Schema: -; Owner: -',
    '--',
    '',
    'BEGIN;',
    '',
    "SELECT pg_catalog.lo_open('424242', 131072);",
    "SELECT pg_catalog.lowrite(0, '\\x57656c64');",
    'SELECT pg_catalog.lo_close(0);',
    '',
    'COMMIT;',
    '',
    "SELECT pg_catalog.lo_create('424243');",
    'ALTER LARGE OBJECT 424243 OWNER TO postgres;',
    "COMMENT ON LARGE OBJECT 424243 IS 'Scanned; two lines,",
    "the second with a quote ('') and a semicolon;';",
    'GRANT SELECT ON LARGE OBJECT 424243 TO pulse_sample_reader;',
    "SELECT pg_catalog.setval('public.users_id_seq', 2, true);",
    'REFRESH MATERIALIZED VIEW public.project_overview;',
    'ALTER TABLE "public"."stock_movements" ADD CONSTRAINT "stock_movements_delta_not_zero" CHECK ((delta <> 0)) NOT VALID;',
    `COMMENT ON CONSTRAINT "stock_movements_delta_not_zero" ON "public"."stock_movements" IS 'Old rows; kept.';`,
    extra,
    '--',
    '-- PostgreSQL database dump complete',
    '--',
    '',
    '\\unrestrict AbC123',
    '',
  ].join('\n');
}

describe("a data file's statements besides its rows", function () {
  it("pg_dump's and the splitter's own are all a data file holds: its COPY, settings, large objects, sequences, refreshes, NOT VALID checks set aside", function () {
    assert.deepEqual(statementsOf(dataFile()), {
      unexpected: undefined,
      replicaBeforeRows: true,
      copies: [{ schema: 'public', name: 'users', columns: ['id', 'name', 'Nick; Name'] }],
      refreshes: 1,
      changesSchema: true,
    });
    const withoutSetAside = dataFile().replace(/^(ALTER TABLE|COMMENT ON CONSTRAINT).*$/gm, '');
    assert.deepEqual([statementsOf(withoutSetAside).unexpected, statementsOf(withoutSetAside).changesSchema], [undefined, false]);
  });

  it('a statement that writes rows is named, shortened to one line', function () {
    assert.equal(statementsOf(dataFile('DELETE FROM public.users\n  WHERE id = 1;')).unexpected, 'DELETE FROM public.users WHERE id = 1;');
    const long = `UPDATE public.users SET name = '${'x'.repeat(100)}';`;
    assert.equal(statementsOf(dataFile(long)).unexpected, `${long.slice(0, 77)}...`);
  });

  it('a second statement on the line of an allowed one is a statement of its own', function () {
    assert.equal(statementsOf(dataFile("SELECT pg_catalog.setval('public.users_id_seq', 2, true); DELETE FROM public.users;")).unexpected, 'DELETE FROM public.users;');
  });

  it('a second clause of ALTER TABLE hidden beside a NOT VALID check is not taken for one', function () {
    const hidden = 'ALTER TABLE public.users ADD CONSTRAINT a CHECK (id > 0), DROP COLUMN name, ADD CONSTRAINT b CHECK (id > 1) NOT VALID;';
    assert.match(statementsOf(dataFile(hidden)).unexpected ?? '', /^ALTER TABLE public\.users ADD CONSTRAINT a/);
  });

  it('statements in comments, and rows that read like SQL, are neither', function () {
    assert.equal(statementsOf(dataFile('-- DELETE FROM public.users;\n/* UPDATE public.users SET name = 1; */')).unexpected, undefined);
  });

  it('psql commands other than \\restrict and \\unrestrict are named', function () {
    assert.equal(statementsOf(dataFile('\\! rm -rf /')).unexpected, '\\! rm -rf /');
    assert.equal(statementsOf(dataFile('SELECT pg_catalog.lo_close(0) \\g /tmp/out')).unexpected, 'SELECT pg_catalog.lo_close(0) \\g /tmp/out');
  });

  it('settings that would read the rows otherwise are named: another encoding, backslashes in strings, triggers back on', function () {
    assert.equal(statementsOf(dataFile(), 'LATIN1').unexpected, "SET client_encoding = 'UTF8';");
    assert.equal(statementsOf(dataFile('SET standard_conforming_strings = off;')).unexpected, 'SET standard_conforming_strings = off;');
    assert.equal(statementsOf(dataFile('SET session_replication_role = origin;')).unexpected, 'SET session_replication_role = origin;');
    assert.equal(statementsOf(dataFile("SET search_path = 'public';")).unexpected, "SET search_path = 'public';");
  });

  it('triggers count as quiet only when replica comes before the first row', function () {
    const late = dataFile().replace(DATA_FILE_PREAMBLE.trimEnd(), '').replace('COMMIT;', 'COMMIT;\nSET session_replication_role = replica;');
    assert.deepEqual([statementsOf(late).unexpected, statementsOf(late).replicaBeforeRows], [undefined, false]);
  });

  it('a COPY that reads anything but the file itself is named', function () {
    assert.equal(statementsOf(dataFile("COPY public.users FROM '/etc/passwd';")).unexpected, "COPY public.users FROM '/etc/passwd';");
  });

  it('one parenthesis from the first character to the last, quotes and nesting inside', function () {
    assert.equal(isOneParenthesis("((a <> 0) AND (b <> ')'))"), true);
    assert.equal(isOneParenthesis('(a) , DROP COLUMN b, ADD CONSTRAINT c CHECK (b)'), false);
    assert.equal(isOneParenthesis('(a'), false);
    assert.equal(isOneParenthesis('(a); DELETE FROM t; (b)'), false);
  });
});

describe('which tables a schema-then-data proof reads back', function () {
  const table = (name: string, digest: string, rows = 2): ManifestTableDigest => ({ schema: 'public', name, columns: ['id', 'name'], rows, bytes: 10, digest });
  const TABLES = [table('users', 'aaaa'), table('orders', 'bbbb'), table('notes', 'cccc', 0)];
  const evidence = (overrides: Partial<DataLoadEvidence> = {}, files: ManifestTableDigest[] = TABLES): DataLoadEvidence => ({
    file: {
      tables: files,
      statements: {
        unexpected: undefined,
        replicaBeforeRows: true,
        copies: files.map(({ schema, name, columns }) => ({ schema, name, columns })),
        refreshes: 0,
        changesSchema: false,
      },
    },
    rowsBeforeData: new Set(),
    changers: [],
    ...overrides,
  });
  const names = (tables: readonly ManifestTableDigest[]) => tables.map((t) => t.name);

  it("none, when the data file's rows are the set's and nothing else could add, remove or change one", function () {
    const plan = planReadBack(TABLES, evidence());
    assert.deepEqual(plan.every ? plan : [names(plan.read), names(plan.byFile)], [[], ['users', 'orders', 'notes']]);
    assert.match(readBackNote(plan, 3, false) ?? '', /^schema then data: 0 of 3 tables read back; the other 3 \(4 rows\) hold the data file's rows.* while it loaded$/);
    assert.match(
      readBackNote(plan, 3, true) ?? '',
      /while it loaded; its schema was not dumped again: the schema file runs the complete file's schema statements one for one, which read back equal/,
    );
  });

  it("the tables whose rows in the data file differ from the set's, are missing from it or come twice, and those that held rows before it", function () {
    const files = [table('users', 'ffff'), table('notes', 'cccc', 0), table('notes', 'cccc', 0)];
    const plan = planReadBack(TABLES, evidence({ rowsBeforeData: new Set() }, files));
    assert.deepEqual(plan.every ? plan : names(plan.read), ['users', 'orders', 'notes']);
    const before = planReadBack(TABLES, evidence({ rowsBeforeData: new Set(['public.orders']) }));
    assert.deepEqual(before.every ? before : [names(before.read), names(before.byFile)], [['orders'], ['users', 'notes']]);
    const columns = planReadBack(TABLES, evidence({}, [{ ...TABLES[0], columns: ['id'] }, TABLES[1], TABLES[2]]));
    assert.deepEqual(columns.every ? columns : names(columns.read), ['users']);
  });

  it('every table, saying why: a statement a data-only dump does not hold, a trigger that fires, rows before that cannot be told, a stray COPY', function () {
    const why = (plan: ReturnType<typeof planReadBack>) => (plan.every ? plan.why : 'not every table');
    const base = evidence();
    assert.equal(
      why(planReadBack(TABLES, { ...base, file: { ...base.file, statements: { ...base.file.statements, unexpected: 'DELETE FROM public.users;' } } })),
      'the data file holds a statement a data-only dump does not (DELETE FROM public.users;)',
    );
    assert.equal(
      why(planReadBack(TABLES, evidence({ changers: ['trigger audit on public.users', 'event trigger log_ddl'] }))),
      'trigger audit on public.users (and 1 more) could change rows while the data file loads',
    );
    assert.equal(
      why(planReadBack(TABLES, evidence({ rowsBeforeData: { unknown: 'permission denied for table users' } }))),
      'which tables held rows before the data file loaded could not be told (permission denied for table users)',
    );
    assert.equal(why(planReadBack(TABLES.slice(1), evidence())), 'the data file loads rows into public.users, whose rows the set does not hold');
    const unmatched = evidence();
    unmatched.file.statements.copies.pop();
    assert.equal(why(planReadBack(TABLES, unmatched)), "the data file's COPY statements and its rows do not match up");
    assert.match(
      readBackNote(planReadBack(TABLES, evidence({ changers: ['trigger audit on public.users'] })), 3, false) ?? '',
      /^schema then data: every table was read back, as trigger audit/,
    );
  });
});

describe('the statements that make a schema', function () {
  /** A dump's schema statements, read as a proof reads the schema and complete files. */
  function sequenceOf(text: string): ReturnType<SchemaStatements['sequence']> {
    const statements = new SchemaStatements();
    const reader = new DumpReader(statements.readerOptions());
    reader.push(Buffer.from(text));
    reader.end();
    return statements.sequence();
  }
  const entry = (name: string, type: string, sql: string) => ['--', `-- Name: ${name}; Type: ${type}; Schema: public; Owner: postgres`, '--', '', sql, ''];
  const data = (name: string, rows: string[]) => [
    '--',
    `-- Data for Name: ${name}; Type: TABLE DATA; Schema: public; Owner: postgres`,
    '--',
    '',
    `COPY public.${name} (id) FROM stdin;`,
    ...rows,
    '\\.',
    '',
  ];
  const dump = (...parts: string[][]) =>
    ['--', '-- PostgreSQL database dump', '--', '', "SET client_encoding = 'UTF8';", '', ...parts.flat(), '--', '-- PostgreSQL database dump complete', '--', ''].join('\n');
  const users = entry('users', 'TABLE', 'CREATE TABLE public.users (id integer);');
  const orders = entry('orders', 'TABLE', 'CREATE TABLE public.orders (id integer);');
  const usersKey = entry('users users_pkey', 'CONSTRAINT', 'ALTER TABLE ONLY public.users\n    ADD CONSTRAINT users_pkey PRIMARY KEY (id);');
  const setting = ["SET default_tablespace = '';", ''];

  it("a schema file split from a complete file runs the complete file's schema statements, one for one", function () {
    const complete = sequenceOf(dump(users, orders, data('users', ['1', '2']), setting, usersKey));
    const schema = sequenceOf(dump(['-- Pulse Backup: schema-only part of a backup set.', ''], users, orders, setting, usersKey));
    assert.equal(complete.holdsData, true);
    assert.equal(sameSchemaStatements(schema, complete), true);
  });

  it('entries in another order, a changed entry, a setting moved or a row are another schema file', function () {
    const complete = sequenceOf(dump(users, orders, setting, usersKey));
    assert.equal(sameSchemaStatements(sequenceOf(dump(orders, users, setting, usersKey)), complete), false);
    assert.equal(sameSchemaStatements(sequenceOf(dump(users, entry('orders', 'TABLE', 'CREATE TABLE public.orders (id bigint);'), setting, usersKey)), complete), false);
    assert.equal(sameSchemaStatements(sequenceOf(dump(users, orders, usersKey, setting)), complete), false);
    assert.equal(sameSchemaStatements(sequenceOf(dump(users, orders, setting, usersKey, data('users', ['1']))), complete), false);
    assert.equal(sameSchemaStatements(sequenceOf(dump(users, orders, setting, usersKey, ['INSERT INTO public.users VALUES (3);'])), complete), false);
  });
});
