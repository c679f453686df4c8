/**
 * Which pg_dump and psql serve the stack's own server: this machine's when
 * one is new enough for the project's [db].major_version, else the stack's
 * container's (docker.ts), else one error naming both ways out.
 */
import { isLocalTarget, isSocketPath, type ConnectionTarget } from '../connection/target';
import { findClientTools, type ToolSet } from '../pg/tools';
import { noClientToolsError, probeSupabaseContainer, type ContainerTools } from './docker';
import type { SupabaseProject } from './project';

/** Whether a pg_dump found here can dump the project's PostgreSQL ([db].major_version; any will do when unset). */
export function localPgDumpFits(project: SupabaseProject, found: readonly ToolSet[]): boolean {
  const wanted = project.majorVersion;
  return wanted === undefined || found.some((set) => set.pgDump.version.major >= wanted);
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
