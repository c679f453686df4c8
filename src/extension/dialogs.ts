/**
 * The words of the extension's confirmations, decided without VS Code:
 * what a restore changes (first, in one line), and what a retention run
 * will remove. commands.ts and tasks.ts show these in modal dialogs.
 */
import { checkLine } from '../core/verify/results';
import { extensionWords } from './hints';
import { countOf, formatAge, formatBytes, formatCount, printable, printableName } from '../core/format';
import type { ProofStanding } from '../core/sets/history';
import { describeDifference, readEveryTableBack } from '../core/prove/words';
import type { RemovableSet, PruneResult } from '../core/retention/retention';
import { describePolicy } from '../core/retention/policy';
import type { RestorePlan, RestoreResult } from '../core/restore/types';
import type { VerificationReport } from '../core/verify/results';
import type { ExistingObject } from '../core/restore/target';

// ---------------------------------------------------------------------------
// Restore

export const RESTORE_MODE_WORDS: Readonly<Record<RestorePlan['mode'], string>> = {
  complete: 'schema and data',
  schema: 'schema only',
  data: 'data only',
};

export interface RestoreTargetFacts {
  host: string;
  port: number;
  database: string;
}

export interface RestoreConfirmation {
  /** The dialog's title line: the set, the mode once, the target. */
  message: string;
  /** What changes first, then the target and the safety backup, then the rest. */
  detail: string;
  /** Every object that will be replaced, one line each: behind Show Details. */
  objects: string[];
}

function isTable(object: ExistingObject): boolean {
  return object.rows !== null && (object.kind === 'table' || object.kind === 'platform table');
}

function objectName(object: ExistingObject): string {
  return object.schema === '-' ? `large object ${printable(object.name)}` : printableName(object.schema, object.name);
}

/**
 * What the restore does to the rows already in the target, in a line or
 * two: "16 tables will be emptied: 13,645 rows", "3 tables will lose 1,240
 * rows added since the backup". A schema restore brings tables back empty;
 * a complete or data restore brings back the backup's rows.
 */
export function restoreConsequences(plan: RestorePlan): string[] {
  const tables = plan.replaced.filter(isTable);
  const others = plan.replaced.length - tables.length;
  const lines: string[] = [];
  if (plan.replaced.length === 0) {
    return [
      plan.mode === 'data'
        ? "The backup's rows are loaded into its empty tables; nothing in the target is replaced."
        : "The backup's objects are created; nothing in the target is replaced.",
    ];
  }
  const withRows = tables.filter((table) => (table.rows ?? 0) > 0);
  const rowsNow = withRows.reduce((sum, table) => sum + (table.rows ?? 0), 0);
  if (plan.mode === 'schema') {
    if (withRows.length > 0) lines.push(`${countOf(withRows.length, 'table')} will be emptied: ${countOf(rowsNow, 'row')}.`);
  } else {
    const known = tables.filter((table) => table.backupRows !== undefined && table.backupRows !== null);
    const gaining = known.filter((table) => (table.rows ?? 0) > (table.backupRows ?? 0));
    const losing = known.filter((table) => (table.rows ?? 0) < (table.backupRows ?? 0));
    const lost = gaining.reduce((sum, table) => sum + (table.rows ?? 0) - (table.backupRows ?? 0), 0);
    const back = losing.reduce((sum, table) => sum + (table.backupRows ?? 0) - (table.rows ?? 0), 0);
    if (gaining.length > 0) lines.push(`${countOf(gaining.length, 'table')} will lose ${countOf(lost, 'row')} added since the backup.`);
    if (losing.length > 0) lines.push(`${countOf(losing.length, 'table')} will get back ${countOf(back, 'row')} removed since the backup.`);
    // With a manifest, a table without recorded rows is a partitioned parent (its rows are its partitions') or a foreign table.
    const unknown = known.length > 0 ? [] : tables.filter((table) => (table.rows ?? 0) > 0);
    if (unknown.length > 0) {
      const rows = unknown.reduce((sum, table) => sum + (table.rows ?? 0), 0);
      lines.push(`${countOf(unknown.length, 'table')} will have ${countOf(rows, 'row')} replaced by the backup's (the set records no row counts).`);
    }
    const same = known.length - gaining.length - losing.length;
    if (same > 0) lines.push(`${countOf(same, 'table')} ${same === 1 ? 'keeps its' : 'keep their'} row count; rows changed since the backup go back to the backup's.`);
  }
  if (others > 0) lines.push(`${countOf(others, 'other object')} (views, functions, types, …) will be replaced.`);
  const hidden = tables.filter((table) => table.rowsHidden);
  if (hidden.length > 0) lines.push(`Row-level security hides rows of ${countOf(hidden.length, 'table')} from the restoring role: they may hold more rows than counted here.`);
  return lines;
}

/**
 * Whether the set was proved restorable, and when, in one line: what a
 * person wants to know before relying on it.
 */
export function restoreProofLine(standing: ProofStanding, now: Date): string {
  const { proof, stale } = standing;
  if (proof?.outcome === 'proved') {
    const how = readEveryTableBack(proof) ? 'read back' : 'compared';
    return `Proved restorable ${formatAge(new Date(proof.provedAt), now)}: a test restore ${how} ${countOf(proof.tables, 'table')} and ${countOf(proof.rows, 'row')} equal.`;
  }
  if (proof?.outcome === 'failed') {
    const first = proof.differences[0];
    return `This set FAILED its proof ${formatAge(new Date(proof.provedAt), now)}: ${first ? describeDifference(first) : proof.summary}.`;
  }
  if (stale) return `Proved ${formatAge(new Date(stale.provedAt), now)}, but a file of the set changed since: that proof no longer speaks for it.`;
  return 'Never proved: Prove Restorable test-restores a set into a scratch database first.';
}

/**
 * The modal's title and text: what changes first and whether the set was
 * proved, then the target and the safety backup, the pre-flight's warnings
 * and notes. The long object list is kept for Show Details.
 */
export function restoreConfirmation(
  plan: RestorePlan,
  target: RestoreTargetFacts,
  safetyBackup: boolean,
  proof: { standing: ProofStanding; now: Date } = { standing: {}, now: new Date() },
): RestoreConfirmation {
  const message = `Restore ${plan.setId} (${RESTORE_MODE_WORDS[plan.mode]}) into database "${target.database}" on ${target.host}:${target.port}?`;
  const checks = plan.verification.groups.flatMap((group) => group.checks);
  const warnings = checks.filter((check) => check.status === 'warn');
  const lines = [
    ...restoreConsequences(plan),
    restoreProofLine(proof.standing, proof.now),
    '',
    `Target: ${plan.target}, PostgreSQL ${plan.serverVersion}.`,
    safetyBackup
      ? 'A safety backup of the target is taken first, so this restore can be undone.'
      : 'No safety backup will be taken (pulseBackup.safetyBackupBeforeRestore is off): this cannot be undone from a backup.',
    warnings.length === 0
      ? `Pre-flight: the set verifies (${countOf(checks.length, 'check')} passed).`
      : `Pre-flight: the set verifies with ${countOf(warnings.length, 'warning')}: ${warnings.map((check) => `${check.title}: ${checkLine(check, extensionWords())}`).join('; ')}.`,
    ...plan.notes.map((note) => `Note: ${note}.`),
    'All or nothing: one transaction; on any error the target stays as it was.',
  ];
  return { message, detail: lines.join('\n'), objects: replacedObjectLines(plan) };
}

/** Every object the restore replaces, tables with their rows now and in the backup. */
export function replacedObjectLines(plan: RestorePlan): string[] {
  const verb = plan.mode === 'data' ? 'emptied, then loaded' : plan.mode === 'schema' ? 'dropped, recreated empty' : "dropped, recreated with the backup's rows";
  return plan.replaced.map((object) => {
    const name = `${object.kind} ${objectName(object)}`;
    if (object.rows === null) return `${name}: ${verb}`;
    const backup = object.backupRows === undefined || object.backupRows === null ? '' : `, ${formatCount(object.backupRows)} in the backup`;
    return `${name}: ${object.rowsHidden ? 'at least ' : ''}${countOf(object.rows, 'row')} now${plan.mode === 'schema' ? '' : backup}; ${verb}`;
  });
}

// ---------------------------------------------------------------------------
// Retention

export interface RemovalConfirmation {
  message: string;
  detail: string;
  /** The button that removes. */
  remove: string;
}

function totalBytes(sets: readonly RemovableSet[]): number {
  return sets.reduce((sum, set) => sum + set.totalBytes, 0);
}

/** One line of the list of sets to remove: which (its id carries the date and time), how big, and what kind when it is not a whole set of ours. */
function removalLine(set: RemovableSet): string {
  const kinds = [...(set.purpose === 'safety' ? ['safety backup'] : []), ...(set.status === 'complete' ? [] : [set.status === 'legacy' ? 'old script' : set.status])];
  return `${set.id} (${[formatBytes(set.totalBytes), ...kinds].join(', ')})`;
}

/**
 * The question before retention removes sets (after a backup, or Prune Old
 * Backups): how many, how big, why it asks, every set by name, and the
 * policy that decided. Nothing has been removed when it is shown.
 */
export function removalConfirmation(preview: PruneResult, context: { afterBackup: boolean; folderName: string }): RemovalConfirmation {
  const sets = [...preview.removed, ...preview.heldBack];
  const count = countOf(sets.length, 'backup set');
  const message = `Remove ${count} (${formatBytes(totalBytes(sets))}) from ${context.folderName}?`;
  const lines = [
    `${context.afterBackup ? 'The backup is written. Retention after it' : 'Prune'} will remove these sets, which the policy does not keep:`,
    ...sets.map(removalLine),
    '',
    `Policy: keep ${describePolicy(preview.policy)} (the Retention settings) and the newest ${preview.keepSafety} safety backups, and always pinned sets and the newest backup that verifies.`,
    ...(preview.review.reasons.length > 0 ? [`Asked because of ${preview.review.reasons.join('; ')}.`] : []),
    '',
    context.afterBackup
      ? 'Nothing has been removed. Keep Them leaves every set in place; to keep some for good, pin them or raise Retention: Keep Last.'
      : 'Nothing has been removed yet.',
  ];
  return { message, detail: lines.join('\n'), remove: `Remove ${count}` };
}

/** The toast after a verification: every check that did not pass, with its line. */
export function verifiedMessage(report: VerificationReport): string {
  const checks = report.groups.flatMap((group) => group.checks);
  if (report.outcome === 'pass') return `${report.setId} verifies: all ${checks.length} checks passed.`;
  const flagged = checks.filter((check) => check.status !== 'pass');
  return `${report.setId} ${report.outcome === 'fail' ? 'failed verification' : 'verifies with warnings'}: ${flagged.map((check) => `${check.title}: ${checkLine(check, extensionWords())}`).join('; ')}`;
}

/** The toast after a restore: the set, the mode, the target, the safety backup. */
export function restoredMessage(result: Pick<RestoreResult, 'plan' | 'safetyBackup' | 'rowCountsMatch'>): string {
  const safety = result.safetyBackup ? ` Safety backup: ${result.safetyBackup}.` : '';
  const rows = result.rowCountsMatch ? '' : ' Some row counts differ from the manifest: see the task terminal.';
  return `Restored ${result.plan.setId} (${RESTORE_MODE_WORDS[result.plan.mode]}) into ${result.plan.target}.${safety}${rows}`;
}

/** The toast after a backup: the set, whether it was proved and copied offsite, and every removal counted. */
export function backupDoneMessage(input: {
  setId: string;
  bytes: number;
  /** The set's tables in words (tableCountText): "16 tables". */
  tables: string;
  removed: readonly RemovableSet[];
  kept: number;
  proved?: boolean;
  pushed?: boolean;
}): string {
  const done = [...(input.proved ? ['proved restorable'] : []), ...(input.pushed ? ['copied offsite'] : [])];
  const what = done.length === 0 ? '' : done.length === 1 ? ` and ${done[0]}` : `, ${done.join(' and ')}`;
  const base = `Backup ${input.setId} written (${formatBytes(input.bytes)}, ${input.tables})${what}.`;
  const removed = input.removed.length > 0 ? ` Retention removed ${countOf(input.removed.length, 'old set')} (${formatBytes(totalBytes(input.removed))}).` : '';
  const kept = input.kept > 0 ? ` Retention kept ${countOf(input.kept, 'set')} it would remove, as you chose.` : '';
  return `${base}${removed}${kept}`;
}

/**
 * What a prune did, counted from what was really removed: a set that
 * appeared or changed after the question was held back, and is named as
 * such so the next prune asks about it.
 */
export function prunedMessage(result: Pick<PruneResult, 'removed' | 'heldBack' | 'prefix'>): string {
  const bytes = formatBytes(result.removed.reduce((sum, set) => sum + set.totalBytes, 0));
  const removed = `Removed ${countOf(result.removed.length, 'backup set')} (${bytes}) of ${result.prefix}.`;
  if (result.heldBack.length === 0) return removed;
  return `${removed} Kept ${countOf(result.heldBack.length, 'set')} that changed or became due after you were asked (${result.heldBack.map((set) => set.id).join(', ')}); prune again to be asked about ${result.heldBack.length === 1 ? 'it' : 'them'}.`;
}
