/**
 * `npm run test:e2e`: Pulse Backup as a person meets it. The packaged
 * extension (.vsix) is installed into a fresh code-server (VS Code 1.100.3
 * from the npm registry), the project folder is opened in Debian's headless
 * chromium, and steps.ts clicks and types through the workbench against a
 * throwaway PostgreSQL server holding the Factory Pulse sample, asserting on
 * what the screen shows.
 *
 * Prints one line per step and a closing "N passed, N failed, N skipped";
 * exits 0 when every step passed. Screenshots (and code-server's log) go to
 * $E2E_SCREENSHOTS, by default test/.screenshots/. code-server, chromium and
 * PostgreSQL are stopped in every case: success, failure, timeout, SIGINT,
 * SIGTERM, SIGHUP.
 */
import { appendFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { Browser } from 'playwright-core';
import { startServer, type TestServer } from '../support/pgServer';
import { assertChromiumInstalled, launchChromium } from '../support/chromium';
import { CODE_SERVER_VERSION, ensureCodeServer, installExtensionIntoCodeServer, startCodeServer, type StartedCodeServer } from '../support/codeServer';
import { countRows, makeWorkspace, packageExtension, scriptTimestamp, urlWithoutPassword } from './fixtures';
import { writeOldScriptSet } from '../support/oldScript';
import { COUNTED_TABLES, STEPS, type Scenario } from './steps';
import { Workbench } from './workbench';

const repositoryRoot = path.resolve(__dirname, '..', '..');
const DATABASE = 'factory_pulse';
/** The whole run, a first code-server install included. */
const RUN_TIMEOUT_MS = 15 * 60_000;
const STEP_TIMEOUT_MS = 5 * 60_000;
const VIEWPORT = { width: 1280, height: 800 };

/** A clean screen: no Restricted Mode, no welcome page, tips, telemetry, update checks or port forwarding. */
const USER_SETTINGS: Record<string, unknown> = {
  'security.workspace.trust.enabled': false,
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'workbench.colorTheme': 'Default Dark Modern',
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'remote.autoForwardPorts': false,
  'git.enabled': false,
  'git.openRepositoryInParentFolders': 'never',
  'terminal.integrated.enablePersistentSessions': false,
  'terminal.integrated.showTerminalConfigPrompt': false,
  // xterm's DOM renderer: the terminal's text is then in the page, where the steps read it.
  'terminal.integrated.gpuAcceleration': 'off',
};

const screenshotsDir = process.env.E2E_SCREENSHOTS ? path.resolve(process.env.E2E_SCREENSHOTS) : path.join(repositoryRoot, 'test', '.screenshots');
const diagnosticsFile = path.join(screenshotsDir, 'e2e-diagnostics.log');

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

function diagnose(line: string): void {
  try {
    appendFileSync(diagnosticsFile, `${line}\n`);
  } catch {
    // diagnostics are best effort
  }
}

function seconds(since: number): string {
  return `${((Date.now() - since) / 1000).toFixed(1)} s`;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Everything started, stopped in reverse order once, whatever ends the run. */
class Teardown {
  private readonly stoppers: { what: string; stop: () => Promise<void> }[] = [];
  private readonly killers: (() => void)[] = [];
  private running: Promise<void> | undefined;

  add(what: string, stop: () => Promise<void>, killNow?: () => void): void {
    this.stoppers.push({ what, stop });
    if (killNow) this.killers.push(killNow);
  }

  run(): Promise<void> {
    this.running ??= (async () => {
      for (const { what, stop } of this.stoppers.reverse()) {
        try {
          await withTimeout(stop(), 40_000, `stopping ${what}`);
        } catch (error) {
          say(`warning: ${describe(error)}`);
        }
      }
    })();
    return this.running;
  }

  /** From a process 'exit' handler: no waiting possible. */
  killNow(): void {
    for (const kill of this.killers) kill();
  }
}

async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${Math.round(ms / 1000)} s`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

interface Tally {
  passed: number;
  failed: number;
  skipped: number;
}

async function main(teardown: Teardown, tally: Tally): Promise<void> {
  const started = Date.now();
  mkdirSync(screenshotsDir, { recursive: true });
  // This run's pictures only: an old failure's screenshot would mislead.
  for (const name of readdirSync(screenshotsDir)) {
    if (/^(\d\d-[\w-]+|step-\d+-failed)\.png$/.test(name)) rmSync(path.join(screenshotsDir, name), { force: true });
  }
  writeFileSync(diagnosticsFile, '');
  // The database and its password reach the extension through the folder settings and
  // Configure Connection; what the shell has (PGHOST, PGPASSWORD, DATABASE_URL) stays in
  // code-server's environment, as for a person who uses psql: configured wins over it.

  let scenario: Scenario;
  try {
    scenario = await setUp(teardown);
  } catch (error) {
    say(`✘ setup: ${describe(error)}`);
    tally.failed += 1;
    tally.skipped += STEPS.length;
    return;
  }
  say(`setup done in ${seconds(started)}`);

  const outcome = new Map<number, 'passed' | 'failed' | 'skipped'>();
  let timedOut = false;
  for (const [index, step] of STEPS.entries()) {
    if (runOver) return;
    const number = index + 1;
    const heading = `${number}/${STEPS.length} ${step.title}`;
    const missing = step.needs.filter((needed) => outcome.get(needed) !== 'passed');
    if (timedOut || missing.length > 0) {
      outcome.set(number, 'skipped');
      tally.skipped += 1;
      say(`- ${heading}: skipped (${timedOut ? 'an earlier step timed out' : `needs step ${missing.join(', ')}`})`);
      continue;
    }
    const stepStarted = Date.now();
    try {
      await withTimeout(step.run(scenario), STEP_TIMEOUT_MS, `step ${number}`);
      outcome.set(number, 'passed');
      tally.passed += 1;
      say(`✔ ${heading} (${seconds(stepStarted)})`);
    } catch (error) {
      // Stopped from outside: what failed now failed because everything was being shut down.
      if (runOver) return;
      outcome.set(number, 'failed');
      tally.failed += 1;
      timedOut = /took longer than/.test(describe(error));
      say(`✘ ${heading} (${seconds(stepStarted)})`);
      say(`    ${describe(error).split('\n').join('\n    ')}`);
      await scenario.workbench.screenshot(`step-${number}-failed`).catch(() => undefined);
    }
  }
  say(`steps done in ${seconds(started)}; screenshots in ${path.relative(process.cwd(), screenshotsDir) || '.'}`);
}

async function setUp(teardown: Teardown): Promise<Scenario> {
  await assertChromiumInstalled();
  const codeServer = await ensureCodeServer({
    log: (line) => {
      diagnose(`[install] ${line}`);
      if (/^(installing|code-server .* installed|waiting for another)/.test(line)) say(line);
    },
  });

  let phase = Date.now();
  const scratch = mkdtempSync(path.join(tmpdir(), 'pulse-backup-e2e-'));
  teardown.add('the scratch folder', () => {
    rmSync(scratch, { recursive: true, force: true });
    return Promise.resolve();
  });
  const vsix = await packageExtension(repositoryRoot, scratch);
  say(`packaged the extension (${seconds(phase)})`);

  phase = Date.now();
  const server: TestServer = await startServer();
  teardown.add('PostgreSQL', () => server.stop());
  await server.createDatabase(DATABASE);
  await server.loadSql(DATABASE, path.join(repositoryRoot, 'test', 'samples', 'factory.sql'));
  const rowCounts = await countRows(server, DATABASE, COUNTED_TABLES);
  const connectionUrl = urlWithoutPassword(server, DATABASE);
  const workspace = makeWorkspace(scratch, connectionUrl);
  const backupsFolder = path.join(workspace, 'backups');
  // Three weeks old, made by the old script's three pg_dump runs; copied into the backups folder by step 6.
  const oldScriptTimestamp = scriptTimestamp(new Date(Date.now() - 21 * 24 * 3_600_000));
  const oldScriptFiles = await writeOldScriptSet(server, DATABASE, path.join(scratch, 'old-script'), 'factory_pulse', oldScriptTimestamp);
  say(`PostgreSQL ${server.major} on ${server.host}:${server.port} with the Factory Pulse sample in ${DATABASE} (${seconds(phase)})`);

  phase = Date.now();
  const userDataDir = path.join(scratch, 'user-data');
  const extensionsDir = path.join(scratch, 'extensions');
  await installExtensionIntoCodeServer({ codeServer, vsix, userDataDir, extensionsDir, log: (line) => diagnose(`[install-extension] ${line}`) });
  const running: StartedCodeServer = await startCodeServer({
    codeServer,
    userDataDir,
    extensionsDir,
    userSettings: USER_SETTINGS,
    cwd: workspace,
    // The extension's tool-version cache goes to the scratch folder, not the user's cache.
    env: { PULSE_BACKUP_CACHE_DIR: path.join(scratch, 'cache'), ...ambientPgVariables(server) },
    startTimeoutMs: 60_000,
    log: (line) => diagnose(`[code-server] ${line}`),
  });
  teardown.add(
    'code-server',
    () => running.stop(),
    () => running.killNow(),
  );

  const browser: Browser = await launchChromium({ scratchDir: scratch });
  teardown.add('chromium', () => browser.close());
  const page = await browser.newPage({ viewport: VIEWPORT });
  page.on('pageerror', (error) => diagnose(`[page error] ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') diagnose(`[page console] ${message.text()}`);
  });
  await page.goto(running.workbenchUrl(workspace), { timeout: 60_000 });
  const workbench = new Workbench(page, screenshotsDir, (line) => diagnose(`[workbench] ${line}`));
  await workbench.waitUntilReady(60_000);
  say(`code-server ${CODE_SERVER_VERSION} with the packaged extension, factory-pulse open in chromium (${seconds(phase)})`);

  return {
    workbench,
    server,
    database: DATABASE,
    workspace,
    backupsFolder,
    connectionUrl,
    oldScriptFiles,
    oldScriptTimestamp,
    rowCounts,
  };
}

/**
 * PULSE_TEST_AMBIENT_PG=1: code-server starts with the PG* variables a psql
 * user keeps in their shell, pointing at the same server with a wrong
 * password; every step must pass the same.
 */
function ambientPgVariables(server: TestServer): Record<string, string> {
  if (process.env.PULSE_TEST_AMBIENT_PG !== '1') return {};
  say("with PGHOST, PGPORT, PGUSER and PGPASSWORD (a wrong one) in code-server's environment");
  return { PGHOST: server.host, PGPORT: String(server.port), PGUSER: server.user, PGPASSWORD: 'ambient-wrong-password' };
}

/** The closing line CI reads, and the exit code. */
function finish(tally: Tally, started: number): void {
  if (tally.failed > 0) say(`code-server's log and the page's errors: ${diagnosticsFile}`);
  say(`${tally.passed} passed, ${tally.failed} failed, ${tally.skipped} skipped (${seconds(started)})`);
  process.exitCode = tally.failed === 0 && tally.passed === STEPS.length ? 0 : 1;
}

/** Set on SIGINT, SIGTERM or SIGHUP and when the run takes too long: no further step starts. */
let runOver = false;
let interruptedBy: NodeJS.Signals | undefined;
const teardown = new Teardown();
const tally: Tally = { passed: 0, failed: 0, skipped: 0 };
const runStarted = Date.now();

function onExit(): void {
  teardown.killNow();
}
process.on('exit', onExit);

const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
function onSignal(signal: NodeJS.Signals): void {
  if (interruptedBy !== undefined) {
    teardown.killNow();
    return;
  }
  interruptedBy = signal;
  runOver = true;
  say(`${signal}: stopping code-server, chromium and PostgreSQL`);
  void teardown.run().finally(() => {
    say(`interrupted by ${signal}: ${tally.passed} passed, ${tally.failed} failed before it`);
    for (const name of signals) process.removeListener(name, onSignal);
    process.kill(process.pid, signal);
  });
}
// Registered before PostgreSQL's own handlers, and kept until the teardown is
// done: pgServer re-raises a signal only when no other listener is left.
for (const signal of signals) process.on(signal, onSignal);

void (async () => {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      runOver = true;
      say(`✘ the run took longer than ${RUN_TIMEOUT_MS / 60_000} minutes`);
      tally.failed += 1;
      resolve();
    }, RUN_TIMEOUT_MS);
  });
  try {
    await Promise.race([main(teardown, tally), timedOut]);
  } catch (error) {
    say(`✘ ${describe(error)}`);
    tally.failed += 1;
  } finally {
    clearTimeout(timer);
    await teardown.run();
    finish(tally, runStarted);
  }
  // A step still waiting after a timeout must not keep the process alive.
  if (process.exitCode !== 0) setTimeout(() => process.exit(), 1000).unref();
})();
