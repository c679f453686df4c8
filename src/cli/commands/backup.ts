import { shellCommand } from '../../core/shell';
import { urlWithoutPassword } from '../../core/connection/target';
import { runBackup, type BackupOptions, type BackupResult } from '../../core/backup/backup';
import type { ConnectionTarget } from '../../core/connection/target';
import type { Compression } from '../../core/codecs/codecs';
import { cliError } from '../../core/commandLineWords';
import { pruneAfterBackup } from '../../core/retention/retention';
import { verifySet } from '../../core/verify/verify';
import type { RetentionPolicy } from '../../core/retention/policy';
import type { FlagName, Flags } from '../args';
import { backupsFolder, supabaseContainerTools, connectionTarget, retentionPolicy, setPrefix, writeJson, type CliContext, type Command } from '../command';
import { BackupProgressPrinter, renderBackupDone } from '../output';
import { renderRetentionAfterBackup } from '../retentionOutput';
import { RETENTION_FLAGS, retentionProgress } from './retention';
import { runProof, scratchConnection } from './prove';
import { pushAfterBackup, REMOTE_FLAGS } from './offsite';
import { parseRemoteUrl } from '../../core/offsite/remote';
import { capitalise } from '../proveOutput';
import type { ProveOptions } from '../../core/prove/prove';
import { cliEncryption, keysForNewSet } from '../encryptionKeys';

/** Where a backup reads from and writes to: what guard's safety backup takes too. */
export const BACKUP_PLACE_FLAGS = ['db', 'password-file', 'dir', 'prefix', 'pg-bin-dir'] as const satisfies readonly FlagName[];

/** How the dump is made (and proved): what guard's safety backup takes too. */
export const DUMP_FLAGS = [
  'lock-timeout',
  'jobs',
  'profile',
  'schema',
  'exclude-schema',
  'exclude-table-data',
  'compress',
  'prove',
  'scratch-db',
] as const satisfies readonly FlagName[];

export const backupCommand: Command = {
  name: 'backup',
  flags: [
    ...BACKUP_PLACE_FLAGS,
    ...RETENTION_FLAGS,
    ...DUMP_FLAGS,
    'encrypt',
    'passphrase-file',
    'recipient',
    'recipients-file',
    'identity-file',
    'offsite',
    ...REMOTE_FLAGS,
    'json',
  ],
  positionals: [],
  summary:
    'write a backup set (schema, data, complete, manifest) from one consistent snapshot, then apply retention as prune does (--keep-safety N safety sets, default 3, besides), removing only what needs no confirmation (more than 3 sets, or sets the policy never kept before, are held back for prune)',
  async run({ flags }, context) {
    // A URL that cannot be right fails before the backup, not after it.
    if (flags.offsite !== undefined) parseRemoteUrl(flags.offsite);
    if (flags.prove) scratchConnection(flags, context);
    const policy = retentionPolicy(flags);
    const target = connectionTarget(flags, context);
    // The passphrase is asked (or read) before anything starts, never halfway through a dump.
    const encryption = await cliEncryption(flags, context);
    const proofKeys = flags.prove ? await keysForNewSet(encryption, flags, context) : undefined;
    const options = backupOptions(target, flags, context);
    const container = await supabaseContainerTools(target, flags, context);
    const progress = context.stderr.isTTY && !flags.json ? new BackupProgressPrinter(context.stderr) : undefined;
    const onAbort = () => progress?.note('cancelling: stopping pg_dump and removing partial files…');
    context.signal.addEventListener('abort', onAbort, { once: true });
    try {
      const result = await runBackup({
        ...options,
        ...(container ? { container } : {}),
        ...(encryption ? { encoding: { ...options.encoding, encryption } } : {}),
        onProgress: progress ? (event) => progress.update(event) : undefined,
      });
      progress?.finish();
      if (flags.json) writeJson(context, result.manifest);
      else context.stdout.write(renderBackupDone(result.manifest, options.folder));
      // Proved before retention runs: a set that fails its proof is never the newest good set.
      const proved = proofKeys ? await proveAfterBackup(result, flags, context, { target, ...(container ? { container } : {}), keys: proofKeys }) : true;
      if (flags.offsite !== undefined) await pushAfterBackup(result.manifest.id, options.folder, flags, context);
      await pruneAfterSuccess(result, policy, flags, context);
      return proved ? 0 : 1;
    } finally {
      progress?.finish();
      context.signal.removeEventListener('abort', onAbort);
    }
  },
};

/** The backup as the flags ask for it (the stack's tools aside): backup's, and guard's safety backup. */
export function backupOptions(target: ConnectionTarget, flags: Flags, context: CliContext): BackupOptions {
  return {
    target,
    folder: backupsFolder(flags, context),
    prefix: setPrefix(flags, context),
    env: context.env,
    pgBinDir: flags.pgBinDir ?? context.env.PULSE_BACKUP_PG_BIN_DIR,
    profile: flags.profile ?? 'auto',
    filters: { schemas: flags.schemas, excludeSchemas: flags.excludeSchemas, excludeTableData: flags.excludeTableData },
    ...(flags.lockTimeout !== undefined ? { lockTimeoutSeconds: flags.lockTimeout } : {}),
    ...(flags.compress ? { encoding: { compression: { method: flags.compress, ...levelForBench(flags.compress, context.env) } } } : {}),
    ...(flags.jobs !== undefined ? { jobs: flags.jobs } : {}),
    // Only for tests and the benchmark: give small tables a session of their own.
    ...(context.env.PULSE_BACKUP_PARALLEL_MIN_BYTES !== undefined ? { parallelMinTableBytes: Number(context.env.PULSE_BACKUP_PARALLEL_MIN_BYTES) } : {}),
    // Only to price the digests (npm run bench): a set without them is proved against its complete file.
    ...(context.env.PULSE_BACKUP_DIGESTS === 'off' ? { digests: false } : {}),
    ...exactSizesForTests(context.env),
    signal: context.signal,
  };
}

/** Only for the tests, to take estimated sizes without creating a thousand tables: PULSE_BACKUP_EXACT_SIZES_UP_TO. */
function exactSizesForTests(env: NodeJS.ProcessEnv): { exactSizesUpTo?: number } {
  const limit = Number(env.PULSE_BACKUP_EXACT_SIZES_UP_TO);
  return env.PULSE_BACKUP_EXACT_SIZES_UP_TO !== undefined && Number.isInteger(limit) && limit >= 0 ? { exactSizesUpTo: limit } : {};
}

/** Only to choose the level by measurement (npm run bench): the codec's own default otherwise. */
function levelForBench(method: Compression, env: NodeJS.ProcessEnv): { level?: number } {
  const [text, highest] = method === 'gzip' ? [env.PULSE_BACKUP_GZIP_LEVEL, 9] : [env.PULSE_BACKUP_ZSTD_LEVEL, 19];
  const level = Number(text);
  return Number.isInteger(level) && level >= 1 && level <= highest ? { level } : {};
}

/** The proof to run again, as this backup ran it: its folder and servers (without their passwords). */
function laterProof(backup: BackupResult, flags: Flags, context: CliContext, overrides: Partial<ProveOptions>): string[] {
  const scratch = scratchConnection(flags, context);
  return [
    'pulse-backup',
    'prove',
    backup.manifest.id,
    '--dir',
    backup.folder,
    ...(flags.db !== undefined && overrides.target ? ['--db', urlWithoutPassword(overrides.target)] : []),
    ...(scratch ? ['--scratch-db', urlWithoutPassword(scratch)] : []),
  ];
}

/**
 * `--prove`: the new set restored into scratch databases and read back. The
 * set stays whatever the proof says (its history records the proof, and
 * retention then passes it over as the newest good set); a proof that fails
 * or cannot run makes the exit code 1, since it was asked for.
 */
async function proveAfterBackup(backup: BackupResult, flags: Flags, context: CliContext, overrides: Partial<ProveOptions>): Promise<boolean> {
  try {
    const proof = await runProof(backup.manifest.id, backup.folder, flags, context, overrides);
    if (proof.outcome === 'proved') {
      (flags.json ? context.stderr : context.stdout).write(`${capitalise(proof.summary)}\n`);
      return true;
    }
    context.stderr.write(
      `pulse-backup: warning: the backup succeeded and its set is kept, but it did not prove restorable: ${proof.summary}; run ${shellCommand(laterProof(backup, flags, context, overrides))} for every difference\n`,
    );
  } catch (error) {
    if (context.signal.aborted) throw error;
    context.stderr.write(`pulse-backup: warning: the backup succeeded and its set is kept, but it could not be proved: ${cliError(error)}\n`);
  }
  return false;
}

/**
 * Retention runs only once the backup has succeeded (a failed backup throws
 * before this), as a step of its own after runBackup. Nobody is there to
 * answer a question (cron, CI), so a run that needs a confirmation removes
 * nothing and says so: `prune` removes what it held back. The engine's backup
 * knows nothing of retention, and the extension composes the same two calls.
 * The backup's outcome decides the exit code: its set is written whatever
 * happens here, so a prune that cannot run (another backup took the folder
 * in between, a file that cannot be removed) is a warning, not a failure a
 * script would retry. With --json stdout stays the manifest alone.
 */
async function pruneAfterSuccess(backup: BackupResult, policy: RetentionPolicy, flags: Flags, context: CliContext): Promise<void> {
  try {
    const result = await pruneAfterBackup(backup, {
      policy,
      ...(flags.keepSafety !== undefined ? { keepSafety: flags.keepSafety } : {}),
      confirmed: 'routine',
      env: context.env,
      verify: verifySet,
      signal: context.signal,
      onProgress: flags.json ? undefined : retentionProgress(context),
    });
    const summary = renderRetentionAfterBackup(result);
    if (summary) (flags.json ? context.stderr : context.stdout).write(summary);
    for (const warning of result.warnings) context.stderr.write(`pulse-backup: warning: ${cliError(warning)}\n`);
  } catch (error) {
    context.stderr.write(`pulse-backup: warning: the backup succeeded, but retention did not run to the end: ${cliError(error)}\n`);
  }
}
