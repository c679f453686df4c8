import { strict as assert } from 'node:assert';
import { parseManifest, MANIFEST_FORMAT, MANIFEST_VERSION } from '../../src/core/sets/manifest';
import { fileNameFor } from '../../src/core/sets/naming';
import { syntheticManifest } from '../support/syntheticSet';

const id = 'shop_20250901_173948';
const files = (names: Partial<Record<'schema' | 'data' | 'complete', string>> = {}) =>
  (['schema', 'data', 'complete'] as const).map((type) => ({ type, name: names[type] ?? fileNameFor('shop', type, '20250901_173948'), bytes: 1, sha256: '0'.repeat(64) }));
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
});
