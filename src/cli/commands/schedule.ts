import { isAbsolute, resolve } from 'node:path';
import { KEPT_PG_VARIABLES, describeTarget, redactText, urlWithoutPassword } from '../../core/connection/target';
import { readPasswordFile } from '../../core/connection/passwordFile';
import { PulseError, toPulseError } from '../../core/errors';
import { parseRemoteUrl } from '../../core/offsite/remote';
import { crontabText } from '../../core/schedule/crontab';
import type { ScheduledBackup } from '../../core/schedule/plan';
import { systemdText } from '../../core/schedule/systemd';
import { DEFAULT_EVERY, parseEvery } from '../../core/schedule/when';
import type { CommandLine, FlagName, Flags } from '../args';
import { checkUnattendedKeys } from '../encryptionKeys';
import { backupsFolder, connectionTarget, retentionPolicy, setPrefix, type CliContext, type Command } from '../command';
import { BACKUP_PLACE_FLAGS, backupCommand } from './backup';

/** Backup's flags a schedule passes on as given; where it reads from and writes to is resolved here first. */
const PASSED_ON: readonly FlagName[] = backupCommand.flags.filter((name) => !(BACKUP_PLACE_FLAGS as readonly FlagName[]).includes(name) && name !== 'json');

export const scheduleCommand: Command = {
  name: 'schedule print',
  flags: ['cron', 'systemd', 'every', ...BACKUP_PLACE_FLAGS, ...PASSED_ON],
  positionals: [],
  summary:
    'print a crontab line (--cron) or a systemd user service and timer (--systemd) that run backup --every hourly, daily@HH:MM or a cron expression, for this folder and connection as they resolve here: absolute paths to node and this CLI, the connection without its password (read when it runs: --password-file, ~/.pgpass or PGPASSFILE, or for systemd PGPASSWORD in the environment file the service names), and the backup flags given',
  async run(commandLine, context) {
    const { flags } = commandLine;
    if (flags.cron === flags.systemd)
      throw new PulseError('usage', 'schedule print needs --cron or --systemd (one of them)', { hint: 'e.g. pulse-backup schedule print --cron --every daily@03:00' });
    const { backup, passwordLeftOut } = scheduledBackup(commandLine, context);
    await checkKeysAndPlaces(commandLine.flags, context);
    for (const note of notes(backup, passwordLeftOut, flags.cron, context)) context.stderr.write(`pulse-backup: note: ${note}\n`);
    context.stdout.write(flags.cron ? crontabText(backup) : systemdText(backup));
    return 0;
  },
};

/**
 * What backup checks before it starts, checked as the scheduled run will
 * have it: no PULSE_BACKUP_PASSPHRASE (it was taken out of this process,
 * and is not in cron's or systemd's environment), nobody to ask.
 */
async function checkKeysAndPlaces(flags: Flags, context: CliContext): Promise<void> {
  try {
    if (flags.offsite !== undefined) parseRemoteUrl(flags.offsite);
    await checkUnattendedKeys(flags, context);
  } catch (error) {
    const pulseError = toPulseError(error);
    const noKey = pulseError.code === 'key-missing' && flags.encrypt && flags.passphraseFile === undefined && flags.recipients.length === 0 && flags.recipientsFile === undefined;
    throw new PulseError(pulseError.code === 'internal' ? 'internal' : 'usage', `${pulseError.message}, so the scheduled backup would fail every run`, {
      ...(noKey
        ? { hint: 'give --passphrase-file FILE (chmod 600) or --recipient: the scheduled run has no PULSE_BACKUP_PASSPHRASE and nobody to ask' }
        : pulseError.hint
          ? { hint: pulseError.hint }
          : {}),
    });
  }
}

/** The schedule, and whether a password given here (in the URL, PGPASSWORD) stays behind. */
function scheduledBackup({ flags, given }: CommandLine, context: CliContext): { backup: ScheduledBackup; passwordLeftOut: boolean } {
  const times = parseEvery(flags.every ?? DEFAULT_EVERY);
  // Checked now, as backup would check it: a schedule of a backup that refuses its flags fails every run, unseen.
  retentionPolicy(flags);
  const target = connectionTarget({ ...flags, passwordFile: undefined }, context);
  const folder = backupsFolder(flags, context);
  const prefix = setPrefix(flags, context);
  const args = ['backup', '--dir', folder, '--prefix', prefix];
  // The default (a Supabase project's database, or the local stack's) is found again from the folder, its password with it.
  if (target.source !== 'default') args.push('--db', urlWithoutPassword(target));
  const pgBinDir = flags.pgBinDir ?? context.env.PULSE_BACKUP_PG_BIN_DIR;
  if (pgBinDir !== undefined && pgBinDir.trim() !== '') args.push('--pg-bin-dir', resolve(context.cwd, pgBinDir));
  const passwordFile = flags.passwordFile === undefined ? undefined : resolve(context.cwd, flags.passwordFile);
  if (passwordFile !== undefined) {
    // Read now: a file the backup cannot read would fail every run, unseen.
    readPasswordFile(passwordFile);
    args.push('--password-file', passwordFile);
  }
  for (const name of PASSED_ON) {
    const value = given[name];
    if (value === undefined) continue;
    for (const one of Array.isArray(value) ? value : [value]) {
      if (one !== true && redactText(one) !== one) {
        throw new PulseError('usage', `--${name} holds a password, which a schedule never prints`, { hint: 'give it without the password, and keep that in ~/.pgpass' });
      }
      args.push(`--${name}`, ...(one === true ? [] : [one]));
    }
  }
  const environment: Record<string, string> = {};
  for (const [name, value] of Object.entries(context.env)) {
    if (value !== undefined && value !== '' && KEPT_PG_VARIABLES.has(name)) environment[name] = name === 'PGPASSFILE' && !isAbsolute(value) ? resolve(context.cwd, value) : value;
  }
  const backup: ScheduledBackup = {
    name: `pulse-backup-${prefix}`,
    what: `${prefix} from ${describeTarget(target)}`,
    folder: context.cwd,
    backupsFolder: folder,
    command: [context.launch.node, context.launch.script, ...args],
    environment,
    password: passwordFile !== undefined ? { kind: 'file', path: passwordFile } : { kind: 'libpq', ...(environment.PGPASSFILE ? { passfile: environment.PGPASSFILE } : {}) },
    times,
  };
  return { backup, passwordLeftOut: passwordFile === undefined && target.password !== undefined && target.source !== 'default' };
}

/** What the person should know before the first run: a password that will not be there, a CLI that may not be either. */
function notes(backup: ScheduledBackup, passwordLeftOut: boolean, cron: boolean, context: CliContext): string[] {
  const said: string[] = [];
  if (passwordLeftOut) {
    const passfile = (backup.password.kind === 'libpq' ? backup.password.passfile : undefined) ?? '~/.pgpass';
    const where = cron ? passfile : `~/.config/pulse-backup/${backup.name}.env (as PGPASSWORD=…) or ${passfile}`;
    said.push(`the password given here is left out of the schedule, so the scheduled backup will not have it: put it in ${where} (chmod 600), or pass --password-file FILE`);
  }
  if (/[\\/]_npx[\\/]/.test(context.launch.script)) {
    said.push(
      `this pulse-backup runs from npx's cache (${context.launch.script}), which npm may clear: install it (npm install --global pulse-backup, or in the project) and print the schedule again`,
    );
  }
  return said;
}
