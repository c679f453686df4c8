/**
 * Tables other sessions hold. A backup reads every table, and a session
 * that holds one in ACCESS EXCLUSIVE mode (a migration, an ALTER TABLE left
 * open in a transaction) makes it wait. Every query the backup runs — its
 * own catalog queries and pg_dump's — waits for a lock at most a bounded
 * time (`--lock-timeout`, 60 s unless told otherwise); then it stops, and
 * says which table and which session, so a person can ask that session to
 * finish or end it.
 */
import { hint, option, commandLineOnly } from '../hint';
import { type ConnectionTarget } from '../connection/target';
import { connectClient } from '../connection/session';
import { PulseError } from '../errors';
import { describeLockHolder, endSessionWords, exclusivelyHeld, findLockHolders, type LockHolder } from './lockHolders';

export const DEFAULT_LOCK_TIMEOUT_SECONDS = 60;

/** How long the diagnosis itself may take: it must never be the thing that hangs. */
const DIAGNOSIS_TIMEOUT_MS = 5000;

const IDENTIFIER = '(?:"(?:[^"]|"")*"|[^\\s,."]+)';
const LOCK_QUERY = new RegExp(`LOCK TABLE (?:ONLY )?(${IDENTIFIER}(?:\\.${IDENTIFIER})?)[\\s,]`, 'i');
const COPY_QUERY = new RegExp(`Query was: COPY (${IDENTIFIER}\\.${IDENTIFIER}) `);

/**
 * The server gave up waiting for a lock: lock_timeout (SQLSTATE 55P03), or
 * pg_dump's --lock-wait-timeout, which pg_dump sets as statement_timeout
 * around its LOCK TABLE statements, so that its error is a statement timeout
 * whose "Query was:" detail is a LOCK TABLE.
 */
export function isLockTimeout(error: unknown): boolean {
  const record = error as { code?: unknown; message?: unknown } | undefined;
  const text = String(record?.message ?? error);
  return (
    record?.code === '55P03' ||
    /canceling statement due to lock timeout|could not obtain lock/i.test(text) ||
    (/canceling statement due to statement timeout/i.test(text) && /Query was: LOCK TABLE /i.test(text))
  );
}

/**
 * The table pg_dump was locking when it gave up ("LOCK TABLE public.messages
 * IN ACCESS SHARE MODE"); the first one when it locks several at once.
 */
export function tableOfLockQuery(text: string): string | undefined {
  return LOCK_QUERY.exec(text)?.[1];
}

/** The table of pg_dump's `COPY schema.table (columns) TO stdout` query in its stderr, as pg_dump quoted it. */
export function tableOfCopyQuery(text: string): string | undefined {
  return COPY_QUERY.exec(text)?.[1];
}

/**
 * Sessions that hold a lock a reader must wait for (ACCESS EXCLUSIVE, the
 * one mode that blocks reading) on `table`, or on any table of the target
 * database when it is not known; the longest-running first.
 */
async function holdersOfExclusiveLocks(target: ConnectionTarget, table?: string): Promise<LockHolder[]> {
  const client = await connectClient(target, { configure: (config) => ({ ...config, query_timeout: DIAGNOSIS_TIMEOUT_MS, connectionTimeoutMillis: DIAGNOSIS_TIMEOUT_MS }) });
  try {
    // Names come out schema-qualified (regclass leaves out a schema on the search path).
    await client.query('SET search_path = pg_catalog');
    const locked = await client.query<{ relation: string }>(
      `SELECT DISTINCT l.relation::pg_catalog.regclass::text AS relation
         FROM pg_catalog.pg_locks l
        WHERE l.locktype = 'relation' AND l.granted AND l.mode = 'AccessExclusiveLock' AND l.pid <> pg_catalog.pg_backend_pid()
          AND l.database = (SELECT oid FROM pg_catalog.pg_database WHERE datname = pg_catalog.current_database())
          AND ($1::text IS NULL OR l.relation = pg_catalog.to_regclass($1))`,
      [table ?? null],
    );
    const holders = await findLockHolders(
      client,
      locked.rows.map((row) => row.relation),
    );
    // Whoever holds it exclusively is the one in the way; other readers of the table are not.
    return holders.filter((holder) => exclusivelyHeld(holder) !== undefined);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Who waited: a backup, a safety backup, or a diff (which only reads: there is nothing for it to leave unchanged). */
export type LockWaitPurpose = 'backup' | 'safety' | 'diff';

const LOCK_WAIT_WORDS: Record<LockWaitPurpose, (seconds: number) => { waited: string; again: string }> = {
  backup: (seconds) => ({
    waited: `the backup waited ${seconds} s for it and stopped; nothing was written and older backups are untouched`,
    again: 'run the backup again',
  }),
  // A safety backup's failure is told by what it was taken before (a restore, a guarded command): they say what did not run.
  safety: (seconds) => ({ waited: `the safety backup waited ${seconds} s for it and stopped; nothing was written`, again: 'try again' }),
  diff: (seconds) => ({ waited: `the diff waited ${seconds} s for it and stopped (a diff only reads)`, again: 'run the diff again' }),
};

/**
 * The one line for a backup (or a read) that gave up waiting for a lock: the table, the
 * session that holds it, and what to do. `table` when the waiting query
 * named it (pg_dump's LOCK TABLE); otherwise whatever table a session holds.
 */
export async function lockWaitError(target: ConnectionTarget, options: { seconds: number; table?: string; details?: string; purpose?: LockWaitPurpose }): Promise<PulseError> {
  const find = (table?: string) => holdersOfExclusiveLocks(target, table).catch(() => [] as LockHolder[]);
  // pg_dump names the first table of a batch it locks; another one may be the held one.
  let holders = await find(options.table);
  if (holders.length === 0 && options.table !== undefined) holders = await find();
  const holder = holders[0];
  const { waited, again } = LOCK_WAIT_WORDS[options.purpose ?? 'backup'](options.seconds);
  const details = options.details;
  if (!holder) {
    return new PulseError('lock-wait-timeout', `${options.table ?? 'a table'} is locked by another session: ${waited}`, {
      hint: hint`${again} when that session has finished (SELECT pid, query FROM pg_stat_activity shows it)${commandLineOnly(hint`; ${option('lockTimeout', 'SECONDS')} waits longer`)}`,
      details,
    });
  }
  const more = holders.length > 1 ? ` (and ${holders.length - 1} more ${holders.length === 2 ? 'session' : 'sessions'})` : '';
  const table = options.table ?? exclusivelyHeld(holder) ?? 'a table';
  // A session idle in its transaction keeps its lock until it is ended: waiting longer never helps then.
  const idle = holders.every((one) => one.state?.startsWith('idle in transaction'));
  return new PulseError('lock-wait-timeout', `${table} is locked by another session, ${describeLockHolder(holder)}${more}: ${waited}`, {
    hint: hint`ask that session to finish (COMMIT or ROLLBACK), or ${endSessionWords(holder)} then ${again}${idle ? '' : commandLineOnly(hint` (${option('lockTimeout', 'SECONDS')} waits longer)`)}`,
    details,
  });
}
