/**
 * A FIFO in the backups folder in place of a manifest or a history, or of
 * the hidden manifest a dead backup left, is read as unreadable at once: a
 * plain read of it blocked for ever.
 */
import { strict as assert } from 'node:assert';
import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { readRegularFile } from '../../src/core/files/regularFile';
import { readHistory } from '../../src/core/sets/history';
import { readManifest } from '../../src/core/sets/manifest';
import { finishOrRemoveLeftovers } from '../../src/core/sets/leftovers';

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

  // Every backup, restore and prune that takes the folder finishes what a dead backup left: its hidden
  // manifest was read with a plain read, and a FIFO there held the run (and its Ctrl-C) for ever.
  it("takes a FIFO in place of a dead backup's hidden manifest for a set that was not whole, at once", async () => {
    const dead = spawnSync(process.execPath, ['-e', '0']).pid;
    const journal = join(folder, `.shop_20250102_000000.manifest.json.${dead}.partial`);
    execFileSync('mkfifo', [journal]);
    const finishing = finishOrRemoveLeftovers(folder).catch((error: unknown) => (error instanceof Error ? error.message : String(error)));
    const outcome = await Promise.race([finishing, sleep(5_000).then(() => 'still waiting')]);
    if (outcome === 'still waiting') {
      // A writer that comes and goes lets the blocked read end, and this process exit.
      closeSync(openSync(journal, 'w'));
      await finishing;
    }
    if (typeof outcome === 'string') assert.fail(outcome);
    assert.deepEqual(outcome.removedSets, ['shop_20250102_000000']);
    assert.equal(existsSync(journal), false, 'the FIFO is gone');
  });
});
