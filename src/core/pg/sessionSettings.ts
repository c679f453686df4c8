/**
 * What every session of this tool sets first, as pg_dump does for its own.
 *
 * An empty search_path, before anything else runs. Any name a query does
 * not qualify (a function, an operator, a type in a cast) is otherwise
 * looked up in the schemas the role's or database's search_path names,
 * which a database's owner may set (`ALTER DATABASE … SET search_path =
 * public, pg_catalog`) and fill: a `public.current_setting` of theirs would
 * run with the rights of whoever backs up or restores, often a superuser.
 * With the path empty, only pg_catalog is searched.
 *
 * The server's timeouts, switched off. A statement_timeout set for the
 * role or database (an application's guard against slow queries) would cut
 * short the tool's own reading of a big catalog. A backup's
 * snapshot session sits idle in its transaction while pg_dump runs, and
 * the extra pg_dump sessions of a parallel backup import its snapshot
 * later, some minutes later on a big database:
 * `idle_in_transaction_session_timeout` (or, from PostgreSQL 17,
 * `transaction_timeout`) set for the role or the database ends that
 * session, and the next pg_dump fails with "invalid snapshot identifier".
 * A restore's turn is held by a session idle outside any transaction, which
 * `idle_session_timeout` (14 and later) would end, and the lock with it. A
 * parallel restore's psql sessions wait, outside any transaction, while the
 * file is read up to the entries they run. pg_dump switches the same
 * timeouts off for its own sessions, and its plain dumps do so for psql,
 * but not idle_session_timeout (which pg_dump 15 does not know). A wait
 * that takes minutes on a big database (a checksum, a pre-flight that reads
 * the whole file) is never a reason to fail.
 *
 * JIT compilation, switched off. A server built with LLVM (Debian's and
 * Ubuntu's packages, the official Docker image) compiles any query whose
 * estimated cost passes jit_above_cost, and the tool's catalog queries
 * (what a --clean restore would drop, and what depends on it) estimate
 * high and run in milliseconds: compiling one took 3.7 s, twice per
 * restore, on a database of one table. Nothing the tool runs reads enough
 * rows for compiled expressions to pay.
 *
 * Every session of this tool sends these as it connects (connectClient),
 * and every psql session a restore runs in its first line.
 */

/** Each setting, its value, and the first server version that has it (an older server rejects the name). */
const SETTINGS: readonly (readonly [name: string, value: string, since: number])[] = [
  ['statement_timeout', '0', 0],
  ['idle_in_transaction_session_timeout', '0', 90600],
  ['idle_session_timeout', '0', 140000],
  ['transaction_timeout', '0', 170000],
  ['jit', 'off', 110000],
];

/**
 * The statements, for the session (outside a transaction, or in one that
 * commits). One line: a restore's psql counts the lines before the set's
 * file. The search_path goes first and names nothing it could look up; the
 * other settings' statement, with its operator and cast, runs after it.
 *
 * With `onlyOnBackend`, each setting is made only in that server session,
 * and a last statement reports the session's backend pid: a connection
 * pooler in transaction mode would keep the settings for its other clients
 * (connection/pooler.ts), so a client that may be pooled sets nothing until
 * it knows.
 */
export function ownSessionSql(onlyOnBackend?: number): string {
  const values = SETTINGS.map(([name, value, since]) => `('${name}', '${value}', ${since})`).join(', ');
  const onBackend = onlyOnBackend === undefined ? '' : `pg_catalog.pg_backend_pid() OPERATOR(pg_catalog.=) ${Math.trunc(onlyOnBackend)}`;
  return (
    `SELECT pg_catalog.set_config('search_path', '', false)${onBackend ? ` WHERE ${onBackend}` : ''}; ` +
    `SELECT pg_catalog.set_config(t.name, t.value, false) FROM (VALUES ${values}) AS t(name, value, since) WHERE pg_catalog.current_setting('server_version_num')::pg_catalog.int4 OPERATOR(pg_catalog.>=) t.since${onBackend ? ` AND ${onBackend}` : ''}` +
    (onBackend ? '; SELECT pg_catalog.pg_backend_pid() AS pid' : '')
  );
}
