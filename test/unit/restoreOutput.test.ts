import * as assert from 'node:assert/strict';
import { renderRestoreDone } from '../../src/cli/restoreOutput';
import { backupProgressText, restoreDoneLines, restoreProgressText } from '../../src/extension/progressText';
import { schemaGroupTotals } from '../../src/core/report/text';
import type { RestoreResult } from '../../src/core/restore/types';
import type { VerificationReport } from '../../src/core/verify/results';

/** A restore of a one-row table and a table that came back with one row where the manifest had two. */
function result(): RestoreResult {
  const verification: VerificationReport = { setId: 'shop_20260101_000000', checkedAt: '2026-01-01T00:00:00.000Z', durationMs: 1, groups: [], outcome: 'pass' };
  return {
    plan: {
      setId: 'shop_20260101_000000',
      mode: 'data',
      clean: true,
      target: 'postgres@127.0.0.1:5432/shop',
      serverVersion: '15.18',
      file: '/backups/shop_data_backup_20260101_000000.sql',
      verification,
      replaced: [],
      notes: [],
      psql: { path: '/usr/bin/psql', version: '15.18' },
    },
    durationMs: 120,
    tables: [
      { schema: 'public', name: 'settings', expected: 1, restored: 1, matches: true },
      { schema: 'public', name: 'orders', expected: 2, restored: 1, matches: false },
    ],
    rowCountsMatch: false,
  };
}

describe('restore output counts rows in words', () => {
  it('says "1 row" for a one-row table, in the CLI and the editor alike, with the counts still in one column', () => {
    const done = renderRestoreDone(result());
    assert.doesNotMatch(done, /\b1 rows\b/, done);
    assert.match(done, /public\.settings +1 row\n/);
    assert.match(done, /public\.orders +1 row \(manifest: 2\)\n/);
    const lines = restoreDoneLines(result()).join('\n');
    assert.doesNotMatch(lines, /\b1 rows\b/, lines);
    assert.match(lines, /public\.orders: 1 row \(manifest: 2\)/);
    const progress = restoreProgressText({ kind: 'table-done', table: { schema: 'public', name: 'settings', rows: 1, bytes: 8 } });
    assert.equal(progress.line, `  ${'public.settings'.padEnd(40)} ${'1'.padStart(12)} row`);
  });
});

describe('backup output and the report count rows in words', () => {
  it('says "1 row" in the progress lines and the report totals, the counts and sizes still in columns', () => {
    const table = { schema: 'public', name: 'settings', rows: 1, bytes: 8192 };
    assert.equal(backupProgressText({ kind: 'table-done', table }).line, `  ${'public.settings'.padEnd(40)} ${'1'.padStart(12)} row  ${'8.0 KB'.padStart(10)}`);
    assert.equal(
      backupProgressText({ kind: 'table-done', table: { ...table, rows: 2 } }).line,
      `  ${'public.settings'.padEnd(40)} ${'2'.padStart(12)} rows ${'8.0 KB'.padStart(10)}`,
    );
    assert.equal(backupProgressText({ kind: 'table-progress', table }).live, '  public.settings  1 row  8.0 KB');
    assert.equal(schemaGroupTotals({ schema: 'public', tables: [{}], rows: 1, bytes: 8192 } as never, false), '1 table, 1 row, 8.0 KB');
  });
});
