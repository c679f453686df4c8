/**
 * The lines a finished backup is summed up in (the CLI's output and the
 * extension's task terminal): what a parallel set says about its sessions.
 */
import * as assert from 'node:assert/strict';
import { backupDoneLines, tableCountText } from '../../src/core/backup/summary';
import { syntheticManifest } from '../support/syntheticSet';

describe('backupDoneLines', () => {
  const options = (extra: object) => ({ method: 'single-snapshot-split' as const, pgDumpArgs: ['--format=plain'], ...extra });
  const sessionLines = (lines: string[]) => lines.filter((line) => /jobs/.test(line));

  it('a one-session set says nothing about jobs', () => {
    assert.deepEqual(sessionLines(backupDoneLines(syntheticManifest(), '/backups')), []);
  });

  it('a parallel set says how many jobs and how many big tables had a session of their own', () => {
    assert.deepEqual(sessionLines(backupDoneLines(syntheticManifest({ options: options({ jobs: 2, parallelTables: 1 }) }), '/backups')), [
      "  2 jobs: 1 big table's rows dumped in a session of its own, from the same snapshot",
    ]);
    assert.deepEqual(sessionLines(backupDoneLines(syntheticManifest({ options: options({ jobs: 4, parallelTables: 3 }) }), '/backups')), [
      "  4 jobs: 3 big tables' rows dumped in sessions of their own, from the same snapshot",
    ]);
  });

  it('counts the tables whose rows the set holds, as a proof does, and names the others apart', () => {
    const table = (kind: 'table' | 'partitioned table' | 'foreign table', extra: object = {}) => ({ kind, rows: kind === 'table' ? 5 : null, ...extra });
    assert.equal(tableCountText([table('table')]), '1 table');
    assert.equal(tableCountText([table('table'), table('table', { rows: 0 })]), '2 tables');
    assert.equal(tableCountText([table('table'), table('partitioned table'), table('table')]), '2 tables and 1 partitioned table');
    assert.equal(
      tableCountText([table('partitioned table'), table('partitioned table'), table('foreign table'), table('table', { dataLeftOut: true }), table('table')]),
      '1 table, 2 partitioned tables, 1 foreign table and 1 table whose rows were left out',
    );
    assert.equal(tableCountText([]), '0 tables');
    assert.equal(tableCountText([table('table'), table('partitioned table')], { noun: false }), '1 and 1 partitioned table');
    const many = Array.from({ length: 1234 }, () => table('table'));
    assert.equal(tableCountText([...many, table('foreign table')]), '1,234 tables and 1 foreign table');
  });
});
