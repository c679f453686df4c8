/**
 * The folder lock, raced by real processes: at most one run holds a folder,
 * always, also when several take over a dead run's lock at the same moment;
 * and no lock a dead run left (its owner gone, empty, unreadable, the single
 * file of earlier versions) blocks for good.
 */
import { strict as assert } from 'node:assert';
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { closeSync, existsSync, lstatSync, mkdtempSync, openSync, readdirSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createInterface, type Interface } from 'node:readline';
import { acquireFolderLock, currentLockHolder, LOCK_FILE_NAME } from '../../src/core/files/folderLock';

const WORKER = resolve(__dirname, '..', 'support', 'lockWorker.ts');
const WORKERS = 4;
const ROUNDS = 25;

/** A pid that belonged to a process of this machine a moment ago and no longer does. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', '0']);
  assert.ok(child.pid);
  return child.pid;
}

class Worker {
  readonly process: ChildProcessWithoutNullStreams;
  private readonly lines: Interface;
  private readonly waiting: ((line: string) => void)[] = [];
  private readonly queued: string[] = [];

  constructor() {
    this.process = spawn(process.execPath, ['--import', 'tsx', WORKER], { stdio: 'pipe' });
    this.lines = createInterface({ input: this.process.stdout });
    this.lines.on('line', (line) => {
      const next = this.waiting.shift();
      if (next) next(line);
      else this.queued.push(line);
    });
  }

  send(command: string): void {
    this.process.stdin.write(`${command}\n`);
  }

  next(): Promise<string> {
    const line = this.queued.shift();
    if (line !== undefined) return Promise.resolve(line);
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  stop(): void {
    this.process.stdin.end();
  }
}

function lockEntries(folder: string): string[] {
  return readdirSync(folder).filter((name) => name.startsWith(LOCK_FILE_NAME));
}

describe('the folder lock', function () {
  this.timeout(120_000);
  const folders: string[] = [];
  let workers: Worker[] = [];

  function newFolder(): string {
    const folder = mkdtempSync(join(tmpdir(), 'pulse-backup-lock-'));
    folders.push(folder);
    return folder;
  }

  before(async function () {
    workers = Array.from({ length: WORKERS }, () => new Worker());
    for (const worker of workers) assert.equal(await worker.next(), 'ready');
  });

  after(function () {
    for (const worker of workers) worker.stop();
    for (const folder of folders) rmSync(folder, { recursive: true, force: true });
  });

  /** Every worker tries at the same moment; returns who won, after checking that exactly one did. */
  async function race(folder: string, what: string): Promise<void> {
    for (const worker of workers) worker.send(`go ${folder}`);
    const answers = await Promise.all(workers.map((worker) => worker.next()));
    const winners = workers.filter((_, index) => answers[index] === 'won');
    assert.equal(winners.length, 1, `${what}: ${winners.length} processes hold the lock at once (${answers.join(' | ')})`);
    const [winner] = winners;
    for (const answer of answers) {
      if (answer !== 'won')
        assert.equal(
          answer,
          `lost another backup is running in ${folder} (pid ${winner.process.pid}, started ${answer.split(', started ')[1]?.split(')')[0]}): wait for it to finish and try again`,
        );
    }
    const holder = await currentLockHolder(folder);
    assert.equal(holder?.pid, winner.process.pid, 'the lock names the winner');
    winner.send('release');
    assert.equal(await winner.next(), 'released');
    assert.deepEqual(lockEntries(folder), [], 'released, the folder holds no lock');
  }

  const staleLocks: [string, (folder: string) => void][] = [
    [
      "an earlier version's lock file whose process is gone",
      (folder) => {
        writeFileSync(join(folder, LOCK_FILE_NAME), JSON.stringify({ pid: deadPid(), host: hostname(), startedAt: new Date().toISOString(), purpose: 'backup' }));
      },
    ],
    [
      'an empty lock file left by a full disk',
      (folder) => {
        const path = join(folder, LOCK_FILE_NAME);
        writeFileSync(path, '');
        const past = new Date(Date.now() - 60_000);
        utimesSync(path, past, past);
      },
    ],
    [
      'a lock whose process is gone',
      (folder) => {
        symlinkSync(`v1 ${deadPid()} - backup ${Date.now()} ${hostname()}`, join(folder, `${LOCK_FILE_NAME}.7`));
      },
    ],
  ];

  for (const [what, makeStale] of staleLocks) {
    it(`lets exactly one of ${WORKERS} processes take over ${what}, every time (${ROUNDS} rounds)`, async function () {
      for (let round = 1; round <= ROUNDS; round += 1) {
        const folder = newFolder();
        makeStale(folder);
        await race(folder, `round ${round}`);
      }
    });
  }

  it(`lets exactly one of ${WORKERS} processes take a free folder, every time (${ROUNDS} rounds)`, async function () {
    for (let round = 1; round <= ROUNDS; round += 1) await race(newFolder(), `round ${round}`);
  });

  it('never takes over a lock whose process runs, nor one from another machine', async function () {
    const folder = newFolder();
    const other = join(folder, `${LOCK_FILE_NAME}.3`);
    symlinkSync(`v1 ${deadPid()} - backup ${Date.now()} some-other-machine`, other);
    await assert.rejects(acquireFolderLock(folder, 'backup'), (error: Error) => {
      assert.match(error.message, /another backup is running in .* \(pid \d+ on some-other-machine, started/);
      return true;
    });
    rmSync(other);
    const held = await acquireFolderLock(folder, 'prune');
    await assert.rejects(acquireFolderLock(folder, 'backup'), /a prune is running/);
    await held.release();
  });

  it('takes over a lock whose pid now belongs to a later process', async function () {
    if (process.platform !== 'linux') this.skip();
    const folder = newFolder();
    // Our own pid, but with another start time: the pid was reused since the owner ran.
    symlinkSync(`v1 ${process.pid} 1 backup ${Date.now()} ${hostname()}`, join(folder, `${LOCK_FILE_NAME}.2`));
    const held = await acquireFolderLock(folder, 'backup');
    assert.deepEqual(lockEntries(folder), [`${LOCK_FILE_NAME}.3`]);
    assert.ok(lstatSync(join(folder, `${LOCK_FILE_NAME}.3`)).isSymbolicLink(), 'the lock is one link, never a half-written file');
    await held.release();
  });

  // A plain read of a FIFO waits for a writer for ever, on a worker thread that then keeps even
  // Ctrl-C from ending the process: a backup into a folder holding one as its lock never ended.
  it('takes a FIFO in place of a lock for an unreadable entry at once, rather than waiting for ever to read it', async function () {
    if (process.platform === 'win32') this.skip();
    const folder = newFolder();
    const fifo = join(folder, `${LOCK_FILE_NAME}.1`);
    spawnSync('mkfifo', [fifo]);
    const past = new Date(Date.now() - 5_000);
    utimesSync(fifo, past, past);
    const taking = acquireFolderLock(folder, 'backup').then(
      (held) => held,
      (error: unknown) => (error instanceof Error ? error : new Error(String(error))),
    );
    const outcome = await Promise.race([taking, sleep(5_000).then(() => 'still waiting')]);
    if (outcome === 'still waiting') {
      // A writer that comes and goes lets the blocked read end, and this process exit.
      closeSync(openSync(fifo, 'w'));
      await taking;
    }
    if (typeof outcome === 'string' || outcome instanceof Error) assert.fail(typeof outcome === 'string' ? outcome : outcome.message);
    assert.deepEqual(lockEntries(folder), [`${LOCK_FILE_NAME}.2`], 'the FIFO is gone, the lock is ours');
    await outcome.release();
  });

  it('gives an empty lock being written a moment before taking it over', async function () {
    const folder = newFolder();
    writeFileSync(join(folder, LOCK_FILE_NAME), '');
    await assert.rejects(acquireFolderLock(folder, 'backup'), /another run is taking the folder .* right now/);
    const past = new Date(Date.now() - 5_000);
    utimesSync(join(folder, LOCK_FILE_NAME), past, past);
    const held = await acquireFolderLock(folder, 'backup');
    assert.ok(!existsSync(join(folder, LOCK_FILE_NAME)), "the earlier version's file is gone");
    await held.release();
  });
});
