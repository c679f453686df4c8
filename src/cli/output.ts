/** How the CLI shows the engine's values to a person. */
import { TerminalPrinter } from './terminalPrinter';
import { backupDoneLines } from '../core/backup/summary';
import type { BackupProgress } from '../core/backup/backup';
import { countColumn, countOf, formatBytes, formatDiskBytes, formatDuration, printable, printableName } from '../core/format';
import type { ListedSet } from '../core/sets/listing';
import { safetySetOccasion, type Manifest } from '../core/sets/manifest';
import type { ProofStanding } from '../core/sets/history';

/** Table-by-table progress on a terminal: one line per finished table, a live line for the current one. */
export class BackupProgressPrinter extends TerminalPrinter {
  private finished = false;

  update(event: BackupProgress): void {
    switch (event.kind) {
      case 'connected':
        this.line(`Connected to PostgreSQL ${event.serverVersion} at ${event.target}`);
        break;
      case 'dump-started':
        this.line(`Writing ${event.setId} with ${event.pgDump}`);
        break;
      case 'table-start':
      case 'table-progress':
        this.live(`  ${tableName(event.table)}  ${countOf(event.table.rows, 'row')}  ${formatBytes(event.table.bytes)}`);
        break;
      case 'table-done':
        this.line(`  ${tableName(event.table).padEnd(40)} ${countColumn(event.table.rows, 12, 'row ', 'rows')} ${formatBytes(event.table.bytes).padStart(10)}`);
        break;
      case 'finishing':
        this.line(`Flushing ${formatBytes(event.bytesWritten)} to disk and writing the manifest`);
        break;
    }
  }

  note(text: string): void {
    this.line(text);
  }

  override finish(): void {
    if (this.finished) return;
    this.finished = true;
    super.finish();
  }
}

function tableName(table: { schema: string; name: string }): string {
  return printableName(table.schema, table.name);
}

export function renderBackupDone(manifest: Manifest, folder: string): string {
  return `${backupDoneLines(manifest, folder).join('\n')}\n`;
}

/** One word per set status, the same in every table the CLI prints. */
export const STATUS_WORDS: Record<ListedSet['status'], string> = {
  complete: 'ok',
  legacy: 'no manifest',
  incomplete: 'INCOMPLETE',
  running: 'running',
};

export function renderSetList(sets: readonly ListedSet[], folder: string, proofs: ReadonlyMap<string, ProofStanding> = new Map(), folderExists = true): string {
  if (sets.length === 0) return `No backup sets in ${printable(folder)}${folderExists ? '' : ' (there is no such folder yet: a backup creates it)'}\n`;
  const header = `${'SET'.padEnd(44)} ${'CREATED'.padEnd(19)} ${'SIZE'.padStart(9)}  STATUS`;
  const rows = sets.map((set) => {
    const created = new Date(set.createdAt);
    const when = Number.isNaN(created.getTime()) ? set.timestamp : localDateTime(created);
    const standing = proofs.get(set.id);
    const status =
      STATUS_WORDS[set.status] +
      proofWords(set, standing) +
      (set.purpose === 'safety' ? ' (safety)' : '') +
      (set.pinned ? ' (pinned)' : '') +
      (set.problems.length > 0 ? `: ${set.problems.join('; ')}` : '');
    return `${set.id.padEnd(44)} ${when.padEnd(19)} ${formatBytes(set.totalBytes).padStart(9)}  ${status}`;
  });
  return `${[header, ...rows].join('\n')}\n`;
}

function localDateTime(date: Date): string {
  const pad = (value: number) => String(value).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}

/** ", proved", ", PROOF FAILED", or ", proved earlier" for a proof of files that changed or went since. */
function proofWords(set: ListedSet, standing: ProofStanding | undefined): string {
  if (standing?.proof?.outcome === 'failed') return ', PROOF FAILED';
  if (standing?.proof && set.status !== 'incomplete') return ', proved';
  return standing?.proof || standing?.stale ? ', proved earlier' : '';
}

export function renderSetDetails(set: ListedSet, standing?: ProofStanding): string {
  const proof = standing?.proof ?? standing?.stale;
  const since = standing?.stale ? ' (a file of the set changed or went since: it no longer speaks for them)' : '';
  const lines = [
    `${set.id}  ${STATUS_WORDS[set.status]}${set.purpose === 'safety' ? ` (safety backup taken ${printable(safetySetOccasion(set.manifest))})` : ''}${set.pinned ? ' (pinned: retention never removes it)' : ''}`,
    `  created   ${localDateTime(new Date(set.createdAt))}`,
    `  size      ${formatBytes(set.totalBytes)}`,
    ...(proof ? [`  proof     ${localDateTime(new Date(proof.provedAt))}: ${printable(proof.summary)}${since}`] : []),
    ...set.problems.map((problem) => `  problem   ${problem}`),
    '  files:',
    ...set.files.map((file) => `    ${file.type.padEnd(8)} ${file.name}  ${formatBytes(file.bytes)}`),
  ];
  const manifest = set.manifest;
  if (manifest) {
    const estimated = manifest.sizes === 'estimated';
    lines.push(
      `  database  ${printable(`${manifest.database.user}@${manifest.database.host}:${manifest.database.port}/${manifest.database.name}`)} (PostgreSQL ${printable(manifest.server.version)}, ${formatDiskBytes(manifest.database.sizeBytes, estimated)}${estimated ? ', sizes estimated from the catalog' : ''})`,
      `  pg_dump   ${printable(manifest.tools.pgDump.version)} (${printable(manifest.tools.pgDump.path)})`,
      `  duration  ${formatDuration(manifest.durationMs)}`,
      '  tables:',
      ...manifest.tables.map(
        (table) =>
          `    ${printableName(table.schema, table.name).padEnd(40)} ${table.rows === null ? `${'-'.padStart(12)} rows` : countColumn(table.rows, 12, 'row ', 'rows')} ${formatDiskBytes(table.bytes, estimated).padStart(10)}`,
      ),
    );
    for (const cycle of manifest.foreignKeyCycles) lines.push(`  circular foreign keys: ${printable(cycle.tables.join(' ↔ '))}`);
  } else if (set.status === 'legacy') {
    lines.push('  no manifest: made by the old backup script, so no checksums or row counts were recorded');
  }
  return `${lines.join('\n')}\n`;
}
