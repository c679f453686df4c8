/**
 * Atomic writes from one process: calls that write the same file at once
 * (two clicks on Pin, two views saving one report) share its hidden name,
 * so they must take turns rather than rename each other's file away.
 */
import { strict as assert } from 'node:assert';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomic } from '../../src/core/files/atomicFile';

describe('atomic writes of one file in one process', () => {
  let folder: string;
  beforeEach(() => {
    folder = mkdtempSync(join(tmpdir(), 'pulse-atomic-'));
  });
  afterEach(() => rmSync(folder, { recursive: true, force: true }));

  it('all succeed when started at once, the last one started wins, and no hidden file is left', async () => {
    const path = join(folder, 'factory_pulse_20250902_100000.pinned');
    const results = await Promise.allSettled(Array.from({ length: 8 }, (_, index) => writeFileAtomic(path, `write ${index}\n`)));
    assert.deepEqual(
      results.map((result) => (result.status === 'rejected' ? String(result.reason) : result.status)),
      Array.from({ length: 8 }, () => 'fulfilled'),
    );
    assert.equal(readFileSync(path, 'utf8'), 'write 7\n');
    assert.deepEqual(readdirSync(folder), ['factory_pulse_20250902_100000.pinned']);
  });
});
