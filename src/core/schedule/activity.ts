/**
 * The cheap check before a scheduled backup: the database's cumulative
 * write counters from pg_stat_database, one query, no privilege needed.
 * Reads (pg_dump's own, this query's) move none of them; any insert, update
 * or delete, and DDL (it writes the system catalogs), moves them. What they
 * miss is said in docs/schedules.md: a sequence advanced by nextval alone,
 * and changes the statistics have not flushed yet (at most a second or so).
 */
import { endOnce, openSession } from '../connection/session';
import type { ConnectionTarget } from '../connection/target';
import type { ActivitySignature } from './decide';

export async function readActivity(target: ConnectionTarget, signal?: AbortSignal): Promise<ActivitySignature> {
  const client = await openSession(target, signal ? { signal } : {});
  const end = endOnce(client);
  try {
    // The statistics a session reads are a snapshot taken at its first look: a fresh session sees the latest.
    const result = await client.query<{ written: string; stats_reset: Date | null }>(
      `SELECT (tup_inserted + tup_updated + tup_deleted)::text AS written, stats_reset
         FROM pg_stat_database WHERE datname = current_database()`,
    );
    const row = result.rows[0];
    return {
      database: `${target.host}:${target.port}/${target.database}`,
      statsReset: row?.stats_reset ? row.stats_reset.toISOString() : null,
      rowsWritten: row?.written ?? 'unknown',
    };
  } finally {
    await end();
  }
}
