/**
 * Runs what decide.ts decides, once per scheduled time per backups folder,
 * however many editors watch the folder: the scheduler's own lock (the
 * folder lock's mechanism, in the folder's `.pulse-backup-schedule/`, so a
 * backup's own lock is never held for longer than a backup) lets one of
 * them decide at a time, and the state it keeps there (written whole,
 * atomicFile) tells the others, and the next start, that the time was handled.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { PulseError, toPulseError } from '../errors';
import { writeFileAtomic } from '../files/atomicFile';
import { acquireFolderLock, type FolderLock } from '../files/folderLock';
import { readRegularFile } from '../files/regularFile';
import { isDatedAhead, listSets } from '../sets/listing';
import { decideSlot, unchangedSince, type ActivitySignature, type ScheduleState } from './decide';
import { nextRuns, type BackupTimes } from './when';

/** Inside the backups folder: the scheduler's lock and state. */
export const SCHEDULE_FOLDER = '.pulse-backup-schedule';
const STATE_FILE = 'state.json';

export type SlotOutcome =
  /** Another editor (or another scheduler) is deciding for this folder right now. */
  | { kind: 'busy' }
  | { kind: 'wait'; next: Date | undefined }
  /** A set written since the scheduled time stands for it. */
  | { kind: 'covered'; slot: Date; setId: string }
  /** The database's write counters have not moved since the last scheduled set. */
  | { kind: 'unchanged'; slot: Date; setId: string }
  | { kind: 'ran'; slot: Date; missed: number; setId: string }
  /** The time counts as handled: the next try is at the next scheduled time. */
  | { kind: 'failed'; slot: Date; error: PulseError };

export interface DueBackupOptions {
  /** The backups folder. */
  folder: string;
  /** The prefix whose sets count (the folder may hold other projects' sets). */
  prefix: string;
  times: BackupTimes;
  now: Date;
  readActivity: () => Promise<ActivitySignature>;
  /** Takes the backup (with the retention a manual one keeps); resolves with the new set's id. */
  backup: () => Promise<string>;
}

export async function runDueBackup(options: DueBackupOptions): Promise<SlotOutcome> {
  const scheduleFolder = join(options.folder, SCHEDULE_FOLDER);
  let lock: FolderLock;
  try {
    await mkdir(scheduleFolder, { recursive: true });
    lock = await acquireFolderLock(scheduleFolder, 'schedule');
  } catch (error) {
    const pulseError = toPulseError(error);
    if (pulseError.code === 'backup-locked') return { kind: 'busy' };
    throw pulseError;
  }
  try {
    const state = await readScheduleState(options.folder);
    if (!state) {
      // A schedule seen for the first time starts now: nothing before it was missed.
      await writeScheduleState(options.folder, { lastSlot: options.now.toISOString() });
      return { kind: 'wait', next: nextRuns(options.times, 1, options.now)[0] };
    }
    const sets = (await listSets(options.folder)).filter(
      (set) => set.prefix === options.prefix && set.purpose === 'backup' && (set.status === 'complete' || set.status === 'legacy'),
    );
    // A set dated after now (a wrong clock) would cover every time until its date: it stands for none.
    const believed = sets.filter((set) => !isDatedAhead(set, options.now));
    const newest = believed.reduce<(typeof sets)[number] | undefined>((best, set) => (best === undefined || set.createdAt > best.createdAt ? set : best), undefined);
    const decision = decideSlot({ times: options.times, lastSlot: new Date(state.lastSlot), now: options.now, ...(newest ? { newestSet: newest } : {}) });
    if (decision.kind === 'wait') return decision;
    const handled: ScheduleState = { ...state, lastSlot: decision.slot.toISOString() };
    if (decision.kind === 'covered') {
      await writeScheduleState(options.folder, handled);
      return { kind: 'covered', slot: decision.slot, setId: decision.bySetId };
    }
    try {
      // Read before the backup: a write while it runs moves them past what is recorded, so the next time backs up again.
      const activity = await options.readActivity();
      if (unchangedSince(state, activity, new Set(sets.map((set) => set.id)))) {
        await writeScheduleState(options.folder, handled);
        return { kind: 'unchanged', slot: decision.slot, setId: state.seen!.setId };
      }
      const setId = await options.backup();
      // The set is written: a state that cannot be (the backup took the disk's last room) must not call it a failure.
      // Unrecorded, the time counts as handled anyway (the new set stands for it); the next one backs up even if nothing changed.
      await writeScheduleState(options.folder, { lastSlot: handled.lastSlot, seen: { setId, activity } }).catch(() => undefined);
      return { kind: 'ran', slot: decision.slot, missed: decision.missed, setId };
    } catch (error) {
      const pulseError = toPulseError(error);
      // A backup by hand holds the folder right now: its set will stand for this time at the next look.
      if (pulseError.code === 'backup-locked') return { kind: 'busy' };
      await writeScheduleState(options.folder, handled).catch(() => undefined);
      return { kind: 'failed', slot: decision.slot, error: pulseError };
    }
  } finally {
    await lock.release();
  }
}

export async function readScheduleState(folder: string): Promise<ScheduleState | undefined> {
  try {
    // A regular file only: a FIFO there would hold a plain read (and the schedule's lock) for ever.
    const value = JSON.parse(await readRegularFile(join(folder, SCHEDULE_FOLDER, STATE_FILE))) as Partial<ScheduleState>;
    if (typeof value.lastSlot !== 'string' || Number.isNaN(Date.parse(value.lastSlot))) return undefined;
    return value as ScheduleState;
  } catch {
    // Missing or unreadable: the schedule starts again from now (never a burst of old times).
    return undefined;
  }
}

async function writeScheduleState(folder: string, state: ScheduleState): Promise<void> {
  await writeFileAtomic(join(folder, SCHEDULE_FOLDER, STATE_FILE), `${JSON.stringify(state, null, 2)}\n`, 0o644);
}
