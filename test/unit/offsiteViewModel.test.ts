/**
 * What the extension shows of offsite copies, without VS Code: the cloud
 * mark on a local set (checked against the remote's listing, or as the push
 * recorded it, and none once the listed remote has no such copy), the
 * Remote group and its sets, the status bar's "Last offsite copy" line, and
 * the words of the task terminal and the toasts.
 */
import * as assert from 'node:assert/strict';
import type { RemoteSet } from '../../src/core/offsite/listing';
import type { RemoteManifest } from '../../src/core/offsite/remoteManifest';
import type { PushResult } from '../../src/core/offsite/push';
import type { OffsiteCopyRecord } from '../../src/core/sets/history';
import type { ListedSet } from '../../src/core/sets/listing';
import type { Manifest } from '../../src/core/sets/manifest';
import {
  localCounterpart,
  offsiteMark,
  offsiteStatusLine,
  offsiteSummary,
  offsiteTooltipLine,
  remoteGroupModel,
  remoteSetModel,
  type RemoteFacts,
} from '../../src/extension/offsiteViewModel';
import { offsiteKeysPrompt, offsiteStorageWords, pushDoneLines, pushedMessage, pushProgressText, pullProgressText } from '../../src/extension/offsiteText';
import { backupDoneMessage } from '../../src/extension/dialogs';
import { statusBarModel } from '../../src/extension/statusBarModel';
import { setAccessibleLabel, setContextValue, setDescription, setTooltipMarkdown, type SetEntry } from '../../src/extension/viewModel';

const NOW = new Date('2025-09-02T12:00:00.000Z');
const ago = (hours: number) => new Date(NOW.getTime() - hours * 3_600_000).toISOString();
const LOCATION = { bucket: 'team-backups', prefix: 'factory-pulse' };
const WHERE = 'https://abc.r2.cloudflarestorage.com';

function filesOf(id: string, digit: string): Manifest['files'] {
  const stamp = id.slice(-15);
  return (['schema', 'data', 'complete'] as const).map((type, index) => ({
    type,
    name: `factory_pulse_${type}_backup_${stamp}.sql`,
    bytes: 1000 * (index + 1),
    sha256: digit.repeat(64),
  }));
}

/** A local complete set with a manifest whose files carry the given checksum digit. */
function localSet(timestamp: string, digit = 'a', hoursOld = 2): ListedSet {
  const id = `factory_pulse_${timestamp}`;
  const files = filesOf(id, digit);
  return {
    id,
    prefix: 'factory_pulse',
    timestamp,
    createdAt: ago(hoursOld),
    status: 'complete',
    problems: [],
    purpose: 'backup',
    files: files.map(({ type, name, bytes }) => ({ type, name, bytes })),
    totalBytes: 6000,
    hasManifest: true,
    pinned: false,
    hasHistory: true,
    interrupted: false,
    manifest: {
      id,
      prefix: 'factory_pulse',
      timestamp,
      startedAt: ago(hoursOld),
      files,
      durationMs: 400,
      tables: [],
      server: { version: '15.18', versionNum: 150018 },
      database: { host: '127.0.0.1', port: 5432, name: 'factory', user: 'app' },
    } as unknown as Manifest,
  };
}

function record(set: ListedSet, pushedHoursAgo: number, url = `s3://team-backups/factory-pulse/${set.id}`): OffsiteCopyRecord {
  return { url, where: WHERE, pushedAt: ago(pushedHoursAgo), recordedAt: ago(pushedHoursAgo), how: 'pushed', files: set.manifest?.files ?? [] };
}

/** The remote's copy of a set: its manifest the set's own plus what is stored. */
function remoteCopy(set: ListedSet, pushedHoursAgo: number, extra: Partial<RemoteSet> = {}): RemoteSet {
  const manifest = { ...set.manifest, offsite: { pushedAt: ago(pushedHoursAgo), pushedBy: '0.1.0', stored: set.manifest?.files ?? [] } } as RemoteManifest;
  return {
    id: set.id,
    prefix: set.prefix,
    timestamp: set.timestamp,
    createdAt: set.createdAt,
    status: 'complete',
    problems: [],
    files: manifest.offsite.stored,
    totalBytes: 6000,
    purpose: 'backup',
    pushedAt: ago(pushedHoursAgo),
    url: `s3://team-backups/factory-pulse/${set.id}`,
    encrypted: false,
    manifest,
    ...extra,
  };
}

function listed(sets: RemoteSet[], listedHoursAgo = 0): RemoteFacts {
  return { location: LOCATION, where: WHERE, sets, listedAt: new Date(ago(listedHoursAgo)) };
}

describe('offsite copies in the extension', () => {
  describe('the cloud mark on a local set', () => {
    it('is checked when the listed remote holds a complete copy with the same files and checksums', () => {
      const set = localSet('20250902_100000');
      const mark = offsiteMark({ set }, listed([remoteCopy(set, 1)]));
      assert.deepEqual(mark && { checked: mark.checked, url: mark.url, pushedAt: mark.pushedAt }, {
        checked: true,
        url: 's3://team-backups/factory-pulse/factory_pulse_20250902_100000',
        pushedAt: ago(1),
      });
      assert.match(
        offsiteTooltipLine(mark, NOW),
        /^Offsite: \$\(cloud\) copy at `s3:\/\/team-backups\/factory-pulse\/factory_pulse_20250902_100000` \(https:\/\/abc\.r2\.cloudflarestorage\.com\), pushed 1h ago; its checksums checked against the remote just now$/,
      );
    });

    it('comes from the push record until the remote is listed, and says so', () => {
      const set = localSet('20250902_100000');
      const mark = offsiteMark({ set, offsiteCopies: [record(set, 3)] });
      assert.equal(mark?.checked, false);
      assert.match(offsiteTooltipLine(mark, NOW), /pushed 3h ago; as the push recorded it \(expand the Remote group to check it there\)$/);
      assert.equal(offsiteMark({ set }), undefined, 'no record, no listing: no mark');
    });

    it('is gone once the listed remote no longer has the copy, or holds other files under its name', () => {
      const set = localSet('20250902_100000');
      const entry: SetEntry = { set, offsiteCopies: [record(set, 3)] };
      assert.equal(offsiteMark(entry, listed([])), undefined, 'pruned or removed there');
      const other = remoteCopy(localSet('20250902_100000', 'b'), 1);
      assert.equal(offsiteMark(entry, listed([other])), undefined, 'another set under the same id');
      assert.equal(offsiteMark(entry, listed([remoteCopy(set, 1, { status: 'damaged', problems: ['x is missing'] })])), undefined, 'a damaged copy');
      assert.equal(offsiteMark(entry, listed([remoteCopy(set, 1, { status: 'incomplete' })])), undefined, 'a push under way or dead');
    });

    it('keeps a recorded copy at another remote than the one listed', () => {
      const set = localSet('20250902_100000');
      const elsewhere = record(set, 5, `s3://old-bucket/archive/${set.id}`);
      const mark = offsiteMark({ set, offsiteCopies: [elsewhere] }, listed([]));
      assert.equal(mark?.url, `s3://old-bucket/archive/${set.id}`);
      assert.equal(mark?.checked, false);
    });

    it('shows in the row after the size, in the tooltip, to a screen reader, and makes the set pushable where offsite is set up', () => {
      const set = localSet('20250902_100000');
      const entry: SetEntry = { set };
      assert.equal(setDescription(entry, NOW, { offsite: true }), '5.9 KB · ☁ offsite · 2h ago');
      assert.equal(setDescription(entry, NOW), '5.9 KB · 2h ago');
      assert.equal(setAccessibleLabel(entry, NOW, 'factory_pulse', true), 'Backup set 2025-09-02 10:00:00, not verified yet, 5.9 KB · copied offsite · 2h ago');
      const tooltip = setTooltipMarkdown(entry, NOW, { offsiteLine: offsiteTooltipLine(undefined, NOW) });
      assert.match(tooltip, /\nOffsite: no copy$/);
      assert.ok(!setTooltipMarkdown(entry, NOW).includes('Offsite'), 'nothing about offsite where it is not set up');
      assert.match(setContextValue(entry, { offsiteSetUp: true }), /\bpushable\b/);
      assert.doesNotMatch(setContextValue(entry), /\bpushable\b/);
      assert.doesNotMatch(setContextValue({ set: { ...set, status: 'incomplete' } }, { offsiteSetUp: true }), /\bpushable\b/, 'only a complete set can be pushed');
    });
  });

  describe('the Remote group', () => {
    it('names the remote, and once listed how many sets it holds', () => {
      assert.deepEqual(remoteGroupModel('s3://team-backups/factory-pulse', undefined), {
        label: 'Remote',
        description: 's3://team-backups/factory-pulse',
        tooltip: 'Offsite copies at s3://team-backups/factory-pulse: listed when expanded',
        icon: { id: 'cloud', color: 'charts.blue' },
      });
      const set = localSet('20250902_100000');
      const model = remoteGroupModel('s3://team-backups/factory-pulse', {
        kind: 'listed',
        where: WHERE,
        sets: [remoteCopy(set, 1), { ...remoteCopy(set, 1), status: 'incomplete' }],
      });
      assert.equal(model.description, 's3://team-backups/factory-pulse · 1 set, 1 not complete');
      assert.equal(remoteGroupModel('s3://x/y', { kind: 'failed' }).icon.color, 'list.errorForeground');
    });

    it('shows each remote set with its date, size, when it was pushed and whether the folder has it; only complete ones can be pulled', () => {
      const set = localSet('20250902_100000');
      const copy = remoteCopy(set, 1);
      assert.equal(localCounterpart(copy, [{ set }]), 'same');
      assert.equal(localCounterpart(copy, [{ set: localSet('20250902_100000', 'c') }]), 'different');
      assert.equal(localCounterpart(copy, []), 'absent');
      const model = remoteSetModel(copy, NOW, { folderPrefix: 'factory_pulse', here: 'same' });
      assert.equal(model.label, '2025-09-02 10:00:00');
      assert.equal(model.description, '5.9 KB · pushed 1h ago · also here');
      assert.equal(model.contextValue, 'remoteSet complete local');
      assert.match(model.tooltip, /Status: \$\(cloud\) complete copy/);
      assert.match(model.tooltip, /Database: `app@127\.0\.0\.1:5432\/factory`/);
      const absent = remoteSetModel(copy, NOW, { folderPrefix: 'factory_pulse', here: 'absent' });
      assert.match(absent.tooltip, /not in the backups folder: Pull and Restore… brings it here first/);
      const dead = remoteSetModel({ ...copy, status: 'incomplete', problems: ['no manifest: a push that did not finish (or is still under way)'] }, NOW, { here: 'absent' });
      assert.equal(dead.contextValue, 'remoteSet incomplete');
      assert.equal(dead.icon.id, 'circle-slash');
      assert.match(dead.description, /incomplete$/);
      assert.match(dead.tooltip, /- no manifest: a push that did not finish/);
      const otherProject = remoteSetModel({ ...copy, prefix: 'plant_porto', id: 'plant_porto_20250902_100000' }, NOW, { folderPrefix: 'factory_pulse', here: 'absent' });
      assert.match(otherProject.description, /· plant_porto ·/);
    });

    it('says a remote copy is encrypted, and whether only there (pulled, it is decrypted with the folder’s passphrase) or the set itself', () => {
      const set = localSet('20250902_100000');
      const copy = remoteCopy(set, 1);
      assert.doesNotMatch(remoteSetModel(copy, NOW, { here: 'same' }).tooltip, /Encrypted/);
      const remoteOnly = {
        ...copy,
        encrypted: true,
        manifest: { ...copy.manifest!, offsite: { ...copy.manifest!.offsite, encryption: { format: 'age', method: 'passphrase' } } },
      } as RemoteSet;
      const model = remoteSetModel(remoteOnly, NOW, { folderPrefix: 'factory_pulse', here: 'absent' });
      assert.equal(model.description, '5.9 KB · encrypted · pushed 1h ago');
      assert.match(model.tooltip, /Encrypted: \$\(lock\) age, with a passphrase, for the remote only: Pull and Restore… decrypts it on the way/);
      const itself = { ...copy, encrypted: true, manifest: { ...copy.manifest!, encryption: { format: 'age', method: 'passphrase' } } } as RemoteSet;
      assert.match(remoteSetModel(itself, NOW, { here: 'absent' }).tooltip, /Encrypted: \$\(lock\) age, with a passphrase: the set itself is encrypted/);
      const toRecipients = { ...copy, encrypted: true, manifest: { ...copy.manifest!, encryption: { format: 'age', method: 'recipients', recipients: ['age1x'] } } } as RemoteSet;
      assert.match(remoteSetModel(toRecipients, NOW, { here: 'absent' }).tooltip, /age, to age recipients: their identity file decrypts it, on the command line/);
    });
  });

  describe("the status bar's tooltip", () => {
    it('says when the last offsite copy was made, that none exists yet, or that offsite copies are not set up', () => {
      const newer = localSet('20250902_100000');
      const older = localSet('20250901_100000', 'b', 26);
      const marks = [
        { setId: newer.id, mark: undefined },
        { setId: older.id, mark: offsiteMark({ set: older, offsiteCopies: [record(older, 20)] }) },
      ];
      const summary = offsiteSummary('s3://team-backups/factory-pulse', marks, undefined, 'factory_pulse');
      assert.deepEqual(summary.last, { setId: older.id, pushedAt: ago(20) });
      assert.equal(offsiteStatusLine(summary, NOW), 'Last offsite copy: 20h ago (`factory_pulse_20250901_100000` at `s3://team-backups/factory-pulse`)');
      // A set pushed from another machine, or removed here since, counts once the remote is listed.
      const remote = listed([remoteCopy(localSet('20250902_110000', 'd', 1), 0.5)]);
      assert.equal(offsiteSummary('s3://team-backups/factory-pulse', marks, remote, 'factory_pulse').last?.setId, 'factory_pulse_20250902_110000');
      assert.equal(offsiteSummary('s3://team-backups/factory-pulse', marks, remote, 'plant_porto').last?.setId, older.id, "another project's sets do not count");
      assert.equal(offsiteStatusLine(offsiteSummary('s3://team-backups/factory-pulse', [], undefined), NOW), 'Last offsite copy: none yet (`s3://team-backups/factory-pulse`)');
      assert.equal(offsiteStatusLine(offsiteSummary(undefined, marks), NOW), 'Offsite copies: not set up (Pulse Backup: Offsite: URL)');
    });

    it('puts the line under the last good backup', () => {
      const set = localSet('20250902_100000');
      const model = statusBarModel(
        [
          {
            key: 'file:///w',
            name: 'w',
            entries: [{ set }],
            staleAfterHours: 24,
            configured: true,
            offsite: { url: 's3://team-backups/factory-pulse', last: { setId: set.id, pushedAt: ago(3) } },
          },
        ],
        NOW,
      );
      assert.match(model.tooltip, /Proof: Not proved yet[^\n]*\n\nLast offsite copy: 3h ago \(`factory_pulse_20250902_100000` at `s3:\/\/team-backups\/factory-pulse`\)/);
    });
  });

  describe('the terminal and the toasts', () => {
    it('shows each file going up live, then a line once its SHA-256 is checked, and the manifest written last', () => {
      assert.deepEqual(pushProgressText({ kind: 'connected', where: WHERE, url: 's3://team-backups/factory-pulse/s' }), {
        line: `Connected to ${WHERE}: copying to s3://team-backups/factory-pulse/s`,
      });
      assert.deepEqual(pushProgressText({ kind: 'file-progress', name: 'f.sql', sent: 4 * 1024 * 1024, bytes: 16 * 1024 * 1024 }), { live: '  f.sql  25%  4.0 MB of 16.0 MB' });
      assert.match(pushProgressText({ kind: 'file-done', name: 'f.sql', bytes: 1024 }).line ?? '', /^ {2}f\.sql +1\.0 KB {2}SHA-256 checked$/);
      assert.match(pushProgressText({ kind: 'manifest', name: 's.manifest.json' }).line ?? '', /written last: the copy is complete$/);
      assert.deepEqual(pushProgressText({ kind: 'cleaned', keys: ['a', 'b'] }), { line: 'Aborted 2 unfinished uploads a stopped push had left' });
      assert.equal(pullProgressText({ kind: 'file-progress', name: 'f.sql', received: 0, bytes: 0 }).live, '  f.sql  100%  0 B of 0 B');
    });

    it("says what was sent, or that the same copy was there, and what the remote's retention removed", () => {
      const result: PushResult = {
        setId: 's_20250902_100000',
        url: 's3://b/p/s_20250902_100000',
        bytes: 2048,
        durationMs: 1500,
        alreadyThere: false,
        encrypted: false,
        cleanedUploads: [],
      };
      assert.deepEqual(pushDoneLines(result), ['Pushed s_20250902_100000 to s3://b/p/s_20250902_100000: 2.0 KB in 1.5 s, every file checked against its SHA-256.']);
      const pruned = { ...result, retention: { removed: ['s_20250801_100000'], removedLeftovers: [], kept: ['s_20250902_100000'], cleanedUploads: [] } };
      assert.deepEqual(pushDoneLines(pruned).slice(1), ['Offsite retention removed 1 older set there: s_20250801_100000.']);
      assert.equal(
        pushedMessage(pruned),
        'Pushed s_20250902_100000 to s3://b/p/s_20250902_100000 (2.0 KB), every file checked against its SHA-256. Offsite retention removed 1 older set there.',
      );
      assert.equal(pushedMessage({ ...result, alreadyThere: true }), 's_20250902_100000 was already copied to s3://b/p/s_20250902_100000: nothing was sent.');
    });

    it('names the storage of the offsite keys without the user and password an endpoint setting may hold', () => {
      const endpoint = 'http://minioadmin:S3cr3tMinioPass@127.0.0.1:9000';
      assert.equal(offsiteStorageWords('backups', endpoint), 's3://backups at http://127.0.0.1:9000');
      assert.equal(offsiteStorageWords('backups', 'https://AKIA@s3.example.com/'), 's3://backups at https://s3.example.com');
      assert.equal(offsiteStorageWords('backups', undefined), 's3://backups');
      assert.equal(offsiteKeysPrompt(endpoint, undefined, false), "Kept in VS Code's secret storage and sent only to http://127.0.0.1:9000 for this bucket.");
      assert.equal(
        offsiteKeysPrompt(undefined, 'eu-west-1', true),
        "Kept in VS Code's secret storage and sent only to AWS S3 (eu-west-1) for this bucket. Enter with nothing typed keeps the stored secret.",
      );
    });

    it("says in the backup's toast that the set was copied offsite", () => {
      const message = backupDoneMessage({ setId: 's_20250902_100000', bytes: 2048, tables: '3 tables', removed: [], kept: 0, proved: true, pushed: true });
      assert.equal(message, 'Backup s_20250902_100000 written (2.0 KB, 3 tables), proved restorable and copied offsite.');
      assert.equal(
        backupDoneMessage({ setId: 's_20250902_100000', bytes: 2048, tables: '3 tables', removed: [], kept: 0, pushed: true }),
        'Backup s_20250902_100000 written (2.0 KB, 3 tables) and copied offsite.',
      );
    });
  });
});
