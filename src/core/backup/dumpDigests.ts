/**
 * Collects a dump's content digests while the reader walks it: each COPY
 * block's rows (digest.ts), each kept schema entry's normalised text, and
 * the values its setval calls give sequences, and its large objects'
 * contents (largeObjectDigest.ts). A backup collects them from
 * pg_dump's stream into the manifest; a proof and a diff collect the same
 * from a fresh schema dump, or from a set's file, to compare.
 *
 * A schema entry's text is normalised so that two dumps of the same
 * database give the same digest: pg_dump's preamble (the random \restrict
 * key, its version comments, its SET commands) is no entry, and inside an
 * entry the top-level comment lines and blank lines are left out, as are the
 * session settings pg_dump puts between entries. What is inside a quote or
 * a function body stays as it is. Entries are combined as a multiset, so
 * their order does not matter either.
 */
import { MultisetDigest, RowHasher, TableDigest, hex64 } from './digest';
import type { DigestTap, EntryHeader, DumpReaderOptions } from '../pg/dumpReader';
import type { DigestSettings, ManifestDigests, ManifestSequenceValue, ManifestTableDigest } from '../sets/manifest';
import { ROW_HASH_ALGORITHM } from './digest';
import { LargeObjectDigest, type LargeObjectGrants } from './largeObjectDigest';

/** One schema entry: who it is, and its normalised text's hash. */
export interface SchemaEntryDigest {
  type: string;
  schema: string;
  name: string;
  owner: string;
  /** 16 hex digits. */
  digest: string;
}

/** One COPY block's rows. */
export interface CollectedTable {
  schema: string;
  name: string;
  columns: string[];
  digest: TableDigest;
}

export interface DumpDigestOptions {
  /** Each schema entry as it ends, for a comparison that names the entries that differ. */
  onSchemaEntry?: (entry: SchemaEntryDigest) => void;
  /** Each row as it ends, with its own hash and its key (rowDetail.ts). */
  onRow?: (table: CollectedTable, h1: number, h2: number, key: string | undefined) => void;
  /** A row's key, from its bytes (a row that spans chunks: from its first piece). */
  rowKey?: (table: CollectedTable, bytes: Buffer, start: number, end: number) => string | undefined;
  /** Each TABLE entry's text (CREATE TABLE and its owner), for a diff that says what changed in a table. */
  onTableText?: (header: EntryHeader, text: string) => void;
}

const SETVAL = /SELECT pg_catalog\.setval\('(?:[^']|'')*', (-?\d+), (true|false)\);/;

export class DumpDigests implements DigestTap {
  readonly tables: CollectedTable[] = [];
  readonly schema = new MultisetDigest();
  readonly sequences: ManifestSequenceValue[] = [];
  readonly largeObjects = new LargeObjectDigest();
  clientEncoding: string | undefined;
  private openEntry: { header: EntryHeader; hasher: RowHasher; bytes: number } | undefined;
  private table: CollectedTable | undefined;
  private pieceKey: string | undefined;
  private pieceStarted = false;

  constructor(private readonly options: DumpDigestOptions = {}) {}

  /** The reader options that feed this collector (setval values come as entry text). */
  readerOptions(): Pick<DumpReaderOptions, 'digests' | 'entryTextTypes' | 'onEntryText'> {
    const onTableText = this.options.onTableText;
    return {
      digests: this,
      entryTextTypes: onTableText ? SEQUENCE_SET_AND_TABLE : SEQUENCE_SET,
      onEntryText: (header, text) => (header.type === 'TABLE' ? onTableText?.(header, text) : this.sequenceText(header, text)),
    };
  }

  entry(header: EntryHeader, schemaPart: boolean): void {
    this.closeEntry();
    if (!schemaPart) return;
    const hasher = new RowHasher();
    const identity = Buffer.from(`${header.type}\u0000${header.schema}\u0000${header.name}\u0000${header.owner}\n`);
    hasher.piece(identity, 0, identity.length);
    this.openEntry = { header, hasher, bytes: identity.length };
  }

  schemaLine(line: Buffer, atTopLevel: boolean): void {
    const entry = this.openEntry;
    if (!entry) return;
    if (atTopLevel && isBlankOrComment(line)) return;
    entry.hasher.piece(line, 0, line.length);
    entry.bytes += line.length;
  }

  preambleLine(line: string): void {
    const encoding = /^SET client_encoding = '([^']*)';/.exec(line);
    if (encoding) this.clientEncoding = encoding[1];
  }

  copyStart(schema: string, name: string, copyLine: string): void {
    this.table = { schema, name, columns: parseCopyColumns(copyLine) ?? [], digest: new TableDigest() };
    this.tables.push(this.table);
  }

  row(view: DataView, bytes: Buffer, start: number, end: number): void {
    const table = this.table;
    if (!table) return;
    table.digest.row(view, bytes, start, end);
    const onRow = this.options.onRow;
    if (onRow) onRow(table, table.digest.lastH1, table.digest.lastH2, this.options.rowKey?.(table, bytes, start, end));
  }

  rowPiece(bytes: Buffer, start: number, end: number): void {
    const table = this.table;
    if (!table) return;
    if (!this.pieceStarted) {
      this.pieceStarted = true;
      this.pieceKey = this.options.rowKey?.(table, bytes, start, end);
    }
    table.digest.rowPiece(bytes, start, end);
  }

  rowEnd(): void {
    const table = this.table;
    if (!table) return;
    table.digest.rowEnd();
    this.options.onRow?.(table, table.digest.lastH1, table.digest.lastH2, this.pieceKey);
    this.pieceStarted = false;
    this.pieceKey = undefined;
  }

  copyEnd(): void {
    this.table = undefined;
  }

  dataLine(line: Buffer): void {
    this.largeObjects.dumpLine(line);
  }

  end(): void {
    this.closeEntry();
  }

  private closeEntry(): void {
    const entry = this.openEntry;
    if (!entry) return;
    this.openEntry = undefined;
    entry.hasher.finish();
    this.schema.add(entry.hasher.h1, entry.hasher.h2, entry.bytes);
    const { type, schema, name, owner } = entry.header;
    this.options.onSchemaEntry?.({ type, schema, name, owner, digest: hex64(entry.hasher.h1, entry.hasher.h2) });
  }

  private sequenceText(header: EntryHeader, text: string): void {
    const setval = SETVAL.exec(text);
    if (setval) this.sequences.push({ schema: header.schema, name: header.name, value: setval[1], called: setval[2] === 'true' });
  }

  /** The tables' digests as the manifest records them. */
  tableDigests(): ManifestTableDigest[] {
    return this.tables.map((table) => ({
      schema: table.schema,
      name: table.name,
      columns: table.columns,
      rows: table.digest.count,
      bytes: table.digest.bytes,
      digest: table.digest.digest,
    }));
  }

  /** Everything, as the manifest's `digests`; with the large objects' grants and comments as the catalog had them in the dump's snapshot, where the set holds its large objects. */
  record(settings: Omit<DigestSettings, 'clientEncoding'>, largeObjectGrants?: LargeObjectGrants): ManifestDigests {
    return {
      algorithm: ROW_HASH_ALGORITHM,
      settings: { clientEncoding: this.clientEncoding ?? 'UTF8', ...settings },
      schema: { digest: this.schema.digest, entries: this.schema.count },
      tables: this.tableDigests(),
      sequences: this.sequences,
      largeObjects: { ...this.largeObjects.record(), ...(largeObjectGrants ? { grants: largeObjectGrants } : {}) },
    };
  }
}

const SEQUENCE_SET: ReadonlySet<string> = new Set(['SEQUENCE SET']);
const SEQUENCE_SET_AND_TABLE: ReadonlySet<string> = new Set(['SEQUENCE SET', 'TABLE']);

function isBlankOrComment(line: Buffer): boolean {
  let i = 0;
  while (i < line.length && (line[i] === 0x20 || line[i] === 0x09 || line[i] === 0x0d || line[i] === 0x0a)) i += 1;
  if (i === line.length) return true;
  return line[i] === 0x2d && line[i + 1] === 0x2d;
}

/**
 * The column list of `COPY schema.table (a, "B", c) FROM stdin;`, unquoted;
 * an empty list for a table without columns; undefined when the line is
 * not such a COPY.
 */
export function parseCopyColumns(line: string): string[] | undefined {
  if (!line.startsWith('COPY ')) return undefined;
  // Past the qualified name: identifiers and dots.
  let position = 'COPY '.length;
  for (;;) {
    const read = readName(line, position);
    if (!read) return undefined;
    position = read.end;
    if (line[position] !== '.') break;
    position += 1;
  }
  while (line[position] === ' ') position += 1;
  if (line[position] !== '(') return [];
  position += 1;
  const columns: string[] = [];
  for (;;) {
    while (line[position] === ' ') position += 1;
    const read = readName(line, position);
    if (!read) return undefined;
    columns.push(read.value);
    position = read.end;
    while (line[position] === ' ') position += 1;
    if (line[position] === ',') {
      position += 1;
      continue;
    }
    return line[position] === ')' ? columns : undefined;
  }
}

/** An identifier as pg_dump writes one: in double quotes ("" for a quote) when it needs them, else bare. */
function readName(text: string, start: number): { value: string; end: number } | undefined {
  if (text[start] === '"') {
    let value = '';
    for (let i = start + 1; i < text.length; i += 1) {
      if (text[i] !== '"') {
        value += text[i];
        continue;
      }
      if (text[i + 1] !== '"') return { value, end: i + 1 };
      value += '"';
      i += 1;
    }
    return undefined;
  }
  const bare = /^[^\s,()."]+/.exec(text.slice(start));
  return bare ? { value: bare[0], end: start + bare[0].length } : undefined;
}
