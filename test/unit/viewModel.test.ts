/**
 * What the extension shows, without VS Code: the Backups tree's states,
 * icons, labels, descriptions, tooltips and groups, a set's children, the
 * status bar's text and warning decision, and the words of the restore and
 * retention confirmations.
 */
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ListedSet } from '../../src/core/sets/listing';
import type { Manifest } from '../../src/core/sets/manifest';
import { syntheticManifest, syntheticVerification } from '../support/syntheticSet';
import type { RestorePlan } from '../../src/core/restore/types';
import type { CheckResult, CheckStatus, VerificationReport } from '../../src/core/verify/results';
import type { ProofDifference, ProofRecord } from '../../src/core/prove/record';
import { proofOutcomeLines, proofSummary } from '../../src/core/prove/words';
import { backupDoneMessage, removalConfirmation, replacedObjectLines, restoreConfirmation, restoreConsequences, restoreProofLine } from '../../src/extension/dialogs';
import { diffDocument, diffMessage, proofBriefLines, proofMessage, proveProgressText } from '../../src/extension/proofText';
import { provesAfterBackup } from '../../src/extension/settings';
import { PROVE_AUTOMATICALLY_UP_TO_BYTES } from '../../src/core/prove/plan';
import type { DiffResult } from '../../src/core/prove/diffResult';
import { diffSummary, tableDiffDetail } from '../../src/core/prove/diffWords';
import { folderHealth, statusBarModel, type FolderBackups } from '../../src/extension/statusBarModel';
import { newestBackupClause } from '../../src/extension/guardWords';
import type { PruneResult, RemovableSet } from '../../src/core/retention/retention';
import {
  GROUP_ABOVE,
  groupSets,
  setAccessibleLabel,
  setChildren,
  setContextValue,
  setDescription,
  setGroupOf,
  setIcon,
  setLabel,
  setLabelIn,
  setState,
  setTooltipMarkdown,
  verificationSummary,
  type SetEntry,
} from '../../src/extension/viewModel';

const NOW = new Date('2025-09-02T12:00:00.000Z');
const HOUR = 3_600_000;

function hoursAgo(hours: number): string {
  return new Date(NOW.getTime() - hours * HOUR).toISOString();
}

function manifest(id: string, timestamp: string, extra: Partial<Manifest> = {}): Manifest {
  return syntheticManifest({
    id,
    prefix: 'factory_pulse',
    timestamp,
    startedAt: hoursAgo(2),
    durationMs: 407,
    database: { host: '127.0.0.1', port: 54322, name: 'postgres', user: 'postgres', sizeBytes: 10_141_031 },
    tools: { pulseBackup: '0.1.0', pgDump: { path: '/usr/lib/postgresql/15/bin/pg_dump', version: '15.18' } },
    tables: [
      { schema: 'public', name: 'users', kind: 'table', rows: 1200, bytes: 65_536 },
      { schema: 'public', name: 'messages', kind: 'table', rows: 34_000, bytes: 204_800 },
    ],
    sequences: 3,
    ...extra,
  });
}

/** A complete set made two hours before NOW, unless told otherwise. */
function listedSet(extra: Partial<ListedSet> & { hoursOld?: number } = {}): ListedSet {
  const { hoursOld = 2, ...rest } = extra;
  const timestamp = rest.timestamp ?? '20250902_100000';
  const prefix = rest.prefix ?? 'factory_pulse';
  const id = `${prefix}_${timestamp}`;
  const files = [
    { type: 'schema' as const, name: `${prefix}_schema_backup_${timestamp}.sql`, bytes: 38_062 },
    { type: 'data' as const, name: `${prefix}_data_backup_${timestamp}.sql`, bytes: 900_000 },
    { type: 'complete' as const, name: `${prefix}_complete_backup_${timestamp}.sql`, bytes: 320_000 },
  ];
  const status = rest.status ?? 'complete';
  return {
    id,
    prefix,
    timestamp,
    createdAt: hoursAgo(hoursOld),
    status,
    problems: [],
    purpose: 'backup',
    files,
    totalBytes: files.reduce((sum, file) => sum + file.bytes, 0),
    hasManifest: status === 'complete',
    pinned: false,
    hasHistory: false,
    interrupted: false,
    ...(status === 'complete' ? { manifest: manifest(id, timestamp) } : {}),
    ...rest,
  };
}

function check(status: CheckStatus, title = 'Files match their recorded sha256', detail = 'all three files match'): CheckResult {
  return { id: title.toLowerCase().replace(/\W+/g, '-'), title, status, detail };
}

function verification(setId: string, checks: CheckResult[], checkedHoursAgo = 1, preRestore?: CheckResult[]): VerificationReport {
  const groups: VerificationReport['groups'] = [{ name: 'post-backup', title: 'Post-backup checks', checks }];
  if (preRestore) groups.push({ name: 'pre-restore', title: 'Pre-restore checks', checks: preRestore });
  return syntheticVerification(setId, groups, { checkedAt: hoursAgo(checkedHoursAgo), durationMs: 850 });
}

/** A proof record as proveSet writes it, started `hours` before NOW. */
function proofOf(setId: string, outcome: ProofRecord['outcome'], hours = 1, differences: ProofDifference[] = []): ProofRecord {
  const paths = (['complete', 'schema-then-data'] as const).map((path) => ({
    path,
    files: [],
    restored: true,
    equal: outcome === 'proved',
    tables: 16,
    rows: 35_200,
    schemaEqual: true,
    durationMs: 900,
  }));
  const record: ProofRecord = {
    formatVersion: 1,
    setId,
    provedAt: hoursAgo(hours),
    durationMs: 1400,
    outcome,
    summary: '',
    server: { host: '127.0.0.1', port: 54322, user: 'postgres' },
    profile: 'plain',
    digestsFrom: 'manifest',
    tables: 16,
    rows: 35_200,
    schemaEqual: true,
    paths,
    differences,
    notes: [],
  };
  record.summary = proofSummary(record);
  return record;
}

const CHANGED_ROW: ProofDifference = { path: 'complete', kind: 'rows', object: 'public.users', detail: '1 row changed (first: id = 42); 1,200 rows in the set, 1,200 restored' };

function entry(set: ListedSet, lastVerification?: VerificationReport): SetEntry {
  return lastVerification ? { set, lastVerification } : { set };
}

describe('the Backups tree', () => {
  describe('labels and descriptions', () => {
    it('labels a set with the date and time of its file names, whatever the time zone', () => {
      assert.equal(setLabel(listedSet({ timestamp: '20250901_173948' })), '2025-09-01 17:39:48');
    });

    it('falls back to the set id when the timestamp is not one', () => {
      assert.equal(setLabel({ id: 'odd_set', timestamp: 'yesterday' }), 'odd_set');
    });

    it('describes a set by its size first, then its age, so a narrow view cuts the age, not the size', () => {
      assert.equal(setDescription(entry(listedSet()), NOW, { folderPrefix: 'factory_pulse' }), '1.2 MB · 2h ago');
      assert.match(setDescription(entry(listedSet({ createdAt: new Date(NOW.getTime() - 20_000).toISOString() })), NOW), / · just now$/);
      assert.match(setDescription(entry(listedSet({ hoursOld: 72 })), NOW), / · 3d ago$/);
    });

    it('leaves the age out under a group, whose heading and label say when', () => {
      assert.equal(setDescription(entry(listedSet()), NOW, { grouped: true }), '1.2 MB');
    });

    it('names the prefix of a set that belongs to another project, and says pinned, and safety backup where the state says something else', () => {
      assert.equal(setDescription(entry(listedSet({ prefix: 'other_app' })), NOW, { folderPrefix: 'factory_pulse' }), '1.2 MB · other_app · 2h ago');
      const set = listedSet({ pinned: true, purpose: 'safety' });
      const failed = entry(set, verification(set.id, [check('fail', 'Checksums', 'differs')]));
      assert.equal(setDescription(failed, NOW), '1.2 MB · pinned · safety backup · 2h ago');
      assert.equal(setDescription(entry(listedSet({ purpose: 'safety' })), NOW), '1.2 MB · 2h ago', 'the state already says safety backup');
    });

    it('draws no icon for a database named $(pass) ok in the tooltip: a code span cannot escape it, so the name is escaped text', () => {
      const timestamp = '20250902_100000';
      const named = listedSet({
        manifest: manifest(`factory_pulse_${timestamp}`, timestamp, { database: { host: '127.0.0.1', port: 54322, name: '$(pass) ok', user: 'postgres', sizeBytes: 1 } }),
      });
      const line = setTooltipMarkdown(entry(named), NOW)
        .split('\n')
        .find((text) => text.startsWith('Database: '));
      assert.ok(line?.startsWith(String.raw`Database: postgres@127.0.0.1:54322/\$(pass) ok, PostgreSQL`), line);
      const plain = setTooltipMarkdown(entry(listedSet()), NOW);
      assert.match(plain, /^Database: `postgres@127\.0\.0\.1:54322\/postgres`, PostgreSQL/m, 'a name without $( stays code');
    });

    it('says a set is encrypted, and how, so a person knows verify and restore need its key', () => {
      const timestamp = '20250902_100000';
      const id = `factory_pulse_${timestamp}`;
      const withPassphrase = listedSet({ manifest: manifest(id, timestamp, { encryption: { format: 'age', method: 'passphrase' } }) });
      assert.equal(setDescription(entry(withPassphrase), NOW), '1.2 MB · encrypted · 2h ago');
      assert.match(setTooltipMarkdown(entry(withPassphrase), NOW), /^Encrypted: \$\(lock\) age, with a passphrase: .*Set Encryption Passphrase…/m);
      const toRecipients = listedSet({ manifest: manifest(id, timestamp, { encryption: { format: 'age', method: 'recipients', recipients: ['age1a', 'age1b'] } }) });
      assert.match(setTooltipMarkdown(entry(toRecipients), NOW), /age, to 2 age recipients: their identity file decrypts it, on the command line/);
      assert.equal(setDescription(entry(listedSet()), NOW), '1.2 MB · 2h ago', 'a plain set says nothing of encryption');
      assert.doesNotMatch(setTooltipMarkdown(entry(listedSet()), NOW), /Encrypted/);
    });

    it('shows no size for a set still being written', () => {
      assert.equal(setDescription(entry(listedSet({ status: 'running', files: [], totalBytes: 0 })), NOW), '2h ago');
    });

    it('reads the whole row to a screen reader: date, state, size and age', () => {
      assert.equal(setAccessibleLabel(entry(listedSet()), NOW, 'factory_pulse'), 'Backup set 2025-09-02 10:00:00, not verified yet, 1.2 MB · 2h ago');
    });
  });

  describe('one state per set, each with its own icon and colour', () => {
    const set = listedSet();
    const passed = verification(set.id, [check('pass')]);
    const cases: [string, SetEntry, string, string, string | undefined][] = [
      ['a whole set nobody verified yet', entry(listedSet()), 'new', 'circle-large-outline', 'charts.blue'],
      ['a set whose verification passed', entry(set, passed), 'verified', 'pass', 'testing.iconPassed'],
      ['a set whose verification warned', entry(set, verification(set.id, [check('warn', 'Permissions')])), 'verified', 'pass', 'testing.iconPassed'],
      ['a set restored and compared equal', { set, lastVerification: passed, proof: proofOf(set.id, 'proved') }, 'proved', 'verified-filled', 'charts.green'],
      [
        'a set whose proof found a difference',
        { set, lastVerification: passed, proof: proofOf(set.id, 'failed', 1, [CHANGED_ROW]) },
        'proof-failed',
        'warning',
        'problemsWarningIcon.foreground',
      ],
      ['a set whose verification failed', entry(set, verification(set.id, [check('fail', 'Sizes')])), 'failed', 'error', 'testing.iconFailed'],
      ['a set with a file missing', entry(listedSet({ status: 'incomplete', problems: ['x is missing'] })), 'incomplete', 'circle-slash', 'list.warningForeground'],
      ['a set of the old script', entry(listedSet({ status: 'legacy' })), 'old-script', 'archive', 'charts.yellow'],
      ['a safety backup', entry(listedSet({ purpose: 'safety' })), 'safety', 'shield', 'charts.purple'],
      ['a set being written', entry(listedSet({ status: 'running', pinned: true })), 'running', 'loading~spin', undefined],
    ];
    for (const [what, value, state, icon, color] of cases) {
      it(`shows ${what} as ${state}`, () => {
        assert.equal(setState(value), state);
        assert.deepEqual(setIcon(value), color ? { id: icon, color } : { id: icon });
      });
    }

    it('gives every state an icon of its own and a colour of its own', () => {
      const icons = cases.map(([, value]) => setIcon(value));
      const byState = new Map(cases.map(([, value], index) => [setState(value), icons[index]]));
      const ids = [...byState.values()].map((icon) => icon.id);
      const colors = [...byState.values()].map((icon) => icon.color).filter((color) => color !== undefined);
      assert.equal(new Set(ids).size, byState.size, JSON.stringify([...byState]));
      assert.equal(new Set(colors).size, colors.length, JSON.stringify([...byState]));
    });

    it('shows proved only when the set has such a record', () => {
      assert.equal(setState(entry(set, passed)), 'verified');
    });

    it('an incomplete set is incomplete, whatever an old verification said', () => {
      const damaged = listedSet({ status: 'incomplete', problems: ['the data file is missing'] });
      assert.equal(setState(entry(damaged, verification(damaged.id, [check('pass')]))), 'incomplete');
      const text = setTooltipMarkdown(entry(damaged, verification(damaged.id, [check('pass')])), NOW);
      assert.match(text, /Status: \$\(circle-slash\) incomplete/);
      assert.doesNotMatch(text, /passed|verified/i, 'no "verified: passed" beside "incomplete"');
    });

    it('a failed verification beats the pin, and a pre-restore failure (the target was down) does not blame the set', () => {
      const pinned = listedSet({ pinned: true });
      assert.equal(setState(entry(pinned, verification(pinned.id, [check('pass'), check('fail', 'Sizes')]))), 'failed');
      const report = verification(set.id, [check('pass')], 1, [check('fail', 'Target reachable', 'connection refused')]);
      assert.equal(setState(entry(set, report)), 'verified');
    });

    it('marks context values so menus can tell pinned, unpinned, running, incomplete and safety sets apart', () => {
      assert.equal(setContextValue(entry(listedSet())), 'set unpinned finished provable comparable manifest');
      assert.equal(setContextValue(entry(listedSet({ pinned: true, status: 'legacy' }))), 'set pinned finished provable comparable');
      assert.equal(setContextValue(entry(listedSet({ status: 'running' }))), 'set unpinned running');
      assert.equal(setContextValue(entry(listedSet({ purpose: 'safety' }))), 'set unpinned finished provable comparable manifest safety');
      const withDigests = manifest('factory_pulse_20250902_100000', '20250902_100000', { digests: { tables: [] } as unknown as Manifest['digests'] });
      assert.equal(setContextValue(entry(listedSet({ status: 'incomplete', hasManifest: true, manifest: withDigests }))), 'set unpinned finished incomplete comparable manifest');
      assert.equal(
        setContextValue(entry(listedSet({ status: 'incomplete', hasManifest: true, manifest: manifest('factory_pulse_20250902_100000', '20250902_100000') }))),
        'set unpinned finished incomplete manifest',
      );
      assert.equal(setContextValue(entry(listedSet({ status: 'incomplete' }))), 'set unpinned finished incomplete');
    });

    it("offers in a set's context menu only what the engine does with it: no Prove Restorable on an incomplete set, Compare only from its manifest's digests", () => {
      const menus = (
        JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as { contributes: { menus: Record<string, { command: string; when?: string }[]> } }
      ).contributes.menus['view/item/context'];
      /** The set commands VS Code shows for a context value: every clause of the when joined by && holds. */
      const offered = (contextValue: string) =>
        menus
          .filter((item) =>
            (item.when ?? '').split('&&').every((clause) => {
              const [left, op, ...right] = clause.trim().split(' ');
              const value = right.join(' ');
              if (left === 'view') return value === 'pulseBackup.backups';
              assert.equal(left, 'viewItem', clause);
              if (op === '==') return contextValue === value;
              assert.equal(op, '=~', clause);
              const pattern = /^\/(.*)\/$/.exec(value);
              assert.ok(pattern, clause);
              return new RegExp(pattern[1]).test(contextValue);
            }),
          )
          .map((item) => item.command.replace('pulseBackup.', ''));
      const finished = offered(setContextValue(entry(listedSet())));
      for (const command of ['restore', 'verify', 'prove', 'compareWithDatabase', 'openReport', 'copyRestoreCommand', 'pin', 'delete'])
        assert.ok(finished.includes(command), command);
      const digests = { tables: [] } as unknown as Manifest['digests'];
      const incomplete = offered(
        setContextValue(entry(listedSet({ status: 'incomplete', hasManifest: true, manifest: manifest('factory_pulse_20250902_100000', '20250902_100000', { digests }) }))),
      );
      for (const command of ['restore', 'verify', 'compareWithDatabase', 'openReport', 'delete']) assert.ok(incomplete.includes(command), command);
      assert.ok(!incomplete.includes('prove'), incomplete.join(', '));
      const noDigests = offered(setContextValue(entry(listedSet({ status: 'incomplete' }))));
      assert.ok(!noDigests.includes('prove') && !noDigests.includes('compareWithDatabase'), noDigests.join(', '));
      const pinned = offered(setContextValue(entry(listedSet({ pinned: true }))));
      assert.ok(pinned.includes('unpin') && !pinned.includes('pin'), pinned.join(', '));
      const safety = offered(setContextValue(entry(listedSet({ purpose: 'safety' }))));
      for (const command of ['restore', 'verify', 'prove', 'compareWithDatabase']) assert.ok(safety.includes(command), command);
      const running = offered(setContextValue(entry(listedSet({ status: 'running' }))));
      assert.deepEqual(
        running.filter((command) => ['restore', 'verify', 'prove', 'compareWithDatabase', 'delete'].includes(command)),
        [],
      );
    });
  });

  describe('tooltip', () => {
    it('gives the key facts: id, state, created, size, database, tables and rows, checks', () => {
      const set = listedSet();
      const text = setTooltipMarkdown(entry(set, verification(set.id, [check('pass'), check('pass', 'Sizes')], 3)), NOW);
      assert.match(text, /^\*\*factory_pulse_20250902_100000\*\*/);
      assert.match(text, /Status: \$\(pass\) verified/);
      assert.match(text, /Created: 2025-09-02 10:00:00 \(2h ago\)/);
      assert.match(text, /Size: 1\.2 MB in 3 files/);
      assert.match(text, /Database: `postgres@127\.0\.0\.1:54322\/postgres`, PostgreSQL 15\.18/);
      assert.match(text, /Tables: 2, 35,200 rows/);
      assert.match(text, /Checks: verified 3h ago: passed \(2 checks\)/);
    });

    it('escapes what the file system says, so a file name cannot inject Markdown or HTML', () => {
      const set = listedSet({ status: 'incomplete', problems: ['<img src=x onerror=alert(1)> is [missing](command:x)'] });
      const text = setTooltipMarkdown(entry(set), NOW);
      assert.doesNotMatch(text, /(?<!\\)</);
      assert.doesNotMatch(text, /(?<!\\)\[missing/);
      assert.match(text, /- \\<img src=x onerror=alert\(1\)\\> is \\\[missing\\\]\(command:x\)/);
    });

    it('says a set of the old script has no checksums or row counts, and that it was not verified yet', () => {
      const text = setTooltipMarkdown(entry(listedSet({ status: 'legacy' })), NOW);
      assert.match(text, /old backup script: no manifest/);
      assert.match(text, /Checks: not verified yet/);
    });

    it('names the checks that did not pass, and says when a file changed since the last verification', () => {
      const set = listedSet();
      const report = verification(set.id, [check('pass'), check('fail', 'Sizes'), check('fail', 'Whole dumps')], 5);
      assert.equal(verificationSummary({ lastVerification: report }, NOW), 'verified 5h ago: failed (Sizes; Whole dumps)');
      assert.equal(verificationSummary({ staleVerification: report }, NOW), 'verified 5h ago, but a file changed since: verify again');
    });
  });

  describe("a set's children", () => {
    it('lists the complete, schema and data files with their sizes, then the last verification and the last proof', () => {
      const set = listedSet();
      const children = setChildren(entry(set, verification(set.id, [check('pass'), check('pass', 'Sizes')])), NOW);
      assert.deepEqual(
        children.map((child) => [child.kind, child.label, child.description]),
        [
          ['file', 'Complete dump', '313 KB'],
          ['file', 'Schema-only dump', '37.2 KB'],
          ['file', 'Data-only dump', '879 KB'],
          ['verification', 'Verified 1h ago', 'passed, 2 checks'],
          ['proof', 'Not proved yet', ''],
        ],
      );
    });

    it('shows a missing file of an incomplete set, with the reason the listing gave, and no verification', () => {
      const set = listedSet({ status: 'incomplete', problems: ['factory_pulse_data_backup_20250902_100000.sql is missing'] });
      set.files = set.files.filter((file) => file.type !== 'data');
      const children = setChildren(entry(set, verification(set.id, [check('pass')])), NOW);
      const missing = children.find((child) => child.kind === 'missing');
      assert.ok(missing);
      assert.equal(missing.label, 'Data-only dump');
      assert.equal(missing.tooltip, 'factory_pulse_data_backup_20250902_100000.sql is missing');
      assert.ok(!children.some((child) => child.kind === 'verification'));
    });

    it('says a set was not verified yet, or that its verification is out of date, and offers nothing while it is written', () => {
      const verificationRow = (value: SetEntry) => setChildren(value, NOW).find((child) => child.kind === 'verification')?.label;
      assert.equal(verificationRow(entry(listedSet())), 'Not verified yet');
      const set = listedSet();
      assert.equal(verificationRow({ set, staleVerification: verification(set.id, [check('pass')]) }), 'Verification out of date');
      const running = listedSet({ status: 'running', files: [], totalBytes: 0 });
      assert.deepEqual(setChildren(entry(running), NOW), []);
    });
  });

  describe('groups, as the Timeline has them', () => {
    // NOW is Tuesday 2 September 2025, 12:00 UTC; the groups go by the local date in the set names.
    const local = (daysAgo: number, hour = 9) => {
      const date = new Date(NOW.getFullYear(), NOW.getMonth(), NOW.getDate() - daysAgo, hour);
      const two = (value: number) => String(value).padStart(2, '0');
      return `${date.getFullYear()}${two(date.getMonth() + 1)}${two(date.getDate())}_${two(date.getHours())}0000`;
    };

    it('puts a set in Today, Yesterday, This Week (since Monday) or Older', () => {
      const monday = new Date(2025, 8, 1, 9);
      const tuesday = new Date(2025, 8, 2, 12);
      const thursday = new Date(2025, 8, 4, 12);
      const at = (timestamp: string) => ({ timestamp, createdAt: '' });
      assert.equal(setGroupOf(at('20250902_080000'), tuesday), 'today');
      assert.equal(setGroupOf(at('20250901_080000'), tuesday), 'yesterday');
      assert.equal(setGroupOf(at('20250902_080000'), thursday), 'this-week');
      assert.equal(setGroupOf(at('20250901_080000'), thursday), 'this-week');
      assert.equal(setGroupOf(at('20250831_080000'), thursday), 'older', 'Sunday is last week');
      assert.equal(setGroupOf(at('20250831_080000'), monday), 'yesterday');
    });

    it('groups a long list, newest group first, and leaves a short one flat', () => {
      const entries = [0, 0, 1, 1, 2, 5, 9, 30, 60, 90].map((days, index) => entry(listedSet({ timestamp: local(days, 9 + index) })));
      const groups = groupSets(entries, NOW);
      assert.ok(groups);
      assert.deepEqual(groups.map((group) => group.group)[0], 'today');
      assert.equal(
        groups.reduce((sum, group) => sum + group.entries.length, 0),
        entries.length,
      );
      assert.deepEqual(
        groups.map((group) => group.group),
        [...new Set(groups.map((group) => group.group))],
      );
      assert.equal(groupSets(entries.slice(0, GROUP_ABOVE), NOW), undefined);
    });

    it('labels a set by its time under Today and Yesterday, its weekday this week, and its date when older', () => {
      const set = listedSet({ timestamp: '20250901_173948' });
      assert.equal(setLabelIn(set, 'today'), '17:39:48');
      assert.equal(setLabelIn(set, 'yesterday'), '17:39:48');
      assert.equal(setLabelIn(set, 'this-week'), 'Mon 17:39:48');
      assert.equal(setLabelIn(set, 'older'), '2025-09-01 17:39:48');
      assert.equal(setLabelIn(set, undefined), '2025-09-01 17:39:48');
    });
  });
});

describe('the status bar', () => {
  function folder(entries: SetEntry[], staleAfterHours = 24, name = 'factory-pulse', configured = true): FolderBackups {
    return { key: `file:///work/${name}`, name, entries, staleAfterHours, configured };
  }

  it('shows the age of the last good backup and opens its report on click', () => {
    const set = listedSet();
    const model = statusBarModel([folder([entry(set)])], NOW);
    assert.equal(model.text, '$(database) 2h ago');
    assert.equal(model.warning, false);
    assert.deepEqual(model.target, { folderKey: 'file:///work/factory-pulse', setId: set.id });
    assert.equal(model.command, 'pulseBackup.openReport');
    assert.match(model.tooltip, /Last good backup: `factory_pulse_20250902_100000`/);
  });

  it('a set dated days after now (a wrong clock) reads as such, is not the last good backup, and turns the item to the warning colour', () => {
    const ahead = listedSet({ timestamp: '20250907_100000', hoursOld: -5 * 24 });
    const real = listedSet({ hoursOld: 30 });
    assert.match(setDescription(entry(ahead), NOW), / · 5d from now$/);
    const model = statusBarModel([folder([entry(ahead), entry(real)])], NOW);
    assert.equal(model.text, '$(database) 30h ago', 'the age of the newest set believed');
    assert.equal(model.warning, true);
    assert.deepEqual(model.target?.setId, real.id);
    assert.match(
      model.tooltip,
      /\$\(warning\) `factory_pulse_20250907_100000` is dated 5d from now \(.+\): a clock was wrong when it was made, or is wrong now\. Check this machine's clock: while that set is in the folder, retention removes no factory_pulse set \(it cannot tell which is the newest\)/,
    );
    // Alone, it leaves no good backup believed; minutes ahead (a manifest's tolerance) are still "just now".
    assert.equal(statusBarModel([folder([entry(ahead)])], NOW).text, '$(database) no backup');
    const minutesAhead = listedSet({ hoursOld: -5 / 60 });
    assert.equal(statusBarModel([folder([entry(minutesAhead)])], NOW).text, '$(database) 5 min from now');
    assert.equal(statusBarModel([folder([entry(minutesAhead)])], NOW).warning, false);
  });

  it('turns to the warning colour when the last good backup is older than staleAfterHours', () => {
    assert.equal(statusBarModel([folder([entry(listedSet({ hoursOld: 25 }))])], NOW).warning, true);
    assert.equal(statusBarModel([folder([entry(listedSet({ hoursOld: 23 }))])], NOW).warning, false);
    const strict = statusBarModel([folder([entry(listedSet({ hoursOld: 2 }))], 1)], NOW);
    assert.equal(strict.warning, true);
    assert.match(strict.tooltip, /Older than 1 h \(pulseBackup\.staleAfterHours\)/);
  });

  it('skips incomplete, running and safety sets when looking for the last good backup', () => {
    const good = listedSet({ timestamp: '20250901_120000', hoursOld: 24.5 });
    const entries = [
      entry(listedSet({ timestamp: '20250902_110000', hoursOld: 1, status: 'running' })),
      entry(listedSet({ timestamp: '20250902_100000', hoursOld: 2, purpose: 'safety' })),
      entry(listedSet({ timestamp: '20250902_090000', hoursOld: 3, status: 'incomplete', problems: ['x is missing'] })),
      entry(good),
    ];
    const model = statusBarModel([folder(entries)], NOW);
    assert.equal(model.text, '$(database) 24h ago');
    assert.equal(model.warning, true);
    assert.equal(model.target?.setId, good.id);
  });

  it('counts a set of the old script as a good backup', () => {
    const model = statusBarModel([folder([entry(listedSet({ status: 'legacy' }))])], NOW);
    assert.equal(model.text, '$(database) 2h ago');
    assert.equal(model.warning, false);
  });

  it('warns when the most recent verification failed, although the backup is fresh', () => {
    const newest = listedSet({ timestamp: '20250902_100000', hoursOld: 2 });
    const older = listedSet({ timestamp: '20250902_080000', hoursOld: 4 });
    const model = statusBarModel([folder([entry(newest), entry(older, verification(older.id, [check('fail', 'Checksums', 'data file differs')], 0.5))])], NOW);
    assert.equal(model.text, '$(database) 2h ago');
    assert.equal(model.warning, true);
    assert.match(model.tooltip, /The last verification, of `factory_pulse_20250902_080000`, failed: Checksums: data file differs/);
  });

  it("draws no icon for a table named $(verified-filled) in a failure: the tooltip shows icons, so a name's $( is escaped as VS Code reads it", () => {
    const newest = listedSet({ timestamp: '20250902_100000', hoursOld: 2 });
    const detail = 'public.$(verified-filled) all good: 3 rows in the manifest, 2 in the data file';
    const model = statusBarModel([folder([entry(newest, verification(newest.id, [check('fail', 'Row counts', detail)], 0.5))])], NOW);
    const line = model.tooltip.split('\n').find((text) => text.includes('failed:')) ?? '';
    assert.ok(line.startsWith('$(error) The last verification'), line);
    assert.ok(line.endsWith(String.raw`failed: Row counts: public.\$(verified-filled) all good: 3 rows in the manifest, 2 in the data file`), line);
    assert.doesNotMatch(line.slice(1), /(?<!\\)\$\(/, "no $( but the tooltip's own icon");
  });

  it('forgets an old failed verification once a newer one passed', () => {
    const newest = listedSet({ timestamp: '20250902_100000', hoursOld: 2 });
    const older = listedSet({ timestamp: '20250902_080000', hoursOld: 4 });
    const health = folderHealth(folder([entry(newest, verification(newest.id, [check('pass')], 0.5)), entry(older, verification(older.id, [check('fail')], 3))]), NOW);
    assert.equal(health.failedVerification, undefined);
    assert.equal(health.stale, false);
  });

  it('does not count a set whose verification failed as the last good backup', () => {
    const broken = listedSet({ timestamp: '20250902_100000', hoursOld: 2 });
    const good = listedSet({ timestamp: '20250901_100000', hoursOld: 26 });
    const model = statusBarModel([folder([entry(broken, verification(broken.id, [check('fail')])), entry(good)])], NOW);
    assert.equal(model.target?.setId, good.id);
    assert.equal(model.text, '$(database) 26h ago');
  });

  it('says "no backup" in the warning colour once a connection is configured, and backs up on click', () => {
    const model = statusBarModel([folder([])], NOW);
    assert.equal(model.text, '$(database) no backup');
    assert.equal(model.warning, true);
    assert.equal(model.target, undefined);
    assert.equal(model.command, 'pulseBackup.backup');
    assert.equal(model.folderKey, 'file:///work/factory-pulse', 'the folder a click backs up');
    assert.match(model.tooltip, /No good backup yet/);
  });

  it('stays neutral until a connection or a first backup exists, and configures on click', () => {
    const model = statusBarModel([folder([], 24, 'factory-pulse', false)], NOW);
    assert.equal(model.text, '$(database) no backup');
    assert.equal(model.warning, false);
    assert.equal(model.command, 'pulseBackup.configureConnection');
    assert.match(model.tooltip, /Configure the connection, then back up/);
    // A backup made without configuring (the environment's database) is a first backup all the same.
    assert.equal(statusBarModel([folder([entry(listedSet({ hoursOld: 30 }))], 24, 'factory-pulse', false)], NOW).warning, true);
  });

  it('with several folders, lets the one that needs attention speak, named', () => {
    const fresh = folder([entry(listedSet({ hoursOld: 1 }))], 24, 'api');
    const stale = folder([entry(listedSet({ prefix: 'web', hoursOld: 50 }))], 24, 'web');
    const model = statusBarModel([fresh, stale], NOW);
    assert.equal(model.text, '$(database) web: 2d ago');
    assert.equal(model.warning, true);
    assert.equal(model.target?.folderKey, 'file:///work/web');
    assert.match(model.tooltip, /\*\*api\*\*/);
    assert.match(model.tooltip, /\*\*web\*\*/);
  });
});

describe("the guard's warning, of the newest backup", () => {
  it('says when the newest backup was made, and that there is none', () => {
    assert.equal(newestBackupClause('factory', [{ set: listedSet({ hoursOld: 3 }) }], NOW), '; the newest backup of factory was made 3h ago');
    assert.equal(newestBackupClause('factory', [], NOW), '; there is no backup of factory yet');
  });

  it('a set dated after now is said to be dated ahead of the clock, never "from 2d from now"', () => {
    const clause = newestBackupClause('factory', [{ set: listedSet({ hoursOld: -48 }) }, { set: listedSet({ hoursOld: 5, timestamp: '20250902_070000' }) }], NOW);
    assert.equal(clause, "; the newest backup of factory is dated 2d from now, ahead of this machine's clock, so how old it really is cannot be told");
  });
});

describe('the restore confirmation', () => {
  function plan(extra: Partial<RestorePlan> = {}): RestorePlan {
    const setId = 'factory_pulse_20250902_100000';
    return {
      setId,
      mode: 'complete',
      clean: true,
      target: 'postgres@127.0.0.1:54322/postgres',
      serverVersion: '15.18',
      file: `/work/backups/factory_pulse_complete_backup_20250902_100000.sql`,
      verification: verification(setId, [check('pass'), check('pass', 'Sizes')]),
      replaced: [],
      notes: [],
      psql: { path: '/usr/bin/psql', version: '15.18' },
      ...extra,
    };
  }
  const target = { host: '127.0.0.1', port: 54322, database: 'postgres' };
  const table = (name: string, rows: number, backupRows?: number | null): RestorePlan['replaced'][number] => ({
    kind: 'table',
    schema: 'public',
    name,
    rows,
    ...(backupRows !== undefined ? { backupRows } : {}),
    dropName: `public.${name}`,
  });

  it('says the mode once in the title, and names the target and the safety backup', () => {
    const { message, detail } = restoreConfirmation(plan(), target, true);
    assert.equal(message, 'Restore factory_pulse_20250902_100000 (schema and data) into database "postgres" on 127.0.0.1:54322?');
    assert.match(detail, /^The backup's objects are created; nothing in the target is replaced\./);
    assert.match(detail, /Target: postgres@127\.0\.0\.1:54322\/postgres, PostgreSQL 15\.18\./);
    assert.match(detail, /A safety backup of the target is taken first/);
    assert.match(detail, /Pre-flight: the set verifies \(2 checks passed\)\./);
  });

  it("schema only: leads with the tables it empties and how many rows go, although their rows now equal the backup's", () => {
    const replaced = [
      table('activity_log', 6000, 6000),
      table('users', 1200, 1200),
      table('empty_one', 0, 0),
      { kind: 'view' as const, schema: 'public', name: 'active_users', rows: null, dropName: 'public.active_users' },
    ];
    const { detail } = restoreConfirmation(plan({ mode: 'schema', replaced }), target, true);
    const lines = detail.split('\n');
    assert.equal(lines[0], '2 tables will be emptied: 7,200 rows.');
    assert.equal(lines[1], '1 other object (views, functions, types, …) will be replaced.');
    assert.doesNotMatch(detail, /6,000 in the backup/, 'no counts that suggest the rows come back');
  });

  it('data and complete: the rows added since the backup that will be lost, and those that come back', () => {
    const replaced = [table('orders', 1300, 1000), table('messages', 900, 960), table('notes', 30, 10), table('users', 1200, 1200)];
    assert.deepEqual(restoreConsequences(plan({ mode: 'data', replaced })), [
      '2 tables will lose 320 rows added since the backup.',
      '1 table will get back 60 rows removed since the backup.',
      "1 table keeps its row count; rows changed since the backup go back to the backup's.",
    ]);
    // The old script's sets record no row counts.
    assert.deepEqual(restoreConsequences(plan({ mode: 'complete', replaced: [table('legacy', 50, null), table('other', 20, null)] })), [
      "2 tables will have 70 rows replaced by the backup's (the set records no row counts).",
    ]);
    // With a manifest, a partitioned parent (rows recorded in its partitions) is not counted twice.
    assert.deepEqual(restoreConsequences(plan({ mode: 'data', replaced: [table('events', 500, null), table('events_2025', 500, 400)] })), [
      '1 table will lose 100 rows added since the backup.',
    ]);
  });

  it('keeps the long object list for Show Details, every object with its rows', () => {
    const confirmation = restoreConfirmation(plan({ mode: 'data', replaced: [table('orders', 1300, 1000)] }), target, true);
    assert.deepEqual(confirmation.objects, ['table public.orders: 1,300 rows now, 1,000 in the backup; emptied, then loaded']);
    assert.doesNotMatch(confirmation.detail, /public\.orders/, 'the names wait behind Show Details');
    assert.deepEqual(replacedObjectLines(plan({ mode: 'schema', replaced: [table('t', 5, 5)] })), ['table public.t: 5 rows now; dropped, recreated empty']);
  });

  it('repeats the warnings of the pre-flight and says so when no safety backup will be taken', () => {
    const warned = plan({ verification: verification('x', [check('pass'), check('warn', 'Permissions', 'readable by group')]) });
    const { detail } = restoreConfirmation(warned, target, false);
    assert.match(detail, /verifies with 1 warning: Permissions: readable by group/);
    assert.match(detail, /No safety backup will be taken/);
  });
});

describe('the retention confirmation', () => {
  const removable = (timestamp: string, bytes = 2_500_000): RemovableSet => ({
    id: `factory_pulse_${timestamp}`,
    prefix: 'factory_pulse',
    timestamp,
    status: 'complete',
    totalBytes: bytes,
    purpose: 'backup',
  });
  const preview = (removed: RemovableSet[], reasons: string[]): PruneResult => ({
    folder: '/work/factory-pulse/backups',
    prefix: 'factory_pulse',
    keep: 10,
    policy: { last: 10, hourly: 0, daily: 7, weekly: 0, monthly: 0, yearly: 0 },
    keepSafety: 3,
    keptSafety: [],
    dryRun: true,
    removed,
    heldBack: [],
    review: { confirm: reasons.length > 0, unseen: removed.map((set) => set.id), reasons },
    warnings: [],
    kept: [],
    protected: [],
    passedOver: [],
    otherPrefixes: [],
  });

  it('asks with the count, the size, why it asks, every set, and says nothing was removed', () => {
    const sets = [removable('20250801_120000'), removable('20250731_120000', 1_000_000), { ...removable('20250730_120000'), status: 'legacy' as const }];
    const question = removalConfirmation(preview(sets, ['3 sets this policy has not kept before (the policy changed)']), { afterBackup: true, folderName: 'factory-pulse' });
    assert.equal(question.message, 'Remove 3 backup sets (5.7 MB) from factory-pulse?');
    assert.equal(question.remove, 'Remove 3 backup sets');
    const lines = question.detail.split('\n');
    assert.equal(lines[0], 'The backup is written. Retention after it will remove these sets, which the policy does not keep:');
    assert.deepEqual(lines.slice(1, 4), ['factory_pulse_20250801_120000 (2.4 MB)', 'factory_pulse_20250731_120000 (977 KB)', 'factory_pulse_20250730_120000 (2.4 MB, old script)']);
    assert.match(question.detail, /Policy: keep the last 10, 7 daily \(the Retention settings\) and the newest 3 safety backups/);
    assert.match(question.detail, /Asked because of 3 sets this policy has not kept before \(the policy changed\)\./);
    assert.match(question.detail, /Nothing has been removed\./);
  });

  it('Prune says "will remove", not "Removed"', () => {
    const question = removalConfirmation(preview([removable('20250801_120000')], []), { afterBackup: false, folderName: 'factory-pulse' });
    assert.match(question.detail, /^Prune will remove these sets/);
    assert.doesNotMatch(question.detail, /Removed/);
  });

  it("counts every removal in the backup's toast, and the sets a person chose to keep", () => {
    assert.equal(
      backupDoneMessage({
        setId: 'factory_pulse_20250902_100000',
        bytes: 1_258_062,
        tables: '18 tables',
        removed: [removable('20250801_120000'), removable('20250731_120000')],
        kept: 0,
      }),
      'Backup factory_pulse_20250902_100000 written (1.2 MB, 18 tables). Retention removed 2 old sets (4.8 MB).',
    );
    assert.equal(
      backupDoneMessage({ setId: 'x_20250902_100000', bytes: 10, tables: '1 table', removed: [], kept: 31 }),
      'Backup x_20250902_100000 written (10 B, 1 table). Retention kept 31 sets it would remove, as you chose.',
    );
  });
});

describe('proofs in the extension', () => {
  const set = listedSet();
  const passed = verification(set.id, [check('pass')]);
  const failedProof = proofOf(set.id, 'failed', 1, [CHANGED_ROW, { ...CHANGED_ROW, path: 'schema-then-data' }]);

  it('a failed proof is a warning on the set: below a failed verification, above what kind of set it is', () => {
    assert.equal(setState({ set, lastVerification: verification(set.id, [check('fail')]), proof: failedProof }), 'failed');
    assert.equal(setState({ set: listedSet({ purpose: 'safety' }), proof: failedProof }), 'proof-failed');
    assert.equal(setState({ set: listedSet({ purpose: 'safety' }), proof: proofOf(set.id, 'proved') }), 'safety');
    // A passed proof that a changed file outdated proves nothing now.
    assert.equal(setState({ set, lastVerification: passed, staleProof: proofOf(set.id, 'proved') }), 'verified');
  });

  it('says in the row and the tooltip when the set was proved restorable, or its first difference', () => {
    const proved = { set, lastVerification: passed, proof: proofOf(set.id, 'proved', 2) };
    assert.equal(setDescription(proved, NOW), '1.2 MB · 2h ago · proved 2h ago');
    assert.match(setTooltipMarkdown(proved, NOW), /Proof: Proved restorable 2h ago: 16 tables, 35,200 rows and the schema equal, by the complete file and by schema then data/);
    const failed = { set, proof: failedProof };
    assert.equal(setDescription(failed, NOW), '1.2 MB · 2h ago · proof failed');
    const tooltip = setTooltipMarkdown(failed, NOW);
    assert.match(tooltip, /Status: \$\(warning\) failed its proof/);
    assert.match(tooltip, /Proof: \$\(warning\) Failed its proof 1h ago: the complete file: public\.users: 1 row changed \(first: id = 42\)/);
    assert.match(setTooltipMarkdown({ set, staleProof: proofOf(set.id, 'proved', 3) }, NOW), /Proof: Proved 3h ago, but a file changed since: prove it again/);
    assert.match(setTooltipMarkdown({ set }, NOW), /Proof: Not proved yet: Prove Restorable/);
  });

  it('shows the proof under the set: tables and rows equal, or the first difference and how many more', () => {
    const provedRow = setChildren({ set, proof: proofOf(set.id, 'proved', 2) }, NOW).at(-1);
    assert.deepEqual(
      [provedRow?.kind, provedRow?.label, provedRow?.description, provedRow?.icon.id],
      ['proof', 'Proved restorable 2h ago', '16 tables, 35,200 rows equal', 'verified-filled'],
    );
    const failedRow = setChildren({ set, proof: failedProof }, NOW).at(-1);
    assert.equal(failedRow?.label, 'Proof failed 1h ago');
    assert.equal(failedRow?.description, 'public.users: 1 row changed (first: id = 42); 1,200 rows in the set, 1,200 restored (+1 more)');
    assert.deepEqual(failedRow?.icon, { id: 'warning', color: 'problemsWarningIcon.foreground' });
  });

  it("the status bar's tooltip says whether the last good backup was proved, and when", () => {
    const folderOf = (entries: SetEntry[]): FolderBackups => ({ key: 'file:///work/factory-pulse', name: 'factory-pulse', entries, staleAfterHours: 24, configured: true });
    const proved = statusBarModel([folderOf([{ set, lastVerification: passed, proof: proofOf(set.id, 'proved', 1) }])], NOW);
    assert.equal(proved.warning, false);
    assert.match(proved.tooltip, /Proof: Proved restorable 1h ago: 16 tables/);
    assert.match(statusBarModel([folderOf([entry(set)])], NOW).tooltip, /Proof: Not proved yet/);
  });

  it('warns in the status bar when the newest backup failed its proof, and counts the one before as the last good backup, as retention does', () => {
    const newest = listedSet({ timestamp: '20250902_110000', hoursOld: 1 });
    const older = listedSet({ timestamp: '20250902_080000', hoursOld: 4 });
    const model = statusBarModel(
      [
        {
          key: 'k',
          name: 'factory-pulse',
          entries: [{ set: newest, proof: proofOf(newest.id, 'failed', 0.5, [CHANGED_ROW]) }, entry(older)],
          staleAfterHours: 24,
          configured: true,
        },
      ],
      NOW,
    );
    assert.equal(model.warning, true);
    assert.equal(model.target?.setId, older.id);
    assert.match(
      model.tooltip,
      /\$\(warning\) The newest backup, `factory_pulse_20250902_110000`, is kept but failed its proof 30 min ago: the complete file: public\.users: 1 row changed/,
    );
    // A newer backup that proved puts the warning away.
    const healed = folderHealth(
      {
        key: 'k',
        name: 'f',
        entries: [
          { set: listedSet({ timestamp: '20250902_115000', hoursOld: 0.1 }), proof: proofOf('x', 'proved', 0.05) },
          { set: newest, proof: proofOf(newest.id, 'failed') },
        ],
        staleAfterHours: 24,
        configured: true,
      },
      NOW,
    );
    assert.equal(healed.failedProof, undefined);
  });

  it('the restore confirmation names the proof in its first lines: when it proved, that it failed, that it is out of date, or that it never ran', () => {
    const plan = {
      setId: set.id,
      mode: 'complete',
      target: 'postgres@127.0.0.1:54322/postgres',
      serverVersion: '15.18',
      verification: verification(set.id, [check('pass')]),
      replaced: [],
      notes: [],
    } as unknown as RestorePlan;
    const target = { host: '127.0.0.1', port: 54322, database: 'postgres' };
    const firstBlock = (standing: Parameters<typeof restoreProofLine>[0]) => restoreConfirmation(plan, target, true, { standing, now: NOW }).detail.split('\n\n')[0].split('\n');
    assert.deepEqual(firstBlock({ proof: proofOf(set.id, 'proved', 2) }), [
      "The backup's objects are created; nothing in the target is replaced.",
      'Proved restorable 2h ago: a test restore read back 16 tables and 35,200 rows equal.',
    ]);
    assert.equal(
      firstBlock({ proof: failedProof })[1],
      'This set FAILED its proof 1h ago: the complete file: public.users: 1 row changed (first: id = 42); 1,200 rows in the set, 1,200 restored.',
    );
    // Schema then data alone reads back only the tables whose rows could differ from the data file's.
    const bySplitFiles = proofOf(set.id, 'proved', 2);
    bySplitFiles.paths = [{ ...bySplitFiles.paths[1], tablesReadBack: 3 }];
    assert.equal(firstBlock({ proof: bySplitFiles })[1], 'Proved restorable 2h ago: a test restore compared 16 tables and 35,200 rows equal.');
    bySplitFiles.paths.unshift({ ...bySplitFiles.paths[0], path: 'complete', tablesReadBack: 16 });
    assert.equal(firstBlock({ proof: bySplitFiles })[1], 'Proved restorable 2h ago: a test restore read back 16 tables and 35,200 rows equal.');
    assert.equal(firstBlock({ stale: proofOf(set.id, 'proved', 5) })[1], 'Proved 5h ago, but a file of the set changed since: that proof no longer speaks for it.');
    assert.equal(firstBlock({})[1], 'Never proved: Prove Restorable test-restores a set into a scratch database first.');
  });

  it('says in the backup toast that the set was proved, and words a failed proof as a warning about a set that is kept', () => {
    assert.equal(
      backupDoneMessage({ setId: set.id, bytes: 1_258_062, tables: '16 tables', removed: [], kept: 0, proved: true }),
      `Backup ${set.id} written (1.2 MB, 16 tables) and proved restorable.`,
    );
    assert.deepEqual(proofMessage(failedProof, { afterBackup: true }), {
      kind: 'warning',
      text: 'The backup is written and kept, but it did not prove restorable: the complete file: public.users: 1 row changed (first: id = 42); 1,200 rows in the set, 1,200 restored (and 1 more difference: see the report).',
    });
    assert.equal(
      proofMessage(proofOf(set.id, 'proved'), { afterBackup: false }).text,
      `${set.id} is proved restorable: 16 tables, 35,200 rows and the schema equal, by the complete file and by schema then data.`,
    );
  });

  it("proves after a backup by the setting: auto up to the engine's threshold, always, never", () => {
    const withComplete = (bytes: number) => ({ files: [{ type: 'complete' as const, name: 'c.sql', bytes, sha256: 'x' }] });
    assert.equal(provesAfterBackup('auto', withComplete(PROVE_AUTOMATICALLY_UP_TO_BYTES)), true);
    assert.equal(provesAfterBackup('auto', withComplete(PROVE_AUTOMATICALLY_UP_TO_BYTES + 1)), false);
    assert.equal(provesAfterBackup('always', withComplete(PROVE_AUTOMATICALLY_UP_TO_BYTES + 1)), true);
    assert.equal(provesAfterBackup('never', withComplete(10)), false);
  });

  it('the terminal shows each way of a proof, and a proof of a Supabase set says where the platform came from', () => {
    assert.deepEqual(proveProgressText({ kind: 'path-start', path: 'schema-then-data', database: 'pulse_prove_1_schema' }), {
      line: 'Schema then data: restoring into the scratch database pulse_prove_1_schema',
    });
    assert.deepEqual(proveProgressText({ kind: 'platform-loaded', path: 'complete', refused: 0 }), {
      line: '  the complete file: the Supabase platform copied from the live database',
    });
    assert.deepEqual(proveProgressText({ kind: 'swept', dropped: [], kept: [] }), {});
    assert.deepEqual(proveProgressText({ kind: 'reading', path: 'complete', tables: 16, schema: true }), { live: '  the complete file: reading 16 tables and the schema back' });
    assert.deepEqual(proveProgressText({ kind: 'reading', path: 'schema-then-data', tables: 1, schema: false }), { live: '  schema then data: reading 1 table back' });
    assert.deepEqual(proveProgressText({ kind: 'reading', path: 'schema-then-data', tables: 0, schema: false }), {
      live: "  schema then data: nothing to read back (the data file's rows and the complete file's schema stand)",
    });
    // Right after a backup, each way's start and end are redrawn in place: the backup's lines stay in view.
    assert.deepEqual(proveProgressText({ kind: 'path-done', path: 'complete', equal: true }, { brief: true }), { live: '  the complete file: equal' });
    assert.deepEqual(proofBriefLines(failedProof), [
      'NOT proved: the complete file: public.users: 1 row changed (first: id = 42); 1,200 rows in the set, 1,200 restored (and 1 more difference) (1.4 s)',
      '  the complete file: public.users: 1 row changed (first: id = 42); 1,200 rows in the set, 1,200 restored',
      '  schema then data: public.users: 1 row changed (first: id = 42); 1,200 rows in the set, 1,200 restored',
    ]);
    const lines = proofOutcomeLines(failedProof);
    assert.match(lines[0], /^NOT proved: the complete file: public\.users/);
    assert.ok(lines.includes('Differences:'));
    assert.equal(lines.at(-1), 'Scratch databases on postgres@127.0.0.1:54322, dropped again.');
  });
});

describe('Compare with Database, as a document', () => {
  const base: DiffResult = {
    setId: 'factory_pulse_20250902_100000',
    comparedAt: '2025-09-02T12:00:00.000Z',
    durationMs: 640,
    target: { host: '127.0.0.1', port: 54322, database: 'factory_pulse', user: 'postgres' },
    profile: 'plain',
    digestsFrom: 'manifest',
    tables: [{ schema: 'public', name: 'users', state: 'same', rowsInSet: 1200, rowsNow: 1200, detail: 'unchanged' }],
    objects: [],
    sequences: [],
    largeObjects: { inSet: 0, now: 0, contentsSame: true, same: true },
    same: true,
    summary: '',
  };

  it('says nothing changed since this backup when the database equals the set', () => {
    const result = { ...base, summary: diffSummary(base) };
    assert.match(diffDocument(result), /\*\*Nothing changed since this backup\*\*: 1 table, the schema and the sequences are as the set holds them/);
    assert.match(diffMessage(result), /^Nothing changed since this backup: /);
  });

  it('lists each changed table with its rows added, removed and changed, then the schema objects and sequences', () => {
    const changes = { exact: true, added: 2, removed: 1, changed: 1, firstAdded: ['id = 1201'], firstRemoved: ['id = 7'], firstChanged: ['id = 42'] };
    const tables: DiffResult['tables'] = [
      { schema: 'public', name: 'users', state: 'changed', rowsInSet: 1200, rowsNow: 1201, rows: changes, detail: tableDiffDetail(1200, 1201, changes) },
      { schema: 'public', name: 'audit_log', state: 'dropped', rowsInSet: 30, rowsNow: null, detail: 'dropped since the set was made' },
      { schema: 'public', name: 'projects', state: 'same', rowsInSet: 60, rowsNow: 60, detail: 'unchanged' },
    ];
    const changed: DiffResult = {
      ...base,
      same: false,
      tables,
      objects: [
        { type: 'INDEX', schema: 'public', name: 'users_email_lower', change: 'added' },
        { type: 'TABLE', schema: 'public', name: 'projects', change: 'changed', detail: 'column "due date" added' },
      ],
      sequences: [{ name: 'public.users_id_seq', expected: '1200', found: '1201' }],
    };
    const text = diffDocument({ ...changed, summary: diffSummary(changed) });
    assert.match(
      text,
      /\| public\.users \| 1,200 \| 1,201 \| 2 \| 1 \| 1 \| 2 rows added \(first: id = 1201\), 1 row removed \(first: id = 7\), 1 row changed \(first: id = 42\); 1,200 rows in the set, 1,201 now \|/,
    );
    assert.match(text, /\| public\.audit_log \| 30 \| — \| {2}\| {2}\| {2}\| dropped since the set was made \|/);
    assert.match(text, /1 other table unchanged\./);
    assert.match(text, /- \*\*index public\.users_email_lower\*\*: added since the set \(a restore leaves it in place\)/);
    assert.match(text, /- \*\*table public\.projects\*\*: changed since the set: column "due date" added \(a restore puts the set's back\)/);
    assert.match(text, /- public\.users_id_seq: 1200 in the set, 1201 now/);
    assert.doesNotMatch(text, /--clean/, 'no CLI flags in VS Code');
  });

  it("shows the database's name and the sequences' values as text, never as Markdown or HTML of their own", () => {
    const database = 'shop_<img src=x onerror=alert(1)> `x` [a](command:workbench.action.quit)';
    const hostile: DiffResult = {
      ...base,
      target: { ...base.target, database },
      same: false,
      sequences: [{ name: 'public.users_id_seq', expected: '1200 <b>bold</b>', found: '**1201**' }],
    };
    const lines = diffDocument({ ...hostile, summary: diffSummary(hostile) }).split('\n');
    const shown = String.raw`shop\_\<img src=x onerror=alert(1)\> \`x\` \[a\](command:workbench.action.quit)`;
    assert.equal(lines[0], `# factory_pulse_20250902_100000 compared with ${shown}`);
    assert.equal(lines[2], `Compared 2025-09-02T12:00:00.000Z with \`\`postgres@127.0.0.1:54322/${database}\`\`, read-only, in one snapshot (640 ms).`);
    assert.ok(lines[4].startsWith(`Since factory_pulse_20250902_100000, ${shown} has changed`), lines[4]);
    assert.ok(lines.includes(String.raw`- public.users_id_seq: 1200 \<b\>bold\</b\> in the set, \*\*1201\*\* now`), lines.join('\n'));
  });
});
