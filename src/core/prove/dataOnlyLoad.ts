/**
 * Which tables a schema-then-data proof reads back. The complete way reads
 * every table; the schema-then-data way restores the same rows (the data
 * file is the data part of the same pg_dump stream), so what it must show
 * is that the data-only load gives them too. A table holds exactly the data
 * file's rows for it — which the proof digests as psql loads the file and
 * compares with the set's — when
 *
 * - it is a plain table, and was empty once the schema file had loaded
 *   (catalog, before the data);
 * - the data file holds nothing else that could write a row: only the
 *   statements of a data-only dump (dataFileStatements.ts), each table's
 *   COPY once;
 * - nothing could change a row while the rows loaded: no trigger of the
 *   set's tables that fires in the load's session (ordinary triggers stay
 *   quiet under the file's `session_replication_role = replica`; ENABLE
 *   ALWAYS or REPLICA ones fire), no event trigger that fires, no function
 *   written in SQL or a procedural language called by a CHECK constraint,
 *   an index or a generated column (or, when the file refreshes a
 *   materialized view, by a view), and no settings of the database itself
 *   (dataOnlyCatalog.ts, after the load).
 *
 * Those tables are not read again; the others are, as the complete way
 * reads them — all of them when any condition above fails for the file as a
 * whole. Pure: the evidence in, the plan and its words out.
 */
import type { ManifestTableDigest } from '../sets/manifest';
import { countOf, formatCount, qualifiedName } from '../format';
import type { DataFileContent } from './fileReading';

export interface DataLoadEvidence {
  file: DataFileContent;
  /** The set's tables that held rows once the schema file had loaded, by qualified name; or why that could not be told. */
  rowsBeforeData: ReadonlySet<string> | { unknown: string };
  /** What could have changed rows while they loaded ("trigger x on public.t"), from the catalog after the load. */
  changers: readonly string[];
}

export type ReadBackPlan =
  /** Read every table: `why` says what stood in the way. */
  | { every: true; why: string }
  /** Read `read`; the rows of `byFile` are the data file's, equal to the set's. */
  | { every: false; read: ManifestTableDigest[]; byFile: ManifestTableDigest[] };

export function planReadBack(tables: readonly ManifestTableDigest[], evidence: DataLoadEvidence): ReadBackPlan {
  const { statements, tables: copied } = evidence.file;
  if (statements.unexpected !== undefined) return { every: true, why: `the data file holds a statement a data-only dump does not (${statements.unexpected})` };
  const wanted = new Set(tables.map((table) => qualifiedName(table.schema, table.name)));
  const loaded = statements.copies.map((copy) => qualifiedName(copy.schema, copy.name));
  const stray = loaded.find((name) => !wanted.has(name));
  if (stray !== undefined) return { every: true, why: `the data file loads rows into ${stray}, whose rows the set does not hold` };
  if (loaded.length !== copied.length || loaded.some((name, index) => name !== qualifiedName(copied[index].schema, copied[index].name))) {
    return { every: true, why: "the data file's COPY statements and its rows do not match up" };
  }
  if ('unknown' in evidence.rowsBeforeData)
    return { every: true, why: `which tables held rows before the data file loaded could not be told (${evidence.rowsBeforeData.unknown})` };
  if (evidence.changers.length > 0) {
    const more = evidence.changers.length > 1 ? ` (and ${formatCount(evidence.changers.length - 1)} more)` : '';
    return { every: true, why: `${evidence.changers[0]}${more} could change rows while the data file loads` };
  }
  const before = evidence.rowsBeforeData;
  const copies = new Map<string, ManifestTableDigest[]>();
  for (const table of copied) {
    const name = qualifiedName(table.schema, table.name);
    copies.set(name, [...(copies.get(name) ?? []), table]);
  }
  const read: ManifestTableDigest[] = [];
  const byFile: ManifestTableDigest[] = [];
  for (const table of tables) {
    const name = qualifiedName(table.schema, table.name);
    const inFile = copies.get(name) ?? [];
    const same = inFile.length === 1 && inFile[0].digest === table.digest && inFile[0].rows === table.rows && inFile[0].columns.join('\u0000') === table.columns.join('\u0000');
    if (same && !before.has(name)) byFile.push(table);
    else read.push(table);
  }
  return { every: false, read, byFile };
}

/**
 * The note a proof records about its schema-then-data way: how many tables
 * were read back, how the others were compared, and — when it was not
 * dumped again — where its schema comparison comes from.
 */
export function readBackNote(plan: ReadBackPlan, tables: number, schemaFromComplete: boolean): string | undefined {
  if (plan.every) return `schema then data: every table was read back, as ${plan.why}`;
  const schema = schemaFromComplete
    ? "; its schema was not dumped again: the schema file runs the complete file's schema statements one for one, which read back equal, and the data file changes no schema object"
    : '';
  if (plan.byFile.length === 0) return schema === '' ? undefined : `schema then data: every table was read back${schema}`;
  const rows = plan.byFile.reduce((sum, table) => sum + table.rows, 0);
  return (
    `schema then data: ${formatCount(plan.read.length)} of ${countOf(tables, 'table')} read back; the other ${formatCount(plan.byFile.length)} ` +
    `(${countOf(rows, 'row')}) ${plan.byFile.length === 1 ? 'holds' : 'hold'} the data file's rows, digested as psql loaded it and equal to the set's: each was empty before that file, ` +
    `which holds nothing else that writes rows, and no trigger or function of the database could change a row while it loaded${schema}`
  );
}
