import { diffSet } from '../../core/prove/diff';
import { backupsFolder, connectionTarget, supabaseContainerTools, writeJson, type Command, namedSetId } from '../command';
import { DiffProgressPrinter, renderDiff } from '../diffOutput';
import { cliDecryptionKeys } from '../encryptionKeys';

export const diffCommand: Command = {
  name: 'diff',
  flags: ['db', 'password-file', 'dir', 'lock-timeout', 'pg-bin-dir', 'passphrase-file', 'identity-file', 'json'],
  positionals: ['SET_ID'],
  summary:
    'what changed in the database since a set was made — what restoring it would undo: rows added, removed and changed per table, and tables and other objects added, dropped or changed; read-only, one snapshot',
  async run({ flags, positionals }, context) {
    const target = connectionTarget(flags, context);
    const container = await supabaseContainerTools(target, flags, context);
    const progress = context.stderr.isTTY && !flags.json ? new DiffProgressPrinter(context.stderr) : undefined;
    try {
      const result = await diffSet({
        folder: backupsFolder(flags, context),
        setId: await namedSetId(positionals[0], backupsFolder(flags, context)),
        target,
        env: context.env,
        pgBinDir: flags.pgBinDir ?? context.env.PULSE_BACKUP_PG_BIN_DIR,
        ...(container ? { container } : {}),
        ...(flags.lockTimeout !== undefined ? { lockTimeoutSeconds: flags.lockTimeout } : {}),
        signal: context.signal,
        keys: await cliDecryptionKeys(flags, context),
        onProgress: progress ? (event) => progress.update(event) : undefined,
      });
      progress?.finish();
      if (flags.json) writeJson(context, result);
      else context.stdout.write(renderDiff(result));
      return 0;
    } finally {
      progress?.finish();
    }
  },
};
