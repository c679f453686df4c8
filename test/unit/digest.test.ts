import { strict as assert } from 'node:assert';
import { RowHasher, TableDigest } from '../../src/core/backup/digest';
import { viewOf } from '../../src/core/pg/dumpReader';
import { DumpDigests, parseCopyColumns } from '../../src/core/backup/dumpDigests';
import { DumpReader } from '../../src/core/pg/dumpReader';

/** Pseudo-random but repeatable, so a failure can be run again. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state / 2 ** 32;
  };
}

function rowsDigest(rows: readonly string[]): TableDigest {
  const digest = new TableDigest();
  for (const row of rows) {
    const bytes = Buffer.from(row);
    digest.row(viewOf(bytes), bytes, 0, bytes.length);
  }
  return digest;
}

const DUMP = `--
-- PostgreSQL database dump
--

\\restrict KEY_ONE

SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;

--
-- Name: users; Type: TABLE; Schema: public; Owner: postgres
--

CREATE TABLE public.users (
    id integer NOT NULL,
    name text
);


-- a comment pg_dump might word differently
ALTER TABLE public.users OWNER TO postgres;

--
-- Name: f(); Type: FUNCTION; Schema: public; Owner: postgres
--

CREATE FUNCTION public.f() RETURNS integer
    LANGUAGE sql
    AS $$
-- a comment inside the body is the function's own

SELECT 1
$$;

SET default_tablespace = '';

--
-- Data for Name: users; Type: TABLE DATA; Schema: public; Owner: postgres
--

COPY public.users (id, "Full Name") FROM stdin;
1\tAda
2\t\\N
3\tGrace
\\.


--
-- Name: users_id_seq; Type: SEQUENCE SET; Schema: public; Owner: postgres
--

SELECT pg_catalog.setval('public.users_id_seq', 42, true);


--
-- PostgreSQL database dump complete
--

\\unrestrict KEY_ONE

`;

function digestsOf(text: string, chunkSizes?: () => number): DumpDigests {
  const digests = new DumpDigests();
  const reader = new DumpReader(digests.readerOptions());
  const bytes = Buffer.from(text);
  let position = 0;
  while (position < bytes.length) {
    const size = chunkSizes ? Math.max(1, chunkSizes()) : bytes.length;
    // A copy, as a reader reuses its buffer: nothing may point into it afterwards.
    reader.push(Buffer.from(bytes.subarray(position, position + size)));
    position += size;
  }
  reader.end();
  return digests;
}

describe('row digests', function () {
  it('a row hashed in pieces, split anywhere, hashes as the whole row does', function () {
    const next = random(7);
    const whole = new RowHasher();
    const pieces = new RowHasher();
    for (let length = 0; length < 70; length += 1) {
      const bytes = Buffer.from(Array.from({ length }, () => Math.floor(next() * 256)));
      whole.hash(viewOf(bytes), bytes, 0, bytes.length);
      let position = 0;
      while (position < length) {
        const end = Math.min(length, position + 1 + Math.floor(next() * 9));
        pieces.piece(bytes, position, end);
        position = end;
      }
      pieces.finish();
      assert.deepEqual([pieces.h1, pieces.h2], [whole.h1, whole.h2], `a ${length}-byte row`);
    }
  });

  it('a row inside a larger buffer hashes as the same row on its own', function () {
    const row = Buffer.from('42\tAda Lovelace\t1815-12-10');
    const around = Buffer.concat([Buffer.from('xyz'), row, Buffer.from('\nmore')]);
    const alone = new RowHasher();
    alone.hash(viewOf(row), row, 0, row.length);
    const inside = new RowHasher();
    inside.hash(viewOf(around), around, 3, 3 + row.length);
    assert.deepEqual([inside.h1, inside.h2], [alone.h1, alone.h2]);
  });

  it('the same rows in another order give the same digest; a row twice counts twice', function () {
    const rows = ['1\tAda', '2\tGrace', '3\tEdsger', '4\t\\N'];
    assert.equal(rowsDigest(rows).digest, rowsDigest([...rows].reverse()).digest);
    assert.notEqual(rowsDigest([...rows, '1\tAda']).digest, rowsDigest(rows).digest);
    assert.equal(rowsDigest([...rows, '1\tAda']).count, 5);
  });

  it('any changed, added or removed row changes the digest', function () {
    const rows = Array.from({ length: 200 }, (_, index) => `${index}\tname ${index}\t${index * 7}`);
    const original = rowsDigest(rows).digest;
    const changedByte = rows.map((row, index) => (index === 117 ? row.replace('name', 'Name') : row));
    const swappedFields = rows.map((row, index) => (index === 3 ? '3\t21\tname 3' : row));
    const movedCharacter = rows.map((row, index) => (index === 50 ? '50\tname 5\t0350' : row));
    for (const changed of [changedByte, swappedFields, movedCharacter, rows.slice(1), [...rows, '200\tname 200\t1400']]) {
      assert.notEqual(rowsDigest(changed).digest, original);
    }
  });

  it('ten thousand distinct short rows give ten thousand distinct row hashes', function () {
    const seen = new Set<string>();
    const hasher = new RowHasher();
    for (let index = 0; index < 10_000; index += 1) {
      const bytes = Buffer.from(String(index));
      hasher.hash(viewOf(bytes), bytes, 0, bytes.length);
      seen.add(`${hasher.h1}:${hasher.h2}`);
    }
    assert.equal(seen.size, 10_000);
  });
});

describe("a dump's digests", function () {
  it('are the same whatever chunks the dump arrives in', function () {
    const whole = digestsOf(DUMP);
    const next = random(11);
    for (let round = 0; round < 50; round += 1) {
      const chunked = digestsOf(DUMP, () => Math.floor(next() * 40));
      assert.deepEqual(chunked.tableDigests(), whole.tableDigests());
      assert.equal(chunked.schema.digest, whole.schema.digest);
    }
  });

  it('record every COPY block with its columns, rows and bytes, and every setval', function () {
    const digests = digestsOf(DUMP);
    const [users] = digests.tableDigests();
    assert.deepEqual(
      { ...users, digest: undefined },
      { schema: 'public', name: 'users', columns: ['id', 'Full Name'], rows: 3, bytes: '1\tAda2\t\\N3\tGrace'.length, digest: undefined },
    );
    assert.equal(users.digest, rowsDigest(['1\tAda', '2\t\\N', '3\tGrace']).digest);
    assert.deepEqual(digests.sequences, [{ schema: 'public', name: 'users_id_seq', value: '42', called: true }]);
    assert.equal(digests.clientEncoding, 'UTF8');
    assert.equal(digests.schema.count, 2);
  });

  it('the schema digest ignores the \\restrict key, top-level comments, blank lines and settings between entries', function () {
    const original = digestsOf(DUMP).schema.digest;
    const reworded = DUMP.replaceAll('KEY_ONE', 'KEY_TWO')
      .replace('-- a comment pg_dump might word differently\n', '')
      .replace("SET default_tablespace = '';\n", '')
      .replace('CREATE TABLE public.users (', '\n\nCREATE TABLE public.users (');
    assert.equal(digestsOf(reworded).schema.digest, original);
  });

  it("the schema digest changes with an entry's text, its owner, or a function body's comment", function () {
    const original = digestsOf(DUMP).schema.digest;
    for (const changed of [
      DUMP.replace('name text', 'name character varying'),
      DUMP.replace('Schema: public; Owner: postgres\n--\n\nCREATE TABLE', 'Schema: public; Owner: app\n--\n\nCREATE TABLE'),
      DUMP.replace("-- a comment inside the body is the function's own", '-- another comment inside the body'),
    ]) {
      assert.notEqual(digestsOf(changed).schema.digest, original);
    }
  });

  it('the rows of an entry a profile leaves out are not digested', function () {
    const digests = new DumpDigests();
    const reader = new DumpReader({ ...digests.readerOptions(), keepEntry: (header) => header.type !== 'TABLE DATA' });
    reader.push(Buffer.from(DUMP));
    reader.end();
    assert.deepEqual(digests.tableDigests(), []);
    assert.equal(digests.schema.count, 2);
  });
});

describe('parseCopyColumns', function () {
  it('reads the columns pg_dump names, quoted or not', function () {
    assert.deepEqual(parseCopyColumns('COPY public.users (id, name, "Full ""Name""", "a,b") FROM stdin;'), ['id', 'name', 'Full "Name"', 'a,b']);
    assert.deepEqual(parseCopyColumns('COPY "My Schema"."T.x" (id) FROM stdin;'), ['id']);
    assert.deepEqual(parseCopyColumns('COPY public.empty  FROM stdin;'), []);
    assert.equal(parseCopyColumns('SELECT 1;'), undefined);
  });
});
