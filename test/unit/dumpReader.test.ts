import { strict as assert } from 'node:assert';
import { DATA_FILE_PREAMBLE, DumpReader, parseCopyTarget, parseEntryHeader, SCHEMA_FILE_PREAMBLE, type DumpReaderOptions } from '../../src/core/pg/dumpReader';

const PREAMBLE = `--
-- PostgreSQL database dump
--

\\restrict abc123

SET statement_timeout = 0;
SET client_encoding = 'UTF8';

`;

function entry(name: string, type: string, body: string, data = false): string {
  return `--\n-- ${data ? 'Data for ' : ''}Name: ${name}; Type: ${type}; Schema: public; Owner: ${data ? '-' : 'postgres'}\n--\n\n${body}\n\n\n`;
}

const FOOTER = `--
-- PostgreSQL database dump complete
--

\\unrestrict abc123

`;

/** A function whose body holds a line that looks exactly like an entry header. */
const TRICKY_FUNCTION = `CREATE FUNCTION public.f() RETURNS text
    LANGUAGE sql
    AS $_$
--
-- Data for Name: users; Type: TABLE DATA; Schema: public; Owner: -
--
SELECT 'it''s' || $x$ $ $x$
$_$;`;

const TRICKY_STRING = `COMMENT ON TABLE public.users IS '
--
-- Name: users; Type: TABLE DATA; Schema: public; Owner: -
--
';`;

const COPY_USERS = `COPY public.users (id, name) FROM stdin;
1\tAda
2\t--
3\t-- Data for Name: users; Type: TABLE; Schema: public; Owner: -
\\.`;

const COPY_ODD = `COPY "Odd ""Schema"""."Table With Space" (id) FROM stdin;
1
\\.`;

const DUMP =
  PREAMBLE +
  entry('users', 'TABLE', 'CREATE TABLE public.users (id integer, name text);') +
  entry('f()', 'FUNCTION', TRICKY_FUNCTION) +
  entry('TABLE users', 'COMMENT', TRICKY_STRING) +
  "SET default_tablespace = '';\n\n" +
  entry('users', 'TABLE DATA', COPY_USERS, true) +
  entry('Table With Space', 'TABLE DATA', COPY_ODD, true) +
  entry('users_id_seq', 'SEQUENCE SET', "SELECT pg_catalog.setval('public.users_id_seq', 10, true);") +
  entry('16400', 'BLOB', "SELECT pg_catalog.lo_create('16400');") +
  entry('LARGE OBJECT 16400', 'COMMENT', "COMMENT ON LARGE OBJECT 16400 IS 'x';").replace('Schema: public', 'Schema: -') +
  entry('users users_pkey', 'CONSTRAINT', 'ALTER TABLE ONLY public.users ADD CONSTRAINT users_pkey PRIMARY KEY (id);') +
  entry('mv', 'MATERIALIZED VIEW DATA', 'REFRESH MATERIALIZED VIEW public.mv;') +
  FOOTER;

function split(input: string, chunkSize: number, options: DumpReaderOptions = {}) {
  const reader = new DumpReader(options);
  const schema: Buffer[] = [];
  const data: Buffer[] = [];
  const bytes = Buffer.from(input);
  for (let start = 0; start < bytes.length; start += chunkSize) {
    const out = reader.push(bytes.subarray(start, start + chunkSize));
    schema.push(...out.schema);
    data.push(...out.data);
  }
  const rest = reader.end();
  schema.push(...rest.schema);
  data.push(...rest.data);
  return { reader, schema: Buffer.concat(schema).toString(), data: Buffer.concat(data).toString() };
}

describe('dump reader', () => {
  const whole = split(DUMP, DUMP.length);

  it('puts definitions in the schema part and leaves data out of it', () => {
    assert.ok(whole.schema.includes('CREATE TABLE public.users'));
    assert.ok(whole.schema.includes('ADD CONSTRAINT users_pkey'));
    assert.ok(!whole.schema.includes('COPY public.users'));
    assert.ok(!whole.schema.includes('setval'));
    assert.ok(!whole.schema.includes('lo_create'));
    assert.ok(!whole.schema.includes('REFRESH MATERIALIZED VIEW'));
  });

  it('puts rows, sequence values, large objects and matview refreshes in the data part', () => {
    assert.ok(whole.data.includes(COPY_USERS));
    assert.ok(whole.data.includes("setval('public.users_id_seq', 10, true)"));
    assert.ok(whole.data.includes("lo_create('16400')"));
    assert.ok(whole.data.includes('COMMENT ON LARGE OBJECT 16400'));
    assert.ok(whole.data.includes('REFRESH MATERIALIZED VIEW public.mv'));
    assert.ok(!whole.data.includes('CREATE TABLE'));
    assert.ok(!whole.data.includes('PRIMARY KEY'));
  });

  it('keeps a header-like line inside a function body or a string with its entry', () => {
    assert.ok(whole.schema.includes(TRICKY_FUNCTION));
    assert.ok(whole.schema.includes(TRICKY_STRING));
    assert.ok(!whole.data.includes('CREATE FUNCTION'));
  });

  it('gives both parts the preamble, the footer and their own opening note', () => {
    for (const part of [whole.schema, whole.data]) {
      assert.ok(part.startsWith(PREAMBLE));
      assert.ok(part.endsWith(FOOTER));
    }
    assert.ok(whole.schema.includes(SCHEMA_FILE_PREAMBLE));
    assert.ok(whole.data.includes(DATA_FILE_PREAMBLE));
    assert.ok(whole.data.indexOf('SET session_replication_role = replica;') < whole.data.indexOf('COPY '));
  });

  it('counts rows per table, not lines that look like headers', () => {
    assert.deepEqual(
      whole.reader.tableData.map((table) => [table.schema, table.name, table.rows]),
      [
        ['public', 'users', 3],
        ['Odd "Schema"', 'Table With Space', 1],
      ],
    );
    assert.equal(whole.reader.complete, true);
  });

  it('gives the same result however the stream is chunked', () => {
    for (const size of [1, 2, 3, 7, 64, 1000]) {
      const result = split(DUMP, size);
      assert.equal(result.schema, whole.schema, `schema differs with chunks of ${size}`);
      assert.equal(result.data, whole.data, `data differs with chunks of ${size}`);
    }
  });

  it('keeps what it holds across chunks when the caller reuses the chunk memory, as the backup does', () => {
    // A rewrite makes the reader pass the whole stream too, the third output.
    const options: DumpReaderOptions = { rewriteLine: (line) => (line.startsWith('SET client_encoding') ? `${line} -- kept` : undefined) };
    const expected = split(DUMP, DUMP.length, options);
    const input = Buffer.from(DUMP);
    for (const size of [1, 2, 3, 5, 7, 64, 1000]) {
      const reader = new DumpReader(options);
      const chunk = Buffer.alloc(size);
      const parts = { schema: [] as Buffer[], data: [] as Buffer[], whole: [] as Buffer[] };
      const keep = (out: { schema: Buffer[]; data: Buffer[]; whole: Buffer[] }) => {
        for (const name of ['schema', 'data', 'whole'] as const) parts[name].push(Buffer.concat(out[name]));
      };
      for (let start = 0; start < input.length; start += size) {
        const length = input.copy(chunk, 0, start, start + size);
        keep(reader.push(chunk.subarray(0, length)));
        // What the files got is written; the next read overwrites the same memory.
        chunk.fill(0x21);
      }
      keep(reader.end());
      assert.equal(Buffer.concat(parts.schema).toString(), expected.schema, `schema differs with a reused chunk of ${size}`);
      assert.equal(Buffer.concat(parts.data).toString(), expected.data, `data differs with a reused chunk of ${size}`);
      assert.ok(Buffer.concat(parts.whole).toString().includes("SET client_encoding = 'UTF8'; -- kept\n"), `whole stream lacks the rewrite with chunks of ${size}`);
      assert.equal(Buffer.concat(parts.whole).toString().replace(' -- kept', ''), DUMP, `whole stream differs with a reused chunk of ${size}`);
    }
  });

  it('without counting rows, passes COPY blocks over by their end and splits exactly the same, however chunked', () => {
    const ended: string[] = [];
    for (const size of [1, 2, 3, 5, 64, 1000, DUMP.length]) {
      ended.length = 0;
      const result = split(DUMP, size, { countRows: false, onTableDone: (table) => ended.push(`${table.schema}.${table.name}`) });
      assert.equal(result.schema, whole.schema, `schema differs with chunks of ${size}`);
      assert.equal(result.data, whole.data, `data differs with chunks of ${size}`);
      assert.equal(result.reader.complete, true);
      assert.deepEqual(
        ended,
        whole.reader.tableData.map((table) => `${table.schema}.${table.name}`),
        `every COPY block ends, chunks of ${size}`,
      );
      assert.ok(
        result.reader.tableData.every((table) => table.rows === 0),
        'no rows counted',
      );
    }
    // A block cut short is still not complete.
    const cut = DUMP.slice(0, DUMP.indexOf('\\.\n'));
    assert.equal(split(cut, 7, { countRows: false }).reader.complete, false);
  });

  it('reports a dump cut short as not complete', () => {
    const cut = DUMP.slice(0, DUMP.indexOf('2\t--'));
    assert.equal(split(cut, 100).reader.complete, false);
    assert.equal(split(DUMP.slice(0, DUMP.indexOf('-- PostgreSQL database dump complete')), 100).reader.complete, false);
  });

  it('offers every line but COPY rows, in order and however chunked, with where it stands', () => {
    const lines = (chunkSize: number) => {
      const seen: string[] = [];
      const reader = new DumpReader({ onSqlLine: (line, place) => seen.push(`${place} ${line.toString().trimEnd()}`) });
      const bytes = Buffer.from(DUMP);
      for (let start = 0; start < bytes.length; start += chunkSize) reader.push(bytes.subarray(start, start + chunkSize));
      reader.end();
      return seen;
    };
    const seen = lines(7);
    assert.deepEqual(lines(100_000), seen);
    const statements = seen.filter((line) => !/^\w+ (--.*)?$/.test(line));
    assert.deepEqual(statements.slice(0, 4), [
      'preamble \\restrict abc123',
      'preamble SET statement_timeout = 0;',
      "preamble SET client_encoding = 'UTF8';",
      'schema CREATE TABLE public.users (id integer, name text);',
    ]);
    assert.ok(statements.includes("setting SET default_tablespace = '';"));
    assert.ok(statements.includes('data COPY public.users (id, name) FROM stdin;'));
    assert.ok(statements.includes('data REFRESH MATERIALIZED VIEW public.mv;'));
    assert.equal(statements.at(-1), 'footer \\unrestrict abc123');
    // A function body and a comment's text are lines of their entry; the rows and the end of their COPY are no lines of SQL.
    assert.ok(seen.includes('schema -- Data for Name: users; Type: TABLE DATA; Schema: public; Owner: -'));
    assert.deepEqual(
      seen.filter((line) => /\tAda|^data \\\.$/.test(line)),
      [],
    );
  });

  it('reports each entry header once, in dump order, but not header-like text inside a body', () => {
    const seen: string[] = [];
    const reader = new DumpReader({ onEntry: (header) => seen.push(`${header.type}:${header.name}`) });
    reader.push(Buffer.from(DUMP));
    reader.end();
    assert.deepEqual(seen, [
      'TABLE:users',
      'FUNCTION:f()',
      'COMMENT:TABLE users',
      'TABLE DATA:users',
      'TABLE DATA:Table With Space',
      'SEQUENCE SET:users_id_seq',
      'BLOB:16400',
      'COMMENT:LARGE OBJECT 16400',
      'CONSTRAINT:users users_pkey',
      'MATERIALIZED VIEW DATA:mv',
    ]);
  });

  describe('one value larger than a read chunk', () => {
    const CHUNK = 64 * 1024;
    // One row of 1 MiB, the way a large bytea or text value stands in COPY data.
    const value = 'x'.repeat(1024 * 1024);
    const copyBig = `COPY public.blobs (id, body) FROM stdin;\n1\t${value}\n2\tsmall\n\\.`;
    const bigDump = PREAMBLE + entry('blobs', 'TABLE DATA', copyBig, true) + FOOTER;

    for (const countRows of [true, false]) {
      it(`passes a row's bytes on as they arrive instead of holding the row back${countRows ? '' : ' (without counting rows)'}`, () => {
        const reader = new DumpReader({ countRows });
        const bytes = Buffer.from(bigDump);
        const rowStart = bytes.indexOf('1\tx');
        let held = 0;
        let out = 0;
        for (let start = 0; start < bytes.length; start += CHUNK) {
          const chunk = bytes.subarray(start, start + CHUNK);
          const produced = reader.push(chunk).data.reduce((sum, piece) => sum + piece.length, 0);
          out += produced;
          // Every chunk that lies wholly inside the long row comes straight out again.
          if (start > rowStart && start + CHUNK < rowStart + value.length) assert.equal(produced, chunk.length, `chunk at ${start} was held back`);
          held = Math.max(held, start + chunk.length - out);
        }
        reader.end();
        // What stays behind between chunks is the preamble the data part does not repeat, nothing of the row.
        assert.ok(held < 4 * 1024, `${held} bytes were held back between chunks`);
        assert.equal(reader.complete, true);
        if (countRows)
          assert.deepEqual(
            reader.tableData.map((table) => table.rows),
            [2],
          );
      });
    }

    it('splits a dump with a long row and a long SQL line exactly as in one piece, however chunked', () => {
      const longComment = `COMMENT ON TABLE public.blobs IS '${'y'.repeat(300 * 1024)}';`;
      const dump = PREAMBLE + entry('TABLE blobs', 'COMMENT', longComment) + entry('blobs', 'TABLE DATA', copyBig, true) + FOOTER;
      const once = split(dump, dump.length);
      for (const size of [1000, 4093, CHUNK]) {
        const result = split(dump, size);
        assert.equal(result.schema, once.schema, `schema differs with chunks of ${size}`);
        assert.equal(result.data, once.data, `data differs with chunks of ${size}`);
        assert.equal(split(dump, size, { countRows: false }).data, once.data, `data differs without counting, chunks of ${size}`);
      }
      assert.ok(once.schema.includes(longComment));
      assert.ok(once.data.includes(copyBig));
    });

    it('finds the end of a COPY block whose terminator is split across chunks', () => {
      const dump = PREAMBLE + entry('blobs', 'TABLE DATA', copyBig, true) + FOOTER;
      const terminator = Buffer.from(dump).indexOf('\n\\.\n');
      for (const offset of [0, 1, 2, 3]) {
        for (const countRows of [true, false]) {
          const reader = new DumpReader({ countRows });
          const bytes = Buffer.from(dump);
          const cut = terminator + offset + 1;
          const data = [...reader.push(bytes.subarray(0, cut)).data, ...reader.push(bytes.subarray(cut)).data, ...reader.end().data];
          assert.equal(reader.complete, true, `cut ${offset} after the last row's newline`);
          assert.ok(Buffer.concat(data).toString().includes(copyBig));
        }
      }
    });
  });

  it("routes a table whose name holds a line break or a header's words with its entry: the COPY statement over two lines, and its rows, to the data part", () => {
    const copyBroken = 'COPY public."line\nbreak" ("a\nb", c) FROM stdin;\n1\tx\n2\ty\n\\.\n';
    const copyWords = 'COPY public."t; Type: SEQUENCE; Schema: public; Owner: x" (id) FROM stdin;\n7\n\\.\n';
    const dump =
      PREAMBLE +
      entry('line break', 'TABLE', 'CREATE TABLE public."line\nbreak" (\n    "a\nb" integer,\n    c text\n);') +
      entry('line break', 'TABLE DATA', copyBroken, true) +
      entry('t; Type: SEQUENCE; Schema: public; Owner: x', 'TABLE', 'CREATE TABLE public."t; Type: SEQUENCE; Schema: public; Owner: x" (id integer);') +
      entry('t; Type: SEQUENCE; Schema: public; Owner: x', 'TABLE DATA', copyWords, true) +
      FOOTER;
    for (const size of [1, 5, 64, dump.length]) {
      for (const countRows of [true, false]) {
        const result = split(dump, size, { countRows });
        assert.ok(result.data.includes(copyBroken) && result.data.includes(copyWords), `rows in the data part, chunks of ${size}`);
        assert.ok(!result.schema.includes('COPY ') && !result.schema.includes('\t'), `no COPY in the schema part, chunks of ${size}`);
        assert.ok(result.schema.includes('CREATE TABLE public."line\nbreak"'));
        assert.equal(result.reader.complete, true, `complete, chunks of ${size}`);
        if (countRows) {
          assert.deepEqual(
            result.reader.tableData.map((table) => [table.name, table.rows]),
            [
              ['line\nbreak', 2],
              ['t; Type: SEQUENCE; Schema: public; Owner: x', 1],
            ],
          );
        }
      }
    }
  });

  it('parses entry headers and COPY targets with quoted names', () => {
    assert.deepEqual(parseEntryHeader('-- Data for Name: users; Type: TABLE DATA; Schema: public; Owner: -'), {
      isData: true,
      name: 'users',
      type: 'TABLE DATA',
      schema: 'public',
      owner: '-',
    });
    assert.equal(parseEntryHeader('-- Dumped from database version 15.18'), undefined);
    // An entry in a tablespace of its own: the tablespace is its own, not part of the owner.
    assert.deepEqual(parseEntryHeader('-- Name: readings; Type: TABLE; Schema: public; Owner: postgres; Tablespace: fast'), {
      isData: false,
      name: 'readings',
      type: 'TABLE',
      schema: 'public',
      owner: 'postgres',
      tablespace: 'fast',
    });
    // A name that holds a header's own words: pg_dump's are the last.
    assert.deepEqual(parseEntryHeader('-- Data for Name: t; Type: SEQUENCE; Schema: public; Owner: x; Type: TABLE DATA; Schema: public; Owner: postgres'), {
      isData: true,
      name: 't; Type: SEQUENCE; Schema: public; Owner: x',
      type: 'TABLE DATA',
      schema: 'public',
      owner: 'postgres',
    });
    assert.equal(parseEntryHeader('-- Name: t; Type: lower case; Schema: public; Owner: x'), undefined);
    assert.deepEqual(parseCopyTarget('COPY "My ""S"".x"."T" (a) FROM stdin;'), { schema: 'My "S".x', name: 'T' });
    assert.deepEqual(parseCopyTarget('COPY public.users (a) FROM stdin;'), { schema: 'public', name: 'users' });
  });
});
