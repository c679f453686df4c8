/** What every `pulse-backup` command is: its spec for the parser and help, and how it runs. */
import { cliHint, commandLineWords } from '../core/commandLineWords';
import { checkLine, type CheckResult } from '../core/verify/results';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { describeServer, resolveConnection, type ConnectionTarget } from '../core/connection/target';
import { PulseError } from '../core/errors';
import { defaultPrefix, isValidPrefix } from '../core/sets/naming';
import { makePolicy, type RetentionPolicy } from '../core/retention/policy';
import { readSupabaseProject, supabaseDatabaseUrl, supabasePrefix, type SupabaseProject } from '../core/supabase/project';
import { type ContainerTools } from '../core/supabase/docker';
import { describeContainerTools, supabaseToolRoute } from '../core/supabase/toolRoute';
import type { CommandLine, CommandSpec, Flags } from './args';
import { askHidden } from './passwordPrompt';
import { readPasswordFile } from '../core/connection/passwordFile';
import { listSets } from '../core/sets/listing';
import { latestBackup } from '../core/sets/state';

export interface CliContext {
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** How this CLI was started: Node's own path and the script's (dist/cli.js), both absolute, for a command line that runs it again (schedule print). */
  launch: { node: string; script: string };
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
  stdin: NodeJS.ReadStream;
  /** Aborted on SIGINT or SIGTERM. */
  signal: AbortSignal;
  /** PULSE_BACKUP_PASSPHRASE, taken out of the environment at start: no tool the CLI runs inherits it. */
  passphrase?: string;
  /**
   * From now until the returned function is called, SIGINT, SIGTERM, SIGHUP
   * and SIGQUIT go to `relay` instead of cancelling the run: guard's command
   * is running, and what they mean is the command's business.
   */
  relaySignals(relay: (signal: NodeJS.Signals) => void): () => void;
}

export interface Command extends CommandSpec {
  /** Returns the exit code; throws a PulseError for anything that went wrong. */
  run(commandLine: CommandLine, context: CliContext): Promise<number>;
}

export function backupsFolder(flags: Flags, context: CliContext): string {
  const fromEnv = context.env.PULSE_BACKUP_DIR?.trim();
  return resolve(context.cwd, flags.dir ?? (fromEnv ? fromEnv : 'backups'));
}

/** The word a command line may give instead of a set id. */
const LATEST_SET = 'latest';

/**
 * The set a command line names: its id, or `latest` for the newest backup in
 * the folder that is finished and whole (not a safety set, not one being
 * written; the old script's sets count), whatever its prefix.
 */
export async function namedSetId(id: string, folder: string): Promise<string> {
  if (id !== LATEST_SET) return id;
  const latest = latestBackup((await listSets(folder)).map((set) => ({ set })));
  if (!latest && !existsSync(folder)) {
    throw new PulseError('unknown-set', `no backup to call latest: the folder ${folder} does not exist`, { hint: 'check --dir and run again' });
  }
  if (!latest) {
    throw new PulseError('unknown-set', `no backup in ${folder} to call latest`, {
      hint: 'it has no finished, whole backup set (safety backups and sets being written do not count): run pulse-backup backup first, or name a set (pulse-backup list)',
    });
  }
  return latest.set.id;
}

/**
 * --prefix, else a Supabase project's project_id, else the current folder's
 * name, in snake_case: the same for backup and prune, so prune finds what
 * backup wrote.
 */
export function setPrefix(flags: Flags, context: CliContext): string {
  const project = flags.prefix === undefined ? supabaseProject(context) : undefined;
  const prefix = flags.prefix ?? (project && supabasePrefix(project)) ?? defaultPrefix(context.cwd);
  if (!isValidPrefix(prefix)) {
    throw new PulseError('usage', `invalid prefix "${prefix}"`, {
      hint: 'use letters, digits, underscores and hyphens, starting and ending with a letter or digit, e.g. --prefix factory_pulse',
    });
  }
  return prefix;
}

/**
 * --db, the environment, else the current folder's Supabase project's
 * database, else the local Supabase default. On a terminal, a password the
 * server asks for and nobody gave is asked for, as psql does.
 */
export function connectionTarget(flags: Flags, context: CliContext): ConnectionTarget {
  const project = supabaseProject(context);
  const target = resolveConnection({ url: flags.db, env: context.env, ...(project ? { defaultUrl: supabaseDatabaseUrl(project) } : {}) });
  // Given on purpose for this run, the file wins over a password from the environment.
  if (flags.passwordFile !== undefined) target.password = readPasswordFile(resolve(context.cwd, flags.passwordFile));
  if (context.stdin.isTTY && context.stderr.isTTY) {
    target.askPassword = (asked) => askHidden(context.stdin, context.stderr, `Password for user ${asked.user} at ${describeServer(asked)}: `, context.signal);
  }
  return target;
}

/** --keep / --keep-last and the bucket flags; none given: keep the last 10. */
export function retentionPolicy(flags: Flags): RetentionPolicy {
  return makePolicy({ ...flags.keepRules, ...(flags.keep !== undefined ? { last: flags.keep } : {}) });
}

const projects = new Map<string, SupabaseProject | undefined>();

/** The Supabase project in the current folder (supabase/config.toml), read once. */
export function supabaseProject(context: CliContext): SupabaseProject | undefined {
  if (!projects.has(context.cwd)) projects.set(context.cwd, readSupabaseProject(context.cwd));
  return projects.get(context.cwd);
}

/**
 * When the target is the Supabase stack's own server, [db].major_version
 * needs a pg_dump to match, checked before connecting: the local one, else
 * the stack container's (returned, and said once on stderr), else an error
 * naming both ways out.
 */
export async function supabaseContainerTools(target: ConnectionTarget, flags: Flags, context: CliContext): Promise<ContainerTools | undefined> {
  const tools = await supabaseToolRoute(supabaseProject(context), target, { pgBinDir: flags.pgBinDir ?? context.env.PULSE_BACKUP_PG_BIN_DIR, env: context.env });
  if (tools) context.stderr.write(`pulse-backup: note: ${describeContainerTools(tools)}\n`);
  return tools;
}

let jsonWritten = false;

export function writeJson(context: CliContext, value: unknown): void {
  jsonWritten = true;
  context.stdout.write(`${JSON.stringify(value, wordedChecks, 2)}\n`);
}

/** Whether this run has put its result on stdout as JSON: an error after it must not add a second document. */
export function wroteJson(): boolean {
  return jsonWritten;
}

/** --json among our own arguments (what follows `--` is guard's command's). */
export function asksForJson(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  return (end < 0 ? argv : argv.slice(0, end)).includes('--json');
}

/** A failure as `--json` prints it: `{ "error": { code, message, hint, exitCode } }`, the hint worded as stderr's. */
export function jsonError(error: PulseError): { code: string; message: string; hint: string | null; exitCode: number } {
  return { code: error.code, message: error.message, hint: error.hint === undefined ? null : cliHint(error.hint), exitCode: error.exitCode };
}

/** A check's advice travels as data; JSON readers get it worded into the detail line, as the CLI prints it. */
function wordedChecks(this: unknown, _key: string, value: unknown): unknown {
  if (value === null || typeof value !== 'object' || !('hint' in value) || !('detail' in value) || !('status' in value)) return value;
  const check = value as CheckResult;
  return { id: check.id, title: check.title, status: check.status, detail: checkLine(check, commandLineWords) };
}
