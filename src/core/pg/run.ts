/**
 * pg_dump and psql for a proof or a diff, wherever they run: this machine's
 * client tools, or those inside the Supabase stack's database container
 * (supabaseDocker.ts), against any database of the server. The connection
 * goes in the child's environment, never on its command line.
 */
import { hint, setOption } from '../hint';
import { type ConnectionTarget } from '../connection/target';
import { childProcessEnv } from '../connection/session';
import { chooseClientTools, findClientTools, type PgVersion, type ToolSet } from './tools';
import { PulseError } from '../errors';
import { containerToolSet, dockerEnv, dockerExecArgs } from '../supabase/docker';
import type { ContainerTools } from '../supabase/docker';
import { startTool, type ToolProcess } from '../process/toolProcess';

export interface ClientTools {
  pgDump: { path: string; version: PgVersion };
  psql: { path: string; version: PgVersion };
  /** Run inside this container (docker exec): its tools cannot read this machine's files. */
  container?: ContainerTools;
}

export interface RunOptions {
  env: NodeJS.ProcessEnv;
  stdin: 'ignore' | 'pipe';
  stdout: 'ignore' | 'pipe';
  signal?: AbortSignal;
  /** More variables for the tool (PGAPPNAME, PGOPTIONS). */
  extraEnv?: Record<string, string>;
}

export function startPgTool(tools: ClientTools, tool: 'psql' | 'pg_dump', target: ConnectionTarget, args: readonly string[], options: RunOptions): ToolProcess {
  const container = tools.container;
  const env = container ? dockerEnv(target, options.env) : childProcessEnv(target, options.env);
  return startTool(container ? 'docker' : tool === 'psql' ? tools.psql.path : tools.pgDump.path, container ? dockerExecArgs(container.container, tool, args) : args, {
    env: { ...env, ...options.extraEnv },
    stdin: options.stdin,
    stdout: options.stdout,
    signal: options.signal,
  });
}

/** What a failed start is called in a message. */
export function toolName(tools: ClientTools, tool: 'psql' | 'pg_dump'): string {
  return tools.container ? 'docker' : tool === 'psql' ? tools.psql.path : tools.pgDump.path;
}

/**
 * The client tools for a server: the container's when given, else this
 * machine's that fit the server, preferring the pg_dump major the set was
 * made with (its schema text then reads the same, word for word).
 */
export async function clientToolsFor(
  server: PgVersion,
  options: { env: NodeJS.ProcessEnv; pgBinDir?: string; container?: ContainerTools; preferMajor?: number; signal?: AbortSignal },
): Promise<ClientTools> {
  if (options.container) return fromToolSet(containerToolSet(options.container), options.container);
  const found = await findClientTools({ pgBinDir: options.pgBinDir, env: options.env, ...(options.signal ? { signal: options.signal } : {}) });
  const preferred =
    options.preferMajor === undefined ? [] : found.filter((set) => set.pgDump.version.major === options.preferMajor && set.pgDump.version.major >= server.major && set.psql);
  return fromToolSet(preferred[0] ?? chooseClientTools(found, server));
}

function fromToolSet(set: ToolSet, container?: ContainerTools): ClientTools {
  if (!set.psql) {
    throw new PulseError('tools-not-found', `there is no psql beside ${set.pgDump.path}`, {
      hint: hint`install the PostgreSQL client tools (psql) or ${setOption('clientToolsFolder')}`,
    });
  }
  return { pgDump: { path: set.pgDump.path, version: set.pgDump.version }, psql: { path: set.psql.path, version: set.psql.version }, ...(container ? { container } : {}) };
}
