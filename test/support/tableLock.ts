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
