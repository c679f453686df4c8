/** How the CLI shows a diff: the tables that changed with their rows, then the schema objects and sequences. */
import { TerminalPrinter } from './terminalPrinter';
import type { DiffProgress } from '../core/prove/diff';
import type { DiffResult } from '../core/prove/diffResult';
import { describeEntryChange, largeObjectsDetail } from '../core/prove/diffWords';
import { countOf, formatCount, formatDuration, printable, printableName } from '../core/format';
import { capitalise } from './proveOutput';

export class DiffProgressPrinter extends TerminalPrinter {
  update(event: DiffProgress): void {
    switch (event.kind) {
      case 'connected':
        this.line(`Comparing with ${event.target} (read-only, one snapshot)`);
        break;
      case 'reading':
        this.live(`Reading ${countOf(event.tables, 'table')} and the schema`);
        break;
      case 'counting':
        if (event.tables > 0) this.live(`Counting the rows of ${formatCount(event.tables)} changed tables one by one`);
        break;
    }
  }
}

export function renderDiff(result: DiffResult): string {
  const lines = [`${capitalise(printable(result.summary))} (${formatDuration(result.durationMs)})`];
  const changed = result.tables.filter((table) => table.state !== 'same');
  if (changed.length > 0) {
    lines.push('Tables:');
    for (const table of changed) lines.push(`  ${printableName(table.schema, table.name).padEnd(40)} ${printable(table.detail)}`);
    const same = result.tables.length - changed.length;
    if (same > 0) lines.push(`  (${formatCount(same)} other table${same === 1 ? '' : 's'} unchanged)`);
  }
  if (result.objects.length > 0) {
    lines.push('Schema:');
    for (const change of result.objects) lines.push(`  ${printable(describeEntryChange(change))}`);
  }
  if (result.sequences.length > 0) {
    lines.push('Sequences:');
    for (const sequence of result.sequences) lines.push(`  ${printable(sequence.name)}: ${sequence.expected} in the set, ${sequence.found} now`);
  }
  if (!result.largeObjects.same) lines.push(`Large objects: ${largeObjectsDetail(result.largeObjects)}`);
  if (result.digestsFrom === 'complete file') lines.push('Note: the set recorded no digests (it was made before they were): compared with its complete file');
  return `${lines.join('\n')}\n`;
}
