/**
 * Why a connection failed, in one line a person can act on: the driver's
 * and the server's errors classified (refused, unknown host, password,
 * TLS and certificates, missing role or database) with the hint for each.
 */
import { commandLineOnly, hint, option, setOption, seeDetails, startServer, type Hint } from '../hint';
import type { PeerCertificate } from 'node:tls';
import { PulseError } from '../errors';
import { redactText } from './redact';
import { CONNECT_TIMEOUT_SECONDS, PASSWORD_ADVICE, connectTimeoutSeconds, describeEndpoint, isSocketPath, type ConnectionTarget } from './target';

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

/** What PostgreSQL says when every connection slot is taken (SQLSTATE 53300), as a client prints it. */
export const OUT_OF_CONNECTION_SLOTS = /too many clients|remaining connection slots/i;

/**
 * Turns whatever connecting (or running pg_dump/psql) failed with into one
 * PulseError a person can act on. The password never appears in it.
 */
export function describeConnectionError(error: unknown, t: ConnectionTarget): PulseError {
  if (error instanceof PulseError) return error;
  const facts = factsOf(error);
  const text = facts.text;
  const has = (...codes: string[]): boolean => codes.some((code) => facts.codes.includes(code));
  const server = describeEndpoint(t);
  const details = redactText(text) || undefined;
  // Messages are built from the target's own fields (already shown openly by
  // describeTarget); only pieces lifted from the error text need scrubbing.
  const make = (code: ConstructorParameters<typeof PulseError>[0], message: string, hint: string | Hint): PulseError => new PulseError(code, message, { hint, details });
  const quoted = (value: string | undefined, known: string): string => (value === undefined || value === known ? known : redactText(value));
  const passwordPlace = passwordSetting(t);
  // The option to change: --db, or --scratch-db for a proof's scratch server.
  const by = t.setBy ?? 'connection';
  const passwordAdvice = by === 'connection' ? PASSWORD_ADVICE : 'set PGPASSWORD or add it to ~/.pgpass';

  // Authentication and catalog errors come first: libpq wraps them in
  // "connection to server ... failed", which must not read as a network problem.
  if (/no password supplied|client password must be a string|password must be a string|password is not a string/i.test(text)) {
    return make(
      'authentication-failed',
      `PostgreSQL at ${server} asked for a password for user "${t.user}" and none was given`,
      hint`${commandLineOnly(hint`${passwordAdvice} (not on the command line, where other users can read it), or run it on a terminal to be asked for it`, hint`${setOption(by)} and enter the password`)}`,
    );
  }
  if (facts.sqlState === '28P01' || /password authentication failed/i.test(text)) {
    return make(
      'authentication-failed',
      `PostgreSQL at ${server} rejected the password for user "${t.user}"`,
      t.password === undefined
        ? hint`${commandLineOnly(hint`give the password: ${passwordAdvice}`, hint`${setOption(by)} and enter the password`)}`
        : hint`${commandLineOnly(hint`check the password in ${passwordPlace} (percent-encode special characters such as @ : / as %40 %3A %2F) or in PGPASSWORD`, hint`${setOption(by)} and enter the password again`)}`,
    );
  }
  if (/(peer|ident) authentication failed/i.test(text)) {
    return make(
      'authentication-failed',
      `PostgreSQL at ${server} only lets the operating-system user "${t.user}" log in as "${t.user}"`,
      hint`${commandLineOnly(
        hint`connect over TCP with a password (e.g. ${option(by, `postgresql://${t.user}@localhost:5432/${t.database}`)}; ${passwordAdvice}), or run as that user`,
        hint`connect over TCP with a password (${option(by)}: host 127.0.0.1), or run VS Code as that user`,
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
          ? hint`add ?sslmode=require to the URL${commandLineOnly([], hint` (${option(by)})`)}, or allow the connection in pg_hba.conf`
          : `use sslmode=require instead of sslmode=${t.sslmode} (in the URL or PGSSLMODE), or allow the connection in pg_hba.conf`
        : "allow the connection in the server's pg_hba.conf, or connect as another user",
    );
  }
  const role = /role "([^"]*)" does not exist/i.exec(text);
  if (role) {
    return make(
      'authentication-failed',
      `PostgreSQL at ${server} has no user (role) "${quoted(role[1], t.user)}"`,
      hint`check the user name ${commandLineOnly(['in the URL (or PGUSER)'], hint`(${option(by)})`)}, or create the role`,
    );
  }
  if (facts.sqlState === '28000') {
    return make('authentication-failed', `PostgreSQL at ${server} refused to log in user "${t.user}"`, hint`check the user name and password in ${passwordPlace}`);
  }
  const missingDatabase = /database "([^"]*)" does not exist/i.exec(text);
  if (facts.sqlState === '3D000' || missingDatabase) {
    const name = quoted(missingDatabase?.[1], t.database);
    return make('database-not-found', `database "${name}" does not exist at ${server}`, hint`create it (CREATE DATABASE "${name}") or pick another with ${option(by)}`);
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
  if (facts.sqlState === '53300' || OUT_OF_CONNECTION_SLOTS.test(text)) {
    return make('connection-refused', `PostgreSQL at ${server} has no free connection slots`, 'close idle connections (or raise max_connections) and try again');
  }

  if (has('ECONNREFUSED') || /connection refused/i.test(text)) {
    return make('connection-refused', `cannot connect to PostgreSQL at ${server}: connection refused`, startHint(by));
  }
  if (isSocketPath(t.host) && (has('ENOENT') || /no such file or directory/i.test(text))) {
    return make('connection-refused', `cannot connect to PostgreSQL at ${server}: no server is listening on that socket`, startHint(by));
  }
  if (has('ETIMEDOUT') || /timeout expired|connection timeout|timed out/i.test(text)) {
    return make(
      'connection-timeout',
      `cannot connect to PostgreSQL at ${server}: no answer within ${connectTimeoutSeconds(t) || CONNECT_TIMEOUT_SECONDS} seconds`,
      hint`check the host and port, and that no firewall or VPN blocks the connection, or ${setOption(by)}`,
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
      hint`check your network connection, VPN and firewall, or ${setOption(by)}`,
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
    hint: hint`check the connection settings (${option(by)}), or ${seeDetails()}`,
    details,
  });
}

function startHint(by: 'connection' | 'scratchDatabase'): Hint {
  return hint`${startServer()}, or ${setOption(by)} if it runs elsewhere`;
}

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
  const server = describeEndpoint(t);
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
      return hint`the ${option(t.setBy ?? 'connection')} URL`;
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

export function missingCertificateAuthority(mode: string): PulseError {
  return new PulseError('usage', `sslmode=${mode} checks the server's certificate, but no CA certificate was given`, {
    hint:
      'add sslrootcert=/path/to/ca.crt to the URL (or set PGSSLROOTCERT, or put the file in ~/.postgresql/root.crt), ' +
      'sslrootcert=system for a certificate from a public authority, or use sslmode=require to encrypt without checking',
  });
}

export function missingCertificateFile(file: string, option: string, reason: string): PulseError {
  return new PulseError('usage', `cannot use the ${option} file ${file}: ${reason}`, {
    hint: `fix the ${option} path in the URL (or PG${option.toUpperCase()}), or remove it`,
  });
}
