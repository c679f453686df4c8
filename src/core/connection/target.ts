/**
 * Which database to talk to, and how to say so without ever showing the
 * password. Everything downstream (pg_dump, psql, the `pg` driver) gets its
 * settings from one resolved `ConnectionTarget`, so the dump and the catalog
 * queries can never end up on two different servers.
 */

import { hint, setOption } from '../hint';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { PulseError } from '../errors';

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
   * The option whose URL this target is, so advice after a failure names it:
   * `scratchDatabase` for a proof's scratch server; by default `connection`.
   */
  setBy?: 'connection' | 'scratchDatabase';
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
export const LIBPQ_OPTION_VARIABLES: Readonly<Record<string, string>> = {
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
export const KEPT_PG_VARIABLES = new Set([
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

export function nonBlank(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}

// ---------------------------------------------------------------------------
// Showing a target

export function isSocketPath(host: string): boolean {
  // libpq: an absolute path is a socket folder, a leading @ a Linux abstract socket.
  return host.startsWith('/') || host.startsWith('@') || /^[A-Za-z]:[\\/]/.test(host);
}

/** `host:port`, with IPv6 in brackets (a socket folder as it is: `/tmp:5432`), as describeTarget shows the server. */
export function describeServer(t: Pick<ConnectionTarget, 'host' | 'port'>): string {
  const host = isSocketPath(t.host) ? t.host : t.host.includes(':') ? `[${t.host}]` : t.host;
  return `${host}:${t.port}`;
}

/** `host:port`, or for a socket the file libpq would open: what a failure to connect names, as libpq does. */
export function describeEndpoint(t: Pick<ConnectionTarget, 'host' | 'port'>): string {
  if (isSocketPath(t.host)) return `${t.host.replace(/[\\/]+$/, '')}/.s.PGSQL.${t.port}`;
  return describeServer(t);
}

/** `user@host:port/database`: safe for logs and titles, never the password. */
export function describeTarget(t: ConnectionTarget): string {
  return `${t.user}@${describeServer(t)}/${t.database}`;
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

export function passwordlessUrl(host: string, port: number, user: string, database: string): string {
  if (host.startsWith('/')) return `postgresql://${encodeURIComponent(user)}@/${encodeURIComponent(database)}?host=${encodeURIComponent(host)}`;
  return `postgresql://${encodeURIComponent(user)}@${host.includes(':') ? `[${host}]` : host}:${port}/${encodeURIComponent(database)}`;
}

/**
 * The target as a URL without its password: the parts passwordlessUrl
 * names, then sslmode and the other libpq parameters as its query, so that
 * a command line given it (a schedule's) reaches the same server the same way.
 */
export function urlWithoutPassword(t: ConnectionTarget): string {
  const base = passwordlessUrl(t.host, t.port, t.user, t.database);
  const query = Object.entries({ ...(t.sslmode === undefined ? {} : { sslmode: t.sslmode }), ...(t.options ?? {}) })
    .filter(([name]) => name !== 'password' && name !== 'sslpassword')
    .map(([name, value]) => `${encodeURIComponent(name)}=${encodeURIComponent(value)}`);
  // A socket's URL has its host in the query already, and no place for the port but there.
  if (isSocketPath(t.host)) return [base, `port=${t.port}`, ...query].join('&');
  return query.length === 0 ? base : `${base}?${query.join('&')}`;
}

export function connectTimeoutSeconds(t: ConnectionTarget): number {
  const configured = t.options?.connect_timeout;
  if (configured === undefined || !/^-?\d+$/.test(configured.trim())) return CONNECT_TIMEOUT_SECONDS;
  const seconds = Number(configured);
  // libpq: zero or less waits forever, and it never waits less than 2 seconds.
  if (seconds <= 0) return 0;
  return Math.max(seconds, 2);
}
