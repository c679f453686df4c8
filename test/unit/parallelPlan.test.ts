import { strict as assert } from 'node:assert';
import { compareDumpOrder, defaultJobs, exactTablePattern, pieceGoesBefore, planPieces } from '../../src/core/backup/parallel';
import { DumpReader, type EntryHeader, type SplitOutput } from '../../src/core/pg/dumpReader';

const MB = 1024 * 1024;
const table = (name: string, megabytes: number, schema = 'public') => ({ schema, name, bytes: megabytes * MB });

describe('parallel backup plan', function () {
  it('keeps one session for one job, and for a database without a big table', function () {
    assert.deepEqual(planPieces([table('a', 500)], 1), { workers: [] });
    assert.deepEqual(planPieces([table('a', 1), table('b', 2)], 4), { workers: [] });
  });

  it('shares big tables out biggest first, each to the session with the least so far', function () {
    const plan = planPieces([table('small', 10), table('a', 400), table('b', 300), table('c', 200), table('d', 100)], 3);
    // Sessions: main (starts with 10 MB), w1, w2. a→w2, b→w1, c→main (10 < 300, 400), d→main (210 < 300).
    assert.deepEqual(
      plan.workers.map((tables) => tables.map((entry) => entry.name)),
      [['b'], ['a']],
    );
  });

  it('counts the small tables, read as one sum (otherBytes), in what the main session has to do', function () {
    // Sessions: main (starts with 250 MB of small tables), w1. a→w1 (250 < 0 is false), b→main (250 < 400).
    const plan = planPieces([table('a', 400), table('b', 100)], 2, 32 * MB, 250 * MB);
    assert.deepEqual(
      plan.workers.map((tables) => tables.map((entry) => entry.name)),
      [['a']],
    );
    // With 500 MB of small tables: a→w1, b→w1 (400 < 500).
    const busyMain = planPieces([table('a', 400), table('b', 100)], 2, 32 * MB, 500 * MB);
    assert.deepEqual(
      busyMain.workers.map((tables) => tables.map((entry) => entry.name)),
      [['a', 'b']],
    );
  });

  it('gives an extra session a tie, so the main one keeps its schema to write', function () {
    const plan = planPieces([table('a', 100), table('b', 100)], 2);
    assert.deepEqual(
      plan.workers.map((tables) => tables.map((entry) => entry.name)),
      [['a']],
    );
  });

  it('orders tables as pg_dump does: schema, then name, byte by byte (upper case before lower, ä after z)', function () {
    const names = [table('activity', 0), table('WorkCenters', 0), table('Qualitätsprüfungen', 0), table('Zeta', 0), table('a', 0, 'shop floor'), table('zz', 0, 'Public')];
    const sorted = [...names].sort(compareDumpOrder).map((entry) => `${entry.schema}.${entry.name}`);
    assert.deepEqual(sorted, ['Public.zz', 'public.Qualitätsprüfungen', 'public.WorkCenters', 'public.Zeta', 'public.activity', 'shop floor.a']);
  });

  it('puts a piece before the next table data after it, the data entries that follow rows, the post-data section and the footer', function () {
    const header = (type: string, name: string, schema = 'public'): EntryHeader => ({ isData: type.endsWith('DATA'), type, name, schema, owner: 'postgres' });
    const next = { schema: 'public', name: 'messages' };
    assert.equal(pieceGoesBefore(next, header('TABLE DATA', 'activity')), false);
    assert.equal(pieceGoesBefore(next, header('TABLE DATA', 'users')), true);
    assert.equal(pieceGoesBefore(next, header('TABLE DATA', 'a', 'shop floor')), true);
    assert.equal(pieceGoesBefore(next, header('TABLE', 'zzz')), false);
    assert.equal(pieceGoesBefore(next, header('BLOB', '424242', '-')), false, 'large objects are created before any rows');
    assert.equal(pieceGoesBefore(next, header('SEQUENCE SET', 'a_seq')), true);
    assert.equal(pieceGoesBefore(next, header('FK CONSTRAINT', 'users_org_fkey')), true);
    assert.equal(pieceGoesBefore(next, undefined), true);
  });

  it('names a table exactly, whatever its name holds', function () {
    assert.equal(exactTablePattern({ schema: 'shop floor', name: 'Shift "Notes"*' }), '"shop floor"."Shift ""Notes""*"');
  });

  it('defaults to half the cores, at most four, at least one', function () {
    assert.equal(defaultJobs(1), 1);
    assert.equal(defaultJobs(2), 1);
    assert.equal(defaultJobs(3), 1);
    assert.equal(defaultJobs(4), 2);
    assert.equal(defaultJobs(64), 4);
  });
});

describe('DumpReader pauses for entries fed in between', function () {
  const preamble = "--\n-- PostgreSQL database dump\n--\n\nSET client_encoding = 'UTF8';\n\n";
  const entry = (name: string, rows: string[]) =>
    `--\n-- Data for Name: ${name}; Type: TABLE DATA; Schema: public; Owner: postgres\n--\n\nCOPY public.${name} (v) FROM stdin;\n${rows.map((row) => `${row}\n`).join('')}\\.\n\n\n`;
  const footer = '--\n-- PostgreSQL database dump complete\n--\n\n';
  const main = preamble + entry('a', ['1', '-- not a header']) + entry('c', ['3']) + footer;
  const whole = preamble + entry('a', ['1', '-- not a header']) + entry('b', ['2', '22']) + entry('c', ['3']) + footer;

  function joined(outputs: SplitOutput[], part: keyof SplitOutput): string {
    return Buffer.concat(outputs.flatMap((output) => output[part])).toString();
  }

  for (const chunkSize of [1, 2, 7, 64, 100_000]) {
    it(`gives what one stream with the entry inline gives, in chunks of ${chunkSize} bytes`, function () {
      const reference = new DumpReader({ keepEntry: () => true });
      const expected = [reference.push(Buffer.from(whole)), reference.end()];
      const asked: (string | undefined)[] = [];
      let pending = true;
      const reader = new DumpReader({
        pauseBefore: (header) => {
          asked.push(header?.name);
          return pending && header !== undefined && header.name > 'b';
        },
      });
      const outputs: SplitOutput[] = [];
      const bytes = Buffer.from(main);
      for (let start = 0; start < bytes.length; start += chunkSize) {
        outputs.push(reader.push(bytes.subarray(start, start + chunkSize)));
        while (reader.paused) {
          pending = false;
          outputs.push(reader.push(Buffer.from(entry('b', ['2', '22']))));
          outputs.push(reader.resume());
        }
      }
      outputs.push(reader.end());
      assert.equal(reader.paused, false);
      assert.ok(reader.complete);
      for (const part of ['schema', 'data', 'whole'] as const) assert.equal(joined(outputs, part), joined(expected, part), part);
      assert.deepEqual(
        reader.tableData.map((table) => [table.name, table.rows]),
        [
          ['a', 2],
          ['b', 2],
          ['c', 1],
        ],
      );
      assert.deepEqual(asked, ['a', 'c', undefined], 'asked once per entry of the main stream and at its footer');
    });
  }

  it('refuses resume() when not paused, and onSqlLine beside pauseBefore', function () {
    assert.throws(() => new DumpReader({ pauseBefore: () => false }).resume(), /without a pause/);
    assert.throws(() => new DumpReader({ pauseBefore: () => false, onSqlLine: () => undefined }), /do not go together/);
  });
});
