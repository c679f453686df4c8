/**
 * One restore at a time into a database. Two restores into one database at
 * once (two terminals, the editor and a script, two people on a shared
 * server) gain nothing and can lose work: both pre-flights find the
 * database empty, and when a restore with jobs fails it empties the
 * database again, dropping what the other restore loaded. So a restore
 * holds a session-level advisory lock in the target database for as long
 * as it loads, in a session of its own, and a second restore that finds it
 * held stops before it changes anything, naming the first. The server lets
 * go of the lock when that session ends, a killed process's too, so it
 * never outlives the restore that took it.
 */
import type pg from 'pg';
import type { ConnectionTarget } from '../connection/target';
import { openSession } from '../connection/session';
import { PulseError } from '../errors';

/** The advisory lock's two keys ("PULS", "REST"): advisory locks belong to one database, so the keys need not name it. */
const KEYS = [0x50554c53, 0x52455354] as const;

/** The lock in pg_locks, when a restore has the turn in the session's database: a condition on pg_locks `l`. */
const TURN_HELD = `l.locktype = 'advisory' AND l.granted AND l.classid = ${KEYS[0]} AND l.objid = ${KEYS[1]} AND l.objsubid = 2
  AND l.database = (SELECT oid FROM pg_catalog.pg_database WHERE datname = pg_catalog.current_database())`;

/** An SQL expression: whether a restore has the turn in the session's database (a backup asks it in its first round trip). */
export const RESTORE_RUNNING_SQL = `EXISTS (SELECT 1 FROM pg_catalog.pg_locks l WHERE ${TURN_HELD})`;

export interface RestoreTurn {
  release(): Promise<void>;
}

/** The turn to restore into the target's database, or a one-line refusal naming the restore that has it. */
export async function takeRestoreTurn(target: ConnectionTarget, options: { signal?: AbortSignal } = {}): Promise<RestoreTurn> {
  const client = await openSession(target, { applicationName: `pulse-backup restore, pid ${process.pid}`, signal: options.signal });
  try {
    // The session then waits, idle, for the whole restore (no timeout of the server's ends it: connectClient).
    const taken = await client.query<{ taken: boolean }>(`SELECT pg_catalog.pg_try_advisory_lock(${KEYS[0]}, ${KEYS[1]}) AS taken`);
    if (!taken.rows[0]?.taken) {
      const running = await restoreRunning(client, target.database).catch(() => undefined);
      throw running ?? restoreRunningError(target.database, 'its session ended a moment ago');
    }
  } catch (error) {
    await client.end().catch(() => undefined);
    throw error;
  }
  return {
    // Ending the session lets go of the lock.
    release: () => client.end().catch(() => undefined),
  };
}

/**
 * The refusal, when another restore has the turn in the session's database
 * (pg_locks, which every role may read): the pre-flight asks first, as it
 * would otherwise wait behind the running restore's locks to count rows.
 */
export async function restoreRunning(client: pg.Client, database: string): Promise<PulseError | undefined> {
  const who = await runningRestore(client);
  return who === undefined ? undefined : restoreRunningError(database, who);
}

/** "pulse-backup restore, pid 4711, server session 5120, as postgres, since …": the restore that has the turn, as far as this role may see it. */
export async function runningRestore(client: pg.Client): Promise<string | undefined> {
  // What a role may see of another role's session varies: pid and user always, the rest when visible.
  const result = await client.query<{ pid: number; user: string | null; application_name: string | null; since: string | null }>(
    `SELECT l.pid, a.usename AS "user", a.application_name, to_char(a.backend_start, 'YYYY-MM-DD HH24:MI:SS TZ') AS since
       FROM pg_catalog.pg_locks l LEFT JOIN pg_catalog.pg_stat_activity a ON a.pid = l.pid
      WHERE ${TURN_HELD} AND l.pid <> pg_catalog.pg_backend_pid()`,
  );
  const holder = result.rows[0];
  if (!holder) return undefined;
  return [holder.application_name || undefined, `server session ${holder.pid}`, holder.user ? `as ${holder.user}` : undefined, holder.since ? `since ${holder.since}` : undefined]
    .filter(Boolean)
    .join(', ');
}

function restoreRunningError(database: string, who: string): PulseError {
  return new PulseError('restore-refused', `another restore into database ${database} is running (${who})`, {
    hint: 'wait for it to finish, then check the database and run again; nothing was changed',
  });
}

/** A backup while a restore loads into the database: with jobs, what it would read is half a restore. */
export function backupDuringRestoreError(database: string, who: string | undefined): PulseError {
  return new PulseError('backup-locked', `a restore into database ${database} is running${who ? ` (${who})` : ''}, and a backup now could hold what it has loaded so far`, {
    hint: 'back up once it has finished; nothing was written and older backups are untouched',
  });
}
