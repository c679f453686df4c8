// Runs a mocha suite inside the extension host of a REAL VS Code that works
// offline: code-server 4.100.3 (VS Code 1.100.3, from the npm registry),
// opened by Debian's headless chromium through playwright-core.
//
// @vscode/test-electron downloads VS Code from Microsoft's servers at test
// time, which these machines cannot reach; this module is its offline twin.
// The contract is test-electron's: the extension under test is loaded as a
// development extension (`--extensionDevelopmentPath`), and the extension host
// loads the CommonJS module `--extensionTestsPath` and awaits its `run()`;
// the run's exit code is 0 when run() resolved and 1 when it rejected.
//
// How (checked with code-server 4.100.3):
// - code-server's own CLI refuses `--extensionDevelopmentPath=` ("Unknown
//   option"), but VS Code's web workbench reads the same two settings from
//   the `payload` query parameter of its URL (as @vscode/test-web uses it):
//     /?folder=F&payload=[["extensionDevelopmentPath","vscode-remote://127.0.0.1:PORT/abs/ext"],
//                         ["extensionTestsPath","vscode-remote://127.0.0.1:PORT/abs/runner.cjs"]]
//   The workbench hands both to code-server's (Node) extension host, which
//   loads the extension from its folder, no packaging or installing, and runs
//   the tests exactly as under test-electron. When they end, the workbench
//   calls `window.codeAutomationExit(code)`, which this module exposes to the
//   page with playwright.
// - `require('vscode')` is answered per requiring file: the extension host
//   hands the API object of the extension whose folder holds that file. So
//   keep the suite module and its test files inside the extension's folder
//   (e.g. <repo>/out/test/...): they then get the very API object the
//   extension under test got (checked: identical objects).
// - Output: the extension host forwards `console.*` to the workbench over
//   RPC, mixed there with the workbench's own log lines. Instead, the
//   extensionTestsPath given to VS Code is a small generated runner
//   (runner.cjs in the run's temp folder) that, before it requires the suite,
//   replaces the extension host's global `console` with one writing
//   synchronously to a file (VS Code also turns process.stdout/stderr writes
//   into console calls, so those land there as well). This module copies that
//   file to its own stdout as it grows. So mocha's reporter output (and what
//   the extension logs with console.* while the tests run) reaches stdout in
//   order and completely. The suite needs no cooperation and no env var.
//   (What the extension host printed before the tests began, e.g. during
//   start-up activations, went the RPC way: it is among the diagnostics.)
// - The extension host inherits code-server's environment: `env` is added to
//   it. Inherited variables that would steer code-server itself are dropped:
//   VSCODE_* (from a VS Code terminal, VSCODE_IPC_HOOK_CLI would hand the
//   folder to that VS Code), ELECTRON_RUN_AS_NODE, PORT (overrides
//   --bind-addr), PASSWORD, HASHED_PASSWORD and CODE_SERVER_*.
// - Built-in extensions (git, ...) run too: code-server has no
//   --disable-extensions. Installed extensions: none (a fresh extensions-dir).
// - Each run gets a fresh user-data-dir and extensions-dir under a temp
//   folder, a free port on 127.0.0.1, `--auth none`, no telemetry, no update
//   check, and settings with workspace trust off (no Restricted Mode).
//   code-server and chromium are killed at the end in all cases: success,
//   failure, timeout, SIGINT/SIGTERM/SIGHUP (after which the signal is raised
//   again) and process exit.
// - Diagnostics (code-server's output, the workbench's log and errors) go to
//   `log` when given; otherwise the last lines are printed to stderr when a
//   run fails.
//
// Installing: ensureCodeServer() installs code-server on demand into
// <repo>/.vscode-test/code-server-4.100.3/ (ignored by git), like
// test-electron's .vscode-test/ cache. It needs Debian packages that
// scripts/install-vscode-test-deps.sh installs (as root, once per machine).
// npm 11 asks dependencies' install scripts to be approved (11.19 still runs
// unapproved ones, with a warning; stricter npm blocks them): the cache
// folder's package.json approves code-server's and argon2's, and the nested
// `npm install` that code-server's postinstall runs in lib/vscode reads its
// approvals from a lib/vscode/.npmrc written between two steps
// (`npm install --ignore-scripts`, then `npm rebuild`). An `allow-scripts`
// env var or global npmrc cannot do it: npm hands its config to the nested
// npm as env vars, and a project install then fails with EALLOWSCRIPTS.

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { access, constants, mkdir, mkdtemp, open, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import http from 'node:http';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { format } from 'node:util';
import type { Browser } from 'playwright-core';
import { assertChromiumInstalled, launchChromium, VSCODE_TEST_DEPS_SCRIPT } from './chromium';

export const CODE_SERVER_VERSION = '4.100.3';

/** The npm package that code-server's postinstall downloads ripgrep with, and the ripgrep build it wants. */
const RIPGREP_PACKAGE_VERSION = '1.15.11';
const RIPGREP_TAG = 'v13.0.0-10';

/** Dependencies of code-server's lib/vscode whose install scripts build what the server needs on Linux. */
const VSCODE_SCRIPTS_ALLOWED = ['@parcel/watcher', '@vscode/deviceid', '@vscode/ripgrep', '@vscode/spdlog', 'kerberos', 'native-watchdog', 'node-pty'];

/** The nearest folder above this file with a package.json: the repository (also when this file is bundled elsewhere in it). */
function repositoryRoot(): string {
  for (let dir = __dirname; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
  }
  return process.cwd();
}

const DEFAULT_CACHE_DIR = path.join(repositoryRoot(), '.vscode-test', `code-server-${CODE_SERVER_VERSION}`);
const MARKER_FILE = '.installed.json';

type Log = (line: string) => void;

export interface EnsureCodeServerOptions {
  /** Where to install. Default: <repo>/.vscode-test/code-server-4.100.3. */
  cacheDir?: string;
  /** Progress and npm's output, line by line. Default: nothing. */
  log?: (line: string) => void;
}

export interface RunSuiteInCodeServerOptions {
  /** The code-server executable, as returned by ensureCodeServer(). */
  codeServer: string;
  /** The extension under test: a folder with package.json (and its main, e.g. dist/extension.js). */
  extensionDevelopmentPath: string;
  /** A CommonJS module exporting `run(): Promise<void>`, which rejects when tests fail. */
  extensionTestsPath: string;
  /** The folder the workbench opens, or a multi-root workspace file (`*.code-workspace`). */
  workspaceFolder: string;
  /** Added to the extension host's environment. */
  env: Record<string, string>;
  /** For the whole run, from starting code-server to the suite's end. */
  timeoutMs: number;
  /** Diagnostics: code-server's output, the workbench's log and errors. */
  log?: (line: string) => void;
  /**
   * Opens a second window on the same folder, as a person with two windows
   * has it: its extension host loads the extension too, and runs the
   * function the suite module exports under this name, which must never
   * resolve (the second window only watches; the first one's suite decides
   * the outcome).
   */
  secondWindow?: string;
}

interface InstalledMarker {
  codeServer: string;
  /** Native modules are built for one Node ABI. */
  nodeModules: string;
  platform: string;
}

function expectedMarker(): InstalledMarker {
  return { codeServer: CODE_SERVER_VERSION, nodeModules: process.versions.modules, platform: `${process.platform}-${process.arch}` };
}

function codeServerEntry(cacheDir: string): string {
  return path.join(cacheDir, 'node_modules', 'code-server', 'out', 'node', 'entry.js');
}

async function isInstalled(cacheDir: string): Promise<boolean> {
  try {
    const marker = JSON.parse(await readFile(path.join(cacheDir, MARKER_FILE), 'utf8')) as Partial<InstalledMarker>;
    const expected = expectedMarker();
    if (marker.codeServer !== expected.codeServer || marker.nodeModules !== expected.nodeModules || marker.platform !== expected.platform) return false;
    await access(codeServerEntry(cacheDir), constants.R_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Installs code-server 4.100.3 into the cache folder unless a complete install
 * is there already (a marker file is written only after a successful install;
 * anything else is wiped and installed anew). Returns its bin script
 * (out/node/entry.js, a Node script). Fails with one line naming
 * scripts/install-vscode-test-deps.sh when a Debian package it needs is missing.
 */
export async function ensureCodeServer(options: EnsureCodeServerOptions = {}): Promise<string> {
  const cacheDir = path.resolve(options.cacheDir ?? DEFAULT_CACHE_DIR);
  const log: Log = options.log ?? (() => undefined);
  if (await isInstalled(cacheDir)) return codeServerEntry(cacheDir);
  if (process.platform !== 'linux' || (process.arch !== 'x64' && process.arch !== 'arm64')) {
    throw new Error(`installing code-server for the extension tests is set up for Linux x64/arm64 only, not ${process.platform}-${process.arch}`);
  }
  if (process.versions.node.split('.')[0] !== '20') {
    throw new Error(`code-server ${CODE_SERVER_VERSION} needs Node 20, this is Node ${process.versions.node}`);
  }
  const rg = checkSystemDependencies();
  await withLock(`${cacheDir}.lock`, log, async () => {
    if (await isInstalled(cacheDir)) return; // another process installed it meanwhile
    await install(cacheDir, rg, log);
  });
  return codeServerEntry(cacheDir);
}

function findOnPath(command: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir === '') continue;
    const candidate = path.join(dir, command);
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

/** Returns ripgrep's path; throws one line naming the deps script when something is missing. */
function checkSystemDependencies(): string {
  const missing: string[] = [];
  if (!existsSync('/usr/include/gssapi/gssapi.h')) missing.push('libkrb5-dev (Kerberos headers for the kerberos module)');
  const rg = findOnPath('rg');
  if (rg === undefined) missing.push('ripgrep (rg replaces the ripgrep download)');
  if (findOnPath('make') === undefined || findOnPath('g++') === undefined) missing.push('build-essential (node-gyp builds native modules)');
  if (findOnPath('python3') === undefined) missing.push('python3 (for node-gyp)');
  if (rg === undefined || missing.length > 0) {
    throw new Error(`code-server cannot be installed, missing: ${missing.join(', ')}; run \`sudo bash ${VSCODE_TEST_DEPS_SCRIPT}\``);
  }
  return rg;
}

async function withLock(lockDir: string, log: Log, body: () => Promise<void>): Promise<void> {
  await mkdir(path.dirname(lockDir), { recursive: true });
  const ownerFile = path.join(lockDir, 'pid');
  for (let waited = 0; ; waited += 1) {
    try {
      await mkdir(lockDir);
      await writeFile(ownerFile, String(process.pid));
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    if (await isStaleLock(lockDir, ownerFile)) {
      await rm(lockDir, { recursive: true, force: true });
      continue;
    }
    if (waited % 30 === 0) log(`waiting for another process installing code-server (${lockDir})`);
    await sleep(1000);
  }
  try {
    await body();
  } finally {
    await rm(lockDir, { recursive: true, force: true });
  }
}

async function isStaleLock(lockDir: string, ownerFile: string): Promise<boolean> {
  try {
    const pid = Number((await readFile(ownerFile, 'utf8')).trim());
    if (!Number.isInteger(pid) || pid <= 0) throw new Error('no pid');
    try {
      process.kill(pid, 0);
      return false;
    } catch (error) {
      return (error as NodeJS.ErrnoException).code === 'ESRCH';
    }
  } catch {
    // No owner written (yet): stale only when old.
    try {
      return Date.now() - (await stat(lockDir)).mtimeMs > 60_000;
    } catch {
      return false;
    }
  }
}

function npmEnvironment(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    // `npm run` exports its own package's settings; none of them is for this install.
    if (/^npm_(package_|lifecycle_)/i.test(key) || key === 'INIT_CWD') continue;
    if (
      /^npm_config_(local_prefix|global_prefix|prefix|global|location|ignore_scripts|allow_scripts|dangerously_allow_all_scripts|workspaces?|include_workspace_root|dry_run|omit|include|production)$/i.test(
        key,
      )
    )
      continue;
    env[key] = value;
  }
  // node-gyp is fetched by npx in install scripts: without a prompt.
  env.npm_config_yes = 'true';
  // code-server's postinstall.sh refuses to run as root without it.
  env.npm_config_unsafe_perm = 'true';
  env.npm_config_audit = 'false';
  env.npm_config_fund = 'false';
  env.npm_config_update_notifier = 'false';
  // node-gyp would download Node's headers; use the installed ones when there are.
  const nodePrefix = path.dirname(path.dirname(process.execPath));
  if (env.npm_config_nodedir === undefined && existsSync(path.join(nodePrefix, 'include', 'node', 'common.gypi'))) {
    env.npm_config_nodedir = nodePrefix;
  }
  return env;
}

function runLogged(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv, log: Log): Promise<void> {
  return new Promise((resolve, reject) => {
    const tail: string[] = [];
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const onLine = (line: string): void => {
      tail.push(line);
      if (tail.length > 40) tail.shift();
      log(line);
    };
    lineReader(child.stdout, onLine);
    lineReader(child.stderr, onLine);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`\`${command} ${args.join(' ')}\` in ${cwd} failed (${signal ?? `exit ${String(code)}`}):\n${tail.join('\n')}`));
    });
  });
}

function lineReader(stream: NodeJS.ReadableStream | null, onLine: (line: string) => void): void {
  if (stream === null) return;
  let pending = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    pending += chunk;
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) onLine(line.replace(/\r$/, ''));
  });
  stream.on('end', () => {
    if (pending !== '') onLine(pending);
  });
}

function ripgrepTarget(): string {
  return process.arch === 'arm64' ? 'aarch64-unknown-linux-musl' : 'x86_64-unknown-linux-musl';
}

/**
 * @vscode/ripgrep's postinstall downloads ripgrep from GitHub unless its cache
 * holds the archive: put one there that holds Debian's rg.
 */
async function prepareRipgrepCache(rg: string, packageVersion: string, log: Log): Promise<void> {
  const cacheDir = path.join(os.tmpdir(), `vscode-ripgrep-cache-${packageVersion}`);
  const archive = path.join(cacheDir, `ripgrep-${RIPGREP_TAG}-${ripgrepTarget()}.tar.gz`);
  await mkdir(cacheDir, { recursive: true });
  const staging = await mkdtemp(path.join(os.tmpdir(), 'rg-archive-'));
  try {
    const rgCopy = path.join(staging, 'rg');
    await writeFile(rgCopy, await readFile(rg), { mode: 0o755 });
    const partial = `${archive}.${process.pid}.partial`;
    await runLogged('tar', ['-czf', partial, '-C', staging, 'rg'], staging, process.env, log);
    await rename(partial, archive);
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  log(`ripgrep cache: ${archive} holds ${rg}`);
}

async function install(cacheDir: string, rg: string, log: Log): Promise<void> {
  const started = Date.now();
  log(`installing code-server ${CODE_SERVER_VERSION} into ${cacheDir}`);
  await rm(cacheDir, { recursive: true, force: true });
  await mkdir(cacheDir, { recursive: true });
  const packageJson = {
    name: 'vscode-test-code-server',
    private: true,
    description: 'code-server for the extension tests, installed on demand by test/support/codeServer.ts',
    dependencies: { 'code-server': CODE_SERVER_VERSION },
    // npm 11 runs dependency install scripts only when approved here.
    // (npm 11.19 still runs unapproved ones, with a warning; later npm blocks them.)
    allowScripts: { 'code-server': true, argon2: true },
  };
  await writeFile(path.join(cacheDir, 'package.json'), `${JSON.stringify(packageJson, null, 2)}\n`);
  const env = npmEnvironment();

  // 1. Fetch everything, running nothing yet.
  await runLogged('npm', ['install', '--ignore-scripts', '--no-audit', '--no-fund'], cacheDir, env, log);

  // 2. Approve the install scripts of lib/vscode's dependencies for the nested
  //    `npm install` that code-server's postinstall runs there.
  const vscodeDir = path.join(cacheDir, 'node_modules', 'code-server', 'lib', 'vscode');
  await writeFile(path.join(vscodeDir, '.npmrc'), `allow-scripts=${VSCODE_SCRIPTS_ALLOWED.join(',')}\n`);
  await prepareRipgrepCache(rg, await ripgrepPackageVersion(vscodeDir), log);

  // 3. Run the install scripts: argon2's build, code-server's postinstall.
  await runLogged('npm', ['rebuild', '--foreground-scripts'], cacheDir, env, log);

  for (const built of [
    'node_modules/code-server/lib/vscode/node_modules/@vscode/ripgrep/bin/rg',
    'node_modules/code-server/lib/vscode/node_modules/kerberos/build/Release/kerberos.node',
    'node_modules/code-server/lib/vscode/node_modules/node-pty/build/Release/pty.node',
    'node_modules/code-server/lib/vscode/node_modules/@vscode/spdlog/build/Release/spdlog.node',
    'node_modules/argon2/lib/binding/napi-v3/argon2.node',
  ]) {
    if (!existsSync(path.join(cacheDir, built))) throw new Error(`code-server install incomplete: ${built} was not built (see the npm output above)`);
  }
  await writeFile(path.join(cacheDir, MARKER_FILE), `${JSON.stringify(expectedMarker(), null, 2)}\n`);
  log(`code-server ${CODE_SERVER_VERSION} installed in ${Math.round((Date.now() - started) / 1000)} s`);
}

async function ripgrepPackageVersion(vscodeDir: string): Promise<string> {
  try {
    const shrinkwrap = JSON.parse(await readFile(path.join(vscodeDir, 'npm-shrinkwrap.json'), 'utf8')) as {
      packages?: Record<string, { version?: string }>;
    };
    return shrinkwrap.packages?.['node_modules/@vscode/ripgrep']?.version ?? RIPGREP_PACKAGE_VERSION;
  } catch {
    return RIPGREP_PACKAGE_VERSION;
  }
}

// ---------------------------------------------------------------------------
// Running a suite

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A timeout to race against: does not keep the process alive. */
function grace(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('no free port on 127.0.0.1'))));
    });
  });
}

function httpOk(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const request = http.get(url, { timeout: 2000 }, (response) => {
      response.resume();
      resolve(response.statusCode === 200);
    });
    request.on('timeout', () => request.destroy());
    request.on('error', () => resolve(false));
  });
}

/** A vscode-remote URI for a path on this machine, which serves as code-server's remote. */
function remoteUri(authority: string, fsPath: string): string {
  return `vscode-remote://${authority}${pathToFileURL(fsPath).pathname}`;
}

/** The extensionTestsPath handed to VS Code: redirects console output to a file, then runs the suite. */
function runnerSource(suitePath: string, outputFile: string): string {
  return `'use strict';
// Generated by test/support/codeServer.ts for one run.
const fs = require('fs');
const { Writable } = require('stream');
const { Console } = require('console');
const fd = fs.openSync(${JSON.stringify(outputFile)}, 'a');
const sink = new Writable({
  write(chunk, _encoding, callback) {
    try { fs.writeSync(fd, chunk); callback(); } catch (error) { callback(error); }
  },
});
globalThis.console = new Console({ stdout: sink, stderr: sink });
exports.run = async function run() {
  const suite = require(${JSON.stringify(suitePath)});
  if (typeof suite.run !== 'function') {
    throw new Error(${JSON.stringify(`${suitePath} exports no run() function`)});
  }
  await suite.run();
};
`;
}

/** The extensionTestsPath of a second window: runs one named export of the suite module, which does not end. */
function secondWindowSource(suitePath: string, exportName: string, outputFile: string): string {
  return `'use strict';
// Generated by test/support/codeServer.ts for one run.
const fs = require('fs');
exports.run = async function run() {
  const suite = require(${JSON.stringify(suitePath)});
  try {
    await suite[${JSON.stringify(exportName)}]();
  } catch (error) {
    fs.appendFileSync(${JSON.stringify(outputFile)}, '[second window] ' + (error && error.stack ? error.stack : String(error)) + '\\n');
  }
  await new Promise(() => undefined);
};
`;
}

/** Copies what is appended to a file to this process's stdout. */
class FileRelay {
  private offset = 0;
  private timer: NodeJS.Timeout | undefined;
  private busy: Promise<void> = Promise.resolve();

  constructor(private readonly file: string) {}

  start(): void {
    this.timer = setInterval(() => {
      this.busy = this.busy.then(() => this.pump());
    }, 100);
  }

  async stop(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    await this.busy;
    await this.pump();
  }

  private async pump(): Promise<void> {
    let handle;
    try {
      handle = await open(this.file, 'r');
    } catch {
      return;
    }
    try {
      const buffer = Buffer.alloc(64 * 1024);
      for (;;) {
        const { bytesRead } = await handle.read(buffer, 0, buffer.length, this.offset);
        if (bytesRead === 0) break;
        this.offset += bytesRead;
        process.stdout.write(Buffer.from(buffer.subarray(0, bytesRead)));
      }
    } finally {
      await handle.close();
    }
  }
}

/** Inherited variables that would change what code-server does (PORT overrides --bind-addr, ...). */
const CODE_SERVER_VARIABLES = new Set([
  'ELECTRON_RUN_AS_NODE',
  'PORT',
  'PASSWORD',
  'HASHED_PASSWORD',
  'CODE_SERVER_HOST',
  'CODE_SERVER_CONFIG',
  'CODE_SERVER_PARENT_PID',
  'CODE_SERVER_SESSION_SOCKET',
]);

function childEnvironment(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (key.startsWith('VSCODE_') || CODE_SERVER_VARIABLES.has(key)) continue;
    env[key] = value;
  }
  return { ...env, ...extra };
}

async function isNodeScript(file: string): Promise<boolean> {
  if (file.endsWith('.js') || file.endsWith('.cjs') || file.endsWith('.mjs')) return true;
  const handle = await open(file, 'r');
  try {
    const buffer = Buffer.alloc(128);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    const firstLine = buffer.subarray(0, bytesRead).toString('utf8').split('\n')[0] ?? '';
    return firstLine.startsWith('#!') && firstLine.includes('node');
  } finally {
    await handle.close();
  }
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal); // code-server runs detached: its own process group
  } catch {
    try {
      child.kill(signal);
    } catch {
      // already gone
    }
  }
}

async function stopCodeServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) {
    killGroup(child, 'SIGKILL'); // its extension host and helpers may outlive it
    return;
  }
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  killGroup(child, 'SIGTERM');
  const gone = await Promise.race([exited.then(() => true), grace(5000).then(() => false)]);
  // The group may hold helpers (extension host, pty host) still: always finish it.
  try {
    if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
  } catch {
    // the group is gone
  }
  if (!gone) await Promise.race([exited, grace(2000)]);
}

type Outcome = { kind: 'exit'; code: number } | { kind: 'failure'; reason: string };

/**
 * Runs the suite at extensionTestsPath in code-server's extension host with
 * the extension at extensionDevelopmentPath loaded and workspaceFolder open.
 * Returns 0 when the suite's run() resolved, 1 when it rejected or threw, the
 * run timed out or VS Code failed. The suite's console output goes to stdout.
 */
export async function runSuiteInCodeServer(options: RunSuiteInCodeServerOptions): Promise<number> {
  const started = Date.now();
  const deadline = started + options.timeoutMs;
  const diagnostics: string[] = [];
  const note = (text: string): void => {
    // One call per line, so that a log function prefixing lines marks them all.
    const [first = '', ...rest] = text.replace(/\s+$/, '').split(/\r?\n/);
    const prefix = /^\[[^\]]*\] /.exec(first)?.[0] ?? '';
    for (const line of [first, ...rest.map((more) => `${prefix}${more}`)]) {
      diagnostics.push(line);
      if (diagnostics.length > 300) diagnostics.shift();
      options.log?.(line);
    }
  };

  const extensionDevelopmentPath = path.resolve(options.extensionDevelopmentPath);
  const extensionTestsPath = path.resolve(options.extensionTestsPath);
  const workspaceFolder = path.resolve(options.workspaceFolder);
  for (const [what, file] of [
    ['codeServer', options.codeServer],
    ['extensionDevelopmentPath', path.join(extensionDevelopmentPath, 'package.json')],
    ['extensionTestsPath', extensionTestsPath],
    ['workspaceFolder', workspaceFolder],
  ] as const) {
    if (!existsSync(file)) throw new Error(`runSuiteInCodeServer: ${what}: ${file} does not exist`);
  }
  await assertChromiumInstalled();

  const runDir = await mkdtemp(path.join(os.tmpdir(), 'vscode-test-code-server-'));
  const userDataDir = path.join(runDir, 'user-data');
  const extensionsDir = path.join(runDir, 'extensions');
  const outputFile = path.join(runDir, 'output.log');
  const runnerFile = path.join(runDir, 'runner.cjs');
  const configFile = path.join(runDir, 'config.yaml');
  await mkdir(path.join(userDataDir, 'User'), { recursive: true });
  await mkdir(extensionsDir, { recursive: true });
  await writeFile(
    path.join(userDataDir, 'User', 'settings.json'),
    `${JSON.stringify(
      {
        'security.workspace.trust.enabled': false,
        'workbench.startupEditor': 'none',
        'extensions.autoCheckUpdates': false,
        'extensions.autoUpdate': false,
        'telemetry.telemetryLevel': 'off',
      },
      null,
      2,
    )}\n`,
  );
  // Without --config, code-server writes ~/.config/code-server/config.yaml.
  await writeFile(configFile, 'auth: none\ncert: false\n');
  await writeFile(outputFile, '');
  await writeFile(runnerFile, runnerSource(extensionTestsPath, outputFile));
  const secondRunnerFile = path.join(runDir, 'second-window.cjs');
  if (options.secondWindow !== undefined) await writeFile(secondRunnerFile, secondWindowSource(extensionTestsPath, options.secondWindow, outputFile));

  const relay = new FileRelay(outputFile);
  let codeServer: ChildProcess | undefined;
  let browser: Browser | undefined;
  let cleaned: Promise<void> | undefined;
  let finished = false; // set when cleaning up: drive() then starts nothing more
  const cleanup = (): Promise<void> => {
    finished = true;
    cleaned ??= (async () => {
      await relay.stop().catch(() => undefined);
      if (browser !== undefined) await Promise.race([browser.close().catch(() => undefined), grace(5000)]);
      if (codeServer !== undefined) await stopCodeServer(codeServer);
      await rm(runDir, { recursive: true, force: true }).catch(() => undefined);
    })();
    return cleaned;
  };
  const onExit = (): void => {
    if (codeServer !== undefined) killGroup(codeServer, 'SIGKILL');
  };
  const onSignal = (signal: NodeJS.Signals): void => {
    process.stderr.write(`code-server ${CODE_SERVER_VERSION}: ${signal}, stopping code-server and chromium\n`);
    void cleanup().finally(() => {
      removeHandlers();
      process.kill(process.pid, signal);
    });
  };
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  const removeHandlers = (): void => {
    for (const signal of signals) process.removeListener(signal, onSignal);
    process.removeListener('exit', onExit);
  };
  for (const signal of signals) process.on(signal, onSignal);
  process.on('exit', onExit);

  let outcome: Outcome;
  try {
    outcome = await runInside();
  } catch (error) {
    outcome = { kind: 'failure', reason: error instanceof Error ? error.message : String(error) };
  } finally {
    await cleanup();
    removeHandlers();
  }

  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  if (outcome.kind === 'exit') {
    if (outcome.code !== 0 && options.log === undefined) dumpDiagnostics(diagnostics);
    process.stderr.write(`code-server ${CODE_SERVER_VERSION}: the suite ${outcome.code === 0 ? 'passed' : 'failed'} (extension host exit code ${outcome.code}, ${seconds} s)\n`);
    return outcome.code === 0 ? 0 : 1;
  }
  if (options.log === undefined) dumpDiagnostics(diagnostics);
  process.stderr.write(`code-server ${CODE_SERVER_VERSION}: ${outcome.reason} (${seconds} s)\n`);
  return 1;

  async function runInside(): Promise<Outcome> {
    const remaining = (): number => deadline - Date.now();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<Outcome>((resolve) => {
      timer = setTimeout(() => resolve({ kind: 'failure', reason: `timed out after ${options.timeoutMs} ms` }), Math.max(0, remaining()));
    });
    let settle: (outcome: Outcome) => void = () => undefined;
    const settled = new Promise<Outcome>((resolve) => (settle = resolve));
    try {
      return await Promise.race([timedOut, settled, drive()]);
    } finally {
      clearTimeout(timer);
    }

    async function drive(): Promise<Outcome> {
      const port = await freePort();
      const authority = `127.0.0.1:${port}`;
      const args = serverArgs({ configFile, authority, userDataDir, extensionsDir });
      const viaNode = await isNodeScript(options.codeServer);
      if (finished) return { kind: 'failure', reason: 'stopped' };
      codeServer = spawn(viaNode ? process.execPath : options.codeServer, viaNode ? [options.codeServer, ...args] : args, {
        cwd: isWorkspaceFile(workspaceFolder) ? path.dirname(workspaceFolder) : workspaceFolder,
        env: childEnvironment(options.env),
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true,
      });
      const server = codeServer;
      lineReader(server.stdout, (line) => note(`[code-server] ${line}`));
      lineReader(server.stderr, (line) => note(`[code-server] ${line}`));
      server.on('error', (error) => settle({ kind: 'failure', reason: `code-server did not start: ${error.message}` }));
      server.on('exit', (code, signal) => settle({ kind: 'failure', reason: `code-server exited early (${signal ?? `exit ${String(code)}`})` }));

      while (!(await httpOk(`http://${authority}/healthz`))) {
        if (finished || remaining() <= 0) return { kind: 'failure', reason: 'code-server did not listen in time' };
        await sleep(200);
      }
      note(`[runner] code-server listens on ${authority}`);

      const launched = await launchChromium({ scratchDir: runDir });
      if (finished) {
        await launched.close();
        return { kind: 'failure', reason: 'stopped' };
      }
      browser = launched;
      const page = await launched.newPage();
      await page.exposeFunction('codeAutomationLog', (type: unknown, args: unknown) => {
        const parts = Array.isArray(args) ? (args as unknown[]) : [args];
        note(`[workbench ${String(type)}] ${format(...parts)}`);
      });
      await page.exposeFunction('codeAutomationExit', (code: unknown) => {
        settle({ kind: 'exit', code: typeof code === 'number' ? code : 1 });
      });
      page.on('pageerror', (error) => note(`[page error] ${error.message}`));
      page.on('crash', () => settle({ kind: 'failure', reason: 'the workbench page crashed' }));
      page.on('console', (message) => {
        // Errors of the workbench's log service ('%c  ERR ...') came through codeAutomationLog already.
        if (message.type() === 'error' && !message.text().startsWith('%c')) note(`[page console] ${message.text()}`);
      });

      relay.start();
      const payload = [
        ['extensionDevelopmentPath', remoteUri(authority, extensionDevelopmentPath)],
        ['extensionTestsPath', remoteUri(authority, runnerFile)],
      ];
      const open = isWorkspaceFile(workspaceFolder) ? 'workspace' : 'folder';
      const url = `http://${authority}/?${open}=${encodeURIComponent(workspaceFolder)}&payload=${encodeURIComponent(JSON.stringify(payload))}`;
      note(`[runner] opening ${url}`);
      await page.goto(url, { timeout: Math.max(1000, remaining()) });
      if (options.secondWindow !== undefined) {
        // Its own page: its own workbench and extension host, on the same folder and code-server.
        const second = await launched.newPage();
        second.on('crash', () => settle({ kind: 'failure', reason: 'the second window crashed' }));
        const secondPayload = [
          ['extensionDevelopmentPath', remoteUri(authority, extensionDevelopmentPath)],
          ['extensionTestsPath', remoteUri(authority, secondRunnerFile)],
        ];
        const secondUrl = `http://${authority}/?${open}=${encodeURIComponent(workspaceFolder)}&payload=${encodeURIComponent(JSON.stringify(secondPayload))}`;
        note(`[runner] opening a second window: ${secondUrl}`);
        await second.goto(secondUrl, { timeout: Math.max(1000, remaining()) });
      }
      return settled;
    }
  }
}

function dumpDiagnostics(lines: readonly string[]): void {
  if (lines.length === 0) return;
  process.stderr.write(`--- code-server diagnostics (last ${lines.length} lines) ---\n${lines.join('\n')}\n--- end of diagnostics ---\n`);
}

function isWorkspaceFile(file: string): boolean {
  return file.endsWith('.code-workspace');
}

// ---------------------------------------------------------------------------
// A code-server for a browser to drive: the end-to-end tests install the
// packaged extension (.vsix) and click through the workbench themselves.

export interface InstallExtensionOptions {
  /** The code-server executable, as returned by ensureCodeServer(). */
  codeServer: string;
  /** The packaged extension. */
  vsix: string;
  userDataDir: string;
  extensionsDir: string;
  log?: (line: string) => void;
}

/** `code-server --install-extension file.vsix` into that user-data-dir and extensions-dir (no network needed). */
export async function installExtensionIntoCodeServer(options: InstallExtensionOptions): Promise<void> {
  await mkdir(options.userDataDir, { recursive: true });
  await mkdir(options.extensionsDir, { recursive: true });
  const args = [
    '--config',
    await writeCodeServerConfig(options.userDataDir),
    '--user-data-dir',
    options.userDataDir,
    '--extensions-dir',
    options.extensionsDir,
    '--install-extension',
    path.resolve(options.vsix),
  ];
  const viaNode = await isNodeScript(options.codeServer);
  await runLogged(
    viaNode ? process.execPath : options.codeServer,
    viaNode ? [options.codeServer, ...args] : args,
    options.userDataDir,
    childEnvironment({}),
    options.log ?? (() => undefined),
  );
}

export interface StartCodeServerOptions {
  /** The code-server executable, as returned by ensureCodeServer(). */
  codeServer: string;
  userDataDir: string;
  extensionsDir: string;
  /** Written as <userDataDir>/User/settings.json. */
  userSettings: Record<string, unknown>;
  /** code-server's working folder (its terminals start there). */
  cwd: string;
  /** Added to the environment of code-server and so of its extension host. */
  env: Record<string, string>;
  /** How long code-server may take to answer /healthz. */
  startTimeoutMs: number;
  /** code-server's output, line by line. */
  log?: (line: string) => void;
}

export interface StartedCodeServer {
  /** 127.0.0.1:PORT */
  readonly authority: string;
  /** The workbench's address with that folder open. */
  workbenchUrl(folder: string): string;
  /** Resolves with a description when code-server exits, however it ends. */
  readonly exited: Promise<string>;
  /** SIGTERM, then SIGKILL of its whole process group (extension host and pty host included). */
  stop(): Promise<void>;
  /** SIGKILL of the whole group at once: for process 'exit' handlers, which cannot wait. */
  killNow(): void;
}

/**
 * Starts code-server on a free loopback port with no auth, no telemetry, no
 * update check and workspace trust off, and resolves once it answers.
 * The caller stops it (stop(), or killNow() on exit).
 */
export async function startCodeServer(options: StartCodeServerOptions): Promise<StartedCodeServer> {
  const log = options.log ?? (() => undefined);
  await mkdir(path.join(options.userDataDir, 'User'), { recursive: true });
  await mkdir(options.extensionsDir, { recursive: true });
  await writeFile(path.join(options.userDataDir, 'User', 'settings.json'), `${JSON.stringify(options.userSettings, null, 2)}\n`);
  const configFile = await writeCodeServerConfig(options.userDataDir);
  const port = await freePort();
  const authority = `127.0.0.1:${port}`;
  const args = serverArgs({ configFile, authority, userDataDir: options.userDataDir, extensionsDir: options.extensionsDir });
  const viaNode = await isNodeScript(options.codeServer);
  const child = spawn(viaNode ? process.execPath : options.codeServer, viaNode ? [options.codeServer, ...args] : args, {
    cwd: options.cwd,
    env: childEnvironment(options.env),
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  lineReader(child.stdout, log);
  lineReader(child.stderr, log);
  const exited = new Promise<string>((resolve) => {
    child.once('error', (error) => resolve(`code-server did not start: ${error.message}`));
    child.once('exit', (code, signal) => resolve(`code-server exited (${signal ?? `exit ${String(code)}`})`));
  });
  const handle: StartedCodeServer = {
    authority,
    workbenchUrl: (folder) => `http://${authority}/?folder=${encodeURIComponent(path.resolve(folder))}`,
    exited,
    stop: () => stopCodeServer(child),
    killNow: () => killGroup(child, 'SIGKILL'),
  };
  let early: string | undefined;
  void exited.then((reason) => (early = reason));
  const deadline = Date.now() + options.startTimeoutMs;
  while (!(await httpOk(`http://${authority}/healthz`))) {
    if (early !== undefined || Date.now() > deadline) {
      await handle.stop();
      throw new Error(early ?? `code-server did not answer on ${authority} within ${options.startTimeoutMs} ms`);
    }
    await sleep(200);
  }
  return handle;
}

/** Without --config, code-server writes (and reads) ~/.config/code-server/config.yaml: one beside the user data instead. */
async function writeCodeServerConfig(userDataDir: string): Promise<string> {
  const configFile = path.join(userDataDir, 'code-server.yaml');
  await writeFile(configFile, 'auth: none\ncert: false\n');
  return configFile;
}

/** code-server's command line for a test run: no auth on loopback, its own folders, nothing phoning home. */
function serverArgs(run: { configFile: string; authority: string; userDataDir: string; extensionsDir: string }): string[] {
  return [
    '--config',
    run.configFile,
    '--auth',
    'none',
    '--bind-addr',
    run.authority,
    '--user-data-dir',
    run.userDataDir,
    '--extensions-dir',
    run.extensionsDir,
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-workspace-trust',
    '--disable-getting-started-override',
    '--ignore-last-opened',
  ];
}
