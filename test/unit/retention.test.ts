/**
 * Retention's decisions without a database: which sets stay and why, the
 * order files go in, how the newest good set is found, and what a prune does
 * to a real folder of small hand-made sets.
 */
import { prunedMessage } from '../../src/extension/dialogs';
import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { PulseError, formatError } from '../../src/core/errors';
import { cliHint, commandLineWords } from '../../src/core/commandLineWords';
import { readHistory, recordProof, recordVerification } from '../../src/core/sets/history';
import { PROOF_FORMAT_VERSION, type ProofRecord } from '../../src/core/prove/record';
import { proofSummary } from '../../src/core/prove/words';
import { listSets, newestFirst, type ListedSet, type SetStatus } from '../../src/core/sets/listing';
import { MANIFEST_FORMAT, MANIFEST_VERSION } from '../../src/core/sets/manifest';
import { fileNameFor, manifestNameFor, parseTimestamp, pinNameFor, setIdFor, type DumpType } from '../../src/core/sets/naming';
import {
  deleteSet,
  findNewestGoodSet,
  pinSet,
  planRetention,
  pruneAfterBackup,
  pruneSets,
  confirmedRemovals,
  readRetentionMemory,
  removalOrder,
  datedInTheFuture,
  unpinSet,
  type VerifyRequest,
} from '../../src/core/retention/retention';
import type { BackupResult } from '../../src/core/backup/backup';
import type { Manifest } from '../../src/core/sets/manifest';
import type { CheckResult, CheckStatus, VerificationReport } from '../../src/core/verify/results';
import { syntheticManifest, syntheticVerification } from '../support/syntheticSet';
import { folderState } from '../support/folderState';

const PREFIX = 'shop';

function listed(timestamp: string, status: SetStatus, extra: Partial<ListedSet> = {}): ListedSet {
  const prefix = extra.prefix ?? PREFIX;
  return {
    id: setIdFor(prefix, timestamp),
    prefix,
    timestamp,
    createdAt: parseTimestamp(timestamp).toISOString(),
    status,
    problems: status === 'incomplete' ? ['a file is missing'] : [],
    purpose: 'backup',
    files: [],
    totalBytes: 100,
    hasManifest: status === 'complete',
    pinned: false,
    hasHistory: false,
    interrupted: false,
    ...extra,
  };
}

function report(setId: string, status: CheckStatus, options: { checkedAt?: Date; group?: 'post-backup' | 'pre-restore' } = {}): VerificationReport {
  const group = options.group ?? 'post-backup';
  const checks: CheckResult[] = [{ id: 'checksums', title: 'Files match their recorded sha256', status, detail: status === 'fail' ? 'data file differs' : 'ok' }];
  return syntheticVerification(setId, [{ name: group, title: group, checks }], { checkedAt: (options.checkedAt ?? new Date()).toISOString() });
}

function proofOf(setId: string, outcome: ProofRecord['outcome']): ProofRecord {
  const differences: ProofRecord['differences'] =
    outcome === 'failed' ? [{ path: 'schema-then-data', kind: 'rows', object: 'public.orders', detail: '1 row changed (first: id = 42)' }] : [];
  const paths: ProofRecord['paths'] = [{ path: 'schema-then-data', files: [], restored: true, equal: outcome === 'proved', tables: 1, rows: 1, schemaEqual: true, durationMs: 1 }];
  const record: ProofRecord = {
    formatVersion: PROOF_FORMAT_VERSION,
    setId,
    provedAt: new Date().toISOString(),
    durationMs: 1,
    outcome,
    summary: '',
    server: { host: '127.0.0.1', port: 5432, user: 'postgres' },
    profile: 'plain',
    digestsFrom: 'manifest',
    tables: 1,
    rows: 1,
    schemaEqual: true,
    paths,
    differences,
    notes: [],
  };
  return { ...record, summary: proofSummary(record) };
}

/** A verify engine stand-in: answers from a table and remembers what it was asked. */
function fakeVerify(outcomes: Record<string, CheckStatus>) {
  const asked: VerifyRequest[] = [];
  const verify = (request: VerifyRequest): Promise<VerificationReport> => {
    asked.push(request);
    // Each set is handed over as listed: verifying many must not list the folder again for each (it was quadratic).
    assert.equal(request.listed?.id, request.setId);
    const outcome = outcomes[request.setId];
    if (!outcome) return Promise.reject(new Error(`verify was not expected for ${request.setId}`));
    return Promise.resolve(report(request.setId, outcome));
  };
  return { verify, asked };
}

/** A small set on disk whose manifest records the real sizes and checksums, like one backup wrote. */
function writeSet(folder: string, timestamp: string, options: { prefix?: string; manifest?: boolean; skip?: DumpType } = {}): string {
  const prefix = options.prefix ?? PREFIX;
  const id = setIdFor(prefix, timestamp);
  const files = (['schema', 'data', 'complete'] as const)
    .filter((type) => type !== options.skip)
    .map((type) => {
      const name = fileNameFor(prefix, type, timestamp);
      const content = `-- ${type} of ${id}\n`;
      writeFileSync(join(folder, name), content);
      return { type, name, bytes: Buffer.byteLength(content), sha256: createHash('sha256').update(content).digest('hex') };
    });
  if (options.manifest !== false) {
    const manifest = {
      ...syntheticManifest(),
      format: MANIFEST_FORMAT,
      formatVersion: MANIFEST_VERSION,
      id,
      prefix,
      timestamp,
      startedAt: parseTimestamp(timestamp).toISOString(),
      files,
      tables: [],
    };
    writeFileSync(join(folder, manifestNameFor(prefix, timestamp)), JSON.stringify(manifest));
  }
  return id;
}

/** What a backup that wrote the set at `timestamp` (writeSet) returns. */
function justWritten(folder: string, timestamp: string): BackupResult {
  const manifestPath = join(folder, manifestNameFor(PREFIX, timestamp));
  return { folder, manifestPath, manifest: JSON.parse(readFileSync(manifestPath, 'utf8')) as Manifest };
}

function isPulseError(code: string, message?: RegExp): (error: unknown) => boolean {
  return (error: unknown) => error instanceof PulseError && error.code === code && (!message || message.test(`${error.message}: ${cliHint(error.hint ?? [])}`));
}

describe('retention', () => {
  describe('planning', () => {
    it('keeps the newest N sets of the prefix and removes the older ones, leaving other prefixes alone', () => {
      const sets = [
        listed('20250105_000000', 'complete'),
        listed('20250104_000000', 'complete'),
        listed('20250103_000000', 'complete'),
        listed('20250102_000000', 'complete'),
        listed('20250101_000000', 'complete', { prefix: 'shop_archive' }),
      ];
      const plan = planRetention(sets, { prefix: PREFIX, keep: 2 });
      assert.deepEqual(
        plan.kept.map((set) => set.id),
        ['shop_20250105_000000', 'shop_20250104_000000'],
      );
      assert.deepEqual(
        plan.remove.map((set) => set.id),
        ['shop_20250102_000000', 'shop_20250103_000000'],
      );
      assert.deepEqual(plan.protected, []);
    });

    it('with a policy of buckets, keeps the newest set of each day and week and says which rule keeps it; pins and the newest good set still stay', () => {
      const sets = [
        listed('20250112_200000', 'complete'),
        listed('20250112_080000', 'complete'),
        listed('20250111_200000', 'complete'),
        listed('20250111_080000', 'complete', { pinned: true }),
        listed('20250103_080000', 'complete'),
        listed('20250102_080000', 'complete'),
        listed('20241220_080000', 'complete'),
      ];
      const plan = planRetention(sets, { prefix: PREFIX, policy: { last: 1, hourly: 0, daily: 2, weekly: 2, monthly: 0, yearly: 0 }, newestGood: 'shop_20241220_080000' });
      assert.deepEqual(
        plan.kept.map((set) => [set.id, set.rules]),
        [
          ['shop_20250112_200000', ['last', 'daily', 'weekly']],
          ['shop_20250111_200000', ['daily']],
          ['shop_20250103_080000', ['weekly']],
        ],
      );
      assert.deepEqual(
        plan.protected.map((set) => [set.id, set.reason]),
        [
          ['shop_20250111_080000', 'pinned'],
          ['shop_20241220_080000', 'newest-good'],
        ],
      );
      assert.deepEqual(
        plan.remove.map((set) => set.id),
        ['shop_20250102_080000', 'shop_20250112_080000'],
      );
      assert.equal(plan.keep, 1);
    });

    it('takes the set made last for the newest, whatever local time its name carries (another time zone, a repeated hour)', () => {
      // Made under UTC+9 at 01:00 UTC, then under UTC-8 at 02:00 UTC: the newer set's name is the earlier.
      const tokyo = listed('20250105_100000', 'complete', { createdAt: '2025-01-05T01:00:00.000Z' });
      const losAngeles = listed('20250104_180000', 'complete', { createdAt: '2025-01-05T02:00:00.000Z' });
      const older = listed('20250104_200000', 'legacy', { createdAt: '2025-01-04T11:00:00.000Z' });
      assert.deepEqual(
        [tokyo, older, losAngeles].sort(newestFirst).map((set) => set.id),
        [losAngeles.id, tokyo.id, older.id],
      );
      const plan = planRetention([tokyo, older, losAngeles], { prefix: PREFIX, keep: 1 });
      assert.deepEqual(
        plan.kept.map((set) => set.id),
        [losAngeles.id],
      );
      assert.deepEqual(plan.remove.map((set) => set.id).sort(), [older.id, tokyo.id].sort());
      // Equal times: the later name first, then by name.
      const same = '2025-01-05T03:00:00.000Z';
      const first = listed('20250105_030000', 'complete', { createdAt: same });
      const second = listed('20250105_030001', 'complete', { createdAt: same });
      assert.deepEqual([first, second].sort(newestFirst), [second, first]);
    });

    it('counts legacy and incomplete sets toward N, and removes incomplete ones first, then legacy, then complete', () => {
      const sets = [
        listed('20250106_000000', 'incomplete'),
        listed('20250105_000000', 'legacy'),
        listed('20250104_000000', 'complete'),
        listed('20250103_000000', 'legacy'),
        listed('20250102_000000', 'incomplete'),
        listed('20250101_000000', 'complete'),
      ];
      const plan = planRetention(sets, { prefix: PREFIX, keep: 2 });
      assert.deepEqual(
        plan.kept.map((set) => [set.id, set.status]),
        [
          ['shop_20250106_000000', 'incomplete'],
          ['shop_20250105_000000', 'legacy'],
        ],
      );
      assert.deepEqual(
        plan.remove.map((set) => set.id),
        ['shop_20250102_000000', 'shop_20250103_000000', 'shop_20250101_000000', 'shop_20250104_000000'],
      );
    });

    it('keeps pinned sets, the set just written and the newest good set beyond N, and says why', () => {
      const sets = [
        listed('20991231_000000', 'complete'),
        listed('20250105_000000', 'complete'),
        listed('20250104_000000', 'complete', { pinned: true }),
        listed('20250103_000000', 'legacy'),
        listed('20250102_000000', 'complete'),
        listed('20250101_000000', 'complete'),
      ];
      const plan = planRetention(sets, { prefix: PREFIX, keep: 1, justWritten: 'shop_20250105_000000', newestGood: 'shop_20250103_000000' });
      assert.deepEqual(
        plan.kept.map((set) => set.id),
        ['shop_20991231_000000'],
      );
      assert.deepEqual(
        plan.protected.map((set) => [set.id, set.reason]),
        [
          ['shop_20250105_000000', 'just-written'],
          ['shop_20250104_000000', 'pinned'],
          ['shop_20250103_000000', 'newest-good'],
        ],
      );
      assert.deepEqual(
        plan.remove.map((set) => set.id),
        ['shop_20250101_000000', 'shop_20250102_000000'],
      );
    });

    it('a pinned set among the newest N takes its place there', () => {
      const sets = [listed('20250103_000000', 'complete', { pinned: true }), listed('20250102_000000', 'complete'), listed('20250101_000000', 'complete')];
      const plan = planRetention(sets, { prefix: PREFIX, keep: 1 });
      assert.deepEqual(
        plan.kept.map((set) => set.id),
        ['shop_20250103_000000'],
      );
      assert.deepEqual(
        plan.remove.map((set) => set.id),
        ['shop_20250101_000000', 'shop_20250102_000000'],
      );
    });

    it('never counts or removes a set that is still being written', () => {
      const sets = [listed('20250103_000000', 'running'), listed('20250102_000000', 'complete'), listed('20250101_000000', 'complete')];
      const plan = planRetention(sets, { prefix: PREFIX, keep: 1 });
      assert.deepEqual(
        plan.kept.map((set) => set.id),
        ['shop_20250102_000000'],
      );
      assert.deepEqual(
        plan.protected.map((set) => [set.id, set.reason]),
        [['shop_20250103_000000', 'unfinished']],
      );
      assert.deepEqual(
        plan.remove.map((set) => set.id),
        ['shop_20250101_000000'],
      );
    });

    it('never lets safety sets push a backup out: they do not count toward N and keep their own newest few', () => {
      const safety = (timestamp: string, extra: Partial<ListedSet> = {}) => listed(timestamp, 'complete', { purpose: 'safety', ...extra });
      const sets = [
        safety('20250106_000000'),
        safety('20250105_000000'),
        safety('20250104_000000'),
        safety('20250103_000000', { pinned: true }),
        safety('20250102_000000'),
        listed('20250101_000000', 'complete'),
        listed('20241231_000000', 'complete'),
      ];
      const plan = planRetention(sets, { prefix: PREFIX, keep: 1, keepSafety: 2 });
      assert.deepEqual(
        plan.kept.map((set) => set.id),
        ['shop_20250101_000000'],
        'the newest backup is among the newest N, whatever the safety sets',
      );
      assert.deepEqual(
        plan.keptSafety.map((set) => set.id),
        ['shop_20250106_000000', 'shop_20250105_000000'],
      );
      assert.deepEqual(
        plan.protected.map((set) => [set.id, set.reason]),
        [['shop_20250103_000000', 'pinned']],
      );
      assert.deepEqual(
        plan.remove.map((set) => [set.id, set.purpose]),
        [
          ['shop_20241231_000000', 'backup'],
          ['shop_20250102_000000', 'safety'],
          ['shop_20250104_000000', 'safety'],
        ],
      );
      // Without --keep-safety, the default; with 0, every unpinned safety set goes.
      assert.equal(planRetention(sets, { prefix: PREFIX, keep: 3 }).keptSafety.length, 3);
      assert.deepEqual(planRetention(sets, { prefix: PREFIX, keep: 3, keepSafety: 0 }).keptSafety, []);
      assert.throws(() => planRetention(sets, { prefix: PREFIX, keep: 3, keepSafety: -1 }), isPulseError('usage'));
    });

    it('refuses to keep fewer than one set', () => {
      for (const keep of [0, -1, 1.5, Number.NaN]) {
        assert.throws(() => planRetention([], { prefix: PREFIX, keep }), isPulseError('usage'), String(keep));
      }
    });
  });

  describe('a set dated after now', () => {
    it("is believed within ten minutes for a manifest's exact time, a day and more for an old script's local name", () => {
      const now = new Date('2026-12-06T12:00:00.000Z');
      const set = (id: string, createdAt: string, manifest: boolean) =>
        ({ id, prefix: PREFIX, createdAt, ...(manifest ? { manifest: {} } : {}) }) as unknown as Parameters<typeof datedInTheFuture>[0][number];
      assert.equal(datedInTheFuture([set('a', '2026-12-06T12:09:00.000Z', true)], PREFIX, now), undefined);
      assert.equal(datedInTheFuture([set('b', '2026-12-06T12:11:00.000Z', true)], PREFIX, now)?.id, 'b');
      assert.equal(datedInTheFuture([set('c', '2026-12-07T13:00:00.000Z', false)], PREFIX, now), undefined, 'a name in another time zone');
      assert.equal(datedInTheFuture([set('d', '2030-01-01T00:00:00.000Z', false)], PREFIX, now)?.id, 'd');
      assert.equal(datedInTheFuture([set('e', '2030-01-01T00:00:00.000Z', false)], 'other', now), undefined, 'another prefix');
    });
  });

  describe('on disk', () => {
    let folder: string;
    beforeEach(() => {
      folder = mkdtempSync(join(tmpdir(), 'pulse-retention-unit-'));
    });
    afterEach(() => {
      rmSync(folder, { recursive: true, force: true });
    });

    it('a removal cut short at any file leaves a set listed as incomplete, never as complete or legacy', async () => {
      for (const withManifest of [true, false]) {
        const timestamp = withManifest ? '20250101_000000' : '20250102_000000';
        const id = writeSet(folder, timestamp, { manifest: withManifest });
        writeFileSync(join(folder, `${id}.history.json`), '{}');
        writeFileSync(join(folder, `${id}.pinned`), '{}');
        for (const name of removalOrder(PREFIX, timestamp)) {
          if (existsSync(join(folder, name))) unlinkSync(join(folder, name));
          const set = (await listSets(folder)).find((candidate) => candidate.id === id);
          if (set) assert.equal(set.status, 'incomplete', `after removing ${name}`);
        }
        assert.deepEqual(readdirSync(folder), [], 'every file of the set is in the removal order');
      }
    });

    describe('finding the newest good set', () => {
      it('passes over incomplete and failing sets and stops at the first that verifies', async () => {
        writeSet(folder, '20250104_000000', { skip: 'data' });
        writeSet(folder, '20250103_000000');
        writeSet(folder, '20250102_000000', { manifest: false });
        writeSet(folder, '20250101_000000');
        const { verify, asked } = fakeVerify({ shop_20250103_000000: 'fail', shop_20250102_000000: 'warn' });
        const search = await findNewestGoodSet(folder, await listSets(folder), { prefix: PREFIX, env: {}, verify, record: false });
        assert.deepEqual(search.newestGood, { id: 'shop_20250102_000000', outcome: 'warn', source: 'verified' });
        assert.deepEqual(
          search.passedOver.map((set) => set.id),
          ['shop_20250104_000000', 'shop_20250103_000000'],
        );
        assert.match(search.passedOver[1].why, /data file differs/);
        assert.deepEqual(
          asked.map((request) => request.setId),
          ['shop_20250103_000000', 'shop_20250102_000000'],
          'incomplete sets are never verified; the search stops at the first good one',
        );
      });

      it('trusts a recorded verification newer than the files, and checks again when a file changed since', async () => {
        const id = writeSet(folder, '20250101_000000');
        const hourAgo = new Date(Date.now() - 3600_000);
        for (const name of readdirSync(folder)) utimesSync(join(folder, name), hourAgo, hourAgo);
        await recordVerification(folder, report(id, 'fail', { checkedAt: new Date(hourAgo.getTime() - 60_000) }));
        await recordVerification(folder, report(id, 'pass'));

        const unused = fakeVerify({});
        const fromHistory = await findNewestGoodSet(folder, await listSets(folder), { prefix: PREFIX, env: {}, verify: unused.verify, record: false });
        assert.deepEqual(fromHistory.newestGood, { id, outcome: 'pass', source: 'history' });
        assert.equal(unused.asked.length, 0);

        writeFileSync(join(folder, fileNameFor(PREFIX, 'data', '20250101_000000')), '-- data of shop_20250101_000000\n');
        const again = fakeVerify({ [id]: 'fail' });
        const rechecked = await findNewestGoodSet(folder, await listSets(folder), { prefix: PREFIX, env: {}, verify: again.verify, record: true });
        assert.equal(rechecked.newestGood, undefined);
        assert.deepEqual(
          again.asked.map(({ listed: _listed, ...request }) => request),
          [{ folder, setId: id, env: {}, record: true }],
        );
      });

      it('judges a set by its own checks: a failed pre-restore check is about a target', async () => {
        const id = writeSet(folder, '20250101_000000');
        const hourAgo = new Date(Date.now() - 3600_000);
        for (const name of readdirSync(folder)) utimesSync(join(folder, name), hourAgo, hourAgo);
        const both = report(id, 'pass');
        both.groups.push(report(id, 'fail', { group: 'pre-restore' }).groups[0]);
        both.outcome = 'fail';
        await recordVerification(folder, both);
        const search = await findNewestGoodSet(folder, await listSets(folder), { prefix: PREFIX, env: {}, verify: fakeVerify({}).verify, record: false });
        assert.equal(search.newestGood?.id, id);
      });

      it('never takes a safety set for the newest good backup', async () => {
        const backup = writeSet(folder, '20250101_000000');
        const safety = writeSet(folder, '20250102_000000');
        const manifestPath = join(folder, manifestNameFor(PREFIX, '20250102_000000'));
        writeFileSync(manifestPath, JSON.stringify({ ...JSON.parse(readFileSync(manifestPath, 'utf8')), purpose: 'safety' }));
        const { verify, asked } = fakeVerify({ [backup]: 'pass', [safety]: 'pass' });
        const search = await findNewestGoodSet(folder, await listSets(folder), { prefix: PREFIX, env: {}, verify, record: false });
        assert.equal(search.newestGood?.id, backup);
        assert.deepEqual(
          asked.map((request) => request.setId),
          [backup],
        );
      });

      it('passes over a set whose latest proof failed, even the one a backup has just written; a later proof that passes makes it good again', async () => {
        const older = writeSet(folder, '20250101_000000');
        const newer = writeSet(folder, '20250102_000000');
        await recordProof(folder, proofOf(newer, 'failed'));
        const { verify } = fakeVerify({ [older]: 'pass' });
        for (const justWritten of [undefined, newer]) {
          const search = await findNewestGoodSet(folder, await listSets(folder), { prefix: PREFIX, env: {}, verify, record: false, ...(justWritten ? { justWritten } : {}) });
          assert.equal(search.newestGood?.id, older);
          assert.deepEqual(
            search.passedOver.map((set) => set.id),
            [newer],
          );
          assert.match(search.passedOver[0].why, /failed its proof: NOT proved: schema then data: public\.orders/);
        }
        await recordProof(folder, proofOf(newer, 'proved'));
        const search = await findNewestGoodSet(folder, await listSets(folder), { prefix: PREFIX, env: {}, verify, record: false, justWritten: newer });
        assert.equal(search.newestGood?.id, newer);
      });

      it('the set a backup has just written counts as good without being read', async () => {
        const id = writeSet(folder, '20250101_000000');
        const { verify, asked } = fakeVerify({});
        const search = await findNewestGoodSet(folder, await listSets(folder), { prefix: PREFIX, env: {}, verify, record: false, justWritten: id });
        assert.deepEqual(search.newestGood, { id, outcome: 'pass', source: 'just-written' });
        assert.equal(asked.length, 0);
      });
    });

    describe('pruning a folder', () => {
      it('removes old sets whole and leaves foreign files, other prefixes and pinned sets alone', async () => {
        for (const day of ['01', '02', '03', '04', '05']) writeSet(folder, `202501${day}_000000`);
        writeSet(folder, '20250101_000000', { prefix: 'shop_archive' });
        writeFileSync(join(folder, pinNameFor(PREFIX, '20250102_000000')), '{}');
        writeFileSync(join(folder, 'notes.txt'), 'keep me');
        writeFileSync(join(folder, 'seed.sql'), 'select 1;');
        writeFileSync(join(folder, 'shop_complete_backup_20250101_000000.sql.bz2'), 'zipped');
        writeFileSync(join(folder, 'shop_20250101_000000.history.json.bak'), 'backup of a history');
        const foreign = ['notes.txt', 'seed.sql', 'shop_complete_backup_20250101_000000.sql.bz2', 'shop_20250101_000000.history.json.bak'];
        const before = folderState(folder);
        const { verify } = fakeVerify({ shop_20250105_000000: 'pass' });

        const result = await pruneSets({ folder, prefix: PREFIX, keep: 2, env: {}, verify });

        assert.deepEqual(
          result.kept.map((set) => set.id),
          ['shop_20250105_000000', 'shop_20250104_000000'],
        );
        assert.deepEqual(
          result.protected.map((set) => [set.id, set.reason]),
          [['shop_20250102_000000', 'pinned']],
        );
        assert.deepEqual(
          result.removed.map((set) => set.id),
          ['shop_20250101_000000', 'shop_20250103_000000'],
        );
        const after = folderState(folder);
        for (const name of foreign) assert.equal(after[name], before[name], name);
        assert.ok(
          !Object.keys(after).some((name) => name.includes('20250103') || /^shop_(schema|data|complete)_backup_20250101_000000\.sql$|^shop_20250101_000000\.manifest/.test(name)),
        );
        assert.ok(after['shop_archive_20250101_000000.manifest.json']);
        assert.ok(!existsSync(join(folder, '.pulse-backup.lock')), 'the lock is released');
      });

      it('a dry run removes nothing and writes nothing, and says what it would remove', async () => {
        for (const day of ['01', '02', '03']) writeSet(folder, `202501${day}_000000`);
        const before = folderState(folder);
        const { verify, asked } = fakeVerify({ shop_20250103_000000: 'pass' });
        const result = await pruneSets({ folder, prefix: PREFIX, keep: 1, env: {}, verify, dryRun: true });
        assert.equal(result.dryRun, true);
        assert.deepEqual(
          result.removed.map((set) => set.id),
          ['shop_20250101_000000', 'shop_20250102_000000'],
        );
        assert.deepEqual(folderState(folder), before);
        assert.equal(asked[0]?.record, false, 'a dry run records no verification');
      });

      it('refuses, removing nothing, while a live process holds the folder lock', async () => {
        for (const day of ['01', '02']) writeSet(folder, `202501${day}_000000`);
        writeFileSync(join(folder, '.pulse-backup.lock'), JSON.stringify({ pid: process.pid, host: hostname(), startedAt: new Date().toISOString(), purpose: 'backup' }));
        const before = folderState(folder);
        for (const dryRun of [false, true]) {
          await assert.rejects(
            pruneSets({ folder, prefix: PREFIX, keep: 1, env: {}, verify: fakeVerify({}).verify, dryRun }),
            isPulseError('backup-locked', /another backup is running .*nothing was removed/),
          );
        }
        assert.deepEqual(folderState(folder), before);
      });

      it('removes nothing when the newest good set cannot be established', async () => {
        for (const day of ['01', '02']) writeSet(folder, `202501${day}_000000`);
        const before = folderState(folder);
        const verify = () => Promise.reject(new PulseError('tools-not-found', 'psql was not found', { hint: 'install the PostgreSQL client tools' }));
        await assert.rejects(
          pruneSets({ folder, prefix: PREFIX, keep: 1, env: {}, verify }),
          isPulseError('tools-not-found', /cannot verify shop_20250102_000000.*nothing was removed/),
        );
        assert.deepEqual(folderState(folder), before);
        assert.ok(!existsSync(join(folder, '.pulse-backup.lock')));
      });

      it('keeps a set pinned while the prune was verifying', async () => {
        for (const day of ['01', '02']) writeSet(folder, `202501${day}_000000`);
        const verify = (request: VerifyRequest) => {
          writeFileSync(join(folder, pinNameFor(PREFIX, '20250101_000000')), '{}');
          return Promise.resolve(report(request.setId, 'pass'));
        };
        const result = await pruneSets({ folder, prefix: PREFIX, keep: 1, env: {}, verify });
        assert.deepEqual(result.removed, []);
        assert.deepEqual(
          result.protected.map((set) => [set.id, set.reason]),
          [['shop_20250101_000000', 'pinned']],
        );
        assert.ok(existsSync(join(folder, manifestNameFor(PREFIX, '20250101_000000'))));
      });

      it('has nothing to do in a folder that does not exist, and creates none', async () => {
        const missing = join(folder, 'nope');
        const result = await pruneSets({ folder: missing, prefix: PREFIX, keep: 1, env: {}, verify: fakeVerify({}).verify });
        assert.deepEqual([result.kept, result.removed, result.protected], [[], [], []]);
        assert.ok(!existsSync(missing));
      });

      it("after a backup, records what it removed in the new set's history, and nothing when it removed nothing", async () => {
        for (const day of ['01', '02', '03']) writeSet(folder, `202501${day}_000000`);
        const backup = (timestamp: string): BackupResult => justWritten(folder, timestamp);
        const quiet = await pruneAfterBackup(backup('20250103_000000'), { keep: 3, env: {}, verify: fakeVerify({}).verify });
        assert.deepEqual(quiet.removed, []);
        assert.ok(!existsSync(join(folder, 'shop_20250103_000000.history.json')));

        // Keep 3 kept all three; the next backup's policy keeps 2: the oldest falls out, routine.
        writeSet(folder, '20250104_000000');
        const { verify, asked } = fakeVerify({});
        const result = await pruneAfterBackup(backup('20250104_000000'), { keep: 3, env: {}, verify });
        assert.equal(asked.length, 0, 'the new set is not read again');
        assert.deepEqual(
          result.removed.map((set) => set.id),
          ['shop_20250101_000000'],
        );
        assert.deepEqual(result.heldBack, []);
        const history = await readHistory(folder, 'shop_20250104_000000');
        assert.equal(history.retention.length, 1);
        assert.deepEqual(history.retention[0].removed, ['shop_20250101_000000']);
        assert.equal(history.retention[0].keep, 3);
        assert.equal(history.retention[0].policy, 'the last 3');
      });

      it("after a backup, the listing takes the new set's manifest from the backup, not from the folder, and reads the others' from their files", async () => {
        for (const day of ['01', '02']) writeSet(folder, `202501${day}_000000`);
        const backup = justWritten(folder, '20250102_000000');
        // Spoil both manifests on disk: only the older one is read back, and its set is then incomplete.
        for (const day of ['01', '02']) writeFileSync(join(folder, manifestNameFor(PREFIX, `202501${day}_000000`)), '{');
        const result = await pruneAfterBackup(backup, { keep: 5, env: {}, verify: fakeVerify({}).verify });
        assert.deepEqual(
          result.kept.map((set) => [set.id, set.status]),
          [
            ['shop_20250102_000000', 'complete'],
            ['shop_20250101_000000', 'incomplete'],
          ],
        );
      });

      it('after a backup, holds back removals that need a confirmation and records them; a confirmed list removes exactly that', async () => {
        for (const day of ['01', '02', '03', '04', '05', '06']) writeSet(folder, `202501${day}_000000`);
        const backup = justWritten(folder, '20250106_000000');
        const before = folderState(folder);
        // Retention never ran here: none of the five older sets was kept under this policy.
        const held = await pruneAfterBackup(backup, { keep: 1, env: {}, verify: fakeVerify({}).verify });
        assert.deepEqual(held.removed, []);
        assert.deepEqual(held.heldBack.map((set) => set.id).sort(), [
          'shop_20250101_000000',
          'shop_20250102_000000',
          'shop_20250103_000000',
          'shop_20250104_000000',
          'shop_20250105_000000',
        ]);
        assert.equal(held.review.confirm, true);
        assert.match(held.review.reasons.join('; '), /5 sets at once/);
        assert.match(held.review.reasons.join('; '), /5 sets this policy has not kept before \(retention has not run in this folder yet\)/);
        for (const name of Object.keys(before)) assert.ok(existsSync(join(folder, name)), `${name} is still there`);
        assert.deepEqual((await readHistory(folder, backup.manifest.id)).retention[0].heldBack?.length, 5);

        const confirmed = await pruneAfterBackup(backup, {
          keep: 1,
          confirmed: new Set(['shop_20250101_000000', 'shop_20250102_000000']),
          env: {},
          verify: fakeVerify({}).verify,
        });
        assert.deepEqual(
          confirmed.removed.map((set) => set.id),
          ['shop_20250101_000000', 'shop_20250102_000000'],
        );
        assert.deepEqual(
          confirmed.heldBack.map((set) => set.id),
          ['shop_20250103_000000', 'shop_20250104_000000', 'shop_20250105_000000'],
        );
        assert.deepEqual(
          (await listSets(folder)).map((set) => set.id),
          ['shop_20250106_000000', 'shop_20250105_000000', 'shop_20250104_000000', 'shop_20250103_000000'],
        );
      });

      it('removes exactly what the person confirmed: a set that became due or changed after the question stays, and the toast counts what went', async () => {
        for (const day of ['01', '02', '03', '04']) writeSet(folder, `202501${day}_000000`);
        const verify = fakeVerify({ shop_20250104_000000: 'pass', shop_20250105_000000: 'pass' }).verify;
        const preview = await pruneSets({ folder, prefix: PREFIX, keep: 2, dryRun: true, env: {}, verify });
        assert.deepEqual(preview.removed.map((set) => set.id).sort(), ['shop_20250101_000000', 'shop_20250102_000000']);
        // While the dialog is open: a backup lands (so 03 falls out of the last 2), and 02 grows.
        writeSet(folder, '20250105_000000');
        appendFileSync(join(folder, fileNameFor(PREFIX, 'complete', '20250102_000000')), '-- more\n');
        const result = await pruneSets({ folder, prefix: PREFIX, keep: 2, confirmed: confirmedRemovals(preview), env: {}, verify });
        assert.deepEqual(
          result.removed.map((set) => set.id),
          ['shop_20250101_000000'],
        );
        assert.deepEqual(result.heldBack.map((set) => set.id).sort(), ['shop_20250102_000000', 'shop_20250103_000000']);
        assert.deepEqual(
          (await listSets(folder)).map((set) => set.id),
          ['shop_20250105_000000', 'shop_20250104_000000', 'shop_20250103_000000', 'shop_20250102_000000'],
        );
        assert.match(
          prunedMessage(result),
          /^Removed 1 backup set \(\d+ B\) of shop\. Kept 2 sets that changed or became due after you were asked \(shop_20250102_000000, shop_20250103_000000\)/,
        );
      });

      it('a record that cannot be written fails nothing: the removals stand, and a warning says so', async () => {
        for (const day of ['01', '02', '03']) writeSet(folder, `202501${day}_000000`);
        // A folder where the record should be: writing it fails, as on a full disk.
        mkdirSync(join(folder, '.pulse-backup.retention.json'));
        const result = await pruneSets({ folder, prefix: PREFIX, keep: 1, env: {}, verify: fakeVerify({ shop_20250103_000000: 'pass' }).verify });
        assert.deepEqual(result.removed.map((set) => set.id).sort(), ['shop_20250101_000000', 'shop_20250102_000000']);
        assert.equal(result.warnings.length, 1);
        assert.match(
          formatError(result.warnings[0], commandLineWords),
          /^cannot record what retention kept in .*\.pulse-backup\.retention\.json .*: nothing else changed; the next run asks before removing sets it cannot tell it kept before$/,
        );
      });

      it('remembers what each run kept, per prefix and policy, so the next run can tell a routine removal from a new one', async () => {
        for (const day of ['01', '02', '03']) writeSet(folder, `202501${day}_000000`);
        writeSet(folder, '20250101_000000', { prefix: 'other' });
        await pruneSets({ folder, prefix: PREFIX, keep: 3, env: {}, verify: fakeVerify({}).verify });
        assert.deepEqual(await readRetentionMemory(folder, PREFIX), {
          policy: 'last=3,hourly=0,daily=0,weekly=0,monthly=0,yearly=0',
          kept: ['shop_20250103_000000', 'shop_20250102_000000', 'shop_20250101_000000'],
        });
        assert.equal(await readRetentionMemory(folder, 'other'), undefined);
        assert.ok(!(await listSets(folder)).some((set) => set.id.includes('retention')), 'the record is not a set');

        writeSet(folder, '20250104_000000');
        const verify = fakeVerify({ shop_20250104_000000: 'pass' }).verify;
        const routine = await pruneSets({ folder, prefix: PREFIX, keep: 3, confirmed: 'routine', dryRun: true, env: {}, verify });
        assert.deepEqual(routine.review, { confirm: false, unseen: [], reasons: [] });
        assert.deepEqual(
          routine.removed.map((set) => set.id),
          ['shop_20250101_000000'],
        );

        const changed = await pruneSets({ folder, prefix: PREFIX, keep: 2, confirmed: 'routine', dryRun: true, env: {}, verify });
        assert.equal(changed.review.confirm, true);
        assert.match(changed.review.reasons[0], /the policy changed/);
        assert.deepEqual(changed.removed, []);
        assert.equal(changed.heldBack.length, 2);
      });
    });

    describe('pinning', () => {
      it('pins and unpins with a marker beside the set, and says when nothing changed', async () => {
        const id = writeSet(folder, '20250101_000000');
        const marker = join(folder, pinNameFor(PREFIX, '20250101_000000'));
        assert.deepEqual(await pinSet(folder, id), { id, pinned: true, changed: true });
        assert.ok(existsSync(marker));
        assert.deepEqual(await pinSet(folder, id), { id, pinned: true, changed: false });
        assert.equal((await listSets(folder))[0].pinned, true);
        assert.deepEqual(await unpinSet(folder, id), { id, pinned: false, changed: true });
        assert.ok(!existsSync(marker));
        assert.deepEqual(await unpinSet(folder, id), { id, pinned: false, changed: false });
        assert.ok(!readdirSync(folder).some((name) => name.endsWith('.partial')));
      });

      it("an unknown set is the listing's error", async () => {
        writeSet(folder, '20250101_000000');
        await assert.rejects(pinSet(folder, 'shop_20240101_000000'), isPulseError('unknown-set', /no backup set shop_20240101_000000/));
        await assert.rejects(unpinSet(folder, 'nonsense'), isPulseError('unknown-set'));
      });
    });

    describe('deleting one set', () => {
      it('removes every file of the set, history and pin marker included, and nothing else', async () => {
        const keep = writeSet(folder, '20250101_000000');
        const gone = writeSet(folder, '20250102_000000');
        await pinSet(folder, gone);
        await recordVerification(folder, report(gone, 'pass'));
        writeFileSync(join(folder, 'notes.md'), 'keep me\n');
        const before = folderState(folder);
        const removed = await deleteSet(folder, gone);
        assert.equal(removed.id, gone);
        const after = folderState(folder);
        const expected = Object.fromEntries(Object.entries(before).filter(([name]) => !name.startsWith(`${PREFIX}_`) || !name.includes('20250102_000000')));
        assert.deepEqual(after, expected);
        assert.deepEqual(
          (await listSets(folder)).map((set) => set.id),
          [keep],
        );
        assert.ok(!existsSync(join(folder, '.pulse-backup.lock')), 'the lock is released');
      });

      it('refuses an unknown set, and any set while a live process holds the folder lock', async () => {
        const id = writeSet(folder, '20250101_000000');
        await assert.rejects(deleteSet(folder, 'shop_20240101_000000'), isPulseError('unknown-set'));
        writeFileSync(join(folder, '.pulse-backup.lock'), JSON.stringify({ pid: process.pid, host: hostname(), startedAt: new Date().toISOString(), purpose: 'backup' }));
        const before = folderState(folder);
        // A held lock with hidden temporaries is a backup being written; the set itself is complete.
        await assert.rejects(deleteSet(folder, id), isPulseError('backup-locked', /another backup is running .*nothing was removed/));
        assert.deepEqual(folderState(folder), before);
      });
    });
  });
});
