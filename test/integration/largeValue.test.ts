/**
 * One value larger than anything the tool reads at a time: a single 100 MB
 * text value is one line of the dump. Backup, verify and restore must pass
 * it through in pieces (memory bounded, whatever the size of one line), and
 * the restored database must hold exactly that value.
 */
import { strict as assert } from 'node:assert';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runMeasuringPeakRss, type PeakRssMethod } from '../../bench/peakRss';
import type { Manifest } from '../../src/core/sets/manifest';
import { CLI_PATH, cleanEnv, REPO_ROOT } from '../support/cli';
import { useServer, useTempFolders } from '../support/integration';

const VALUE_BYTES = 100 * 1024 * 1024;
const PEAK_RSS_LIMIT = 150 * 1024 * 1024;

describe('one value of 100 MB', function () {
  const server = useServer();
  const newFolder = useTempFolders('pulse-backup-large-value-');
  let folder: string;
  let method: PeakRssMethod;
  const source = 'one_large_value';

  before(async function () {
    this.timeout(300_000);
    // Our own process: pg_dump holds a whole row in memory whatever we do, and GNU time would report the larger of the two.
    method = existsSync('/proc/self/status') ? '/proc VmHWM' : 'unavailable';
    await server.createDatabase(source);
    await server.query(source, 'CREATE TABLE blobs (id integer PRIMARY KEY, body text)');
    // Not compressible to nothing on disk, and one line of COPY data in the dump.
    await server.query(source, `INSERT INTO blobs SELECT 1, repeat(md5('pulse'), $1 / 32)`, [VALUE_BYTES]);
    await server.query(source, `INSERT INTO blobs VALUES (2, 'small')`);
    folder = newFolder();
  });

  /** Runs the CLI, measuring its peak memory (GNU time, else /proc). */
  async function cli(args: string[]) {
    const scratch = mkdtempSync(join(tmpdir(), 'pulse-backup-rss-'));
    try {
      const result = await runMeasuringPeakRss(method, process.execPath, [CLI_PATH, ...args], { env: cleanEnv(), cwd: REPO_ROOT, scratchFolder: scratch });
      assert.equal(result.exitCode, 0, result.stderr);
      return result;
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  }

  function assertBoundedMemory(what: string, peakRssBytes: number | undefined): void {
    if (peakRssBytes === undefined) return; // not measurable on this platform
    assert.ok(peakRssBytes < PEAK_RSS_LIMIT, `${what} peaked at ${Math.round(peakRssBytes / 1024 / 1024)} MB`);
  }

  it('backs up, verifies and restores it with memory bounded below 150 MB, and the value comes back whole', async function () {
    this.timeout(300_000);
    const backup = await cli(['backup', '--db', server.url(source), '--dir', folder, '--prefix', 'large', '--json']);
    const manifest = JSON.parse(backup.stdout) as Manifest;
    assert.deepEqual(
      manifest.tables.map((table) => [table.name, table.rows]),
      [['blobs', 2]],
    );
    assertBoundedMemory('backup', backup.peakRssBytes);

    const verify = await cli(['verify', manifest.id, '--dir', folder, '--json']);
    assert.equal((JSON.parse(verify.stdout) as { outcome: string }).outcome, 'pass', verify.stdout);
    assertBoundedMemory('verify', verify.peakRssBytes);

    await server.createDatabase('large_restored');
    const restore = await cli(['restore', manifest.id, '--mode', 'complete', '--db', server.url('large_restored'), '--dir', folder, '--yes', '--no-safety-backup', '--json']);
    assertBoundedMemory('restore', restore.peakRssBytes);
    const [original] = await server.query<{ digest: string; length: number }>(source, 'SELECT md5(body) AS digest, length(body) AS length FROM blobs WHERE id = 1');
    const [restored] = await server.query<{ digest: string; length: number }>('large_restored', 'SELECT md5(body) AS digest, length(body) AS length FROM blobs WHERE id = 1');
    assert.deepEqual(restored, original);
    assert.equal(original.length, VALUE_BYTES);
  });
});
