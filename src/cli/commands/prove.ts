import { progressNotingHistory } from '../terminalPrinter';
import { resolveConnection, type ConnectionTarget } from '../../core/connection/target';
import { proveSet, type ProveOptions } from '../../core/prove/prove';
import type { ProofRecord } from '../../core/prove/record';
import type { Flags } from '../args';
import { backupsFolder, connectionTarget, supabaseContainerTools, writeJson, type CliContext, type Command, namedSetId } from '../command';
import { ProveProgressPrinter, renderProof } from '../proveOutput';
import { cliDecryptionKeys } from '../encryptionKeys';

export const proveCommand: Command = {
  name: 'prove',
  flags: ['db', 'password-file', 'scratch-db', 'dir', 'only', 'allow-remote', 'pg-bin-dir', 'passphrase-file', 'identity-file', 'json'],
  positionals: ['SET_ID'],
  summary:
    "restore a set into scratch databases (the complete file; the schema file, then the data file), compare every table and the schema with what the backup recorded, then drop them; the result goes to the set's history",
  async run({ flags, positionals }, context) {
    const folder = backupsFolder(flags, context);
    const record = await runProof(await namedSetId(positionals[0], folder), folder, flags, context);
    if (flags.json) writeJson(context, record);
    else context.stdout.write(renderProof(record));
    return record.outcome === 'proved' ? 0 : 1;
  },
};

/** The --scratch-db server, when given: `backup --prove` and `guard --prove` read it before the backup, so a URL that cannot be right fails first. */
export function scratchConnection(flags: Flags, context: CliContext): (ConnectionTarget & { setBy: 'scratchDatabase' }) | undefined {
  if (flags.scratchDb === undefined) return undefined;
  return { ...resolveConnection({ url: flags.scratchDb, urlLabel: 'the --scratch-db URL', env: context.env }), setBy: 'scratchDatabase' as const };
}

/** A proof as `prove` and `backup --prove` run it: progress on a terminal, the history note on stderr. */
export async function runProof(setId: string, folder: string, flags: Flags, context: CliContext, overrides: Partial<ProveOptions> = {}): Promise<ProofRecord> {
  const target = overrides.target ?? connectionTarget(flags, context);
  const scratchTarget = scratchConnection(flags, context);
  const container = overrides.container ?? (await supabaseContainerTools(scratchTarget ?? target, flags, context));
  const progress = context.stderr.isTTY && !flags.json ? new ProveProgressPrinter(context.stderr) : undefined;
  try {
    return await proveSet({
      folder,
      setId,
      target,
      ...(scratchTarget ? { scratchTarget } : {}),
      env: context.env,
      pgBinDir: flags.pgBinDir ?? context.env.PULSE_BACKUP_PG_BIN_DIR,
      ...(container ? { container } : {}),
      allowRemote: flags.allowRemote,
      ...(flags.only ? { paths: [flags.only] } : {}),
      signal: context.signal,
      keys: await cliDecryptionKeys(flags, context),
      onProgress: progressNotingHistory(progress, context.stderr, 'the proof'),
      ...overrides,
    });
  } finally {
    progress?.finish();
  }
}
