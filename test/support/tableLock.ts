/** Another session holding a table, as a migration left open in a transaction does: what makes a reader wait. */
import { Client } from 'pg';

export interface HeldTable {
  /** The holding session's backend pid. */
  pid: number;
  /** Ends the holding transaction (and the session). */
  release(): Promise<void>;
}

export async function holdTable(url: string, table: string, options: { mode?: string; application?: string } = {}): Promise<HeldTable> {
  const client = new Client({ connectionString: url, ...(options.application ? { application_name: options.application } : {}) });
  await client.connect();
  const [{ pid }] = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows;
  await client.query('BEGIN');
  await client.query(`LOCK TABLE ${table} IN ${options.mode ?? 'ACCESS EXCLUSIVE'} MODE`);
  return {
    pid,
    async release() {
      await client.query('ROLLBACK').catch(() => undefined);
      await client.end();
    },
  };
}
