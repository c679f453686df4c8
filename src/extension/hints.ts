/**
 * The engine's hints speak to a command line ("point --dir at a folder");
 * in VS Code the same advice names the setting or the command that does it.
 * Pure, so unit tests cover every rewrite without VS Code.
 */
import { PulseError, toPulseError } from '../core/errors';

const REWRITES: readonly (readonly [RegExp, string])[] = [
  [/\brun pulse-backup list --dir \S+ to see the sets\b/g, 'see the sets in the Backups view'],
  [/\brun pulse-backup backup first\b/g, 'run Pulse Backup: Backup database first'],
  [/\bpass --allow-remote if you really mean that server\b/g, 'Pulse Backup restores from VS Code only into a local database; for another server use the CLI: pulse-backup restore … --allow-remote'],
  [/\bor pass --db \S+/g, 'or run Pulse Backup: Configure connection'],
  [/\(--db URL\)/g, '(Pulse Backup: Configure connection)'],
  [/\brun again with PULSE_BACKUP_DEBUG=1 for details\b/g, 'see Pulse Backup: Show log for details'],
  [/\brestore --mode schema first, or use --mode complete\b/g, 'restore it schema-only first, or restore complete'],
  [/\banother --mode\b/g, 'another restore mode'],
  [/\bpoint --dir at\b/g, 'point the pulseBackup.backupsFolder setting at'],
  [/\bwith --dir\b/g, 'with the pulseBackup.backupsFolder setting'],
  [/\bset --pg-bin-dir\b/g, 'set pulseBackup.clientToolsFolder'],
  [/\be\.g\. --keep (\d+)/g, 'e.g. pulseBackup.retentionKeep: $1'],
  [/\be\.g\. --prefix (\S+)/g, 'e.g. pulseBackup.filePrefix: $1'],
];

/** The same error, its hint in the extension's words. */
export function forExtension(error: unknown): PulseError {
  const pulseError = toPulseError(error);
  const hint = pulseError.hint;
  if (hint === undefined) return pulseError;
  const rewritten = REWRITES.reduce((text, [pattern, replacement]) => text.replace(pattern, replacement), hint);
  if (rewritten === hint) return pulseError;
  return new PulseError(pulseError.code, pulseError.message, { hint: rewritten, ...(pulseError.details !== undefined ? { details: pulseError.details } : {}), cause: pulseError });
}
