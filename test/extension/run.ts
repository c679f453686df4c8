/**
 * `npm run test:extension`: the extension-host suite (test/extension/suite)
 * inside a real VS Code, against a real PostgreSQL server.
 *
 * 1. Starts a throwaway PostgreSQL server and loads the project's Factory
 *    Pulse sample into it.
 * 2. Makes a workspace folder like the team's project: a git repository
 *    named factory-pulse with a tasks.json that declares a pulse-backup task;
 *    and a multi-root workspace of two plants, each backing up its own
 *    database (a copy of the first).
 * 3. Starts a real S3-protocol server (s3rver, test/support/s3Server.ts) for
 *    the offsite tests of the project folder's window; its keys reach the
 *    extension only through its Set Offsite Credentials… command, as a
 *    person's would (the extension host gets no AWS variables and no
 *    ~/.aws files).
 * 4. Where a Docker engine runs (as `npm run test:stack` decides), a third
 *    window: a Supabase project folder with Supabase's own config.toml
 *    (major_version = 17), whose database is the stack's PostgreSQL 17 in a
 *    real container named supabase_db_<project id>, published on loopback,
 *    the platform loaded (test/support/stack.ts). Without Docker that
 *    scenario is skipped with one line saying why.
 * 5. Runs the suite in VS Code, once per workspace, with the extension from this folder (the
 *    built dist/extension.js) through one of two hosts:
 *    - `electron`: @vscode/test-electron, which downloads VS Code (needs the
 *      internet; what a developer laptop uses);
 *    - `code-server`: the same VS Code workbench and extension host from the
 *      npm registry, opened in headless Chromium — works offline.
 *    PULSE_BACKUP_TEST_HOST=electron|code-server chooses; by default
 *    electron when VS Code's download server answers, else code-server.
 *    In code-server the scheduled backups' folder opens in two windows at
 *    once, each with its own extension host, as a person with two windows
 *    has it; the second only watches (suite/index.ts, secondWindow).
 *
 * Exits with 0 when every test passed, 1 otherwise.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { startServer, type TestServer } from '../support/pgServer';
import { S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY, startS3Server, type S3TestServer } from '../support/s3Server';
import { APP_DATA, APP_MIGRATION, stackUnavailableReason, startStack, writeSupabaseProject, type Stack } from '../support/stack';
import { ensureCodeServer, runSuiteInCodeServer } from '../support/codeServer';
import { describeTestOrder, parseTestOrder } from './suite/order';

const repositoryRoot = path.resolve(__dirname, '..', '..');
const suitePath = path.join(repositoryRoot, 'out', 'test', 'extension', 'suite.js');
const DATABASE = 'factory_pulse';
/** The second folder of the multi-root workspace backs up this copy. */
const SECOND_DATABASE = 'factory_pulse_eu';
/** The scheduled backups' window backs up this copy. */
const SCHEDULE_DATABASE = 'night_shift';
const SUITE_TIMEOUT_MS = 15 * 60_000;
/** The Supabase project of the third window; its database container is supabase_db_factory-pulse-vscode. */
const STACK_PROJECT_ID = 'factory-pulse-vscode';
/** Each multipart upload's part waits this long at the S3 server: long enough to stop a push while it is surely midway. */
const SLOW_PARTS_MS = 1500;

type Host = 'electron' | 'code-server';

function log(line: string): void {
  process.stderr.write(`[test:extension] ${line}\n`);
}

async function main(): Promise<number> {
  const host = await chooseHost();
  log(`host: ${host}`);
  const scratch = mkdtempSync(path.join(tmpdir(), 'pulse-backup-ext-'));
  let server: TestServer | undefined;
  let stack: Stack | undefined;
  let s3: S3TestServer | undefined;
  try {
    server = await startServer();
    const started = server;
    await server.createDatabase(DATABASE);
    await server.loadSql(DATABASE, path.join(repositoryRoot, 'test', 'samples', 'factory.sql'));
    log(`PostgreSQL ${server.major} on ${server.host}:${server.port}, database ${DATABASE} loaded`);

    // Windows as people use it: one project folder, a multi-root workspace of two, and folders that open with sets or a Supabase project.
    const allScenarios: Scenario[] = [
      { name: 'one folder', workspace: makeWorkspace(scratch) },
      { name: 'multi-root', workspace: makeMultiRootWorkspace(scratch) },
      { name: 'supabase project', workspace: makeSupabaseWorkspace(scratch, server.port) },
      { name: 'folder with sets', workspace: makeWorkspaceWithSets(scratch, server) },
      { name: 'scheduled backups', workspace: () => makeScheduleWorkspace(scratch, started), secondWindow: 'secondWindow' },
    ];
    // PULSE_TEST_SCENARIOS="one folder" runs some of them (while working on one); CI runs all.
    const only = process.env.PULSE_TEST_SCENARIOS?.split(',')
      .map((name) => name.trim())
      .filter((name) => name !== '');
    const scenarios = only ? allScenarios.filter((scenario) => only.includes(scenario.name)) : allScenarios;
    await server.createDatabase(SECOND_DATABASE, { template: DATABASE });
    s3 = await startS3Server({ slowParts: SLOW_PARTS_MS });
    log(`S3 server (s3rver) at ${s3.endpoint}, bucket ${s3.bucket}`);
    const env: Record<string, string> = {
      PULSE_TEST_DB: JSON.stringify({ host: server.host, port: server.port, user: server.user, password: server.password, database: DATABASE, secondDatabase: SECOND_DATABASE }),
      // The tool --version cache goes to the scratch folder, not the user's cache.
      PULSE_BACKUP_CACHE_DIR: path.join(scratch, 'cache'),
      PULSE_TEST_S3: JSON.stringify({ endpoint: s3.endpoint, bucket: s3.bucket, accessKeyId: S3_ACCESS_KEY_ID, secretAccessKey: S3_SECRET_ACCESS_KEY }),
      // No keys but those stored with the command: no AWS variables, no shared files, no instance metadata.
      AWS_CONFIG_FILE: path.join(scratch, 'no-aws', 'config'),
      AWS_SHARED_CREDENTIALS_FILE: path.join(scratch, 'no-aws', 'credentials'),
      AWS_EC2_METADATA_DISABLED: 'true',
      ...Object.fromEntries(
        ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROFILE', 'AWS_ENDPOINT_URL', 'AWS_ENDPOINT_URL_S3'].map((name) => [name, '']),
      ),
      ...ambientPgVariables(server),
      ...testOrderVariable(),
    };
    // And a Supabase project whose database runs in the stack's container, where Docker runs.
    const unavailable = only && !only.includes('Supabase stack') ? 'not asked for in PULSE_TEST_SCENARIOS' : await stackUnavailableReason();
    if (unavailable) {
      log(`Supabase stack: skipped: the scenario needs a Docker engine and socat: ${unavailable}`);
    } else {
      scenarios.push({
        name: 'Supabase stack',
        workspace: () =>
          startStackProject(scratch, (started) => {
            stack = started;
          }),
      });
    }

    const codeServer = host === 'code-server' ? await ensureCodeServer({ log }) : undefined;
    const outcomes: string[] = [];
    let failed = 0;
    for (const [index, scenario] of scenarios.entries()) {
      let workspace: string;
      let scenarioEnv = env;
      try {
        ({ workspace, env: scenarioEnv } = await prepare(scenario, env));
      } catch (error) {
        const reason = `could not be set up: ${error instanceof Error ? error.message : String(error)}`;
        log(`${scenario.name}: ${reason}`);
        outcomes.push(`${scenario.name}: ${reason}`);
        failed += 1;
        continue;
      }
      log(`${scenario.name}: ${workspace}`);
      // The suite's reporter appends each failed test here (test/support/summaryReporter.cjs).
      const failuresFile = path.join(scratch, `failures-${index}.jsonl`);
      scenarioEnv = { ...scenarioEnv, PULSE_TEST_FAILURES_FILE: failuresFile };
      const code = codeServer
        ? await runSuiteInCodeServer({
            codeServer,
            extensionDevelopmentPath: repositoryRoot,
            extensionTestsPath: suitePath,
            workspaceFolder: workspace,
            env: scenarioEnv,
            timeoutMs: SUITE_TIMEOUT_MS,
            log,
            ...(scenario.secondWindow !== undefined ? { secondWindow: scenario.secondWindow } : {}),
          })
        : await runInElectron(workspace, scenarioEnv, path.join(scratch, `user-data-${scenarios.indexOf(scenario)}`));
      if (code !== 0) failed += 1;
      outcomes.push(describeOutcome(scenario.name, code, failuresFile));
    }
    // Said again at the very end, where a CI log's tail shows it: each window's result and the tests that failed in it.
    for (const outcome of outcomes) log(outcome);
    log(failed === 0 ? 'every scenario passed' : `${failed} of ${scenarios.length} scenarios failed`);
    return failed === 0 ? 0 : 1;
  } finally {
    await stack?.stop();
    await s3?.stop();
    await server?.stop();
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** One line per window: passed, or failed with each failed test's title and the first line of its error. */
function describeOutcome(name: string, code: number, failuresFile: string): string {
  const failures = existsSync(failuresFile)
    ? readFileSync(failuresFile, 'utf8')
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line) as { title: string; message: string })
    : [];
  if (code === 0 && failures.length === 0) return `${name}: passed`;
  if (failures.length === 0) return `${name}: failed (exit code ${code}, no test reported a failure: the window did not start or the suite did not load)`;
  return [`${name}: failed`, ...failures.map((failure) => `  ✗ ${failure.title}: ${failure.message}`)].join('\n[test:extension] ');
}

interface Scenario {
  name: string;
  /** The folder or .code-workspace file to open, made now or when its turn comes (with what the suite needs to know). */
  workspace: string | (() => Promise<{ workspace: string; env: Record<string, string> }>);
  /** A second window on the same folder runs this export of the suite (code-server host only). */
  secondWindow?: string;
}

/**
 * PULSE_TEST_ORDER=reverse|shuffle|shuffle:SEED runs each window's tests in
 * that order (test/extension/suite/order.ts); `shuffle` gets its seed here,
 * printed, so that every window uses it and a failing order can be repeated.
 */
function testOrderVariable(): Record<string, string> {
  const asked = process.env.PULSE_TEST_ORDER;
  if (asked === undefined || asked.trim() === '') return {};
  const order = parseTestOrder(asked);
  log(`test order: ${describeTestOrder(order)}`);
  return { PULSE_TEST_ORDER: order.kind === 'shuffle' ? `shuffle:${order.seed}` : order.kind };
}

async function prepare(scenario: Scenario, env: Record<string, string>): Promise<{ workspace: string; env: Record<string, string> }> {
  if (typeof scenario.workspace === 'string') return { workspace: scenario.workspace, env };
  const made = await scenario.workspace();
  return { workspace: made.workspace, env: { ...env, ...made.env } };
}

/**
 * The stack's PostgreSQL 17 in its container, the platform, the application's
 * migration and rows loaded, and a project folder pointing at it as
 * `supabase init` leaves one (not a git repository: no .gitignore offer).
 */
async function startStackProject(scratch: string, started: (stack: Stack) => void): Promise<{ workspace: string; env: Record<string, string> }> {
  const stack = await startStack({ projectId: STACK_PROJECT_ID, major: 17, log: (line) => log(`Supabase stack: ${line}`) });
  started(stack);
  await stack.loadPlatform();
  await stack.sqlFile(APP_MIGRATION, { user: 'postgres' });
  await stack.sqlFile(APP_DATA, { user: 'postgres' });
  const workspace = path.join(scratch, 'factory-pulse-supabase');
  mkdirSync(workspace);
  writeSupabaseProject(workspace, STACK_PROJECT_ID, stack);
  log(`Supabase stack: PostgreSQL ${stack.major} in ${stack.container}, published on 127.0.0.1:${stack.port}, platform loaded`);
  return {
    workspace,
    env: { PULSE_TEST_STACK: JSON.stringify({ container: stack.container, port: stack.port, major: stack.major, adminUrl: stack.url('supabase_admin') }) },
  };
}

/** factory-pulse/: a git repository (for the .gitignore offer) with a tasks.json using the task type. */
function makeWorkspace(scratch: string): string {
  const workspace = path.join(scratch, 'factory-pulse');
  mkdirSync(path.join(workspace, '.vscode'), { recursive: true });
  writeFileSync(
    path.join(workspace, '.vscode', 'tasks.json'),
    `${JSON.stringify({ version: '2.0.0', tasks: [{ type: 'pulse-backup', action: 'verify', label: 'verify latest', problemMatcher: [] }] }, null, 2)}\n`,
  );
  writeFileSync(path.join(workspace, 'README.md'), '# Factory Pulse\n');
  execFileSync('git', ['init', '-q', workspace]);
  return workspace;
}

/**
 * PULSE_TEST_AMBIENT_PG=1: code-server (and so the extension host) starts
 * with the PG* variables a psql user keeps in their shell, pointing at the
 * same server with a wrong password; the suites must pass the same.
 */
function ambientPgVariables(server: TestServer): Record<string, string> {
  if (process.env.PULSE_TEST_AMBIENT_PG !== '1') return {};
  log("with PGHOST, PGPORT, PGUSER and PGPASSWORD (a wrong one) in the extension host's environment");
  return { PGHOST: server.host, PGPORT: String(server.port), PGUSER: server.user, PGPASSWORD: 'ambient-wrong-password' };
}

/** plant-lisbon/: a Supabase project (supabase/config.toml) with no backups yet. */
function makeSupabaseWorkspace(scratch: string, port: number): string {
  const workspace = path.join(scratch, 'plant-lisbon');
  mkdirSync(path.join(workspace, 'supabase'), { recursive: true });
  writeFileSync(path.join(workspace, 'supabase', 'config.toml'), `project_id = "Plant Lisbon"\n\n[db]\nport = ${port}\nmajor_version = 15\n`);
  return workspace;
}

/** old-backups/: a plain folder whose backups folder already holds a set, made by the CLI before VS Code starts. */
function makeWorkspaceWithSets(scratch: string, server: TestServer): string {
  const workspace = path.join(scratch, 'old-backups');
  mkdirSync(workspace, { recursive: true });
  const url = `postgresql://${encodeURIComponent(server.user)}@${server.host}:${server.port}/${DATABASE}`;
  execFileSync(
    process.execPath,
    [path.join(repositoryRoot, 'dist', 'cli.js'), 'backup', '--db', url, '--dir', path.join(workspace, 'backups'), '--prefix', 'old_backups', '--compress', 'gzip'],
    {
      env: { ...process.env, PGPASSWORD: server.password, PULSE_BACKUP_CACHE_DIR: path.join(scratch, 'cache') },
      stdio: 'pipe',
    },
  );
  return workspace;
}

/**
 * night-shift/: a folder whose settings name its own copy of the sample
 * (the URL without its password; the password in the environment, as a
 * shell's PGPASSWORD), for pulseBackup.schedule and the guard.
 */
async function makeScheduleWorkspace(scratch: string, server: TestServer): Promise<{ workspace: string; env: Record<string, string> }> {
  const workspace = path.join(scratch, 'night-shift');
  mkdirSync(path.join(workspace, '.vscode'), { recursive: true });
  await server.createDatabase(SCHEDULE_DATABASE, { template: DATABASE });
  const url = `postgresql://${encodeURIComponent(server.user)}@${server.host}:${server.port}/${SCHEDULE_DATABASE}`;
  writeFileSync(path.join(workspace, '.vscode', 'settings.json'), `${JSON.stringify({ 'pulseBackup.connectionURL': url }, null, 2)}\n`);
  // The second window on the folder mirrors its extension's log there, for the first window's tests to read.
  return { workspace, env: { PGPASSWORD: server.password, PULSE_TEST_SCHEDULE_DB: SCHEDULE_DATABASE, PULSE_TEST_SECOND_WINDOW_LOG: path.join(scratch, 'second-window.log') } };
}

/** shop-floor.code-workspace: two folders, each with its own database and backups. */
function makeMultiRootWorkspace(scratch: string): string {
  const root = path.join(scratch, 'multi-root');
  for (const name of ['plant-berlin', 'plant-porto']) mkdirSync(path.join(root, name), { recursive: true });
  const file = path.join(root, 'shop-floor.code-workspace');
  writeFileSync(
    file,
    `${JSON.stringify(
      {
        folders: [{ path: 'plant-berlin' }, { path: 'plant-porto' }],
        tasks: { version: '2.0.0', tasks: [{ type: 'pulse-backup', action: 'verify', folder: 'plant-porto', label: 'verify porto', problemMatcher: [] }] },
      },
      null,
      2,
    )}\n`,
  );
  return file;
}

async function runInElectron(workspace: string, env: Record<string, string>, userDataDir: string): Promise<number> {
  const { runTests } = await import('@vscode/test-electron');
  try {
    await runTests({
      extensionDevelopmentPath: repositoryRoot,
      extensionTestsPath: suitePath,
      extensionTestsEnv: env,
      launchArgs: [workspace, '--disable-extensions', '--disable-workspace-trust', `--user-data-dir=${userDataDir}`],
    });
    return 0;
  } catch (error) {
    log(`the suite failed: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
}

async function chooseHost(): Promise<Host> {
  const asked = process.env.PULSE_BACKUP_TEST_HOST;
  if (asked === 'electron' || asked === 'code-server') return asked;
  if (asked) throw new Error(`PULSE_BACKUP_TEST_HOST must be "electron" or "code-server", not "${asked}"`);
  return (await canDownloadVsCode()) ? 'electron' : 'code-server';
}

/** True when VS Code's update server answers within a few seconds. */
function canDownloadVsCode(): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = request('https://update.code.visualstudio.com/api/releases/stable', { method: 'HEAD', timeout: 5000 }, (response) => {
      response.resume();
      resolve((response.statusCode ?? 500) < 500);
    });
    probe.on('timeout', () => probe.destroy());
    probe.on('error', () => resolve(false));
    probe.end();
  });
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    log(`could not run the extension tests: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  },
);
