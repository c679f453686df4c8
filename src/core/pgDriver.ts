/**
 * The pg driver, loaded on first use, a cost only the commands that connect
 * pay.
 *
 * On loading, pg asks whether it runs on Cloudflare Workers: with no
 * `navigator` global (Node 20 has none) it constructs a `Response`, and that
 * makes Node load its whole fetch implementation (undici) — some 10–20 ms of
 * every backup's start-up, for nothing. For the moment of loading, a
 * `navigator` that answers the question is put in place, and removed again.
 */
import type pg from 'pg';
import { describeConnectionError, pgClientConfig, type ConnectionTarget } from './connection';

let loading: Promise<typeof pg> | undefined;

export function loadPg(): Promise<typeof pg> {
  loading ??= importWithoutFetch();
  return loading;
}

async function importWithoutFetch(): Promise<typeof pg> {
  const lent = !('navigator' in globalThis);
  if (lent) Object.defineProperty(globalThis, 'navigator', { value: { userAgent: `Node.js/${process.version}` }, configurable: true, writable: true });
  try {
    return (await import('pg')).default;
  } finally {
    if (lent) Reflect.deleteProperty(globalThis, 'navigator');
  }
}

/**
 * A client connected to the target. Connecting fails as a one-line error
 * (connection.ts); a cancel does not wait for a server that is slow to
 * answer: pg's own end() waits for the connection to open, but a socket
 * destroyed with an error fails connect() at once. A connection that dies
 * later must not crash the process: whoever uses it reports the problem.
 */
export async function connectClient(target: ConnectionTarget, options: { signal?: AbortSignal; applicationName?: string } = {}): Promise<pg.Client> {
  const { Client } = await loadPg();
  const client = new Client({ ...pgClientConfig(target), ...(options.applicationName ? { application_name: options.applicationName } : {}) });
  client.on('error', () => undefined);
  const onAbort = () => client.connection.stream.destroy(new Error('cancelled'));
  options.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    await client.connect();
    return client;
  } catch (error) {
    await client.end().catch(() => undefined);
    throw describeConnectionError(error, target);
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
  }
}
