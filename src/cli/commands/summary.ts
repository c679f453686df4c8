import { dirname, resolve } from 'node:path';
import { writeFileAtomic } from '../../core/files/atomicFile';
import { PulseError, failedWrite } from '../../core/errors';
import { buildReport } from '../../core/report/build';
import { renderReportHtml } from '../../core/report/html';
import { renderReportMarkdown } from '../../core/report/markdown';
import { backupsFolder, type Command, namedSetId } from '../command';
import { cliDecryptionKeysIfGiven } from '../encryptionKeys';

export const summaryCommand: Command = {
  name: 'summary',
  flags: ['dir', 'format', 'out', 'passphrase-file', 'identity-file'],
  positionals: ['SET_ID'],
  summary:
    'describe one set: files, database, pg_dump warnings, restore commands, tables with row counts, verification, history, security ' +
    '(Markdown unless --format or the --out file name says html or json)',
  async run({ flags, positionals }, context) {
    const keys = await cliDecryptionKeysIfGiven(flags, context);
    const folder = backupsFolder(flags, context);
    const report = await buildReport({ folder, setId: await namedSetId(positionals[0], folder), env: context.env, ...(keys ? { keys } : {}) });
    const format = flags.format ?? formatForFile(flags.out);
    const text = format === 'json' ? `${JSON.stringify(report, null, 2)}\n` : format === 'html' ? renderReportHtml(report) : renderReportMarkdown(report);
    if (flags.out === undefined) {
      context.stdout.write(text);
      return 0;
    }
    const path = resolve(context.cwd, flags.out);
    try {
      // 0600: the summary names every table and where the dumps are.
      await writeFileAtomic(path, text, 0o600);
    } catch (error) {
      if (['ENOSPC', 'EDQUOT'].includes((error as NodeJS.ErrnoException).code ?? ''))
        throw failedWrite(`write the summary to ${path}`, dirname(path), error, 'or write it elsewhere with --out');
      throw new PulseError('folder-not-writable', `cannot write the summary to ${path}`, {
        hint: 'choose a file in a folder that exists and that you can write to with --out',
        cause: error,
      });
    }
    context.stdout.write(`Wrote the ${format === 'md' ? 'Markdown' : format.toUpperCase()} summary of ${report.set.id} to ${path}\n`);
    return 0;
  },
};

/** `--out summary.html` without --format means HTML: Markdown in a .html file helps nobody. */
function formatForFile(out: string | undefined): 'md' | 'html' | 'json' {
  if (out && /\.html?$/i.test(out)) return 'html';
  if (out && /\.json$/i.test(out)) return 'json';
  return 'md';
}
