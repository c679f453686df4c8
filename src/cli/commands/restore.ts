import { createInterface } from 'node:readline/promises';
import { printable } from '../../core/format';
import { rawStream } from '../printableStream';
import { PulseError } from '../../core/errors';
import { executeRestore } from '../../core/restore/load';
import { planRestore } from '../../core/restore/plan';
import { type RestorePlan } from '../../core/restore/types';
import { findSupabaseCli } from '../../core/supabase/reset';
import type { SupabaseProject } from '../../core/supabase/project';
import type { Flags } from '../args';
import { supabaseProject, backupsFolder, supabaseContainerTools, connectionTarget, writeJson, type CliContext, type Command, namedSetId } from '../command';
import { RestoreProgressPrinter, renderRestoreDone, renderRestorePlan } from '../restoreOutput';
import { cliDecryptionKeys } from '../encryptionKeys';

export const restoreCommand: Command = {
  name: 'restore',
  flags: [
    'mode',
    'db',
    'password-file',
    'dir',
    'clean',
    'reset',
    'yes',
    'no-safety-backup',
    'allow-remote',
    'no-tablespaces',
    'lock-timeout',
    'jobs',
    'pg-bin-dir',
    'passphrase-file',
    'identity-file',
    'json',
  ],
  positionals: ['SET_ID'],
  requiredFlags: ['mode'],
  summary: 'restore a set (complete, schema or data) in one transaction, after a pre-flight check and a safety backup',
  async run({ flags, positionals }, context) {
    if (!flags.mode) throw new PulseError('usage', 'restore needs --mode complete, schema or data');
    const folder = backupsFolder(flags, context);
    const target = connectionTarget(flags, context);
    const reset = flags.reset ? resetProject(flags, context) : undefined;
    const container = await supabaseContainerTools(target, flags, context);
    const planned = await planRestore({
      folder,
      setId: await namedSetId(positionals[0], folder),
      mode: flags.mode,
      target,
      ...(container ? { container } : {}),
      env: context.env,
      pgBinDir: flags.pgBinDir ?? context.env.PULSE_BACKUP_PG_BIN_DIR,
      // After a reset the seed may have left rows: the data restore empties the backup's tables.
      clean: flags.clean || flags.reset,
      allowRemote: flags.allowRemote,
      ...(flags.noTablespaces ? { noTablespaces: true } : {}),
      safetyBackup: !flags.noSafetyBackup,
      ...(flags.lockTimeout !== undefined ? { lockTimeoutMs: flags.lockTimeout * 1000 } : {}),
      ...(flags.jobs !== undefined ? { jobs: flags.jobs } : {}),
      signal: context.signal,
      keys: await cliDecryptionKeys(flags, context),
    });
    const { plan } = planned;
    const safetyBackup = !flags.noSafetyBackup;
    // The plan goes to stdout with the outcome; stderr keeps to progress and the one-line error.
    if (!flags.json) context.stdout.write(renderRestorePlan(plan, safetyBackup));
    if (reset && !flags.json)
      context.stdout.write(`  first   supabase db reset --local in ${reset.folder} (after the safety backup): it wipes the database and rebuilds it from the migrations\n`);
    if (!flags.yes) await confirm(plan, context);

    const progress = context.stderr.isTTY && !flags.json ? new RestoreProgressPrinter(context.stderr) : undefined;
    try {
      const result = await executeRestore(planned, {
        safetyBackup,
        ...(reset ? { reset: { project: reset, env: context.env } } : {}),
        signal: context.signal,
        onProgress: (event) => {
          // The Supabase CLI's own lines go to stderr as they come, terminal or not.
          if (event.kind === 'resetting' && event.line !== undefined) context.stderr.write(`supabase: ${event.line}\n`);
          progress?.update(event);
        },
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
  // readline draws the line being typed with control sequences of its own: it writes to the terminal as it is, the question made printable here.
  const prompt = createInterface({ input: context.stdin, output: rawStream(context.stderr) });
  try {
    const answer = await prompt.question(printable(`Restore ${plan.setId} (${plan.mode}) into ${plan.target}? Type "yes" to continue: `));
    if (answer.trim().toLowerCase() !== 'yes') {
      throw new PulseError('cancelled', 'restore not confirmed', { hint: 'nothing was changed' });
    }
  } finally {
    prompt.close();
  }
}

/** --reset: a Supabase project here, the supabase CLI on PATH, a data restore, and a safety backup first. */
function resetProject(flags: Flags, context: CliContext): SupabaseProject {
  const project = supabaseProject(context);
  if (!project)
    throw new PulseError('usage', '--reset needs a Supabase project: no supabase/config.toml in the current folder', {
      hint: 'run it in the project folder, or restore without --reset',
    });
  if (flags.mode !== 'data')
    throw new PulseError('usage', '--reset rebuilds the schema from the migrations, so only --mode data can follow it', { hint: 'use --mode data --reset' });
  if (flags.noSafetyBackup) throw new PulseError('usage', '--reset wipes the database, so it needs the safety backup', { hint: 'drop --no-safety-backup' });
  if (!findSupabaseCli(context.env)) {
    throw new PulseError('tools-not-found', 'the supabase CLI is not on PATH (supabase db reset --local needs it)', {
      hint: 'install it (https://supabase.com/docs/guides/local-development/cli/getting-started), or run supabase db reset yourself and restore with --mode data --clean',
    });
  }
  return project;
}
