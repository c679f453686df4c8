import { progressNotingHistory } from '../terminalPrinter';
import { verifySet } from '../../core/verify/verify';
import { backupsFolder, connectionTarget, supabaseContainerTools, writeJson, type Command, namedSetId } from '../command';
import { renderVerificationReport, VerifyProgressPrinter } from '../verifyOutput';
import { cliDecryptionKeys } from '../encryptionKeys';

export const verifyCommand: Command = {
  name: 'verify',
  flags: ['dir', 'db', 'password-file', 'pg-bin-dir', 'passphrase-file', 'identity-file', 'json'],
  positionals: ['SET_ID'],
  summary: 'check a backup set (files, sizes, checksums, whole dumps, content); with --db also whether it can be restored there',
  async run({ flags, positionals }, context) {
    const folder = backupsFolder(flags, context);
    // Pre-restore checks only against a database named on purpose, never one
    // picked up from the environment.
    const target = flags.db === undefined ? undefined : connectionTarget(flags, context);
    // The stack's own server is restored with its container's psql: judge that one. Without
    // either, the psql check itself says what is missing.
    const container = target ? await supabaseContainerTools(target, flags, context).catch(() => undefined) : undefined;
    const progress = context.stderr.isTTY && !flags.json ? new VerifyProgressPrinter(context.stderr) : undefined;
    try {
      const report = await verifySet({
        folder,
        setId: await namedSetId(positionals[0], folder),
        target,
        env: context.env,
        pgBinDir: flags.pgBinDir,
        ...(container ? { container } : {}),
        signal: context.signal,
        keys: await cliDecryptionKeys(flags, context),
        onProgress: progressNotingHistory(progress, context.stderr, 'the result'),
      });
      progress?.finish();
      if (flags.json) writeJson(context, report);
      else context.stdout.write(renderVerificationReport(report));
      return report.outcome === 'fail' ? 1 : 0;
    } finally {
      progress?.finish();
    }
  },
};
