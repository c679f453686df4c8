/**
 * A FIFO in the backups folder in place of a manifest or a history is read
 * as unreadable at once: a plain read of it blocked for ever.
 */
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readRegularFile } from '../../src/core/files/regularFile';
import { readHistory } from '../../src/core/sets/history';
import { readManifest } from '../../src/core/sets/manifest';

describe('reading a small file of the backups folder', function () {
  let folder: string;
  before(function () {
    if (process.platform === 'win32') this.skip();
    folder = mkdtempSync(join(tmpdir(), 'pulse-regular-file-'));
  });
  after(() => {
    if (folder) rmSync(folder, { recursive: true, force: true });
  });

  it('reads a regular file; refuses a FIFO at once, and a folder, with a code the callers treat as unreadable', async () => {
    writeFileSync(join(folder, 'plain.json'), '{"a":1}');
    assert.equal(await readRegularFile(join(folder, 'plain.json')), '{"a":1}');
    execFileSync('mkfifo', [join(folder, 'shop_20250101_000000.history.json')]);
    execFileSync('mkfifo', [join(folder, 'shop_20250101_000000.manifest.json')]);
    mkdirSync(join(folder, 'a folder.json'));
    await assert.rejects(readRegularFile(join(folder, 'shop_20250101_000000.history.json')), { code: 'EINVAL', message: /is not a regular file \(a pipe or a device\)$/ });
    await assert.rejects(readRegularFile(join(folder, 'a folder.json')), { code: 'EISDIR' });
    assert.deepEqual((await readHistory(folder, 'shop_20250101_000000')).verifications, [], 'an unreadable history reads as empty');
    await assert.rejects(readManifest(join(folder, 'shop_20250101_000000.manifest.json')), /^PulseError: cannot read manifest /);
  });
});
