/**
 * A standby server replays what the primary does. When the primary removes
 * row versions (VACUUM, or a page pruned on the way) that a snapshot on the
 * standby may still read, replay waits for that reader at most
 * max_standby_streaming_delay (30 s by default), then cancels its query
 * ("canceling statement due to conflict with recovery") or, for a session
 * idle in its transaction, ends the session ("terminating connection due
 * to conflict with recovery"). A long read on a standby, a backup above
 * all, meets it whenever the primary cleans up meanwhile; a plain pg_dump
 * fails the same way. The backup's snapshot session waits idle while
 * pg_dump runs: when the standby ends it first, pg_dump only says that the
 * snapshot it was to import is gone ("invalid snapshot identifier").
 */
import { PulseError, type PulseErrorCode } from '../errors';

const RECOVERY_CONFLICT = /due to conflict with recovery/i;

/** Whether a tool's output, or a session's end, says a standby cancelled it for replay. */
export function isRecoveryConflict(text: string | undefined): boolean {
  return text !== undefined && RECOVERY_CONFLICT.test(text);
}

/** pg_dump could not import the snapshot: the session that exported it is gone. */
export function isSnapshotGone(text: string): boolean {
  return /invalid snapshot identifier/i.test(text);
}

/**
 * `what` ("the backup", "the read of app") was cancelled by the standby it
 * read from; `unchanged` says what stays as it was.
 */
export function recoveryConflictError(code: PulseErrorCode, what: string, unchanged: string, details: string): PulseError {
  return new PulseError(code, `the standby server cancelled ${what}: replaying the primary's changes removed row versions its snapshot still needed`, {
    hint: `run it again; if it keeps happening, read from the primary instead, or let the standby's replay wait for long reads (hot_standby_feedback = on, or a longer max_standby_streaming_delay, in the standby's configuration); ${unchanged}`,
    details,
  });
}
