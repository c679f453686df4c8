/**
 * guard's own words. They all go to stderr, each a line of its own starting
 * `pulse-backup:`, so that the command's output on stdout stays the
 * command's alone (`pulse-backup guard -- psql -c '…' > out.txt`).
 */
import { tableCountText } from '../core/backup/summary';
import { formatBytes, formatDuration } from '../core/format';
import type { Manifest } from '../core/sets/manifest';
import { shellCommand } from '../core/shell';

export function safetySetWritten(manifest: Manifest, command: string): string {
  const bytes = manifest.files.reduce((sum, file) => sum + file.bytes, 0);
  return `pulse-backup: safety set ${manifest.id} written (${formatBytes(bytes)}, ${tableCountText(manifest.tables)}, ${formatDuration(manifest.durationMs)}); running ${command}\n`;
}

/** The command runs anyway: without a safety set, or with one that did not prove restorable. */
export function runningWithoutSafetySet(problem: string, command: string, unproved: Manifest | undefined): string {
  if (unproved !== undefined) return `pulse-backup: warning: ${problem}; running ${command} all the same, as --run-if-backup-fails asks\n`;
  return `pulse-backup: warning: no safety backup (${problem}); running ${command} without one, as --run-if-backup-fails asks\n`;
}

/**
 * After a command that failed: how to put the database back. A Supabase
 * set's platform schemas are the platform's (docs/supabase.md), so it
 * goes back as data into the schema the project has; any other set whole.
 */
export function commandFailed(command: string, exit: { exitCode: number; signal?: NodeJS.Signals }, safetySet: Manifest | undefined, restoreArgs: readonly string[]): string {
  const how = exit.signal === undefined ? `exited with ${exit.exitCode}` : `was ended by ${exit.signal} (exit code ${exit.exitCode})`;
  if (safetySet === undefined) return `pulse-backup: ${command} ${how}\n`;
  const mode = safetySet.profile?.name === 'supabase' ? ['--mode', 'data', '--clean'] : ['--mode', 'complete', '--clean'];
  const restore = shellCommand(['pulse-backup', 'restore', safetySet.id, ...mode, ...restoreArgs]);
  return `pulse-backup: ${command} ${how}; the safety set ${safetySet.id} holds the database as it was before it: ${restore}\n`;
}
