/**
 * `npm run test:regression`, first half: a PostgreSQL 15 cluster holding the
 * `regression` database that PostgreSQL's core regression suite leaves behind,
 * built from Debian's postgresql-15 source package.
 *
 * Cold: adds a deb-src entry for Debian's mirror (a file of its own under
 * /etc/apt/sources.list.d/), installs the few build packages, fetches the
 * source with `apt-get source`, configures it minimally, builds and installs
 * it into the cache, starts a server from the built binaries (as the system
 * user pulse_pg when we are root, since PostgreSQL refuses to run as root),
 * runs `make installcheck-parallel` against it and stops it again. Warm: the
 * cache (.cache/regression/<Debian version>/, git-ignored) already holds all
 * of that, and this script ends within a second, touching neither apt nor
 * the network.
 *
 * The version is PULSE_REGRESSION_PG_VERSION when set, else the source of
 * the installed postgresql-client-15 (the pg_dump the tests use), else the
 * newest version Debian's mirror serves. Everything apt does needs root; without
 * root the script says which command to run.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { formatDuration } from '../src/core/format';
import { serverProcessOwner, type OsUser } from '../test/support/pgServer';
import {
  REGRESSION_CACHE,
  buildRecordFile,
  newestRegressionBuild,
  readRegressionBuild,
  versionDirectory,
  wantedRegressionVersion,
  type RegressionBuild,
} from '../test/support/regressionCluster';

const sourcePackage = 'postgresql-15';
/** gcc, make and libc headers; dpkg-source unpacks the source package and applies Debian's patches. */
const buildPackages = ['build-essential', 'dpkg-dev'];
const debSrcFile = '/etc/apt/sources.list.d/pulse-backup-deb-src.sources';
const downloads = path.join(REGRESSION_CACHE, 'downloads');
const lockFile = path.join(REGRESSION_CACHE, '.build.lock');
const isRoot = process.getuid?.() === 0;

class BuildError extends Error {}

async function main(): Promise<number> {
  const pinned = wantedRegressionVersion();
  const cached = pinned ? readRegressionBuild(pinned) : newestRegressionBuild();
  if (cached) {
    say(
      `reusing PostgreSQL ${cached.serverVersion} (Debian ${cached.debianVersion}) with the regression database in ${path.relative(process.cwd(), versionDirectory(cached.debianVersion))}`,
    );
    return 0;
  }
  fs.mkdirSync(REGRESSION_CACHE, { recursive: true });
  const releaseLock = takeLock();
  try {
    const started = performance.now();
    const durations: Record<string, number> = {};
    const timed = async <T>(name: string, work: () => T | Promise<T>): Promise<T> => {
      const stepStarted = performance.now();
      say(`${name}…`);
      const result = await work();
      durations[name] = Math.round(performance.now() - stepStarted);
      say(`${name}: ${formatDuration(durations[name])}`);
      return result;
    };
    await timed('apt: deb-src entry and build packages', () => {
      ensureSourceIndex();
      ensurePackages(buildPackages);
    });
    const version = await timed(`apt-get source ${sourcePackage}`, () => downloadSource(pinned));
    const build = await buildCluster(version, timed);
    build.stepDurationsMs = durations;
    writeBuildRecord(build);
    say(`PostgreSQL ${build.serverVersion} with the regression database is ready (${formatDuration(performance.now() - started)}): ${build.regressionSuite.summary}`);
    return 0;
  } finally {
    releaseLock();
  }
}

function say(line: string): void {
  console.log(`regression-db: ${line}`);
}

// ---------------------------------------------------------------------------
// Which version

/** Source versions the mirror lists, newest first. */
function listedSourceVersions(): string[] {
  const output = capture('apt-cache', ['showsrc', '--only-source', sourcePackage]);
  const versions = [...new Set([...output.matchAll(/^Version: (\S+)$/gm)].map((match) => match[1]))];
  return versions.sort((first, second) => (isNewer(first, second) ? -1 : isNewer(second, first) ? 1 : 0));
}

function isNewer(first: string, second: string): boolean {
  try {
    execFileSync('dpkg', ['--compare-versions', first, 'gt', second], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------
// apt

/** Debian's archives in apt's configuration: deb822 stanzas and one-line entries. */
export function debSrcEntriesFor(files: { name: string; text: string }[]): string[] {
  const debian = /(^|\/)debian(-security)?(\/\d{8}T\d{6}Z)?\/?$/;
  const stanzas: string[] = [];
  for (const file of files) {
    if (file.name.endsWith('.sources')) {
      for (const block of file.text.split(/\n\s*\n/)) {
        const fields = new Map<string, string>();
        for (const line of block.split('\n')) {
          const match = /^([A-Za-z-]+):\s*(.*)$/.exec(line);
          if (match) fields.set(match[1].toLowerCase(), match[2].trim());
        }
        const uris = (fields.get('uris') ?? '').split(/\s+/).filter((uri) => debian.test(uri));
        if (!/\bdeb\b/.test(fields.get('types') ?? '') || fields.get('enabled') === 'no' || uris.length === 0) continue;
        const signedBy = fields.get('signed-by');
        stanzas.push(
          [
            'Types: deb-src',
            `URIs: ${uris.join(' ')}`,
            `Suites: ${fields.get('suites') ?? ''}`,
            `Components: ${fields.get('components') ?? 'main'}`,
            ...(signedBy ? [`Signed-By: ${signedBy}`] : []),
          ].join('\n'),
        );
      }
    } else {
      for (const line of file.text.split('\n')) {
        const match = /^deb\s+(\[[^\]]*\]\s+)?(\S+)\s+(\S+)\s+(.+)$/.exec(line.trim());
        if (!match || !debian.test(match[2])) continue;
        const signedBy = /signed-by=(\S+?)\s*[\]\s]/.exec(match[1] ?? '')?.[1];
        stanzas.push(['Types: deb-src', `URIs: ${match[2]}`, `Suites: ${match[3]}`, `Components: ${match[4].trim()}`, ...(signedBy ? [`Signed-By: ${signedBy}`] : [])].join('\n'));
      }
    }
  }
  return stanzas;
}

function ensureSourceIndex(): void {
  if (!commandExists('apt-get')) {
    throw new BuildError(`the regression database is built from Debian's ${sourcePackage} source package, and this machine has no apt-get: run it on Debian or Ubuntu`);
  }
  if (sourceIndexKnows()) return;
  if (!isRoot) {
    throw new BuildError(
      `apt knows no source package ${sourcePackage} (its sources have no deb-src entry): run npm run test:regression as root once, ` +
        `or add a deb-src entry for Debian's mirror and run apt-get update`,
    );
  }
  const aptDirectory = '/etc/apt/sources.list.d';
  const files = [
    ...(fs.existsSync('/etc/apt/sources.list') ? [{ name: 'sources.list', text: fs.readFileSync('/etc/apt/sources.list', 'utf8') }] : []),
    ...fs
      .readdirSync(aptDirectory)
      .filter((name) => name.endsWith('.list') || name.endsWith('.sources'))
      .filter((name) => path.join(aptDirectory, name) !== debSrcFile)
      .map((name) => ({ name, text: fs.readFileSync(path.join(aptDirectory, name), 'utf8') })),
  ];
  const stanzas = debSrcEntriesFor(files);
  if (stanzas.length === 0) throw new BuildError(`apt's sources name no Debian mirror to add a deb-src entry for: add one for ${sourcePackage} by hand`);
  fs.writeFileSync(
    debSrcFile,
    `# Added by pulse-backup's scripts/regression-db.ts: the source of ${sourcePackage} for PostgreSQL's regression database.\n${stanzas.join('\n\n')}\n`,
  );
  say(`added ${debSrcFile}`);
  // Only the new file: the machine's other lists stay as apt last saw them.
  run('apt-get', ['update', '-qq', '-o', `Dir::Etc::sourcelist=${debSrcFile}`, '-o', 'Dir::Etc::sourceparts=-', '-o', 'APT::Get::List-Cleanup=0']);
  if (!sourceIndexKnows()) throw new BuildError(`apt-get update ran, but apt still knows no source package ${sourcePackage}`);
}

function commandExists(command: string): boolean {
  return (process.env.PATH ?? '').split(path.delimiter).some((folder) => folder !== '' && fs.existsSync(path.join(folder, command)));
}

function sourceIndexKnows(): boolean {
  try {
    return /^Version: /m.test(capture('apt-cache', ['showsrc', '--only-source', sourcePackage]));
  } catch {
    return false;
  }
}

function ensurePackages(packages: string[]): void {
  const missing = packages.filter((name) => {
    try {
      return capture('dpkg-query', ['-W', '-f=${Status}', name]) !== 'install ok installed';
    } catch {
      return true;
    }
  });
  if (missing.length === 0) return;
  if (!isRoot) throw new BuildError(`building PostgreSQL needs ${missing.join(', ')}: sudo apt-get install ${missing.join(' ')}`);
  say(`installing ${missing.join(', ')}`);
  run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], { env: { DEBIAN_FRONTEND: 'noninteractive' } });
}

/** Downloads the source package into the cache and returns its version. */
function downloadSource(pinned: string | undefined): string {
  fs.mkdirSync(downloads, { recursive: true });
  const candidates = pinned ? [pinned] : listedSourceVersions();
  const failures: string[] = [];
  for (const version of candidates) {
    try {
      // Root's apt would hand the download to its sandbox user, who cannot write into the cache.
      const sandbox = isRoot ? ['-o', 'APT::Sandbox::User=root'] : [];
      run('apt-get', ['source', '--download-only', '-qq', ...sandbox, `${sourcePackage}=${version}`], { cwd: downloads });
      return version;
    } catch (error) {
      // A mirror can list a version it does not serve (e.g. a security update only partly mirrored).
      failures.push(`${version}: ${lastLine(error)}`);
    }
  }
  throw new BuildError(`could not download the source of ${sourcePackage} (${failures.join('; ') || 'no version listed'})`);
}

// ---------------------------------------------------------------------------
// Build, install, run the regression suite

type Timed = <T>(name: string, work: () => T | Promise<T>) => Promise<T>;

async function buildCluster(debianVersion: string, timed: Timed): Promise<RegressionBuild> {
  const directory = versionDirectory(debianVersion);
  // What is there without a build record is a build that did not finish.
  fs.rmSync(directory, { recursive: true, force: true });
  fs.mkdirSync(directory, { recursive: true });
  const owner = serverProcessOwner();
  if (owner) {
    assertTraversable(directory, owner);
    fs.chownSync(directory, owner.uid, owner.gid);
  }
  const logFile = path.join(directory, 'build.log');
  const upstreamVersion = debianVersion.replace(/^\d+:/, '').replace(/-[^-]*$/, '');
  const sourceDirectory = path.join(directory, `${sourcePackage}-${upstreamVersion}`);
  // Debian's per-version-dirs patch moves pkglibdir to /usr/lib/postgresql unless the prefix names pgsql or postgres.
  const prefix = path.join(directory, 'pgsql');
  const dataDirectory = path.join(directory, 'data');
  const passwordFile = path.join(directory, 'superuser-password');
  const asOwner = { build: { owner, logFile } };
  const jobs = String(Math.max(1, os.availableParallelism()));

  await timed('unpack and patch (dpkg-source -x)', () => {
    const dsc = path.join(downloads, `${sourcePackage}_${debianVersion.replace(/^\d+:/, '')}.dsc`);
    run('dpkg-source', ['--no-copy', '-x', dsc, sourceDirectory], { ...asOwner, cwd: directory });
  });
  await timed('configure', () => run('./configure', [`--prefix=${prefix}`, '--without-readline', '--without-zlib', '--without-icu'], { ...asOwner, cwd: sourceDirectory }));
  await timed(`make -j${jobs}`, () => run('make', [`-j${jobs}`], { ...asOwner, cwd: sourceDirectory }));
  await timed('make install', () => run('make', ['install'], { ...asOwner, cwd: sourceDirectory }));

  const binDirectory = path.join(prefix, 'bin');
  const password = randomBytes(18).toString('base64url');
  fs.writeFileSync(passwordFile, `${password}\n`, { mode: 0o600 });
  await timed('initdb', () => {
    // initdb (running as the owner) reads the password from a file of its own, removed right after.
    const initdbPasswordFile = path.join(directory, 'initdb-password');
    fs.writeFileSync(initdbPasswordFile, `${password}\n`, { mode: 0o600 });
    if (owner) fs.chownSync(initdbPasswordFile, owner.uid, owner.gid);
    try {
      run(
        path.join(binDirectory, 'initdb'),
        ['-D', dataDirectory, '-U', 'postgres', `--pwfile=${initdbPasswordFile}`, '--auth-local=trust', '--auth-host=scram-sha-256', '--encoding=UTF8', '--locale=C', '--no-sync'],
        { ...asOwner, cwd: directory },
      );
    } finally {
      fs.rmSync(initdbPasswordFile, { force: true });
    }
  });

  const socketDirectory = fs.mkdtempSync(path.join(fs.realpathSync(os.tmpdir()), 'pulse-regression-'));
  if (owner) fs.chownSync(socketDirectory, owner.uid, owner.gid);
  const server = startBuildServer(binDirectory, dataDirectory, socketDirectory, path.join(directory, 'server.log'), owner);
  let suite: RegressionBuild['regressionSuite'];
  let serverVersion: string;
  try {
    await waitForServer(binDirectory, socketDirectory, server);
    const clientEnv = { PGHOST: socketDirectory, PGPORT: '5432', PGUSER: 'postgres' };
    suite = await timed('make installcheck-parallel (the core regression suite)', () => runRegressionSuite(sourceDirectory, clientEnv, owner, directory));
    const psql = path.join(binDirectory, 'psql');
    const databases = capture(psql, ['-X', '-At', '-d', 'postgres', '-c', "SELECT datname FROM pg_database WHERE datname = 'regression'"], { env: clientEnv });
    if (databases.trim() !== 'regression') throw new BuildError(`the regression suite left no regression database: see ${logFile}`);
    serverVersion = capture(psql, ['-X', '-At', '-d', 'regression', '-c', 'SHOW server_version'], { env: clientEnv }).trim();
  } finally {
    await stopBuildServer(server);
    fs.rmSync(socketDirectory, { recursive: true, force: true });
  }
  return {
    debianVersion,
    serverVersion,
    sourceDirectory,
    binDirectory,
    dataDirectory,
    passwordFile,
    regressionSuite: suite,
    builtAt: new Date().toISOString(),
    stepDurationsMs: {},
  };
}

/**
 * Runs the core suite. Failed tests are recorded, not fatal: a test whose
 * output differs (a platform quirk) still leaves its objects in the database.
 */
function runRegressionSuite(sourceDirectory: string, clientEnv: Record<string, string>, owner: OsUser | undefined, directory: string): RegressionBuild['regressionSuite'] {
  const logFile = path.join(directory, 'installcheck.log');
  const exitCode = runAllowingFailure('make', ['-C', path.join(sourceDirectory, 'src', 'test', 'regress'), 'installcheck-parallel'], {
    cwd: sourceDirectory,
    env: clientEnv,
    build: { owner, logFile },
  });
  const output = fs.readFileSync(logFile, 'utf8');
  const summary = /^\s*(All \d+ tests passed\.|\d+ of \d+ tests failed\.[^\n]*)/m.exec(output)?.[1];
  if (!summary) throw new BuildError(`the regression suite did not finish (exit code ${String(exitCode)}): see ${logFile}`);
  const failedTests = [...output.matchAll(/^\s*(?:test\s+)?(\S+)\s+\.\.\.\s+FAILED/gm)].map((match) => match[1]);
  return { summary, failedTests };
}

function writeBuildRecord(build: RegressionBuild): void {
  const file = buildRecordFile(build.debianVersion);
  const temporary = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temporary, `${JSON.stringify(build, null, 2)}\n`);
  fs.renameSync(temporary, file);
}

// ---------------------------------------------------------------------------
// The server the regression suite runs against

function startBuildServer(binDirectory: string, dataDirectory: string, socketDirectory: string, logFile: string, owner: OsUser | undefined): ChildProcess {
  const log = fs.openSync(logFile, 'a');
  try {
    // Unix socket only: no TCP port to collide with anyone's. fsync is
    // pointless here: the cluster is stopped cleanly before it is kept.
    const server = spawn(path.join(binDirectory, 'postgres'), ['-D', dataDirectory, '-k', socketDirectory, '-p', '5432', '-c', 'listen_addresses=', '-c', 'fsync=off'], {
      env: toolEnvironment(),
      stdio: ['ignore', log, log],
      ...(owner ? { uid: owner.uid, gid: owner.gid } : {}),
    });
    if (runningServers.size === 0) process.once('exit', killServersAtExit);
    runningServers.add(server);
    server.once('exit', () => runningServers.delete(server));
    return server;
  } finally {
    fs.closeSync(log);
  }
}

/** Servers this process started, killed if it ends before stopping them. */
const runningServers = new Set<ChildProcess>();

function killServersAtExit(): void {
  for (const server of runningServers) server.kill('SIGQUIT');
}

async function waitForServer(binDirectory: string, socketDirectory: string, server: ChildProcess): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (server.exitCode !== null) throw new BuildError(`the built server exited at start (code ${server.exitCode}): see its server.log`);
    try {
      execFileSync(path.join(binDirectory, 'pg_isready'), ['-q', '-h', socketDirectory, '-p', '5432'], { stdio: 'ignore' });
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  throw new BuildError('the built server did not accept connections within 60 s: see its server.log');
}

async function stopBuildServer(server: ChildProcess): Promise<void> {
  if (server.exitCode !== null || server.signalCode !== null) return;
  const exited = new Promise((resolve) => server.once('exit', resolve));
  // Fast shutdown: a clean checkpoint, so the kept cluster starts without recovery.
  server.kill('SIGINT');
  await exited;
}

// ---------------------------------------------------------------------------
// Processes, files, the lock

function toolEnvironment(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  // A fixed locale and time zone keep the suite's output comparable with its expected files.
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C', LANG: 'C', TZ: 'UTC', ...extra };
}

interface RunOptions {
  cwd?: string;
  /** Variables added to the environment. */
  env?: Record<string, string>;
  /**
   * A build step: runs as this user (undefined: as ourselves) in a clean
   * environment, with its output appended to logFile.
   */
  build?: { owner: OsUser | undefined; logFile: string };
}

function run(command: string, args: string[], options: RunOptions = {}): void {
  const exitCode = runAllowingFailure(command, args, options);
  if (exitCode !== 0) {
    const logFile = options.build?.logFile;
    const where = logFile ? `; the end of ${logFile}:\n${tail(fs.readFileSync(logFile, 'utf8'), 25)}` : '';
    throw new BuildError(`${path.basename(command)} ${args.slice(0, 3).join(' ')} failed with exit code ${String(exitCode)}${where}`);
  }
}

/** The exit code of a build step; any other command that fails throws with its last line of stderr. */
function runAllowingFailure(command: string, args: string[], options: RunOptions = {}): number | null {
  const { build } = options;
  if (!build) {
    try {
      execFileSync(command, args, { cwd: options.cwd, env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024 });
      return 0;
    } catch (error) {
      throw new BuildError(`${path.basename(command)} ${args.join(' ')} failed: ${lastLine(error)}`);
    }
  }
  const log = fs.openSync(build.logFile, 'a');
  try {
    fs.writeSync(log, `\n$ ${command} ${args.join(' ')}\n`);
    execFileSync(command, args, {
      cwd: options.cwd,
      env: toolEnvironment({ HOME: options.cwd ?? '/', ...options.env }),
      stdio: ['ignore', log, log],
      ...(build.owner ? { uid: build.owner.uid, gid: build.owner.gid } : {}),
    });
    return 0;
  } catch (error) {
    const status = (error as { status?: unknown }).status;
    return typeof status === 'number' ? status : null;
  } finally {
    fs.closeSync(log);
  }
}

function capture(command: string, args: string[], options: { env?: Record<string, string> } = {}): string {
  return execFileSync(command, args, {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    maxBuffer: 64 * 1024 * 1024,
    env: options.env ? { ...process.env, ...options.env } : process.env,
  });
}

function lastLine(error: unknown): string {
  const stderr = (error as { stderr?: Buffer | string }).stderr;
  const text = stderr ? String(stderr).trim() : error instanceof Error ? error.message : String(error);
  return text.split('\n').filter(Boolean).at(-1) ?? text;
}

function tail(text: string, lines: number): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

/** The server user must pass through every folder above the cache. */
function assertTraversable(directory: string, owner: OsUser): void {
  for (let current = path.dirname(directory); current !== path.dirname(current); current = path.dirname(current)) {
    const stat = fs.statSync(current);
    if (stat.uid !== owner.uid && (stat.mode & 0o001) === 0) {
      throw new BuildError(`the PostgreSQL server runs as pulse_pg and cannot enter ${current}: chmod o+x ${current}`);
    }
  }
}

/** One build at a time per cache; a lock left by a process that died is taken over. */
function takeLock(): () => void {
  for (;;) {
    try {
      fs.writeFileSync(lockFile, String(process.pid), { flag: 'wx' });
      const release = (): void => fs.rmSync(lockFile, { force: true });
      process.on('exit', release);
      return release;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = Number(fs.readFileSync(lockFile, 'utf8'));
      if (Number.isInteger(holder) && holder > 0 && isAlive(holder)) {
        throw new BuildError(`another build of the regression database is running (pid ${holder}): wait for it, then run again`);
      }
      fs.rmSync(lockFile, { force: true });
    }
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

if (require.main === module) {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => process.exit(130));
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(`regression-db: ${error instanceof BuildError ? error.message : error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      process.exit(1);
    },
  );
}
