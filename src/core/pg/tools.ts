/**
 * Finding pg_dump, psql and pg_restore, and choosing a set that can work with
 * the server at hand. pg_dump refuses to dump a server newer than itself, and
 * a machine often has several client versions (the OS package, Homebrew's
 * libpq, Postgres.app, ...), so discovery lists every candidate with its
 * version and the choice is a pure function over that list.
 */

import { hint, option, setOption, type Hint } from '../hint';
import { accessSync, constants } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { PulseError } from '../errors';
import { runTool } from '../process/toolProcess';
import { cachedVersionOutput } from './toolVersionCache';
import { compareNatural } from '../format';

export interface PgVersion {
  /** 15 for 15.18; for releases before 10 the first two parts, e.g. 9.6 for 9.6.24. */
  major: number;
  minor: number;
  /** As PostgreSQL writes it: "15.18", "9.6.24", "16beta1", "18devel". */
  text: string;
}

export interface ToolInfo {
  path: string;
  version: PgVersion;
}

export type ToolSource = 'explicit' | 'PATH' | 'install-location';

export interface ToolSet {
  folder: string;
  pgDump: ToolInfo;
  psql?: ToolInfo;
  pgRestore?: ToolInfo;
  source: ToolSource;
}

export interface FindClientToolsOptions {
  /** A folder that must hold pg_dump (the CLI's --pg-bin-dir); wins over PULSE_BACKUP_PG_BIN_DIR. */
  pgBinDir?: string;
  env: NodeJS.ProcessEnv;
  platform?: NodeJS.Platform;
  /** Runs `<tool> --version` and returns its output; replaceable so tests need not spawn. */
  runVersion?: (toolPath: string) => Promise<string>;
  /** Also read psql's and pg_restore's versions (default); a backup needs only pg_dump's. */
  withCompanions?: boolean;
  /** Stops a `--version` that is still running (a cancel). */
  signal?: AbortSignal;
}

/** `--version` answers in milliseconds; a tool silent for this long is hung (or not a PostgreSQL client). */
export const VERSION_TIMEOUT_MS = 5000;

const BIN_DIR_HINT = hint`point ${option('clientToolsFolder')} at the folder that holds pg_dump and psql (e.g. /usr/lib/postgresql/17/bin), or unset it`;

// ---------------------------------------------------------------------------
// Versions

/**
 * Reads a version from `pg_dump --version` style output ("pg_dump
 * (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)") or a bare version ("17.2",
 * "16beta1", "18devel", "9.6.24"). Undefined when there is none.
 */
export function parsePgVersion(text: string): PgVersion | undefined {
  const labelled = /\(PostgreSQL\)\s+(\S+)/.exec(text);
  const token = (labelled ? labelled[1] : text.trim().split(/\s+/, 1)[0]) ?? '';
  const match = /^(\d+)(?:\.(\d+))?(?:\.(\d+))?(devel|(?:alpha|beta|rc)\d*)?[,;:)]*$/i.exec(token);
  if (!match) return undefined;
  const first = Number(match[1]);
  const second = match[2] === undefined ? undefined : Number(match[2]);
  const third = match[3] === undefined ? undefined : Number(match[3]);
  const versionText = token.replace(/[,;:)]+$/, '');
  if (first < 10) {
    // Before PostgreSQL 10 the major version had two parts (9.6) and the minor was the third.
    const major = second === undefined ? first : Number(`${first}.${second}`);
    return { major, minor: third ?? 0, text: versionText };
  }
  return { major: first, minor: second ?? 0, text: versionText };
}

/** `SHOW server_version_num` → version: 150018 → 15.18, 180004 → 18.4, 90624 → 9.6.24. */
export function parseServerVersionNum(serverVersionNum: string | number): PgVersion {
  const value = typeof serverVersionNum === 'number' ? serverVersionNum : Number(serverVersionNum.trim());
  if (!Number.isInteger(value) || value < 10000) {
    throw new PulseError('internal', `the server reported an unreadable version number (${String(serverVersionNum)})`, {
      hint: 'check that the database is PostgreSQL, and report this if it is',
    });
  }
  if (value >= 100000) {
    const major = Math.floor(value / 10000);
    const minor = value % 10000;
    return { major, minor, text: `${major}.${minor}` };
  }
  const major = Number(`${Math.floor(value / 10000)}.${Math.floor(value / 100) % 100}`);
  const minor = value % 100;
  return { major, minor, text: `${major}.${minor}` };
}

/** First minor release of each branch whose psql understands the \restrict meta-command. */
const RESTRICT_SINCE: Readonly<Record<number, number>> = { 13: 22, 14: 19, 15: 14, 16: 10, 17: 6 };

/**
 * Whether this psql can read the `\restrict` / `\unrestrict` lines that
 * pg_dump writes into plain dumps since the August 2025 minor releases.
 */
export function psqlSupportsRestrict(version: PgVersion): boolean {
  if (version.major >= 18) return true;
  const since = RESTRICT_SINCE[version.major];
  return since !== undefined && version.minor >= since;
}

// ---------------------------------------------------------------------------
// Discovery

/**
 * Every folder that holds a pg_dump, in search order: PATH, then the usual
 * install locations — or only the explicit folder when one is given. The same binary reached
 * through several folders (symlinks, Homebrew's opt/ links) is listed once.
 */
export function findClientTools(options: FindClientToolsOptions): Promise<ToolSet[]> {
  // Injected readers are for tests: never cache what they return.
  if (options.runVersion) return discoverClientTools(options);
  const platform = options.platform ?? process.platform;
  const key = (withCompanions: boolean) =>
    JSON.stringify([options.pgBinDir ?? '', options.env.PULSE_BACKUP_PG_BIN_DIR ?? '', options.env.PATH ?? options.env.Path ?? '', platform, withCompanions]);
  const wanted = options.withCompanions ?? true;
  // A search that also read psql's and pg_restore's versions answers one that needs only pg_dump's.
  const known = discoveries.get(key(true)) ?? (wanted ? undefined : discoveries.get(key(false)));
  if (known) return known;
  const found = discoverClientTools(options);
  discoveries.set(key(wanted), found);
  found.catch(() => discoveries.delete(key(wanted)));
  return found;
}

/**
 * Searches run once per process and set of inputs: a restore verifies, then
 * plans, then loads, and each needs the same tools; spawning `--version`
 * again each time cost a few hundred milliseconds.
 */
const discoveries = new Map<string, Promise<ToolSet[]>>();

/** Forgets earlier searches (for a long-lived host, after the user installs or points at other tools). */
export function forgetClientTools(): void {
  discoveries.clear();
}

async function discoverClientTools(options: FindClientToolsOptions): Promise<ToolSet[]> {
  const platform = options.platform ?? process.platform;
  const paths = platform === 'win32' ? path.win32 : path.posix;
  const runVersion = options.runVersion ?? ((toolPath: string) => readVersionOutput(toolPath, options.env, options.signal));

  const candidates: { folder: string; source: ToolSource }[] = [];
  const explicit = nonBlank(options.pgBinDir) ?? nonBlank(options.env.PULSE_BACKUP_PG_BIN_DIR);
  if (explicit !== undefined) {
    // A folder the user named is the one to use: the search stops there.
    candidates.push({ folder: await explicitFolder(explicit, platform), source: 'explicit' });
  } else {
    for (const folder of pathFolders(options.env, platform)) candidates.push({ folder, source: 'PATH' });
    for (const pattern of installLocations(platform, options.env)) {
      for (const folder of await expandPattern(pattern, paths)) candidates.push({ folder, source: 'install-location' });
    }
  }
  const hasVersionedInstalls = candidates.some((candidate) => candidate.source === 'install-location');

  const seen = new Set<string>();
  const probes: Promise<ToolSet | undefined>[] = [];
  for (const candidate of candidates) {
    const pgDumpPath = paths.join(candidate.folder, toolFileName('pg_dump', platform));
    if (!(await isExecutableFile(pgDumpPath, platform))) {
      if (candidate.source === 'explicit') {
        throw new PulseError('tools-not-found', `there is no pg_dump in ${candidate.folder}`, { hint: BIN_DIR_HINT });
      }
      continue;
    }
    const identity = await realPath(pgDumpPath);
    // Debian's /usr/bin/pg_dump is a Perl wrapper that runs one of the
    // /usr/lib/postgresql/N/bin binaries; probing those directly is faster
    // and says exactly which version runs.
    if (hasVersionedInstalls && paths.basename(identity) === 'pg_wrapper') continue;
    if (seen.has(identity)) continue;
    seen.add(identity);
    probes.push(probeFolder(candidate.folder, candidate.source, pgDumpPath, platform, paths, runVersion, options.withCompanions ?? true));
  }
  const sets = await Promise.all(probes);
  return sets.filter((set): set is ToolSet => set !== undefined);
}

async function probeFolder(
  folder: string,
  source: ToolSource,
  pgDumpPath: string,
  platform: NodeJS.Platform,
  paths: path.PlatformPath,
  runVersion: (toolPath: string) => Promise<string>,
  withCompanions: boolean,
): Promise<ToolSet | undefined> {
  const companion = async (tool: string): Promise<ToolInfo | undefined> => {
    if (!withCompanions) return undefined;
    const toolPath = paths.join(folder, toolFileName(tool, platform));
    if (!(await isExecutableFile(toolPath, platform))) return undefined;
    const reading = await readTool(toolPath, runVersion);
    return 'version' in reading ? reading : undefined;
  };
  const [pgDump, psql, pgRestore] = await Promise.all([readTool(pgDumpPath, runVersion), companion('psql'), companion('pg_restore')]);
  if (!('version' in pgDump)) {
    if (pgDump.cancelled) throw pgDump.cancelled;
    if (source === 'explicit') throw new PulseError('tools-not-found', `${pgDumpPath} ${pgDump.problem}`, { hint: BIN_DIR_HINT });
    // A broken install the person did not point at must not stop a run that other tools can serve: skip it.
    return undefined;
  }
  const set: ToolSet = { folder, pgDump, source };
  if (psql !== undefined) set.psql = psql;
  if (pgRestore !== undefined) set.pgRestore = pgRestore;
  return set;
}

/** A tool's version, or why there is none (in words that follow its path). */
type ToolReading = ToolInfo | { problem: string; cancelled?: PulseError };

async function readTool(toolPath: string, runVersion: (toolPath: string) => Promise<string>): Promise<ToolReading> {
  try {
    const version = parsePgVersion(await runVersion(toolPath));
    return version === undefined ? { problem: 'does not report a PostgreSQL version' } : { path: toolPath, version };
  } catch (error) {
    if (error instanceof PulseError && error.code === 'cancelled') return { problem: error.message, cancelled: error };
    return { problem: error instanceof PulseError ? error.message : 'does not run or does not report a PostgreSQL version' };
  }
}

function readVersionOutput(toolPath: string, env: NodeJS.ProcessEnv, signal: AbortSignal | undefined): Promise<string> {
  return cachedVersionOutput(toolPath, env, () => runVersionCommand(toolPath, env, signal));
}

async function runVersionCommand(toolPath: string, env: NodeJS.ProcessEnv, signal: AbortSignal | undefined): Promise<string> {
  const result = await runTool(toolPath, ['--version'], {
    // Debian's pg_wrapper (/usr/bin/pg_dump) runs the newest installed version
    // whenever PGHOST is set, as it always is when we dump; without it, it
    // would report the default local cluster's version instead.
    env: { ...env, PGHOST: nonBlank(env.PGHOST) ?? 'localhost' },
    timeoutMs: VERSION_TIMEOUT_MS,
    // A --version holds nothing worth a clean end: a stop kills it at once.
    forceKillAfterMs: 0,
    ...(signal ? { signal } : {}),
  });
  if (signal?.aborted) throw new PulseError('cancelled', 'cancelled while looking for the client tools', { hint: 'nothing was changed' });
  if (result.timedOut) throw new PulseError('tools-not-found', `did not answer --version within ${VERSION_TIMEOUT_MS / 1000} seconds (it was stopped)`);
  if (result.startError || result.exitCode !== 0) throw new PulseError('tools-not-found', 'does not run or does not report a PostgreSQL version');
  return result.stdout;
}

async function explicitFolder(folder: string, platform: NodeJS.Platform): Promise<string> {
  const paths = platform === 'win32' ? path.win32 : path.posix;
  const resolved = paths.resolve(folder);
  let stats;
  try {
    stats = await fs.stat(resolved);
  } catch {
    throw new PulseError('tools-not-found', `the PostgreSQL bin folder ${resolved} does not exist`, { hint: BIN_DIR_HINT });
  }
  if (stats.isDirectory()) return resolved;
  // People often paste the path of pg_dump itself; its folder is what they mean.
  const name = paths
    .basename(resolved)
    .toLowerCase()
    .replace(/\.exe$/, '');
  if (['pg_dump', 'psql', 'pg_restore'].includes(name)) return paths.dirname(resolved);
  throw new PulseError('tools-not-found', `the PostgreSQL bin folder ${resolved} is not a folder`, { hint: BIN_DIR_HINT });
}

/** The first of `names` that is an executable file in a folder of PATH, or undefined. */
export function findOnPath(names: readonly string[], env: NodeJS.ProcessEnv): string | undefined {
  for (const folder of pathFolders(env)) {
    for (const name of names) {
      const candidate = path.join(folder, name);
      try {
        accessSync(candidate, constants.X_OK);
        return candidate;
      } catch {
        // not here
      }
    }
  }
  return undefined;
}

export function pathFolders(env: NodeJS.ProcessEnv, platform: NodeJS.Platform = process.platform): string[] {
  const paths = platform === 'win32' ? path.win32 : path.posix;
  // Windows spells it Path; a copied env object has lost the case-insensitivity.
  const key = platform === 'win32' ? Object.keys(env).find((name) => name.toUpperCase() === 'PATH') : 'PATH';
  const value = key === undefined ? undefined : env[key];
  if (value === undefined) return [];
  return (
    value
      .split(platform === 'win32' ? ';' : ':')
      .map((entry) => entry.trim().replace(/^"(.*)"$/, '$1'))
      // Empty and relative entries mean "the current folder": never run a pg_dump found there.
      .filter((entry) => entry !== '' && paths.isAbsolute(entry))
  );
}

/** Where PostgreSQL client tools are usually installed, as patterns whose `*` stands for a version. */
export function installLocations(platform: NodeJS.Platform, env: NodeJS.ProcessEnv = {}): string[] {
  if (platform === 'win32') {
    const roots = [nonBlank(env.ProgramFiles) ?? 'C:\\Program Files', nonBlank(env.ProgramW6432), nonBlank(env['ProgramFiles(x86)'])];
    return [...new Set(roots.filter((root): root is string => root !== undefined))].map((root) => `${root}\\PostgreSQL\\*\\bin`);
  }
  if (platform === 'darwin') {
    return [
      '/opt/homebrew/opt/libpq/bin',
      '/usr/local/opt/libpq/bin',
      '/opt/homebrew/opt/postgresql@*/bin',
      '/usr/local/opt/postgresql@*/bin',
      '/Applications/Postgres.app/Contents/Versions/*/bin',
    ];
  }
  return ['/usr/lib/postgresql/*/bin', '/usr/pgsql-*/bin', '/home/linuxbrew/.linuxbrew/opt/libpq/bin', '/usr/local/pgsql/bin'];
}

/** Expands `*` in any path segment by listing the parent folder; newest-looking names first. */
async function expandPattern(pattern: string, paths: path.PlatformPath): Promise<string[]> {
  const star = pattern.indexOf('*');
  if (star === -1) return [pattern];
  const segmentStart = pattern.lastIndexOf(paths.sep, star) + 1;
  const nextSeparator = pattern.indexOf(paths.sep, star);
  const segmentEnd = nextSeparator === -1 ? pattern.length : nextSeparator;
  const parent = pattern.slice(0, segmentStart);
  const segment = pattern.slice(segmentStart, segmentEnd);
  const remainder = pattern.slice(segmentEnd);
  let entries: string[];
  try {
    entries = await fs.readdir(parent === '' ? '.' : parent);
  } catch {
    return [];
  }
  const matcher = new RegExp(`^${segment.split('*').map(escapeRegExp).join('.*')}$`);
  const names = entries.filter((name) => matcher.test(name)).sort((a, b) => compareNatural(b, a));
  const expanded: string[] = [];
  for (const name of names) expanded.push(...(await expandPattern(parent + name + remainder, paths)));
  return expanded;
}

function toolFileName(tool: string, platform: NodeJS.Platform): string {
  return platform === 'win32' ? `${tool}.exe` : tool;
}

async function isExecutableFile(file: string, platform: NodeJS.Platform): Promise<boolean> {
  try {
    const stats = await fs.stat(file);
    if (!stats.isFile()) return false;
    if (platform !== 'win32') await fs.access(file, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

async function realPath(file: string): Promise<string> {
  try {
    return await fs.realpath(file);
  } catch {
    return file;
  }
}

// ---------------------------------------------------------------------------
// Choosing

/** "pg_dump 15.18 (/usr/bin)" */
export function describeToolSet(set: ToolSet): string {
  return `pg_dump ${set.pgDump.version.text} (${set.folder})`;
}

/**
 * The tools to use against a server of `serverVersion`: a pg_dump at least as
 * new as the server (older ones refuse), preferably of the same major version
 * (its output loads back into that server with the least surprise), then the
 * newest. An explicit folder is the only candidate findClientTools returns. psql and pg_restore come from the same
 * folder so a dump and its verification use matching versions.
 */
export function chooseClientTools(found: readonly ToolSet[], serverVersion: PgVersion): ToolSet {
  const fitting = found.map((set, index) => ({ set, index })).filter(({ set }) => set.pgDump.version.major >= serverVersion.major);
  if (fitting.length > 0) {
    const rank = ({ set, index }: { set: ToolSet; index: number }): number[] => [
      set.pgDump.version.major === serverVersion.major ? 0 : 1,
      set.source === 'explicit' ? 0 : 1,
      -set.pgDump.version.major,
      -set.pgDump.version.minor,
      index,
    ];
    fitting.sort((a, b) => compareRanks(rank(a), rank(b)));
    const best = fitting[0];
    if (best !== undefined) return best.set;
  }

  const install = installAdvice(serverVersion);
  if (found.length === 0) {
    throw new PulseError('tools-not-found', 'no PostgreSQL client tools found (pg_dump, psql)', { hint: install });
  }
  const versions = joinList(found.map((set) => `${set.pgDump.version.text} (${set.folder})`));
  throw new PulseError('tools-too-old', `pg_dump ${versions} cannot dump a PostgreSQL ${serverVersion.text} server`, {
    hint: install,
    details: found.map((set) => `${set.pgDump.path}: ${set.pgDump.version.text} [${set.source}]`).join('\n'),
  });
}

function installAdvice(serverVersion: PgVersion): Hint {
  const major = serverVersion.major >= 10 ? String(serverVersion.major) : undefined;
  const tools = major === undefined ? 'a current PostgreSQL client' : `the PostgreSQL ${major} client tools`;
  const apt = major === undefined ? 'apt install postgresql-client' : `apt install postgresql-client-${major}`;
  return hint`install ${tools} (e.g. ${apt}, brew install libpq) or ${setOption('clientToolsFolder')}`;
}

function compareRanks(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const difference = (a[i] ?? 0) - (b[i] ?? 0);
    if (difference !== 0) return difference;
  }
  return a.length - b.length;
}

function joinList(items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1] ?? ''}`;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function nonBlank(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}
