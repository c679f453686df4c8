/**
 * A connection pooler between the tool and the server: PgBouncer, or
 * Supavisor (a hosted Supabase project's pooler; port 6543 is its
 * transaction mode). A pooler hands each client a cancel key of its own, so
 * the backend pid in that key is not the one the server reports for the
 * session; over a direct connection (or a TCP relay) the two always agree.
 *
 * In session mode a pooler gives a client one server connection for its
 * whole session: the tool works as it does directly. In transaction mode
 * each transaction goes to whichever server connection is free. A
 * session's settings (the empty search_path, the timeouts switched off:
 * sessionSettings.ts) then stay behind on a server connection that the
 * pool hands to the application next, which finds its tables no more
 * ("relation … does not exist"), while the tool's next statement may run
 * elsewhere without them; a backup's snapshot, a restore's turn (a lock
 * held by a session) and a restore's settings are lost the same way. A
 * plain pg_dump or psql leaves the same settings behind. So the tool finds
 * out before it sets anything: its first statement sets the session up
 * only where the backend is the one the key names, and reports that
 * backend; where they differ, a second connection asks for its backend. In
 * transaction mode, with the first client idle, the pool hands the second
 * the same server connection. A pool busy with other clients may hand it
 * another one: then the tool goes on, as pg_dump would.
 */
import type pg from 'pg';
import { PulseError } from '../errors';
import { hint, option } from '../hint';
import { describeServer, type ConnectionTarget } from './target';

/** The backend pid of the cancel key the server (or a pooler) gave the client; null before it arrived. */
export function keyBackendPid(client: pg.Client): number | null {
  return (client as unknown as { processID: number | null }).processID;
}

/** How long the second client waits for a server connection: in transaction mode the first one's is free at once. */
const SECOND_CLIENT_WAIT_MS = 3000;

/**
 * Whether a second client, connected while the first is idle, is served by
 * the first one's server session `backend`. A pool in session mode whose
 * server connections are all taken (the first client may hold the last
 * one) makes the second client wait: after SECOND_CLIENT_WAIT_MS, or when
 * it fails, the answer is no.
 */
export async function servesAnotherClient(backend: number, another: () => pg.Client): Promise<boolean> {
  const second = another();
  second.on('error', () => undefined);
  let timer: NodeJS.Timeout | undefined;
  const gaveUp = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), SECOND_CLIENT_WAIT_MS);
  });
  const asked = (async () => {
    await second.connect();
    return (await second.query<{ pid: number }>('SELECT pg_catalog.pg_backend_pid() AS pid')).rows[0].pid;
  })().catch(() => undefined);
  const answer = await Promise.race([asked, gaveUp]);
  clearTimeout(timer);
  // A client still waiting (for its connection, or for a server connection) is let go at once.
  if (answer === undefined) second.connection.stream.destroy();
  else await second.end().catch(() => undefined);
  return answer === backend;
}

/** Two clients, one after the other, served by the same server session: the pooler runs in transaction mode. */
export function transactionPoolerError(t: ConnectionTarget): PulseError {
  const server = describeServer(t);
  return new PulseError(
    'transaction-pooler',
    `${server} is a connection pooler in transaction mode, which runs each transaction on whichever server connection is free: the tool, like pg_dump and psql, needs one session throughout, and its session settings would stay behind for the pool's other clients`,
    { hint: hint`connect directly, or through the pooler's session mode (Supabase: port 5432, not 6543), and pass that with ${option('connection', 'URL')}` },
  );
}
