/**
 * Nothing lost: a cancelled, killed or failed backup leaves no file that
 * looks like a backup, deletes nothing, and leaves no pg_dump behind; two
 * backups into one folder never interleave; the password never shows in a
 * process's command line.
 */
import { strict as assert } from 'node:assert';
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import type { Manifest } from '../../src/core/sets/manifest';
import { assertOneLineError, runCli, startCli } from '../support/cli';
import { useServer, useTempFolders } from '../support/integration';
import { factorySample } from '../samples';
import { folderState } from '../support/folderState';

async function waitFor(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** True once a hidden temporary in the folder has grown past `bytes`: the dump is under way. */
function dumpUnderWay(folder: string, bytes: number): boolean {
  return readdirSync(folder).some((name) => {
    if (!name.endsWith('.partial')) return false;
    try {
      return statSync(join(folder, name)).size > bytes;
    } catch {
      return false;
    }
  });
}

/** Linux shows every process's command line and environment under /proc; elsewhere those checks are skipped. */
const hasProc = existsSync('/proc/self/cmdline');

/** Command lines of every running process (Linux /proc). */
function allCommandLines(): string[] {
  const lines: string[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      lines.push(readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0/g, ' '));
    } catch {
      // the process ended while we looked
    }
  }
  return lines;
}

/** pg_dump processes talking to the server on `port` (the port travels in their environment). */
function pgDumpsOfThisServer(port: number): number[] {
  const pids: number[] = [];
  if (!hasProc) return pids;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (!readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes('--snapshot=')) continue;
      if (readFileSync(`/proc/${entry}/environ`, 'utf8').split('\0').includes(`PGPORT=${port}`)) pids.push(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  return pids;
}

describe('nothing lost', function () {
  const server = useServer();
  const newFolder = useTempFolders('pulse-backup-atomic-');
  let folder: string;
  let initialState: Record<string, string>;
  const big = 'big';

  before(async function () {
    this.timeout(300_000);
    await server.createDatabase(big);
    const factory = factorySample();
    // Large enough that a backup runs for a while (about 80 MB of database),
    // so a signal sent once the dump is under way lands before it ends.
    await server.loadSql(big, factory.file, { scale: '100' });
    folder = newFolder();
    const first = await runCli(['backup', '--db', server.url(big), '--dir', folder, '--prefix', big, '--json']);
    assert.equal(first.code, 0, first.stderr);
    initialState = folderState(folder);
  });

  const backupArgs = () => ['backup', '--db', server.url(big), '--dir', folder, '--prefix', big];

  function assertFolderAsBefore(): void {
    assert.deepEqual(folderState(folder), initialState, 'the folder holds exactly the files it held before, unchanged');
    assert.deepEqual(pgDumpsOfThisServer(server.port), [], 'no pg_dump is left running');
  }

  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`${signal} during a backup removes the partial files, keeps the older set and exits non-zero`, async function () {
      const { subprocess: backup } = await startCli(backupArgs());
      await waitFor(() => dumpUnderWay(folder, 64 * 1024), 60_000, 'the dump to start');
      backup.kill(signal);
      const result = await backup;
      assert.equal(result.exitCode, 130, String(result.stderr));
      assert.match(String(result.stderr), /backup cancelled/);
      assertFolderAsBefore();
    });
  }

  it('pg_dump losing its connection mid-dump fails cleanly and keeps the older set', async function () {
    const { subprocess: backup } = await startCli(backupArgs());
    await waitFor(() => dumpUnderWay(folder, 64 * 1024), 60_000, 'the dump to start');
    await server.query('postgres', `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`, [big]);
    const result = await backup;
    const stderr = String(result.stderr);
    assert.equal(result.exitCode, 1, stderr);
    assert.equal(stderr.trim().split('\n').length, 1, stderr);
    assert.match(stderr, /^pulse-backup: /);
    assertFolderAsBefore();
  });

  it('a second backup into the same folder fails at once while the first one runs', async function () {
    // Hold a table so the first backup's dump waits for it: the first backup
    // then stays running, however fast or loaded the machine is.
    const blocker = new Client({ connectionString: server.url(big) });
    await blocker.connect();
    await blocker.query('BEGIN');
    await blocker.query('LOCK TABLE public.messages IN ACCESS EXCLUSIVE MODE');
    // The first backup succeeds and its retention records what it kept; that record is put back with its files below.
    const retentionRecord = readFileSync(join(folder, '.pulse-backup.retention.json'));
    const { subprocess: first } = await startCli([...backupArgs(), '--json']);
    try {
      await waitFor(() => readdirSync(folder).some((name) => name.startsWith('.pulse-backup.lock')), 60_000, 'the first backup to lock the folder');
      const second = await runCli(backupArgs());
      assertOneLineError(second);
      assert.match(second.stderr, /another backup is running in .* \(pid \d+/);
      assert.match(second.stderr, /wait for it to finish/);
    } finally {
      await blocker.query('ROLLBACK');
      await blocker.end();
      const result = await first;
      assert.equal(result.exitCode, 0, String(result.stderr));
      const manifest = JSON.parse(String(result.stdout)) as Manifest;
      rmSync(join(folder, `${manifest.id}.manifest.json`));
      for (const file of manifest.files) rmSync(join(folder, file.name));
      writeFileSync(join(folder, '.pulse-backup.retention.json'), retentionRecord);
    }
    assertFolderAsBefore();
  });

  it('the password never appears on a command line while a backup runs', async function () {
    if (!hasProc) this.skip();
    const seen: string[] = [];
    const { subprocess: backup } = await startCli([...backupArgs(), '--json']);
    let running = true;
    const watching = (async () => {
      while (running) {
        seen.push(...allCommandLines().filter((line) => line.includes('pg_dump') || line.includes('cli.js')));
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    })();
    const result = await backup;
    running = false;
    await watching;
    assert.equal(result.exitCode, 0, String(result.stderr));
    assert.ok(
      seen.some((line) => line.includes('pg_dump') && line.includes('--snapshot=')),
      'pg_dump was seen running',
    );
    // pg_dump's never holds it (the CLI's own command line is checked in password.test.ts).
    for (const line of seen.filter((candidate) => candidate.includes('pg_dump'))) {
      assert.ok(!line.includes(server.password), `password on a command line: ${line.replace(server.password, '****')}`);
    }
    const manifest = JSON.parse(String(result.stdout)) as Manifest;
    rmSync(join(folder, `${manifest.id}.manifest.json`));
    for (const file of manifest.files) rmSync(join(folder, file.name));
  });
});
