/**
 * The words a finished backup is summed up in, shared by the CLI and the
 * extension's task terminal so both say the same.
 */
import { countOf, formatBytes, formatCount, formatDuration, printable } from '../format';
import type { Manifest, ManifestTable } from '../sets/manifest';

export function backupDoneLines(manifest: Manifest, folder: string): string[] {
  const total = manifest.files.reduce((sum, file) => sum + file.bytes, 0);
  const rows = manifest.tables.reduce((sum, table) => sum + (table.rows ?? 0), 0);
  const lines = [
    `Backup set ${manifest.id} written to ${printable(folder)} (${formatBytes(total)}, ${tableCountText(manifest.tables)}, ${countOf(rows, 'row')}, ${formatDuration(manifest.durationMs)})`,
    ...manifest.files.map((file) => `  ${file.type.padEnd(8)} ${file.name}  ${formatBytes(file.bytes)}`),
  ];
  const parallel = parallelDumpText(manifest);
  if (parallel !== undefined) lines.push(`  ${parallel}`);
  const encryption = manifest.encryption;
  if (encryption) {
    lines.push(
      encryption.method === 'passphrase'
        ? '  encrypted with age, with a passphrase: keep it apart from the backups, without it the set cannot be restored'
        : `  encrypted with age to ${encryption.recipients.join(', ')}: their identities decrypt it`,
    );
  }
  if (manifest.foreignKeyCycles.length > 0) {
    const cycles = printable(manifest.foreignKeyCycles.map((cycle) => cycle.tables.join(' ↔ ')).join('; '));
    lines.push(`  note: circular foreign keys (${cycles}); the data file loads them with triggers off`);
  }
  return lines;
}

/**
 * The set's tables counted as a proof or a diff of it counts them: those
 * whose rows it holds ("4 tables"); the others by what they are ("4 tables
 * and 1 partitioned table"), so a parent whose rows live in its
 * partitions does not make a proof's count look one short.
 */
export function tableCountText(tables: readonly Pick<ManifestTable, 'kind' | 'rows' | 'dataLeftOut'>[], options: { noun?: boolean } = {}): string {
  const partitioned = tables.filter((table) => table.kind === 'partitioned table').length;
  const foreign = tables.filter((table) => table.kind === 'foreign table').length;
  const leftOut = tables.filter((table) => table.kind === 'table' && table.dataLeftOut === true).length;
  const withRows = tables.length - partitioned - foreign - leftOut;
  const others = [
    ...(partitioned > 0 ? [countOf(partitioned, 'partitioned table')] : []),
    ...(foreign > 0 ? [countOf(foreign, 'foreign table')] : []),
    ...(leftOut > 0 ? [countOf(leftOut, 'table whose rows were left out', 'tables whose rows were left out')] : []),
  ];
  // A view whose label already says "Tables" gives the first count bare ("Tables: 4 and 1 partitioned table").
  const parts = [options.noun === false ? formatCount(withRows) : countOf(withRows, 'table'), ...others];
  return parts.length === 1 ? parts[0] : `${parts.slice(0, -1).join(', ')} and ${parts[parts.length - 1]}`;
}

/** How a parallel set (`--jobs`) was dumped, in the words the CLI, the task terminal and the report share; undefined for one session. */
export function parallelDumpText(manifest: Manifest): string | undefined {
  const { jobs, parallelTables } = manifest.options;
  if (jobs === undefined || parallelTables === undefined) return undefined;
  const tables = parallelTables === 1 ? "1 big table's rows dumped in a session of its own" : `${formatCount(parallelTables)} big tables' rows dumped in sessions of their own`;
  return `${jobs} jobs: ${tables}, from the same snapshot`;
}
