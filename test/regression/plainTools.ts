/**
 * pg_dump and psql run the way a person runs them, without Pulse Backup:
 * the bar (`pg_dump DB | psql`, carrying on after errors) and the psql
 * commands a set's report prints, run exactly as printed. The password
 * travels in PGPASSWORD only.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cleanEnv } from '../support/cli';
import type { TestServer } from '../support/pgServer';

export interface PsqlRun {
  exitCode: number | null;
  /** Each statement psql reported as failed. */
  errors: PsqlError[];
}

export interface PsqlError {
  /** `FILE:LINE`, where psql was when the statement failed. */
  location: string;
  /** `ERROR:  …` with its DETAIL, HINT and CONTEXT lines. */
  message: string;
  /** The failed statement: as psql echoed it (--echo-errors), else the line of the file psql names. */
  statement: string;
}

/** The URL without its password, and the environment that carries the password. */
export function connectionFor(server: TestServer, database: string): { url: string; env: NodeJS.ProcessEnv } {
  const url = new URL(server.url(database));
  url.password = '';
  return { url: url.href, env: { ...cleanEnv(), PGPASSWORD: server.password, PGAPPNAME: 'pulse-backup-regression' } };
}

/** `pg_dump SOURCE | psql TARGET` with psql's defaults: no ON_ERROR_STOP, no single transaction. */
export async function plainDumpAndLoad(server: TestServer, source: string, target: string): Promise<PsqlRun> {
  const from = connectionFor(server, source);
  const to = connectionFor(server, target);
  const dump = spawn('pg_dump', ['-d', from.url], { env: from.env, stdio: ['ignore', 'pipe', 'pipe'] });
  // -f - only adds "psql:<stdin>:LINE:" to each message; --echo-errors prints each failed statement.
  const load = spawn('psql', ['-X', '-q', '--echo-errors', '-d', to.url, '-f', '-'], { env: to.env, stdio: ['pipe', 'ignore', 'pipe'] });
  dump.stdout.pipe(load.stdin);
  let dumpErrors = '';
  dump.stderr.on('data', (chunk: Buffer) => (dumpErrors += chunk.toString('utf8')));
  const [dumpExit, loaded] = await Promise.all([exitOf(dump), collect(load)]);
  if (dumpExit !== 0) throw new Error(`pg_dump of ${source} failed (exit code ${String(dumpExit)}): ${dumpErrors.trim()}`);
  return loaded;
}

/** Runs a command exactly as a report prints it, with $DATABASE naming the target. */
export async function runPrintedCommand(command: string, server: TestServer, target: string): Promise<PsqlRun> {
  const { url, env } = connectionFor(server, target);
  const child = spawn('bash', ['-c', command], { env: { ...env, DATABASE: url }, stdio: ['ignore', 'ignore', 'pipe'] });
  return collect(child);
}

async function collect(child: ChildProcess): Promise<PsqlRun> {
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const exitCode = await exitOf(child);
  return { exitCode, errors: parsePsqlErrors(stderr) };
}

function exitOf(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve(code));
  });
}

/**
 * psql's stderr as failed statements: `psql:FILE:LINE: ERROR:  …`, its
 * DETAIL/HINT/CONTEXT lines, then with --echo-errors `STATEMENT:  …`.
 * Other messages (`psql:FILE:LINE: WARNING:  …`) end the one before.
 */
export function parsePsqlErrors(stderr: string): PsqlError[] {
  const errors: PsqlError[] = [];
  let current: { location: string; message: string[]; statement: string[] } | undefined;
  let inStatement = false;
  const finish = (): void => {
    if (!current) return;
    errors.push({
      location: current.location,
      message: current.message.join('\n'),
      statement: current.statement.join('\n').trim() || lineOfFile(current.location),
    });
    current = undefined;
  };
  for (const line of stderr.split('\n')) {
    const message = /^psql:(.*:\d+): (\w+): (.*)$/.exec(line);
    if (message) {
      finish();
      if (message[2] === 'ERROR') current = { location: message[1], message: [`ERROR: ${message[3]}`], statement: [] };
      inStatement = false;
      continue;
    }
    if (!current) continue;
    const statement = /^STATEMENT:\s+(.*)$/.exec(line);
    if (statement) {
      inStatement = true;
      current.statement.push(statement[1]);
    } else if (inStatement) current.statement.push(line);
    else if (line.trim()) current.message.push(line);
  }
  finish();
  return errors;
}

/** The line psql names in `FILE:LINE`, from the file itself ("" for stdin or a file that cannot be read). */
function lineOfFile(location: string): string {
  const match = /^(.*):(\d+)$/.exec(location);
  if (!match || match[1] === '<stdin>') return '';
  try {
    return readFileSync(match[1], 'utf8').split('\n')[Number(match[2]) - 1]?.trim() ?? '';
  } catch {
    return '';
  }
}
