/**
 * What most integration files set up the same way: one throwaway PostgreSQL
 * server for the file (or `describe`), temporary folders removed when it
 * ends, and the CLI calls they all make (a backup whose manifest the test
 * needs, a restore answered with --yes).
 *
 * Call `useServer()` and `useTempFolders()` inside a `describe`: they
 * register that block's `before`/`after` hooks, in the order called.
 */
import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { QueryResultRow } from 'pg';
import type { VerificationReport } from '../../src/core/verify/results';
import type { ListedSet } from '../../src/core/sets/listing';
import type { Manifest } from '../../src/core/sets/manifest';
import { factorySample } from '../samples';
import { runCli, type CliOptions, type CliResult } from './cli';
import { startServer, type CreateDatabaseOptions, type StartServerOptions, type TestServer } from './pgServer';

/**
 * A server started in the block's `before` and stopped in its `after`. The
 * object exists at once, so a `describe` can hold it; using it before the
 * hook ran (or after it failed) throws, saying so.
 */
export function useServer(options: StartServerOptions = {}): TestServer {
  const handle = new SuiteServer();
  before(async function () {
    handle.started = await startServer(options);
  });
  after(async function () {
    await handle.started?.stop();
    handle.started = undefined;
  });
  return handle;
}

class SuiteServer implements TestServer {
  started: TestServer | undefined;

  private get server(): TestServer {
    if (!this.started) throw new Error("the suite's PostgreSQL server is not running: use it inside a test or hook of the describe that called useServer()");
    return this.started;
  }

  get host(): string {
    return this.server.host;
  }
  get port(): number {
    return this.server.port;
  }
  get user(): string {
    return this.server.user;
  }
  get password(): string {
    return this.server.password;
  }
  get major(): number {
    return this.server.major;
  }
  url(database?: string, role?: string): string {
    return this.server.url(database, role);
  }
  createDatabase(name: string, options?: CreateDatabaseOptions): Promise<void> {
    return this.server.createDatabase(name, options);
  }
  dropDatabase(name: string): Promise<void> {
    return this.server.dropDatabase(name);
  }
  loadSql(database: string, file: string, variables?: Record<string, string>, role?: string): Promise<void> {
    return this.server.loadSql(database, file, variables, role);
  }
  query<Row extends QueryResultRow = QueryResultRow>(database: string, sql: string, params?: unknown[]): Promise<Row[]> {
    return this.server.query<Row>(database, sql, params);
  }
  stop(): Promise<void> {
    return this.server.stop();
  }
}

/**
 * `newFolder()` makes an empty folder in the temp folder, named with
 * `prefix`; the block's `after` removes every one it made.
 */
export function useTempFolders(prefix: string): () => string {
  const made: string[] = [];
  after(function () {
    for (const folder of made.splice(0)) rmSync(folder, { recursive: true, force: true });
  });
  return () => {
    const folder = mkdtempSync(join(tmpdir(), prefix));
    made.push(folder);
    return folder;
  };
}

/** A new database holding the Factory Pulse sample (`-v scale=N` in `variables` grows it). */
export async function createFactoryDatabase(server: Pick<TestServer, 'createDatabase' | 'loadSql'>, database: string, variables: Record<string, string> = {}): Promise<void> {
  await server.createDatabase(database);
  await server.loadSql(database, factorySample().file, variables);
}

/** `backup --json` of a database into a folder; fails the test with the CLI's stderr unless it succeeded. */
export async function backupSet(server: TestServer, database: string, folder: string, prefix: string, extra: readonly string[] = [], options: CliOptions = {}): Promise<Manifest> {
  const result = await runCli(['backup', '--db', server.url(database), '--dir', folder, '--prefix', prefix, '--json', ...extra], options);
  assert.equal(result.code, 0, result.stderr);
  return JSON.parse(result.stdout) as Manifest;
}

/** The sha256 of a file as it is on disk, as a manifest records it. */
export function fileSha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** The checks of `verify --json` that did not pass, by id, with their detail. */
export function failedChecks(stdout: string): Map<string, string> {
  const checks = (JSON.parse(stdout) as VerificationReport).groups.flatMap((group) => group.checks);
  return new Map(checks.filter((check) => check.status !== 'pass').map((check) => [check.id, check.detail]));
}

/** Copies a set's dump files and manifest into another folder: a set to damage without touching the suite's. */
export function copySetFiles(from: string, to: string, manifest: Manifest): void {
  mkdirSync(to, { recursive: true });
  for (const name of [...manifest.files.map((file) => file.name), `${manifest.id}.manifest.json`]) copyFileSync(join(from, name), join(to, name));
}

/** The command line of a restore that asks nothing: `restore ID --mode MODE --db URL --dir FOLDER --yes`, then `extra`. */
export function restoreArgs(setId: string, mode: string, db: string, folder: string, extra: readonly string[] = []): string[] {
  return ['restore', setId, '--mode', mode, '--db', db, '--dir', folder, '--yes', ...extra];
}

/** `restore --yes --json` of a set into a database; the result is the test's to judge. */
export function restoreSet(server: TestServer, setId: string, folder: string, database: string, mode: string, extra: readonly string[] = []): Promise<CliResult> {
  return runCli(restoreArgs(setId, mode, server.url(database), folder, ['--json', ...extra]));
}

/** A set as `list --json` prints it: the listing without the manifest. */
export type ListedJson = Omit<ListedSet, 'manifest'> & { takenBefore?: string };

/** `list --json` of a folder; fails the test with the CLI's stderr unless it succeeded. */
export async function listSets(folder: string): Promise<ListedJson[]> {
  const result = await runCli(['list', '--dir', folder, '--json']);
  assert.equal(result.code, 0, result.stderr);
  return JSON.parse(result.stdout) as ListedJson[];
}
