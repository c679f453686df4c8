/** The words of a proof: its one-line summary and each difference, the same for the CLI, the report and the extension. */
import { commandLineWords } from '../commandLineWords';
import { wordHint } from '../hint';
import { countOf, formatCount, formatDuration } from '../format';
import type { ProofDifference, ProofPathName, ProofPathResult, ProofRecord } from './record';
import type { EntryChange } from './compare';
import type { RowChanges } from './rowDetail';
import { restoreHint } from '../restore/failures';

export const PATH_TITLES: Record<ProofPathName, string> = {
  complete: 'the complete file',
  'schema-then-data': 'schema then data',
};

/** "proved restorable: 16 tables, 543,060 rows and the schema equal, by the complete file and by schema then data". */
export function proofSummary(record: Pick<ProofRecord, 'outcome' | 'tables' | 'rows' | 'paths' | 'differences'>): string {
  const ways = record.paths.map((path) => `by ${PATH_TITLES[path.path]}`).join(' and ');
  if (record.outcome === 'proved') {
    return `proved restorable: ${countOf(record.tables, 'table')}, ${countOf(record.rows, 'row')} and the schema equal, ${ways}`;
  }
  const first = record.differences[0];
  const more = record.differences.length > 1 ? ` (and ${countOf(record.differences.length - 1, 'more difference')})` : '';
  return `NOT proved: ${first ? describeDifference(first) : 'the read-back differs'}${more}`;
}

export function describeDifference(difference: ProofDifference): string {
  return `${PATH_TITLES[difference.path]}: ${difference.object}: ${difference.detail}`;
}

/** A table whose digest differs, in words: what the rows show, or the counts when rows cannot be told apart. */
export function rowsDifference(expectedRows: number, foundRows: number, changes: RowChanges | undefined, view: 'proof' | 'diff'): string {
  const counts = `${countOf(expectedRows, 'row')} in the set, ${formatCount(foundRows)} ${view === 'proof' ? 'restored' : 'now'}`;
  if (!changes) return `${counts}; their contents differ`;
  if (!changes.exact) return `${counts}; too many rows to compare one by one`;
  const parts: string[] = [];
  const first = (keys: readonly string[]) => (keys.length > 0 ? ` (first: ${keys[0]})` : '');
  if (changes.changed > 0) parts.push(`${countOf(changes.changed, 'row')} changed${first(changes.firstChanged)}`);
  if (view === 'proof') {
    if (changes.removed > 0) parts.push(`${countOf(changes.removed, 'row')} missing${first(changes.firstRemoved)}`);
    if (changes.added > 0) parts.push(`${countOf(changes.added, 'row')} not in the set${first(changes.firstAdded)}`);
  } else {
    if (changes.added > 0) parts.push(`${countOf(changes.added, 'row')} added${first(changes.firstAdded)}`);
    if (changes.removed > 0) parts.push(`${countOf(changes.removed, 'row')} removed${first(changes.firstRemoved)}`);
  }
  return parts.length > 0 ? `${parts.join(', ')}; ${counts}` : `${counts}; their contents differ`;
}

/** A finished proof as a terminal shows it (the CLI's and the extension's task terminal): the outcome, each way, every difference and note, where it ran. */
export function proofOutcomeLines(record: ProofRecord): string[] {
  const summary = record.summary.charAt(0).toUpperCase() + record.summary.slice(1);
  const lines = [`${summary} (${formatDuration(record.durationMs)})`];
  for (const path of record.paths) {
    const what = path.restored
      ? `${countOf(path.tables, 'table')}, ${countOf(path.rows, 'row')} equal${readBackWords(path)}; schema ${path.schemaEqual ? 'equal' : 'DIFFERS'}`
      : 'did not restore';
    lines.push(`  ${PATH_TITLES[path.path].padEnd(18)} ${what} (${formatDuration(path.durationMs)})`);
  }
  if (record.differences.length > 0) {
    lines.push('Differences:');
    for (const difference of record.differences) lines.push(`  ${describeDifference(difference)}`);
  }
  for (const note of record.notes) lines.push(`Note: ${note}`);
  const where = `${record.server.user}@${record.server.host}:${record.server.port}`;
  lines.push(record.scratchLeft?.length ? `Scratch databases on ${where}: not all dropped again (see the note above).` : `Scratch databases on ${where}, dropped again.`);
  return lines;
}

/** " (0 of them read back, the rest by the data file's digests)" for a way that read back fewer tables than it found equal; "" otherwise. */
function readBackWords(path: ProofPathResult): string {
  if (path.tablesReadBack === undefined || path.tablesReadBack >= path.tables) return '';
  return ` (${formatCount(path.tablesReadBack)} of them read back, the rest by the data file's digests)`;
}

/** Whether a way of the proof read every table of the set back (the complete file's does; schema then data only those that could differ). */
export function readEveryTableBack(record: Pick<ProofRecord, 'paths' | 'tables'>): boolean {
  return record.paths.some((path) => path.restored && (path.tablesReadBack === undefined || path.tablesReadBack >= record.tables));
}

/** What a way reads back, as its progress line says it: "reading 16 tables and the schema back", "nothing to read back". */
export function readingWords(tables: number, schema: boolean): string {
  const what = [...(tables > 0 ? [countOf(tables, 'table')] : []), ...(schema ? ['the schema'] : [])];
  return what.length > 0 ? `reading ${what.join(' and ')} back` : "nothing to read back (the data file's rows and the complete file's schema stand)";
}

/** "table public.users", "function public.f()": an entry as a person calls it. */
export function entryName(change: Pick<EntryChange, 'type' | 'schema' | 'name'>): string {
  const where = change.schema === '-' || change.schema === '' ? '' : `${change.schema}.`;
  return `${change.type.toLowerCase()} ${where}${change.name}`;
}

/** Schema entries that differ after a restore: missing ones first, as they are what a restore lost. */
export function schemaDifference(changes: readonly EntryChange[]): string {
  const order = { dropped: 0, changed: 1, added: 2 } as const;
  const words = { dropped: 'missing after the restore', changed: 'differs', added: 'not in the set' } as const;
  const sorted = [...changes].sort((a, b) => order[a.change] - order[b.change]);
  const shown = sorted.slice(0, 3).map((change) => `${entryName(change)} ${words[change.change]}`);
  const more = sorted.length > shown.length ? `, and ${formatCount(sorted.length - shown.length)} more` : '';
  return shown.length > 0 ? `${shown.join('; ')}${more}` : 'its digest differs, though every entry reads the same (their order or a duplicate)';
}

/** What `list` and `show` say of a set's latest proof (the whole record is in the history). */
export interface ProofSummary {
  outcome: ProofRecord['outcome'];
  /** ISO 8601. */
  provedAt: string;
  summary: string;
  /** false for a passed proof of files that changed (or went) since: it no longer speaks for what is there. */
  current: boolean;
}

export function proofSummaryOf(standing: { proof?: ProofRecord; stale?: ProofRecord } | undefined): ProofSummary | null {
  const proof = standing?.proof ?? standing?.stale;
  return proof ? { outcome: proof.outcome, provedAt: proof.provedAt, summary: proof.summary, current: standing?.proof !== undefined } : null;
}

/** What to do about a file that does not load into a scratch database, in one line. */
export function proofRestoreHint(message: string, detail: string | undefined): string {
  if (/^(relation|type|function|schema) ".*" does not exist/.test(message)) {
    return "the file uses an object the set's own files do not create: the set was changed or damaged since the backup (pulse-backup verify tells which file), or made with filters that left that object out";
  }
  // The scratch database held nothing but the platform: the set's rows broke its own constraints, with nothing of a target's in the way.
  if (/violates foreign key constraint/.test(message)) {
    return "a row of the set refers to one the set does not hold, even in an empty database: the referenced table's rows were left out (--exclude-table-data, or a platform table whose rows the Supabase profile leaves to the platform), so the set cannot restore on its own: back up with that table's rows, or make the foreign key NOT VALID in the source and back up again";
  }
  if (/violates|duplicate key/.test(message)) {
    return "the set's rows break one of the constraints, even in an empty database: pulse-backup verify tells whether the set was changed or damaged since the backup; if it verifies, the tables the server brings of its own differ from the set's (a Supabase platform newer than the set's, with a column it now requires)";
  }
  const advice = restoreHint(message, detail);
  // Proofs run from the command line, so what they record is worded for it.
  return advice.some((part) => typeof part !== 'string' && part.kind === 'details')
    ? 'restore it by hand into an empty database (docs/backups-folder.md: Restoring by hand with plain psql) to see all psql says'
    : wordHint(advice, commandLineWords);
}
