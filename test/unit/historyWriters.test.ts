/**
 * A set's history has many writers: verify, prove, push, pull and retention,
 * in this process and in others (a cron backup while the editor verifies).
 * Each reads the file, adds its record and renames a new file in; these
 * tests race real writers and check that every record is kept, and that an
 * update a killed process left never blocks the next one.
 */
import { strict as assert } from 'node:assert';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { withFileUpdateLock } from '../../src/core/files/folderLock';
import { formatError } from '../../src/core/errors';
import { commandLineWords } from '../../src/core/commandLineWords';
import { readHistory, recordVerification } from '../../src/core/sets/history';

const WRITER = resolve(__dirname, '..', 'support', 'historyWriter.ts');
const SET_ID = 'factory_pulse_20250902_100000';
const HISTORY = `${SET_ID}.history.json`;
/** A history is written only beside a file of its set. */
const MANIFEST = `${SET_ID}.manifest.json`;

function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', '0']);
  assert.ok(child.pid);
  return child.pid;
}

function runWriter(folder: string, tag: number, count: number): Promise<string> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ['--import', 'tsx', WRITER, folder, SET_ID, String(tag), String(count)], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', fail);
    child.on('close', (code) => (code === 0 ? done(stderr) : fail(new Error(`writer ${tag} exited ${code}: ${stderr}`))));
  });
}

/** What is left beside the history: no lock entry, no hidden partial file. */
function litter(folder: string): string[] {
  return readdirSync(folder).filter((name) => name !== HISTORY && name !== MANIFEST);
}

describe("a set's history with several writers", function () {
  this.timeout(120_000);
  let folder: string;
  beforeEach(() => {
    folder = mkdtempSync(join(tmpdir(), 'pulse-history-writers-'));
    writeFileSync(join(folder, MANIFEST), '{}\n');
  });
  afterEach(() => rmSync(folder, { recursive: true, force: true }));

  it('keeps every record of writers in one process that record at the same moment', async () => {
    await Promise.all(
      Array.from({ length: 12 }, (_, index) => recordVerification(folder, { setId: SET_ID, checkedAt: new Date().toISOString(), durationMs: index, groups: [], outcome: 'pass' })),
    );
    const history = await readHistory(folder, SET_ID);
    assert.deepEqual(
      history.verifications.map((report) => report.durationMs).sort((a, b) => a - b),
      Array.from({ length: 12 }, (_, index) => index),
    );
    assert.deepEqual(litter(folder), []);
  });

  it('keeps every record of 4 processes that each record 12 at once', async () => {
    await Promise.all([1, 2, 3, 4].map((tag) => runWriter(folder, tag, 12)));
    const history = await readHistory(folder, SET_ID);
    const expected = [1, 2, 3, 4].flatMap((tag) => Array.from({ length: 12 }, (_, index) => tag * 1000 + index + 1));
    assert.deepEqual(
      history.verifications.map((report) => report.durationMs).sort((a, b) => a - b),
      expected,
    );
    assert.deepEqual(litter(folder), []);
  });

  it('takes over the update of a process that was killed while it held the history', async () => {
    symlinkSync(`v1 ${deadPid()} - update ${Date.now()} ${hostname()}`, join(folder, `.${HISTORY}.lock.3`));
    await recordVerification(folder, { setId: SET_ID, checkedAt: new Date().toISOString(), durationMs: 7, groups: [], outcome: 'pass' });
    assert.deepEqual(
      (await readHistory(folder, SET_ID)).verifications.map((report) => report.durationMs),
      [7],
    );
    assert.deepEqual(litter(folder), []);
  });

  it('waits for a live holder, and says in one line who holds the file when it waited too long', async () => {
    const entry = join(folder, `.${HISTORY}.lock.1`);
    symlinkSync(`v1 ${process.ppid} - update ${Date.now()} ${hostname()}`, entry);
    let ran = false;
    const started = Date.now();
    const error = await withFileUpdateLock(
      folder,
      HISTORY,
      () => {
        ran = true;
        return Promise.resolve();
      },
      300,
    ).then(
      () => undefined,
      (failure: unknown) => failure,
    );
    assert.equal(ran, false, 'the update did not run while another process held the file');
    assert.ok(Date.now() - started >= 300, 'it waited');
    assert.equal(
      formatError(error, commandLineWords),
      `${HISTORY} in ${folder} has been held for an update by pid ${process.ppid} for over 300 ms: try again; if nothing else runs, delete ${entry}`,
    );
  });
});
