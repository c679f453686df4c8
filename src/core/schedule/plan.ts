/**
 * A scheduled backup as both printers take it: what runs, where, when and
 * with which environment. Every word is literal here; each printer quotes
 * it for its own reader (sh for cron, systemd's unit syntax). Nothing in it
 * is a secret: the password is read when the backup runs, from where
 * `password` says.
 */
import type { BackupTimes } from './when';

export interface ScheduledBackup {
  /** The systemd units' name, and the crontab comment's: pulse-backup-PREFIX. */
  name: string;
  /** What is backed up, without a password: "factory_pulse from postgres@127.0.0.1:54322/postgres". */
  what: string;
  /** The project folder the backup runs in (its supabase/config.toml, its defaults). */
  folder: string;
  /** Where the sets go; cron's log is appended there too. */
  backupsFolder: string;
  /** Node's absolute path, the CLI's script, then `backup` and its flags. */
  command: readonly string[];
  /** Variables the run needs that hold no secret (PGPASSFILE, PGSSLCRL, …), by name. */
  environment: Readonly<Record<string, string>>;
  /** Where the backup finds the password when it runs. */
  password: { kind: 'file'; path: string } | { kind: 'libpq'; passfile?: string };
  times: BackupTimes;
}

/** `2026-01-05 03:00`: a next run in the printed comment, in this machine's local time as cron and systemd read the schedule. */
export function localMinute(date: Date): string {
  const pad = (value: number) => String(value).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}`;
}
