import { strict as assert } from 'node:assert';
import { parseManifest, MANIFEST_FORMAT, MANIFEST_VERSION } from '../../src/core/sets/manifest';
import { fileNameFor } from '../../src/core/sets/naming';
import { syntheticManifest } from '../support/syntheticSet';

const id = 'shop_20250901_173948';
const files = (names: Partial<Record<'schema' | 'data' | 'complete', string>> = {}) =>
  (['schema', 'data', 'complete'] as const).map((type) => ({ type, name: names[type] ?? fileNameFor('shop', type, '20250901_173948'), bytes: 1, sha256: '0'.repeat(64) }));
const PROFILE = {
  name: 'supabase',
  chosen: 'auto',
  reason: 'the Supabase schemas and role are there',
  platformData: ['auth.users'],
  attachedObjects: [],
  leftOut: {
    schemas: [{ name: 'auth', why: 'the platform' }],
    tableData: [],
    entries: [{ type: 'DEFAULT ACL', schema: 'public', name: 'x', owner: 'supabase_admin', why: 'the platform' }],
  },
};
const DIGESTS = {
  algorithm: 'xxh64-sum',
  settings: { clientEncoding: 'UTF8', timeZone: 'UTC', byteaOutput: 'hex', lcMonetary: 'C' },
  schema: { digest: '0'.repeat(16), entries: 3 },
  tables: [{ schema: 'public', name: 'users', columns: ['id'], rows: 12, bytes: 40, digest: '0'.repeat(16) }],
  sequences: [{ schema: 'public', name: 'users_id_seq', value: '12', called: true }],
  largeObjects: { count: 0, digest: '0'.repeat(16) },
};
const manifestText = (entries: unknown[], fields: Record<string, unknown> = {}) =>
  JSON.stringify({
    ...syntheticManifest(),
    format: MANIFEST_FORMAT,
    formatVersion: MANIFEST_VERSION,
    id,
    prefix: 'shop',
    timestamp: '20250901_173948',
    files: entries,
    tables: [],
    ...fields,
  });

describe("a manifest's file names", function () {
  it("are the set's own: plain, compressed or encrypted", function () {
    assert.equal(parseManifest(manifestText(files()), 'm').files.length, 3);
    const coded = files({ data: fileNameFor('shop', 'data', '20250901_173948', ['gz', 'age']) });
    assert.equal(parseManifest(manifestText(coded), 'm').files[1].name, 'shop_data_backup_20250901_173948.sql.gz.age');
  });

  it("a path out of the folder, another set's file, a file of another type or a type twice: not a manifest of ours, the name said", function () {
    const cases: [Partial<Record<'schema' | 'data' | 'complete', string>>, string][] = [
      [{ data: '../shop_data_backup_20250901_173948.sql' }, '"../shop_data_backup_20250901_173948.sql"'],
      [{ data: '/etc/passwd' }, '"/etc/passwd"'],
      [{ data: 'shop_data_backup_20250801_000000.sql' }, '"shop_data_backup_20250801_000000.sql"'],
      [{ data: 'other_data_backup_20250901_173948.sql' }, '"other_data_backup_20250901_173948.sql"'],
      [{ data: 'shop_schema_backup_20250901_173948.sql' }, '"shop_schema_backup_20250901_173948.sql"'],
      [{ data: 'shop_20250901_173948.manifest.json' }, '"shop_20250901_173948.manifest.json"'],
    ];
    for (const [names, shown] of cases) {
      assert.throws(
        () => parseManifest(manifestText(files(names)), '/b/m.json'),
        (error: Error) => error.message === `manifest /b/m.json does not describe its set: the data file it names, ${shown}, is not one of ${id}'s`,
        shown,
      );
    }
    const twice = [...files(), files()[1]];
    assert.throws(() => parseManifest(manifestText(twice), 'm'), /the data file it names, "shop_data_backup_20250901_173948\.sql", is not one of/);
  });

  it("its id, prefix and timestamp must be one set's: the prefix and the id name files too", function () {
    for (const fields of [{ prefix: '../escape' }, { prefix: 'other' }, { timestamp: '20250801_000000' }, { id: '../shop_20250901_173948' }]) {
      assert.throws(() => parseManifest(manifestText(files(), fields), 'm'), /does not describe its set: its id .* are not one set's$/, JSON.stringify(fields));
    }
  });

  it('valid JSON with what every reader takes for granted missing or of the wrong type: not a manifest of ours, in one line', function () {
    const cases: [Record<string, unknown>, string][] = [
      [{ database: undefined }, 'bad database'],
      [{ database: null }, 'bad database'],
      [{ server: undefined }, 'bad server'],
      [{ tools: {} }, 'bad tools'],
      [{ options: { method: 'single-snapshot-split' } }, 'bad options'],
      [{ startedAt: 'garbage' }, 'no start time'],
      [{ materializedViews: 7 }, 'bad materialized view entry'],
      [{ foreignKeyCycles: [{}] }, 'bad foreign-key cycle'],
      [{ pgDumpWarnings: undefined }, ''],
      [{ profile: 5 }, 'bad profile'],
      [{ encryption: { format: 'age' } }, 'bad encryption'],
    ];
    for (const [fields, problem] of cases) {
      const text = JSON.stringify({ ...(JSON.parse(manifestText(files())) as Record<string, unknown>), ...fields });
      if (problem === '') assert.equal(parseManifest(text, 'm').id, id, 'an optional list left out');
      else assert.throws(() => parseManifest(text, '/b/m.json'), { message: `manifest /b/m.json is not a Pulse Backup manifest (${problem})` }, JSON.stringify(fields));
    }
    assert.throws(() => parseManifest(manifestText(files(), { tables: [{}] }), 'm'), { message: 'manifest m is not a Pulse Backup manifest (bad table entry)' });
  });

  it('a field show, summary or verify reads, of the wrong type: not a manifest of ours, in one line, never a crash in the reader', function () {
    const table = { schema: 'public', name: 'users', kind: 'table', rows: 12, bytes: 8192 };
    const cases: [Record<string, unknown>, string][] = [
      [{ tables: [{ ...table, rows: undefined }] }, 'bad table entry'],
      [{ tables: [{ ...table, rows: '12|x' }] }, 'bad table entry'],
      [{ tables: [{ ...table, bytes: '9' }] }, 'bad table entry'],
      [{ tables: [{ ...table, kind: undefined }] }, 'bad table entry'],
      [{ tables: [{ ...table, kind: '<b>x</b>' }] }, 'bad table entry'],
      [{ tables: [{ ...table, dataLeftOut: 'y' }] }, 'bad table entry'],
      [{ durationMs: 'abc' }, 'bad duration'],
      [{ purpose: 'safety', takenBefore: { toString: null } }, 'bad purpose'],
      [{ database: { ...syntheticManifest().database, sizeBytes: 'big' } }, 'bad database'],
      [{ tools: { pulseBackup: { a: 1 }, pgDump: { path: '/usr/bin/pg_dump', version: '15.18' } } }, 'bad tools'],
      [{ tools: { pgDump: { path: '/usr/bin/pg_dump', version: '15.18' } } }, 'bad tools'],
      [{ options: { method: 'single-snapshot-split', pgDumpArgs: [1] } }, 'bad options'],
      [{ options: { method: 'single-snapshot-split', pgDumpArgs: [], jobs: 'x' } }, 'bad options'],
      [{ foreignKeyCycles: [{ tables: [{}, 1] }] }, 'bad foreign-key cycle'],
      [{ materializedViews: [{ schema: 's', name: 'v', populated: 'no' }] }, 'bad materialized view entry'],
      [{ largeObjects: '5' }, 'bad counts'],
      [{ profile: {} }, 'bad profile'],
      [{ profile: { name: 'supabase' } }, 'bad profile'],
      [{ profile: { ...PROFILE, leftOut: { ...PROFILE.leftOut, schemas: 'x' } } }, 'bad profile'],
      [{ digests: {} }, 'bad digests'],
      [{ digests: { ...DIGESTS, tables: 'x' } }, 'bad digests'],
      [{ encryption: { format: 'age', method: 'recipients', recipients: [{}] } }, 'bad encryption'],
    ];
    for (const [fields, problem] of cases) {
      const text = JSON.stringify({ ...(JSON.parse(manifestText(files(), { tables: [table] })) as Record<string, unknown>), ...fields });
      assert.throws(() => parseManifest(text, '/b/m.json'), { message: `manifest /b/m.json is not a Pulse Backup manifest (${problem})` }, JSON.stringify(fields));
    }
  });

  it('a manifest an earlier version wrote still reads: what came later may be missing, and a list left out reads as empty', function () {
    // As the first manifests were: no profile, digests, encryption, takenBefore, jobs or estimated sizes.
    const first = parseManifest(manifestText(files(), { tables: [{ schema: 'public', name: 'users', kind: 'foreign table', rows: null, bytes: 0 }] }), 'm');
    assert.equal(first.tables[0].rows, null);
    // JSON leaves out a field that is undefined.
    const leftOut = { ...PROFILE.leftOut, entries: undefined };
    const digests = { ...DIGESTS, largeObjects: undefined };
    const later = parseManifest(manifestText(files(), { profile: { ...PROFILE, leftOut }, digests, purpose: 'safety', takenBefore: 'supabase db reset' }), 'm');
    assert.equal(later.profile?.leftOut.entries, undefined);
    assert.equal(later.digests?.largeObjects, undefined);
    const lists = parseManifest(manifestText(files(), { foreignKeyCycles: undefined, pgDumpWarnings: undefined, materializedViews: undefined }), 'm');
    assert.deepEqual([lists.foreignKeyCycles, lists.pgDumpWarnings, lists.materializedViews], [[], [], []]);
  });
});
