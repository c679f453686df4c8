/**
 * What the extension shows, without VS Code: the Backups tree's labels,
 * descriptions, icons and tooltips, a set's children, the status bar's text
 * and warning decision, and the restore confirmation's words.
 */
import * as assert from 'node:assert/strict';
import type { ListedSet } from '../../src/core/listing';
import type { Manifest } from '../../src/core/manifest';
import type { RestorePlan } from '../../src/core/restore';
import type { CheckResult, CheckStatus, VerificationReport } from '../../src/core/verification';
import {
  folderHealth,
  restoreConfirmation,
  setChildren,
  setContextValue,
  setDescription,
  setIcon,
  setLabel,
  setState,
  setTooltipMarkdown,
  statusBarModel,
  verificationSummary,
  type FolderBackups,
  type SetEntry,
} from '../../src/extension/viewModel';

const NOW = new Date('2025-09-02T12:00:00.000Z');
const HOUR = 3_600_000;

function hoursAgo(hours: number): string {
  return new Date(NOW.getTime() - hours * HOUR).toISOString();
}

function manifest(id: string, timestamp: string, extra: Partial<Manifest> = {}): Manifest {
  return {
    format: 'pulse-backup-manifest',
    formatVersion: 1,
    id,
    prefix: 'factory_pulse',
    timestamp,
    startedAt: hoursAgo(2),
    durationMs: 407,
    purpose: 'backup',
    database: { host: '127.0.0.1', port: 54322, name: 'postgres', user: 'postgres', sizeBytes: 10_141_031 },
    server: { version: '15.18', versionNum: 150018 },
    tools: { pulseBackup: '0.1.0', pgDump: { path: '/usr/lib/postgresql/15/bin/pg_dump', version: '15.18' } },
    options: { method: 'single-snapshot-split', pgDumpArgs: ['--format=plain'] },
    files: [],
    tables: [
      { schema: 'public', name: 'users', kind: 'table', rows: 1200, bytes: 65_536 },
      { schema: 'public', name: 'messages', kind: 'table', rows: 34_000, bytes: 204_800 },
    ],
    materializedViews: [],
    largeObjects: 0,
    sequences: 3,
    foreignKeyCycles: [],
    pgDumpWarnings: [],
    ...extra,
  };
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
  const all = groups.flatMap((group) => group.checks);
  return {
    setId,
    checkedAt: hoursAgo(checkedHoursAgo),
    durationMs: 850,
    groups,
    outcome: all.some((c) => c.status === 'fail') ? 'fail' : all.some((c) => c.status === 'warn') ? 'warn' : 'pass',
  };
}

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

    it('describes a set by its age and total size', () => {
      assert.equal(setDescription(entry(listedSet()), NOW, 'factory_pulse'), '2h ago · 1.2 MB');
    });

    it('says "just now", minutes and days as the status bar does', () => {
      assert.match(setDescription(entry(listedSet({ createdAt: new Date(NOW.getTime() - 20_000).toISOString() })), NOW), /^just now · /);
      assert.match(setDescription(entry(listedSet({ hoursOld: 0.25 })), NOW), /^15 min ago · /);
      assert.match(setDescription(entry(listedSet({ hoursOld: 72 })), NOW), /^3d ago · /);
    });

    it('names the prefix of a set that belongs to another project in the same folder', () => {
      assert.equal(setDescription(entry(listedSet({ prefix: 'other_app' })), NOW, 'factory_pulse'), '2h ago · 1.2 MB · other_app');
    });

    it('still says pinned and safety backup when a warning takes the icon', () => {
      const set = listedSet({ pinned: true, purpose: 'safety' });
      const warned = entry(set, verification(set.id, [check('warn', 'Permissions', 'readable by others')]));
      assert.equal(setDescription(warned, NOW), '2h ago · 1.2 MB · pinned · safety backup');
      // With the pin icon showing, the word would only repeat it.
      assert.equal(setDescription(entry(listedSet({ pinned: true })), NOW), '2h ago · 1.2 MB');
    });

    it('shows no size for a set still being written', () => {
      assert.equal(setDescription(entry(listedSet({ status: 'running', files: [], totalBytes: 0 })), NOW), '2h ago');
    });
  });

  describe('status and icon', () => {
    const cases: [string, SetEntry, string, string, string | undefined][] = [
      ['a whole set with a manifest', entry(listedSet()), 'ok', 'pass', 'testing.iconPassed'],
      ['a set being written', entry(listedSet({ status: 'running', pinned: true })), 'running', 'loading~spin', undefined],
      ['a set with a file missing', entry(listedSet({ status: 'incomplete', problems: ['x is missing'] })), 'incomplete', 'circle-slash', 'list.errorForeground'],
      ['a set of the old script', entry(listedSet({ status: 'legacy' })), 'legacy', 'archive', undefined],
      ['a safety backup', entry(listedSet({ purpose: 'safety' })), 'safety', 'shield', undefined],
      ['a pinned set', entry(listedSet({ pinned: true })), 'pinned', 'pinned', undefined],
    ];
    for (const [what, value, state, icon, color] of cases) {
      it(`shows ${what} as ${state}`, () => {
        assert.equal(setState(value), state);
        assert.deepEqual(setIcon(value), color ? { id: icon, color } : { id: icon });
      });
    }

    it('shows a set whose last verification failed as failed, even when it is pinned', () => {
      const set = listedSet({ pinned: true });
      const failed = entry(set, verification(set.id, [check('pass'), check('fail', 'Sizes', 'data file is 12 bytes short')]));
      assert.equal(setState(failed), 'failed');
      assert.deepEqual(setIcon(failed), { id: 'error', color: 'list.errorForeground' });
    });

    it('shows a set with a warning check, or pg_dump warnings, as warning', () => {
      const set = listedSet();
      assert.equal(setState(entry(set, verification(set.id, [check('warn', 'Permissions')]))), 'warning');
      const noisy = listedSet();
      noisy.manifest = manifest(noisy.id, noisy.timestamp, { pgDumpWarnings: ['pg_dump: warning: there are circular foreign-key constraints'] });
      assert.equal(setState(entry(noisy)), 'warning');
    });

    it('does not blame the set when only the pre-restore checks failed (the target was down)', () => {
      const set = listedSet();
      const report = verification(set.id, [check('pass')], 1, [check('fail', 'Target reachable', 'connection refused')]);
      assert.equal(setState(entry(set, report)), 'ok');
    });

    it('marks context values so menus can tell pinned, unpinned and running sets apart', () => {
      assert.equal(setContextValue(entry(listedSet())), 'set unpinned restorable manifest');
      assert.equal(setContextValue(entry(listedSet({ pinned: true, status: 'legacy' }))), 'set pinned restorable');
      assert.equal(setContextValue(entry(listedSet({ status: 'running' }))), 'set unpinned running');
    });
  });

  describe('tooltip', () => {
    it('gives the key facts: id, status, created, size, database, tables and rows, checks', () => {
      const set = listedSet();
      const text = setTooltipMarkdown(entry(set, verification(set.id, [check('pass'), check('pass', 'Sizes')], 3)), NOW);
      assert.match(text, /^\*\*factory_pulse_20250902_100000\*\*/);
      assert.match(text, /Status: ok/);
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

    it("says a set of the old script has no checksums or row counts, and that it was not verified yet", () => {
      const text = setTooltipMarkdown(entry(listedSet({ status: 'legacy' })), NOW);
      assert.match(text, /old backup script: no manifest/);
      assert.match(text, /Checks: not verified yet/);
    });

    it('names the checks that did not pass in the verification summary', () => {
      const set = listedSet();
      const report = verification(set.id, [check('pass'), check('fail', 'Sizes'), check('fail', 'Whole dumps')], 5);
      assert.equal(verificationSummary(report, NOW), 'verified 5h ago: failed (Sizes; Whole dumps)');
    });
  });

  describe("a set's children", () => {
    it('lists the complete, schema and data files with their sizes, then the last verification', () => {
      const set = listedSet();
      const children = setChildren(entry(set, verification(set.id, [check('pass'), check('pass', 'Sizes')])), NOW);
      assert.deepEqual(
        children.map((child) => [child.kind, child.label, child.description]),
        [
          ['file', 'Complete dump', '313 KB'],
          ['file', 'Schema-only dump', '37.2 KB'],
          ['file', 'Data-only dump', '879 KB'],
          ['verification', 'Verified 1h ago', 'passed, 2 checks'],
        ],
      );
    });

    it('shows a missing file of an incomplete set, with the reason the listing gave', () => {
      const set = listedSet({ status: 'incomplete', problems: ['factory_pulse_data_backup_20250902_100000.sql is missing'] });
      set.files = set.files.filter((file) => file.type !== 'data');
      const missing = setChildren(entry(set), NOW).find((child) => child.kind === 'missing');
      assert.ok(missing);
      assert.equal(missing.label, 'Data-only dump');
      assert.equal(missing.tooltip, 'factory_pulse_data_backup_20250902_100000.sql is missing');
    });

    it('says a set was not verified yet, and offers nothing to verify while it is written', () => {
      assert.equal(setChildren(entry(listedSet()), NOW).at(-1)?.label, 'Not verified yet');
      const running = listedSet({ status: 'running', files: [], totalBytes: 0 });
      assert.deepEqual(setChildren(entry(running), NOW), []);
    });
  });
});

describe('the status bar', () => {
  function folder(entries: SetEntry[], staleAfterHours = 24, name = 'factory-pulse'): FolderBackups {
    return { key: `file:///work/${name}`, name, entries, staleAfterHours };
  }

  it('shows the age of the last good backup and opens its report on click', () => {
    const set = listedSet();
    const model = statusBarModel([folder([entry(set)])], NOW);
    assert.equal(model.text, '$(database) 2h ago');
    assert.equal(model.warning, false);
    assert.deepEqual(model.target, { folderKey: 'file:///work/factory-pulse', setId: set.id });
    assert.match(model.tooltip, /Last good backup: `factory_pulse_20250902_100000`/);
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
    const model = statusBarModel(
      [folder([entry(newest), entry(older, verification(older.id, [check('fail', 'Checksums', 'data file differs')], 0.5))])],
      NOW,
    );
    assert.equal(model.text, '$(database) 2h ago');
    assert.equal(model.warning, true);
    assert.match(model.tooltip, /The last verification, of `factory_pulse_20250902_080000`, failed: Checksums: data file differs/);
  });

  it('forgets an old failed verification once a newer one passed', () => {
    const newest = listedSet({ timestamp: '20250902_100000', hoursOld: 2 });
    const older = listedSet({ timestamp: '20250902_080000', hoursOld: 4 });
    const health = folderHealth(
      folder([entry(newest, verification(newest.id, [check('pass')], 0.5)), entry(older, verification(older.id, [check('fail')], 3))]),
      NOW,
    );
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

  it('says "no backup" in the warning colour when there is none, and offers no report', () => {
    const model = statusBarModel([folder([])], NOW);
    assert.equal(model.text, '$(database) no backup');
    assert.equal(model.warning, true);
    assert.equal(model.target, undefined);
    assert.match(model.tooltip, /No good backup yet/);
  });

  it('spins while a backup runs', () => {
    const model = statusBarModel([folder([entry(listedSet())])], NOW, true);
    assert.equal(model.text, '$(sync~spin) Backing up…');
    assert.equal(model.warning, false);
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

  it('names the target host, port and database, and that a safety backup comes first', () => {
    const { message, detail } = restoreConfirmation(plan(), target, true);
    assert.equal(message, 'Restore factory_pulse_20250902_100000 (complete (schema and data)) into database "postgres" on 127.0.0.1:54322?');
    assert.match(detail, /Pre-flight: the set verifies \(2 checks passed\)\./);
    assert.match(detail, /nothing is replaced/);
    assert.match(detail, /A safety backup of the target is taken first/);
  });

  it('lists what the pre-flight found in the target that will be replaced, with row counts', () => {
    const replaced: RestorePlan['replaced'] = [
      { kind: 'table', schema: 'public', name: 'users', rows: 1200, dropName: 'public.users' },
      { kind: 'view', schema: 'public', name: 'active_users', rows: null, dropName: 'public.active_users' },
    ];
    const { detail } = restoreConfirmation(plan({ replaced }), target, true);
    assert.match(detail, /2 of the backup's objects already exist and will be dropped and recreated: public\.users \(1,200 rows now\), public\.active_users\./);
    const data = restoreConfirmation(plan({ mode: 'data', replaced: replaced.slice(0, 1) }), target, true).detail;
    assert.match(data, /will be emptied first: public\.users/);
  });

  it('puts the tables whose rows differ from the backup first, with both counts', () => {
    const tables: RestorePlan['replaced'] = Array.from({ length: 12 }, (_, index) => ({
      kind: 'table' as const,
      schema: 'public',
      name: `t${String(index).padStart(2, '0')}`,
      rows: 100,
      backupRows: index === 10 ? 500 : 100,
      dropName: `public.t${index}`,
    }));
    const { detail } = restoreConfirmation(plan({ mode: 'data', replaced: tables }), target, true);
    assert.match(detail, /will be emptied first: public\.t10 \(100 rows now, 500 in the backup\), public\.t00 \(100 rows now, 100 in the backup\)/);
    assert.match(detail, /and 4 more\./);
  });

  it('repeats the warnings of the pre-flight and says so when no safety backup will be taken', () => {
    const warned = plan({ verification: verification('x', [check('pass'), check('warn', 'Permissions', 'readable by group')]) });
    const { detail } = restoreConfirmation(warned, target, false);
    assert.match(detail, /verifies with 1 warning: Permissions: readable by group/);
    assert.match(detail, /No safety backup will be taken/);
  });
});
