import { cliError } from '../../core/commandLineWords';
import { pinSet, pruneSets, unpinSet, type PruneProgress } from '../../core/retention/retention';
import { verifySet } from '../../core/verify/verify';
import { backupsFolder, retentionPolicy, setPrefix, writeJson, type CliContext, type Command, namedSetId } from '../command';
import { pruneJson, renderPinResult, renderPruneResult } from '../retentionOutput';
import { pruneRemote, REMOTE_FLAGS } from './offsite';
import type { FlagName } from '../args';

/** The retention policy's flags, as backup and prune take them. */
export const RETENTION_FLAGS = [
  'keep',
  'keep-last',
  'keep-hourly',
  'keep-daily',
  'keep-weekly',
  'keep-monthly',
  'keep-yearly',
  'keep-safety',
] as const satisfies readonly FlagName[];

export const pruneCommand: Command = {
  name: 'prune',
  flags: ['dir', 'prefix', ...RETENTION_FLAGS, 'dry-run', 'remote', ...REMOTE_FLAGS, 'json'],
  positionals: [],
  summary:
    "remove whole backup sets the policy does not keep (the last --keep N backups, default 10, and --keep-hourly/-daily/-weekly/-monthly/-yearly N) and safety sets older than the newest --keep-safety N (default 3); never pinned sets, the newest backup that verifies, or other files. With --remote: at s3://BUCKET/PREFIX the newest --keep N complete sets of each file name prefix stay, one database's sets never counted against another's (with --prefix NAME, only that prefix's sets are looked at; never fewer than a prefix's newest), and what pushes that died left a day ago goes",
  async run({ flags }, context) {
    if (flags.remote !== undefined) return pruneRemote(flags.remote, flags, context);
    const result = await pruneSets({
      folder: backupsFolder(flags, context),
      prefix: setPrefix(flags, context),
      policy: retentionPolicy(flags),
      ...(flags.keepSafety !== undefined ? { keepSafety: flags.keepSafety } : {}),
      confirmed: 'all',
      dryRun: flags.dryRun,
      env: context.env,
      verify: verifySet,
      signal: context.signal,
      onProgress: flags.json ? undefined : retentionProgress(context),
    });
    if (flags.json) writeJson(context, pruneJson(result));
    else context.stdout.write(renderPruneResult(result));
    for (const warning of result.warnings) context.stderr.write(`pulse-backup: warning: ${cliError(warning)}\n`);
    return 0;
  },
};

/** Verifying a large set takes a while: say so on a terminal, stay quiet in cron mail. */
export function retentionProgress(context: CliContext): ((event: PruneProgress) => void) | undefined {
  if (!context.stderr.isTTY) return undefined;
  return (event) => {
    if (event.kind === 'verifying') context.stderr.write(`Verifying ${event.setId} to find the newest good set…\n`);
  };
}

export const pinCommand: Command = {
  name: 'pin',
  flags: ['dir', 'json'],
  positionals: ['SET_ID'],
  summary: 'pin a set: retention (prune, and after a backup) never removes it',
  async run({ flags, positionals }, context) {
    const folder = backupsFolder(flags, context);
    const result = await pinSet(folder, await namedSetId(positionals[0], folder));
    if (flags.json) writeJson(context, result);
    else context.stdout.write(renderPinResult(result));
    return 0;
  },
};

export const unpinCommand: Command = {
  name: 'unpin',
  flags: ['dir', 'json'],
  positionals: ['SET_ID'],
  summary: 'unpin a set: retention treats it like any other again',
  async run({ flags, positionals }, context) {
    const folder = backupsFolder(flags, context);
    const result = await unpinSet(folder, await namedSetId(positionals[0], folder));
    if (flags.json) writeJson(context, result);
    else context.stdout.write(renderPinResult(result));
    return 0;
  },
};
