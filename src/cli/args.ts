/**
 * The command line of `pulse-backup`, parsed into plain values. Anything it
 * does not know is a usage error (exit code 2) with a pointer to the help.
 */
import { parseArgs } from 'node:util';
import { PulseError } from '../core/errors';

export type CommandName = 'backup' | 'list' | 'show' | 'help' | 'version';

export interface CommandLine {
  command: CommandName;
  /** Positional arguments after the command (e.g. a set id). */
  positionals: string[];
  db?: string;
  dir?: string;
  prefix?: string;
  pgBinDir?: string;
  json: boolean;
}

interface CommandSpec {
  flags: readonly string[];
  positionals: number;
  usage: string;
  summary: string;
}

export const COMMANDS: Record<Exclude<CommandName, 'help' | 'version'>, CommandSpec> = {
  backup: {
    flags: ['db', 'dir', 'prefix', 'pg-bin-dir', 'json'],
    positionals: 0,
    usage: 'pulse-backup backup [--db URL] [--dir DIR] [--prefix NAME] [--pg-bin-dir DIR] [--json]',
    summary: 'write a backup set (schema, data, complete, manifest) from one consistent snapshot',
  },
  list: {
    flags: ['dir', 'json'],
    positionals: 0,
    usage: 'pulse-backup list [--dir DIR] [--json]',
    summary: 'list the backup sets in the folder, newest first',
  },
  show: {
    flags: ['dir', 'json'],
    positionals: 1,
    usage: 'pulse-backup show <SET_ID> [--dir DIR] [--json]',
    summary: "show one set: its files, tables with row counts, and the manifest's facts",
  },
};

const FLAG_TYPES = {
  db: { type: 'string' },
  dir: { type: 'string' },
  prefix: { type: 'string' },
  'pg-bin-dir': { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'V' },
} as const;

export function parseCommandLine(argv: readonly string[]): CommandLine {
  const first = argv[0];
  if (first === undefined || first === 'help' || first === '--help' || first === '-h') {
    return { command: 'help', positionals: argv.slice(1), json: false };
  }
  if (first === '--version' || first === '-V' || first === 'version') {
    return { command: 'version', positionals: [], json: false };
  }
  if (!(first in COMMANDS)) {
    throw usageError(first.startsWith('-') ? `expected a command before ${first}` : `unknown command "${first}"`);
  }
  const command = first as keyof typeof COMMANDS;
  const spec = COMMANDS[command];

  let parsed: ReturnType<typeof parseArgs<{ options: typeof FLAG_TYPES; allowPositionals: true; strict: true }>>;
  try {
    parsed = parseArgs({ args: argv.slice(1), options: FLAG_TYPES, allowPositionals: true, strict: true });
  } catch (error) {
    throw usageError(describeParseError(error), command);
  }
  const values = parsed.values;
  if (values.help) return { command: 'help', positionals: [command], json: false };
  for (const flag of Object.keys(values)) {
    if (!spec.flags.includes(flag)) throw usageError(`${command} does not take --${flag}`, command);
  }
  if (parsed.positionals.length < spec.positionals) {
    throw usageError(`${command} needs a set id`, command);
  }
  if (parsed.positionals.length > spec.positionals) {
    throw usageError(`unexpected argument "${parsed.positionals[spec.positionals]}"`, command);
  }
  for (const flag of ['db', 'dir', 'prefix', 'pg-bin-dir'] as const) {
    if (values[flag] === '') throw usageError(`--${flag} needs a value`, command);
  }
  return {
    command,
    positionals: parsed.positionals,
    db: values.db,
    dir: values.dir,
    prefix: values.prefix,
    pgBinDir: values['pg-bin-dir'],
    json: values.json ?? false,
  };
}

function describeParseError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const unknown = /Unknown option '([^']+)'/.exec(message);
  if (unknown) return `unknown flag ${unknown[1]}`;
  const missing = /Option '([^']+?)(?: <value>)?' argument missing/.exec(message);
  if (missing) return `${missing[1].replace(/^-\w, /, '')} needs a value`;
  const unexpected = /Unexpected argument '([^']+)'/.exec(message);
  if (unexpected) return `unexpected argument "${unexpected[1]}"`;
  return message.split('\n', 1)[0] ?? message;
}

function usageError(message: string, command?: keyof typeof COMMANDS): PulseError {
  const hint = command ? `usage: ${COMMANDS[command].usage}` : 'run pulse-backup help to see the commands';
  return new PulseError('usage', message, { hint });
}

export function helpText(command?: string): string {
  if (command && command in COMMANDS) {
    const spec = COMMANDS[command as keyof typeof COMMANDS];
    return `${spec.usage}\n\n${spec.summary}\n\n${FLAG_HELP}`;
  }
  const lines = Object.values(COMMANDS).map((spec) => `  ${spec.usage}\n      ${spec.summary}`);
  return `pulse-backup: back up and restore PostgreSQL databases\n\nCommands:\n${lines.join('\n')}\n  pulse-backup help [COMMAND]\n  pulse-backup --version\n\n${FLAG_HELP}`;
}

const FLAG_HELP = `Flags:
  --db URL          database URL (default: PULSE_BACKUP_DB_URL, DATABASE_URL, PG* variables,
                    then postgresql://postgres:postgres@127.0.0.1:54322/postgres)
  --dir DIR         backups folder (default: PULSE_BACKUP_DIR or ./backups)
  --prefix NAME     file name prefix (default: the current folder's name in snake_case)
  --pg-bin-dir DIR  folder with pg_dump and psql (default: PULSE_BACKUP_PG_BIN_DIR, PATH, usual places)
  --json            machine-readable output on stdout`;
