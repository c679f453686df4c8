/** Another session holding a table, as a migration left open in a transaction does: what makes a reader wait. */
import { Client } from 'pg';

export interface HeldTable {
  /** The holding session's backend pid. */
  pid: number;
  /** Ends the holding transaction (and the session). */
  release(): Promise<void>;
}

/**
 * `busy`: the session is running a long query while it holds the lock, not
 * idle in its transaction — a restore's pre-flight refuses to start behind
 * an idle transaction, but goes ahead past a busy one and then waits.
 */
export async function holdTable(url: string, table: string, options: { mode?: string; application?: string; busy?: boolean } = {}): Promise<HeldTable> {
  const client = new Client({ connectionString: url, ...(options.application ? { application_name: options.application } : {}) });
  // The server going away (a test stopping it) must not crash the test run.
  client.on('error', () => undefined);
  await client.connect();
  const [{ pid }] = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows;
  // It holds until released, whatever its role's setting (Supabase ends supabase_auth_admin's idle transactions after 60 s).
  await client.query('SET idle_in_transaction_session_timeout = 0');
  await client.query('BEGIN');
  await client.query(`LOCK TABLE ${table} IN ${options.mode ?? 'ACCESS EXCLUSIVE'} MODE`);
  if (options.busy) client.query('SELECT pg_sleep(3600)').catch(() => undefined);
  return {
    pid,
    async release() {
      if (options.busy) {
        // A backend in pg_sleep does not notice its client leaving: end it from another session.
        const other = new Client({ connectionString: url });
        other.on('error', () => undefined);
        await other.connect().catch(() => undefined);
        await other.query('SELECT pg_terminate_backend($1)', [pid]).catch(() => undefined);
        await other.end().catch(() => undefined);
        await client.end().catch(() => undefined);
        return;
      }
      await client.query('ROLLBACK').catch(() => undefined);
      await client.end().catch(() => undefined);
    },
  };
}

export interface LateHeldTable {
  /** The holding session's backend pid, once it holds the table. */
  held: Promise<number>;
  /** Ends the holding transaction (and the session), whether it got the table or not. */
  release(): Promise<void>;
}

/**
 * A session that waits for `table` to appear (a restore creating it), then
 * holds it in ACCESS SHARE mode, idle in its transaction: an application or
 * a dashboard that connected to the database being restored and read a
 * table. Polls every few milliseconds.
 */
export function holdTableOnceCreated(url: string, table: string, options: { application?: string } = {}): LateHeldTable {
  const client = new Client({ connectionString: url, ...(options.application ? { application_name: options.application } : {}) });
  client.on('error', () => undefined);
  let stopped = false;
  const held = (async () => {
    await client.connect();
    const [{ pid }] = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows;
    while (!stopped && (await client.query<{ found: string | null }>('SELECT to_regclass($1)::text AS found', [table])).rows[0].found === null) {
      await new Promise((resolve) => setTimeout(resolve, 3));
    }
    await client.query('BEGIN');
    await client.query(`LOCK TABLE ${table} IN ACCESS SHARE MODE`);
    return pid;
  })();
  held.catch(() => undefined);
  return {
    held,
    async release() {
      stopped = true;
      await held.catch(() => undefined);
      await client.query('ROLLBACK').catch(() => undefined);
      await client.end().catch(() => undefined);
    },
  };
}
