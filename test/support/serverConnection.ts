/**
 * What every test server offers once it runs (its URL, databases, a SQL
 * file loaded through the real psql, queries), for a throwaway server and
 * for an existing one named by TEST_DATABASE_URL alike.
 */
import { spawn } from 'node:child_process';
import { Client, type QueryResultRow } from 'pg';
import { quoteIdentifier } from '../../src/core/sql';
import type { OsUser } from './serverBinaries';

export const defaultSuperuser = 'postgres';

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

// An existing server named by TEST_DATABASE_URL

export async function connectToExternalServer(url: string): Promise<TestServer> {
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

// What every server offers once it runs

export interface ServerConnectionSettings {
  baseUrl: string;
  major: number;
  stop: () => Promise<void>;
  onCreateDatabase?: (name: string) => void;
}

export class ServerConnection implements TestServer {
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
    const args = ['-X', '-q', '-v', 'ON_ERROR_STOP=1', ...variableArgs, '-d', this.urlWithoutPassword(database, role), '-f', file];
    const env: NodeJS.ProcessEnv = { ...process.env, PGAPPNAME: 'pulse-backup-tests' };
    if (this.password) env.PGPASSWORD = this.password;
    const result = await runToCompletion('psql', args, { env, discardStdout: true });
    if (result.exitCode !== 0) {
      throw new Error(`psql could not load ${file} into database ${database} (exit code ${String(result.exitCode)}):\n${tail(result.output, 30)}`);
    }
  }

  async query<Row extends QueryResultRow = QueryResultRow>(database: string, sql: string, params: unknown[] = []): Promise<Row[]> {
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

// Small helpers

interface CompletedProcess {
  exitCode: number | null;
  /** stderr, and stdout unless discarded, interleaved as they came. */
  output: string;
}

export function runToCompletion(
  command: string,
  args: string[],
  options: { cwd?: string; env: NodeJS.ProcessEnv; owner?: OsUser; discardStdout?: boolean },
): Promise<CompletedProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env,
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
      reject(error.code === 'ENOENT' ? new Error(`${command} was not found on PATH: install the PostgreSQL client tools`) : error);
    });
    child.once('close', (exitCode) => resolve({ exitCode, output }));
  });
}

export function tail(text: string, lines: number): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

function sqlState(error: unknown): string | undefined {
  if (typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string') return error.code;
  return undefined;
}

export function delay(milliseconds: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, milliseconds));
}
