import { runBackup } from '../../core/backup';
import { PulseError } from '../../core/errors';
import { defaultPrefix, isValidPrefix } from '../../core/naming';
import { backupsFolder, connectionTarget, writeJson, type Command } from '../command';
import { BackupProgressPrinter, renderBackupDone } from '../output';

export const backupCommand: Command = {
  name: 'backup',
  flags: ['db', 'dir', 'prefix', 'pg-bin-dir', 'json'],
  positionals: [],
  summary: 'write a backup set (schema, data, complete, manifest) from one consistent snapshot',
  async run({ flags }, context) {
    const target = connectionTarget(flags, context);
    const prefix = flags.prefix ?? defaultPrefix(context.cwd);
    if (!isValidPrefix(prefix)) {
      throw new PulseError('usage', `invalid prefix "${prefix}"`, {
        hint: 'use letters, digits, underscores and hyphens, starting and ending with a letter or digit, e.g. --prefix factory_pulse',
      });
    }
    const folder = backupsFolder(flags, context);
    const progress = context.stderr.isTTY && !flags.json ? new BackupProgressPrinter(context.stderr) : undefined;
    const onAbort = () => progress?.note('cancelling: stopping pg_dump and removing partial files…');
    context.signal.addEventListener('abort', onAbort, { once: true });
    try {
      const result = await runBackup({
        target,
        folder,
        prefix,
        env: context.env,
        pgBinDir: flags.pgBinDir ?? context.env.PULSE_BACKUP_PG_BIN_DIR,
        signal: context.signal,
        onProgress: progress ? (event) => progress.update(event) : undefined,
      });
      progress?.finish();
      if (flags.json) writeJson(context, result.manifest);
      else context.stdout.write(renderBackupDone(result.manifest, folder));
      return 0;
    } finally {
      progress?.finish();
      context.signal.removeEventListener('abort', onAbort);
    }
  },
};
