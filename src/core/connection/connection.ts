/**
 * Which database to talk to, and how to say so without ever showing the
 * password. Everything downstream (pg_dump, psql, the `pg` driver) gets its
 * settings from one resolved `ConnectionTarget`, so the dump and the catalog
 * queries can never end up on two different servers.
 */

import { commandLineOnly, hint, option, setOption, seeDetails, startServer, type Hint } from '../hint';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ConnectionOptions, PeerCertificate } from 'node:tls';
import { loadPg } from './pgDriver';
import type pg from 'pg';
import type { ClientConfig } from 'pg';
import { PulseError } from '../errors';
import { redactText } from './redact';

export { redactText, redactUrl } from './redact';

export type ConnectionSource = 'flag' | 'PULSE_BACKUP_DB_URL' | 'DATABASE_URL' | 'PG environment' | 'default';

/** The parts of a target a person may want to trace back to where they came from. */
export type ConnectionPart = 'host' | 'port' | 'user' | 'database' | 'password' | 'sslmode';

/**
 * Where each part of a target came from, in words: `the --db URL`,
 * `PGPASSWORD`, `libpq's default`, or (from a front door that adds its own)
 * `VS Code's secret storage`. A part without an entry is not set.
 */
export type ConnectionOrigins = Partial<Record<ConnectionPart, string>>;

export interface ExplainedTarget {
  target: ConnectionTarget;
  origins: ConnectionOrigins;
}

export interface ConnectionTarget {
  /** Host name, IP address (IPv6 without brackets) or a unix-socket folder. */
  host: string;
  port: number;
  database: string;
  user: string;
  password?: string;
  sslmode?: string;
  /** Other libpq parameters from the URL query (`sslrootcert`, `options`, ...). */
  options?: Record<string, string>;
  source: ConnectionSource;
  /**
   * Asks a person for the password when the server wants one and neither
   * the target nor the password file has it (the CLI on a terminal sets
   * it). The answer is kept in `password`, so pg_dump and psql get it too.
   */
  askPassword?: (target: ConnectionTarget) => Promise<string | undefined>;
}

/** Where a password goes instead of a command line, where every user of the machine can read it. */
export const PASSWORD_ADVICE = 'set PGPASSWORD, add it to ~/.pgpass, or put the whole URL in PULSE_BACKUP_DB_URL';

/** What `supabase start` listens on. */
export const SUPABASE_LOCAL_URL = 'postgresql://postgres:postgres@127.0.0.1:54322/postgres';

/** A dead or firewalled server should fail fast, not after the OS's minutes-long TCP timeout. */
export const CONNECT_TIMEOUT_SECONDS = 10;

export const APPLICATION_NAME = 'pulse-backup';

export const SSL_MODES = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'] as const;

const DEFAULT_PORT = 5432;
const DEFAULT_HOST = 'localhost';

const URL_HINT = 'use the form postgresql://user:password@host:5432/database ' + '(percent-encode special characters in the password, e.g. @ as %40, : as %3A, / as %2F)';

/** libpq parameters that have an environment variable, so pg_dump and psql can receive them without argv. */
const LIBPQ_OPTION_VARIABLES: Readonly<Record<string, string>> = {
  hostaddr: 'PGHOSTADDR',
  passfile: 'PGPASSFILE',
  require_auth: 'PGREQUIREAUTH',
  channel_binding: 'PGCHANNELBINDING',
  connect_timeout: 'PGCONNECT_TIMEOUT',
  client_encoding: 'PGCLIENTENCODING',
  options: 'PGOPTIONS',
  application_name: 'PGAPPNAME',
  sslnegotiation: 'PGSSLNEGOTIATION',
  sslcompression: 'PGSSLCOMPRESSION',
  sslcert: 'PGSSLCERT',
  sslkey: 'PGSSLKEY',
  sslcertmode: 'PGSSLCERTMODE',
  sslrootcert: 'PGSSLROOTCERT',
  sslcrl: 'PGSSLCRL',
  sslcrldir: 'PGSSLCRLDIR',
  sslsni: 'PGSSLSNI',
  requirepeer: 'PGREQUIREPEER',
  ssl_min_protocol_version: 'PGSSLMINPROTOCOLVERSION',
  ssl_max_protocol_version: 'PGSSLMAXPROTOCOLVERSION',
  gssencmode: 'PGGSSENCMODE',
  krbsrvname: 'PGKRBSRVNAME',
  gsslib: 'PGGSSLIB',
  gssdelegation: 'PGGSSDELEGATION',
  target_session_attrs: 'PGTARGETSESSIONATTRS',
  load_balance_hosts: 'PGLOADBALANCEHOSTS',
};

/**
 * Certificate files are the one kind of libpq environment fallback we copy
 * into the target, so that the `pg` driver (which only sees the target) and
 * pg_dump (which would read the variables itself) verify the server alike.
 */
const SSL_FILE_VARIABLES: Readonly<Record<string, string>> = {
  sslrootcert: 'PGSSLROOTCERT',
  sslcert: 'PGSSLCERT',
  sslkey: 'PGSSLKEY',
};

/**
 * PG* variables that say how to authenticate or encrypt, never which server,
 * database or user: a child may keep them. Every other PG* variable (PGHOST,
 * PGSERVICE, PGOPTIONS, PGCLUSTER, ...) could point the tools somewhere other
 * than the target, so it is dropped.
 */
const KEPT_PG_VARIABLES = new Set([
  'PGPASSFILE',
  'PGSYSCONFDIR',
  'PGLOCALEDIR',
  'PGSSLCRL',
  'PGSSLCRLDIR',
  'PGSSLCERTMODE',
  'PGSSLMINPROTOCOLVERSION',
  'PGSSLMAXPROTOCOLVERSION',
  'PGSSLNEGOTIATION',
  'PGSSLSNI',
  'PGSSLCOMPRESSION',
  'PGGSSENCMODE',
  'PGGSSDELEGATION',
  'PGKRBSRVNAME',
  'PGGSSLIB',
  'PGREQUIREAUTH',
  'PGCHANNELBINDING',
  'PGREQUIREPEER',
]);

// ---------------------------------------------------------------------------
// Resolution

export interface ResolveInput {
  url?: string;
  env: NodeJS.ProcessEnv;
  defaultUrl?: string;
  /** How `url` is named where it came from (default: the --db URL), e.g. a front door's setting. */
  urlLabel?: string;
}

export function resolveConnection(input: ResolveInput): ConnectionTarget {
  return explainConnection(input).target;
}

/**
 * resolveConnection, and where each part of the target came from: the URL
 * given, one of the environment's URLs, a PG* variable filling what the URL
 * left out, or libpq's default.
 */
export function explainConnection(input: ResolveInput): ExplainedTarget {
  const { env } = input;
  const flagUrl = nonBlank(input.url);
  if (flagUrl !== undefined) return parseExplained(flagUrl, 'flag', env, input.urlLabel);
  for (const name of ['PULSE_BACKUP_DB_URL', 'DATABASE_URL'] as const) {
    const url = nonBlank(env[name]);
    if (url !== undefined) return parseExplained(url, name, env);
  }
  // PGPASSWORD or PGSSLMODE alone do not name a server; they only complete one.
  if (['PGHOST', 'PGPORT', 'PGDATABASE', 'PGUSER'].some((name) => nonBlank(env[name]) !== undefined)) {
    return completeTarget({ options: {} }, env, 'PG environment', 'the PG* environment');
  }
  return parseExplained(nonBlank(input.defaultUrl) ?? SUPABASE_LOCAL_URL, 'default', env);
}

/** "host and port from the --db URL; password from PGPASSWORD": one line for a log. */
export function describeOrigins(origins: ConnectionOrigins): string {
  const parts: ConnectionPart[] = ['host', 'port', 'user', 'database', 'password', 'sslmode'];
  const byOrigin = new Map<string, ConnectionPart[]>();
  for (const part of parts) {
    const origin = origins[part];
    if (origin === undefined) continue;
    byOrigin.set(origin, [...(byOrigin.get(origin) ?? []), part]);
  }
  const names = (list: ConnectionPart[]) => (list.length === 1 ? list[0] : `${list.slice(0, -1).join(', ')} and ${list[list.length - 1]}`);
  const described = [...byOrigin].map(([origin, list]) => `${names(list)} from ${origin}`);
  if (origins.password === undefined) described.push('no password (libpq may use ~/.pgpass)');
  return described.join('; ');
}

/**
 * Parses a postgres:// or postgresql:// URL the way libpq reads it: parts the
 * URL leaves out come from PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE and
 * PGSSLMODE in `env`, then from libpq's defaults. Being lenient where libpq is
 * strict but the intent is unambiguous, an unencoded `@`, `:` or `/` in the
 * password is accepted (the last `@` before the query ends the credentials).
 */
export function parseConnectionUrl(url: string, context: { source?: ConnectionSource; env?: NodeJS.ProcessEnv } = {}): ConnectionTarget {
  return parseExplained(url, context.source ?? 'flag', context.env ?? {}).target;
}

function parseExplained(url: string, source: ConnectionSource, env: NodeJS.ProcessEnv, urlLabel?: string): ExplainedTarget {
  const label = urlLabel ?? sourceLabel(source);
  // Nothing from the URL itself goes into these messages: a malformed URL can
  // put a piece of the password anywhere.
  const invalid = (problem: string): PulseError => new PulseError('usage', `${label} is not a valid PostgreSQL URL: ${problem}`, { hint: URL_HINT });

  const text = url.trim();
  const scheme = /^postgres(?:ql)?:\/\//i.exec(text);
  if (!scheme) throw invalid('it must start with postgresql:// or postgres://');
  const rest = text.slice(scheme[0].length);

  const queryStart = rest.indexOf('?');
  const beforeQuery = queryStart === -1 ? rest : rest.slice(0, queryStart);
  const query = queryStart === -1 ? '' : rest.slice(queryStart + 1);
  const at = beforeQuery.lastIndexOf('@');
  const userInfo = at === -1 ? undefined : beforeQuery.slice(0, at);
  const hostAndPath = at === -1 ? beforeQuery : beforeQuery.slice(at + 1);
  const slash = hostAndPath.indexOf('/');
  const authority = slash === -1 ? hostAndPath : hostAndPath.slice(0, slash);
  const pathPart = slash === -1 ? '' : hostAndPath.slice(slash + 1);

  let user: string | undefined;
  let password: string | undefined;
  if (userInfo !== undefined) {
    const colon = userInfo.indexOf(':');
    user = decode(colon === -1 ? userInfo : userInfo.slice(0, colon), 'the user name', invalid);
    password = colon === -1 ? undefined : decode(userInfo.slice(colon + 1), 'the password', invalid);
  }

  let host: string | undefined;
  let port: number | undefined;
  if (authority !== '') {
    if (authority.includes(',')) throw invalid('several hosts are not supported; give one host');
    let hostText: string;
    let portText: string | undefined;
    if (authority.startsWith('[')) {
      const close = authority.indexOf(']');
      if (close === -1) throw invalid('an IPv6 address is missing its closing ]');
      hostText = authority.slice(1, close);
      const after = authority.slice(close + 1);
      if (after !== '' && !after.startsWith(':')) throw invalid('unexpected characters after the IPv6 address');
      portText = after === '' ? undefined : after.slice(1);
    } else {
      const colons = authority.split(':').length - 1;
      if (colons > 1) throw invalid('put an IPv6 address in brackets, e.g. postgresql://user@[::1]:5432/database');
      const colon = authority.indexOf(':');
      hostText = colon === -1 ? authority : authority.slice(0, colon);
      portText = colon === -1 ? undefined : authority.slice(colon + 1);
    }
    host = nonBlank(decode(hostText, 'the host', invalid));
    if (portText !== undefined && portText !== '') {
      port = parsePort(portText);
      if (port === undefined) throw invalid('the port must be a number from 1 to 65535');
    }
  }
  let database = pathPart === '' ? undefined : nonBlank(decode(pathPart, 'the database name', invalid));

  let sslmode: string | undefined;
  let sslFlag: string | undefined;
  const options: Record<string, string> = {};
  for (const pair of query.split('&')) {
    if (pair === '') continue;
    const equals = pair.indexOf('=');
    if (equals === -1) throw invalid('every query parameter needs a value (name=value)');
    const key = decode(pair.slice(0, equals), 'a query parameter name', invalid);
    const value = decode(pair.slice(equals + 1), 'a query parameter value', invalid);
    switch (key) {
      case 'host':
        if (value.includes(',')) throw invalid('several hosts are not supported; give one host');
        host = nonBlank(value) ?? host;
        break;
      case 'port':
        if (value === '') break;
        port = parsePort(value);
        if (port === undefined) throw invalid('the port must be a number from 1 to 65535');
        break;
      case 'dbname':
        database = nonBlank(value) ?? database;
        break;
      case 'user':
        user = nonBlank(value) ?? user;
        break;
      case 'password':
        password = value === '' ? password : value;
        break;
      case 'sslmode':
        sslmode = nonBlank(value);
        break;
      case 'ssl':
        // node-postgres and ORMs write ?ssl=true; libpq would reject it, but the meaning is clear.
        sslFlag = value;
        break;
      case 'service':
        // A service file would silently override what the URL says, for pg_dump only.
        throw invalid('service= is not supported; put the host, port, user and database in the URL');
      default:
        options[key] = value;
    }
  }
  if (sslmode === undefined && sslFlag !== undefined) {
    if (/^(true|1|require|on)$/i.test(sslFlag)) sslmode = 'require';
    else if (/^(false|0|off|disable)$/i.test(sslFlag)) sslmode = 'disable';
  }
  if (sslmode !== undefined) assertSslMode(sslmode, `${label} has an unknown sslmode`);

  return completeTarget({ host, port, database, user, password, sslmode, options }, env, source, label);
}

/** Fills what is missing from the PG* variables and then libpq's defaults. */
function completeTarget(
  given: {
    host?: string;
    port?: number;
    database?: string;
    user?: string;
    password?: string;
    sslmode?: string;
    options: Record<string, string>;
  },
  env: NodeJS.ProcessEnv,
  source: ConnectionSource,
  /** Where the given parts came from, in words. */
  givenLabel: string,
): ExplainedTarget {
  const envHost = nonBlank(env.PGHOST);
  if (given.host === undefined && envHost?.includes(',')) {
    throw new PulseError('usage', 'PGHOST names several hosts, which is not supported', {
      hint: hint`set PGHOST to one host, or ${setOption('connection')}`,
    });
  }
  let port = given.port;
  const envPort = nonBlank(env.PGPORT);
  if (port === undefined && envPort !== undefined) {
    port = parsePort(envPort);
    if (port === undefined) {
      throw new PulseError('usage', 'PGPORT is not a valid port', { hint: 'set PGPORT to a number from 1 to 65535, or unset it' });
    }
  }
  let sslmode = given.sslmode;
  const envSslMode = nonBlank(env.PGSSLMODE);
  if (sslmode === undefined && envSslMode !== undefined) {
    assertSslMode(envSslMode, 'PGSSLMODE is not a valid sslmode');
    sslmode = envSslMode;
  }
  const options = { ...given.options };
  for (const [option, variable] of Object.entries(SSL_FILE_VARIABLES)) {
    const value = nonBlank(env[variable]);
    if (options[option] === undefined && value !== undefined) options[option] = value;
  }
  // libpq checks the server against ~/.postgresql/root.crt when no CA is
  // named (and with require only when that file exists); naming it here
  // makes the pg driver check against the same file.
  if (options.sslrootcert === undefined && sslmode !== undefined && CERTIFICATE_CHECKING_MODES.has(sslmode)) {
    const fallback = libpqRootCertificate(env);
    if (fallback !== undefined && fs.existsSync(fallback)) options.sslrootcert = fallback;
  }

  const user = nonBlank(given.user) ?? nonBlank(env.PGUSER) ?? operatingSystemUser(env);
  const target: ConnectionTarget = {
    host: given.host ?? envHost ?? DEFAULT_HOST,
    port: port ?? DEFAULT_PORT,
    database: given.database ?? nonBlank(env.PGDATABASE) ?? user,
    user,
    source,
  };
  const libpqDefault = "libpq's default";
  const origins: ConnectionOrigins = {
    host: given.host !== undefined ? givenLabel : envHost !== undefined ? 'PGHOST' : libpqDefault,
    port: given.port !== undefined ? givenLabel : port !== undefined ? 'PGPORT' : libpqDefault,
    user: nonBlank(given.user) !== undefined ? givenLabel : nonBlank(env.PGUSER) !== undefined ? 'PGUSER' : 'the operating-system user',
    database: given.database !== undefined ? givenLabel : nonBlank(env.PGDATABASE) !== undefined ? 'PGDATABASE' : 'the user name',
  };
  // libpq treats an empty password as none and then looks in the passfile.
  const givenPassword = given.password !== undefined && given.password !== '';
  const password = givenPassword ? given.password : env.PGPASSWORD;
  if (password !== undefined && password !== '') {
    target.password = password;
    origins.password = givenPassword ? givenLabel : 'PGPASSWORD';
  }
  if (sslmode !== undefined) {
    target.sslmode = sslmode;
    origins.sslmode = given.sslmode !== undefined ? givenLabel : 'PGSSLMODE';
  }
  if (Object.keys(options).length > 0) target.options = options;
  return { target, origins };
}

/** Modes in which libpq checks the server's certificate when it has a CA file. */
const CERTIFICATE_CHECKING_MODES: ReadonlySet<string> = new Set(['require', 'verify-ca', 'verify-full']);

/** Where libpq looks for a CA file when none is named: ~/.postgresql/root.crt (%APPDATA%\postgresql\root.crt on Windows). */
function libpqRootCertificate(env: NodeJS.ProcessEnv): string | undefined {
  if (process.platform === 'win32') {
    const appData = nonBlank(env.APPDATA);
    return appData === undefined ? undefined : path.join(appData, 'postgresql', 'root.crt');
  }
  let home = nonBlank(env.HOME);
  if (home === undefined) {
    try {
      home = os.userInfo().homedir;
    } catch {
      return undefined;
    }
  }
  return path.join(home, '.postgresql', 'root.crt');
}

function operatingSystemUser(env: NodeJS.ProcessEnv): string {
  try {
    return os.userInfo().username;
  } catch {
    // No passwd entry (some containers): fall back to what the shell says.
    return nonBlank(env.USER) ?? nonBlank(env.USERNAME) ?? 'postgres';
  }
}

function sourceLabel(source: ConnectionSource): string {
  switch (source) {
    case 'flag':
      return 'the --db URL';
    case 'PULSE_BACKUP_DB_URL':
    case 'DATABASE_URL':
      return source;
    case 'PG environment':
      return 'the PG* environment';
    case 'default':
      return 'the default database URL';
  }
}

function assertSslMode(value: string, message: string): void {
  if (!(SSL_MODES as readonly string[]).includes(value)) {
    throw new PulseError('usage', message, { hint: `use one of ${SSL_MODES.join(', ')}` });
  }
}

function decode(text: string, what: string, invalid: (problem: string) => PulseError): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw invalid(`${what} has a broken percent-encoding (write % itself as %25)`);
  }
}

function parsePort(text: string): number | undefined {
  if (!/^\d{1,5}$/.test(text.trim())) return undefined;
  const port = Number(text.trim());
  return port >= 1 && port <= 65535 ? port : undefined;
}

function nonBlank(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}

// ---------------------------------------------------------------------------
// Showing a target

export function isSocketPath(host: string): boolean {
  // libpq: an absolute path is a socket folder, a leading @ a Linux abstract socket.
  return host.startsWith('/') || host.startsWith('@') || /^[A-Za-z]:[\\/]/.test(host);
}

/** `host:port`, with IPv6 in brackets, or the socket file libpq would open. */
export function describeServer(t: ConnectionTarget): string {
  if (isSocketPath(t.host)) return `${t.host.replace(/[\\/]+$/, '')}/.s.PGSQL.${t.port}`;
  const host = t.host.includes(':') ? `[${t.host}]` : t.host;
  return `${host}:${t.port}`;
}

/** `user@host:port/database`: safe for logs and titles, never the password. */
export function describeTarget(t: ConnectionTarget): string {
  const host = isSocketPath(t.host) ? t.host : t.host.includes(':') ? `[${t.host}]` : t.host;
  return `${t.user}@${host}:${t.port}/${t.database}`;
}

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
    if (name === 'DATABASE_URL' || name === 'PULSE_BACKUP_DB_URL') continue;
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

function connectTimeoutSeconds(t: ConnectionTarget): number {
  const configured = t.options?.connect_timeout;
  if (configured === undefined || !/^-?\d+$/.test(configured.trim())) return CONNECT_TIMEOUT_SECONDS;
  const seconds = Number(configured);
  // libpq: zero or less waits forever, and it never waits less than 2 seconds.
  if (seconds <= 0) return 0;
  return Math.max(seconds, 2);
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

function missingCertificateAuthority(mode: string): PulseError {
  return new PulseError('usage', `sslmode=${mode} checks the server's certificate, but no CA certificate was given`, {
    hint:
      'add sslrootcert=/path/to/ca.crt to the URL (or set PGSSLROOTCERT, or put the file in ~/.postgresql/root.crt), ' +
      'sslrootcert=system for a certificate from a public authority, or use sslmode=require to encrypt without checking',
  });
}

function readCertificate(file: string, option: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'it does not exist' : 'it cannot be read';
    throw missingCertificateFile(file, option, reason);
  }
}

function missingCertificateFile(file: string, option: string, reason: string): PulseError {
  return new PulseError('usage', `cannot use the ${option} file ${file}: ${reason}`, {
    hint: `fix the ${option} path in the URL (or PG${option.toUpperCase()}), or remove it`,
  });
}

// ---------------------------------------------------------------------------
// Safety and errors

const loopback = new net.BlockList();
loopback.addSubnet('127.0.0.0', 8, 'ipv4');
loopback.addAddress('::1', 'ipv6');

/**
 * True when the connection cannot leave this machine. Deliberately literal:
 * only loopback addresses, `localhost` and socket paths count, never a name
 * that merely resolves to this machine today.
 */
export function isLocalTarget(t: ConnectionTarget): boolean {
  const address = t.options?.hostaddr ?? t.host;
  if (isSocketPath(address)) return true;
  if (address.toLowerCase() === 'localhost') return true;
  const family = net.isIP(address);
  if (family === 4) return loopback.check(address, 'ipv4');
  if (family === 6) return loopback.check(address, 'ipv6');
  return false;
}

interface ErrorFacts {
  /** Node's errno code (ECONNREFUSED) from the error or any error it aggregates. */
  codes: string[];
  sqlState?: string;
  text: string;
}

function factsOf(error: unknown): ErrorFacts {
  const codes: string[] = [];
  const texts: string[] = [];
  let sqlState: string | undefined;
  const visit = (value: unknown, depth: number): void => {
    if (depth > 3 || value === undefined || value === null) return;
    if (typeof value === 'string') {
      texts.push(value);
      return;
    }
    if (typeof value !== 'object') return;
    const record = value as Record<string, unknown>;
    const code = record.code;
    if (typeof code === 'string') {
      // SQLSTATE classes start with a digit or F, H, P, X; errno codes with E.
      if (/^[0-9FHPX][0-9A-Z]{4}$/.test(code)) sqlState ??= code;
      else codes.push(code);
    }
    if (typeof record.stderr === 'string') texts.push(record.stderr);
    if (typeof record.message === 'string') texts.push(record.message);
    if (Array.isArray(record.errors)) for (const inner of record.errors) visit(inner, depth + 1);
    if (record.cause !== undefined) visit(record.cause, depth + 1);
  };
  visit(error, 0);
  return { codes, sqlState, text: texts.join('\n') };
}

/** The first line of `text` that matches, from the match on (drops "pg_dump: error: ... ERROR:  " noise). */
function serverLine(text: string, pattern: RegExp): string | undefined {
  for (const line of text.split('\n')) {
    const match = pattern.exec(line);
    if (match) return line.slice(match.index).trim();
  }
  return undefined;
}

/**
 * Turns whatever connecting (or running pg_dump/psql) failed with into one
 * PulseError a person can act on. The password never appears in it.
 */
export function describeConnectionError(error: unknown, t: ConnectionTarget): PulseError {
  if (error instanceof PulseError) return error;
  const facts = factsOf(error);
  const text = facts.text;
  const has = (...codes: string[]): boolean => codes.some((code) => facts.codes.includes(code));
  const server = describeServer(t);
  const details = redactText(text) || undefined;
  // Messages are built from the target's own fields (already shown openly by
  // describeTarget); only pieces lifted from the error text need scrubbing.
  const make = (code: ConstructorParameters<typeof PulseError>[0], message: string, hint: string | Hint): PulseError => new PulseError(code, message, { hint, details });
  const quoted = (value: string | undefined, known: string): string => (value === undefined || value === known ? known : redactText(value));
  const passwordPlace = passwordSetting(t);

  // Authentication and catalog errors come first: libpq wraps them in
  // "connection to server ... failed", which must not read as a network problem.
  if (/no password supplied|client password must be a string|password must be a string|password is not a string/i.test(text)) {
    return make(
      'authentication-failed',
      `PostgreSQL at ${server} asked for a password for user "${t.user}" and none was given`,
      hint`${commandLineOnly(hint`${PASSWORD_ADVICE} (not on the command line, where other users can read it), or run it on a terminal to be asked for it`, hint`${setOption('connection')} and enter the password`)}`,
    );
  }
  if (facts.sqlState === '28P01' || /password authentication failed/i.test(text)) {
    return make(
      'authentication-failed',
      `PostgreSQL at ${server} rejected the password for user "${t.user}"`,
      t.password === undefined
        ? hint`${commandLineOnly(hint`give the password: ${PASSWORD_ADVICE}`, hint`${setOption('connection')} and enter the password`)}`
        : hint`${commandLineOnly(hint`check the password in ${passwordPlace} (percent-encode special characters such as @ : / as %40 %3A %2F) or in PGPASSWORD`, hint`${setOption('connection')} and enter the password again`)}`,
    );
  }
  if (/(peer|ident) authentication failed/i.test(text)) {
    return make(
      'authentication-failed',
      `PostgreSQL at ${server} only lets the operating-system user "${t.user}" log in as "${t.user}"`,
      hint`${commandLineOnly(
        hint`connect over TCP with a password (e.g. ${option('connection', `postgresql://${t.user}@localhost:5432/${t.database}`)}; ${PASSWORD_ADVICE}), or run as that user`,
        hint`connect over TCP with a password (${option('connection')}: host 127.0.0.1), or run VS Code as that user`,
      )}`,
    );
  }
  if (/no pg_hba\.conf entry/i.test(text)) {
    const unencrypted = /no encryption/i.test(text);
    return make(
      'authentication-failed',
      `PostgreSQL at ${server} does not accept ${unencrypted ? 'unencrypted ' : ''}connections from this machine for user "${t.user}"`,
      unencrypted
        ? t.sslmode === undefined
          ? hint`add ?sslmode=require to the URL${commandLineOnly([], hint` (${option('connection')})`)}, or allow the connection in pg_hba.conf`
          : `use sslmode=require instead of sslmode=${t.sslmode} (in the URL or PGSSLMODE), or allow the connection in pg_hba.conf`
        : "allow the connection in the server's pg_hba.conf, or connect as another user",
    );
  }
  const role = /role "([^"]*)" does not exist/i.exec(text);
  if (role) {
    return make(
      'authentication-failed',
      `PostgreSQL at ${server} has no user (role) "${quoted(role[1], t.user)}"`,
      hint`check the user name ${commandLineOnly(['in the URL (or PGUSER)'], hint`(${option('connection')})`)}, or create the role`,
    );
  }
  if (facts.sqlState === '28000') {
    return make('authentication-failed', `PostgreSQL at ${server} refused to log in user "${t.user}"`, hint`check the user name and password in ${passwordPlace}`);
  }
  const missingDatabase = /database "([^"]*)" does not exist/i.exec(text);
  if (facts.sqlState === '3D000' || missingDatabase) {
    const name = quoted(missingDatabase?.[1], t.database);
    return make('database-not-found', `database "${name}" does not exist at ${server}`, hint`create it (CREATE DATABASE "${name}") or pick another with ${option('connection')}`);
  }
  if (facts.sqlState === '42501' || /permission denied/i.test(text) || has('EACCES')) {
    const line = redactText(serverLine(text, /permission denied.*/i) ?? 'permission denied');
    return make(
      'permission-denied',
      `PostgreSQL at ${server} refused user "${t.user}": ${line}`,
      'connect as a role that may read everything being backed up (e.g. the database owner or postgres), or grant the missing privilege',
    );
  }
  const tls = describeCertificateFailure(error, facts, t);
  if (tls) return make(tls.code, tls.message, tls.hint);
  if (/server does not support SSL|does not support SSL connections/i.test(text)) {
    return make(
      'connection-refused',
      `PostgreSQL at ${server} does not accept SSL connections, but sslmode=${t.sslmode ?? 'require'} asks for SSL`,
      'use ?sslmode=disable (or prefer) for this server',
    );
  }
  if (facts.sqlState === '57P03' || /the database system is (starting up|shutting down|in recovery mode|not yet accepting)/i.test(text)) {
    return make('connection-refused', `PostgreSQL at ${server} is not accepting connections yet (starting up, shutting down or recovering)`, 'wait a moment and try again');
  }
  if (facts.sqlState === '53300' || /too many clients|remaining connection slots/i.test(text)) {
    return make('connection-refused', `PostgreSQL at ${server} has no free connection slots`, 'close idle connections (or raise max_connections) and try again');
  }

  if (has('ECONNREFUSED') || /connection refused/i.test(text)) {
    return make('connection-refused', `cannot connect to PostgreSQL at ${server}: connection refused`, START_HINT);
  }
  if (isSocketPath(t.host) && (has('ENOENT') || /no such file or directory/i.test(text))) {
    return make('connection-refused', `cannot connect to PostgreSQL at ${server}: no server is listening on that socket`, START_HINT);
  }
  if (has('ETIMEDOUT') || /timeout expired|connection timeout|timed out/i.test(text)) {
    return make(
      'connection-timeout',
      `cannot connect to PostgreSQL at ${server}: no answer within ${connectTimeoutSeconds(t) || CONNECT_TIMEOUT_SECONDS} seconds`,
      hint`check the host and port, and that no firewall or VPN blocks the connection, or ${setOption('connection')}`,
    );
  }
  if (
    has('ENOTFOUND', 'EAI_AGAIN', 'EAI_NONAME', 'EAI_FAIL') ||
    /could not translate host name|name or service not known|nodename nor servname|name resolution|no such host is known|getaddrinfo/i.test(text)
  ) {
    const temporary = has('EAI_AGAIN') || /temporary failure/i.test(text);
    return make(
      'host-not-found',
      temporary ? `cannot look up the host "${t.host}": the name server did not answer` : `cannot connect to PostgreSQL: the host "${t.host}" was not found`,
      temporary ? 'check your network connection and DNS, then try again' : 'check the host in the URL (or PGHOST) and your network',
    );
  }
  if (has('EHOSTUNREACH', 'ENETUNREACH') || /no route to host|network is unreachable/i.test(text)) {
    return make(
      'connection-timeout',
      `cannot reach PostgreSQL at ${server}: the network has no route to it`,
      hint`check your network connection, VPN and firewall, or ${setOption('connection')}`,
    );
  }
  if (has('ECONNRESET', 'EPIPE') || /closed the connection unexpectedly|terminated unexpectedly|connection terminated/i.test(text)) {
    return make(
      'connection-refused',
      `cannot connect to PostgreSQL at ${server}: the server closed the connection`,
      'check that this host and port are a PostgreSQL server (not an API or pooler port) and whether it needs ?sslmode=require',
    );
  }
  const firstLine = (details ?? 'unknown error').split('\n').find((line) => line.trim() !== '') ?? 'unknown error';
  return new PulseError('internal', `cannot use PostgreSQL at ${server}: ${firstLine.trim()}`, {
    hint: hint`check the connection settings (${option('connection')}), or ${seeDetails()}`,
    details,
  });
}

const START_HINT = hint`${startServer()}, or ${setOption('connection')} if it runs elsewhere`;

/** Node's codes for a certificate chain that does not lead to a trusted authority. */
const UNTRUSTED_CERTIFICATE_CODES = [
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
  'INVALID_CA',
];

/**
 * A certificate check that failed, in the same words whether the pg driver
 * (Node's codes) or libpq (its messages) found it: the engine's session
 * connects first, but pg_dump and psql must not tell another story.
 */
function describeCertificateFailure(
  error: unknown,
  facts: ErrorFacts,
  t: ConnectionTarget,
): { code: 'connection-refused' | 'usage'; message: string; hint: string | Hint } | undefined {
  const server = describeServer(t);
  const has = (...codes: string[]): boolean => codes.some((code) => facts.codes.includes(code));
  const libpqMismatch = /server certificate for "([^"]*)"(?: \(and \d+ other names?\))? does not match host name/.exec(facts.text);
  if (has('ERR_TLS_CERT_ALTNAME_INVALID') || libpqMismatch) {
    const name = libpqMismatch?.[1] ?? firstCertificateName(error);
    const certificate = name === undefined ? 'is for another host name' : `is for ${name}, not ${t.host}`;
    return {
      code: 'connection-refused',
      message: `the TLS certificate of PostgreSQL at ${server} ${certificate}`,
      hint:
        name === undefined
          ? "connect with the host name the server's certificate names (in the URL or PGHOST), or check that this is the right server"
          : `connect to ${name}, the name in the certificate (in the URL or PGHOST), or check that this is the right server`,
    };
  }
  if (has(...UNTRUSTED_CERTIFICATE_CODES) || /certificate verify failed/i.test(facts.text)) {
    const system = t.options?.sslrootcert === 'system';
    return {
      code: 'connection-refused',
      message: `the TLS certificate of PostgreSQL at ${server} is not signed by ${system ? 'an authority this machine trusts' : 'the certificate authority in sslrootcert'}`,
      hint: 'set sslrootcert to the CA certificate of this server (hosted Supabase: Database settings, SSL configuration), or check that this is the right server',
    };
  }
  if (has('CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID')) {
    return {
      code: 'connection-refused',
      message: `the TLS certificate of PostgreSQL at ${server} ${has('CERT_HAS_EXPIRED') ? 'has expired' : 'is not valid yet'}`,
      hint: "renew the server's certificate, or check the clock of this machine",
    };
  }
  const missing = /root certificate file "([^"]*)" does not exist/.exec(facts.text);
  if (missing) {
    if (missing[1] === 'system') {
      return {
        code: 'usage',
        message: 'sslrootcert=system needs the PostgreSQL 16 client tools or newer, and these are older',
        hint: 'give the path of the CA certificate in sslrootcert instead, or install newer client tools',
      };
    }
    // The same words as the pg driver's own check (sslConfig), which usually speaks first.
    const named =
      missing[1] === t.options?.sslrootcert ? missingCertificateFile(missing[1], 'sslrootcert', 'it does not exist') : missingCertificateAuthority(t.sslmode ?? 'verify-full');
    return { code: 'usage', message: named.message, hint: named.hint ?? '' };
  }
  return undefined;
}

/** The first name a Node TLS error's certificate is for (its first DNS or IP subject alternative name, else its CN). */
function firstCertificateName(error: unknown): string | undefined {
  for (let value: unknown = error, depth = 0; value !== null && typeof value === 'object' && depth < 4; depth++) {
    const certificate = (value as { cert?: Partial<PeerCertificate> }).cert;
    if (certificate !== undefined) {
      const alternative = /(?:DNS|IP Address):([^,\s]+)/.exec(certificate.subjectaltname ?? '');
      const commonName = certificate.subject?.CN;
      return alternative?.[1] ?? (Array.isArray(commonName) ? commonName[0] : commonName);
    }
    value = (value as { cause?: unknown }).cause;
  }
  return undefined;
}

function passwordSetting(t: ConnectionTarget): Hint {
  switch (t.source) {
    case 'flag':
      return hint`the ${option('connection')} URL`;
    case 'PULSE_BACKUP_DB_URL':
    case 'DATABASE_URL':
      return [t.source];
    case 'PG environment':
      return ['PGPASSWORD'];
    case 'default':
      return hint`the URL passed with ${option('connection')}`;
  }
}

/** A URL for $DATABASE without a password: a socket folder as ?host=, an IPv6 address in brackets. */
export function passwordlessUrl(host: string, port: number, user: string, database: string): string {
  if (host.startsWith('/')) return `postgresql://${encodeURIComponent(user)}@/${encodeURIComponent(database)}?host=${encodeURIComponent(host)}`;
  return `postgresql://${encodeURIComponent(user)}@${host.includes(':') ? `[${host}]` : host}:${port}/${encodeURIComponent(database)}`;
}
