/**
 * `npm run demo`: the main job from start to finish on a database nobody
 * cares about. A throwaway PostgreSQL server gets the sample factory
 * database, the real built CLI backs it up into ./backups and lists the
 * folder, and the server is gone again when the demo ends, however it ends.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { redactUrl } from '../src/core/connection/redact';
import { formatDuration } from '../src/core/format';
import { listSets, type ListedSet } from '../src/core/sets/listing';
import { manifestNameFor } from '../src/core/sets/naming';
import { startServer, type TestServer } from '../test/support/pgServer';

const repositoryRoot = path.resolve(__dirname, '..');
const cliPath = path.join(repositoryRoot, 'dist', 'cli.js');
const sampleFile = path.join(repositoryRoot, 'test', 'samples', 'factory.sql');
const databaseName = 'factory_pulse';
const prefix = 'factory_pulse';
// Relative on purpose: the commands shown are the ones a person would type in the repository.
const backupsArgument = './backups';
const backupsFolder = path.join(repositoryRoot, 'backups');

class Interrupted extends Error {}

let interruptedBy: NodeJS.Signals | undefined;

/**
 * Ctrl-C reaches every process of the terminal's foreground group: the CLI
 * cancels its backup and removes its partial files by itself, and the server
 * shuts down (pgServer's exit hook makes sure of it). The demo only has to
 * stop starting new steps, wait for the running one, and clean up. Passing
 * the signal on to the CLI would make it a second Ctrl-C, which tells the CLI
 * to skip its clean-up.
 */
function onSignal(signal: NodeJS.Signals): void {
  if (interruptedBy !== undefined) process.exit(130);
  interruptedBy = signal;
  console.log(`\n${signal}: stopping the demo…`);
}

/**
 * Once the server is shutting down under them, the support code's pg clients
 * (which have no 'error' listener) emit an error that would crash the demo
 * with a stack trace; the query they serve rejects as well, so the demo
 * still stops through its normal path. Before an interruption an uncaught
 * error is a bug and ends the demo as usual.
 */
function onUncaughtException(error: Error): void {
  if (interruptedBy !== undefined) return;
  console.error(error);
  process.exit(1);
}

async function main(): Promise<number> {
  if (!existsSync(cliPath)) {
    console.error(`${path.relative(process.cwd(), cliPath)} is missing: run npm run build first (npm run demo does)`);
    return 1;
  }
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('uncaughtException', onUncaughtException);
  // The demo promises a server of its own, never the existing one the tests may be pointed at.
  delete process.env.TEST_DATABASE_URL;

  console.log('Pulse Backup demo: a throwaway PostgreSQL server, a sample database, one backup set.\n');
  let server: TestServer | undefined;
  try {
    server = await step('Starting a throwaway PostgreSQL 15 server', () => startServer());
    const running = server;
    await step(`Loading ${path.relative(repositoryRoot, sampleFile)} into a new database "${databaseName}"`, async () => {
      await running.createDatabase(databaseName);
      await running.loadSql(databaseName, sampleFile);
    });
    console.log(`    ${redactUrl(server.url(databaseName))}\n`);

    const before = new Set((await listSets(backupsFolder)).map((set) => set.id));
    // The URL names the server; the password goes to the CLI in its environment, as with any child process.
    const urlWithoutPassword = withoutPassword(server.url(databaseName));
    const environment = cliEnvironment(server.password);
    await runCli(['backup', '--db', urlWithoutPassword, '--dir', backupsArgument, '--prefix', prefix], environment);
    await runCli(['list', '--dir', backupsArgument], environment);

    const made = (await listSets(backupsFolder)).find((set) => !before.has(set.id));
    printNextSteps(made);
    return 0;
  } catch (error) {
    if (interruptedBy !== undefined || error instanceof Interrupted) return 130;
    console.error(`\ndemo failed: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  } finally {
    if (server) {
      await server.stop();
      console.log('Stopped the throwaway server and deleted its data.');
    }
  }
}

async function step<T>(title: string, work: () => Promise<T>): Promise<T> {
  throwIfInterrupted();
  process.stdout.write(`${title}… `);
  const started = performance.now();
  // No check for an interruption here: a server that did start must reach the caller, who stops it.
  const result = await work();
  console.log(`done in ${formatDuration(performance.now() - started)}`);
  return result;
}

/** Runs the real built CLI, as a person would, with the terminal as its own. */
async function runCli(args: string[], environment: NodeJS.ProcessEnv): Promise<void> {
  throwIfInterrupted();
  console.log(`$ node dist/cli.js ${args.join(' ')}`);
  const child = spawn(process.execPath, [cliPath, ...args], {
    cwd: repositoryRoot,
    env: environment,
    stdio: 'inherit',
  });
  const exitCode = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve(code));
  });
  console.log('');
  throwIfInterrupted();
  if (exitCode === 130) throw new Interrupted();
  if (exitCode !== 0) throw new Error(`pulse-backup ${args[0] ?? ''} exited with code ${String(exitCode)}`);
}

/** The user's environment minus anything that could point the CLI at another server or folder. */
function cliEnvironment(password: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (/^PG/.test(name) || name === 'DATABASE_URL' || name === 'PULSE_BACKUP_DB_URL' || name === 'PULSE_BACKUP_DIR') continue;
    env[name] = value;
  }
  env.PGPASSWORD = password;
  return env;
}

function withoutPassword(url: string): string {
  const parsed = new URL(url);
  parsed.password = '';
  return parsed.href;
}

function printNextSteps(made: ListedSet | undefined): void {
  if (made === undefined) {
    console.log(`The backup set is in ${backupsFolder}.`);
    return;
  }
  const relative = (name: string) => path.join('backups', name);
  const complete = made.files.find((file) => file.type === 'complete')?.name ?? '';
  const manifest = relative(manifestNameFor(made.prefix, made.timestamp));
  console.log(`Backup set ${made.id} is in ${backupsFolder}:`);
  for (const file of made.files) console.log(`    ${relative(file.name)}`);
  console.log(`    ${manifest}`);
  console.log(`
Next steps:
  Look at the set and its manifest (tables, row counts, checksums):
    node dist/cli.js show ${made.id} --dir ./backups
    cat ${manifest}
  Restore the complete file into an empty database with plain psql
  (on a server that has the roles the dump names: postgres, pulse_sample_reader):
    createdb restored_factory
    psql -v ON_ERROR_STOP=1 -d restored_factory -f ${relative(complete)}
  Back up your own database (docs/cli.md has every flag; the password goes in
  PGPASSWORD or ~/.pgpass, never on the command line, and on a terminal you are asked for it):
    node dist/cli.js backup --db postgresql://USER@HOST:5432/DATABASE
`);
}

function throwIfInterrupted(): void {
  if (interruptedBy !== undefined) throw new Interrupted();
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  },
);
