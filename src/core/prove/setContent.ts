/**
 * A set's own files read for their content, as a proof and a diff need it
 * when the digests alone do not say enough: the digests of a set made
 * before backups recorded them, the schema entries of a file, and — for the
 * tables whose digests differ — which rows differ, with the database's rows
 * read again beside the set's.
 */
import { basename, join } from 'node:path';
import type pg from 'pg';
import { DumpDigests, type SchemaEntryDigest } from '../backup/dumpDigests';
import { collectTableTexts } from './tableChanges';
import { DumpReader } from '../pg/dumpReader';
import { PulseError } from '../errors';
import type { ListedSet } from '../sets/listing';
import { type DigestSettings, type ManifestDigests, type ManifestTableDigest } from '../sets/manifest';
import { qualifiedName } from '../format';
import type { ObservedFacts } from './readSession';
import { readTables, type ReadbackSession } from './readback';
import { compareRowSets, keyPositions, rowKey, RowSet, type RowChanges } from './rowDetail';
import type { OutputSettings } from '../backup/snapshot';
import type { SetKeys } from '../codecs/codecs';
import { readSetFile } from '../codecs/setFileReader';

/** Feeds a dump file (decrypted, when it is encrypted) through a digest collector. */
export async function readDumpFile(file: string, digests: DumpDigests, signal?: AbortSignal, keys?: SetKeys): Promise<DumpReader> {
  const reader = new DumpReader(digests.readerOptions());
  for await (const chunk of readSetFile(file, { keys, signal })) reader.push(chunk);
  reader.end();
  return reader;
}

/** A set's file of that type; the first of `types` it has. */
export function setFile(set: ListedSet, folder: string, types: readonly ('schema' | 'data' | 'complete')[]): string {
  for (const type of types) {
    const file = set.files.find((candidate) => candidate.type === type);
    if (file) return join(folder, file.name);
  }
  throw new PulseError('restore-refused', `${set.id} has no ${types.join(' or ')} file`, { hint: 'use another set' });
}

/**
 * The digests of a set made before backups recorded them: from its complete
 * file, which holds every row and the whole schema. The file says nothing of
 * the session's time zone and the like: the server's defaults stand in.
 */
export async function digestsFromCompleteFile(set: ListedSet, folder: string, settings: OutputSettings, signal?: AbortSignal, keys?: SetKeys): Promise<ManifestDigests> {
  const digests = new DumpDigests();
  await readDumpFile(setFile(set, folder, ['complete']), digests, signal, keys);
  return digests.record(settings);
}

/** A session's defaults for how rows come out as text. */
export async function outputSettingsOf(client: pg.Client): Promise<OutputSettings> {
  const result = await client.query<{ time_zone: string; bytea_output: string; lc_monetary: string }>(
    "SELECT pg_catalog.current_setting('TimeZone') AS time_zone, pg_catalog.current_setting('bytea_output') AS bytea_output, pg_catalog.current_setting('lc_monetary') AS lc_monetary",
  );
  const row = result.rows[0];
  return { timeZone: row.time_zone, byteaOutput: row.bytea_output, lcMonetary: row.lc_monetary };
}

/** A file's schema entries and their digest. */
export async function schemaEntriesOf(
  file: string,
  signal?: AbortSignal,
  keys?: SetKeys,
  tableTexts?: Map<string, string>,
): Promise<{ entries: SchemaEntryDigest[]; digest: string }> {
  const entries: SchemaEntryDigest[] = [];
  const digests = new DumpDigests({ onSchemaEntry: (entry) => entries.push(entry), ...collectTableTexts(tableTexts) });
  await readDumpFile(file, digests, signal, keys);
  return { entries, digest: digests.schema.digest };
}

/** Which rows of a table differ, and, where the set's first file no longer held them, which file did. */
export interface ChangedRows {
  changes: RowChanges;
  note?: string;
}

/**
 * Which rows differ, table by table: the set's rows from the first of
 * `files` that still holds them as the backup recorded them (a file edited
 * since would agree with a database restored from it), the database's read
 * again through `reader` (in the same snapshot, for a diff), each row with
 * its key where the table has one (a primary key, or a unique index over NOT
 * NULL columns).
 */
export async function changedRows(
  files: readonly string[],
  reader: ReadbackSession,
  settings: DigestSettings,
  tables: readonly ManifestTableDigest[],
  facts: ObservedFacts,
  setKeys?: SetKeys,
): Promise<Map<string, ChangedRows>> {
  const counted = new Map<string, ChangedRows>();
  if (tables.length === 0 || files.length === 0) return counted;
  const nameOf = (table: { schema: string; name: string }) => qualifiedName(table.schema, table.name);
  const keys = new Map(
    tables.map((table) => {
      const key = facts.tables.get(nameOf(table))?.key ?? [];
      return [nameOf(table), { positions: keyPositions(table.columns, key), key }] as const;
    }),
  );
  const keyOf = (table: { schema: string; name: string }, bytes: Buffer, start: number, end: number) => {
    const found = keys.get(nameOf(table));
    return found?.positions ? rowKey(bytes, start, end, found.positions, found.key) : undefined;
  };
  const collect = (sides: Map<string, RowSet>) => (table: { schema: string; name: string }, h1: number, h2: number, key: string | undefined) =>
    sides.get(nameOf(table))?.add(h1, h2, key);
  const now = new Map(tables.map((table) => [nameOf(table), new RowSet()]));
  const inSet = new Map<string, { rows: RowSet; file: string }>();
  const readSet = async (file: string, wanted: readonly ManifestTableDigest[]) => {
    const sides = new Map(wanted.map((table) => [nameOf(table), new RowSet()]));
    const digests = new DumpDigests({ rowKey: (table, bytes, start, end) => (sides.has(nameOf(table)) ? keyOf(table, bytes, start, end) : undefined), onRow: collect(sides) });
    await readDumpFile(file, digests, reader.signal, setKeys);
    const found = new Map(digests.tableDigests().map((table) => [nameOf(table), table.digest]));
    // What the file holds as the backup recorded it stands; the rest is looked for in the next file.
    for (const table of wanted) {
      const name = nameOf(table);
      if (found.get(name) === table.digest || !inSet.has(name)) inSet.set(name, { rows: sides.get(name)!, file });
    }
    return wanted.filter((table) => found.get(nameOf(table)) !== table.digest);
  };
  const [, unmatched] = await Promise.all([readTables(reader, tables, settings, { rowKey: keyOf, onRow: collect(now) }), readSet(files[0], tables)]);
  let left = unmatched;
  for (const file of files.slice(1)) {
    if (left.length === 0) break;
    left = await readSet(file, left);
  }
  for (const table of tables) {
    const name = nameOf(table);
    const side = inSet.get(name)!;
    const note = left.includes(table)
      ? 'no file of the set holds these rows as the backup recorded them'
      : side.file !== files[0]
        ? `${basename(files[0])} no longer holds these rows as the backup recorded them; compared with ${basename(side.file)}, which does`
        : undefined;
    counted.set(name, { changes: compareRowSets(side.rows, now.get(name)!, keys.get(name)?.positions !== undefined), ...(note ? { note } : {}) });
  }
  return counted;
}
