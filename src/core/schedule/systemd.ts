/**
 * A scheduled backup as a systemd user service and the timer that starts
 * it. Persistent=true makes a run missed while the machine was off or
 * asleep happen once when it is back; the output goes to the journal
 * (`journalctl --user -u pulse-backup-PREFIX`). Values are written in the
 * unit syntax: `%` is a specifier (written `%%`), `$` in ExecStart= names a
 * variable (written `$$`), and ExecStart's words are quoted as
 * systemd.syntax(7) reads them.
 */
import { PulseError } from '../errors';
import { INVISIBLE_CHARACTERS, printable } from '../format';
import { nextRuns } from './when';
import { localMinute, type ScheduledBackup } from './plan';

export interface UnitFile {
  /** The file name: pulse-backup-PREFIX.service, .timer. */
  name: string;
  text: string;
}

/** Where a user's own units live; the printed text names it for each file. */
export const USER_UNIT_FOLDER = '~/.config/systemd/user';

/** The variables file the service reads, when the password is not in a file of its own: PGPASSWORD=… there, chmod 600. */
export function environmentFileOf(backup: ScheduledBackup): string {
  return `%h/.config/pulse-backup/${backup.name}.env`;
}

export function systemdUnits(backup: ScheduledBackup): { service: UnitFile; timer: UnitFile } {
  // WorkingDirectory= takes the path as written, with no quoting or escapes: a line break would end the setting, and any other control character reach the terminal as an escape.
  if (printable(backup.folder) !== backup.folder) {
    throw new PulseError('usage', `a folder whose name has a line break or control character cannot be a systemd unit's WorkingDirectory= (${printable(backup.folder)})`, {
      hint: 'run it from a folder whose name has none',
    });
  }
  const environment = Object.entries(backup.environment).map(([name, value]) => `Environment=${quoteWord(`${name}=${value}`, false)}`);
  const service = [
    '[Unit]',
    `Description=${specifiers(printable(`Pulse Backup of ${backup.what}`))}`,
    '',
    '[Service]',
    'Type=oneshot',
    // A user service's umask is 022: what the run creates (the backups folder's parents, any file) stays its owner's, as backup's own folder is.
    'UMask=0077',
    `WorkingDirectory=${specifiers(backup.folder)}`,
    ...environment,
    // Optional (the "-"): without it, libpq's ~/.pgpass is read as usual.
    ...(backup.password.kind === 'file' ? [] : [`EnvironmentFile=-${environmentFileOf(backup)}`]),
    `ExecStart=${backup.command.map((word) => quoteWord(word, true)).join(' ')}`,
    'SyslogIdentifier=pulse-backup',
    '',
  ].join('\n');
  const timer = [
    '[Unit]',
    `Description=${specifiers(printable(`Pulse Backup of ${backup.what}, ${backup.times.description}`))}`,
    '',
    '[Timer]',
    ...backup.times.onCalendar.map((calendar) => `OnCalendar=${calendar}`),
    'Persistent=true',
    '',
    '[Install]',
    'WantedBy=timers.target',
    '',
  ].join('\n');
  return { service: { name: `${backup.name}.service`, text: service }, timer: { name: `${backup.name}.timer`, text: timer } };
}

/** Both files, each under a comment naming where it goes, then how to start the timer. */
export function systemdText(backup: ScheduledBackup, now: Date = new Date()): string {
  const { service, timer } = systemdUnits(backup);
  const next = nextRuns(backup.times, 1, now)[0];
  const password =
    backup.password.kind === 'file'
      ? `from ${printable(backup.password.path)} (its first line)`
      : `from PGPASSWORD=… in ${environmentFileOf(backup).replace('%h', '~')} (chmod 600), else from ${printable(backup.password.passfile ?? '~/.pgpass')}`;
  return [
    `# ${backup.name}: back up ${printable(backup.what)} ${backup.times.description}${next ? ` (next: ${localMinute(next)})` : ''}; a run missed while the machine was off happens when it is back.`,
    `# The password is not in these units: each time it runs, the backup reads it ${password}. Its output goes to the journal: journalctl --user -u ${service.name}`,
    '',
    `# file: ${USER_UNIT_FOLDER}/${service.name}`,
    service.text,
    `# file: ${USER_UNIT_FOLDER}/${timer.name}`,
    timer.text,
    `# Then: systemctl --user daemon-reload && systemctl --user enable --now ${timer.name}`,
    '# (and loginctl enable-linger "$USER" for it to run while you are logged out)',
    '',
  ].join('\n');
}

/** `%` is a specifier in every unit setting. */
function specifiers(text: string): string {
  return text.replace(/%/g, '%%');
}

/** What the CLI's output would show as an escape (format.ts), written as systemd's own C escape so it reaches the program as it is. */
const UNIT_CONTROLS = new RegExp(`[\\u0000-\\u0009\\u000b-\\u001f\\u007f-\\u009f${INVISIBLE_CHARACTERS}]`, 'g');

/**
 * One word as systemd reads it: as it is when nothing in it is special,
 * else in double quotes with `\`, `"`, line breaks and control characters escaped. In ExecStart= a `$` would
 * name a variable, so it is doubled there.
 */
function quoteWord(word: string, command: boolean): string {
  const escaped = specifiers(command ? word.replace(/\$/g, '$$$$') : word);
  if (/^[A-Za-z0-9_@+=:,./-]+$/.test(word)) return escaped;
  return `"${escaped
    .replace(/\\/g, '\\\\')
    .replace(/"/g, '\\"')
    .replace(/\n/g, '\\n')
    .replace(UNIT_CONTROLS, (character) => `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`)}"`;
}
