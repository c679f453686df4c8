/** What every `pulse-backup` command is: its spec for the parser and help, and how it runs. */
import { resolve } from 'node:path';
import { resolveConnection, type ConnectionTarget } from '../core/connection';
import type { CommandLine, CommandSpec, Flags } from './args';

export interface CliContext {
  env: NodeJS.ProcessEnv;
  cwd: string;
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
  stdin: NodeJS.ReadStream;
  /** Aborted on SIGINT or SIGTERM. */
  signal: AbortSignal;
}

export interface Command extends CommandSpec {
  /** Returns the exit code; throws a PulseError for anything that went wrong. */
  run(commandLine: CommandLine, context: CliContext): Promise<number>;
}

export function backupsFolder(flags: Flags, context: CliContext): string {
  const fromEnv = context.env.PULSE_BACKUP_DIR?.trim();
  return resolve(context.cwd, flags.dir ?? (fromEnv ? fromEnv : 'backups'));
}

export function connectionTarget(flags: Flags, context: CliContext): ConnectionTarget {
  return resolveConnection({ url: flags.db, env: context.env });
}

export function writeJson(context: CliContext, value: unknown): void {
  context.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
