/**
 * PostgreSQL's own regression database, as a test case nobody here wrote.
 *
 * `scripts/regression-db.ts` builds Debian's postgresql-15 source, runs the
 * core regression suite against it and keeps the stopped cluster that holds
 * the `regression` database in `.cache/regression/<Debian version>/`. This
 * module knows that layout: the builder writes `regression.json` into it last,
 * and the suite in test/regression/ starts a copy of the cluster from it.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { startServer, type TestServer } from './pgServer';

export const REGRESSION_CACHE = path.resolve(__dirname, '..', '..', '.cache', 'regression');

/** What the builder leaves behind; written last, so its presence means the build finished. */
export interface RegressionBuild {
  /** Debian's version of the postgresql-15 source package, e.g. 15.18-0+deb12u1. */
  debianVersion: string;
  /** `SELECT version()` of the built server. */
  serverVersion: string;
  /** The patched, built source tree. regress.so and the other test libraries stay here: the database's C functions name this path. */
  sourceDirectory: string;
  binDirectory: string;
  /** The stopped cluster whose `regression` database the suite left behind. */
  dataDirectory: string;
  /** Holds the password of the cluster's `postgres` superuser (mode 0600). */
  passwordFile: string;
  /** The regression suite's own verdict; failed tests still leave their objects behind. */
  regressionSuite: { summary: string; failedTests: string[] };
  builtAt: string;
  /** Wall time of each build step, in milliseconds. */
  stepDurationsMs: Record<string, number>;
}

/**
 * The Debian version of postgresql-15 to build and test, when something
 * decides it: PULSE_REGRESSION_PG_VERSION, else the source version of the
 * installed postgresql-client-15, so that the server comes from the same
 * release as the pg_dump and psql the tests run. Undefined: the newest the
 * mirror serves (building) or the newest built (testing).
 */
export function wantedRegressionVersion(): string | undefined {
  const fromEnvironment = process.env.PULSE_REGRESSION_PG_VERSION?.trim();
  if (fromEnvironment) return fromEnvironment;
  try {
    const [status, version] = execFileSync('dpkg-query', ['-W', '-f=${Status}\t${source:Version}', 'postgresql-client-15'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).split('\t');
    return status === 'install ok installed' && version ? version : undefined;
  } catch {
    return undefined;
  }
}

export function versionDirectory(debianVersion: string): string {
  return path.join(REGRESSION_CACHE, debianVersion.replace(/[^A-Za-z0-9.+~-]/g, '_'));
}

export function buildRecordFile(debianVersion: string): string {
  return path.join(versionDirectory(debianVersion), 'regression.json');
}

/** The finished build for that version, or undefined when there is none or a part of it has gone. */
export function readRegressionBuild(debianVersion: string): RegressionBuild | undefined {
  let build: RegressionBuild;
  try {
    build = JSON.parse(fs.readFileSync(buildRecordFile(debianVersion), 'utf8')) as RegressionBuild;
  } catch {
    return undefined;
  }
  const needed = [
    path.join(build.binDirectory, 'postgres'),
    path.join(build.dataDirectory, 'PG_VERSION'),
    path.join(build.sourceDirectory, 'src', 'test', 'regress', 'regress.so'),
    build.passwordFile,
  ];
  return needed.every((file) => fs.existsSync(file)) ? build : undefined;
}

/** The newest finished build in the cache (by build time), whatever its version. */
export function newestRegressionBuild(): RegressionBuild | undefined {
  let entries: string[];
  try {
    entries = fs.readdirSync(REGRESSION_CACHE);
  } catch {
    return undefined;
  }
  const builds: RegressionBuild[] = [];
  for (const entry of entries) {
    try {
      const recorded = JSON.parse(fs.readFileSync(path.join(REGRESSION_CACHE, entry, 'regression.json'), 'utf8')) as RegressionBuild;
      const build = readRegressionBuild(recorded.debianVersion);
      if (build) builds.push(build);
    } catch {
      // not a finished build
    }
  }
  return builds.sort((first, second) => second.builtAt.localeCompare(first.builtAt))[0];
}

/** A throwaway copy of the cached cluster, running; the cache itself is never written to. */
export async function startRegressionServer(build: RegressionBuild): Promise<TestServer> {
  const password = fs.readFileSync(build.passwordFile, 'utf8').trim();
  return startServer({ password, cluster: { binDirectory: build.binDirectory, dataDirectory: build.dataDirectory } });
}
