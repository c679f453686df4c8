/**
 * The command `pulse-backup guard -- COMMAND…` protects. It is the one child
 * that is not a tool of ours, so it does not start through toolProcess.ts,
 * whose policy is for our tools: it inherits the
 * terminal (a prompt such as `prisma migrate reset`'s reaches the person),
 * has no time limit, and is not killed when we die (it is the person's, and
 * half a migration killed by us is worse than one left to finish).
 *
 * Signals: in a terminal, Ctrl-C (SIGINT), Ctrl-\ (SIGQUIT) and a closed
 * terminal (SIGHUP) reach every process of the foreground job, the command
 * included, by themselves; passing them on as well would make one Ctrl-C two,
 * which many tools read as "stop at once, skip the clean-up". So there they
 * are only waited out. Without a terminal (CI, a supervisor that signals our
 * pid) nothing else delivers them, and they are passed on; SIGTERM, which no
 * terminal sends, always is.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { basename, delimiter, resolve } from 'node:path';
import { constants } from 'node:os';
import { redactText } from '../connection/redact';
import { PulseError } from '../errors';
import { printable } from '../format';
import { shellCommand } from '../shell';

/** Set in the command's environment: the safety set taken before it, for a script that wants to restore it on failure. */
export const SAFETY_SET_VARIABLE = 'PULSE_BACKUP_SAFETY_SET';

/** Our variables that can carry a password: never handed to a command that is not ours. */
const SECRET_VARIABLES = new Set(['PULSE_BACKUP_DB_URL']);

/** What follows a start of the command that it cannot run, as `env`, `timeout` and POSIX shells report it. */
export const NOT_EXECUTABLE_EXIT_CODE = 126;
export const NOT_FOUND_EXIT_CODE = 127;

export interface GuardedCommandOptions {
  argv: readonly string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** We run in a terminal, whose keys signal the command by themselves. */
  inTerminal: boolean;
  /** Hands SIGINT, SIGTERM, SIGHUP and SIGQUIT to `relay` while the command runs; returns the undo. */
  relaySignals: (relay: (signal: NodeJS.Signals) => void) => () => void;
}

export interface GuardedCommandExit {
  /** The exit code as a shell reports it: the command's own, or 128 + n when signal n ended it. */
  exitCode: number;
  signal?: NodeJS.Signals;
}

/** The person's environment as they have it, less our variables that carry a password, plus the safety set's id. */
export function guardedEnvironment(env: NodeJS.ProcessEnv, safetySet: string | undefined): NodeJS.ProcessEnv {
  const result: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(env)) if (!SECRET_VARIABLES.has(name.toUpperCase()) && name !== SAFETY_SET_VARIABLE) result[name] = value;
  if (safetySet !== undefined) result[SAFETY_SET_VARIABLE] = safetySet;
  return result;
}

/** Whether a signal we received is passed on to the command (see the header). */
export function relaysSignal(signal: NodeJS.Signals, inTerminal: boolean): boolean {
  return signal === 'SIGTERM' || !inTerminal;
}

/** A child's end as a shell's `$?` says it. */
export function shellExitCode(code: number | null, signal: NodeJS.Signals | null): number {
  if (code !== null) return code;
  const number = signal === null ? undefined : (constants.signals as Record<string, number | undefined>)[signal];
  return number === undefined ? 1 : 128 + number;
}

/** An option whose next word is a password: --password, --db-password, --passwd, --pass (any case). */
const PASSWORD_OPTION = /^--?(?:[a-z]+-)*pass(?:word|wd)?$/i;

/** Programs whose --password takes no value. */
const POSTGRES_TOOLS: ReadonlySet<string> = new Set([
  'psql',
  'pg_dump',
  'pg_dumpall',
  'pg_restore',
  'createdb',
  'dropdb',
  'createuser',
  'dropuser',
  'pg_basebackup',
  'vacuumdb',
  'reindexdb',
  'clusterdb',
  'pg_isready',
]);

/** The Supabase CLI, also as npx/pnpm dlx/bunx run it (`supabase@2.20.0`): its `-p` is `--password`. */
const SUPABASE_CLI = /^supabase(?:@\S*)?$/;
const PACKAGE_RUNNER = /^(?:npx|bunx|pnpm|pnpx|yarn|dlx|exec|npm|bun|x|-y|--yes|--package=\S+)$/;

/** Where the Supabase CLI's own words start: after the package runner's (npx -p supabase supabase, npm exec supabase --, bun x supabase). */
function supabaseCliAt(argv: readonly string[]): number {
  for (let index = 0; index < argv.length; index += 1) {
    const word = basename(argv[index]);
    if (SUPABASE_CLI.test(word)) return index;
    if (PACKAGE_RUNNER.test(word)) continue;
    // The runner's own --package NAME (npx -p supabase supabase …): its value is a package, not the CLI's first word.
    if (index > 0 && (word === '-p' || word === '--package')) {
      index += 1;
      continue;
    }
    return -1;
  }
  return -1;
}

/** The command for a person to read, on one line, without a password a URL or a password option in it holds. */
export function describeCommand(argv: readonly string[], limit = 100): string {
  // The word after a password option (supabase db push --password SECRET) is the secret itself.
  // PostgreSQL's own tools take --password as a switch (prompt for one): the next word is theirs.
  const switchOnly = POSTGRES_TOOLS.has(basename(argv[0] ?? ''));
  const supabaseAt = supabaseCliAt(argv);
  const shortPassword = (index: number) => supabaseAt >= 0 && index > supabaseAt;
  const shown = argv.map((word, index) => {
    if (index === 0) return word;
    if (!switchOnly && PASSWORD_OPTION.test(argv[index - 1])) return '****';
    if (shortPassword(index) && argv[index - 1] === '-p') return '****';
    if (shortPassword(index) && /^-p./.test(word)) return word.startsWith('-p=') ? '-p=****' : '-p****';
    return word;
  });
  const text = redactText(shellCommand(shown));
  return text.length <= limit ? text : `${text.slice(0, limit - 1)}…`;
}

/**
 * What a safety set's manifest records of the command: the program's name
 * and the plain words after it that name what it does (`supabase db reset`,
 * `npm run db:reset`), stopping at the first option, path, URL or quoted
 * text: an argument there may be a secret, which a manifest never holds.
 */
export function commandSummary(argv: readonly string[], words = 4): string {
  const program = basename(argv[0] ?? '');
  const plain = [];
  for (const word of argv.slice(1, words)) {
    if (!/^[a-z][a-z0-9:._-]{0,30}$/.test(word)) break;
    plain.push(word);
  }
  return redactText([program, ...plain].join(' '));
}

/** Runs the command to its end, its terminal and signals handed over; rejects only when it cannot start. */
export function runGuardedCommand(options: GuardedCommandOptions): Promise<GuardedCommandExit> {
  const [program, ...args] = options.argv;
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, { cwd: options.cwd, env: options.env, stdio: 'inherit' });
    const release = options.relaySignals((signal) => {
      if (!relaysSignal(signal, options.inTerminal)) return;
      try {
        child.kill(signal);
      } catch {
        // it has just ended
      }
    });
    child.once('error', (error: NodeJS.ErrnoException) => {
      release();
      reject(startError(options.argv, error, options));
    });
    child.once('exit', (code, signal) => {
      release();
      resolve({ exitCode: shellExitCode(code, signal), ...(signal ? { signal } : {}) });
    });
  });
}

function startError(argv: readonly string[], error: NodeJS.ErrnoException, where: { cwd: string; env: NodeJS.ProcessEnv }): PulseError {
  const program = describeCommand(argv.slice(0, 1));
  // ENOENT for a program that is there: the interpreter its #! line names is not.
  const interpreter = error.code === 'ENOENT' ? missingInterpreter(argv[0], where) : undefined;
  if (interpreter?.endsWith('\r')) {
    return new PulseError(
      'usage',
      `cannot run ${program}: its #! line ends in a carriage return (Windows line endings), so it names ${printable(interpreter)}, which does not exist`,
      {
        hint: "convert the script's line endings (dos2unix, or sed -i 's/\\r$//' on it)",
        exitCode: NOT_EXECUTABLE_EXIT_CODE,
        cause: error,
      },
    );
  }
  if (interpreter !== undefined) {
    return new PulseError('usage', `cannot run ${program}: the interpreter its #! line names (${printable(interpreter)}) does not exist`, {
      hint: 'install it, or correct the first line of the script (e.g. #!/usr/bin/env bash)',
      exitCode: NOT_EXECUTABLE_EXIT_CODE,
      cause: error,
    });
  }
  if (error.code === 'ENOENT') {
    return new PulseError('usage', `cannot run ${program}: there is no such command${program.includes('/') ? '' : ' on PATH'}`, {
      hint: 'check its spelling, or give its full path; a shell line (a pipe, &&, a variable) runs as sh -c "…"',
      exitCode: NOT_FOUND_EXIT_CODE,
      cause: error,
    });
  }
  return new PulseError('usage', `cannot run ${program}: ${error.code === 'EACCES' ? 'it is not executable' : (error.code ?? error.message)}`, {
    hint: 'check that it is a program you may run (chmod +x), or give the right path',
    exitCode: NOT_EXECUTABLE_EXIT_CODE,
    cause: error,
  });
}

/** The interpreter named by the #! line of the file the program is (as the shell finds it), when there is such a file; undefined otherwise. */
function missingInterpreter(program: string, where: { cwd: string; env: NodeJS.ProcessEnv }): string | undefined {
  const candidates = program.includes('/') ? [resolve(where.cwd, program)] : (where.env.PATH ?? '').split(delimiter).map((folder) => resolve(where.cwd, folder || '.', program));
  for (const candidate of candidates) {
    let head: Buffer;
    try {
      if (!statSync(candidate).isFile()) continue;
      const descriptor = openSync(candidate, 'r');
      try {
        head = Buffer.alloc(256);
        head = head.subarray(0, readSync(descriptor, head, 0, head.length, 0));
      } finally {
        closeSync(descriptor);
      }
    } catch {
      continue;
    }
    // The kernel takes everything to the line's end: a Windows line ending names "/bin/bash\r".
    const line = /^#![ \t]*([^ \t\n]+)/.exec(head.toString('utf8'));
    return line ? line[1] : undefined;
  }
  return undefined;
}
