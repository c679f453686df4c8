/**
 * pg_dump and psql from the Supabase stack's own database container, for
 * when no client tools on this machine are new enough for the project's
 * PostgreSQL: the container's tools always match its server. They run with
 * `docker exec -i`, streamed; the connection reaches them as environment
 * variables forwarded by name (`-e PGPASSWORD`, never `-e PGPASSWORD=…`), so
 * no password is ever on a command line. Inside the container the server
 * listens on its own port 5432.
 */
import { basename } from 'node:path';
import type { ConnectionTarget } from '../connection/target';
import { PulseError } from '../errors';
import { parsePgVersion, type PgVersion, type ToolSet } from '../pg/tools';
import type { SupabaseProject } from './project';
import { runTool } from '../process/toolProcess';

/** pg_dump and psql from the stack's database container (this module). */
export interface ContainerTools {
  container: string;
  pgDump: PgVersion;
  /** Why the container's: the stack's [db].major_version, and the newest pg_dump here (none: undefined). */
  wanted: number;
  localMajor?: number;
}

/** The variables a tool in the container reads; forwarded by name from docker's own environment. */
export const CONTAINER_ENV_NAMES = ['PGHOST', 'PGPORT', 'PGUSER', 'PGPASSWORD', 'PGDATABASE', 'PGAPPNAME'] as const;

/**
 * The project id as the Supabase CLI puts it into container names
 * (`sanitizeProjectId` in supabase/cli `pkg/config/config.go`): each run of
 * characters docker refuses becomes one `_`, leading `_`, `.` and `-` go,
 * and it is cut to 40 characters (docker host names are at most 63, and
 * `supabase_edge_runtime_` must still fit in front).
 */
export function sanitizeProjectId(id: string): string {
  return id
    .replace(/[^A-Za-z0-9_.-]+/g, '_')
    .replace(/^[_.-]+/, '')
    .slice(0, 40);
}

/** How the Supabase CLI names the project's database container. */
export function supabaseDbContainer(project: SupabaseProject): string {
  return `supabase_db_${sanitizeProjectId(project.projectId ?? basename(project.folder))}`;
}

/** `docker exec -i -e PGHOST … CONTAINER TOOL ARGS…`: the command line, with no secret in it. */
export function dockerExecArgs(container: string, tool: 'pg_dump' | 'psql', toolArgs: readonly string[]): string[] {
  return ['exec', '-i', ...CONTAINER_ENV_NAMES.flatMap((name) => ['-e', name]), container, tool, ...toolArgs];
}

/** docker's environment for such a command: the connection as seen from inside the container. */
export function dockerEnv(target: Pick<ConnectionTarget, 'user' | 'database' | 'password'> | undefined, base: NodeJS.ProcessEnv): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of ['PATH', 'HOME', 'DOCKER_HOST', 'DOCKER_CONTEXT', 'DOCKER_CONFIG', 'DOCKER_CERT_PATH', 'DOCKER_TLS_VERIFY']) {
    const value = base[name];
    if (value !== undefined) env[name] = value;
  }
  if (!target) return env;
  env.PGHOST = '127.0.0.1';
  env.PGPORT = '5432';
  env.PGUSER = target.user;
  env.PGDATABASE = target.database;
  if (target.password !== undefined) env.PGPASSWORD = target.password;
  return env;
}

/** The container's tools as a tool set (what the manifest records as the pg_dump used, and the psql a restore runs). */
export function containerToolSet(tools: ContainerTools): ToolSet {
  const run = (tool: string) => `docker exec ${tools.container} ${tool}`;
  return {
    folder: `docker:${tools.container}`,
    pgDump: { path: run('pg_dump'), version: tools.pgDump },
    psql: { path: run('psql'), version: tools.pgDump },
    source: 'explicit',
  };
}

export type ContainerProbe = { ok: true; container: string; pgDump: PgVersion } | { ok: false; container: string; reason: string };

/** Whether docker reaches the running container and which pg_dump it has. Never throws. */
export async function probeSupabaseContainer(project: SupabaseProject, env: NodeJS.ProcessEnv): Promise<ContainerProbe> {
  const container = supabaseDbContainer(project);
  const run = (args: string[]) => runTool('docker', args, { env: dockerEnv(undefined, env), timeoutMs: 10_000, forceKillAfterMs: 0 });
  const inspect = await run(['inspect', '--format', '{{.State.Running}}', container]);
  if (inspect.startError) return { ok: false, container, reason: inspect.startError.code === 'ENOENT' ? 'docker is not installed' : inspect.startError.message };
  if (inspect.timedOut) return { ok: false, container, reason: 'docker did not answer within 10 seconds' };
  if (inspect.exitCode !== 0) {
    const said =
      String(inspect.stderr)
        .split('\n')
        .find((line) => line.trim() !== '') ?? `docker inspect exited with ${String(inspect.exitCode)}`;
    return { ok: false, container, reason: said.trim().replace(/^Error( response from daemon)?:\s*/i, '') };
  }
  if (String(inspect.stdout).trim() !== 'true') return { ok: false, container, reason: `the container ${container} is not running` };
  const version = await run(['exec', container, 'pg_dump', '--version']);
  const parsed =
    version.exitCode === 0
      ? parsePgVersion(
          String(version.stdout)
            .replace(/^.*?\)\s*/, '')
            .trim(),
        )
      : undefined;
  if (!parsed) return { ok: false, container, reason: `pg_dump --version did not answer in ${container}` };
  return { ok: true, container, pgDump: parsed };
}

/** Neither local client tools nor the container: one line naming both ways out. */
export function noClientToolsError(wanted: number, have: string, probe: Extract<ContainerProbe, { ok: false }>): PulseError {
  return new PulseError(
    'tools-too-old',
    `supabase/config.toml says the database runs PostgreSQL ${wanted}, but ${have}, and docker cannot use the stack's database container ${probe.container} (${probe.reason})`,
    {
      hint: `install the PostgreSQL ${wanted} client tools (e.g. apt install postgresql-client-${wanted}, brew install postgresql@${wanted}), or start the Supabase stack (supabase start) so pg_dump and psql run inside its container`,
    },
  );
}
