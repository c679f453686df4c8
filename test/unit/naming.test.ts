import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { PulseError } from '../../src/core/errors';
import {
  codecsOfFileName,
  defaultPrefix,
  fileNameFor,
  formatTimestamp,
  isValidPrefix,
  isValidTimestamp,
  manifestNameFor,
  nextFreeTimestamp,
  parseBackupFileName,
  parseSetId,
  parseTimestamp,
  setFileNames,
  setIdFor,
  toSnakeCase,
  historyNameFor,
  pinNameFor,
} from '../../src/core/sets/naming';

describe('backup-set naming', () => {
  describe('timestamps', () => {
    it('writes local time as YYYYMMDD_HHMMSS, like date +%Y%m%d_%H%M%S', () => {
      assert.equal(formatTimestamp(new Date(2025, 8, 1, 17, 39, 48)), '20250901_173948');
      assert.equal(formatTimestamp(new Date(2024, 0, 2, 3, 4, 5)), '20240102_030405');
    });

    it('reads a timestamp back as the same local time', () => {
      const date = parseTimestamp('20250901_173948');
      assert.equal(date.getTime(), new Date(2025, 8, 1, 17, 39, 48).getTime());
      assert.equal(formatTimestamp(date), '20250901_173948');
    });

    it('rejects timestamps that name no real moment', () => {
      for (const bad of ['20250230_120000', '20251301_120000', '20250901_240000', '20250901_126000', '2025091_173948', 'yesterday']) {
        assert.equal(isValidTimestamp(bad), false, bad);
        assert.throws(
          () => parseTimestamp(bad),
          (error: unknown) => error instanceof PulseError && error.code === 'usage',
        );
      }
      assert.equal(isValidTimestamp('20240229_235959'), true, 'leap day');
      assert.equal(isValidTimestamp('20250229_000000'), false, 'no leap day in 2025');
    });
  });

  describe('file names', () => {
    it('produces the shell script names for every part of a set', () => {
      assert.equal(fileNameFor('factory_pulse', 'schema', '20250901_173948'), 'factory_pulse_schema_backup_20250901_173948.sql');
      assert.equal(fileNameFor('factory_pulse', 'data', '20250901_173948'), 'factory_pulse_data_backup_20250901_173948.sql');
      assert.equal(fileNameFor('factory_pulse', 'complete', '20250901_173948'), 'factory_pulse_complete_backup_20250901_173948.sql');
      assert.equal(manifestNameFor('factory_pulse', '20250901_173948'), 'factory_pulse_20250901_173948.manifest.json');
      assert.equal(historyNameFor('factory_pulse', '20250901_173948'), 'factory_pulse_20250901_173948.history.json');
      assert.equal(pinNameFor('factory_pulse', '20250901_173948'), 'factory_pulse_20250901_173948.pinned');
      assert.equal(setIdFor('factory_pulse', '20250901_173948'), 'factory_pulse_20250901_173948');
    });

    it('recognises the files the old script wrote as one set', () => {
      const names = ['factory_pulse_schema_backup_20250901_173948.sql', 'factory_pulse_data_backup_20250901_173948.sql', 'factory_pulse_complete_backup_20250901_173948.sql'];
      const parsed = names.map(parseBackupFileName);
      assert.deepEqual(
        parsed.map((entry) => entry?.kind),
        ['schema', 'data', 'complete'],
      );
      for (const entry of parsed) {
        assert.equal(entry?.prefix, 'factory_pulse');
        assert.equal(entry?.timestamp, '20250901_173948');
        assert.equal(entry?.setId, 'factory_pulse_20250901_173948');
      }
    });

    it('recognises the manifest and the verification history', () => {
      assert.deepEqual(parseBackupFileName('factory_pulse_20250901_173948.manifest.json'), {
        prefix: 'factory_pulse',
        timestamp: '20250901_173948',
        setId: 'factory_pulse_20250901_173948',
        kind: 'manifest',
        codecs: [],
      });
      assert.equal(parseBackupFileName('factory_pulse_20250901_173948.history.json')?.kind, 'history');
      assert.equal(parseBackupFileName('factory_pulse_20250901_173948.pinned')?.kind, 'pin');
      assert.equal(parseBackupFileName('factory_pulse_20250901_173948.verify.json'), undefined);
    });

    it('round-trips every name a set can have', () => {
      for (const [kind, name] of Object.entries(setFileNames('my_app', '20251231_235959'))) {
        assert.deepEqual(parseBackupFileName(name), {
          prefix: 'my_app',
          timestamp: '20251231_235959',
          setId: 'my_app_20251231_235959',
          kind,
          codecs: [],
        });
      }
    });

    it('names an encrypted dump ….sql.age and reads its codec back; an unknown or doubled extension is not ours', () => {
      const name = fileNameFor('my_app', 'data', '20251231_235959', ['age']);
      assert.equal(name, 'my_app_data_backup_20251231_235959.sql.age');
      assert.deepEqual(parseBackupFileName(name), { prefix: 'my_app', timestamp: '20251231_235959', setId: 'my_app_20251231_235959', kind: 'data', codecs: ['age'] });
      assert.deepEqual(codecsOfFileName(name), ['age']);
      assert.deepEqual(codecsOfFileName('my_app_data_backup_20251231_235959.sql'), []);
      assert.equal(parseBackupFileName('my_app_data_backup_20251231_235959.sql.age.age'), undefined);
      assert.equal(parseBackupFileName('my_app_data_backup_20251231_235959.sql.gpg'), undefined);
      assert.equal(parseBackupFileName('my_app_20251231_235959.manifest.json.age'), undefined);
    });

    it('names compressed dumps ….sql.gz, compressed then encrypted ….sql.gz.age, and reads their codecs back innermost first', () => {
      assert.equal(fileNameFor('my_app', 'complete', '20251231_235959', ['gz']), 'my_app_complete_backup_20251231_235959.sql.gz');
      assert.equal(fileNameFor('my_app', 'data', '20251231_235959', ['gz', 'age']), 'my_app_data_backup_20251231_235959.sql.gz.age');
      assert.deepEqual(parseBackupFileName('my_app_data_backup_20251231_235959.sql.gz.age'), {
        prefix: 'my_app',
        timestamp: '20251231_235959',
        setId: 'my_app_20251231_235959',
        kind: 'data',
        codecs: ['gz', 'age'],
      });
      assert.deepEqual(codecsOfFileName('my_app_complete_backup_20251231_235959.sql.gz'), ['gz']);
      assert.deepEqual(codecsOfFileName('my_app_complete_backup_20251231_235959.sql.gz.age'), ['gz', 'age']);
      // Encrypted bytes do not compress, and one compression is enough: no backup writes these.
      for (const name of [
        'my_app_data_backup_20251231_235959.sql.age.gz',
        'my_app_data_backup_20251231_235959.sql.age.zst',
        'my_app_data_backup_20251231_235959.sql.gz.zst',
        'my_app_data_backup_20251231_235959.sql.gz.gz',
      ]) {
        assert.equal(parseBackupFileName(name), undefined, name);
      }
    });

    it('names zstd-compressed dumps ….sql.zst, compressed then encrypted ….sql.zst.age', () => {
      assert.equal(fileNameFor('my_app', 'schema', '20251231_235959', ['zst']), 'my_app_schema_backup_20251231_235959.sql.zst');
      assert.deepEqual(codecsOfFileName('my_app_complete_backup_20251231_235959.sql.zst'), ['zst']);
      assert.deepEqual(parseBackupFileName('my_app_data_backup_20251231_235959.sql.zst.age')?.codecs, ['zst', 'age']);
    });

    it('keeps underscores and the words schema/data inside a prefix', () => {
      assert.equal(parseBackupFileName('my_data_app_data_backup_20250901_173948.sql')?.prefix, 'my_data_app');
      assert.equal(parseBackupFileName('my_data_app_data_backup_20250901_173948.sql')?.kind, 'data');
      assert.equal(parseBackupFileName('schema_data_schema_backup_20250901_173948.sql')?.prefix, 'schema_data');
      assert.equal(parseBackupFileName('app_complete_backup_data_backup_20250901_173948.sql')?.prefix, 'app_complete_backup');
      assert.equal(parseBackupFileName('app_20240101_000000_20250901_173948.manifest.json')?.prefix, 'app_20240101_000000');
    });

    it('ignores files that are not exactly ours', () => {
      for (const name of [
        'factory_pulse_schema_backup_20250901_173948.sql.bz2',
        'factory_pulse_schema_backup_20250901_173948.sql.gz.gz',
        'factory_pulse_schema_backup_20250901_173948.sql.age.gz',
        'factory_pulse_schema_backup_20250901_173948.sql.zst.zst',
        'factory_pulse_schema_backup_20250901_173948.SQL',
        '.factory_pulse_schema_backup_20250901_173948.sql',
        '.factory_pulse_schema_backup_20250901_173948.sql.tmp',
        'factory_pulse_schema_backup_20250901_173948.sql~',
        'factory_pulse_schema_backup_2025090_173948.sql',
        'factory_pulse_schema_backup_20250931_173948.sql',
        'factory_pulse_roles_backup_20250901_173948.sql',
        'schema_backup_20250901_173948.sql',
        '_schema_backup_20250901_173948.sql',
        'factory pulse_schema_backup_20250901_173948.sql',
        'factory_pulse_20250901_173948.json',
        'factory_pulse_20250901_173948.manifest.json.partial',
        'notes.txt',
        'dump.sql',
        'README.md',
        '',
      ]) {
        assert.equal(parseBackupFileName(name), undefined, name);
      }
    });
  });

  describe('set ids', () => {
    it('splits a set id into prefix and timestamp', () => {
      assert.deepEqual(parseSetId('factory_pulse_20250901_173948'), { prefix: 'factory_pulse', timestamp: '20250901_173948' });
      assert.deepEqual(parseSetId('a_b_c_20250901_173948'), { prefix: 'a_b_c', timestamp: '20250901_173948' });
    });

    it('rejects ids that are not a prefix and a timestamp', () => {
      for (const id of ['factory_pulse', '20250901_173948', 'factory_pulse_20250901', 'factory_pulse_20251301_173948', '../x_20250901_173948']) {
        assert.equal(parseSetId(id), undefined, id);
      }
    });
  });

  describe('prefixes', () => {
    it('turns folder names into snake_case prefixes', () => {
      assert.equal(toSnakeCase('Factory Pulse'), 'factory_pulse');
      assert.equal(toSnakeCase('factory-pulse'), 'factory_pulse');
      assert.equal(toSnakeCase('FactoryPulse'), 'factory_pulse');
      assert.equal(toSnakeCase('factory_pulse'), 'factory_pulse');
      assert.equal(toSnakeCase('  --Factory__Pulse!!  '), 'factory_pulse');
      assert.equal(toSnakeCase('HTTPServer'), 'http_server');
      assert.equal(toSnakeCase('my.app.v2'), 'my_app_v2');
      assert.equal(toSnakeCase('Café Müller'), 'cafe_muller');
      assert.equal(toSnakeCase("Bob's DB"), 'bobs_db');
    });

    it('falls back to "backup" when nothing usable is left', () => {
      assert.equal(toSnakeCase(''), 'backup');
      assert.equal(toSnakeCase('!!!'), 'backup');
      assert.equal(toSnakeCase('数据库'), 'backup');
    });

    it('never starts a prefix with a digit', () => {
      assert.equal(toSnakeCase('2024 Project'), 'db_2024_project');
      assert.equal(toSnakeCase('42'), 'db_42');
    });

    it('always produces a valid prefix', () => {
      for (const name of ['Factory Pulse', '', '2024', 'x'.repeat(500), '-_-', 'ÄÖÜ', 'a b c d']) {
        assert.ok(isValidPrefix(toSnakeCase(name)), name);
      }
    });

    it('derives the default prefix from the folder name', () => {
      assert.equal(defaultPrefix('/home/me/projects/Factory Pulse'), 'factory_pulse');
      assert.equal(defaultPrefix('/home/me/projects/factory-pulse/'), 'factory_pulse');
      assert.equal(defaultPrefix('.'), toSnakeCase(path.basename(process.cwd())));
      assert.equal(defaultPrefix('/'), 'backup');
    });

    it('accepts only prefixes that are safe file-name parts', () => {
      for (const good of ['factory_pulse', 'FactoryPulse', 'app-1', 'a', 'db_2024']) assert.ok(isValidPrefix(good), good);
      for (const bad of ['', '.hidden', '_x', 'x_', 'a/b', 'a\\b', 'a b', 'a.b', '-x', 'x'.repeat(101)]) {
        assert.equal(isValidPrefix(bad), false, bad);
      }
    });
  });

  describe('collisions', () => {
    it('keeps the timestamp of the moment when it is free', () => {
      assert.equal(
        nextFreeTimestamp(new Date(2025, 8, 1, 17, 39, 48), () => false),
        '20250901_173948',
      );
    });

    it('moves a second forward until two sets started together have distinct names', () => {
      const taken = new Set(['20250901_173948', '20250901_173949']);
      assert.equal(
        nextFreeTimestamp(new Date(2025, 8, 1, 17, 39, 48), (ts) => taken.has(ts)),
        '20250901_173950',
      );
    });

    it('rolls over minutes, days and years', () => {
      const taken = new Set(['20251231_235959']);
      assert.equal(
        nextFreeTimestamp(new Date(2025, 11, 31, 23, 59, 59), (ts) => taken.has(ts)),
        '20260101_000000',
      );
    });

    it('gives up with an error instead of looping forever', () => {
      assert.throws(
        () => nextFreeTimestamp(new Date(2025, 8, 1), () => true),
        (error: unknown) => error instanceof PulseError && error.code === 'internal',
      );
    });
  });
});
