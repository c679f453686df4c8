/**
 * A hot standby (a read replica) of a throwaway server: a base backup of it
 * taken with the real pg_basebackup (`-R`: it starts as a standby that
 * streams from the primary), run as a server of its own. What the primary
 * does reaches it by streaming replication, as on any replica.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { findClientTools } from '../../src/core/pg/tools';
import { loadServerBinaries } from './serverBinaries';
import { startServer, type TestServer } from './pgServer';

export interface Standby {
  server: TestServer;
  /** Waits until the standby has replayed everything the primary has written so far. */
  caughtUp(): Promise<void>;
}

/** The pg_basebackup beside the pg_dump the tool uses (the same client package); undefined when there is none. */
export async function findPgBasebackup(): Promise<string | undefined> {
  for (const tools of await findClientTools({ env: process.env })) {
    const candidate = join(dirname(tools.pgDump.path), 'pg_basebackup');
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

/** `primary` must be a throwaway PostgreSQL 15 server (startServer with settings): its binaries run the standby. */
export async function startStandby(primary: TestServer, pgBasebackup: string, settings: Record<string, string> = {}): Promise<Standby> {
  const copy = mkdtempSync(join(tmpdir(), 'pulse-standby-'));
  try {
    const dataDirectory = join(copy, 'data');
    // A fast checkpoint: the default spreads it over minutes.
    execFileSync(
      pgBasebackup,
      [
        '--pgdata',
        dataDirectory,
        '--write-recovery-conf',
        '--wal-method=stream',
        '--checkpoint=fast',
        '--no-sync',
        '--host',
        primary.host,
        '--port',
        String(primary.port),
        '--username',
        primary.user,
      ],
      { env: { ...process.env, PGPASSWORD: primary.password }, stdio: 'pipe' },
    );
    const binaries = await loadServerBinaries(15);
    const server = await startServer({ password: primary.password, cluster: { binDirectory: dirname(binaries.postgres), dataDirectory }, settings });
    return {
      server,
      async caughtUp() {
        const [{ lsn }] = await primary.query<{ lsn: string }>('postgres', 'SELECT pg_current_wal_lsn()::text AS lsn');
        const deadline = Date.now() + 60_000;
        for (;;) {
          const [{ replayed }] = await server.query<{ replayed: boolean }>('postgres', `SELECT pg_last_wal_replay_lsn() >= '${lsn}'::pg_lsn AS replayed`);
          if (replayed) return;
          if (Date.now() > deadline) throw new Error(`the standby did not replay up to ${lsn} within a minute`);
          await sleep(20);
        }
      },
    };
  } finally {
    // The running standby has a copy of its own (startServer copies a cluster).
    rmSync(copy, { recursive: true, force: true });
  }
}
