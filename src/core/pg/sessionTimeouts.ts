/**
 * The server's timeouts for sessions that wait, switched off for the
 * sessions of this tool that wait on purpose. A backup's snapshot session
 * sits idle in its transaction while pg_dump runs, and the extra pg_dump
 * sessions of a parallel backup import its snapshot later, some minutes
 * later on a big database: `idle_in_transaction_session_timeout` (or, from
 * PostgreSQL 17, `transaction_timeout`) set for the role or the database
 * ends that session, and the next pg_dump fails with "invalid snapshot
 * identifier". A restore's turn is held by a session idle outside any
 * transaction, which `idle_session_timeout` (14 and later) would end, and
 * the lock with it. pg_dump switches the same timeouts off for its own
 * sessions; the plain dumps it writes do so for psql.
 */

/** Each timeout and the first server version that has it (an older server rejects the name). */
const TIMEOUTS: readonly (readonly [name: string, since: number])[] = [
  ['idle_in_transaction_session_timeout', 90600],
  ['idle_session_timeout', 140000],
  ['transaction_timeout', 170000],
];

/**
 * One statement that switches every timeout this server has off: for the
 * transaction (`local`: a snapshot session's, sent inside it) or for the
 * session. It goes in a round trip the session makes anyway.
 */
export function noWaitTimeoutsSql(scope: 'transaction' | 'session'): string {
  const values = TIMEOUTS.map(([name, since]) => `('${name}', ${since})`).join(', ');
  return `SELECT pg_catalog.set_config(t.name, '0', ${scope === 'transaction'}) FROM (VALUES ${values}) AS t(name, since)
     WHERE pg_catalog.current_setting('server_version_num')::int >= t.since`;
}
