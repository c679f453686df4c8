/**
 * Other sessions that hold locks on the relations a restore must drop, empty
 * or load: the pre-flight names an idle transaction that would make the
 * restore wait, and a restore that gave up waiting names who held the lock.
 * What a role may see of other sessions varies (PostgreSQL shows the state
 * and times of other roles' sessions only to members of pg_read_all_stats);
 * what it cannot see is left out of the words.
 */
import type pg from 'pg';

export interface LockHolder {
  pid: number;
  applicationName: string;
  user: string | null;
  /** 'idle in transaction', 'active', …; null when this role may not see it. */
  state: string | null;
  /** When its transaction began (ISO), when visible. */
  transactionStart: string | null;
  /** Seconds its current state has lasted, when visible. */
  stateSeconds: number | null;
  /** "RowExclusiveLock on public.posts", the strongest lock it holds on each relation. */
  holds: string[];
  /**
   * Whether this session's role may end it with pg_terminate_backend: a
   * superuser may end any; others only a session of a role they are a
   * member of, or any but a superuser's as members of pg_signal_backend.
   */
  mayEnd: boolean;
  /** The session is a superuser's: only a superuser may end it. */
  superuser: boolean;
}

/**
 * "end it with SELECT pg_terminate_backend(4242);", in words that hold for
 * the role that reads them: where it may not run it, who may.
 */
export function endSessionWords(holder: Pick<LockHolder, 'pid' | 'mayEnd' | 'user' | 'superuser'>, it = 'it'): string {
  const call = `SELECT pg_terminate_backend(${holder.pid});`;
  if (holder.mayEnd) return `end ${it} with ${call}`;
  return `have a superuser${holder.superuser || !holder.user ? '' : ` or ${holder.user}`} end ${it} with ${call}`;
}

/**
 * The lock modes that conflict with what loading rows takes: EXCLUSIVE
 * (readers go on, writers wait) where the role may take it (PostgreSQL 15
 * and later), else ROW EXCLUSIVE (restore/prolog.ts lockStatements); every
 * mode conflicts with ACCESS EXCLUSIVE.
 */
const CONFLICTS_WITH_EXCLUSIVE = ['RowShareLock', 'RowExclusiveLock', 'ShareUpdateExclusiveLock', 'ShareLock', 'ShareRowExclusiveLock', 'ExclusiveLock', 'AccessExclusiveLock'];
const CONFLICTS_WITH_ROW_EXCLUSIVE = ['ShareLock', 'ShareRowExclusiveLock', 'ExclusiveLock', 'AccessExclusiveLock'];

/**
 * Sessions other than this one that hold a granted lock on any of the named
 * relations (names as regclass text; names that no longer resolve are
 * skipped). Only idle transactions when `idleOnly`: a short query in flight
 * is no reason to refuse a restore. With `rowsOnly`, only locks that would
 * keep the restore from loading rows (every lock but a reader's where it
 * locks against writers, else the few that conflict with inserting).
 */
export async function findLockHolders(client: pg.Client, relations: readonly string[], options: { idleOnly?: boolean; rowsOnly?: boolean } = {}): Promise<LockHolder[]> {
  if (relations.length === 0) return [];
  const result = await client.query<{
    pid: number;
    application_name: string | null;
    user: string | null;
    state: string | null;
    transaction_start: string | null;
    state_seconds: string | null;
    holds: string[];
    may_end: boolean;
    superuser: boolean;
  }>(
    `WITH wanted AS (
       SELECT pg_catalog.to_regclass(name) AS relation FROM pg_catalog.unnest($1::text[]) AS name
     )
     SELECT a.pid, a.application_name, a.usename AS user, a.state,
            pg_catalog.to_char(a.xact_start AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS transaction_start,
            pg_catalog.floor(EXTRACT(EPOCH FROM pg_catalog.now() - a.state_change))::text AS state_seconds,
            pg_catalog.array_agg(l.mode || ' on ' || l.relation::pg_catalog.regclass::text ORDER BY l.relation::pg_catalog.regclass::text, l.mode) AS holds,
            COALESCE(me.rolsuper OR (NOT COALESCE(them.rolsuper, false)
              AND (pg_catalog.pg_has_role(a.usesysid, 'MEMBER') OR pg_catalog.pg_has_role('pg_signal_backend', 'MEMBER'))), false) AS may_end,
            COALESCE(them.rolsuper, false) AS superuser
       FROM pg_catalog.pg_locks l
       JOIN wanted w ON w.relation = l.relation
       JOIN pg_catalog.pg_stat_activity a ON a.pid = l.pid
       LEFT JOIN pg_catalog.pg_roles them ON them.oid = a.usesysid
       CROSS JOIN (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = CURRENT_USER) me
      WHERE l.locktype = 'relation' AND l.granted AND l.pid <> pg_catalog.pg_backend_pid()
        AND l.database = (SELECT oid FROM pg_catalog.pg_database WHERE datname = pg_catalog.current_database())
        AND ($2::boolean IS FALSE OR a.state LIKE 'idle in transaction%')
        AND ($3::boolean IS FALSE OR l.mode = ANY (CASE WHEN pg_catalog.current_setting('server_version_num')::int >= 150000 AND pg_catalog.has_table_privilege(l.relation, 'UPDATE, DELETE, TRUNCATE') THEN $4::text[] ELSE $5::text[] END))
      GROUP BY a.pid, a.application_name, a.usename, a.usesysid, a.state, a.xact_start, a.state_change, me.rolsuper, them.rolsuper
      ORDER BY a.xact_start NULLS LAST, a.pid`,
    [relations, options.idleOnly === true, options.rowsOnly === true, CONFLICTS_WITH_EXCLUSIVE, CONFLICTS_WITH_ROW_EXCLUSIVE],
  );
  return result.rows.map((row) => ({
    pid: row.pid,
    applicationName: row.application_name ?? '',
    user: row.user,
    state: row.state,
    transactionStart: row.transaction_start,
    stateSeconds: row.state_seconds === null ? null : Number(row.state_seconds),
    holds: strongestPerRelation(row.holds),
    mayEnd: row.may_end,
    superuser: row.superuser,
  }));
}

/** Lock modes, weakest first: a session that holds several on one table is described by the strongest. */
const MODE_STRENGTH = [
  'AccessShareLock',
  'RowShareLock',
  'RowExclusiveLock',
  'ShareUpdateExclusiveLock',
  'ShareLock',
  'ShareRowExclusiveLock',
  'ExclusiveLock',
  'AccessExclusiveLock',
];

function strongestPerRelation(holds: readonly string[]): string[] {
  const strongest = new Map<string, string>();
  for (const hold of holds) {
    const [mode = '', relation = ''] = hold.split(' on ', 2);
    const current = strongest.get(relation);
    if (current === undefined || MODE_STRENGTH.indexOf(mode) > MODE_STRENGTH.indexOf(current)) strongest.set(relation, mode);
  }
  return [...strongest].map(([relation, mode]) => `${mode} on ${relation}`);
}

/** One session in a few words: "pid 4242 (psql, app_user, idle in transaction for 95 s, holds RowExclusiveLock on public.posts)". */
export function describeLockHolder(holder: LockHolder): string {
  const parts = [holder.applicationName === '' ? 'no application name' : holder.applicationName];
  if (holder.user) parts.push(holder.user);
  if (holder.state) parts.push(holder.stateSeconds === null ? holder.state : `${holder.state} for ${holder.stateSeconds} s`);
  const holds = holder.holds.length > 2 ? [...holder.holds.slice(0, 2), `${holder.holds.length - 2} more`] : holder.holds;
  parts.push(`holds ${holds.join(', ')}`);
  return `pid ${holder.pid} (${parts.join(', ')})`;
}

/** The table a holder holds in ACCESS EXCLUSIVE mode (the one mode that blocks reading), as describeLockHolder names it. */
export function exclusivelyHeld(holder: LockHolder): string | undefined {
  return holder.holds.find((hold) => hold.startsWith('AccessExclusiveLock on '))?.slice('AccessExclusiveLock on '.length);
}
