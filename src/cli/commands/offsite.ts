import { shellCommand } from '../../core/shell';
import { PulseError } from '../../core/errors';
import { cliError } from '../../core/commandLineWords';
import { openRemote, type RemoteConnection } from '../../core/offsite/client';
import { listRemoteSets } from '../../core/offsite/listing';
import { pullSet } from '../../core/offsite/pull';
import { pushSet, type PushResult } from '../../core/offsite/push';
import { endpointWithoutCredentials, parseRemoteUrl } from '../../core/offsite/remote';
import { pruneRemoteSets } from '../../core/offsite/retention';
import type { FlagName, Flags } from '../args';
import { backupsFolder, setPrefix, writeJson, type CliContext, type Command, namedSetId } from '../command';
import { cliDecryptionKeys, cliEncryption } from '../encryptionKeys';
import { renderPullDone, renderPushDone, renderRemoteList, renderRemotePrune, TransferProgressPrinter } from '../offsiteOutput';

/** The flags every command that reaches the remote takes besides its URL. */
export const REMOTE_FLAGS = ['endpoint', 'region', 'path-style', 'aws-profile'] as const satisfies readonly FlagName[];

/** The remote a command names, with --endpoint, --region, --path-style and --aws-profile; credentials from the SDK's chain. */
export function remoteConnection(url: string, flags: Flags, context: CliContext): RemoteConnection {
  return {
    location: parseRemoteUrl(url),
    ...(flags.endpoint !== undefined ? { endpoint: flags.endpoint } : {}),
    ...(flags.region !== undefined ? { region: flags.region } : {}),
    ...(flags.pathStyle ? { pathStyle: true } : {}),
    ...(flags.awsProfile !== undefined ? { profile: flags.awsProfile } : {}),
    env: context.env,
    signal: context.signal,
  };
}

function progressPrinter(flags: Flags, context: CliContext): TransferProgressPrinter | undefined {
  return context.stderr.isTTY && !flags.json ? new TransferProgressPrinter(context.stderr) : undefined;
}

export const pushCommand: Command = {
  name: 'push',
  flags: ['to', 'dir', ...REMOTE_FLAGS, 'keep', 'encrypt', 'passphrase-file', 'recipient', 'recipients-file', 'json'],
  requiredFlags: ['to'],
  positionals: ['SET_ID'],
  summary:
    "copy a set to S3-compatible storage (AWS S3, R2, B2, MinIO, Supabase Storage) under PREFIX/SET_ID/, streaming, each object checked against its SHA-256, the manifest last; --encrypt stores the copy in the age format (the local set stays as it is); --keep N then keeps the newest N complete sets of the set's own file name prefix there (other prefixes' sets are left alone)",
  async run({ flags, positionals }, context) {
    const encryption = await cliEncryption(flags, context);
    const progress = progressPrinter(flags, context);
    try {
      const folder = backupsFolder(flags, context);
      const result = await pushSet({
        ...remoteConnection(flags.to!, flags, context),
        folder,
        setId: await namedSetId(positionals[0], folder),
        ...(flags.keep !== undefined ? { keep: flags.keep } : {}),
        ...(encryption ? { encryption } : {}),
        signal: context.signal,
        onProgress: progress ? (event) => progress.update(event) : undefined,
      });
      progress?.finish();
      if (flags.json) writeJson(context, { ...result, ...(result.retentionFailed ? { retentionFailed: cliError(result.retentionFailed) } : {}) });
      else context.stdout.write(renderPushDone(result));
      warnOfRetention(result, context);
      return 0;
    } finally {
      progress?.finish();
    }
  },
};

export const pullCommand: Command = {
  name: 'pull',
  flags: ['from', 'dir', ...REMOTE_FLAGS, 'passphrase-file', 'identity-file', 'json'],
  requiredFlags: ['from'],
  positionals: ['SET_ID'],
  summary:
    'copy a set from S3-compatible storage into the backups folder, all or nothing: every file checked against its SHA-256 before the set appears; never over a different local set',
  async run({ flags, positionals }, context) {
    const progress = progressPrinter(flags, context);
    try {
      const result = await pullSet({
        ...remoteConnection(flags.from!, flags, context),
        folder: backupsFolder(flags, context),
        setId: positionals[0],
        keys: () => cliDecryptionKeys(flags, context),
        signal: context.signal,
        onProgress: progress ? (event) => progress.update(event) : undefined,
      });
      progress?.finish();
      if (flags.json)
        writeJson(context, {
          setId: result.setId,
          folder: result.folder,
          bytes: result.bytes,
          durationMs: result.durationMs,
          alreadyHere: result.alreadyHere,
          decrypted: result.decrypted,
        });
      else context.stdout.write(renderPullDone(result));
      return 0;
    } finally {
      progress?.finish();
    }
  },
};

/** `list --remote URL`. */
export async function listRemote(url: string, flags: Flags, context: CliContext): Promise<number> {
  const remote = await openRemote(remoteConnection(url, flags, context));
  try {
    const sets = await listRemoteSets(remote, context.signal);
    if (flags.json)
      writeJson(
        context,
        sets.map(({ manifest: _manifest, ...set }) => set),
      );
    else context.stdout.write(renderRemoteList(sets, remote.url()));
    return 0;
  } finally {
    remote.s3.destroy();
  }
}

/** `prune --remote URL`: the newest --keep N (default 10) complete sets of each set prefix stay; with --prefix NAME, only that prefix's sets are looked at. */
export async function pruneRemote(url: string, flags: Flags, context: CliContext): Promise<number> {
  const other = Object.keys(flags.keepRules).find((rule) => rule !== 'last');
  if (other !== undefined || flags.keepSafety !== undefined) {
    throw new PulseError('usage', `prune --remote keeps the newest N complete sets only: --${other === undefined ? 'keep-safety' : `keep-${other}`} is for the local folder`, {
      hint: 'use --keep N with --remote',
    });
  }
  const remote = await openRemote(remoteConnection(url, flags, context));
  try {
    const result = await pruneRemoteSets(remote, {
      keep: flags.keep ?? flags.keepRules.last ?? 10,
      ...(flags.prefix !== undefined ? { prefix: setPrefix(flags, context) } : {}),
      dryRun: flags.dryRun,
      signal: context.signal,
    });
    if (flags.json) writeJson(context, result);
    else context.stdout.write(`${renderRemotePrune(result, flags.dryRun).join('\n')}\n`);
    return 0;
  } finally {
    remote.s3.destroy();
  }
}

/** Retention after a push that failed: the copy is there, so a warning, as local retention after a backup that fails is. */
function warnOfRetention(result: PushResult, context: CliContext): void {
  if (result.retentionFailed)
    context.stderr.write(`pulse-backup: warning: ${result.setId} is copied to ${result.url}, but remote retention did not run to the end: ${cliError(result.retentionFailed)}\n`);
}

/** The push that copies the set later, as this backup would have: its folder and the storage's flags (an endpoint's user and password left out: keys come from the environment or a profile). */
function laterPush(setId: string, folder: string, url: string, flags: Flags, keep: number | undefined): string {
  const endpoint = flags.endpoint === undefined ? undefined : endpointWithoutCredentials(flags.endpoint);
  return shellCommand([
    'pulse-backup',
    'push',
    setId,
    '--to',
    url,
    '--dir',
    folder,
    ...(endpoint !== undefined ? ['--endpoint', endpoint] : []),
    ...(flags.region !== undefined ? ['--region', flags.region] : []),
    ...(flags.pathStyle ? ['--path-style'] : []),
    ...(flags.awsProfile !== undefined ? ['--aws-profile', flags.awsProfile] : []),
    ...(keep !== undefined && keep > 0 ? ['--keep', String(keep)] : []),
  ]);
}

/**
 * `backup --offsite URL`: the new set pushed once it is written (and
 * proved, when asked). The backup has succeeded whatever happens here: a
 * push that fails is a warning naming the command that pushes it later, and
 * the exit code stays the backup's. With --keep or --keep-last given, the
 * remote keeps as many complete sets; without, nothing there is removed.
 */
export async function pushAfterBackup(setId: string, folder: string, flags: Flags, context: CliContext): Promise<void> {
  const url = flags.offsite!;
  const keep = flags.keep ?? flags.keepRules.last;
  const progress = progressPrinter(flags, context);
  try {
    const result = await pushSet({
      ...remoteConnection(url, flags, context),
      folder,
      setId,
      ...(keep !== undefined && keep > 0 ? { keep } : {}),
      signal: context.signal,
      onProgress: progress ? (event) => progress.update(event) : undefined,
    });
    progress?.finish();
    (flags.json ? context.stderr : context.stdout).write(renderPushDone(result));
    warnOfRetention(result, context);
  } catch (error) {
    progress?.finish();
    if (context.signal.aborted) throw error;
    context.stderr.write(
      `pulse-backup: warning: the backup succeeded and its set is kept here, but it was not copied offsite: ${cliError(error)}; push it later with ${laterPush(setId, folder, url, flags, keep)}\n`,
    );
  }
}
