/**
 * A local Supabase project: a folder with `supabase/config.toml`, as
 * `supabase init` writes it. Its database is the stack's own
 * (postgresql://postgres:postgres@127.0.0.1:<[db].port>/postgres), its
 * backups are named after `project_id`, and `[db].major_version` says which
 * PostgreSQL the stack runs, so client tools can be checked before anything
 * connects. Flags, settings and the usual environment variables still win:
 * these are only the defaults.
 */
import { hint, option, setOption } from '../hint';
import { readFileSync } from 'node:fs';
import { parse, TomlError } from 'smol-toml';
import { join } from 'node:path';
import { PulseError } from '../errors';
import { toSnakeCase } from '../sets/naming';
import { isLocalTarget, isSocketPath, type ConnectionTarget } from '../connection/connection';
import { findClientTools, type PgVersion, type ToolSet } from '../pg/tools';
import { noClientToolsError, probeSupabaseContainer } from './docker';

export const SUPABASE_CONFIG_PATH = join('supabase', 'config.toml');
/** What `supabase init` writes and the stack uses when [db].port is unset. */
export const SUPABASE_DEFAULT_DB_PORT = 54322;

export interface SupabaseProject {
  /** The project folder (the one holding supabase/). */
  folder: string;
  configFile: string;
  projectId?: string;
  dbPort: number;
  /** [db].major_version: the PostgreSQL major version the stack runs. */
  majorVersion?: number;
}

/** The Supabase project in `folder`, or undefined when it has no supabase/config.toml. */
export function readSupabaseProject(folder: string): SupabaseProject | undefined {
  const configFile = join(folder, SUPABASE_CONFIG_PATH);
  let text: string;
  try {
    text = readFileSync(configFile, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw new PulseError('usage', `cannot read ${configFile}: ${(error as Error).message.split('\n', 1)[0]}`, { hint: hint`fix its permissions, or give ${option('connection')} and ${option('filePrefix')}` });
  }
  const config = parseSupabaseConfig(text, configFile);
  const projectId = valueAt(config, 'project_id');
  const port = valueAt(config, 'db.port');
  const major = valueAt(config, 'db.major_version');
  if (projectId !== undefined && typeof projectId !== 'string') {
    throw new PulseError('usage', `${configFile}: project_id must be a string`, { hint: hint`fix project_id in ${SUPABASE_CONFIG_PATH}, or give ${option('filePrefix')}` });
  }
  const dbPort = port === undefined ? SUPABASE_DEFAULT_DB_PORT : asInteger(port, 'db.port', configFile, 1, 65535);
  return {
    folder,
    configFile,
    ...(projectId !== undefined && projectId.trim() !== '' ? { projectId: projectId.trim() } : {}),
    dbPort,
    ...(major !== undefined ? { majorVersion: asInteger(major, 'db.major_version', configFile, 9, 99) } : {}),
  };
}

/** The stack's database, as the Supabase CLI sets it up. */
export function supabaseDatabaseUrl(project: SupabaseProject): string {
  return `postgresql://postgres:postgres@127.0.0.1:${project.dbPort}/postgres`;
}

/** project_id in snake_case, when the config has one. */
export function supabasePrefix(project: SupabaseProject): string | undefined {
  return project.projectId === undefined ? undefined : toSnakeCase(project.projectId);
}

/** Whether a pg_dump found here can dump the project's PostgreSQL ([db].major_version; any will do when unset). */
export function localPgDumpFits(project: SupabaseProject, found: readonly ToolSet[]): boolean {
  const wanted = project.majorVersion;
  return wanted === undefined || found.some((set) => set.pgDump.version.major >= wanted);
}

/** pg_dump and psql from the stack's database container (see supabaseDocker.ts). */
export interface ContainerTools {
  container: string;
  pgDump: PgVersion;
  /** Why the container's: the stack's [db].major_version, and the newest pg_dump here (none: undefined). */
  wanted: number;
  localMajor?: number;
}

/**
 * Whether a target is the stack's own server: the project's default
 * database, or any database on this machine at the stack's published port
 * ([db].port), however it was named (--db, a setting, the environment).
 */
export function isStackTarget(project: SupabaseProject, target: ConnectionTarget): boolean {
  return target.source === 'default' || (isLocalTarget(target) && !isSocketPath(target.host) && target.port === project.dbPort);
}

/**
 * Before a backup or restore of the stack's own server (see isStackTarget):
 * when no local pg_dump is new enough for [db].major_version, the stack's
 * container's tools, if docker reaches it; undefined when the local tools
 * will do; else one error naming both ways out.
 */
export async function supabaseToolRoute(
  project: SupabaseProject | undefined,
  target: ConnectionTarget,
  options: { pgBinDir?: string; env: NodeJS.ProcessEnv },
): Promise<ContainerTools | undefined> {
  if (!project || project.majorVersion === undefined || !isStackTarget(project, target)) return undefined;
  let found: ToolSet[] = [];
  try {
    found = await findClientTools({ ...(options.pgBinDir !== undefined ? { pgBinDir: options.pgBinDir } : {}), env: options.env, withCompanions: false });
  } catch {
    // None at all: the container may still have them.
  }
  if (localPgDumpFits(project, found)) return undefined;
  const wanted = project.majorVersion;
  const localMajor = found.length === 0 ? undefined : Math.max(...found.map((set) => set.pgDump.version.major));
  const probe = await probeSupabaseContainer(project, options.env);
  if (probe.ok && probe.pgDump.major >= wanted) return { container: probe.container, pgDump: probe.pgDump, wanted, ...(localMajor !== undefined ? { localMajor } : {}) };
  const have = localMajor === undefined ? 'no pg_dump was found here' : `the newest pg_dump here is ${localMajor}`;
  throw noClientToolsError(wanted, have, probe.ok ? { ok: false, container: probe.container, reason: `its pg_dump is ${probe.pgDump.text}` } : probe);
}

/** The one line that says the container's tools are used, and why: both front doors print it once. */
export function describeContainerTools(tools: ContainerTools): string {
  const here = tools.localMajor === undefined ? 'there is no pg_dump here' : `the newest pg_dump here is ${tools.localMajor}`;
  return `using pg_dump and psql ${tools.pgDump.text} inside the container ${tools.container}: the stack runs PostgreSQL ${tools.wanted} and ${here}`;
}

// ---------------------------------------------------------------------------
// Reading supabase/config.toml (smol-toml: a maintained TOML 1.0 parser; only
// the keys above are read, and a wrong one names the key)

/** The document's values, or one line naming the place that is not TOML. */
export function parseSupabaseConfig(text: string, file: string): Record<string, unknown> {
  try {
    return parse(text);
  } catch (error) {
    const line = error instanceof TomlError ? error.line : undefined;
    // The key on that line, when it has one, so the message names what to fix.
    const key = line === undefined ? undefined : /^\s*([A-Za-z0-9_."-]+)\s*=/.exec(text.split(/\r?\n/)[line - 1] ?? '')?.[1];
    const place = `${line === undefined ? '' : `line ${line}: `}${key === undefined ? '' : `the value of "${key.replace(/"/g, '')}": `}`;
    const problem = (error instanceof Error ? error.message : String(error)).split('\n', 1)[0].replace(/^Invalid TOML document: /, '');
    throw new PulseError('usage', `${file}: ${place}${problem}`, { hint: hint`fix ${SUPABASE_CONFIG_PATH}, or give ${option('connection')} and ${option('filePrefix')}` });
  }
}

/** A value at "section.key" of the parsed document. */
function valueAt(config: Record<string, unknown>, path: string): unknown {
  let value: unknown = config;
  for (const part of path.split('.')) {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

function asInteger(value: unknown, key: string, file: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new PulseError('usage', `${file}: ${key} must be a whole number from ${min} to ${max}`, { hint: hint`fix ${key} in ${SUPABASE_CONFIG_PATH}, or ${setOption('connection')}` });
  }
  return value;
}
