/**
 * The CLI installs the way Node users install command-line tools: `npm pack`
 * makes a tarball, and `npm install -g` of it (here into a prefix of the
 * test's own) gives a `pulse-backup` command that works — help, and a real
 * backup — with nothing from this repository's node_modules: the package
 * needs no runtime dependencies, since the bundles carry what they use.
 */
import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Manifest } from '../../src/core/sets/manifest';
import { cleanEnv, REPO_ROOT } from '../support/cli';
import { useServer, useTempFolders } from '../support/integration';
import { closedPort } from '../support/ports';

const run = promisify(execFile);

describe('the CLI as an npm package', function () {
  const server = useServer();
  const newFolder = useTempFolders('pulse-backup-packed-');
  let folder: string;
  let command: string;

  before(async function () {
    this.timeout(300_000);
    folder = newFolder();
    // The bundles `npm test` built: a real `npm pack` builds them for production first (prepack).
    await run('npm', ['pack', '--ignore-scripts', '--pack-destination', folder], { cwd: REPO_ROOT });
    const tarball = readdirSync(folder).find((name) => name.endsWith('.tgz'));
    assert.ok(tarball, 'npm pack wrote a tarball');
    const prefix = join(folder, 'prefix');
    await run('npm', ['install', '--global', '--prefix', prefix, '--no-audit', '--no-fund', join(folder, tarball)], { cwd: folder });
    command = join(prefix, 'bin', 'pulse-backup');
    await server.createDatabase('packed');
    await server.query('packed', "CREATE TABLE orders (id serial PRIMARY KEY, item text); INSERT INTO orders (item) SELECT 'item ' || g FROM generate_series(1, 25) g");
  });

  it('installs only its own files: no dependencies come with it', function () {
    const installed = join(folder, 'prefix', 'lib', 'node_modules', 'pulse-backup');
    assert.ok(existsSync(join(installed, 'dist', 'cli-main.js')));
    assert.ok(existsSync(join(installed, 'dist', 'offsite-sdk.js')), 'the AWS SDK bundle the offsite commands load');
    assert.ok(!existsSync(join(installed, 'node_modules')), 'no node_modules beside the package');
    assert.ok(!existsSync(join(installed, 'src')), 'no sources');
  });

  it('the installed pulse-backup prints its help', async function () {
    const { stdout } = await run(command, ['--help'], { cwd: folder, env: cleanEnv() });
    assert.match(stdout, /^pulse-backup: back up and restore PostgreSQL databases/);
    assert.match(stdout, /pulse-backup backup \[--db URL\]/);
  });

  it('the installed pulse-backup loads the AWS SDK from its own bundle for the offsite commands', async function () {
    const env = { ...cleanEnv(), AWS_ACCESS_KEY_ID: 'AKIAPACKAGETEST', AWS_SECRET_ACCESS_KEY: 'package-test-secret', AWS_EC2_METADATA_DISABLED: 'true' };
    const endpoint = `http://127.0.0.1:${await closedPort()}`;
    const listed = await run(command, ['list', '--remote', 's3://pulse-packed/x', '--endpoint', endpoint], { cwd: folder, env }).then(
      () => assert.fail('no storage answers there'),
      (error: { code: number; stderr: string }) => error,
    );
    assert.equal(listed.code, 1);
    assert.match(listed.stderr, /^pulse-backup: cannot reach http:\/\/127\.0\.0\.1:\d+ \(connection refused\) for s3:\/\/pulse-packed: check the network/);
  });

  it('the installed pulse-backup writes a backup set that verifies', async function () {
    const backups = join(folder, 'backups');
    const env = { ...cleanEnv(), PGPASSWORD: server.password, PULSE_BACKUP_CACHE_DIR: join(folder, 'cache') };
    const url = server.url('packed').replace(`:${encodeURIComponent(server.password)}@`, '@');
    const { stdout } = await run(command, ['backup', '--db', url, '--dir', backups, '--prefix', 'packed', '--json'], { cwd: folder, env });
    const manifest = JSON.parse(stdout) as Manifest;
    assert.equal(manifest.tables.find((table) => table.name === 'orders')?.rows, 25);
    const verified = await run(command, ['verify', manifest.id, '--dir', backups], { cwd: folder, env });
    assert.match(verified.stdout, /passed/i);
  });
});
