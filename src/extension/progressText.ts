/**
 * What the task terminal says while the engine works, and the outcome lines at the end. Pure: the pseudoterminal
 * only writes these strings.
 */
import { checkLine } from '../core/verify/results';
import { extensionWords } from './hints';
import type { BackupProgress } from '../core/backup/backup';
import { countColumn, countOf, formatBytes, formatCount, formatDuration, printableName } from '../core/format';
import { rowCountsWords, type RestoreProgress, type RestoreResult } from '../core/restore/types';
import { describeProtection, type PruneResult } from '../core/retention/retention';
import { describePolicy } from '../core/retention/policy';
import type { CheckStatus, VerificationReport } from '../core/verify/results';
import type { VerifyProgress } from '../core/verify/verify';

/**
 * One progress event as text: `line` is printed for good, `live` replaces
 * the terminal's last line (a table still being read). The terminal is the
 * one place progress shows.
 */
export interface ProgressText {
  line?: string;
  live?: string;
}

const tableName = (table: { schema: string; name: string }) => printableName(table.schema, table.name);

export function backupProgressText(event: BackupProgress): ProgressText {
  switch (event.kind) {
    case 'connected':
      return { line: `Connected to PostgreSQL ${event.serverVersion} at ${event.target}` };
    case 'dump-started':
      return { line: `Writing ${event.setId} with ${event.pgDump}` };
    case 'table-start':
    case 'table-progress':
      return { live: `  ${tableName(event.table)}  ${countOf(event.table.rows, 'row')}  ${formatBytes(event.table.bytes)}` };
    case 'table-done':
      return { line: `  ${tableName(event.table).padEnd(40)} ${countColumn(event.table.rows, 12, 'row ', 'rows')} ${formatBytes(event.table.bytes).padStart(10)}` };
    case 'finishing':
      return { line: `Flushing ${formatBytes(event.bytesWritten)} to disk and writing the manifest` };
  }
}

export function verifyProgressText(event: VerifyProgress): ProgressText {
  switch (event.kind) {
    case 'checking-target':
      return { line: `Checking the target at ${event.target} while the files are read` };
    case 'reading':
      return { line: `Reading ${event.files.length} ${event.files.length === 1 ? 'file' : 'files'} (${formatBytes(event.totalBytes)})` };
    case 'read-progress': {
      const percent = event.totalBytes > 0 ? Math.floor((event.bytesRead / event.totalBytes) * 100) : 100;
      return { live: `  ${formatBytes(event.bytesRead)} of ${formatBytes(event.totalBytes)} read (${percent}%)  ${event.name}` };
    }
    case 'file-read':
      return { line: `  read ${event.name} (${formatBytes(event.bytes)})` };
    case 'not-recorded':
      return { line: `Note: the result was not added to the set's history: ${event.reason}` };
  }
}

export function restoreProgressText(event: RestoreProgress): ProgressText {
  switch (event.kind) {
    case 'verifying':
      return { line: 'Verifying the set' };
    case 'resetting':
      return event.line === undefined ? { line: 'supabase db reset --local' } : { line: `  ${event.line}` };
    case 'safety-backup': {
      const inner = backupProgressText(event.event);
      return {
        ...(inner.line !== undefined ? { line: `Safety backup: ${inner.line.trimStart()}` } : {}),
        ...(inner.live !== undefined ? { live: inner.live } : {}),
      };
    }
    case 'safety-backup-done':
      return { line: `Safety backup ${event.setId} written (restore it to undo this restore)` };
    case 'loading':
      return { live: `Loading ${formatBytes(event.bytes)} of ${formatBytes(event.totalBytes)}` };
    case 'table-start':
      return { live: `  ${tableName(event.table)}…` };
    case 'table-done':
      return { line: `  ${tableName(event.table).padEnd(40)} ${countColumn(event.table.rows, 12, 'row')}` };
    case 'checking-rows':
      return { line: 'Committed; checking row counts against the manifest' };
  }
}

export function retentionLines(result: PruneResult): string[] {
  if (result.removed.length === 0 && result.protected.length === 0 && result.heldBack.length === 0) return [];
  const lines = [`Retention (keep ${describePolicy(result.policy)}):`];
  for (const set of result.removed) lines.push(`  removed ${set.id} (${formatBytes(set.totalBytes)})`);
  for (const set of result.protected) lines.push(`  kept    ${set.id} (${describeProtection(set.reason)})`);
  for (const set of result.heldBack) lines.push(`  kept    ${set.id} (not confirmed)`);
  return lines;
}

const MARKS: Readonly<Record<CheckStatus, string>> = { pass: '✔', warn: '!', fail: '✘' };

export function verificationLines(report: VerificationReport): string[] {
  const lines = [`Verification of ${report.setId}`];
  for (const group of report.groups) {
    lines.push('', group.title);
    for (const check of group.checks) lines.push(`  ${MARKS[check.status]} ${check.title}`, `      ${checkLine(check, extensionWords())}`);
  }
  lines.push('', verificationOutcome(report));
  return lines;
}

export function verificationOutcome(report: VerificationReport): string {
  const checks = report.groups.flatMap((group) => group.checks);
  const count = (status: CheckStatus) => checks.filter((check) => check.status === status).length;
  const duration = formatDuration(report.durationMs);
  if (report.outcome === 'fail') return `FAILED: ${countOf(count('fail'), 'check')} failed, ${count('pass')} passed (${duration})`;
  if (report.outcome === 'warn') return `Passed with ${countOf(count('warn'), 'warning')}: ${count('pass')} of ${checks.length} checks passed (${duration})`;
  return `Passed: all ${countOf(checks.length, 'check')} passed (${duration})`;
}

export function restoreDoneLines(result: RestoreResult): string[] {
  const { plan } = result;
  const lines = [`Restored ${plan.setId} (${plan.mode}) into ${plan.target} in ${formatDuration(result.durationMs)}`];
  if (result.safetyBackup) lines.push(`  safety backup: ${result.safetyBackup} (restore it to undo this)`);
  if (result.tables.length > 0) {
    const mismatched = result.tables.filter((table) => !table.matches);
    lines.push(mismatched.length === 0 ? `  row counts: ${rowCountsWords(result.tables)}` : `  row counts: ${rowCountsWords(result.tables)}`);
    for (const table of mismatched) {
      lines.push(`  ! ${tableName(table)}: ${countOf(table.restored, 'row')} (manifest: ${formatCount(table.expected ?? 0)})`);
    }
  }
  return lines;
}
