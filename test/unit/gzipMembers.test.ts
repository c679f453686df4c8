/**
 * A gzip set's three files written together (src/core/codecs/gzipMembers.ts):
 * the dump reader's pieces of a dump fed in chunks of many sizes, each
 * file's bytes exactly what the reader gave it, as read back by Node's zlib
 * and by the real gunzip; the rows both the data and the complete file hold
 * compressed once, into the same bytes in both.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { createSetFileWriter, type SetFileWriter } from '../../src/core/codecs/encodedFileWriter';
import { gzipMembers } from '../../src/core/codecs/gzipMembers';
import { DumpReader, type DumpReaderOptions } from '../../src/core/pg/dumpReader';

function entry(name: string, type: string, body: string, data = false): string {
  return `--\n-- ${data ? 'Data for ' : ''}Name: ${name}; Type: ${type}; Schema: public; Owner: ${data ? '-' : 'postgres'}\n--\n\n${body}\n\n\n`;
}

/** Rows that do not repeat, so a member's bytes are its own and the files are megabytes. */
function rows(table: string, count: number): string {
  const lines = Array.from({ length: count }, (_, index) => `${index}\t${table}-${(index * 2654435761) % 4294967296}\t{"n": ${index * 7}}`);
  return `COPY public.${table} (id, name, doc) FROM stdin;\n${lines.join('\n')}\n\\.`;
}

const DUMP =
  '--\n-- PostgreSQL database dump\n--\n\nSET statement_timeout = 0;\n\n' +
  entry('small', 'TABLE', 'CREATE TABLE public.small (id integer, name text, doc jsonb);') +
  entry('big', 'TABLE', 'CREATE TABLE public.big (id integer, name text, doc jsonb);') +
  entry('small', 'TABLE DATA', rows('small', 3), true) +
  entry('big', 'TABLE DATA', rows('big', 120_000), true) +
  entry('empty', 'TABLE DATA', 'COPY public.empty (id) FROM stdin;\n\\.', true) +
  entry('big big_pkey', 'CONSTRAINT', 'ALTER TABLE ONLY public.big ADD CONSTRAINT big_pkey PRIMARY KEY (id);') +
  '--\n-- PostgreSQL database dump complete\n--\n\n';

interface Written {
  plain: [string, string, string];
  compressedBytes: number;
  paths: [string, string, string];
}

/** The dump through the reader in chunks of `chunkBytes` (one buffer reused, as pg_dump's pipe is read), into three gzip files. */
async function writeSet(folder: string, chunkBytes: number, options: DumpReaderOptions = {}): Promise<Written> {
  const reader = new DumpReader(options);
  const paths = ['schema', 'data', 'complete'].map((name) => join(folder, `${name}-${chunkBytes}.sql.gz`)) as [string, string, string];
  const files = (await Promise.all(paths.map((path) => createSetFileWriter(path, [], {})))) as [SetFileWriter, SetFileWriter, SetFileWriter];
  const members = gzipMembers(files, {});
  const plain: [Buffer[], Buffer[], Buffer[]] = [[], [], []];
  const whole = options.keepEntry !== undefined || options.rewritePreambleLine !== undefined;
  const dump = Buffer.from(DUMP);
  const chunk = Buffer.alloc(chunkBytes);
  for (let start = 0; start < dump.length; start += chunkBytes) {
    const length = dump.copy(chunk, 0, start, start + chunkBytes);
    const view = chunk.subarray(0, length);
    const parts = reader.push(view);
    const pieces = [parts.schema, parts.data, whole ? parts.whole : [view]] as const;
    pieces.forEach((list, file) => plain[file].push(...list.map((piece) => Buffer.from(piece))));
    members.push(view, pieces);
    await members.flush();
    chunk.fill(0);
  }
  const rest = reader.end();
  const restPieces = [rest.schema, rest.data, whole ? rest.whole : []] as const;
  restPieces.forEach((list, file) => plain[file].push(...list));
  members.push(undefined, restPieces);
  await members.finish();
  for (const file of files) {
    await file.finish();
    await file.commit();
  }
  return { plain: plain.map((list) => Buffer.concat(list).toString()) as [string, string, string], paths, compressedBytes: members.compressedBytes };
}

describe("a gzip set's files compressed together", function () {
  this.timeout(60_000);
  let folder: string;
  before(() => (folder = mkdtempSync(join(tmpdir(), 'pulse-gzip-members-'))));
  after(() => rmSync(folder, { recursive: true, force: true }));

  for (const chunkBytes of [7, 4093, 65_536, 1_500_000]) {
    it(`holds each file's own bytes in order, read in chunks of ${chunkBytes} bytes`, async () => {
      const { plain, paths } = await writeSet(folder, chunkBytes);
      assert.equal(plain[2], DUMP, 'the complete file is the dump itself');
      assert.ok(plain[1].includes('\\.') && plain[0].includes('CREATE TABLE public.big'));
      paths.forEach((path, file) => {
        assert.equal(gunzipSync(readFileSync(path)).toString(), plain[file], `zlib reads ${path}`);
        const gunzip = spawnSync('gunzip', ['-c', path], { maxBuffer: 64 * 1024 * 1024 });
        assert.equal(gunzip.status, 0, gunzip.stderr.toString());
        assert.equal(gunzip.stdout.toString(), plain[file], `gunzip reads ${path}`);
      });
    });
  }

  it('compresses the rows once: the data file and the complete file hold the same compressed bytes', async () => {
    const { plain, paths, compressedBytes } = await writeSet(folder, 65_536);
    const threeFiles = plain.reduce((sum, text) => sum + Buffer.byteLength(text), 0);
    assert.ok(compressedBytes < DUMP.length * 1.01, `${compressedBytes} bytes compressed for a dump of ${DUMP.length} (the three files hold ${threeFiles})`);
    const [data, complete] = [readFileSync(paths[1]), readFileSync(paths[2])];
    // Two streams compressing the same rows after different bytes would not agree on a single stretch this long.
    for (const at of [0.3, 0.5, 0.8]) {
      const start = Math.floor(data.length * at);
      assert.ok(complete.includes(data.subarray(start, start + 256)), `the data file's bytes at ${Math.round(at * 100)} % are in the complete file`);
    }
    const sizes = paths.map((path) => readFileSync(path).length);
    assert.ok(sizes[2] < DUMP.length / 2, `the complete file is compressed (${sizes[2]} of ${DUMP.length} bytes)`);
  });

  it('holds a filtered stream (a rewritten line, an entry left out) as the reader passes it', async () => {
    const options: DumpReaderOptions = {
      keepEntry: (header) => header.name !== 'small',
      rewritePreambleLine: (line) => (line.startsWith('SET statement_timeout') ? 'SET statement_timeout = 1;' : undefined),
    };
    const { plain, paths } = await writeSet(folder, 65_536, options);
    assert.ok(!plain[2].includes('public.small') && plain[2].includes('SET statement_timeout = 1;'), 'the reader filtered the complete stream');
    paths.forEach((path, file) => assert.equal(gunzipSync(readFileSync(path)).toString(), plain[file]));
  });
});
