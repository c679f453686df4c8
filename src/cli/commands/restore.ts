import { createInterface } from 'node:readline/promises';
import { PulseError } from '../../core/errors';
import { executeRestore, planRestore, type RestorePlan } from '../../core/restore';
import { backupsFolder, supabaseContainerTools, connectionTarget, writeJson, type CliContext, type Command } from '../command';
import { RestoreProgressPrinter, renderRestoreDone, renderRestorePlan } from '../restoreOutput';

export const restoreCommand: Command = {
  name: 'restore',
  flags: ['mode', 'db', 'dir', 'clean', 'yes', 'no-safety-backup', 'allow-remote', 'pg-bin-dir', 'json'],
  positionals: ['SET_ID'],
  requiredFlags: ['mode'],
  summary: 'restore a set (complete, schema or data) in one transaction, after a pre-flight check and a safety backup',
  async run({ flags, positionals }, context) {
    if (!flags.mode) throw new PulseError('usage', 'restore needs --mode complete, schema or data');
    const folder = backupsFolder(flags, context);
    const target = connectionTarget(flags, context);
    const container = await supabaseContainerTools(target, flags, context);
    const plan = await planRestore({
      folder,
      setId: positionals[0],
      mode: flags.mode,
      target,
      ...(container ? { container } : {}),
      env: context.env,
      pgBinDir: flags.pgBinDir ?? context.env.PULSE_BACKUP_PG_BIN_DIR,
      clean: flags.clean,
      allowRemote: flags.allowRemote,
      signal: context.signal,
    });
    const safetyBackup = !flags.noSafetyBackup;
    // The plan goes to stdout with the outcome; stderr keeps to progress and the one-line error.
    if (!flags.json) context.stdout.write(renderRestorePlan(plan, safetyBackup));
    if (!flags.yes) await confirm(plan, context);

    const progress = context.stderr.isTTY && !flags.json ? new RestoreProgressPrinter(context.stderr) : undefined;
    try {
      const result = await executeRestore(plan, {
        safetyBackup,
        signal: context.signal,
        onProgress: progress ? (event) => progress.update(event) : undefined,
      });
      progress?.finish();
      if (flags.json) writeJson(context, result);
      else context.stdout.write(renderRestoreDone(result));
      return result.rowCountsMatch ? 0 : 1;
    } finally {
      progress?.finish();
    }
  },
};

/** Asks on a terminal; without one, a restore needs --yes. */
async function confirm(plan: RestorePlan, context: CliContext): Promise<void> {
  if (!context.stdin.isTTY || !context.stderr.isTTY) {
    throw new PulseError('confirmation-required', `restoring ${plan.setId} into ${plan.target} needs confirmation`, {
      hint: 'run it on a terminal to be asked, or pass --yes; nothing was changed',
    });
  }
  const prompt = createInterface({ input: context.stdin, output: context.stderr });
  try {
    const answer = await prompt.question(`Restore ${plan.setId} (${plan.mode}) into ${plan.target}? Type "yes" to continue: `);
    if (answer.trim().toLowerCase() !== 'yes') {
      throw new PulseError('cancelled', 'restore not confirmed', { hint: 'nothing was changed' });
    }
  } finally {
    prompt.close();
  }
}
