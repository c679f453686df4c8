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
import { parse, TomlError } from 'smol-toml';
import { join } from 'node:path';
import { PulseError } from '../errors';
import { toSnakeCase } from '../sets/naming';
import { readRegularFileSync } from '../files/regularFile';

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
    // A regular file only: a FIFO there would block the one thread (Ctrl-C too) for ever.
    text = readRegularFileSync(configFile);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    const notAFile = code === 'EINVAL' || code === 'EISDIR';
    throw new PulseError('usage', `cannot read ${configFile}: ${(error as Error).message.split('\n', 1)[0]}`, {
      hint: notAFile ? 'put the file supabase init writes there, or remove it' : hint`fix its permissions, or give ${option('connection')} and ${option('filePrefix')}`,
    });
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
    throw new PulseError('usage', `${file}: ${key} must be a whole number from ${min} to ${max}`, {
      hint: hint`fix ${key} in ${SUPABASE_CONFIG_PATH}, or ${setOption('connection')}`,
    });
  }
  return value;
}
