/**
 * What the extension says about proofs and diffs: the task terminal's
 * progress and outcome lines, the notification after a proof, and the
 * document Compare with Database opens. Pure (no VS Code), from the engine's
 * records and its words (proofWords.ts, diffWords.ts), so unit tests read
 * exactly what a person reads.
 */
import { basename } from 'node:path';
import type { DiffProgress } from '../core/prove/diff';
import type { DiffResult } from '../core/prove/diffResult';
import { countOf, formatCount, formatDuration } from '../core/format';
import type { ProveProgress } from '../core/prove/prove';
import type { ProofRecord } from '../core/prove/record';
import type { EntryChange } from '../core/prove/compare';
import { PATH_TITLES, describeDifference, entryName, readingWords } from '../core/prove/words';
import { entryChangeWords, largeObjectsDetail } from '../core/prove/diffWords';
import { escapeMarkdown, markdownCode } from '../core/report/markdown';
import { capitalise } from './hints';
import type { ProgressText } from './progressText';

/**
 * One progress event as text. `brief` (the proof right after a backup):
 * each way's start and end are redrawn in place too, so the backup's table
 * list above stays in view and the proof adds only its outcome.
 */
export function proveProgressText(event: ProveProgress, options: { brief?: boolean } = {}): ProgressText {
  const text = fullProgressText(event);
  return options.brief && (event.kind === 'path-start' || event.kind === 'path-done') && text.line !== undefined ? { live: text.line } : text;
}

/** A proof's outcome in few lines (after a backup): the summary, each difference, each note. */
export function proofBriefLines(record: ProofRecord): string[] {
  return [
    `${capitalise(record.summary)} (${formatDuration(record.durationMs)})`,
    ...record.differences.map((difference) => `  ${describeDifference(difference)}`),
    ...record.notes.map((note) => `Note: ${note}`),
  ];
}

function fullProgressText(event: ProveProgress): ProgressText {
  switch (event.kind) {
    case 'swept':
      return event.dropped.length > 0 ? { line: `Dropped ${countOf(event.dropped.length, 'scratch database')} a stopped proof left: ${event.dropped.join(', ')}` } : {};
    case 'path-start':
      return { line: `${capitalise(PATH_TITLES[event.path])}: restoring into the scratch database ${event.database}` };
    case 'platform-loaded':
      return { line: `  ${PATH_TITLES[event.path]}: the Supabase platform copied from the live database` };
    // Passing steps: redrawn in place, so the terminal keeps what the backup before it printed in view.
    case 'loading':
      return { live: `  ${PATH_TITLES[event.path]}: psql -f ${basename(event.file)}` };
    case 'reading':
      return { live: `  ${PATH_TITLES[event.path]}: ${readingWords(event.tables, event.schema)}` };
    case 'path-done':
      return { line: `  ${PATH_TITLES[event.path]}: ${event.equal ? 'equal' : 'DIFFERS'}` };
    case 'not-recorded':
      return { line: `Note: the proof was not added to the set's history: ${event.reason}` };
  }
}

/** The notification after a proof: information when it proved, a warning (never an error: the set is kept) when it did not. */
export function proofMessage(record: ProofRecord, context: { afterBackup: boolean }): { kind: 'information' | 'warning'; text: string } {
  if (record.outcome === 'proved') {
    return { kind: 'information', text: `${record.setId} is ${record.summary}.` };
  }
  const kept = context.afterBackup ? 'The backup is written and kept, but it' : `${record.setId}`;
  const first = record.differences[0];
  const more = record.differences.length > 1 ? ` (and ${countOf(record.differences.length - 1, 'more difference')}: see the report)` : '';
  return { kind: 'warning', text: `${kept} did not prove restorable: ${first ? describeDifference(first) : record.summary}${more}.` };
}

/** The warning when a proof after a backup could not run at all (the backup is written either way). */
export function proofNotRunMessage(setId: string, reason: string): string {
  return `Backup ${setId} is written and kept, but it could not be proved: ${reason}`;
}

export function diffProgressText(event: DiffProgress): ProgressText {
  switch (event.kind) {
    case 'connected':
      return { line: `Comparing with ${event.target} (read-only, one snapshot)` };
    case 'reading':
      return { line: `Reading ${countOf(event.tables, 'table')} and the schema` };
    case 'counting':
      return event.tables > 0 ? { line: `Counting the rows of ${countOf(event.tables, 'changed table')} one by one` } : {};
  }
}

/** The notification after a diff: its one line. */
export function diffMessage(result: Pick<DiffResult, 'same' | 'summary'>): string {
  return result.same ? `Nothing changed since this backup: ${result.summary}.` : `${capitalise(result.summary)}.`;
}

/**
 * The document Compare with Database opens (Markdown): which tables differ
 * with their rows added, removed and changed, then the schema objects and
 * the sequences; or that nothing changed since the backup.
 */
export function diffDocument(result: DiffResult): string {
  const lines = [
    `# ${escapeMarkdown(result.setId)} compared with ${escapeMarkdown(result.target.database)}`,
    '',
    `Compared ${escapeMarkdown(result.comparedAt)} with ${markdownCode(`${result.target.user}@${result.target.host}:${result.target.port}/${result.target.database}`)}, read-only, in one snapshot (${formatDuration(result.durationMs)}).`,
    '',
  ];
  if (result.same) {
    lines.push(
      `**Nothing changed since this backup**: ${countOf(result.tables.length, 'table')}, the schema${result.largeObjects.inSet > 0 ? `, the sequences and ${countOf(result.largeObjects.inSet, 'large object')}` : ' and the sequences'} are as the set holds them. Restoring it would change nothing.`,
    );
    return `${lines.join('\n')}\n`;
  }
  lines.push(`${escapeMarkdown(capitalise(result.summary))}.`, '');
  const changed = result.tables.filter((table) => table.state !== 'same');
  if (changed.length > 0) {
    lines.push('## Tables', '', '| Table | In the set | Now | Added | Removed | Changed | What |', '| --- | ---: | ---: | ---: | ---: | ---: | --- |');
    for (const table of changed) {
      const rows = table.rows?.exact ? table.rows : undefined;
      const cell = (value: number | undefined) => (value === undefined ? '' : formatCount(value));
      lines.push(
        `| ${escapeMarkdown(`${table.schema}.${table.name}`)} | ${formatCount(table.rowsInSet)} | ${table.rowsNow === null ? '—' : formatCount(table.rowsNow)} | ${cell(rows?.added)} | ${cell(rows?.removed)} | ${cell(rows?.changed)} | ${escapeMarkdown(table.detail)} |`,
      );
    }
    const same = result.tables.length - changed.length;
    if (same > 0) lines.push('', `${countOf(same, 'other table')} unchanged.`);
    lines.push('');
  }
  if (result.objects.length > 0) {
    lines.push('## Schema objects', '');
    for (const change of result.objects) lines.push(`- **${escapeMarkdown(entryName(change))}**: ${escapeMarkdown(entryChangeWords(change, ENTRY_CHANGE_WORDS))}`);
    lines.push('');
  }
  if (result.sequences.length > 0) {
    lines.push('## Sequences', '');
    for (const sequence of result.sequences) lines.push(`- ${escapeMarkdown(`${sequence.name}: ${sequence.expected} in the set, ${sequence.found} now`)}`);
    lines.push('');
  }
  if (!result.largeObjects.same) lines.push('## Large objects', '', `${escapeMarkdown(capitalise(largeObjectsDetail(result.largeObjects)))}.`, '');
  if (result.digestsFrom === 'complete file') lines.push('Note: the set recorded no digests (it was made before they were): compared with its complete file.', '');
  return lines.join('\n');
}

/** What a restore from VS Code (which drops the set's objects first) does about each schema change. */
const ENTRY_CHANGE_WORDS: Readonly<Record<EntryChange['change'], string>> = {
  added: 'added since the set (a restore leaves it in place)',
  dropped: 'dropped since the set (a restore brings it back)',
  changed: "changed since the set (a restore puts the set's back)",
};
