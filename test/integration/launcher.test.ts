/**
 * The `pulse-backup` command loads its bundle through V8's code cache: the
 * first run writes the cache (private to the user), later runs use it, and
 * a damaged or foreign cache file only means compiling as without one.
 */
import { strict as assert } from 'node:assert';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../support/cli';

describe('the pulse-backup launcher', function () {
  let cache: string;

  beforeEach(function () {
    cache = mkdtempSync(join(tmpdir(), 'pulse-launcher-cache-'));
  });

  afterEach(function () {
    rmSync(cache, { recursive: true, force: true });
  });

  const run = (args: string[]) => runCli(args, { env: { PULSE_BACKUP_CACHE_DIR: cache } });
  const cacheFiles = () => readdirSync(cache).filter((name) => name.endsWith('.v8cache'));

  it('writes one private code cache on the first run and runs from it afterwards', async function () {
    const first = await run(['--version']);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /^pulse-backup \d+\.\d+\.\d+/);
    const files = cacheFiles();
    assert.equal(files.length, 1);
    assert.equal(statSync(join(cache, files[0])).mode & 0o777, 0o600);
    const written = statSync(join(cache, files[0])).mtimeMs;
    const second = await run(['--version']);
    assert.equal(second.stdout, first.stdout);
    assert.deepEqual(cacheFiles(), files);
    assert.equal(statSync(join(cache, files[0])).mtimeMs, written, 'a cache V8 accepts is not written again');
  });

  it('runs normally with a damaged cache, and replaces it; caches of other builds go', async function () {
    await run(['--version']);
    const [file] = cacheFiles();
    writeFileSync(join(cache, file), 'not a V8 code cache');
    writeFileSync(join(cache, 'cli-v0.0.0-x64-1-1.v8cache'), 'an old build');
    const result = await run(['help']);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /Commands:/);
    assert.deepEqual(cacheFiles(), [file]);
    assert.ok(statSync(join(cache, file)).size > 1000, 'a real cache again');
  });
});

describe('the bundles', function () {
  it('log in to PostgreSQL with Node crypto: pg’s WebCrypto helpers are replaced in both', function () {
    for (const bundle of ['cli-main.js', 'extension.js']) {
      const text = readFileSync(join(__dirname, '..', '..', 'dist', bundle), 'utf8');
      assert.match(text, /\/\/ src\/core\/connection\/pgCrypto\.ts/, `${bundle} holds src/core/connection/pgCrypto.ts`);
      assert.doesNotMatch(text, /subtleCrypto/, `${bundle} still holds pg's WebCrypto helpers`);
    }
  });
});
