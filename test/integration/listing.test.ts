/**
 * `list` shows what is really in a backups folder: this tool's sets, the old
 * script's sets (made here the way the script made them, with three pg_dump
 * runs), sets with a file missing, a backup still running — and nothing else.
 */
import { strict as assert } from 'node:assert';
import { copyFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadExeca } from '../support/execa';
import type { ListedSet } from '../../src/core/sets/listing';
import type { Manifest } from '../../src/core/sets/manifest';
import { assertOneLineError, runCli } from '../support/cli';
import { backupSet, createFactoryDatabase, listSets, useServer, useTempFolders } from '../support/integration';
import { writeOldScriptSet } from '../support/oldScript';

type ListedJson = Omit<ListedSet, 'manifest'>;

describe('listing a backups folder', function () {
  const server = useServer();
  const newFolder = useTempFolders('pulse-backup-list-');
  let folder: string;
  let made: Manifest;

  before(async function () {
    await createFactoryDatabase(server, 'factory_pulse');
    folder = newFolder();

    // The old script: three separate pg_dump runs, no manifest.
    const ts = '20250901_173948';
    await writeOldScriptSet(server, 'factory_pulse', folder, 'factory_pulse', ts);
    // An older run of the script that died after the schema file.
    copyFileSync(join(folder, `factory_pulse_schema_backup_${ts}.sql`), join(folder, 'factory_pulse_schema_backup_20250831_090000.sql'));
    // Other people's files.
    writeFileSync(join(folder, 'README.txt'), 'notes');
    writeFileSync(join(folder, 'seed.sql'), 'select 1;');
    writeFileSync(join(folder, 'factory_pulse_complete_backup_20250830_120000.sql.bz2'), 'zipped');

    made = await backupSet(server, 'factory_pulse', folder, 'factory_pulse');
  });

  async function list(): Promise<ListedJson[]> {
    return listSets(folder);
  }

  it("lists this tool's set, the old script's set and the broken one, newest first, and nothing else", async function () {
    const sets = await list();
    assert.deepEqual(
      sets.map((set) => [set.id, set.status]),
      [
        [made.id, 'complete'],
        ['factory_pulse_20250901_173948', 'legacy'],
        ['factory_pulse_20250831_090000', 'incomplete'],
      ],
    );
  });

  it('gives each set its files with type, name and size, and a creation time', async function () {
    const sets = await list();
    const legacy = sets.find((set) => set.status === 'legacy')!;
    assert.deepEqual(
      legacy.files.map((file) => file.type),
      ['schema', 'data', 'complete'],
    );
    assert.ok(legacy.files.every((file) => file.bytes > 0));
    assert.equal(new Date(legacy.createdAt).getFullYear(), 2025);
    assert.equal(legacy.hasManifest, false);
    const mine = sets.find((set) => set.id === made.id)!;
    assert.deepEqual(
      mine.files.map((file) => [file.type, file.name, file.bytes]),
      made.files.map((file) => [file.type, file.name, file.bytes]),
    );
    assert.equal(mine.createdAt, made.startedAt);
    const broken = sets.find((set) => set.status === 'incomplete')!;
    assert.ok(broken.problems.some((problem) => problem.includes('factory_pulse_data_backup_20250831_090000.sql is missing')));
  });

  it('marks a set whose file lost bytes as incomplete', async function () {
    const data = made.files.find((file) => file.type === 'data')!;
    const path = join(folder, data.name);
    const saved = join(folder, 'saved-data');
    copyFileSync(path, saved);
    try {
      writeFileSync(path, 'truncated');
      const mine = (await list()).find((set) => set.id === made.id)!;
      assert.equal(mine.status, 'incomplete');
      assert.match(mine.problems.join(' '), /the manifest recorded/);
    } finally {
      copyFileSync(saved, path);
      rmSync(saved);
    }
  });

  it('shows a backup that is being written as running', async function () {
    const partial = join(folder, `.factory_pulse_complete_backup_20991231_235959.sql.${process.pid}.partial`);
    const lock = join(folder, '.pulse-backup.lock');
    writeFileSync(partial, '-- partial');
    writeFileSync(lock, JSON.stringify({ pid: process.pid, host: hostname(), startedAt: new Date().toISOString(), purpose: 'backup' }));
    try {
      const sets = await list();
      assert.deepEqual([sets[0]?.id, sets[0]?.status], ['factory_pulse_20991231_235959', 'running']);
    } finally {
      rmSync(partial);
      rmSync(lock);
    }
    assert.ok(!(await list()).some((set) => set.status === 'running'), 'leftovers without a live backup are not listed');
    assert.ok(existsSync(folder));
  });

  it('prints a readable table without --json', async function () {
    const result = await runCli(['list', '--dir', folder]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, new RegExp(`${made.id} .* ok`));
    assert.match(result.stdout, /factory_pulse_20250901_173948 .* no manifest/);
    assert.match(result.stdout, /factory_pulse_20250831_090000 .* INCOMPLETE/);
  });

  it("takes latest for the newest finished backup: not a safety set, and the old script's when it is the newest", async function () {
    const here = newFolder();
    await writeOldScriptSet(server, 'factory_pulse', here, 'factory_pulse', '20250901_173948');
    const oldScript = await runCli(['show', 'latest', '--dir', here, '--json']);
    assert.equal(oldScript.code, 0, oldScript.stderr);
    assert.equal((JSON.parse(oldScript.stdout) as ListedJson).id, 'factory_pulse_20250901_173948');

    const newest = await backupSet(server, 'factory_pulse', here, 'factory_pulse');
    // guard's safety set is newer still, but a safety backup is not what latest means.
    const guard = await runCli(['guard', '--db', server.url('factory_pulse'), '--dir', here, '--prefix', 'factory_pulse', '--', 'true']);
    assert.equal(guard.code, 0, guard.stderr);
    assert.equal((await listSets(here))[0].purpose, 'safety');
    for (const command of [['show'], ['verify'], ['summary'], ['pin'], ['unpin'], ['diff', '--db', server.url('factory_pulse')]]) {
      const result = await runCli([command[0], 'latest', '--dir', here, ...command.slice(1)]);
      assert.equal(result.code, 0, `${command[0]}: ${result.stderr}`);
      assert.match(result.stdout, new RegExp(newest.id), `${command[0]} latest names ${newest.id}`);
    }

    const empty = await runCli(['verify', 'latest', '--dir', newFolder()]);
    assertOneLineError(empty);
    assert.match(empty.stderr, /^pulse-backup: no backup in .* to call latest: it has no finished, whole backup set/);
    const missing = await runCli(['restore', 'latest', '--mode', 'complete', '--dir', join(here, 'nope'), '--db', server.url('factory_pulse'), '--yes']);
    assertOneLineError(missing);
    assert.match(missing.stderr, /no backup to call latest: the folder .*nope does not exist/);
  });

  it("takes the set made last for the newest, not the one whose name carries the latest local time: a backup after the clock's time zone changed", async function () {
    // A laptop taken from Tokyo to Los Angeles, or a cron job in a UTC container beside an editor on local time.
    const here = newFolder();
    await server.createDatabase('clock_zones');
    await server.query('clock_zones', 'CREATE TABLE readings (id integer PRIMARY KEY); INSERT INTO readings VALUES (1)');
    const east = await backupSet(server, 'clock_zones', here, 'zones', [], { env: { TZ: 'Asia/Tokyo' } });
    await server.query('clock_zones', 'INSERT INTO readings VALUES (2)');
    const west = await backupSet(server, 'clock_zones', here, 'zones', [], { env: { TZ: 'America/Los_Angeles' } });
    assert.ok(west.timestamp < east.timestamp, `the set made later carries the earlier name: ${west.timestamp} < ${east.timestamp}`);

    for (const TZ of ['UTC', 'Asia/Tokyo', 'America/Los_Angeles']) {
      const listed = await runCli(['list', '--dir', here, '--json'], { env: { TZ } });
      assert.deepEqual(
        (JSON.parse(listed.stdout) as ListedJson[]).map((set) => set.id),
        [west.id, east.id],
        `list in ${TZ}`,
      );
      const latest = await runCli(['show', 'latest', '--dir', here, '--json'], { env: { TZ } });
      assert.equal((JSON.parse(latest.stdout) as ListedJson).id, west.id, `latest in ${TZ}`);
    }
    const diff = await runCli(['diff', 'latest', '--dir', here, '--db', server.url('clock_zones')]);
    assert.equal(diff.code, 0, diff.stderr);
    assert.match(diff.stdout, new RegExp(`${west.id}`));
    assert.doesNotMatch(diff.stdout, /readings/, 'latest holds both rows: nothing differs');

    const prune = await runCli(['prune', '--dir', here, '--prefix', 'zones', '--keep-last', '1'], { env: { TZ: 'UTC' } });
    assert.equal(prune.code, 0, prune.stderr);
    assert.match(prune.stdout, new RegExp(`kept +${west.id}`));
    assert.deepEqual(
      (await listSets(here)).map((set) => set.id),
      [west.id],
    );
  });

  it('says whether an empty listing is an empty folder or one that does not exist yet, and creates neither', async function () {
    const empty = newFolder();
    const missing = join(empty, 'not-yet');
    assert.equal((await runCli(['list', '--dir', empty])).stdout, `No backup sets in ${empty}`);
    const result = await runCli(['list', '--dir', missing]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, `No backup sets in ${missing} (there is no such folder yet: a backup creates it)`);
    assert.ok(!existsSync(missing), 'list creates no folder');
    assert.equal((await runCli(['list', '--dir', missing, '--json'])).stdout.trim(), '[]');
  });

  it('shows progress table by table on a terminal, and only the manifest on stdout with --json', async function () {
    const dir = mkdtempSync(join(tmpdir(), 'pulse-backup-tty-'));
    try {
      const execa = await loadExeca();
      // `script` gives the CLI a real terminal, as a person running it has.
      const command = `${process.execPath} dist/cli.js backup --db '${server.url('factory_pulse')}' --dir '${dir}' --prefix tty`;
      const onTerminal = await execa('script', ['-qec', command, '/dev/null'], { reject: false, env: { ...process.env, TERM: 'xterm' } });
      assert.equal(onTerminal.exitCode, 0, onTerminal.stdout);
      assert.match(onTerminal.stdout, /Connected to PostgreSQL 15\./);
      assert.match(onTerminal.stdout, /public\.users\s+[\d,]+ rows/);
      assert.match(onTerminal.stdout, /Backup set tty_\d{8}_\d{6} written to/);
      assert.ok(!onTerminal.stdout.includes(server.password));

      const json = await runCli(['backup', '--db', server.url('factory_pulse'), '--dir', dir, '--prefix', 'tty', '--json']);
      assert.equal(json.code, 0, json.stderr);
      assert.equal((JSON.parse(json.stdout) as Manifest).prefix, 'tty');
      assert.equal(json.stderr, '');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
