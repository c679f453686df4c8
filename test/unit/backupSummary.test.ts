/**
 * The lines a finished backup is summed up in (the CLI's output and the
 * extension's task terminal): what a parallel set says about its sessions.
 */
import * as assert from 'node:assert/strict';
import { backupDoneLines } from '../../src/core/backup/summary';
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
});
