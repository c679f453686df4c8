#!/usr/bin/env node
/**
 * `pulse-backup`: the command-line front door onto the engine in src/core.
 * It parses flags, wires signals to cancellation, and renders the engine's
 * values and errors; it makes no backup decisions of its own.
 */
import { resolve } from 'node:path';
import { runBackup } from '../core/backup';
import { resolveConnection } from '../core/connection';
import { formatError, PulseError, toPulseError } from '../core/errors';
import { findSet, listSets } from '../core/listing';
import { defaultPrefix, isValidPrefix } from '../core/naming';
import { PULSE_BACKUP_VERSION } from '../core/version';
import { helpText, parseCommandLine, type CommandLine } from './args';
import { BackupProgressPrinter, renderBackupDone, renderSetDetails, renderSetList } from './output';

async function main(argv: readonly string[]): Promise<number> {
  const commandLine = parseCommandLine(argv);
  switch (commandLine.command) {
    case 'help':
      process.stdout.write(`${helpText(commandLine.positionals[0])}\n`);
      return 0;
    case 'version':
      process.stdout.write(`pulse-backup ${PULSE_BACKUP_VERSION}\n`);
      return 0;
    case 'backup':
      return backupCommand(commandLine);
    case 'list':
      return listCommand(commandLine);
    case 'show':
      return showCommand(commandLine);
  }
}

function backupsFolder(commandLine: CommandLine): string {
  return resolve(commandLine.dir ?? process.env.PULSE_BACKUP_DIR ?? 'backups');
}

async function backupCommand(commandLine: CommandLine): Promise<number> {
  const target = resolveConnection({ url: commandLine.db, env: process.env });
  const prefix = commandLine.prefix ?? defaultPrefix(process.cwd());
  if (!isValidPrefix(prefix)) {
    throw new PulseError('usage', `invalid prefix "${prefix}"`, {
      hint: 'use letters, digits and underscores, e.g. --prefix factory_pulse',
    });
  }
  const folder = backupsFolder(commandLine);
  const progress = process.stderr.isTTY && !commandLine.json ? new BackupProgressPrinter(process.stderr) : undefined;
  const controller = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    if (controller.signal.aborted) process.exit(130); // a second Ctrl-C: stop waiting for clean-up
    progress?.note(`${signal}: cancelling, removing partial files…`);
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const result = await runBackup({
      target,
      folder,
      prefix,
      env: process.env,
      pgBinDir: commandLine.pgBinDir ?? process.env.PULSE_BACKUP_PG_BIN_DIR,
      signal: controller.signal,
      onProgress: progress ? (event) => progress.update(event) : undefined,
    });
    progress?.finish();
    if (commandLine.json) process.stdout.write(`${JSON.stringify(result.manifest, null, 2)}\n`);
    else process.stdout.write(renderBackupDone(result.manifest, folder));
    return 0;
  } finally {
    progress?.finish();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

async function listCommand(commandLine: CommandLine): Promise<number> {
  const folder = backupsFolder(commandLine);
  const sets = await listSets(folder);
  if (commandLine.json) {
    const rows = sets.map(({ manifest: _manifest, ...set }) => set);
    process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
  } else {
    process.stdout.write(renderSetList(sets, folder));
  }
  return 0;
}

async function showCommand(commandLine: CommandLine): Promise<number> {
  const set = await findSet(backupsFolder(commandLine), commandLine.positionals[0]);
  if (commandLine.json) process.stdout.write(`${JSON.stringify(set, null, 2)}\n`);
  else process.stdout.write(renderSetDetails(set));
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    const pulseError = toPulseError(error);
    process.stderr.write(`pulse-backup: ${formatError(pulseError)}\n`);
    if (process.env.PULSE_BACKUP_DEBUG && pulseError.details) process.stderr.write(`${pulseError.details}\n`);
    process.exitCode = pulseError.exitCode;
  },
);
