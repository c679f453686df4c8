/**
 * Is the database there, and does it let us in? One short session that
 * logs in and asks the server's version: what a front door runs right after
 * a person configured the connection, so a wrong password shows then, not
 * at the first backup.
 */
import { type ConnectionTarget } from './target';
import { describeConnectionError } from './failures';
import { connectClient } from './session';

export interface ServerProbe {
  /** `15.18`, as the server reports it. */
  serverVersion: string;
}

/** Logs in and reads the version; every failure is the engine's connection error, in one line. */
export async function probeServer(target: ConnectionTarget): Promise<ServerProbe> {
  let client: Awaited<ReturnType<typeof connectClient>> | undefined;
  try {
    client = await connectClient(target);
    const result = await client.query<{ version: string }>(`SELECT pg_catalog.current_setting('server_version') AS version`);
    return { serverVersion: result.rows[0].version.split(' ')[0] };
  } catch (error) {
    throw describeConnectionError(error, target);
  } finally {
    await client?.end().catch(() => undefined);
  }
}
