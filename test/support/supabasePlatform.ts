/**
 * A server made like a Supabase stack's database, for restores as the
 * stack's own non-superuser `postgres`: bootstrap superuser supabase_admin,
 * wal_level logical, loopback trust (the platform's scripts log in as many
 * roles), and the platform in a database named `platform` — Supabase's own
 * (../shared/fixtures/supabase-platform, built from its migrations) when it
 * is beside the repository, else the project's sample of it. Databases made
 * from `platform` are a fresh stack's; the project's application sample goes
 * on top as a Supabase project's migrations would, as `postgres`.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { sharedFixturesFolder } from '../samples';
import { startServer, type TestServer } from './pgServer';
import { strict as assert } from 'node:assert';
import type { Manifest } from '../../src/core/sets/manifest';
import { runCli } from './cli';

const samples = join(__dirname, '..', 'samples');
export const SUPABASE_APP_SAMPLE = join(samples, 'supabase-app.sql');
const sharedLoader = join(sharedFixturesFolder, 'supabase-platform', 'load-platform.sh');

export interface SupabaseLikeServer {
  server: TestServer;
  /** Which platform is loaded: Supabase's own, from its migrations, or the project's sample. */
  platform: 'supabase' | 'sample';
  /** A URL as the stack's `postgres` (no password: the server trusts loopback). */
  asPostgres(database: string): string;
  /** A fresh stack's database: the platform only. */
  freshStack(name: string): Promise<void>;
  /** The application on a fresh stack: its migrations, and with `rows` the rows it has gathered since. */
  withApplication(name: string, rows: boolean): Promise<void>;
}

/** Whether Supabase's own platform (../shared/fixtures) is beside the repository. */
export const supabasePlatformAvailable = (): boolean => existsSync(sharedLoader);

/** `platform: 'sample'` loads the project's sample of the platform even where Supabase's own is beside the repository. */
export async function startSupabaseLikeServer(options: { platform?: 'sample' } = {}): Promise<SupabaseLikeServer> {
  const server = await startServer({ superuser: 'supabase_admin', trustLoopback: true, settings: { wal_level: 'logical' } });
  try {
    await server.createDatabase('platform');
    const platform = options.platform ?? (supabasePlatformAvailable() ? 'supabase' : 'sample');
    if (platform === 'supabase') {
      // About a dozen errors are expected there (extensions this machine lacks); the script says so and goes on.
      await promisify(execFile)('bash', [sharedLoader, server.host, String(server.port), 'platform'], { env: { ...process.env, PGPASSWORD: '' }, maxBuffer: 16 * 1024 * 1024 });
    } else {
      await server.loadSql('platform', join(samples, 'supabase-stack-platform.sql'));
    }
    const freshStack = (name: string) => server.createDatabase(name, { template: 'platform', owner: 'postgres' });
    return {
      server,
      platform,
      asPostgres: (database) => server.url(database, 'postgres'),
      freshStack,
      withApplication: async (name, rows) => {
        await freshStack(name);
        await server.loadSql(name, SUPABASE_APP_SAMPLE, { with_rows: rows ? 'true' : 'false' }, 'postgres');
      },
    };
  } catch (error) {
    await server.stop();
    throw error;
  }
}

export interface SupabaseAppSet {
  stack: SupabaseLikeServer;
  folder: string;
  manifest: Manifest;
}

/**
 * Mocha hooks for the suites that work on a Supabase set as the stack's own
 * postgres: a Supabase-like server with the application loaded into
 * `source`, one set of it made by the CLI, and the server stopped after.
 * The fields are filled in by the time the suite's own before hooks run.
 */
export function useSupabaseAppSet(source: string, newFolder: () => string, options: { platform?: 'sample' } = {}): SupabaseAppSet {
  const set = {} as SupabaseAppSet;
  before(async function () {
    this.timeout(300_000);
    set.stack = await startSupabaseLikeServer(options);
    await set.stack.withApplication(source, true);
    set.folder = newFolder();
    const result = await runCli(['backup', '--db', set.stack.asPostgres(source), '--dir', set.folder, '--prefix', 'app', '--json']);
    assert.equal(result.code, 0, result.stderr);
    set.manifest = JSON.parse(result.stdout) as Manifest;
  });
  after(async function () {
    await set.stack?.server.stop();
  });
  return set;
}
