/**
 * A backups folder on a full disk, and on read-only media. A backup that
 * fails for want of space leaves nothing behind — no lock that blocks the
 * next run, no hidden file — and runs again as soon as there is room; a
 * restore that writes nothing into the folder (--no-safety-backup) works
 * from a full or read-only folder, as disaster recovery from such media
 * must. pin, summary --out and pull name the folder whose disk is full; a
 * restore that fills the database server's disk (a tablespace on a small
 * disk) says it is the server's, and that the target is unchanged. The
 * disks are small tmpfs mounts, which need root.
 */
import { strict as assert } from 'node:assert';
import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Manifest } from '../../src/core/sets/manifest';
import { assertOneLineError, runCli } from '../support/cli';
import { startServer, type TestServer } from '../support/pgServer';
import { skipBecause } from '../support/skip';
import { startS3Server } from '../support/s3Server';
import { serverProcessOwner } from '../support/serverBinaries';
import { diffFingerprints, fingerprintDatabase, type Fingerprint } from '../support/fingerprint';

/** What a failed run must not leave: a lock entry or a hidden temporary. */
/** Hidden files a run left: temporaries and locks (the retention record is meant to stay). */
function leftBehind(folder: string): string[] {
  return readdirSync(folder).filter((name) => name.startsWith('.') && name !== '.pulse-backup.retention.json');
}

/** Fills the file system holding `folder` to the last byte. */
function fill(folder: string): void {
  const chunk = Buffer.alloc(64 * 1024, 1);
  for (let index = 0; ; index += 1) {
    try {
      writeFileSync(join(folder, `filler-${index}`), chunk);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
      // The last, partly written filler takes what room was left.
      break;
    }
  }
  for (let size = 32 * 1024; size >= 1; size = Math.floor(size / 2)) {
    try {
      writeFileSync(join(folder, `crumb-${size}`), Buffer.alloc(size, 1));
    } catch {
      // no room for this one
    }
  }
}

/** Nothing left behind, nothing removed: the folder holds what it held before the fillers went in. */
function assertAsBefore(folder: string, before: string[]): void {
  assert.deepEqual(leftBehind(folder), []);
  assert.deepEqual(
    readdirSync(folder)
      .filter((name) => !/^(filler|crumb)-/.test(name))
      .sort(),
    before,
  );
}

function unfill(folder: string): void {
  for (const name of readdirSync(folder)) if (/^(filler|crumb)-/.test(name)) rmSync(join(folder, name));
}

/** A small tmpfs of its own (root only, Linux only); undefined where it cannot be mounted. */
function mountSmallDisk(name: string, options: string): string | undefined {
  if (process.getuid?.() !== 0 || process.platform !== 'linux') return undefined;
  const mountPoint = mkdtempSync(join(tmpdir(), name));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', mountPoint], { stdio: 'pipe' });
    return mountPoint;
  } catch {
    rmSync(mountPoint, { recursive: true, force: true });
    return undefined;
  }
}

function unmountSmallDisk(mountPoint: string | undefined): void {
  if (!mountPoint) return;
  execFileSync('umount', [mountPoint], { stdio: 'pipe' });
  rmSync(mountPoint, { recursive: true, force: true });
}

/** Tests that need a small disk of their own are skipped, saying why, where none could be mounted. */
function skipWithoutSmallDisk(test: Mocha.Context, mountPoint: string | undefined): void {
  if (!mountPoint) skipBecause(test, process.getuid?.() !== 0 ? 'needs root to mount a small tmpfs' : 'mounting a tmpfs failed here');
}

describe('a full or read-only backups folder', function () {
  let server: TestServer;
  let mountPoint: string | undefined;
  let folder: string;
  let made: Manifest;
  const database = 'small_app';

  before(async function () {
    mountPoint = mountSmallDisk('pulse-backup-tmpfs-', 'size=4m,mode=0700');
    if (!mountPoint) return;
    folder = join(mountPoint, 'backups');
    server = await startServer();
    await server.createDatabase(database);
    await server.query(database, 'CREATE TABLE notes (id serial PRIMARY KEY, body text NOT NULL)');
    await server.query(database, "INSERT INTO notes (body) SELECT 'note ' || n FROM generate_series(1, 200) AS n");
    const first = await runCli(['backup', '--db', server.url(database), '--dir', folder, '--prefix', 'small', '--json']);
    assert.equal(first.code, 0, first.stderr);
    made = JSON.parse(first.stdout) as Manifest;
  });

  after(async function () {
    await server?.stop();
    unmountSmallDisk(mountPoint);
  });

  beforeEach(function () {
    skipWithoutSmallDisk(this, mountPoint);
  });

  it('a backup into a full folder fails in one line, leaves no lock and no hidden file, and the next one runs once there is room', async function () {
    fill(folder);
    try {
      const full = await runCli(['backup', '--db', server.url(database), '--dir', folder, '--prefix', 'small']);
      assertOneLineError(full);
      assert.match(full.stderr, /the disk holding \S+ is full.*: free some space .*; nothing was written and older backups are untouched$/m);
      assert.deepEqual(leftBehind(folder), []);
      // prune still works on a full disk: it only removes.
      const prune = await runCli(['prune', '--dir', folder, '--prefix', 'small']);
      assert.equal(prune.code, 0, prune.stderr);
      assert.deepEqual(leftBehind(folder), []);
    } finally {
      unfill(folder);
    }
    const again = await runCli(['backup', '--db', server.url(database), '--dir', folder, '--prefix', 'small', '--json']);
    assert.equal(again.code, 0, again.stderr);
    rmSync(join(folder, `${(JSON.parse(again.stdout) as Manifest).id}.manifest.json`));
    for (const file of (JSON.parse(again.stdout) as Manifest).files) rmSync(join(folder, file.name));
  });

  it("a backup whose whole dump fits pg_dump's last buffer, on a disk with no room, says the disk is full: pg_dump itself exits 0 there, its file empty", async function () {
    const tiny = 'tiny_app';
    await server.createDatabase(tiny);
    await server.query(tiny, "CREATE TABLE flags (name text PRIMARY KEY); INSERT INTO flags VALUES ('beta'), ('dark-mode')");
    const before = readdirSync(folder).sort();
    fill(folder);
    try {
      // The fact the backup must not miss: pg_dump does not check the flush of its standard output's last buffer.
      const probe = join(folder, 'probe.sql');
      writeFileSync(probe, '');
      const output = openSync(probe, 'w');
      const plain = spawnSync('pg_dump', ['--no-password', server.url(tiny)], { stdio: ['ignore', output, 'pipe'] });
      closeSync(output);
      assert.equal(plain.status, 0, plain.stderr.toString());
      assert.equal(statSync(probe).size, 0);
      rmSync(probe);

      const full = await runCli(['backup', '--db', server.url(tiny), '--dir', folder, '--prefix', 'tiny']);
      assertOneLineError(full);
      assert.match(
        full.stderr,
        /the disk holding \S+ is full: pg_dump could not write the end of the dump: free some space .*; nothing was written and older backups are untouched$/m,
      );
      assertAsBefore(folder, before);
    } finally {
      unfill(folder);
    }
  });

  it('a parallel backup whose disk fills while its sessions write fails in one line and leaves nothing behind; the folder is as it was', async function () {
    const big = 'jobs_app';
    await server.createDatabase(big);
    // Two tables of about 1.5 MB of rows each: together more than the room left.
    for (const table of ['readings', 'events']) {
      await server.query(big, `CREATE TABLE ${table} (id integer PRIMARY KEY, body text NOT NULL)`);
      await server.query(big, `INSERT INTO ${table} SELECT n, repeat(md5(n::text), 3) FROM generate_series(1, 15000) AS n`);
    }
    const before = readdirSync(folder).sort();
    fill(folder);
    // About 1 MB of room: the dump starts, then the disk runs out under the sessions.
    const fillers = readdirSync(folder).filter((name) => name.startsWith('filler-'));
    for (const name of fillers.slice(0, 16)) rmSync(join(folder, name));
    try {
      const full = await runCli(['backup', '--db', server.url(big), '--dir', folder, '--prefix', 'jobs', '--jobs', '3'], { env: { PULSE_BACKUP_PARALLEL_MIN_BYTES: '0' } });
      assertOneLineError(full);
      assert.match(full.stderr, /the disk holding \S+ is full.*: free some space .*; nothing was written and older backups are untouched$/m);
      assertAsBefore(folder, before);
      // "Untouched" holds: the set already there still verifies.
      const verify = await runCli(['verify', made.id, '--dir', folder]);
      assert.equal(verify.code, 0, verify.stderr);
    } finally {
      unfill(folder);
    }
  });

  it('restore --no-safety-backup works from a full folder; with a safety backup it refuses, changing nothing', async function () {
    await server.dropDatabase('restored_full');
    await server.createDatabase('restored_full');
    fill(folder);
    try {
      const refused = await runCli(['restore', made.id, '--mode', 'complete', '--db', server.url('restored_full'), '--dir', folder, '--yes']);
      assertOneLineError(refused);
      assert.deepEqual(await server.query('restored_full', "SELECT 1 FROM pg_tables WHERE tablename = 'notes'"), []);
      const restored = await runCli(['restore', made.id, '--mode', 'complete', '--db', server.url('restored_full'), '--dir', folder, '--yes', '--no-safety-backup']);
      assert.equal(restored.code, 0, restored.stderr);
      assert.deepEqual(await server.query('restored_full', 'SELECT count(*)::int AS n FROM notes'), [{ n: 200 }]);
      assert.deepEqual(leftBehind(folder), []);
    } finally {
      unfill(folder);
    }
  });

  it('pin, unpin and summary --out on a full disk or read-only media fail in one line naming the folder and what did not change', async function () {
    const pinFile = join(folder, `${made.id}.pinned`);
    fill(folder);
    try {
      const pin = await runCli(['pin', made.id, '--dir', folder]);
      assertOneLineError(pin);
      assert.equal(pin.stderr.trim(), `pulse-backup: cannot pin ${made.id}: the disk holding ${folder} is full: free some space, then pin it again; it is not pinned`);
      const summary = await runCli(['summary', made.id, '--dir', folder, '--out', join(folder, 'summary.md')]);
      assertOneLineError(summary);
      assert.equal(
        summary.stderr.trim(),
        `pulse-backup: cannot write the summary to ${join(folder, 'summary.md')}: the disk holding ${folder} is full: free some space, or write it elsewhere with --out`,
      );
      assert.deepEqual(leftBehind(folder), []);
      assert.equal(existsSync(pinFile) || existsSync(join(folder, 'summary.md')), false);
    } finally {
      unfill(folder);
    }
    assert.equal((await runCli(['pin', made.id, '--dir', folder])).code, 0);
    execFileSync('mount', ['-o', 'remount,ro', mountPoint!], { stdio: 'pipe' });
    try {
      const unpin = await runCli(['unpin', made.id, '--dir', folder]);
      assertOneLineError(unpin);
      assert.equal(
        unpin.stderr.trim(),
        `pulse-backup: cannot unpin ${made.id}: ${folder} is on a read-only file system: mount it writable, then unpin it again; it is still pinned`,
      );
      assert.equal(existsSync(pinFile), true);
    } finally {
      execFileSync('mount', ['-o', 'remount,rw', mountPoint!], { stdio: 'pipe' });
    }
    assert.equal((await runCli(['unpin', made.id, '--dir', folder])).code, 0);
    assert.equal(existsSync(pinFile), false);
  });

  it('a pull onto a full disk fails in one line, leaving no set and no hidden file; once there is room it pulls the set whole', async function () {
    const s3 = await startS3Server();
    try {
      const pushed = await runCli(['push', made.id, '--dir', folder, '--to', s3.url('small'), ...s3.flags()], { env: s3.env() });
      assert.equal(pushed.code, 0, pushed.stderr);
      const elsewhere = join(mountPoint!, 'elsewhere');
      mkdirSync(elsewhere);
      fill(folder);
      try {
        const pull = await runCli(['pull', made.id, '--dir', elsewhere, '--from', s3.url('small'), ...s3.flags()], { env: s3.env() });
        assertOneLineError(pull);
        assert.equal(
          pull.stderr.trim(),
          `pulse-backup: cannot pull ${made.id}: the disk holding ${elsewhere} is full: free some space, then pull it again, or pull into another folder with --dir; nothing of it was left in the folder`,
        );
        assert.deepEqual(readdirSync(elsewhere), []);
      } finally {
        unfill(folder);
      }
      const again = await runCli(['pull', made.id, '--dir', elsewhere, '--from', s3.url('small'), ...s3.flags()], { env: s3.env() });
      assert.equal(again.code, 0, again.stderr);
      assert.equal((await runCli(['verify', made.id, '--dir', elsewhere])).code, 0);
      rmSync(elsewhere, { recursive: true });
    } finally {
      await s3.stop();
    }
  });

  it('restore --no-safety-backup works from a read-only folder', async function () {
    await server.dropDatabase('restored_ro');
    await server.createDatabase('restored_ro');
    execFileSync('mount', ['-o', 'remount,ro', mountPoint!], { stdio: 'pipe' });
    try {
      const backup = await runCli(['backup', '--db', server.url(database), '--dir', folder, '--prefix', 'small']);
      assertOneLineError(backup);
      assert.equal(
        backup.stderr.trim(),
        `pulse-backup: cannot write to the backups folder ${folder}: its file system is read-only: choose a backups folder on a disk you can write to with --dir`,
      );
      // prune takes the folder's lock before anything else: that is what cannot be written.
      const prune = await runCli(['prune', '--dir', folder]);
      assertOneLineError(prune);
      assert.equal(
        prune.stderr.trim(),
        `pulse-backup: cannot lock the backups folder ${folder} for the prune: its file system is read-only: choose a backups folder on a disk you can write to with --dir`,
      );
      const restored = await runCli(['restore', made.id, '--mode', 'complete', '--db', server.url('restored_ro'), '--dir', folder, '--yes', '--no-safety-backup']);
      assert.equal(restored.code, 0, restored.stderr);
      assert.deepEqual(await server.query('restored_ro', 'SELECT count(*)::int AS n FROM notes'), [{ n: 200 }]);
      // A verification of read-only media passes; only its record cannot be kept, and it says so in one line.
      const verified = await runCli(['verify', made.id, '--dir', folder]);
      assert.equal(verified.code, 0, verified.stderr);
      assert.equal(verified.stderr, `pulse-backup: note: the result was not added to the set's history: the file system is read-only (${join(folder, `${made.id}.history.json`)})`);
    } finally {
      execFileSync('mount', ['-o', 'remount,rw', mountPoint!], { stdio: 'pipe' });
    }
  });
});

describe("a restore into a database whose server's disk is full", function () {
  let server: TestServer;
  let mountPoint: string | undefined;
  let folder: string;
  let made: Manifest;
  const source = 'roomy_app';

  before(async function () {
    // The target database lives in a tablespace on a 4 MB disk (a new database's own catalog takes 2 MB): the server's own files and WAL do not.
    mountPoint = mountSmallDisk('pulse-backup-tablespace-', 'size=4m');
    if (!mountPoint) return;
    const owner = serverProcessOwner();
    if (owner) chownSync(mountPoint, owner.uid, owner.gid);
    server = await startServer();
    await server.query('postgres', `CREATE TABLESPACE small_disk LOCATION '${mountPoint}'`);
    await server.createDatabase(source);
    // About 7 MB of rows: more than the room the target has.
    await server.query(source, 'CREATE TABLE readings (id integer PRIMARY KEY, body text NOT NULL)');
    await server.query(source, 'INSERT INTO readings SELECT n, repeat(md5(n::text), 3) FROM generate_series(1, 50000) AS n');
    folder = mkdtempSync(join(tmpdir(), 'pulse-backup-roomy-'));
    const backup = await runCli(['backup', '--db', server.url(source), '--dir', folder, '--prefix', 'roomy', '--json']);
    assert.equal(backup.code, 0, backup.stderr);
    made = JSON.parse(backup.stdout) as Manifest;
  });

  after(async function () {
    await server?.stop();
    unmountSmallDisk(mountPoint);
    if (folder) rmSync(folder, { recursive: true, force: true });
  });

  beforeEach(function () {
    skipWithoutSmallDisk(this, mountPoint);
  });

  /** A new database on the small disk, and what it holds before the restore. */
  async function roomless(name: string): Promise<Fingerprint> {
    await server.query('postgres', `CREATE DATABASE ${name} TABLESPACE small_disk`);
    return fingerprintDatabase(server.url(name));
  }

  it("says the server's disk is full and what to do, in one line; the target is as it was", async function () {
    const before = await roomless('roomless_complete');
    const result = await runCli(['restore', made.id, '--mode', 'complete', '--db', server.url('roomless_complete'), '--dir', folder, '--yes', '--no-safety-backup']);
    assertOneLineError(result);
    assert.match(
      result.stderr,
      /^pulse-backup: restore failed and was rolled back: could not extend file "[^"]+": No space left on device \(line \d+ of \S+\): the database server's disk is full: free some space on the server \(its log names the file it could not grow\), then run it again; the target is unchanged$/m,
    );
    assert.deepEqual(diffFingerprints(before, await fingerprintDatabase(server.url('roomless_complete'))), []);
    await server.query('postgres', 'DROP DATABASE roomless_complete');
  });

  it('a data restore into the tables there says the rows it loaded keep their room until VACUUM; the rows are rolled back', async function () {
    await roomless('roomless_data');
    const schemaOnly = await runCli(['restore', made.id, '--mode', 'schema', '--db', server.url('roomless_data'), '--dir', folder, '--yes', '--no-safety-backup']);
    assert.equal(schemaOnly.code, 0, schemaOnly.stderr);
    const before = await fingerprintDatabase(server.url('roomless_data'));
    const result = await runCli(['restore', made.id, '--mode', 'data', '--db', server.url('roomless_data'), '--dir', folder, '--yes', '--no-safety-backup']);
    assertOneLineError(result);
    assert.match(
      result.stderr,
      /: No space left on device \(line \d+ of \S+\): the database server's disk is full: the rows loaded before the failure are rolled back, yet keep their room in the target's tables until VACUUM runs on them: free some space on the server .*; the target is unchanged$/m,
    );
    assert.deepEqual(diffFingerprints(before, await fingerprintDatabase(server.url('roomless_data'))), []);
    await server.query('postgres', 'DROP DATABASE roomless_data');
  });

  it('with jobs, keeps the advice, then says what became of the database: empty again', async function () {
    const before = await roomless('roomless_jobs');
    const result = await runCli(['restore', made.id, '--mode', 'complete', '--jobs', '2', '--db', server.url('roomless_jobs'), '--dir', folder, '--yes', '--no-safety-backup']);
    assertOneLineError(result);
    assert.match(
      result.stderr,
      /^pulse-backup: restore with 2 jobs failed: could not extend file "[^"]+": No space left on device: the database server's disk is full: free some space on the server .*, then run it again; not one transaction: what it had created was dropped, and the database is empty again/m,
    );
    assert.deepEqual(diffFingerprints(before, await fingerprintDatabase(server.url('roomless_jobs'))), []);
    await server.query('postgres', 'DROP DATABASE roomless_jobs');
  });
});
