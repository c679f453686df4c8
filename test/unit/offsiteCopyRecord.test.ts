/**
 * The local note of a set's offsite copies (its history file): one record
 * per remote, the newest kept, surviving the verifications and proofs
 * written after it, and counted only while the set's files are the ones
 * that were pushed.
 */
import * as assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { historyPath, offsiteCopiesOf, readHistory, recordOffsiteCopy, recordVerification, type OffsiteCopyRecord } from '../../src/core/sets/history';

const SET_ID = 'factory_pulse_20250902_100000';
const FILES = [
  { name: 'factory_pulse_schema_backup_20250902_100000.sql', bytes: 10, sha256: 'a'.repeat(64) },
  { name: 'factory_pulse_data_backup_20250902_100000.sql', bytes: 20, sha256: 'b'.repeat(64) },
];

function copy(url: string, pushedAt: string, files = FILES): OffsiteCopyRecord {
  return { url, where: 'http://127.0.0.1:9000', pushedAt, recordedAt: pushedAt, how: 'pushed', files };
}

describe("a set's offsite copies in its history", () => {
  let folder: string;
  beforeEach(() => {
    folder = mkdtempSync(join(tmpdir(), 'pulse-offsite-record-'));
    // A history is written only beside a file of its set.
    writeFileSync(join(folder, FILES[0].name), '');
  });
  afterEach(() => rmSync(folder, { recursive: true, force: true }));

  it('keeps one record per remote, the newest, and keeps them when a verification is recorded after', async () => {
    await recordOffsiteCopy(folder, SET_ID, copy(`s3://b/p/${SET_ID}`, '2025-09-02T10:00:00.000Z'));
    await recordOffsiteCopy(folder, SET_ID, copy(`s3://other/archive/${SET_ID}`, '2025-09-02T10:05:00.000Z'));
    await recordOffsiteCopy(folder, SET_ID, copy(`s3://b/p/${SET_ID}`, '2025-09-02T11:00:00.000Z'));
    await recordVerification(folder, { setId: SET_ID, checkedAt: '2025-09-02T11:30:00.000Z', durationMs: 5, groups: [], outcome: 'pass' });
    const history = await readHistory(folder, SET_ID);
    assert.equal(history.verifications.length, 1);
    assert.deepEqual(
      history.offsite?.map((record) => [record.url, record.pushedAt]),
      [
        [`s3://other/archive/${SET_ID}`, '2025-09-02T10:05:00.000Z'],
        [`s3://b/p/${SET_ID}`, '2025-09-02T11:00:00.000Z'],
      ],
    );
    assert.deepEqual(
      offsiteCopiesOf(history, FILES).map((record) => record.pushedAt),
      ['2025-09-02T11:00:00.000Z', '2025-09-02T10:05:00.000Z'],
      'newest push first',
    );
  });

  it('counts a copy only while the set has the files that were pushed, by name, size and SHA-256', () => {
    const history = { offsite: [copy(`s3://b/p/${SET_ID}`, '2025-09-02T10:00:00.000Z')] };
    assert.equal(offsiteCopiesOf(history, [...FILES].reverse()).length, 1, 'the order of the files does not matter');
    assert.equal(offsiteCopiesOf(history, [FILES[0], { ...FILES[1], sha256: 'c'.repeat(64) }]).length, 0);
    assert.equal(offsiteCopiesOf(history, [FILES[0], { ...FILES[1], bytes: 21 }]).length, 0);
    assert.equal(offsiteCopiesOf(history, [FILES[0]]).length, 0);
    assert.equal(offsiteCopiesOf({}, FILES).length, 0);
  });

  it('reads a history written before offsite copies, and skips a record it cannot read', async () => {
    writeFileSync(historyPath(folder, SET_ID), JSON.stringify({ format: 'pulse-backup-history', formatVersion: 1, setId: SET_ID, verifications: [], retention: [] }));
    assert.equal((await readHistory(folder, SET_ID)).offsite, undefined);
    writeFileSync(
      historyPath(folder, SET_ID),
      JSON.stringify({
        format: 'pulse-backup-history',
        formatVersion: 1,
        setId: SET_ID,
        verifications: [],
        retention: [],
        offsite: [{ url: 5 }, copy('s3://b/p/x', '2025-09-02T10:00:00.000Z')],
      }),
    );
    assert.deepEqual(
      (await readHistory(folder, SET_ID)).offsite?.map((record) => record.url),
      ['s3://b/p/x'],
    );
  });
});
