/**
 * The plan of a parallel backup (`--jobs N`), on plain data: which tables'
 * rows other pg_dump sessions dump beside the main one, and where their
 * entries go back into the main dump's stream, so the assembled files are
 * laid out as one pg_dump would have written them.
 */
import { availableParallelism } from 'node:os';
import type { EntryHeader } from '../pg/dumpReader';
import type { TableDataSize } from './snapshot';

/**
 * A table smaller than this is dumped by the main session. Each extra
 * pg_dump costs a connection, a snapshot import and a catalog read (some
 * tenths of a second), which only a table of this size earns back; a small
 * database is therefore dumped by one pg_dump whatever `--jobs` says.
 */
export const PARALLEL_MIN_TABLE_BYTES = 32 * 1024 * 1024;

/** At most this many sessions by default: more only helps on a server with cores and disks to spare, which `--jobs` can say. */
const DEFAULT_JOBS_CAP = 4;

/**
 * The default `--jobs`: half the cores this process may use, at most
 * DEFAULT_JOBS_CAP, at least one. Each session keeps three processes busy
 * (a server backend, its pg_dump, and this process splicing and hashing its
 * rows); measured on 2 cores at scale 1000 (527 MB), `--jobs 2` took 1.34×
 * one pg_dump against `--jobs 1`'s 1.17× (and pg_dump's own `-Fd -j 2`
 * 0.87×), so two cores get one session.
 */
export function defaultJobs(cores: number = availableParallelism()): number {
  return Math.max(1, Math.min(DEFAULT_JOBS_CAP, Math.floor(cores / 2)));
}

export interface PiecePlan {
  /** Each extra session's tables, biggest first; the main session dumps every other table's rows. */
  workers: TableDataSize[][];
}

/**
 * Shares the big tables out among `jobs` sessions, biggest first, each to
 * the session with the least to do so far (the main session starts with the
 * small tables and the schema), so the biggest table never starts last.
 * `otherBytes`: the small tables not listed, which the main session dumps too.
 */
export function planPieces(tables: readonly TableDataSize[], jobs: number, minTableBytes: number = PARALLEL_MIN_TABLE_BYTES, otherBytes = 0): PiecePlan {
  if (jobs <= 1) return { workers: [] };
  const big = tables.filter((table) => table.bytes >= minTableBytes).sort((a, b) => b.bytes - a.bytes || compareDumpOrder(a, b));
  if (big.length === 0) return { workers: [] };
  const bins: TableDataSize[][] = Array.from({ length: jobs }, () => []);
  const loads = bins.map(() => 0);
  loads[0] = tables.filter((table) => table.bytes < minTableBytes).reduce((sum, table) => sum + table.bytes, otherBytes);
  for (const table of big) {
    // Ties go to an extra session, leaving the main one its schema to write.
    let least = jobs - 1;
    for (let index = jobs - 2; index >= 0; index -= 1) if (loads[index] < loads[least]) least = index;
    bins[least].push(table);
    loads[least] += table.bytes;
  }
  return { workers: bins.slice(1).filter((bin) => bin.length > 0) };
}

/**
 * pg_dump's order of TABLE DATA entries: by schema name, then table name,
 * compared byte by byte (strcmp on the UTF-8 names).
 */
export function compareDumpOrder(a: { schema: string; name: string }, b: { schema: string; name: string }): number {
  return Buffer.compare(Buffer.from(a.schema), Buffer.from(b.schema)) || Buffer.compare(Buffer.from(a.name), Buffer.from(b.name));
}

/**
 * Entry types pg_dump writes after every TABLE DATA entry (the rest of the
 * data section and the post-data section): a table's rows that are still
 * to come go before the first of these.
 */
const AFTER_TABLE_DATA = new Set([
  'SEQUENCE SET',
  // Large objects' contents; their metadata (BLOB, BLOB METADATA, LARGE OBJECT) comes before any rows.
  'BLOBS',
  'LARGE OBJECTS',
  'MATERIALIZED VIEW DATA',
  'INDEX',
  'INDEX ATTACH',
  'CONSTRAINT',
  'CHECK CONSTRAINT',
  'FK CONSTRAINT',
  'TRIGGER',
  'EVENT TRIGGER',
  'RULE',
  'POLICY',
  'ROW SECURITY',
  'STATISTICS',
  'STATISTICS DATA',
  'PUBLICATION',
  'PUBLICATION TABLE',
  'PUBLICATION TABLES IN SCHEMA',
  'SUBSCRIPTION',
  'SUBSCRIPTION TABLE',
  'ACL',
  'DEFAULT ACL',
]);

/**
 * Whether the rows of `next` (the first table whose piece has not gone into
 * the stream yet) belong before the main dump's entry `header` (undefined:
 * its footer).
 */
export function pieceGoesBefore(next: { schema: string; name: string }, header: EntryHeader | undefined): boolean {
  if (header === undefined) return true;
  if (header.type === 'TABLE DATA') return compareDumpOrder(next, header) < 0;
  return AFTER_TABLE_DATA.has(header.type);
}

/**
 * pg_dump's `--table` pattern for exactly this table: each name in double
 * quotes, where no character is a wildcard (a quote is doubled).
 */
export function exactTablePattern(table: { schema: string; name: string }): string {
  const quoted = (name: string) => `"${name.replaceAll('"', '""')}"`;
  return `${quoted(table.schema)}.${quoted(table.name)}`;
}
