/**
 * What a scheduled backup in a running editor does at a moment, as pure
 * functions of the schedule, what was last handled and what the folder
 * holds: wait for the next time, run once for the latest time that passed
 * (however many passed while the machine slept: one backup, never a burst),
 * let a backup taken since that time stand for it, or skip a database whose
 * write counters have not moved since the last scheduled set.
 */
import { nextRuns, previousRun, type BackupTimes } from './when';

/** The database's cumulative write counters (pg_stat_database), read just before a scheduled backup. */
export interface ActivitySignature {
  /** host:port/database: counters of another database never count as "unchanged". */
  database: string;
  /** When the server's statistics were last reset (a restart or pg_stat_reset starts them again). */
  statsReset: string | null;
  /** Rows inserted, updated and deleted by every query in the database, the system catalogs' included (DDL moves them too). */
  rowsWritten: string;
}

/** What the scheduler last did in a backups folder, kept in the folder so every window and restart reads the same. */
export interface ScheduleState {
  /** The latest scheduled time already handled (run, skipped or failed), ISO 8601. */
  lastSlot: string;
  /** The counters read before the last scheduled backup, and the set it wrote. */
  seen?: { setId: string; activity: ActivitySignature };
}

export type SlotDecision =
  /** Nothing is due; the next time is `next` (undefined: the schedule never fires again). */
  | { kind: 'wait'; next: Date | undefined }
  /** A backup written at or after the due time stands for it. */
  | { kind: 'covered'; slot: Date; bySetId: string }
  /** One backup for `slot`; `missed` earlier times that passed unhandled (asleep, closed) are folded into it. */
  | { kind: 'run'; slot: Date; missed: number };

/** Missed times are counted up to this many (for the log); past it, "at least". */
const MAX_SLOTS_COUNTED = 1000;

/** The scheduled times in (after, until], at most `limit`, oldest first. */
export function slotsBetween(times: BackupTimes, after: Date, until: Date, limit = MAX_SLOTS_COUNTED): Date[] {
  const slots: Date[] = [];
  let from = after;
  while (slots.length < limit) {
    const [next] = nextRuns(times, 1, from);
    if (next === undefined || next.getTime() > until.getTime()) break;
    slots.push(next);
    from = next;
  }
  return slots;
}

/**
 * The decision at `now`: the latest scheduled time after `lastSlot` that has
 * passed is due; earlier ones are not run on their own. A set written since
 * that time (by hand, or by another window) covers it.
 */
export function decideSlot(input: { times: BackupTimes; lastSlot: Date; now: Date; newestSet?: { id: string; createdAt: string } }): SlotDecision {
  const { times, lastSlot, now, newestSet } = input;
  const slot = previousRun(times, now);
  if (slot === undefined || slot.getTime() <= lastSlot.getTime()) return { kind: 'wait', next: nextRuns(times, 1, now)[0] ?? undefined };
  if (newestSet && Date.parse(newestSet.createdAt) >= slot.getTime()) return { kind: 'covered', slot, bySetId: newestSet.id };
  return { kind: 'run', slot, missed: slotsBetween(times, lastSlot, new Date(slot.getTime() - 1)).length };
}

/**
 * Nothing changed since the last scheduled set: the same database, the same
 * statistics epoch, the same count of rows written, and that set still in
 * the folder (retention or a person may have removed it).
 */
export function unchangedSince(state: ScheduleState | undefined, current: ActivitySignature, setIds: ReadonlySet<string>): boolean {
  const seen = state?.seen;
  if (!seen || !setIds.has(seen.setId)) return false;
  const before = seen.activity;
  return before.database === current.database && before.statsReset === current.statsReset && before.rowsWritten === current.rowsWritten;
}

/** How long to sleep until `next`, in slices short enough that a machine waking from sleep notices within one. */
export function timerDelay(next: Date | undefined, now: Date, slice = 60_000): number {
  if (next === undefined) return slice;
  return Math.max(250, Math.min(slice, next.getTime() - now.getTime()));
}
