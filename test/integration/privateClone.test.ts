/**
 * `npm run demo` and the tests, run as root in a clone inside a private
 * folder (under /root, mode 0700): the throwaway server runs as another
 * user, who cannot reach the clone's node_modules, and must start anyway.
 * The clone is this repository bind-mounted under a private folder, which
 * needs root; without root the test says why it is skipped.
 */
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { loadExeca } from '../support/execa';
import { REPO_ROOT } from '../support/cli';
import { skipBecause } from '../support/skip';

describe('a clone in a private folder', function () {
  let privateFolder: string | undefined;
  let clone: string | undefined;

  before(function () {
    if (process.getuid?.() !== 0 || process.platform !== 'linux') return;
    privateFolder = mkdtempSync('/root/pulse-backup-private-');
    clone = join(privateFolder, 'repo');
    mkdirSync(clone);
    try {
      execFileSync('mount', ['--bind', REPO_ROOT, clone], { stdio: 'pipe' });
    } catch {
      clone = undefined;
    }
  });

  after(function () {
    if (clone) execFileSync('umount', [clone], { stdio: 'pipe' });
    if (privateFolder) rmSync(privateFolder, { recursive: true, force: true });
  });

  it('starts the throwaway PostgreSQL server the demo and the tests use', async function () {
    this.timeout(180_000);
    if (!clone) skipBecause(this, process.getuid?.() !== 0 ? 'needs root to bind-mount the repository into a private folder' : 'bind-mounting failed here');
    const execa = await loadExeca();
    const probe = `const { startServer } = require('./test/support/pgServer.ts');
      (async () => {
        const server = await startServer();
        const [row] = await server.query('postgres', 'SELECT 42 AS answer');
        await server.stop();
        console.log('answer', row.answer);
      })();`;
    const result = await execa(process.execPath, ['--import', 'tsx', '-e', probe], { cwd: clone, reject: false, env: { ...process.env, TEST_DATABASE_URL: '' } });
    assert.equal(result.exitCode, 0, `${String(result.stderr)}\n${String(result.stdout)}`);
    assert.match(String(result.stdout), /answer 42/);
  });

  it('runs the tests that hand the CLI to another user', async function () {
    this.timeout(300_000);
    if (!clone) skipBecause(this, process.getuid?.() !== 0 ? 'needs root to bind-mount the repository into a private folder' : 'bind-mounting failed here');
    const execa = await loadExeca();
    const mocha = join(clone, 'node_modules', '.bin', 'mocha');
    const spec = [join(clone, 'test/integration/errors.test.ts'), join(clone, 'test/integration/verify.test.ts')];
    const result = await execa(mocha, ['--no-config', '--node-option', 'import=tsx', '--extension', 'ts', '--timeout', '120000', '-g', 'cannot be written|may not read', ...spec], {
      cwd: clone,
      reject: false,
      env: { ...process.env, TEST_DATABASE_URL: '' },
    });
    const output = `${String(result.stdout)}\n${String(result.stderr)}`;
    assert.equal(result.exitCode, 0, output);
    assert.match(output, /2 passing/);
    assert.doesNotMatch(output, /pending/);
  });
});
