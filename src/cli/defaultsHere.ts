/**
 * What --db, --prefix and --dir come to in the current folder, for the help:
 * a Supabase project's database and project_id, the environment's URL, the
 * folder's name. Never the password; a broken config.toml leaves them out.
 */
import { resolve } from 'node:path';
import { describeTarget, resolveConnection, type ConnectionSource } from '../core/connection/target';
import { defaultPrefix } from '../core/sets/naming';
import { readSupabaseProject, supabaseDatabaseUrl, supabasePrefix, SUPABASE_CONFIG_PATH } from '../core/supabase/project';
import type { DefaultsHere } from './args';

const SOURCES: Record<ConnectionSource, string> = {
  flag: '--db',
  PULSE_BACKUP_DB_URL: 'from PULSE_BACKUP_DB_URL',
  DATABASE_URL: 'from DATABASE_URL',
  'PG environment': 'from the PG* variables',
  default: 'the default',
};

export function defaultsHere(cwd: string, env: NodeJS.ProcessEnv): DefaultsHere {
  const here: DefaultsHere = {};
  let project;
  try {
    project = readSupabaseProject(cwd);
  } catch {
    return here;
  }
  const projectPrefix = project && supabasePrefix(project);
  here.prefix = projectPrefix ? `${projectPrefix}, from ${SUPABASE_CONFIG_PATH}'s project_id` : `${defaultPrefix(cwd)}, from this folder's name`;
  here.dir = resolve(cwd, env.PULSE_BACKUP_DIR?.trim() || 'backups');
  try {
    const target = resolveConnection({ env, ...(project ? { defaultUrl: supabaseDatabaseUrl(project) } : {}) });
    const source = target.source === 'default' && project ? `the Supabase project's database ([db].port in ${SUPABASE_CONFIG_PATH})` : SOURCES[target.source];
    here.db = `${describeTarget(target)}, ${source}`;
  } catch {
    // A malformed URL in the environment: the command itself says so.
  }
  return here;
}
