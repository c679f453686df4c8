/**
 * A set's history edited by hand or damaged (a record of the wrong shape,
 * `null` where a record was): what cannot be read is left out, and what can
 * still speaks for the set — never a crash of whatever shows the set, or
 * of every set of the folder.
 */
import * as assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HISTORY_FORMAT, historyPath, lastProof, lastVerification, offsiteCopiesOf, readHistory } from '../../src/core/sets/history';
import { PROOF_FORMAT_VERSION, type ProofRecord } from '../../src/core/prove/record';
import type { VerificationReport } from '../../src/core/verify/results';

const SET_ID = 'factory_pulse_20250902_100000';
const FILES = [{ name: 'factory_pulse_complete_backup_20250902_100000.sql', bytes: 10, sha256: 'a'.repeat(64) }];

const verification: VerificationReport = {
  setId: SET_ID,
  checkedAt: '2025-09-02T10:01:00.000Z',
  durationMs: 5,
  groups: [{ name: 'post-backup', title: 'After the backup', checks: [{ id: 'checksums', title: 'Files match', status: 'pass', detail: 'every file matches' }] }],
  outcome: 'pass',
};

const proof: ProofRecord = {
  formatVersion: PROOF_FORMAT_VERSION,
  setId: SET_ID,
  provedAt: '2025-09-02T10:02:00.000Z',
  durationMs: 900,
  outcome: 'proved',
  summary: 'restored two ways and read back equal',
  server: { host: 'localhost', port: 5432, user: 'postgres' },
  profile: 'plain',
  digestsFrom: 'manifest',
  tables: 3,
  rows: 12,
  schemaEqual: true,
  paths: [{ path: 'complete', files: [FILES[0].name], restored: true, equal: true, tables: 3, rows: 12, schemaEqual: true, durationMs: 400 }],
  differences: [],
  notes: [],
};

const copy = {
  url: `s3://b/p/${SET_ID}`,
  where: 'http://127.0.0.1:9000',
  pushedAt: '2025-09-02T10:03:00.000Z',
  recordedAt: '2025-09-02T10:03:00.000Z',
  how: 'pushed',
  files: FILES,
};

describe("a set's damaged history", () => {
  let folder: string;
  beforeEach(() => {
    folder = mkdtempSync(join(tmpdir(), 'pulse-damaged-history-'));
    writeFileSync(join(folder, FILES[0].name), '');
  });
  afterEach(() => rmSync(folder, { recursive: true, force: true }));

  function writeHistory(body: Record<string, unknown>): void {
    writeFileSync(historyPath(folder, SET_ID), JSON.stringify({ format: HISTORY_FORMAT, formatVersion: 1, setId: SET_ID, retention: [], ...body }));
  }

  it('leaves out verifications its readers cannot take, and the good one before them still counts', async () => {
    writeHistory({
      verifications: [
        verification,
        null,
        {},
        'pass',
        { ...verification, groups: [{ name: 'post-backup' }] },
        { ...verification, groups: [{ name: 'post-backup', title: 't', checks: [null] }] },
        { ...verification, checkedAt: 'yesterday' },
        { ...verification, outcome: 'fine' },
      ],
    });
    const history = await readHistory(folder, SET_ID);
    assert.deepEqual(history.verifications, [verification]);
    assert.deepEqual(lastVerification(history, 'post-backup'), verification);
  });

  it('reads no proof its readers cannot take: without its server, counts, notes, or with a damaged path or difference', async () => {
    const damaged: unknown[] = [
      null,
      { ...proof, server: undefined },
      { ...proof, tables: '3' },
      { ...proof, rows: undefined },
      { ...proof, notes: undefined },
      { ...proof, notes: [1] },
      { ...proof, durationMs: null },
      { ...proof, paths: [null] },
      { ...proof, paths: [{ ...proof.paths[0], schemaEqual: undefined }] },
      { ...proof, differences: [null] },
      { ...proof, differences: [{ path: 'complete', kind: 'rows', object: 'public.t' }] },
    ];
    for (const record of damaged) {
      writeHistory({ verifications: [], proofs: [proof, record] });
      assert.deepEqual(lastProof(await readHistory(folder, SET_ID)), proof, JSON.stringify(record));
    }
  });

  it("leaves out a retention event without its lists: the summary's history reads the rest", async () => {
    const event = { at: '2025-09-02T10:04:00.000Z', keep: 10, removed: ['factory_pulse_20250801_100000'], protected: [{ id: SET_ID, reason: 'pinned' }] };
    writeHistory({ verifications: [], retention: [null, {}, { ...event, removed: undefined }, { ...event, protected: [null] }, event] });
    assert.deepEqual((await readHistory(folder, SET_ID)).retention, [event]);
  });

  it('leaves out an offsite copy without where it is, a date, or a file of the wrong shape', async () => {
    writeHistory({
      verifications: [],
      offsite: [
        copy,
        { ...copy, url: 's3://b/q', where: undefined },
        { ...copy, url: 's3://b/r', pushedAt: 'soon' },
        { ...copy, url: 's3://b/s', files: [{ sha256: 'a'.repeat(64) }] },
      ],
    });
    assert.deepEqual(
      offsiteCopiesOf(await readHistory(folder, SET_ID), FILES).map((record) => record.url),
      [copy.url],
    );
  });
});
