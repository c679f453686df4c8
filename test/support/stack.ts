/**
 * The Supabase stack's database as its users run it, offline: a PostgreSQL
 * image built from Debian's own packages (debootstrap, then `docker import`;
 * no registry), started as `supabase_db_<project id>` with no network at all,
 * published on the host's loopback through a relay (socat to the container's
 * unix socket, as `supabase start` publishes port 54322), and loaded with the
 * real Supabase platform (../shared/fixtures/supabase-platform, when present)
 * or the project's own platform sample.
 *
 * Images are keyed by a hash of their recipe and cached as a tar in
 * test/.cache/stack, so a second run (and a clean clone's later runs on the
 * same machine) imports instead of building.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { sanitizeProjectId } from '../../src/core/supabase/docker';
import { sharedFixturesFolder } from '../samples';

export const STACK_PASSWORD = 'postgres';
const repositoryRoot = path.resolve(__dirname, '..', '..');
const cacheFolder = path.join(repositoryRoot, 'test', '.cache', 'stack');
const ownSamples = path.join(repositoryRoot, 'test', 'samples');

/** Majors with an image recipe: the Debian release that packages each. */
export type ImageMajor = 15 | 17;
const DEBIAN_SUITE: Record<ImageMajor, string> = { 15: 'bookworm', 17: 'trixie' };

/**
 * Runs as PID 1 of the container: a cluster made like Supabase's image
 * (bootstrap superuser supabase_admin, wal_level logical), listening on its
 * own 127.0.0.1:5432 and on /sock, the folder the host's relay reaches.
 * Inside the container every connection is trusted, as on the real stack;
 * the host's relay arrives through the socket.
 */
function entryScript(major: ImageMajor): string {
  return [
    '#!/bin/sh',
    'set -e',
    'D=/var/lib/postgresql/pulse-data',
    `B=/usr/lib/postgresql/${major}/bin`,
    'if [ ! -s "$D/PG_VERSION" ]; then',
    '  mkdir -p "$D" && chown postgres:postgres "$D"',
    '  su postgres -s /bin/sh -c "$B/initdb -D $D -U supabase_admin --auth=trust -E UTF8 --locale=C.UTF-8 --no-sync" >/dev/null',
    '  printf "%s\\n" "listen_addresses = \'127.0.0.1\'" "port = 5432" "unix_socket_directories = \'/sock\'" "wal_level = logical" "fsync = off" "synchronous_commit = off" "full_page_writes = off" >> "$D/postgresql.conf"',
    'fi',
    'chown postgres:postgres /sock',
    'exec su postgres -s /bin/sh -c "exec $B/postgres -D $D"',
    '',
  ].join('\n');
}

function recipe(major: ImageMajor): { suite: string; packages: string[]; entry: string } {
  return { suite: DEBIAN_SUITE[major], packages: [`postgresql-${major}`, `postgresql-client-${major}`], entry: entryScript(major) };
}

export function imageTag(major: ImageMajor): string {
  const hash = createHash('sha256')
    .update(JSON.stringify(recipe(major)))
    .digest('hex')
    .slice(0, 12);
  return `pulse-backup-test/postgres:${major}-${hash}`;
}

// ---------------------------------------------------------------------------
// Is there a Docker engine?

/** Why the stack cannot run here, or undefined when docker answers and socat is installed. */
export async function stackUnavailableReason(): Promise<string | undefined> {
  const version = await run('docker', ['version', '--format', '{{.Server.Version}}'], { timeoutMs: 15_000 });
  if (version.notFound) return 'docker is not installed';
  if (version.code !== 0) return `the Docker engine does not answer (${firstLine(version.stderr) || `docker exited with ${version.code}`})`;
  if ((await run('socat', ['-V'], { timeoutMs: 5_000 })).notFound) return "socat is not installed (it relays the stack's port to the host)";
  return undefined;
}

// ---------------------------------------------------------------------------
// The image

/** The image of that PostgreSQL major: in docker already, imported from the cache, or built now. */
export async function ensureImage(major: ImageMajor, log: (line: string) => void = () => undefined): Promise<string> {
  const tag = imageTag(major);
  if ((await run('docker', ['image', 'inspect', tag])).code === 0) return tag;
  const cached = path.join(cacheFolder, `${tag.replace(/[/:]/g, '_')}.tar`);
  if (!fs.existsSync(cached)) await buildRootTar(major, cached, log);
  log(`importing ${cached} as ${tag}`);
  const imported = await run('docker', ['import', cached, tag], { timeoutMs: 300_000 });
  if (imported.code !== 0) throw new Error(`docker import failed: ${imported.stderr}`);
  return tag;
}

async function buildRootTar(major: ImageMajor, tarFile: string, log: (line: string) => void): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('building the PostgreSQL image needs root (debootstrap): run npm run test:stack as root once, or as CI does');
  if ((await run('debootstrap', ['--version'])).notFound) throw new Error('debootstrap is not installed (apt-get install debootstrap)');
  const { suite, packages, entry } = recipe(major);
  fs.mkdirSync(cacheFolder, { recursive: true });
  const root = fs.mkdtempSync(path.join(cacheFolder, `root-${major}-`));
  try {
    const mirror = debianMirror();
    log(`debootstrap ${suite} with ${packages.join(', ')} from ${mirror} (about a minute)`);
    const started = Date.now();
    const made = await run('debootstrap', ['--variant=minbase', `--include=${packages.join(',')}`, suite, root, mirror], { timeoutMs: 900_000 });
    if (made.code !== 0) throw new Error(`debootstrap failed: ${made.stdout.slice(-2000)}${made.stderr.slice(-2000)}`);
    // What nothing in the tests reads: the downloaded packages, documentation, translations.
    for (const folder of ['var/cache/apt/archives', 'usr/share/doc', 'usr/share/man', 'usr/share/locale']) {
      fs.rmSync(path.join(root, folder), { recursive: true, force: true });
    }
    fs.mkdirSync(path.join(root, 'var/cache/apt/archives/partial'), { recursive: true });
    fs.writeFileSync(path.join(root, 'usr/local/bin/pulse-stack-entry'), entry, { mode: 0o755 });
    const partial = `${tarFile}.${process.pid}.partial`;
    const packed = await run('tar', ['-C', root, '-cf', partial, '.'], { timeoutMs: 300_000 });
    if (packed.code !== 0) throw new Error(`tar failed: ${packed.stderr}`);
    fs.renameSync(partial, tarFile);
    log(`built ${path.basename(tarFile)} in ${Math.round((Date.now() - started) / 1000)} s`);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}

/** The Debian mirror apt already uses (an active `URIs:` or `deb` line), so nothing else need be reachable. */
export function debianMirror(): string {
  const lines: string[] = [];
  const folder = '/etc/apt/sources.list.d';
  const files = ['/etc/apt/sources.list', ...(fs.existsSync(folder) ? fs.readdirSync(folder).map((name) => path.join(folder, name)) : [])];
  for (const file of files) {
    try {
      lines.push(...fs.readFileSync(file, 'utf8').split('\n'));
    } catch {
      // not there
    }
  }
  for (const line of lines) {
    const match = /^\s*(?:URIs:\s*|deb\s+(?:\[[^\]]*\]\s+)?)(https?:\/\/\S+\/debian)\/?\s*(?:$|\s)/.exec(line);
    if (match) return match[1];
  }
  return 'http://deb.debian.org/debian';
}

// ---------------------------------------------------------------------------
// The stack's database container

export interface Stack {
  readonly container: string;
  /** The host's loopback port the relay listens on ([db].port). */
  readonly port: number;
  readonly major: ImageMajor;
  /** The host folder holding the server's socket (.s.PGSQL.5432), which the relay reaches. */
  readonly socketFolder: string;
  /** postgresql://USER:postgres@127.0.0.1:PORT/DATABASE, through the relay. */
  url(user?: string, database?: string): string;
  /** Runs SQL as supabase_admin inside the container (psql -v ON_ERROR_STOP=1); returns its output. */
  sql(sql: string, options?: { user?: string; database?: string }): Promise<string>;
  /** Runs a file of SQL the same way (fed on standard input). */
  sqlFile(file: string, options?: { user?: string; database?: string }): Promise<void>;
  /** What `supabase start` and `supabase db reset` give: the platform, then the application's migrations. */
  loadPlatform(database?: string): Promise<void>;
  stop(): Promise<void>;
}

const liveStacks = new Set<{ container: string; relay?: ChildProcess; folder: string }>();

export async function startStack(options: { projectId: string; major: ImageMajor; log?: (line: string) => void }): Promise<Stack> {
  const image = await ensureImage(options.major, options.log);
  const container = `supabase_db_${sanitizeProjectId(options.projectId)}`;
  await run('docker', ['rm', '-f', container]);
  const folder = fs.mkdtempSync(path.join(fs.realpathSync(os.tmpdir()), 'pulse-stack-'));
  const socketFolder = path.join(folder, 'sock');
  fs.mkdirSync(socketFolder, { mode: 0o777 });
  fs.chmodSync(socketFolder, 0o777);
  const started = await run('docker', ['run', '-d', '--name', container, '--network', 'none', '-v', `${socketFolder}:/sock`, image, '/usr/local/bin/pulse-stack-entry'], {
    timeoutMs: 60_000,
  });
  if (started.code !== 0) throw new Error(`docker run failed: ${started.stderr}`);
  const port = await freePort();
  const relay = spawn('socat', [`TCP-LISTEN:${port},bind=127.0.0.1,reuseaddr,fork`, `UNIX-CONNECT:${path.join(socketFolder, `.s.PGSQL.5432`)}`], { stdio: 'ignore' });
  relay.unref();
  const live = { container, relay, folder };
  liveStacks.add(live);
  installExitCleanup();

  const psqlIn = (sql: string | undefined, file: string | undefined, user?: string, database?: string) => psqlInContainer(container, { sql, file, user, database });
  const stack: Stack = {
    container,
    port,
    major: options.major,
    socketFolder,
    url: (user = 'postgres', database = 'postgres') => `postgresql://${user}:${STACK_PASSWORD}@127.0.0.1:${port}/${database}`,
    sql: (sql, { user, database } = {}) => psqlIn(sql, undefined, user, database),
    sqlFile: async (file, { user, database } = {}) => {
      await psqlIn(undefined, file, user, database);
    },
    loadPlatform: (database = 'postgres') => loadPlatform(container, socketFolder, database),
    stop: async () => {
      liveStacks.delete(live);
      relay.kill('SIGTERM');
      await run('docker', ['rm', '-f', container], { timeoutMs: 60_000 });
      fs.rmSync(folder, { recursive: true, force: true });
    },
  };
  await waitUntilReady(stack, container);
  return stack;
}

/** psql as the stack's own tools run it: inside the container, on its 127.0.0.1:5432, trusted. */
export async function psqlInContainer(container: string, options: { sql?: string; file?: string; user?: string; database?: string }): Promise<string> {
  const { sql, file, user = 'supabase_admin', database = 'postgres' } = options;
  const args = [
    'exec',
    '-i',
    container,
    'psql',
    '-X',
    '-q',
    '-At',
    '-v',
    'ON_ERROR_STOP=1',
    '-h',
    '127.0.0.1',
    '-p',
    '5432',
    '-U',
    user,
    '-d',
    database,
    ...(sql !== undefined ? ['-c', sql] : ['-f', '-']),
  ];
  const result = await run('docker', args, { input: file ? fs.readFileSync(file) : undefined, timeoutMs: 300_000 });
  if (result.code !== 0) throw new Error(`psql in ${container} failed: ${result.stderr.slice(-3000)}`);
  return result.stdout;
}

/**
 * The platform `supabase start` loads into a fresh database: the real one
 * (the shared fixture's load-platform.sh, through the socket), else the
 * project's own sample; then pg_cron, pgmq and hooks as their extensions
 * make them (Debian's PostgreSQL has none of them).
 */
export async function loadPlatform(container: string, socketFolder: string, database = 'postgres'): Promise<void> {
  // As in a fresh image, postgres starts as a superuser; the platform's last step demotes it.
  await psqlInContainer(container, { sql: `DO $$ BEGIN IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'postgres') THEN ALTER ROLE postgres SUPERUSER; END IF; END $$`, database });
  const shared = path.join(sharedFixturesFolder, 'supabase-platform', 'load-platform.sh');
  if (fs.existsSync(shared)) {
    const loaded = await run('bash', [shared, socketFolder, '5432', database], { timeoutMs: 600_000, env: { ...process.env, PGPASSWORD: STACK_PASSWORD } });
    if (loaded.code !== 0) throw new Error(`load-platform.sh failed: ${loaded.stdout}${loaded.stderr}`);
  } else {
    await psqlInContainer(container, { file: path.join(ownSamples, 'supabase-stack-platform.sql'), database });
  }
  await psqlInContainer(container, { file: path.join(ownSamples, 'supabase-extensions.sql'), database });
}

/** The application's migration (supabase/migrations), applied as postgres. */
export const APP_MIGRATION = path.join(ownSamples, 'supabase-stack-app.sql');
/** What people put into the application, as postgres. */
export const APP_DATA = path.join(ownSamples, 'supabase-stack-data.sql');

/**
 * Makes `folder` a project as `supabase init` leaves it, pointing at this
 * stack: Supabase's own config.toml (test/samples/supabase-config.toml) with
 * the project id, the relay's port and the stack's major, and the
 * application's migration.
 */
export function writeSupabaseProject(folder: string, projectId: string, stack: Pick<Stack, 'port' | 'major'>): void {
  fs.mkdirSync(path.join(folder, 'supabase', 'migrations'), { recursive: true });
  writeProjectConfig(folder, projectId, stack);
  fs.copyFileSync(APP_MIGRATION, path.join(folder, 'supabase', 'migrations', '20250301000000_factory_pulse.sql'));
}

/** (Re)writes the project's supabase/config.toml for this stack (as after moving `major_version`). */
export function writeProjectConfig(folder: string, projectId: string, stack: Pick<Stack, 'port' | 'major'>): void {
  const template = fs.readFileSync(path.join(ownSamples, 'supabase-config.toml'), 'utf8');
  const config = template
    .replace(/^project_id = .*$/m, `project_id = "${projectId}"`)
    .replace(/^port = 54322$/m, `port = ${stack.port}`)
    .replace(/^major_version = \d+$/m, `major_version = ${stack.major}`);
  fs.writeFileSync(path.join(folder, 'supabase', 'config.toml'), config);
}

/**
 * What `supabase db reset --local` does to the stack's database: drops and
 * recreates it, loads the platform, applies the application's migration.
 * The stand-in for the supabase CLI (the real one needs images from a
 * registry) runs this, on the real container.
 */
export async function resetStackDatabase(container: string, socketFolder: string): Promise<void> {
  await psqlInContainer(container, { sql: 'DROP DATABASE IF EXISTS postgres WITH (FORCE)', database: 'template1' });
  await psqlInContainer(container, { sql: 'CREATE DATABASE postgres', database: 'template1' });
  await loadPlatform(container, socketFolder);
  await psqlInContainer(container, { file: APP_MIGRATION, user: 'postgres' });
}

/**
 * A folder holding a `supabase` command that does, on `db reset --local`,
 * what the Supabase CLI does to this stack's database (resetStackDatabase),
 * printing lines as the CLI does; anything else fails.
 */
export function supabaseCliStandIn(stack: Stack): string {
  const folder = fs.mkdtempSync(path.join(fs.realpathSync(os.tmpdir()), 'pulse-fake-supabase-'));
  const entry = path.join(repositoryRoot, 'test', 'support', 'stackReset.ts');
  fs.writeFileSync(
    path.join(folder, 'supabase'),
    [
      '#!/bin/sh',
      `printf '%s|%s\\n' "$PWD" "$*" >> '${path.join(folder, 'calls')}'`,
      '[ "$*" = "db reset --local" ] || { echo "unexpected: supabase $*" >&2; exit 3; }',
      'echo "Resetting local database..."',
      `cd '${repositoryRoot}' && '${process.execPath}' --import tsx '${entry}' '${stack.container}' '${stack.socketFolder}' || exit 1`,
      'echo "Finished supabase db reset on branch main."',
      '',
    ].join('\n'),
    { mode: 0o755 },
  );
  return folder;
}

async function waitUntilReady(stack: Stack, container: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  let last = '';
  while (Date.now() < deadline) {
    const ready = await run('docker', ['exec', container, 'pg_isready', '-q', '-h', '127.0.0.1', '-p', '5432']);
    if (ready.code === 0) {
      // And through the relay, as the host's tools will come.
      if (await canConnect(stack.port)) return;
    }
    last = ready.stderr || ready.stdout;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  const logs = await run('docker', ['logs', '--tail', '30', container]);
  throw new Error(`the stack's database in ${container} did not start within 60 s (${last}):\n${logs.stdout}${logs.stderr}`);
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port }, () => {
      socket.end();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}

let exitCleanupInstalled = false;

/** No container or relay outlives the test process, even when a test forgets stop(). */
function installExitCleanup(): void {
  if (exitCleanupInstalled) return;
  exitCleanupInstalled = true;
  process.on('exit', () => {
    for (const live of liveStacks) {
      live.relay?.kill('SIGKILL');
      spawn('docker', ['rm', '-f', live.container], { stdio: 'ignore', detached: true }).unref();
    }
  });
}

// ---------------------------------------------------------------------------
// Client tools of another major, from an image

/**
 * A folder with `pg_dump`, `psql` and `pg_restore` that run those of the
 * image's PostgreSQL inside a long-lived container sharing the host's
 * network namespace (no bridge: it reaches the host's loopback servers) and
 * its temporary folder at the same path (the files they read and write).
 * To the engine it is a client-tools folder like any other (--pg-bin-dir).
 */
export async function clientToolsFolder(major: ImageMajor, log?: (line: string) => void): Promise<{ folder: string; stop: () => Promise<void> }> {
  const image = await ensureImage(major, log);
  const container = `pulse-backup-tools-${major}-${process.pid}`;
  await run('docker', ['rm', '-f', container]);
  const temporary = fs.realpathSync(os.tmpdir());
  const started = await run('docker', ['run', '-d', '--name', container, '--network', 'host', '-v', `${temporary}:${temporary}`, image, 'sleep', 'infinity'], {
    timeoutMs: 60_000,
  });
  if (started.code !== 0) throw new Error(`docker run failed: ${started.stderr}`);
  const folder = fs.mkdtempSync(path.join(temporary, `pulse-tools-${major}-`));
  const forwarded = ['PGHOST', 'PGPORT', 'PGUSER', 'PGPASSWORD', 'PGDATABASE', 'PGSSLMODE', 'PGCONNECT_TIMEOUT', 'PGAPPNAME', 'PGOPTIONS'];
  for (const tool of ['pg_dump', 'psql', 'pg_restore']) {
    const script = [
      '#!/bin/sh',
      // The password and the rest of the connection go by name, never on this command line.
      `exec docker exec -i ${forwarded.map((name) => `-e ${name}`).join(' ')} ${container} /usr/lib/postgresql/${major}/bin/${tool} "$@"`,
      '',
    ].join('\n');
    fs.writeFileSync(path.join(folder, tool), script, { mode: 0o755 });
  }
  const live = { container, folder };
  liveStacks.add(live);
  installExitCleanup();
  return {
    folder,
    stop: async () => {
      liveStacks.delete(live);
      await run('docker', ['rm', '-f', container], { timeoutMs: 60_000 });
      fs.rmSync(folder, { recursive: true, force: true });
    },
  };
}

// ---------------------------------------------------------------------------
// Small helpers

interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
  notFound: boolean;
}

export function run(command: string, args: string[], options: { timeoutMs?: number; input?: Buffer; env?: NodeJS.ProcessEnv } = {}): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = execFile(
      command,
      args,
      { timeout: options.timeoutMs ?? 60_000, maxBuffer: 64 * 1024 * 1024, encoding: 'utf8', env: options.env ?? process.env },
      (error, stdout, stderr) => {
        const notFound = (error as NodeJS.ErrnoException | null)?.code === 'ENOENT';
        const code = error ? (typeof (error as { code?: unknown }).code === 'number' ? Number((error as { code?: unknown }).code) : 1) : 0;
        resolve({ code, stdout, stderr, notFound });
      },
    );
    if (options.input) child.stdin?.end(options.input);
    else child.stdin?.end();
  });
}

function firstLine(text: string): string {
  return (
    text
      .split('\n')
      .find((line) => line.trim() !== '')
      ?.trim() ?? ''
  );
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const listener = net.createServer();
    listener.once('error', reject);
    listener.listen(0, '127.0.0.1', () => {
      const address = listener.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      listener.close(() => (port ? resolve(port) : reject(new Error('no free port'))));
    });
  });
}
