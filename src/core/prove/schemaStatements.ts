/**
 * The statements of a file that make a schema, in order: pg_dump's preamble
 * settings, each schema entry (who it is, and the digest of its text as a
 * backup digests it), the settings pg_dump puts between entries, and its
 * footer — everything a schema-only restore runs. Two files with the same
 * sequence create the same schema, statement for statement.
 *
 * A proof compares the schema file's with the complete file's: the complete
 * way dumps and compares its schema, so a schema file that runs the same
 * statements gives the schema-then-data way the same schema — unless its
 * data file or something it starts changes the schema (dataOnlyLoad.ts
 * says when the proof trusts neither and dumps the schema again).
 */
import { DumpDigests } from '../backup/dumpDigests';
import { isDataEntry, type DumpReaderOptions, type EntryHeader, type SqlLinePlace } from '../pg/dumpReader';

export class SchemaStatements {
  private readonly items: (string | number)[] = [];
  private readonly entries: string[] = [];
  private schemaEntries = 0;
  /** Data entries and COPY blocks: a schema file has none. */
  private dataEntries = 0;
  private copies = 0;
  private readonly digests = new DumpDigests({
    onSchemaEntry: (entry) => this.entries.push(`${entry.type}\u0000${entry.schema}\u0000${entry.name}\u0000${entry.owner}\u0000${entry.digest}`),
  });

  /** What a dump reader needs to collect them; rows are passed over, not read. */
  readerOptions(): DumpReaderOptions {
    return {
      ...this.digests.readerOptions(),
      countRows: false,
      onEntry: (header) => this.entry(header),
      onSqlLine: (line, place) => this.line(line, place),
      onTableStart: () => {
        this.copies += 1;
      },
    };
  }

  /** The sequence, once the file has been read: equal sequences, equal statements. */
  sequence(): { statements: string[]; holdsData: boolean } {
    const statements = this.items.map((item) => (typeof item === 'number' ? (this.entries[item] ?? '') : item));
    return { statements, holdsData: this.dataEntries > 0 || this.copies > 0 };
  }

  private entry(header: EntryHeader): void {
    if (isDataEntry(header)) {
      this.dataEntries += 1;
      return;
    }
    // Entries end in the order they start: the n-th to start is the n-th digest.
    this.items.push(this.schemaEntries);
    this.schemaEntries += 1;
  }

  private line(bytes: Buffer, place: SqlLinePlace): void {
    if (place !== 'preamble' && place !== 'setting' && place !== 'footer') return;
    const text = bytes.toString('utf8').trim();
    if (text === '' || text.startsWith('--')) return;
    this.items.push(`${place}\u0000${text}`);
  }
}

/** Whether a schema file runs exactly the complete file's schema statements (and nothing of the data). */
export function sameSchemaStatements(schemaFile: ReturnType<SchemaStatements['sequence']>, completeFile: ReturnType<SchemaStatements['sequence']>): boolean {
  if (schemaFile.holdsData) return false;
  return schemaFile.statements.length === completeFile.statements.length && schemaFile.statements.every((statement, index) => statement === completeFile.statements[index]);
}
