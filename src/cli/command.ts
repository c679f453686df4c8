/** What every `pulse-backup` command is: its spec for the parser and help, and how it runs. */
import { resolve } from 'node:path';
import { resolveConnection, type ConnectionTarget } from '../core/connection';
import { PulseError } from '../core/errors';
import { defaultPrefix, isValidPrefix } from '../core/naming';
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

/** --prefix, or the current folder's name in snake_case: the same for backup and prune, so prune finds what backup wrote. */
export function setPrefix(flags: Flags, context: CliContext): string {
  const prefix = flags.prefix ?? defaultPrefix(context.cwd);
  if (!isValidPrefix(prefix)) {
    throw new PulseError('usage', `invalid prefix "${prefix}"`, {
      hint: 'use letters, digits, underscores and hyphens, starting and ending with a letter or digit, e.g. --prefix factory_pulse',
    });
  }
  return prefix;
}

export function connectionTarget(flags: Flags, context: CliContext): ConnectionTarget {
  return resolveConnection({ url: flags.db, env: context.env });
}

export function writeJson(context: CliContext, value: unknown): void {
  context.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
