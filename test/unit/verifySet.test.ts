/**
 * verifySet on small hand-made sets, without a database: what it reports
 * for a good set, a set whose manifest is damaged, a set it cannot record
 * into, and how it refuses an unknown id or a cancelled run.
 */
import { cliHint } from '../../src/core/commandLineWords';
import { strict as assert } from 'node:assert';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PulseError } from '../../src/core/errors';
import { readHistory } from '../../src/core/sets/history';
import { historyNameFor } from '../../src/core/sets/naming';
import { verifySet, type VerifyProgress } from '../../src/core/verify/verify';
import type { CheckStatus, VerificationReport } from '../../src/core/verify/results';
import { writeSyntheticSet } from '../support/syntheticSet';

function statuses(report: VerificationReport): Record<string, CheckStatus> {
  return Object.fromEntries(report.groups.flatMap((group) => group.checks).map((check) => [check.id, check.status]));
}

describe('verifySet without a database', () => {
  let folder: string;

  beforeEach(() => {
    folder = mkdtempSync(join(tmpdir(), 'pulse-backup-verify-unit-'));
  });

  afterEach(() => {
    rmSync(folder, { recursive: true, force: true });
  });

  it('passes a good set, reads each file once, and appends the report to its history', async () => {
    const set = writeSyntheticSet(folder);
    const events: VerifyProgress[] = [];
    const report = await verifySet({ folder, setId: set.id, env: {}, onProgress: (event) => events.push(event) });
    assert.equal(report.outcome, 'pass', JSON.stringify(report, null, 2));
    assert.equal(report.setId, set.id);
    assert.deepEqual(
      report.groups.map((group) => [group.name, group.title]),
      [['post-backup', 'Post-backup checks']],
    );
    assert.deepEqual(Object.keys(statuses(report)), ['files-present', 'manifest', 'sizes', 'checksums', 'permissions', 'dump-format', 'content']);
    assert.equal(report.target, undefined);
    assert.deepEqual(
      events
        .filter((event) => event.kind === 'file-read')
        .map((event) => event.name)
        .sort(),
      Object.values(set.paths)
        .map((path) => path.slice(folder.length + 1))
        .sort(),
    );
    const history = await readHistory(folder, set.id);
    assert.deepEqual(history.verifications, [report]);
  });

  it('leaves the history alone when asked not to record', async () => {
    const set = writeSyntheticSet(folder);
    await verifySet({ folder, setId: set.id, env: {}, record: false });
    assert.deepEqual((await readHistory(folder, set.id)).verifications, []);
  });

  it('fails a damaged manifest and still checks the dump files on their own', async () => {
    const set = writeSyntheticSet(folder);
    writeFileSync(set.manifestPath, '{"format": "pulse-backup-manifest", "formatVersion"');
    const report = await verifySet({ folder, setId: set.id, env: {}, record: false });
    assert.equal(report.outcome, 'fail');
    const found = statuses(report);
    assert.equal(found.manifest, 'fail');
    assert.equal(found.checksums, 'fail');
    assert.equal(found['dump-format'], 'pass');
    assert.equal(found.content, 'pass');
    const manifestCheck = report.groups[0].checks.find((check) => check.id === 'manifest');
    assert.match(manifestCheck?.detail ?? '', /not valid JSON/);
  });

  it('verifies a set without a manifest from its files, with a warning that no checksums exist', async () => {
    const set = writeSyntheticSet(folder, { withManifest: false });
    const report = await verifySet({ folder, setId: set.id, env: {}, record: false });
    assert.equal(report.outcome, 'warn');
    assert.deepEqual(statuses(report), {
      'files-present': 'pass',
      checksums: 'warn',
      permissions: 'pass',
      'dump-format': 'pass',
      content: 'pass',
    });
  });

  it('on Windows, warns that permissions cannot be checked', async () => {
    const set = writeSyntheticSet(folder);
    const report = await verifySet({ folder, setId: set.id, env: {}, record: false, platform: 'win32' });
    assert.equal(statuses(report).permissions, 'warn');
    assert.equal(report.outcome, 'warn');
  });

  it('reports a history it cannot write, and still returns the verification', async () => {
    const set = writeSyntheticSet(folder);
    // A folder where the history file belongs: the atomic rename onto it fails.
    mkdirSync(join(folder, historyNameFor(set.prefix, set.timestamp)));
    const events: VerifyProgress[] = [];
    const report = await verifySet({ folder, setId: set.id, env: {}, onProgress: (event) => events.push(event) });
    assert.equal(report.outcome, 'pass');
    assert.ok(
      events.some((event) => event.kind === 'not-recorded'),
      JSON.stringify(events),
    );
  });

  it('names a file it may not read', async function () {
    if (process.getuid?.() === 0) this.skip(); // root reads everything
    const set = writeSyntheticSet(folder);
    chmodSync(set.paths.data, 0o000);
    const report = await verifySet({ folder, setId: set.id, env: {}, record: false });
    const presence = report.groups[0].checks.find((check) => check.id === 'files-present');
    assert.equal(presence?.status, 'fail');
    assert.match(presence?.detail ?? '', /cannot read shop_data_backup_20250901_120000\.sql: permission denied/);
  });

  it("an unknown set id is the listing's error, naming what exists", async () => {
    writeSyntheticSet(folder);
    await assert.rejects(verifySet({ folder, setId: 'shop_20990101_000000', env: {} }), (error: unknown) => {
      assert.ok(error instanceof PulseError);
      assert.equal(error.code, 'unknown-set');
      assert.match(cliHint(error.hint ?? []), /shop_20250901_120000/);
      return true;
    });
  });

  it('a cancelled verification is an error, not a report', async () => {
    const set = writeSyntheticSet(folder);
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(verifySet({ folder, setId: set.id, env: {}, signal: controller.signal }), { code: 'cancelled' });
    assert.deepEqual((await readHistory(folder, set.id)).verifications, []);
  });

  it('stops reading when cancelled halfway, and records nothing', async () => {
    const set = writeSyntheticSet(folder, { rows: { users: 500_000 } });
    const controller = new AbortController();
    let reads = 0;
    const verifying = verifySet({
      folder,
      setId: set.id,
      env: {},
      signal: controller.signal,
      onProgress: (event) => {
        if (event.kind !== 'read-progress') return;
        reads += 1;
        controller.abort();
      },
    });
    await assert.rejects(verifying, { code: 'cancelled' });
    // Two 8 MB files in 1 MiB reads: reading them whole takes more than 16 reads.
    assert.ok(reads < 6, `${reads} reads after the cancel`);
    assert.deepEqual((await readHistory(folder, set.id)).verifications, []);
  });
});
