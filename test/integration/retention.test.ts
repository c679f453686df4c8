/**
 * Retention through the real CLI on sets from real backups: prune removes old
 * sets whole and nothing else, keeps pinned sets and the newest set that
 * verifies, refuses while a backup runs; `backup --keep` prunes only after a
 * backup that succeeded; pin and unpin show in the listing.
 *
 * Many sets are made quickly by copying one real set under other timestamps
 * (its manifest rewritten to match), so every copy verifies like the original.
 */
import { strict as assert } from 'node:assert';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { readHistory } from '../../src/core/sets/history';
import type { Manifest } from '../../src/core/sets/manifest';
import { fileNameFor, manifestNameFor, parseBackupFileName, setIdFor } from '../../src/core/sets/naming';
import type { PruneJson } from '../../src/cli/retentionOutput';
import { assertOneLineError, runCli, type CliOptions } from '../support/cli';
import { backupSet, createFactoryDatabase, listSets, useServer, useTempFolders } from '../support/integration';
import { closedPort } from '../support/ports';
import { folderState } from '../support/folderState';

const PREFIX = 'factory_pulse';

describe('retention', function () {
  const server = useServer();
  const freshFolder = useTempFolders('pulse-retention-');
  let sourceFolder: string;
  let original: Manifest;

  before(async function () {
    await createFactoryDatabase(server, PREFIX);
    sourceFolder = freshFolder();
    original = await backupSet(server, PREFIX, sourceFolder, PREFIX);
  });

  /** The real set under another timestamp (and prefix), its manifest rewritten to name the copies. */
  function copySet(folder: string, timestamp: string, options: { prefix?: string; legacy?: boolean } = {}): string {
    const prefix = options.prefix ?? PREFIX;
    const files = original.files.map((file) => {
      const name = fileNameFor(prefix, file.type, timestamp);
      copyFileSync(join(sourceFolder, file.name), join(folder, name));
      return { ...file, name };
    });
    if (!options.legacy) {
      const manifest: Manifest = { ...original, id: setIdFor(prefix, timestamp), prefix, timestamp, files };
      writeFileSync(join(folder, manifestNameFor(prefix, timestamp)), `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o600 });
    }
    return setIdFor(prefix, timestamp);
  }

  async function prune(folder: string, args: string[], cwd?: string, options: CliOptions = {}): Promise<PruneJson> {
    const result = await runCli(['prune', '--dir', folder, ...args, '--json'], { ...options, ...(cwd ? { cwd } : {}) });
    assert.equal(result.code, 0, result.stderr);
    return JSON.parse(result.stdout) as PruneJson;
  }

  it('prune removes old sets whole and never touches foreign files, other prefixes or pinned sets', async function () {
    // The prefix comes from the current folder's name, as it does for backup.
    const project = join(freshFolder(), 'Factory Pulse');
    const folder = join(project, 'backups');
    mkdirSync(folder, { recursive: true });
    for (const day of ['01', '02', '03', '04', '05']) copySet(folder, `202501${day}_000000`);
    copySet(folder, '20241231_000000', { legacy: true });
    copySet(folder, '20240101_000000', { prefix: 'factory_pulse_archive' });
    const foreign = {
      'notes.txt': 'restore drills every Friday',
      'seed.sql': 'insert into users values (1);',
      'factory_pulse_complete_backup_20250101_000000.sql.bz2': 'compressed copy',
      'factory_pulse_20250103_000000.manifest.json~': 'an editor backup',
      'factory_pulse_schema_backup_20250103.sql': 'a hand-named dump',
    };
    for (const [name, content] of Object.entries(foreign)) writeFileSync(join(folder, name), content);
    const pin = await runCli(['pin', 'factory_pulse_20250102_000000', '--dir', 'backups'], { cwd: project });
    assert.equal(pin.code, 0, pin.stderr);
    const before = folderState(folder);

    const result = await prune('backups', ['--keep', '2'], project);

    assert.deepEqual(result.kept, ['factory_pulse_20250105_000000', 'factory_pulse_20250104_000000']);
    assert.deepEqual(result.protected, [{ id: 'factory_pulse_20250102_000000', reason: 'pinned' }]);
    assert.deepEqual(result.removed, ['factory_pulse_20241231_000000', 'factory_pulse_20250101_000000', 'factory_pulse_20250103_000000']);
    assert.equal(result.dryRun, false);
    assert.equal(result.newestGood?.id, 'factory_pulse_20250105_000000');

    const after = folderState(folder);
    for (const name of Object.keys(foreign)) assert.equal(after[name], before[name], `${name} is untouched`);
    for (const [name, hash] of Object.entries(before)) {
      const owner = parseBackupFileName(name)?.setId;
      if (owner && result.removed.includes(owner)) assert.equal(after[name], undefined, `${name} was removed with its set`);
      else assert.equal(after[name], hash, `${name} is untouched`);
    }
    assert.deepEqual(
      (await listSets(folder)).map((set) => [set.id, set.status, set.pinned]),
      [
        ['factory_pulse_20250105_000000', 'complete', false],
        ['factory_pulse_20250104_000000', 'complete', false],
        ['factory_pulse_20250102_000000', 'complete', true],
        ['factory_pulse_archive_20240101_000000', 'complete', false],
      ],
    );
  });

  it('keeps the newest set that verifies when the newer sets are damaged', async function () {
    const folder = freshFolder();
    for (const day of ['01', '02', '03', '04']) copySet(folder, `202501${day}_000000`);
    // The newest lost the end of its data file; the next has a byte changed at the same size,
    // which only its checksums give away.
    const dataOf = (day: string) => join(folder, fileNameFor(PREFIX, 'data', `202501${day}_000000`));
    truncateSync(dataOf('04'), 100);
    const changed = readFileSync(dataOf('03'));
    changed[changed.length - 200] ^= 0x01;
    writeFileSync(dataOf('03'), changed);
    const before = folderState(folder);

    const preview = await runCli(['prune', '--dir', folder, '--prefix', PREFIX, '--keep', '1', '--dry-run']);
    assert.equal(preview.code, 0, preview.stderr);
    assert.match(preview.stdout, /keep\s+factory_pulse_20250104_000000\s+INCOMPLETE/);
    assert.match(preview.stdout, /keep\s+factory_pulse_20250102_000000\s+ok\s+the newest set that verifies \(verified just now: (pass|warn)\)/);
    assert.match(preview.stdout, /would remove\s+factory_pulse_20250103_000000/);
    assert.match(preview.stdout, /note: factory_pulse_20250103_000000 is not a good set: .*sha256/);
    assert.match(preview.stdout, /Would remove 2 sets .*nothing was removed/);
    assert.deepEqual(folderState(folder), before, 'a dry run changes nothing');

    const result = await prune(folder, ['--prefix', PREFIX, '--keep', '1']);
    assert.deepEqual(result.kept, ['factory_pulse_20250104_000000']);
    assert.deepEqual(result.protected, [{ id: 'factory_pulse_20250102_000000', reason: 'newest-good' }]);
    assert.deepEqual(result.removed, ['factory_pulse_20250101_000000', 'factory_pulse_20250103_000000']);
    assert.deepEqual(
      (await listSets(folder)).map((set) => [set.id, set.status]),
      [
        ['factory_pulse_20250104_000000', 'incomplete'],
        ['factory_pulse_20250102_000000', 'complete'],
      ],
    );
  });

  it('a dry run removes nothing and says what it would remove', async function () {
    const folder = freshFolder();
    for (const day of ['01', '02', '03']) copySet(folder, `202501${day}_000000`);
    const before = folderState(folder);
    const result = await prune(folder, ['--prefix', PREFIX, '--keep', '1', '--dry-run']);
    assert.equal(result.dryRun, true);
    assert.deepEqual(result.removed, ['factory_pulse_20250101_000000', 'factory_pulse_20250102_000000']);
    assert.deepEqual(folderState(folder), before);
  });

  it('prune refuses, removing nothing, while a backup holds the folder', async function () {
    const folder = freshFolder();
    for (const day of ['01', '02', '03']) copySet(folder, `202501${day}_000000`);
    writeFileSync(join(folder, '.pulse-backup.lock'), JSON.stringify({ pid: process.pid, host: hostname(), startedAt: new Date().toISOString(), purpose: 'backup' }));
    const before = folderState(folder);
    for (const extra of [[], ['--dry-run']]) {
      const result = await runCli(['prune', '--dir', folder, '--prefix', PREFIX, '--keep', '1', ...extra]);
      assertOneLineError(result);
      assert.match(result.stderr, /another backup is running in .* \(pid \d+/);
      assert.match(result.stderr, /nothing was removed/);
    }
    assert.deepEqual(folderState(folder), before);
  });

  it('backup --keep 2 three times leaves the newest two sets, and the third records what it removed', async function () {
    const folder = freshFolder();
    const backup = (...extra: string[]) => runCli(['backup', '--db', server.url(PREFIX), '--dir', folder, '--prefix', PREFIX, '--keep', '2', ...extra]);
    const first = await backup('--json');
    assert.equal(first.code, 0, first.stderr);
    const second = await backup('--json');
    assert.equal(second.code, 0, second.stderr);
    assert.equal(second.stderr, '', 'nothing to say when nothing was removed');
    const third = await backup();
    assert.equal(third.code, 0, third.stderr);

    const firstId = (JSON.parse(first.stdout) as Manifest).id;
    const secondId = (JSON.parse(second.stdout) as Manifest).id;
    const sets = await listSets(folder);
    assert.equal(sets.length, 2);
    assert.equal(sets[1].id, secondId);
    assert.ok(sets.every((set) => set.status === 'complete'));
    assert.match(third.stdout, new RegExp(`Retention \\(keep 2\\): removed 1 older set \\([^)]+\\): ${firstId}`));
    const history = await readHistory(folder, sets[0].id);
    assert.deepEqual(
      history.retention.map((event) => [event.keep, event.removed]),
      [[2, [firstId]]],
    );
  });

  it('backup without --keep into a folder of eleven sets it never kept removes nothing, says so, and prune removes them', async function () {
    const folder = freshFolder();
    for (let day = 1; day <= 11; day++) copySet(folder, `202501${String(day).padStart(2, '0')}_000000`);
    const before = folderState(folder);
    const result = await runCli(['backup', '--db', server.url(PREFIX), '--dir', folder, '--prefix', PREFIX, '--json']);
    assert.equal(result.code, 0, result.stderr);
    const manifest = JSON.parse(result.stdout) as Manifest;
    assert.match(result.stderr, /Retention \(keep 10\): removed nothing/);
    assert.match(
      result.stderr,
      /Retention held back 2 sets \([^)]+\) it would remove, because that needs a confirmation \(2 sets this policy has not kept before \(retention has not run in this folder yet\)\): factory_pulse_20250101_000000, factory_pulse_20250102_000000\./,
    );
    assert.match(result.stderr, /Run pulse-backup prune with the same --keep flags to remove them/);
    for (const name of Object.keys(before)) assert.ok(readdirSync(folder).includes(name), `${name} is still there`);
    assert.equal((await listSets(folder)).length, 12);

    const dryRun = await prune(folder, ['--prefix', PREFIX, '--dry-run']);
    assert.deepEqual(dryRun.removed, ['factory_pulse_20250101_000000', 'factory_pulse_20250102_000000']);
    assert.equal(dryRun.confirmation.length, 1);
    const pruned = await prune(folder, ['--prefix', PREFIX]);
    assert.deepEqual(pruned.removed, dryRun.removed);
    const ids = (await listSets(folder)).map((set) => set.id);
    assert.equal(ids.length, 10);
    assert.equal(ids[0], manifest.id);

    // From now on the policy has kept these ten: the next backup's removal of the oldest is routine.
    const next = await runCli(['backup', '--db', server.url(PREFIX), '--dir', folder, '--prefix', PREFIX]);
    assert.equal(next.code, 0, next.stderr);
    assert.match(next.stdout, /Retention \(keep 10\): removed 1 older set \([^)]+\): factory_pulse_20250103_000000/);
    assert.doesNotMatch(next.stdout, /held back/);
  });

  it('prune --keep-daily 2 --keep-weekly 2 keeps the newest set of each of the last two days and weeks, and says which rule keeps each', async function () {
    const folder = freshFolder();
    for (const timestamp of ['20250106_090000', '20250106_180000', '20250107_090000', '20250114_090000', '20250115_090000', '20250115_180000']) copySet(folder, timestamp);
    const text = await runCli(['prune', '--dir', folder, '--prefix', PREFIX, '--keep-daily', '2', '--keep-weekly', '2', '--dry-run']);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /^Dry run: keeping 2 daily, 2 weekly and the newest 3 safety sets of factory_pulse in /);
    assert.match(text.stdout, /keep +factory_pulse_20250115_180000 +ok +the newest of 2025-01-15 \(daily\); the newest of week 2025-W03 \(weekly\)/);
    assert.match(text.stdout, /keep +factory_pulse_20250114_090000 +ok +the newest of 2025-01-14 \(daily\)/);
    assert.match(text.stdout, /keep +factory_pulse_20250107_090000 +ok +the newest of week 2025-W02 \(weekly\)/);
    const result = await prune(folder, ['--prefix', PREFIX, '--keep-daily', '2', '--keep-weekly', '2']);
    assert.deepEqual(result.policy, { last: 0, hourly: 0, daily: 2, weekly: 2, monthly: 0, yearly: 0 });
    assert.deepEqual([...result.removed].sort(), ['factory_pulse_20250106_090000', 'factory_pulse_20250106_180000', 'factory_pulse_20250115_090000']);
    assert.deepEqual(
      (await listSets(folder)).map((set) => set.id),
      ['factory_pulse_20250115_180000', 'factory_pulse_20250114_090000', 'factory_pulse_20250107_090000'],
    );

    const refused = await runCli(['prune', '--dir', folder, '--prefix', PREFIX, '--keep-last', '0']);
    assertOneLineError(refused, 2);
    assert.match(refused.stderr, /this retention policy would keep no set at all/);
  });

  it('safety sets never push the only real backup out: after three restores, prune --keep 3 keeps it', async function () {
    const folder = freshFolder();
    const made = await runCli(['backup', '--db', server.url(PREFIX), '--dir', folder, '--prefix', PREFIX, '--json']);
    assert.equal(made.code, 0, made.stderr);
    const backupId = (JSON.parse(made.stdout) as Manifest).id;
    await server.createDatabase('retention_restored', { template: PREFIX });
    for (let restore = 1; restore <= 3; restore += 1) {
      const result = await runCli(['restore', backupId, '--mode', 'complete', '--clean', '--db', server.url('retention_restored'), '--dir', folder, '--yes']);
      assert.equal(result.code, 0, result.stderr);
    }
    const sets = await listSets(folder);
    const safetyIds = sets.filter((set) => set.purpose === 'safety').map((set) => set.id);
    assert.equal(safetyIds.length, 3);

    const kept = await prune(folder, ['--prefix', PREFIX, '--keep', '3']);
    assert.deepEqual(kept.removed, []);
    assert.deepEqual(kept.kept, [backupId]);
    assert.deepEqual(kept.keptSafety, safetyIds);

    const fewer = await prune(folder, ['--prefix', PREFIX, '--keep', '1', '--keep-safety', '1']);
    assert.deepEqual(fewer.kept, [backupId]);
    assert.deepEqual(fewer.keptSafety, [safetyIds[0]]);
    assert.deepEqual([...fewer.removed].sort(), safetyIds.slice(1).sort());
    assert.deepEqual(
      (await listSets(folder)).map((set) => set.id),
      [safetyIds[0], backupId],
    );

    const text = await runCli(['prune', '--dir', folder, '--prefix', PREFIX, '--keep', '1', '--keep-safety', '0', '--dry-run']);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /keeping the last 1 and the newest 0 safety sets/);
    assert.match(text.stdout, new RegExp(`would remove +${safetyIds[0]} .* older than the newest 0 safety sets`));
  });

  it('compressed and encrypted sets go whole, a plain copy of a dump (gunzip -k) with them: prune removed only their manifests and said it had removed them', async function () {
    const folder = freshFolder();
    const passphrase = { env: { PULSE_BACKUP_PASSPHRASE: 'retention of stored sets' } };
    const made = [
      await backupSet(server, PREFIX, folder, PREFIX, ['--compress', 'gzip']),
      await backupSet(server, PREFIX, folder, PREFIX, ['--compress', 'zstd', '--encrypt'], passphrase),
      await backupSet(server, PREFIX, folder, PREFIX, ['--encrypt'], passphrase),
    ];
    // Each backup is its own second: the third is the newest.
    assert.equal(new Set(made.map((set) => set.id)).size, 3);
    const oldest = made[0];
    const dataFile = oldest.files.find((file) => file.type === 'data')!.name;
    writeFileSync(join(folder, dataFile.replace(/\.gz$/, '')), gunzipSync(readFileSync(join(folder, dataFile))));
    const result = await prune(folder, ['--prefix', PREFIX, '--keep', '1'], undefined, passphrase);
    assert.deepEqual(
      [...result.removed].sort(),
      made
        .slice(0, 2)
        .map((set) => set.id)
        .sort(),
    );
    const kept = made[2];
    assert.deepEqual(
      readdirSync(folder)
        .filter((name) => !name.startsWith('.') && parseBackupFileName(name)?.timestamp !== kept.timestamp)
        .sort(),
      [],
      'nothing of the removed sets is left',
    );
    for (const file of kept.files) assert.ok(readdirSync(folder).includes(file.name), file.name);
    assert.deepEqual(
      (await listSets(folder)).map((set) => set.id),
      [kept.id],
    );
  });

  it('a set dated after now (a wrong clock) stops prune and the retention of backup --keep, removing nothing: it was the newest for ever, and the sets made since were removed', async function () {
    const folder = freshFolder();
    copySet(folder, '20250101_000000');
    copySet(folder, '20250102_000000');
    copySet(folder, '20300101_000000', { legacy: true });
    const before = folderState(folder);
    const refused = await runCli(['prune', '--dir', folder, '--prefix', PREFIX, '--keep', '1']);
    assertOneLineError(refused);
    assert.match(
      refused.stderr,
      /^pulse-backup: cannot tell which set is the newest: factory_pulse_20300101_000000 is dated 2030-01-01T\S+, after now \(\S+\): nothing was removed; a clock was wrong when it was made, or is wrong now: check this machine's clock, then move that set out of .+ \(or remove it\) and prune again$/,
    );
    assert.deepEqual(folderState(folder), before);
    const backedUp = await runCli(['backup', '--db', server.url(PREFIX), '--dir', folder, '--prefix', PREFIX, '--keep', '1']);
    assert.equal(backedUp.code, 0, backedUp.stderr);
    assert.match(backedUp.stderr, /warning: the backup succeeded, but retention did not run to the end: cannot tell which set is the newest: factory_pulse_20300101_000000/);
    assert.deepEqual((await listSets(folder)).map((set) => set.id).filter((id) => !id.endsWith('20300101_000000')).length, 3, 'the two older sets and the new one');
  });

  it("unpin where a folder has the pin marker's name: one line saying so, the set still pinned (it was an unexpected error)", async function () {
    const folder = freshFolder();
    const id = copySet(folder, '20250103_000000');
    mkdirSync(join(folder, `${id}.pinned`));
    const refused = await runCli(['unpin', id, '--dir', folder]);
    assertOneLineError(refused);
    assert.equal(
      refused.stderr.trim(),
      `pulse-backup: cannot unpin ${id}: ${join(folder, `${id}.pinned`)} is a folder, not the pin marker this tool writes: it is still pinned; remove that folder yourself if nothing of yours is in it, and the set is unpinned`,
    );
    assert.equal((await listSets(folder)).find((set) => set.id === id)?.pinned, true);
  });

  it('a failed backup prunes nothing', async function () {
    const folder = freshFolder();
    for (const day of ['01', '02', '03']) copySet(folder, `202501${day}_000000`);
    const before = folderState(folder);
    const closed = `postgresql://postgres:secret@127.0.0.1:${await closedPort()}/${PREFIX}`;
    const result = await runCli(['backup', '--db', closed, '--dir', folder, '--prefix', PREFIX, '--keep', '1']);
    assertOneLineError(result);
    assert.deepEqual(folderState(folder), before);
  });

  it('pin and unpin round trip, and the listing shows pinned', async function () {
    const folder = freshFolder();
    const id = copySet(folder, '20250101_000000');
    copySet(folder, '20250102_000000');

    const pinned = await runCli(['pin', id, '--dir', folder]);
    assert.equal(pinned.code, 0, pinned.stderr);
    assert.match(pinned.stdout, new RegExp(`^Pinned ${id}`));
    const again = await runCli(['pin', id, '--dir', folder, '--json']);
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual(JSON.parse(again.stdout), { id, pinned: true, changed: false });
    assert.deepEqual(
      (await listSets(folder)).map((set) => [set.id, set.pinned]),
      [
        ['factory_pulse_20250102_000000', false],
        [id, true],
      ],
    );
    const table = await runCli(['list', '--dir', folder]);
    assert.match(table.stdout, new RegExp(`${id} .* ok \\(pinned\\)`));
    assert.deepEqual((await prune(folder, ['--prefix', PREFIX, '--keep', '1'])).protected, [{ id, reason: 'pinned' }]);

    const unpinned = await runCli(['unpin', id, '--dir', folder]);
    assert.equal(unpinned.code, 0, unpinned.stderr);
    assert.match(unpinned.stdout, new RegExp(`^Unpinned ${id}`));
    const twice = await runCli(['unpin', id, '--dir', folder]);
    assert.match(twice.stdout, /is not pinned; nothing changed/);
    assert.equal((await listSets(folder)).find((set) => set.id === id)?.pinned, false);

    const unknown = await runCli(['pin', 'factory_pulse_20240101_000000', '--dir', folder]);
    assertOneLineError(unknown);
    assert.match(unknown.stderr, /no backup set factory_pulse_20240101_000000/);
  });
});
