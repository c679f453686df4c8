/**
 * Ending a session's input (restore/feed.ts endInput) against real child
 * processes: a program that already exited, one that reads everything, one
 * that exits while the end still waits for the pipe.
 */
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { endInput } from '../../src/core/restore/feed';

/** What endInput came to within a few seconds: 'ended', its error's message, or 'still waiting'. */
async function outcomeOf(ending: Promise<void>): Promise<string> {
  return Promise.race([
    ending.then(
      () => 'ended',
      (error: unknown) => (error instanceof Error ? error.message : String(error)),
    ),
    sleep(5000).then(() => 'still waiting'),
  ]);
}

describe('ending the input of a session', function () {
  // A psql that stops at an error (ON_ERROR_STOP) exits while its feed may still read the file with nothing more
  // to send it: its input is destroyed then, and the end's own callback never came, so a restore with jobs
  // waited for ever with no session left.
  it('rejects at once when the program has already exited, rather than waiting for ever', async function () {
    const child = spawn(process.execPath, ['-e', 'process.exit(3)'], { stdio: ['pipe', 'ignore', 'ignore'] });
    await once(child, 'exit');
    assert.ok(child.stdin);
    assert.equal(await outcomeOf(endInput(child.stdin)), 'psql stopped reading its input');
  });

  it('resolves once every byte reached a program that reads them all', async function () {
    const child = spawn(process.execPath, ['-e', "let n = 0; process.stdin.on('data', (c) => (n += c.length)).on('end', () => process.exit(n === 4_000_000 ? 0 : 1))"], {
      stdio: ['pipe', 'ignore', 'ignore'],
    });
    assert.ok(child.stdin);
    child.stdin.write(Buffer.alloc(4_000_000, 'x'));
    assert.equal(await outcomeOf(endInput(child.stdin)), 'ended');
    const [code] = (await once(child, 'exit')) as [number];
    assert.equal(code, 0, 'the program read every byte');
  });

  it('rejects when the program exits while the end still waits for the pipe to take the input', async function () {
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => process.exit(3), 300)'], { stdio: ['pipe', 'ignore', 'ignore'] });
    assert.ok(child.stdin);
    child.stdin.on('error', () => undefined);
    child.stdin.write(Buffer.alloc(4_000_000, 'x'));
    const outcome = await outcomeOf(endInput(child.stdin));
    assert.ok(outcome !== 'ended' && outcome !== 'still waiting', outcome);
  });
});
