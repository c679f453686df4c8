/**
 * A scheduled backup as a crontab line. cron runs the part after the five
 * fields with `/bin/sh -c`, in the home folder, with little more than HOME
 * and PATH=/usr/bin:/bin, and turns every unescaped `%` into a line break:
 * so the line names everything itself (absolute paths, the project folder,
 * the backups folder, the connection without its password), quotes each
 * word for sh, and escapes each `%` (percent-encoded URLs have them).
 * Its output is appended to a log in the backups folder, each run after a
 * `date` line; nothing is printed, so cron mails nothing. The folder and
 * the log are created under umask 077, private as backup's own folder.
 */
import { join } from 'node:path';
import { PulseError } from '../errors';
import { printable } from '../format';
import { quoteShellArgument, shellCommand } from '../shell';
import { localMinute, type ScheduledBackup } from './plan';
import { nextRuns } from './when';

export const CRON_LOG_NAME = 'pulse-backup.log';

/** The longest command (what follows the five fields, in bytes) Debian's crontab installs: one byte more is "command too long". */
export const CRON_COMMAND_LIMIT = 998;

/** The line, then nothing else: what goes into `crontab -e`. */
export function crontabLine(backup: ScheduledBackup): string {
  checkCronWords([backup.folder, backup.backupsFolder, ...backup.command, ...Object.values(backup.environment)]);
  const assignments = Object.entries(backup.environment).map(([name, value]) => `${name}=${quoteShellArgument(value)} `);
  const log = join(backup.backupsFolder, CRON_LOG_NAME);
  const q = quoteShellArgument;
  // cron's umask (022) would leave the folder and the log readable by every user: backup's own folder is its owner's alone.
  const shell = `umask 077; mkdir -p ${q(backup.backupsFolder)} && { date; cd ${q(backup.folder)} && ${assignments.join('')}${shellCommand(backup.command)}; } >> ${q(log)} 2>&1`;
  const command = shell.replace(/%/g, '\\%');
  const length = Buffer.byteLength(command);
  if (length > CRON_COMMAND_LIMIT) {
    throw new PulseError('usage', `this crontab line's command is ${length} characters long, and crontab refuses one over ${CRON_COMMAND_LIMIT} ("command too long")`, {
      hint: 'print the systemd units instead (no such limit), or shorten it: a shorter project or backups folder path, fewer flags',
    });
  }
  return `${backup.times.cron} ${command}`;
}

/**
 * What no quoting for sh gets through cron whole: a line break ends the
 * line; cron reads `\\` as `\` and `\%` as `%` before sh sees them; and any
 * other control character (DEL, ESC, bidi marks) reaches the terminal as an
 * escape, so the line pasted names another folder.
 */
function checkCronWords(words: readonly string[]): void {
  const hint = 'use a folder, path or value without one, or print the systemd units instead';
  if (words.some((word) => /[\r\n]/.test(word))) throw new PulseError('usage', 'a path or value with a line break cannot stand in a crontab line', { hint });
  if (words.some((word) => word.includes('\\'))) {
    throw new PulseError('usage', 'a path or value with a backslash cannot stand in a crontab line: cron reads \\\\ and \\% itself', { hint });
  }
  const control = words.find((word) => printable(word) !== word);
  if (control !== undefined) {
    throw new PulseError('usage', `a path or value with a control character cannot stand in a crontab line (${printable(control)})`, { hint });
  }
}

/** The line with comments above it saying what it does, when it next runs, where its output and the password are. */
export function crontabText(backup: ScheduledBackup, now: Date = new Date()): string {
  const next = nextRuns(backup.times, 1, now)[0];
  const password =
    backup.password.kind === 'file'
      ? `from ${printable(backup.password.path)} (its first line)`
      : `from ${printable(backup.password.passfile ?? '~/.pgpass')} (a line host:port:database:user:password, chmod 600) if the server asks for one`;
  return [
    // A comment is one line: a line break in a value (a database's name) would start a line cron runs.
    `# ${backup.name}: back up ${printable(backup.what)} ${backup.times.description}${next ? ` (next: ${localMinute(next)})` : ''}.`,
    `# The password is not in this line: each time it runs, the backup reads it ${password}.`,
    `# Output is appended to ${printable(join(backup.backupsFolder, CRON_LOG_NAME))}. Add the line with crontab -e.`,
    crontabLine(backup),
    '',
  ].join('\n');
}
