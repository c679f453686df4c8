/**
 * A session with the target: the pg driver's configuration as libpq would
 * make it (TLS modes, certificates, the password from the URL, ~/.pgpass or
 * a person), the environment a child tool gets, and connecting with a cancel.
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import type { ConnectionOptions } from 'node:tls';
import { loadPg } from './pgDriver';
import type pg from 'pg';
import type { ClientConfig } from 'pg';
import {
  APPLICATION_NAME,
  CONNECT_TIMEOUT_SECONDS,
  KEPT_PG_VARIABLES,
  LIBPQ_OPTION_VARIABLES,
  connectTimeoutSeconds,
  isLocalTarget,
  isSocketPath,
  nonBlank,
  type ConnectionTarget,
} from './target';
import { describeConnectionError, missingCertificateAuthority, missingCertificateFile } from './failures';
import { ownSessionSql } from '../pg/sessionSettings';
import { keyBackendPid, servesAnotherClient, transactionPoolerError } from './pooler';

// ---------------------------------------------------------------------------
// Handing the target to pg_dump, psql and the pg driver

/**
 * The environment for pg_dump and psql. The target travels only here (never
 * in argv, where other users could read the password), and inherited
 * variables that could redirect the tools are removed.
 */
export function childProcessEnv(t: ConnectionTarget, baseEnv: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(baseEnv)) {
    const name = key.toUpperCase();
    if (name === 'DATABASE_URL' || name === 'PULSE_BACKUP_DB_URL' || name === 'PULSE_BACKUP_PASSPHRASE') continue;
    if (name.startsWith('PG') && !KEPT_PG_VARIABLES.has(name)) continue;
    env[key] = value;
  }
  // describeConnectionError reads libpq's messages, so they must be in English;
  // LC_MESSAGES alone changes nothing else (LC_ALL would override it, so it
  // is turned back into the LANG it stood for).
  const lcAll = nonBlank(env.LC_ALL);
  if (lcAll !== undefined) {
    for (const key of Object.keys(env)) if (key.startsWith('LC_')) delete env[key];
    env.LANG = lcAll;
  }
  delete env.LC_ALL;
  env.LC_MESSAGES = 'C';

  env.PGHOST = t.host;
  env.PGPORT = String(t.port);
  env.PGDATABASE = t.database;
  env.PGUSER = t.user;
  if (t.password !== undefined) env.PGPASSWORD = t.password;
  if (t.sslmode !== undefined) env.PGSSLMODE = t.sslmode;
  env.PGCONNECT_TIMEOUT = String(CONNECT_TIMEOUT_SECONDS);
  env.PGAPPNAME = APPLICATION_NAME;
  for (const [option, value] of Object.entries(t.options ?? {})) {
    const variable = LIBPQ_OPTION_VARIABLES[option];
    if (variable !== undefined) env[variable] = value;
  }
  return env;
}

/** A config for `new pg.Client(...)` that reaches the same server, as the same user, with the same TLS checks as libpq. */
export function pgClientConfig(t: ConnectionTarget): ClientConfig {
  const options = t.options ?? {};
  const config: ClientConfig = {
    host: options.hostaddr ?? t.host,
    port: t.port,
    database: t.database,
    user: t.user,
    ssl: sslConfig(t),
    connectionTimeoutMillis: connectTimeoutSeconds(t) * 1000,
    application_name: options.application_name ?? APPLICATION_NAME,
  };
  // Without one, libpq's password file (~/.pgpass, PGPASSFILE), then a person if one can be asked, only
  // when the server wants a password. Handing pg a function avoids its own (deprecated, warning on every
  // run) lookup; it takes an undefined answer as "no password", though its types only allow a string.
  config.password = t.password ?? ((() => passwordWhenAsked(t)) as () => Promise<string>);
  if (options.options !== undefined) config.options = options.options;
  if (options.client_encoding !== undefined) config.client_encoding = options.client_encoding;
  return config;
}

/**
 * A connected pg client for the target: the engine's own sessions connect
 * here, so every one of them takes the same TLS path as libpq. With
 * sslmode=prefer to a server elsewhere, a server without TLS is asked
 * again in plain text, as libpq does. `configure` adjusts the config (a
 * timeout), `applicationName` names the session in pg_stat_activity. A
 * cancel (`signal`) does not wait for a server that is slow to answer: pg's
 * own end() waits for the connection to open, but a socket destroyed with
 * an error fails connect() at once. A connection that dies later must not
 * crash the process: whoever uses it reports the problem. Rejects with the
 * driver's error, for describeConnectionError (openSession describes it).
 */
export async function connectClient(
  t: ConnectionTarget,
  options: { configure?: (config: ClientConfig) => ClientConfig; signal?: AbortSignal; applicationName?: string } = {},
): Promise<pg.Client> {
  const { Client } = await loadPg();
  const named = options.applicationName ? { ...pgClientConfig(t), application_name: options.applicationName } : pgClientConfig(t);
  const config = (options.configure ?? ((given) => given))(named);
  const signal = options.signal;
  const attempt = async (overrides: Partial<ClientConfig>): Promise<pg.Client> => {
    signal?.throwIfAborted();
    const client = new Client({ ...config, ...overrides });
    client.on('error', () => undefined);
    const onAbort = () => client.connection.stream.destroy(new Error('cancelled'));
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      await client.connect();
      // An empty search_path, and no timeout that ends a waiting session (sessionSettings.ts), before the session does anything;
      // through a pooler in transaction mode, nothing at all (pooler.ts).
      await setUpSession(client, () => new Client({ ...config, ...overrides }), t);
      return client;
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  };
  try {
    return await attempt({});
  } catch (error) {
    const preferred = (t.sslmode ?? 'prefer') === 'prefer' && config.ssl !== false;
    if (preferred && /does not support SSL/i.test(error instanceof Error ? error.message : String(error))) return attempt({ ssl: false });
    throw error;
  }
}

/**
 * Sets the session up (sessionSettings.ts), unless a connection pooler in
 * transaction mode serves it: that is refused before anything is set.
 * `another` makes a second client with the same settings.
 */
async function setUpSession(client: pg.Client, another: () => pg.Client, t: ConnectionTarget): Promise<void> {
  const key = keyBackendPid(client);
  if (key === null) {
    await client.query(ownSessionSql());
    return;
  }
  const results = (await client.query(ownSessionSql(key))) as unknown as pg.QueryResult<{ pid: number }>[];
  const backend = results[results.length - 1].rows[0].pid;
  if (backend === key) return;
  // A pooler: in transaction mode the idle first client's server connection serves the second one too.
  if (await servesAnotherClient(backend, another)) throw transactionPoolerError(t);
  await client.query(ownSessionSql());
}

/** connectClient, failing as the one-line connection error a person reads. */
export async function openSession(t: ConnectionTarget, options: { signal?: AbortSignal; applicationName?: string } = {}): Promise<pg.Client> {
  try {
    return await connectClient(t, options);
  } catch (error) {
    throw describeConnectionError(error, t);
  }
}

/**
 * Ends a session once, however often it is called: a session's end ends its
 * transaction (a snapshot's read-only one), and its owners may close it from
 * a finally and from a cancel.
 */
export function endOnce(client: pg.Client): () => Promise<void> {
  let ending: Promise<void> | undefined;
  return () => (ending ??= client.end().catch(() => undefined));
}

/**
 * Why the server ended a session, if it did (a standby's replay,
 * pg_terminate_backend, a restart): its own words, which come before the
 * driver's "Connection terminated unexpectedly". A tool that relied on the
 * session (a pg_dump importing its snapshot) says less than that.
 */
export function rememberEnd(client: pg.Client): () => string | undefined {
  let ended: string | undefined;
  client.on('error', (error: Error) => {
    ended ??= error.message;
  });
  return () => ended;
}

async function passwordWhenAsked(t: ConnectionTarget): Promise<string | undefined> {
  // A second connection to the same target (a restore's later steps) has it already.
  if (t.password !== undefined) return t.password;
  const stored = await passfilePassword(t);
  if (stored !== undefined || !t.askPassword) return stored;
  const typed = await t.askPassword(t);
  if (typed !== undefined && typed !== '') t.password = typed;
  return t.password;
}

async function passfilePassword(t: ConnectionTarget): Promise<string | undefined> {
  const { default: lookUp } = await import('pgpass');
  return new Promise((resolve) => lookUp({ host: t.options?.hostaddr ?? t.host, port: t.port, database: t.database, user: t.user }, resolve));
}

function sslConfig(t: ConnectionTarget): false | ConnectionOptions {
  // libpq never negotiates TLS over a unix socket; neither may we.
  if (isSocketPath(t.host)) return false;
  const options = t.options ?? {};
  let mode = t.sslmode ?? 'prefer';
  // 'prefer' (libpq's default) to a server elsewhere: TLS without checks
  // first, and plain text only when the server has no TLS (connectClient
  // tries again). Loopback traffic never leaves the machine: plain text, as
  // 'allow' and 'disable' are.
  if (mode === 'prefer' && !isLocalTarget(t)) return { rejectUnauthorized: false };
  if (mode === 'disable' || mode === 'allow' || mode === 'prefer') return false;
  const rootCertificate = options.sslrootcert;
  // libpq upgrades 'require' to chain verification when it has a root certificate.
  if (mode === 'require' && rootCertificate !== undefined && rootCertificate !== 'system') mode = 'verify-ca';
  // Node would fall back to its own list of public authorities; libpq refuses.
  if (mode !== 'require' && rootCertificate === undefined) throw missingCertificateAuthority(mode);

  const tls: ConnectionOptions = { rejectUnauthorized: mode !== 'require' };
  if (rootCertificate !== undefined && rootCertificate !== 'system') tls.ca = readCertificate(rootCertificate, 'sslrootcert');
  if (options.sslcert !== undefined) tls.cert = readCertificate(options.sslcert, 'sslcert');
  if (options.sslkey !== undefined) tls.key = readCertificate(options.sslkey, 'sslkey');
  if (options.sslpassword !== undefined) tls.passphrase = options.sslpassword;
  if (mode === 'verify-ca') tls.checkServerIdentity = () => undefined;
  if (options.hostaddr !== undefined && !net.isIP(t.host)) tls.servername = t.host;
  return tls;
}

function readCertificate(file: string, option: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'it does not exist' : 'it cannot be read';
    throw missingCertificateFile(file, option, reason);
  }
}
