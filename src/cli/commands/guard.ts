import { resolve } from 'node:path';
import { runBackup } from '../../core/backup/backup';
import { cliError } from '../../core/commandLineWords';
import { urlWithoutPassword, type ConnectionTarget } from '../../core/connection/target';
import { PulseError, toPulseError } from '../../core/errors';
import { commandSummary, describeCommand, guardedEnvironment, runGuardedCommand } from '../../core/process/guardedCommand';
import { hint, joinHints, option } from '../../core/hint';
import type { Manifest } from '../../core/sets/manifest';
import type { Flags } from '../args';
import { backupsFolder, connectionTarget, supabaseContainerTools, type CliContext, type Command } from '../command';
import { commandFailed, runningWithoutSafetySet, safetySetWritten } from '../guardOutput';
import { BackupProgressPrinter } from '../output';
import { BACKUP_PLACE_FLAGS, backupOptions, DUMP_FLAGS } from './backup';
import { runProof, scratchConnection } from './prove';

/** guard's own failure before its command ran, as `env` and `timeout` say theirs: the command's codes stay the command's. */
export const COMMAND_NOT_RUN_EXIT_CODE = 125;

export const guardCommand: Command = {
  name: 'guard',
  flags: [...BACKUP_PLACE_FLAGS, ...DUMP_FLAGS, 'allow-remote', 'run-if-backup-fails'],
  positionals: [],
  rest: 'COMMAND',
  summary:
    'take a safety backup of the database (a safety set, kept as restore keeps its own), then run COMMAND (e.g. supabase db reset) in this terminal, folder and environment, and exit with its exit code (128+N when signal N ended it); when the backup fails (or, with --prove, its proof) COMMAND does not run and guard exits 125, unless --run-if-backup-fails',
  async run({ flags, rest }, context) {
    if (flags.prove) scratchConnection(flags, context);
    const shown = describeCommand(rest);
    const target = connectionTarget(flags, context);
    const safetySet = await takeSafetySet(rest, shown, target, flags, context);
    const exit = await runGuardedCommand({
      argv: rest,
      cwd: context.cwd,
      env: guardedEnvironment(context.env, safetySet?.id),
      inTerminal: Boolean(context.stdin.isTTY || context.stdout.isTTY || context.stderr.isTTY),
      relaySignals: (relay) => context.relaySignals(relay),
    });
    if (exit.exitCode !== 0) context.stderr.write(commandFailed(shown, exit, safetySet, restoreArguments(target, flags, context)));
    return exit.exitCode;
  },
};

/** The safety set, proved when --prove asks; undefined when it failed and --run-if-backup-fails lets the command run anyway. */
async function takeSafetySet(argv: readonly string[], shown: string, target: ConnectionTarget, flags: Flags, context: CliContext): Promise<Manifest | undefined> {
  const options = backupOptions(target, flags, context);
  let manifest: Manifest | undefined;
  /** The proof ran and the set failed it (not: the proof could not run). */
  let disproved = false;
  const progress = context.stderr.isTTY ? new BackupProgressPrinter(context.stderr) : undefined;
  try {
    const container = await supabaseContainerTools(target, flags, context);
    const result = await runBackup({
      ...options,
      ...(container ? { container } : {}),
      purpose: 'safety',
      takenBefore: commandSummary(argv),
      onProgress: progress ? (event) => progress.update(event) : undefined,
    });
    progress?.finish();
    manifest = result.manifest;
    if (flags.prove) {
      const proof = await runProof(manifest.id, result.folder, flags, context, { target, ...(container ? { container } : {}) });
      if (proof.outcome !== 'proved') {
        disproved = true;
        throw new PulseError('verification-failed', proof.summary);
      }
      context.stderr.write(`pulse-backup: the safety set ${manifest.id} proved restorable\n`);
    }
    context.stderr.write(safetySetWritten(manifest, shown));
    return manifest;
  } catch (error) {
    progress?.finish();
    if (context.signal.aborted) throw error;
    const failure = toPulseError(error);
    // A set whose proof could not run (a scratch server refusing the login) is unproved, not shown unrestorable.
    const what =
      manifest === undefined
        ? 'the safety backup failed'
        : disproved
          ? `the safety set ${manifest.id} did not prove restorable`
          : `the safety set ${manifest.id} could not be proved`;
    if (!flags.runIfBackupFails) {
      throw new PulseError(failure.code, `${what}, so ${shown} did not run: ${failure.message}`, {
        hint: joinHints(
          [
            ...(failure.hint ? [failure.hint] : []),
            manifest === undefined
              ? hint`to run it without a safety set, pass ${option('runIfBackupFails')}`
              : hint`to run it with the unproved safety set, pass ${option('runIfBackupFails')}`,
          ],
          '; ',
        ),
        ...(failure.details !== undefined ? { details: failure.details } : {}),
        exitCode: COMMAND_NOT_RUN_EXIT_CODE,
        cause: error,
      });
    }
    context.stderr.write(runningWithoutSafetySet(manifest === undefined ? cliError(failure) : `${what}: ${cliError(failure)}`, shown, manifest));
    return manifest;
  }
}

/** What a restore of the safety set needs besides the set, where guard was told something other than the defaults. */
function restoreArguments(target: ConnectionTarget, flags: Flags, context: CliContext): string[] {
  const folder = backupsFolder(flags, context);
  const args = folder === resolve(context.cwd, 'backups') ? [] : ['--dir', folder];
  if (flags.db !== undefined) args.push('--db', urlWithoutPassword(target));
  return args;
}
