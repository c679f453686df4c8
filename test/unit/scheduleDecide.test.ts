import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { closeSync, lstatSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { decideSlot, slotsBetween, timerDelay, unchangedSince, type ActivitySignature, type ScheduleState } from '../../src/core/schedule/decide';
import { SCHEDULE_FOLDER, readScheduleState, runDueBackup, type DueBackupOptions } from '../../src/core/schedule/runner';
import { parseEvery } from '../../src/core/schedule/when';
import { writeSyntheticSet } from '../support/syntheticSet';

const hourly = parseEvery('hourly');
const at = (iso: string) => new Date(iso);
const activity = (rowsWritten: string, fields: Partial<ActivitySignature> = {}): ActivitySignature => ({
  database: '127.0.0.1:5432/shop',
  statsReset: null,
  rowsWritten,
  ...fields,
});

describe('scheduled backups in the editor: the decisions', () => {
  it('waits for the next time while none has passed since the last one handled', () => {
    const decision = decideSlot({ times: hourly, lastSlot: at('2025-09-01T09:00:00Z'), now: at('2025-09-01T09:59:59Z') });
    assert.deepEqual(decision, { kind: 'wait', next: at('2025-09-01T10:00:00Z') });
  });

  it('runs once for the time that has just passed', () => {
    const decision = decideSlot({ times: hourly, lastSlot: at('2025-09-01T09:00:00Z'), now: at('2025-09-01T10:00:01Z') });
    assert.deepEqual(decision, { kind: 'run', slot: at('2025-09-01T10:00:00Z'), missed: 0 });
  });

  it('after a night asleep runs one catch-up for the latest time, never one per missed hour', () => {
    const decision = decideSlot({ times: hourly, lastSlot: at('2025-09-01T22:00:00Z'), now: at('2025-09-02T07:42:00Z') });
    assert.deepEqual(decision, { kind: 'run', slot: at('2025-09-02T07:00:00Z'), missed: 8 });
    // And once that time is handled, nothing more is due until the next one.
    assert.equal(decideSlot({ times: hourly, lastSlot: decision.kind === 'run' ? decision.slot : at('2000-01-01'), now: at('2025-09-02T07:43:00Z') }).kind, 'wait');
  });

  it('a daily time missed while the laptop was closed runs once when it opens', () => {
    const daily = parseEvery('daily@03:00');
    const lastSlot = nextLocal(at('2025-08-30T12:00:00Z'), 3);
    const now = new Date(lastSlot.getTime() + 2.25 * 24 * 3600_000); // two days and six hours later
    const decision = decideSlot({ times: daily, lastSlot, now });
    assert.equal(decision.kind, 'run');
    assert.equal(decision.kind === 'run' && decision.missed, 1);
    assert.equal(decision.kind === 'run' && decision.slot.getTime(), lastSlot.getTime() + 2 * 24 * 3600_000);
  });

  it('a set written since the due time (by hand, or by another window) stands for it', () => {
    const decision = decideSlot({
      times: hourly,
      lastSlot: at('2025-09-01T09:00:00Z'),
      now: at('2025-09-01T10:20:00Z'),
      newestSet: { id: 'shop_20250901_101500', createdAt: '2025-09-01T10:15:00.000Z' },
    });
    assert.deepEqual(decision, { kind: 'covered', slot: at('2025-09-01T10:00:00Z'), bySetId: 'shop_20250901_101500' });
    const older = decideSlot({
      times: hourly,
      lastSlot: at('2025-09-01T09:00:00Z'),
      now: at('2025-09-01T10:20:00Z'),
      newestSet: { id: 'shop_20250901_095900', createdAt: '2025-09-01T09:59:00.000Z' },
    });
    assert.equal(older.kind, 'run');
  });

  it('a gap of months on a schedule of every minute still ends in one run for the latest time', () => {
    const everyMinute = parseEvery('* * * * *');
    const decision = decideSlot({ times: everyMinute, lastSlot: at('2024-01-01T00:00:00Z'), now: at('2025-09-01T10:20:30Z') });
    assert.equal(decision.kind, 'run');
    assert.deepEqual(decision.kind === 'run' && decision.slot, at('2025-09-01T10:20:00Z'));
    assert.equal(decision.kind === 'run' && decision.missed, 1000, 'counted up to a limit');
  });

  it('lists the times between two moments, the end included', () => {
    assert.deepEqual(slotsBetween(hourly, at('2025-09-01T09:00:00Z'), at('2025-09-01T11:00:00Z')), [at('2025-09-01T10:00:00Z'), at('2025-09-01T11:00:00Z')]);
  });

  it('skips only when the same database has written no row since the last scheduled set, and that set is still there', () => {
    const state: ScheduleState = { lastSlot: '2025-09-01T09:00:00.000Z', seen: { setId: 'shop_a', activity: activity('120') } };
    const present = new Set(['shop_a']);
    assert.equal(unchangedSince(state, activity('120'), present), true);
    assert.equal(unchangedSince(state, activity('121'), present), false, 'a row written');
    assert.equal(unchangedSince(state, activity('120', { statsReset: '2025-09-01T09:30:00.000Z' }), present), false, 'the statistics were reset');
    assert.equal(unchangedSince(state, activity('120', { database: '127.0.0.1:5432/other' }), present), false, 'another database');
    assert.equal(unchangedSince(state, activity('120'), new Set()), false, 'the set was removed');
    assert.equal(unchangedSince({ lastSlot: state.lastSlot }, activity('120'), present), false, 'nothing seen yet');
  });

  it('sleeps in slices of at most a minute, so waking from sleep is noticed', () => {
    const now = at('2025-09-01T09:00:00Z');
    assert.equal(timerDelay(at('2025-09-01T12:00:00Z'), now), 60_000);
    assert.equal(timerDelay(at('2025-09-01T09:00:05Z'), now), 5_000);
    assert.equal(timerDelay(undefined, now), 60_000);
  });
});

describe('scheduled backups in the editor: one run per time per folder', () => {
  let folder: string;
  beforeEach(() => {
    folder = mkdtempSync(join(tmpdir(), 'pulse-schedule-'));
  });
  afterEach(() => rmSync(folder, { recursive: true, force: true }));

  function options(now: Date, fields: Partial<DueBackupOptions> = {}): DueBackupOptions {
    return { folder, prefix: 'shop', times: hourly, now, readActivity: () => Promise.resolve(activity('1')), backup: () => Promise.resolve('shop_x'), ...fields };
  }

  it('starts a schedule from now: nothing before it counts as missed', async () => {
    const outcome = await runDueBackup(options(at('2025-09-01T09:30:00Z'), { backup: () => assert.fail('no backup at the first look') }));
    assert.deepEqual(outcome, { kind: 'wait', next: at('2025-09-01T10:00:00Z') });
    assert.equal((await readScheduleState(folder))?.lastSlot, '2025-09-01T09:30:00.000Z');
  });

  // A plain read of a FIFO waits for a writer for ever: the scheduler's look then never ended, and it held
  // the schedule's lock, so every later time was "busy" until the editor was closed.
  it('takes a FIFO in place of its state for no state, at once, and starts from now', async function () {
    if (process.platform === 'win32') this.skip();
    const state = join(folder, SCHEDULE_FOLDER, 'state.json');
    mkdirSync(join(folder, SCHEDULE_FOLDER));
    execFileSync('mkfifo', [state]);
    const looking = runDueBackup(options(at('2025-09-01T09:30:00Z'), { backup: () => assert.fail('no backup at the first look') }));
    const outcome = await Promise.race([looking, sleep(5_000).then(() => 'still waiting' as const)]);
    if (outcome === 'still waiting') {
      // A writer that comes and goes lets the blocked read end, and this process exit.
      closeSync(openSync(state, 'w'));
      await looking;
    }
    assert.deepEqual(outcome, { kind: 'wait', next: at('2025-09-01T10:00:00Z') });
    assert.ok(lstatSync(state).isFile(), 'the state is a file again');
  });

  it('two schedulers at the same time on one folder take one backup; the other is told it is busy, then finds the time handled', async () => {
    await runDueBackup(options(at('2025-09-01T10:30:00Z')));
    let backups = 0;
    let finish: () => void = () => undefined;
    const slow = () =>
      new Promise<string>((resolve) => {
        backups += 1;
        finish = () => resolve(writeSyntheticSet(folder, { timestamp: '20250901_110005' }).id);
      });
    const first = runDueBackup(options(at('2025-09-01T11:00:05Z'), { backup: slow }));
    await new Promise((resolve) => setTimeout(resolve, 50));
    const second = await runDueBackup(options(at('2025-09-01T11:00:05Z'), { backup: slow }));
    assert.deepEqual(second, { kind: 'busy' });
    finish();
    const ran = await first;
    assert.equal(ran.kind, 'ran');
    const later = await runDueBackup(options(at('2025-09-01T11:00:06Z'), { backup: slow }));
    assert.equal(later.kind, 'wait');
    assert.equal(backups, 1);
  });

  it('after a simulated sleep exactly one catch-up runs, and its counters make the next unchanged time a skip', async () => {
    await runDueBackup(options(at('2025-09-01T01:30:00Z')));
    let backups = 0;
    const backup = () => {
      backups += 1;
      return Promise.resolve(writeSyntheticSet(folder, { timestamp: '20250901_093000' }).id);
    };
    const woke = await runDueBackup(options(at('2025-09-01T09:30:00Z'), { backup }));
    assert.deepEqual(woke, { kind: 'ran', slot: at('2025-09-01T09:00:00Z'), missed: 7, setId: 'shop_20250901_093000' });
    for (const minute of ['31', '45', '59']) assert.equal((await runDueBackup(options(at(`2025-09-01T09:${minute}:00Z`), { backup }))).kind, 'wait');
    // The synthetic set's manifest says it started at 10:00: a time after it, with the same counters, is a skip.
    const unchanged = await runDueBackup(options(at('2025-09-01T11:00:01Z'), { backup }));
    assert.deepEqual(unchanged, { kind: 'unchanged', slot: at('2025-09-01T11:00:00Z'), setId: 'shop_20250901_093000' });
    const changed = await runDueBackup(options(at('2025-09-01T12:00:01Z'), { backup, readActivity: () => Promise.resolve(activity('2')) }));
    assert.equal(changed.kind, 'ran');
    assert.equal(backups, 2);
  });

  /** Rewrites the manifest's start time (a synthetic set's is fixed). */
  function startedAt(set: { manifestPath: string }, when: string): void {
    writeFileSync(set.manifestPath, JSON.stringify({ ...(JSON.parse(readFileSync(set.manifestPath, 'utf8')) as object), startedAt: when }, null, 2));
  }

  it('a set dated days after now (a wrong clock) stands for no time: the schedule still backs up', async () => {
    await runDueBackup(options(at('2025-09-01T09:30:00Z')));
    // Its manifest says it started days from now, as a machine whose clock ran ahead wrote it.
    startedAt(writeSyntheticSet(folder, { timestamp: '20250906_100000' }), '2025-09-06T10:00:00.000Z');
    const ran = await runDueBackup(options(at('2025-09-01T10:00:05Z'), { backup: () => Promise.resolve(writeSyntheticSet(folder, { timestamp: '20250901_100005' }).id) }));
    assert.equal(ran.kind, 'ran');
    // A set dated within the tolerance of a manifest's time (minutes) still covers the time it was made after.
    startedAt(writeSyntheticSet(folder, { timestamp: '20250901_110500' }), '2025-09-01T11:05:00.000Z');
    const covered = await runDueBackup(options(at('2025-09-01T11:00:05Z'), { backup: () => assert.fail('covered by the set made at 11:05') }));
    assert.equal(covered.kind, 'covered');
  });

  it('a backup that ran is reported as run even when the state cannot be kept after it (its set took the last room); its set then stands for the time', async () => {
    await runDueBackup(options(at('2025-09-01T09:30:00Z')));
    const statePath = join(folder, SCHEDULE_FOLDER, 'state.json');
    const backup = () => {
      const made = writeSyntheticSet(folder, { timestamp: '20250901_100001' });
      // The state's file can no longer be replaced (a rename onto a folder fails, as a full disk would).
      rmSync(statePath);
      mkdirSync(join(statePath, 'in-the-way'), { recursive: true });
      return Promise.resolve(made.id);
    };
    const ran = await runDueBackup(options(at('2025-09-01T10:00:01Z'), { backup }));
    assert.deepEqual(ran, { kind: 'ran', slot: at('2025-09-01T10:00:00Z'), missed: 0, setId: 'shop_20250901_100001' });
    rmSync(statePath, { recursive: true });
  });

  it('a failed backup handles its time (no retry storm) and says why', async () => {
    await runDueBackup(options(at('2025-09-01T09:30:00Z')));
    const failed = await runDueBackup(options(at('2025-09-01T10:00:01Z'), { readActivity: () => Promise.reject(new Error('connection refused')) }));
    assert.equal(failed.kind, 'failed');
    assert.match(failed.kind === 'failed' ? failed.error.message : '', /connection refused/);
    assert.equal((await runDueBackup(options(at('2025-09-01T10:05:00Z')))).kind, 'wait');
  });
});

/** The first `hour`:00 local time after `from`. */
function nextLocal(from: Date, hour: number): Date {
  const date = new Date(from);
  date.setHours(hour, 0, 0, 0);
  if (date <= from) date.setDate(date.getDate() + 1);
  return date;
}
