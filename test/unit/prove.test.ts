/**
 * The pure parts of a proof and a diff: what a proof runs, which scratch
 * databases are leftovers, how digests and catalog facts compare, which
 * rows differ, and the words a person reads.
 */
import { strict as assert } from 'node:assert';
import { join } from 'node:path';
import { TableDigest } from '../../src/core/backup/digest';
import { viewOf } from '../../src/core/pg/dumpReader';
import type { SchemaEntryDigest } from '../../src/core/backup/dumpDigests';
import { diffSummary, tableDiffDetail } from '../../src/core/prove/diffWords';
import type { ListedSet } from '../../src/core/sets/listing';
import type { Manifest, ManifestDigests } from '../../src/core/sets/manifest';
import { compareMaterializedViews, compareSchemaEntries, compareSequences, compareTables, readableTables } from '../../src/core/prove/compare';
import { planProof, psqlLoadArgs } from '../../src/core/prove/plan';
import { proofOutcomeLines, proofSummary, readEveryTableBack, rowsDifference, schemaDifference } from '../../src/core/prove/words';
import type { ObservedFacts } from '../../src/core/prove/readSession';
import { readbackScript } from '../../src/core/prove/readback';
import { compareRowSets, keyPositions, rowKey, RowSet } from '../../src/core/prove/rowDetail';
import { leftoverScratchDatabases, scratchLockKey, scratchName, scratchToken } from '../../src/core/prove/scratchDatabase';

function digestOf(rows: readonly string[]): string {
  const digest = new TableDigest();
  for (const row of rows) {
    const bytes = Buffer.from(row);
    digest.row(viewOf(bytes), bytes, 0, bytes.length);
  }
  return digest.digest;
}

const DIGESTS: ManifestDigests = {
  algorithm: 'pulse-row64-sum/1',
  settings: { clientEncoding: 'UTF8', timeZone: 'Europe/Berlin', byteaOutput: 'hex', lcMonetary: 'C' },
  schema: { digest: '0123456789abcdef', entries: 4 },
  tables: [
    { schema: 'public', name: 'users', columns: ['id', 'name'], rows: 2, bytes: 10, digest: digestOf(['1\tAda', '2\tGrace']) },
    { schema: 'public', name: 'orders', columns: ['id', 'user_id', 'total'], rows: 0, bytes: 0, digest: digestOf([]) },
    { schema: 'shop floor', name: 'It\'s "odd"', columns: ['Weird Column'], rows: 0, bytes: 0, digest: digestOf([]) },
  ],
  sequences: [
    { schema: 'public', name: 'users_id_seq', value: '2', called: true },
    { schema: 'public', name: 'orders_id_seq', value: '1', called: false },
  ],
};

function facts(overrides: Partial<ObservedFacts> = {}): ObservedFacts {
  return {
    tables: new Map([
      ['public.users', { columns: ['id', 'name', 'nickname'], generated: [], key: ['id'] }],
      ['public.orders', { columns: ['id', 'user_id', 'total'], generated: [], key: ['id'] }],
      ['shop floor.It\'s "odd"', { columns: ['Weird Column'], generated: [], key: [] }],
    ]),
    sequences: new Map([
      ['public.users_id_seq', { value: '2', called: true }],
      ['public.orders_id_seq', { value: '1', called: false }],
    ]),
    materializedViews: new Map([['public.overview', true]]),
    largeObjects: 0,
    ...overrides,
  };
}

function listed(files: ListedSet['files'], manifest?: Partial<Manifest>): ListedSet {
  return {
    id: 'shop_20250101_000000',
    prefix: 'shop',
    timestamp: '20250101_000000',
    createdAt: '2025-01-01T00:00:00.000Z',
    status: 'complete',
    problems: [],
    purpose: 'backup',
    files,
    totalBytes: 0,
    hasManifest: manifest !== undefined,
    pinned: false,
    hasHistory: false,
    interrupted: false,
    ...(manifest ? { manifest: { largeObjects: 0, files: [], ...manifest } as Manifest } : {}),
  };
}

const FILES: ListedSet['files'] = [
  { type: 'schema', name: 'shop_schema_backup_20250101_000000.sql', bytes: 10 },
  { type: 'data', name: 'shop_data_backup_20250101_000000.sql', bytes: 20 },
  { type: 'complete', name: 'shop_complete_backup_20250101_000000.sql', bytes: 30 },
];

describe('proof plan', function () {
  it('loads each file with psql as a person does: ON_ERROR_STOP, one transaction, the file by name', function () {
    assert.deepEqual(psqlLoadArgs('/b/c.sql', { singleTransaction: true, viaStdin: false }), [
      '--no-psqlrc',
      '--no-password',
      '--quiet',
      '--set',
      'ON_ERROR_STOP=1',
      '--single-transaction',
      '--file',
      '/b/c.sql',
    ]);
    assert.deepEqual(psqlLoadArgs('/b/c.sql', { singleTransaction: false, viaStdin: true }).slice(-2), ['--file', '-']);
  });

  it('proves both ways by default, the complete file alone and the schema file then the data file', function () {
    const plan = planProof(listed(FILES, { files: [{ type: 'data', name: FILES[1].name, bytes: 20, sha256: 'ab' }] }), '/backups', DIGESTS, { viaStdin: false });
    assert.deepEqual(
      plan.paths.map((path) => [path.path, path.loads.map((load) => load.type)]),
      [
        ['complete', ['complete']],
        ['schema-then-data', ['schema', 'data']],
      ],
    );
    const data = plan.paths[1].loads[1];
    assert.equal(data.file, join('/backups', FILES[1].name));
    assert.equal(data.sha256, 'ab');
    assert.ok(data.args.includes('--single-transaction'));
    assert.deepEqual(
      plan.tables.map((table) => table.name),
      ['users', 'orders', 'It\'s "odd"'],
    );
  });

  it('does not wrap a set with large objects (or an unknown number: no manifest) in one transaction, which their own COMMIT would end', function () {
    for (const set of [listed(FILES, { largeObjects: 2 }), listed(FILES)]) {
      const plan = planProof(set, '/backups', DIGESTS, { viaStdin: false, paths: ['complete'] });
      assert.equal(plan.paths.length, 1);
      assert.ok(!plan.paths[0].loads[0].args.includes('--single-transaction'));
    }
  });

  it('refuses a set that lacks a file a way needs', function () {
    assert.throws(() => planProof(listed(FILES.slice(0, 2), {}), '/b', DIGESTS, { viaStdin: false }), /has no complete file, so it cannot be proved/);
  });
});

describe('scratch databases', function () {
  it('have reserved names that give their token back, and only those', function () {
    assert.equal(scratchName('1a2b3c4d', 'schema-then-data'), 'pulse_prove_1a2b3c4d_schema_then_data');
    assert.equal(scratchToken('pulse_prove_1a2b3c4d_complete'), '1a2b3c4d');
    for (const name of ['pulse_prove_1a2b3c4d', 'pulse_prove_xyz_complete', 'my_pulse_prove_1a2b3c4d_complete', 'postgres']) assert.equal(scratchToken(name), undefined, name);
  });

  it("a leftover is a scratch database whose proof holds no lock, never a live proof's nor our own", function () {
    const names = ['pulse_prove_aaaaaaaa_complete', 'pulse_prove_aaaaaaaa_schema_then_data', 'pulse_prove_bbbbbbbb_complete', 'pulse_prove_cccccccc_complete', 'app'];
    const held = new Set([scratchLockKey('bbbbbbbb')]);
    assert.deepEqual(leftoverScratchDatabases(names, held, 'cccccccc'), ['pulse_prove_aaaaaaaa_complete', 'pulse_prove_aaaaaaaa_schema_then_data']);
    assert.ok(scratchLockKey('ffffffff') < 2 ** 31, 'the key fits a positive int4');
  });
});

describe('reading back', function () {
  it("the script reads every table in one read-only snapshot, with the set's settings, each between a COPY line and \\.", function () {
    const script = readbackScript(DIGESTS.tables, DIGESTS.settings, { snapshotId: '00000003-1', lockTimeoutSeconds: 60 });
    assert.match(script, /^SET TimeZone = 'Europe\/Berlin';$/m);
    assert.match(script, /^SET extra_float_digits = 3;$/m);
    assert.match(script, /^BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY;\nSET TRANSACTION SNAPSHOT '00000003-1';$/m);
    assert.match(script, /^SET lock_timeout = '60000ms';$/m);
    assert.match(script, /^COPY "public"."users" \("id", "name"\) TO STDOUT;$/m);
    // psql's \echo takes '' for a quote and \\ for a backslash inside single quotes.
    assert.match(script, /^\\echo 'COPY "shop floor"."It''s ""odd""" \("Weird Column"\) FROM stdin;'$/m);
    assert.equal(script.match(/^\\echo '\\\\\.'$/gm)?.length, 3);
    assert.match(script, /COMMIT;\n$/);
  });
});

describe('comparing with what a set recorded', function () {
  it("reads back a table with the set's columns; one that is gone, or lost a column, is named", function () {
    const observed = facts({
      tables: new Map([
        ['public.users', { columns: ['id', 'name'], generated: [], key: ['id'] }],
        ['public.orders', { columns: ['id', 'total'], generated: [], key: ['id'] }],
      ]),
    });
    const { read, unreadable } = readableTables(DIGESTS, observed);
    assert.deepEqual(
      read.map((table) => table.name),
      ['users'],
    );
    assert.deepEqual(
      unreadable.map((entry) => [entry.table.name, entry.state, entry.state === 'columns-differ' ? entry.missingColumns : []]),
      [
        ['orders', 'columns-differ', ['user_id']],
        ['It\'s "odd"', 'missing', []],
      ],
    );
    const comparisons = compareTables(DIGESTS, [{ schema: 'public', name: 'users', rows: 2, bytes: 10, digest: digestOf(['2\tGrace', '1\tAda']) }], unreadable);
    assert.deepEqual(
      comparisons.map((comparison) => comparison.state),
      ['same', 'columns-differ', 'missing'],
    );
    const changed = compareTables(DIGESTS, [{ schema: 'public', name: 'users', rows: 2, bytes: 10, digest: digestOf(['1\tAda', '2\tGrace Hopper']) }], unreadable);
    assert.equal(changed[0].state, 'different');
  });

  it('names schema entries dropped, added and changed, an owner that differs among the changes', function () {
    const entry = (type: string, name: string, digest: string, owner = 'postgres'): SchemaEntryDigest => ({ type, schema: 'public', name, owner, digest });
    const before = [entry('TABLE', 'users', '1'), entry('TABLE', 'orders', '2'), entry('FUNCTION', 'f()', '3'), entry('VIEW', 'v', '4')];
    const after = [entry('TABLE', 'users', '1'), entry('FUNCTION', 'f()', '9'), entry('VIEW', 'v', '4'), entry('TABLE', 'invoices', '5')];
    assert.deepEqual(compareSchemaEntries(before, after), [
      { type: 'TABLE', schema: 'public', name: 'orders', change: 'dropped' },
      { type: 'FUNCTION', schema: 'public', name: 'f()', change: 'changed' },
      { type: 'TABLE', schema: 'public', name: 'invoices', change: 'added' },
    ]);
    assert.deepEqual(compareSchemaEntries(before, [...before].reverse()), []);
  });

  it('sequences and materialized views: a value that moved, one not yet used, one this role may not read', function () {
    assert.deepEqual(compareSequences(DIGESTS, facts()), []);
    const moved = facts({
      sequences: new Map([
        ['public.users_id_seq', { value: '7', called: true }],
        ['public.orders_id_seq', null],
      ]),
    });
    assert.deepEqual(compareSequences(DIGESTS, moved), [{ name: 'public.users_id_seq', expected: '2', found: '7' }]);
    const unused = facts({ sequences: new Map([['public.users_id_seq', { value: '2', called: false }]]) });
    assert.deepEqual(
      compareSequences(DIGESTS, unused).map((difference) => difference.found),
      ['2 (not yet used)', 'no such sequence'],
    );
    assert.deepEqual(
      compareMaterializedViews(
        [
          { schema: 'public', name: 'overview', populated: true },
          { schema: 'public', name: 'gone', populated: false },
        ],
        facts({ materializedViews: new Map([['public.overview', false]]) }),
      ),
      [
        { name: 'public.overview', expected: 'populated', found: 'not populated' },
        { name: 'public.gone', expected: 'not populated', found: 'no such materialized view' },
      ],
    );
  });
});

describe('which rows differ', function () {
  function rows(list: readonly string[], keyed = true): RowSet {
    const set = new RowSet();
    const positions = keyPositions(['id', 'name'], ['id']);
    for (const row of list) {
      const bytes = Buffer.from(row);
      const digest = new TableDigest();
      digest.row(viewOf(bytes), bytes, 0, bytes.length);
      set.add(digest.lastH1, digest.lastH2, keyed && positions ? rowKey(bytes, 0, bytes.length, positions, ['id']) : undefined);
    }
    return set;
  }

  it('pairs rows by key: added, removed and changed, with the first of each', function () {
    const changes = compareRowSets(rows(['1\tAda', '2\tGrace', '3\tEdsger', '3\tEdsger']), rows(['1\tAda', '2\tGrace Hopper', '3\tEdsger', '4\tBarbara']), true);
    assert.deepEqual(changes, { exact: true, added: 1, removed: 1, changed: 1, firstAdded: ['id = 4'], firstRemoved: ['id = 3'], firstChanged: ['id = 2'] });
  });

  it('without a key, counts rows only on one side', function () {
    const changes = compareRowSets(rows(['1\tAda', '2\tGrace'], false), rows(['1\tAda', '2\tGrace Hopper', '5\tAlan'], false), false);
    assert.deepEqual({ added: changes.added, removed: changes.removed, changed: changes.changed }, { added: 2, removed: 1, changed: 0 });
  });

  it('past the limit of rows held, gives up the rows and keeps the counts', function () {
    const small = new RowSet(2);
    for (const h of [1, 2, 3]) small.add(h, h, undefined);
    assert.ok(small.overflow);
    assert.equal(small.rows.size, 0);
    const changes = compareRowSets(small, rows(['1\tAda']), true);
    assert.deepEqual({ exact: changes.exact, removed: changes.removed }, { exact: false, removed: 2 });
  });

  it('reads a key from its fields, tabs separating them, NULL and long values as a person reads them', function () {
    const row = Buffer.from('7\t\\N\tsome name\t' + 'x'.repeat(60));
    assert.equal(rowKey(row, 0, row.length, [0, 1], ['org_id', 'id']), 'org_id = 7, id = NULL');
    assert.equal(rowKey(row, 0, row.length, [3], ['note']), `note = ${'x'.repeat(40)}…`);
    assert.equal(rowKey(row, 0, row.length, [9], ['nope']), undefined);
    assert.deepEqual(keyPositions(['a', 'b', 'c'], ['c', 'a']), [2, 0]);
    assert.equal(keyPositions(['a'], ['z']), undefined);
    assert.equal(keyPositions(['a'], []), undefined);
  });
});

describe('the words', function () {
  it('a proof says what it proved, or its first difference and how many more', function () {
    const paths = [
      { path: 'complete' as const, files: [], restored: true, equal: true, tables: 2, rows: 1234, schemaEqual: true, durationMs: 1 },
      { path: 'schema-then-data' as const, files: [], restored: true, equal: true, tables: 2, rows: 1234, schemaEqual: true, durationMs: 1 },
    ];
    assert.equal(
      proofSummary({ outcome: 'proved', tables: 2, rows: 1234, paths, differences: [] }),
      'proved restorable: 2 tables, 1,234 rows and the schema equal, by the complete file and by schema then data',
    );
    const differences = [
      { path: 'schema-then-data' as const, kind: 'rows' as const, object: 'public.users', detail: '1 row changed (first: id = 2); 2 rows in the set, 2 restored' },
      { path: 'complete' as const, kind: 'schema' as const, object: 'schema', detail: 'table public.x missing after the restore' },
    ];
    assert.equal(
      proofSummary({ outcome: 'failed', tables: 2, rows: 1234, paths, differences }),
      'NOT proved: schema then data: public.users: 1 row changed (first: id = 2); 2 rows in the set, 2 restored (and 1 more difference)',
    );
  });

  it('each way in a terminal: what it found equal, and how many tables it read back when not all', function () {
    const way = { files: [], restored: true, equal: true, tables: 16, rows: 1234, schemaEqual: true, durationMs: 1500 };
    const record = {
      formatVersion: 1,
      setId: 'shop_1',
      provedAt: '2026-01-01T00:00:00.000Z',
      durationMs: 2000,
      outcome: 'proved' as const,
      summary: 'proved restorable: 16 tables, 1,234 rows and the schema equal, by the complete file and by schema then data',
      server: { host: '127.0.0.1', port: 5432, user: 'postgres' },
      profile: 'plain' as const,
      digestsFrom: 'manifest' as const,
      tables: 16,
      rows: 1234,
      schemaEqual: true,
      paths: [
        { ...way, path: 'complete' as const, tablesReadBack: 16 },
        { ...way, path: 'schema-then-data' as const, tablesReadBack: 1 },
      ],
      differences: [],
      notes: [],
    };
    assert.deepEqual(proofOutcomeLines(record).slice(1, 3), [
      '  the complete file  16 tables, 1,234 rows equal; schema equal (1.5 s)',
      "  schema then data   16 tables, 1,234 rows equal (1 of them read back, the rest by the data file's digests); schema equal (1.5 s)",
    ]);
    assert.match(proofOutcomeLines(record).at(-1)!, /^Scratch databases on \S+, dropped again\.$/);
    // Scratch databases it could not drop are not said to be dropped.
    assert.match(
      proofOutcomeLines({ ...record, scratchLeft: ['pulse_prove_0a1b2c3d_complete'] }).at(-1)!,
      /^Scratch databases on \S+: not all dropped again \(see the note above\)\.$/,
    );
    assert.equal(readEveryTableBack(record), true);
    assert.equal(readEveryTableBack({ ...record, paths: record.paths.slice(1) }), false);
    // Records made before tablesReadBack read every table back.
    assert.equal(readEveryTableBack({ ...record, paths: [{ ...way, path: 'schema-then-data' as const }] }), true);
  });

  it("rows and schema entries that differ, in a person's words", function () {
    const changes = { exact: true, added: 1, removed: 2, changed: 1, firstAdded: ['id = 9'], firstRemoved: ['id = 3'], firstChanged: ['id = 2'] };
    assert.equal(
      rowsDifference(600, 599, changes, 'proof'),
      '1 row changed (first: id = 2), 2 rows missing (first: id = 3), 1 row not in the set (first: id = 9); 600 rows in the set, 599 restored',
    );
    assert.equal(rowsDifference(600, 600, undefined, 'proof'), '600 rows in the set, 600 restored; their contents differ');
    assert.equal(tableDiffDetail(600, 599, changes), '1 row added (first: id = 9), 2 rows removed (first: id = 3), 1 row changed (first: id = 2); 600 rows in the set, 599 now');
    assert.equal(
      schemaDifference([
        { type: 'FUNCTION', schema: 'public', name: 'f()', change: 'changed' },
        { type: 'TABLE', schema: 'public', name: 'x', change: 'dropped' },
        { type: 'INDEX', schema: 'public', name: 'a', change: 'added' },
        { type: 'INDEX', schema: 'public', name: 'b', change: 'added' },
      ]),
      'table public.x missing after the restore; function public.f() differs; index public.a not in the set, and 1 more',
    );
  });

  it('a diff says nothing changed, or how much did and that a restore would undo it', function () {
    const target = { host: 'h', port: 1, database: 'app', user: 'u' };
    const same = {
      setId: 'shop_1',
      target,
      tables: [{ schema: 'public', name: 'users', state: 'same' as const, rowsInSet: 1, rowsNow: 1, detail: '' }],
      objects: [],
      sequences: [],
      largeObjects: { inSet: 0, now: 0, contentsSame: true, same: true },
      same: true,
    };
    assert.equal(diffSummary(same), 'since shop_1, app has not changed: 1 table, the schema and the sequences as the set holds them');
    assert.equal(
      diffSummary({ ...same, largeObjects: { inSet: 20_000, now: 20_000, contentsSame: true, same: true } }),
      'since shop_1, app has not changed: 1 table, the schema, the sequences and 20,000 large objects as the set holds them',
    );
    for (const [largeObjects, words] of [
      [{ inSet: 20_000, now: 19_999, contentsSame: false, same: false }, 'large objects changed (20,000 in the set, 19,999 now)'],
      [{ inSet: 3, now: 3, contentsSame: false, same: false }, 'large objects changed (3 in the set and now, not all the same)'],
      [{ inSet: 3, now: 3, contentsSame: false, grants: { inSet: 1, now: 1, same: true }, same: false }, 'large objects changed (3 in the set and now, not all the same)'],
      [
        { inSet: 3, now: 3, contentsSame: true, grants: { inSet: 2, now: 2, same: false }, same: false },
        'large objects changed (3 in the set and now, their contents the same but not their grants or comments (2 with any in the set, 2 now))',
      ],
      [
        { inSet: 3, now: 3, contentsSame: false, grants: { inSet: 2, now: 3, same: false }, same: false },
        'large objects changed (3 in the set and now, not all the same; their grants or comments differ too (2 with any in the set, 3 now))',
      ],
      [
        { inSet: 3, now: 2, contentsSame: false, grants: { inSet: 1, now: 0, same: false }, same: false },
        'large objects changed (3 in the set, 2 now; their grants or comments differ too (1 with any in the set, 0 now))',
      ],
    ] as const) {
      assert.equal(diffSummary({ ...same, same: false, largeObjects }), `since shop_1, app has changed: ${words}; restoring the set would undo that`);
    }
    const changed = {
      ...same,
      same: false,
      tables: [{ ...same.tables[0], state: 'changed' as const }],
      objects: [{ type: 'TABLE', schema: 'public', name: 'x', change: 'added' as const }],
    };
    assert.equal(
      diffSummary(changed),
      'since shop_1, app has changed: 1 table of 1 with other rows or gone; 1 schema object added, dropped or changed; restoring the set would undo that',
    );
  });
});
