#!/usr/bin/env node
/**
 * `pulse-backup`: the command-line front door onto the engine in src/core.
 * It parses flags, turns SIGINT/SIGTERM into cancellation, and renders the
 * engine's values and errors; it makes no backup decisions of its own.
 */
import { realpathSync } from 'node:fs';
import { resolve } from 'node:path';
import { killAdoptedChildren } from '../core/process/childProcesses';
import { PASSWORD_ADVICE } from '../core/connection/target';
import { PulseError, toPulseError } from '../core/errors';
import { cliError } from '../core/commandLineWords';
import { PULSE_BACKUP_VERSION } from '../core/version';
import { OPTIONS } from '../core/options';
import { helpText, parseCommandLine } from './args';
import { defaultsHere } from './defaultsHere';
import { argumentsWithoutPasswords } from './argvPasswords';
import { asksForJson, jsonError, wroteJson, type CliContext } from './command';
import { COMMANDS } from './commands';
import { printableLines } from '../core/format';
import { printableStream } from './printableStream';
import { leftBehind } from './stoppedRun';

async function main(argv: readonly string[]): Promise<number> {
  const commandLine = parseCommandLine(argv, COMMANDS);
  if (commandLine.command === 'help') {
    printableStream(process.stdout).write(helpText(COMMANDS, commandLine.positionals.join(' ') || undefined, defaultsHere(process.cwd(), process.env)));
    return 0;
  }
  if (commandLine.command === 'version') {
    process.stdout.write(`pulse-backup ${PULSE_BACKUP_VERSION}\n`);
    return 0;
  }
  const command = COMMANDS.find((candidate) => candidate.name === commandLine.command)!;
  running = commandLine;
  // The launcher took it out of the process list; a person at a terminal also hears where it belongs.
  if (process.stderr.isTTY && argumentsWithoutPasswords(argv)) {
    process.stderr.write(
      `pulse-backup: note: a password on the command line can be read by other users of this machine while the command starts, and stays in your shell's history: ${PASSWORD_ADVICE} instead\n`,
    );
  }

  const controller = new AbortController();
  let relay: ((signal: NodeJS.Signals) => void) | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (relay) return relay(signal);
    // A second Ctrl-C: stop waiting for the clean-up.
    if (controller.signal.aborted) exitNow(`${command.name} stopped at once`, commandLine);
    controller.abort();
    // Whatever the run is waiting for, a signal ends it soon: what the clean-up did not get to, the next run that takes the folder does.
    setTimeout(() => exitNow(`${command.name} cancelled, but its clean-up did not end within ${CLEAN_UP_LIMIT_MS / 1000} seconds`, commandLine), CLEAN_UP_LIMIT_MS).unref();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const passphrase = process.env[PASSPHRASE_VARIABLE];
  delete process.env[PASSPHRASE_VARIABLE];
  const relayed: NodeJS.Signals[] = ['SIGHUP', 'SIGQUIT'];
  const context: CliContext = {
    env: process.env,
    cwd: process.cwd(),
    launch: { node: process.execPath, script: scriptPath() },
    stdout: printableStream(process.stdout),
    stderr: printableStream(process.stderr),
    stdin: process.stdin,
    signal: controller.signal,
    ...(passphrase !== undefined ? { passphrase } : {}),
    relaySignals(to) {
      relay = to;
      // Without a listener these would end this process and leave the command behind.
      for (const name of relayed) process.on(name, onSignal);
      return () => {
        relay = undefined;
        for (const name of relayed) process.off(name, onSignal);
      };
    },
  };
  try {
    return await command.run(commandLine, context);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

const PASSPHRASE_VARIABLE = OPTIONS.passphrase.env;
/** The script that was started (dist/cli.js, through whatever link `pulse-backup` is on PATH), as a path that stays when the link moves. */
function scriptPath(): string {
  const started = process.argv[1] ?? __filename;
  try {
    return realpathSync(started);
  } catch {
    return resolve(started);
  }
}

/** How long a cancelled run may take to stop its tools and remove its partial files. */
const CLEAN_UP_LIMIT_MS = 5000;

/** Ends the process now, its tools with it. */
function exitNow(what: string, commandLine: { command: string; flags: { jobs?: number; prove?: boolean } }): never {
  killAdoptedChildren();
  process.stderr.write(`pulse-backup: ${what}: it stopped its tools; ${leftBehind(commandLine)}\n`);
  process.exit(130);
}

// A reader that stops early (`| head`) closes the pipe; that is not an error of ours.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') return;
    throw error;
  });
}

/** The command being run, once the command line is parsed. */
let running: { command: string; flags: { jobs?: number; prove?: boolean } } | undefined;
let settled = false;

// Node ends a process whose event loop is empty, with exit code 0, even when
// the command is still waiting: for an event nothing can send any more (a
// fault of ours). That must never read as success, nor go unsaid.
process.once('beforeExit', () => {
  if (settled) return;
  const what = running ? `${running.command} stopped before it finished` : 'stopped before it finished';
  fail(
    new PulseError('internal', `${what}: it was waiting for something that can no longer happen (a fault of pulse-backup, not of your database), so it ends here`, {
      hint: `${running ? leftBehind(running) : 'nothing was changed'}; run it again, and if it repeats, report it with the output of PULSE_BACKUP_DEBUG=1`,
      exitCode: STOPPED_UNFINISHED,
    }),
  );
});

/** sysexits' EX_SOFTWARE: an internal fault, never a failure of the database or of a file. */
const STOPPED_UNFINISHED = 70;

/** A run that ends in an error: one line on stderr, and as JSON where the script asked for JSON and got no result. */
function fail(pulseError: PulseError): void {
  process.stderr.write(`pulse-backup: ${printableLines(cliError(pulseError))}\n`);
  if (asksForJson(process.argv.slice(2)) && !wroteJson()) process.stdout.write(`${printableLines(JSON.stringify({ error: jsonError(pulseError) }, null, 2))}\n`);
  if (process.env.PULSE_BACKUP_DEBUG && pulseError.details) process.stderr.write(`${printableLines(pulseError.details)}\n`);
  process.exitCode = pulseError.exitCode;
}

main(process.argv.slice(2)).then(
  (code) => {
    settled = true;
    process.exitCode = code;
  },
  (error: unknown) => {
    settled = true;
    fail(toPulseError(error));
  },
);
