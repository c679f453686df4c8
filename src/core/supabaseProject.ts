/**
 * A local Supabase project: a folder with `supabase/config.toml`, as
 * `supabase init` writes it. Its database is the stack's own
 * (postgresql://postgres:postgres@127.0.0.1:<[db].port>/postgres), its
 * backups are named after `project_id`, and `[db].major_version` says which
 * PostgreSQL the stack runs, so client tools can be checked before anything
 * connects. Flags, settings and the usual environment variables still win:
 * these are only the defaults.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PulseError } from './errors';
import { toSnakeCase } from './naming';
import { isLocalTarget, isSocketPath, type ConnectionTarget } from './connection';
import { findClientTools, type PgVersion, type ToolSet } from './pgTools';
import { noClientToolsError, probeSupabaseContainer } from './supabaseDocker';

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
    throw new PulseError('usage', `cannot read ${configFile}: ${(error as Error).message.split('\n', 1)[0]}`, { hint: 'fix its permissions, or pass --db and --prefix' });
  }
  const config = parseToml(text, configFile);
  const projectId = config.get('project_id');
  const port = config.get('db.port');
  const major = config.get('db.major_version');
  const dbPort = port === undefined ? SUPABASE_DEFAULT_DB_PORT : asInteger(port, 'db.port', configFile, 1, 65535);
  return {
    folder,
    configFile,
    ...(typeof projectId === 'string' && projectId.trim() !== '' ? { projectId: projectId.trim() } : {}),
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
// The part of TOML that supabase/config.toml uses

type TomlValue = string | number | boolean | TomlSkipped;
/** Arrays and inline tables: present, but nothing here reads them. */
interface TomlSkipped {
  skipped: true;
}

/** Flat "section.key" → value. Arrays and inline tables are recognised and skipped. */
export function parseToml(text: string, file: string): Map<string, TomlValue> {
  const values = new Map<string, TomlValue>();
  let section = '';
  const lines = text.split(/\r?\n/);
  for (let index = 0; index < lines.length; index += 1) {
    const line = stripComment(lines[index]).trim();
    if (line === '') continue;
    const header = /^\[\[?\s*([A-Za-z0-9_.\-" ]+?)\s*\]\]?$/.exec(line);
    if (header) {
      section = header[1].replace(/"/g, '').replace(/\s*\.\s*/g, '.');
      continue;
    }
    const pair = /^([A-Za-z0-9_\-."]+)\s*=\s*(.*)$/.exec(line);
    if (!pair) throw tomlError(file, index, 'expected "key = value" or "[section]"');
    const key = pair[1].replace(/"/g, '');
    let raw = pair[2];
    // A multi-line array or inline table: read on to its closing bracket.
    if (/^[[{]/.test(raw)) {
      let depth = bracketDepth(raw);
      while (depth > 0 && index + 1 < lines.length) {
        index += 1;
        raw += stripComment(lines[index]);
        depth = bracketDepth(raw);
      }
      if (depth > 0) throw tomlError(file, index, `"${key}" is not closed`);
      values.set(section === '' ? key : `${section}.${key}`, { skipped: true });
      continue;
    }
    values.set(section === '' ? key : `${section}.${key}`, parseScalar(raw, () => tomlError(file, index, `cannot read the value of "${key}"`)));
  }
  return values;
}

function parseScalar(raw: string, fail: () => PulseError): TomlValue {
  const value = raw.trim();
  const basic = /^"((?:[^"\\]|\\.)*)"$/.exec(value);
  if (basic) return basic[1].replace(/\\(["\\nt])/g, (_, escaped: string) => ({ n: '\n', t: '\t' })[escaped] ?? escaped);
  const literal = /^'([^']*)'$/.exec(value);
  if (literal) return literal[1];
  if (value === 'true' || value === 'false') return value === 'true';
  if (/^[+-]?\d[\d_]*$/.test(value)) return Number(value.replace(/_/g, ''));
  if (/^[+-]?\d[\d_]*(\.\d+)?([eE][+-]?\d+)?$/.test(value)) return Number(value.replace(/_/g, ''));
  throw fail();
}

/**
 * Calls `visit` for each character outside TOML strings ("…" with
 * escapes, '…' literal), in order; stops early when it returns true.
 */
function outsideStrings(text: string, visit: (character: string, index: number) => boolean | void): void {
  let quote: string | undefined;
  for (let index = 0; index < text.length; index += 1) {
    const character = text[index];
    if (quote) {
      if (character === '\\' && quote === '"') index += 1;
      else if (character === quote) quote = undefined;
    } else if (character === '"' || character === "'") {
      quote = character;
    } else if (visit(character, index) === true) {
      return;
    }
  }
}

/** The line without a # comment (a # inside a string stays). */
function stripComment(line: string): string {
  let end = line.length;
  outsideStrings(line, (character, index) => {
    if (character !== '#') return false;
    end = index;
    return true;
  });
  return line.slice(0, end);
}

/** How many [ and { are still open (outside strings). */
function bracketDepth(text: string): number {
  let depth = 0;
  outsideStrings(text, (character) => {
    if (character === '[' || character === '{') depth += 1;
    else if (character === ']' || character === '}') depth -= 1;
  });
  return depth;
}

function asInteger(value: TomlValue, key: string, file: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new PulseError('usage', `${file}: ${key} must be a whole number from ${min} to ${max}`, { hint: `fix ${key} in ${SUPABASE_CONFIG_PATH}, or pass --db` });
  }
  return value;
}

function tomlError(file: string, index: number, problem: string): PulseError {
  return new PulseError('usage', `${file}: line ${index + 1}: ${problem}`, { hint: `fix ${SUPABASE_CONFIG_PATH}, or pass --db and --prefix` });
}
