/** How the CLI shows a restore: the plan before, progress during, the outcome after. */
import { commandLineWords } from '../core/commandLineWords';
import { checkLine } from '../core/verify/results';
import { TerminalPrinter } from './terminalPrinter';
import { countColumn, countOf, formatBytes, formatCount, formatDuration, printable, printableName } from '../core/format';
import { PARALLEL_RESTORE_TERMS, rowCountsWords, type RestorePlan, type RestoreProgress, type RestoreResult } from '../core/restore/types';

const MODE_WORDS: Record<RestorePlan['mode'], string> = {
  complete: 'complete (schema and data)',
  schema: 'schema only',
  data: 'data only',
};

export function renderRestorePlan(plan: RestorePlan, safetyBackup: boolean): string {
  const lines = [
    `Restore ${plan.setId} — ${MODE_WORDS[plan.mode]}${plan.clean ? ', --clean' : ''}`,
    `  into     ${printable(plan.target)} (PostgreSQL ${plan.serverVersion})`,
    `  from     ${printable(plan.file)}`,
    `  with     psql ${plan.psql.version} (${printable(plan.psql.path)})`,
    `  checked  ${plan.verification.outcome === 'pass' ? 'the set verifies' : 'the set verifies with warnings'} (${plan.verification.groups.flatMap((group) => group.checks).length} checks)`,
  ];
  for (const check of plan.verification.groups.flatMap((group) => group.checks).filter((candidate) => candidate.status === 'warn')) {
    lines.push(`  warning  ${check.title}: ${checkLine(check, commandLineWords)}`);
  }
  if (plan.replaced.length === 0) {
    // A data restore's tables exist and are empty (or it is refused): its rows load into them.
    lines.push(
      plan.mode === 'data'
        ? "  replaces nothing: the backup's rows load into its tables, empty in the target"
        : "  replaces nothing: none of the backup's objects exist in the target",
    );
  } else {
    const verb = plan.mode === 'data' ? 'empties' : 'replaces';
    lines.push(`  ${verb.padEnd(8)} ${countOf(plan.replaced.length, 'object')} the backup has:`);
    for (const object of plan.replaced.slice(0, 20)) {
      const backup = object.backupRows === undefined || object.backupRows === null ? '' : `, ${formatCount(object.backupRows)} in the backup`;
      // Under row-level security the count is of what the restoring role may see: the table may hold more.
      const counted =
        object.rows === null
          ? ''
          : object.rowsHidden
            ? `at least ${countOf(object.rows, 'row')} now, row-level security hiding those the role may not see`
            : `${countOf(object.rows, 'row')} now`;
      const rows = object.rows === null ? '' : ` (${counted}${backup})`;
      lines.push(`    ${object.kind} ${object.schema === '-' ? printable(object.name) : printableName(object.schema, object.name)}${rows}`);
    }
    if (plan.replaced.length > 20) lines.push(`    … and ${plan.replaced.length - 20} more`);
  }
  for (const note of plan.notes) lines.push(`  note     ${note}`);
  lines.push(
    safetyBackup
      ? '  first    a safety backup of the target, so this restore can be undone'
      : '  no safety backup (--no-safety-backup): this restore cannot be undone from a backup',
  );
  lines.push(
    plan.jobs === undefined
      ? '  all or nothing: one transaction; on any error the target stays as it is'
      : `  all or nothing, in ${plan.jobs} sessions: on any error what they created is dropped and the database is empty again`,
  );
  return `${lines.join('\n')}\n`;
}

export class RestoreProgressPrinter extends TerminalPrinter {
  update(event: RestoreProgress): void {
    switch (event.kind) {
      case 'safety-backup':
        if (event.event.kind === 'dump-started') this.line(`Safety backup ${event.event.setId}…`);
        break;
      case 'safety-backup-done':
        this.line(`Safety backup ${event.setId} written`);
        break;
      case 'loading':
        this.live(`Loading ${formatBytes(event.bytes)} of ${formatBytes(event.totalBytes)}`);
        break;
      case 'table-start':
        this.live(`  ${printableName(event.table.schema, event.table.name)}…`);
        break;
      case 'table-done':
        this.line(`  ${printableName(event.table.schema, event.table.name).padEnd(40)} ${countColumn(event.table.rows, 12, 'row')}`);
        break;
      case 'checking-rows':
        this.line('Committed');
        break;
      case 'resetting':
        if (event.line === undefined) this.line('supabase db reset --local…');
        break;
      case 'verifying':
        break;
    }
  }
}

export function renderRestoreDone(result: RestoreResult): string {
  const { plan } = result;
  const lines = [`Restored ${plan.setId} — ${MODE_WORDS[plan.mode]} — into ${printable(plan.target)} in ${formatDuration(result.durationMs)}`];
  if (result.safetyBackup) lines.push(`  safety backup: ${result.safetyBackup} (restore it to undo this)`);
  if (result.jobs !== undefined) lines.push(`  restored with ${result.jobs} jobs: ${PARALLEL_RESTORE_TERMS}`);
  if (result.tables.length > 0) {
    const mismatched = result.tables.filter((table) => !table.matches);
    lines.push(
      mismatched.length === 0
        ? `  row counts: ${rowCountsWords(result.tables)} (${countOf(
            result.tables.reduce((sum, table) => sum + table.restored, 0),
            'row',
          )})`
        : `  row counts: ${rowCountsWords(result.tables)}`,
    );
    for (const table of result.tables) {
      const mark = table.matches ? ' ' : '!';
      lines.push(
        `  ${mark} ${printableName(table.schema, table.name).padEnd(40)} ${countColumn(table.restored, 12, 'row')}${table.matches ? '' : ` (manifest: ${formatCount(table.expected ?? 0)})`}`,
      );
    }
  }
  return `${lines.join('\n')}\n`;
}
