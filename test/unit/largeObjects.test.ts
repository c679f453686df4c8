import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { LargeObjectDigest } from '../../src/core/backup/largeObjectDigest';
import { existingPublicSchema } from '../../src/core/prove/psqlLoad';
import { largeObjectsInSet, largeObjectsLeftOut, schemaSelection } from '../../src/core/sets/manifest';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const hex = (text: string) => Buffer.from(text).toString('hex');

/** pg_dump's large-object entries for some objects, as a plain dump writes them: their owners, then their data. */
function dumpLines(objects: readonly [string, string][], escaped = false, owner = '"Floor ""Lead"""'): Buffer[] {
  const literal = (text: string) => `${escaped ? "E'\\\\x" : "'\\x"}${hex(text)}'`;
  return [
    ...objects.map(([oid]) => `ALTER LARGE OBJECT ${oid} OWNER TO ${owner};\n`),
    ...objects.flatMap(([oid, content]) => [
      `SELECT pg_catalog.lo_open('${oid}', 131072);\n`,
      ...(content === '' ? [] : [`SELECT pg_catalog.lowrite(0, ${literal(content.slice(0, 3))});\n`]),
      ...(content.length > 3 ? [`SELECT pg_catalog.lowrite(0, ${literal(content.slice(3))});\n`] : []),
      'SELECT pg_catalog.lo_close(0);\n',
      '\n',
    ]),
  ].map((line) => Buffer.from(line));
}

function fromDump(lines: readonly Buffer[]): LargeObjectDigest {
  const digest = new LargeObjectDigest();
  for (const line of lines) digest.dumpLine(line);
  return digest;
}

describe("large objects' digest", () => {
  const objects: [string, string][] = [
    ['16400', 'manual page one'],
    ['16401', ''],
    ['16402', 'ab'],
  ];

  it("reads pg_dump's owners, lo_open, lowrite and lo_close, in either literal form, as the database's OIDs, owners and contents", () => {
    const fromDatabase = new LargeObjectDigest();
    // The database reads them in OID order; the digest is a multiset.
    for (const [oid, content] of [...objects].reverse()) fromDatabase.addObject(oid, 'Floor "Lead"', sha256(content).toUpperCase());
    for (const escaped of [false, true]) {
      const read = fromDump([Buffer.from('--\n-- Data for Name: BLOBS; Type: BLOBS; Schema: -; Owner: -\n--\n\n'), ...dumpLines(objects, escaped)]);
      assert.equal(read.count, 3);
      assert.equal(read.digest, fromDatabase.digest, escaped ? "E'\\\\x…'" : "'\\x…'");
    }
  });

  it('differs when an object has other content, another OID, another owner, or is missing', () => {
    const base = fromDump(dumpLines(objects)).digest;
    assert.notEqual(fromDump(dumpLines(objects, false, 'postgres')).digest, base);
    assert.notEqual(fromDump(dumpLines([['16400', 'manual page two'], ...objects.slice(1)])).digest, base);
    assert.notEqual(fromDump(dumpLines([['16499', 'manual page one'], ...objects.slice(1)])).digest, base);
    assert.notEqual(fromDump(dumpLines(objects.slice(1))).digest, base);
    assert.equal(new LargeObjectDigest().record().count, 0);
  });

  it('records each owner once, unquoted, for the checks before a data restore', () => {
    const lines = [...dumpLines(objects.slice(0, 2)), ...dumpLines(objects.slice(2), false, 'pulse_keeper')];
    assert.deepEqual(fromDump(lines).record().owners, ['Floor "Lead"', 'pulse_keeper']);
    assert.deepEqual(new LargeObjectDigest().record().owners, []);
  });
});

describe('what a set of some schemas holds', () => {
  const manifest = (pgDumpArgs: string[], largeObjects = 7) => ({ largeObjects, options: { method: 'single-snapshot-split' as const, pgDumpArgs } });

  it("follows pg_dump's rule: --schema leaves large objects out unless --large-objects, --exclude-schema does not", () => {
    assert.equal(largeObjectsLeftOut(['--format=plain', '--schema=public']), true);
    assert.equal(largeObjectsLeftOut(['--schema=public', '--large-objects']), false);
    assert.equal(largeObjectsLeftOut(['--exclude-schema=audit']), false);
    assert.equal(largeObjectsInSet(manifest(['--schema=public'])), 0, "an older manifest's count of the database's");
    assert.equal(largeObjectsInSet(manifest(['--exclude-schema=audit'])), 7);
    assert.deepEqual(schemaSelection(manifest(['--format=plain', '--schema=public', '--exclude-schema=x', '--exclude-table-data=logs'])), [
      '--schema=public',
      '--exclude-schema=x',
    ]);
    assert.deepEqual(schemaSelection(undefined), []);
  });
});

describe("a set's CREATE SCHEMA public on its way to psql", () => {
  async function through(chunks: readonly Buffer[]): Promise<Buffer> {
    const out: Buffer[] = [];
    for await (const chunk of Readable.from(chunks).pipe(existingPublicSchema())) out.push(chunk as Buffer);
    return Buffer.concat(out);
  }

  it("becomes IF NOT EXISTS in public's own entry only, whatever the chunks, every other byte as it was", async () => {
    const file = Buffer.concat([
      Buffer.from('CREATE FUNCTION public.f() RETURNS text LANGUAGE sql AS $$\nCREATE SCHEMA public;\n$$;\n'),
      Buffer.from('--\n-- Name: public; Type: SCHEMA; Schema: -; Owner: pg_database_owner\n--\n\nCREATE SCHEMA public;\n\n\nALTER SCHEMA public OWNER TO pg_database_owner;\n'),
      // Bytes that are no UTF-8 (a LATIN1 set), and an é split between chunks below.
      Buffer.from([0x2d, 0x2d, 0x20, 0xe9, 0xff, 0x0a]),
      Buffer.from("COMMENT ON TABLE t IS 'caf\u00e9';\nCREATE SCHEMA public;\n"),
    ]);
    const expected = Buffer.from(file.toString('latin1').replace('\n\nCREATE SCHEMA public;\n\n', '\n\nCREATE SCHEMA IF NOT EXISTS public;\n\n'), 'latin1');
    for (const size of [1, 2, 7, 64, file.length]) {
      const chunks = Array.from({ length: Math.ceil(file.length / size) }, (_, index) => file.subarray(index * size, (index + 1) * size));
      assert.deepEqual(await through(chunks), expected, `chunks of ${size}`);
    }
  });
});
