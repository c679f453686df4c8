/**
 * Watches a restore's own session from a second one, so that it never
 * queues for ever behind another session: a statement that has waited for a
 * lock longer than the lock timeout is cancelled (the transaction then rolls
 * back), and the sessions it waited for are remembered for the error.
 *
 * The restore's prolog sets lock_timeout and locks the tables it changes,
 * but pg_dump's file sets lock_timeout back to 0 in its preamble, and some
 * waits cannot be taken ahead: a materialized view cannot be locked before
 * its REFRESH. The server tells who blocks whom (pg_blocking_pids) and since
 * when (pg_locks.waitstart, PostgreSQL 14 and later; the statement's start
 * before that).
 */
import type pg from 'pg';
import { type ConnectionTarget } from '../connection/target';
import { connectClient } from '../connection/session';
import { findLockHolders, type LockHolder } from './lockHolders';

const POLL_MS = 250;

export interface LockGiveUp {
  /** The relation it waited for, when the wait was for one. */
  relation: string | null;
  holders: LockHolder[];
}

export class LockWatchdog {
  private client: pg.Client | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private givenUp: LockGiveUp | undefined;

  private constructor(
    private readonly applicationName: string,
    private readonly timeoutMs: number,
    private readonly namePrefix: boolean,
  ) {}

  /**
   * Starts watching the sessions named `applicationName` (with `prefix`, every
   * session whose name starts with it: a parallel restore's); a watchdog that
   * cannot connect watches nothing (the server's own timeout still holds the prolog).
   */
  static start(target: ConnectionTarget, applicationName: string, timeoutMs: number, options: { prefix?: boolean } = {}): LockWatchdog {
    const watchdog = new LockWatchdog(applicationName, timeoutMs, options.prefix === true);
    void watchdog.connect(target);
    return watchdog;
  }

  /** Set once it cancelled a wait: what was waited for, and who held it. */
  get gaveUp(): LockGiveUp | undefined {
    return this.givenUp;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.client?.end().catch(() => undefined);
  }

  private async connect(target: ConnectionTarget): Promise<void> {
    try {
      const client = await connectClient(target, { configure: (config) => ({ ...config, application_name: 'pulse-backup lock watch' }) });
      if (this.stopped) {
        await client.end().catch(() => undefined);
        return;
      }
      this.client = client;
      const version = await client.query<{ version: string }>("SELECT current_setting('server_version_num') AS version");
      const since = Number(version.rows[0].version) >= 140000 ? 'l.waitstart' : 'a.query_start';
      this.schedule(client, since);
    } catch {
      // Without the watchdog, the restore is only as bounded as the server makes it.
    }
  }

  private schedule(client: pg.Client, since: string): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      void this.check(client, since).then(
        () => this.schedule(client, since),
        () => undefined,
      );
    }, POLL_MS);
  }

  private async check(client: pg.Client, since: string): Promise<void> {
    // Only a wait behind another program's session counts: one session of a
    // parallel restore waits for another (an index of a table whose primary
    // key the other builds) as long as that work takes.
    const waiting = await client.query<{ pid: number; waited_ms: string; blockers: number[]; relation: string | null }>(
      `WITH ours AS (
         SELECT pid FROM pg_catalog.pg_stat_activity
          WHERE CASE WHEN $2 THEN pg_catalog.left(application_name, pg_catalog.length($1)) = $1 ELSE application_name = $1 END
       )
       SELECT a.pid, (EXTRACT(EPOCH FROM pg_catalog.clock_timestamp() - ${since}) * 1000)::bigint::text AS waited_ms,
              pg_catalog.pg_blocking_pids(a.pid) AS blockers, l.relation::pg_catalog.regclass::text AS relation
         FROM pg_catalog.pg_stat_activity a JOIN pg_catalog.pg_locks l ON l.pid = a.pid AND NOT l.granted
        WHERE a.pid IN (SELECT pid FROM ours)
          AND EXISTS (SELECT 1 FROM pg_catalog.unnest(pg_catalog.pg_blocking_pids(a.pid)) AS b(pid) WHERE b.pid NOT IN (SELECT pid FROM ours))`,
      [this.applicationName, this.namePrefix],
    );
    const stuck = waiting.rows.find((row) => Number(row.waited_ms) >= this.timeoutMs);
    if (!stuck || this.stopped) return;
    const holders = stuck.relation ? await findLockHolders(client, [stuck.relation]) : [];
    const blocking = holders.filter((holder) => stuck.blockers.includes(holder.pid));
    this.givenUp = { relation: stuck.relation, holders: blocking.length > 0 ? blocking : holders };
    await client.query('SELECT pg_catalog.pg_cancel_backend($1)', [stuck.pid]);
    this.stopped = true;
  }
}
