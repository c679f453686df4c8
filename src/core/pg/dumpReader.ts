/**
 * Reads a plain-format pg_dump stream entry by entry as it flows past, and
 * does with it what its caller asks: a backup splits it into the schema-only
 * and data-only parts of a set (so one pg_dump run, one snapshot, yields all
 * three files); verify counts rows and checks the footer; a restore rewrites
 * top-level lines; a proof and a diff digest what psql or pg_dump read back;
 * the Supabase platform copy keeps only some entries.
 *
 * pg_dump writes each archive entry behind a header comment:
 *
 *     --
 *     -- Name: users; Type: TABLE; Schema: public; Owner: postgres
 *     --
 *
 * (`-- Data for Name: ...` for data entries). The entry's type says whether it
 * belongs to the schema part or the data part, exactly as `pg_dump
 * --schema-only` and `pg_dump --data-only` would select it. A header is only
 * recognised at the top level of the SQL text: a lexer follows quotes, dollar
 * quotes and comments, and COPY data is skipped line by line, so a function
 * body or a row that merely looks like a header cannot move a boundary.
 */

/** A view over a buffer's bytes, for reading them four at a time (the row digests do). */
export function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Which part of the set a stretch of the dump belongs to ('none': an entry left out). */
export type DumpPart = 'both' | 'schema' | 'data' | 'none';

export interface TableDataEvent {
  schema: string;
  name: string;
  rows: number;
  /** Bytes of COPY data (the rows) seen for this table so far. */
  bytes: number;
}

export interface DumpReaderOptions {
  /** SQL for the data file, after pg_dump's preamble and before the first row. */
  dataProlog?: string;
  /** SQL for the data file, after the last entry and before the footer. */
  dataEpilog?: string;
  /** SQL for the whole stream (`SplitOutput.whole`), after pg_dump's preamble. */
  wholeProlog?: string;
  /** SQL for the schema file, after pg_dump's preamble. */
  schemaProlog?: string;
  /**
   * A line of pg_dump's preamble (its SET commands) offered here first, for
   * all three outputs: return a replacement, or undefined to keep it.
   * Setting it also passes the stream through as `SplitOutput.whole`.
   */
  rewritePreambleLine?(line: string): string | undefined;
  /** Every archive entry's header as it goes past (its type, schema and name as pg_dump wrote them). */
  onEntry?(header: EntryHeader): void;
  /**
   * The SQL of each entry of these types, once the entry has ended: for the
   * few kinds whose header names them ambiguously (an OPERATOR's header is
   * its name alone, "=", however many there are).
   */
  entryTextTypes?: ReadonlySet<string>;
  onEntryText?(header: EntryHeader, text: string): void;
  /**
   * Also pass the whole stream through (`SplitOutput.whole`), with each SQL
   * line that starts at the top level (never inside a quote, a function
   * body or COPY rows) offered here first: return a replacement, or
   * undefined to keep it.
   */
  rewriteLine?(line: string, entry: EntryHeader | undefined): string | undefined;
  /**
   * Which archive entries the set keeps (a backup profile leaving out
   * platform-managed objects): an entry answered false, its header and all
   * its lines (COPY rows included) go to none of the outputs. Setting it
   * also passes the (filtered) stream through as `SplitOutput.whole`.
   */
  keepEntry?(header: EntryHeader): boolean;
  /**
   * Every line of SQL text as it goes past, in order: all but COPY rows and
   * the `\.` line that ends them (a proof checks which statements a file
   * holds besides its rows), with where it stands. The bytes are only valid
   * during the call.
   */
  onSqlLine?(line: Buffer, place: SqlLinePlace): void;
  /**
   * Count the rows of each COPY block (default true). A restore takes the
   * counts from the server instead; without counting, a COPY block is passed
   * over by searching for its end, not line by line.
   */
  countRows?: boolean;
  /**
   * Asked at each entry header, and at the footer (undefined), before any of
   * its bytes go out: true stops the reader just there (`paused`), so the
   * caller can feed other entries in (a parallel backup's table pieces)
   * before `resume()` goes on with the stream. Setting it also passes the
   * stream through as `SplitOutput.whole`. Not with `onSqlLine`, which
   * would see the header's lines twice.
   */
  pauseBefore?(header: EntryHeader | undefined): boolean;
  onTableStart?(table: TableDataEvent): void;
  onTableProgress?(table: TableDataEvent): void;
  onTableDone?(table: TableDataEvent): void;
  /**
   * Content digests of what goes past (dumpDigests.ts): every COPY row, and
   * the lines of every kept schema entry. Rows are hashed only while they
   * are counted (countRows, the default).
   */
  digests?: DigestTap;
}

/** What the dump reader tells a digest collector (dumpDigests.ts); the bytes are only valid during the call. */
export interface DigestTap {
  /** A kept entry begins (data or schema part); `schemaPart` says which. */
  entry(header: EntryHeader, schemaPart: boolean): void;
  /** A top-level line of a schema entry, or any line inside a quote or body: its bytes with the newline. */
  schemaLine(line: Buffer, atTopLevel: boolean): void;
  /** pg_dump's preamble line (client_encoding and the like). */
  preambleLine(line: string): void;
  copyStart(schema: string, name: string, copyLine: string): void;
  /** A whole row, bytes[start, end) without its newline; `view` reads the same bytes. */
  row(view: DataView, bytes: Buffer, start: number, end: number): void;
  /** Part of a row that spans chunks; rowEnd() follows once its newline has come. */
  rowPiece(bytes: Buffer, start: number, end: number): void;
  rowEnd(): void;
  copyEnd(): void;
  /** A line of a data entry that is no COPY (large objects' lo_open, lowrite and lo_close): its bytes with the newline. */
  dataLine?(line: Buffer): void;
  /** The dump's footer has gone past: every entry is complete. */
  end(): void;
}

/**
 * Where a line of SQL text stands: before the first entry, inside a schema
 * or data entry (or one `keepEntry` left out), after the footer, or a SET
 * that pg_dump puts between entries, which belongs to none of them.
 */
export type SqlLinePlace = 'preamble' | 'schema' | 'data' | 'dropped' | 'footer' | 'setting';

/** What one chunk of input produced for the two derived files. */
export interface SplitOutput {
  schema: Buffer[];
  data: Buffer[];
  /** The stream itself, rewritten where `rewriteLine` said so, without the entries `keepEntry` left out; empty without either option. */
  whole: Buffer[];
}

/**
 * TOC entry types that `pg_dump --data-only` keeps and `--schema-only` drops.
 * Large-object metadata and its comments/ACLs belong with the data: a
 * schema-only dump has no large objects at all (names across pg_dump 15–18).
 */
const DATA_ENTRY_TYPES = new Set(['TABLE DATA', 'SEQUENCE SET', 'BLOBS', 'BLOB', 'BLOB METADATA', 'LARGE OBJECT', 'LARGE OBJECTS', 'MATERIALIZED VIEW DATA']);

/** Types of entries that describe a large object (COMMENT, ACL, SECURITY LABEL on one). */
const LARGE_OBJECT_NAME = /^LARGE OBJECTS? /;

const HEADER_START = /^-- (Data for )?Name: /;
const TYPE_MARK = '; Type: ';
const TYPE_THEN_SCHEMA = /^([A-Z][A-Z ]*?); Schema: /;
const OWNER_MARK = '; Owner: ';
const TABLESPACE_MARK = '; Tablespace: ';
const FOOTER_LINE = '-- PostgreSQL database dump complete';

/** Lines inserted into the data file right after pg_dump's own preamble. */
export const DATA_FILE_PREAMBLE =
  '-- Pulse Backup: data-only part of a backup set. Triggers, including the\n' +
  '-- foreign-key checks, stay quiet while it loads, so circular foreign keys\n' +
  '-- and triggers that rewrite rows cannot get in the way (needs a superuser).\n' +
  'SET session_replication_role = replica;\n\n';

export const SCHEMA_FILE_PREAMBLE = '-- Pulse Backup: schema-only part of a backup set.\n\n';

const NEWLINE = 0x0a;
/** A row's end followed by COPY's end-of-data line. */
const COPY_TERMINATOR_AFTER_ROW = Buffer.from('\n\\.\n', 'latin1');
const PROGRESS_EVERY_BYTES = 4 * 1024 * 1024;

type Section = 'preamble' | 'schema' | 'data' | 'footer' | 'dropped';

interface LexState {
  /** Inside '...' (escapeBackslash: an E'...' string). */
  singleQuote: boolean;
  escapeBackslash: boolean;
  doubleQuote: boolean;
  /** The tag of an open $tag$ quote, '' for $$, undefined when none. */
  dollarTag: string | undefined;
  blockCommentDepth: number;
}

export class DumpReader {
  /**
   * The unfinished end of the input, in the pieces it arrived in: an SQL line
   * waiting for its newline (joined once, when the newline comes, so one
   * huge line costs one copy, not one per chunk), or inside COPY rows at most
   * the two bytes that may start the `\.` end-of-data line.
   */
  private carry: Buffer[] = [];
  private section: Section = 'preamble';
  private inCopy = false;
  /** Inside COPY data, between a row's first byte and its newline: a row that spans chunks streams through. */
  private inCopyRow = false;
  private copyTable: TableDataEvent | undefined;
  /**
   * The lines so far of a COPY statement that spans lines: a table or column
   * name with a newline in it (pg_dump writes it inside the double quotes).
   */
  private copyHead: Buffer[] | undefined;
  private lastProgressBytes = 0;
  /** "--" lines held back until the next line says whether a header starts. */
  private heldDashLines: Buffer[] = [];
  private readonly lex: LexState = {
    singleQuote: false,
    escapeBackslash: false,
    doubleQuote: false,
    dollarTag: undefined,
    blockCommentDepth: 0,
  };
  private output = new OutputPieces();
  private currentEntry: EntryHeader | undefined;
  /** The lines of the current entry, while one of entryTextTypes is being read. */
  private entryText: string[] | undefined;
  private readonly tables: TableDataEvent[] = [];
  private sawHeader = false;
  /** Where a pause stopped: the header's lines, then the rest of the chunk, to go on with at resume(). */
  private pausedAt: Buffer[] | undefined;
  /** Set by the line that stops the reader, until push() has kept the rest of its chunk. */
  private stopping: Buffer[] | undefined;
  /** The header resume() starts with was asked about already. */
  private resuming = false;
  private sawFooter = false;
  private entryCount = 0;
  private chunkView: DataView | undefined;

  /** Whether the stream itself is passed through (rewritten or filtered) as `SplitOutput.whole`. */
  private readonly passesWhole: boolean;

  constructor(private readonly callbacks: DumpReaderOptions = {}) {
    if (callbacks.pauseBefore && callbacks.onSqlLine) throw new Error('DumpReader: pauseBefore and onSqlLine do not go together');
    this.passesWhole =
      callbacks.rewriteLine !== undefined || callbacks.keepEntry !== undefined || callbacks.rewritePreambleLine !== undefined || callbacks.pauseBefore !== undefined;
  }

  /** True while stopped before an entry `pauseBefore` asked for: feed other entries with push(), then resume(). */
  get paused(): boolean {
    return this.pausedAt !== undefined;
  }

  /** Goes on with the stream where the pause stopped; it may pause again before a later entry. */
  resume(): SplitOutput {
    const held = this.pausedAt;
    if (!held) throw new Error('DumpReader: resume() without a pause');
    this.pausedAt = undefined;
    this.resuming = true;
    return this.push(Buffer.concat(held));
  }

  /**
   * Feeds one chunk of pg_dump output; returns the bytes for each derived
   * file. The returned pieces may point into `chunk`; what is kept for the
   * next call is copied, so the caller may reuse the chunk once it has
   * written the pieces out.
   */
  push(chunk: Buffer): SplitOutput {
    this.output = new OutputPieces();
    this.read(chunk);
    // "--" lines still waiting for the next line are kept past this call: copied, as the chunk may be reused.
    if (this.heldDashLines.length > 0) this.heldDashLines = this.heldDashLines.map((line) => Buffer.from(line));
    return this.output.done();
  }

  private read(chunk: Buffer): void {
    let buffer = chunk;
    let start = 0;
    if (this.carry.length > 0) {
      if (this.inCopy) {
        // A row or the end-of-data line begins with the carried byte or two.
        buffer = Buffer.concat([...this.carry, chunk]);
        this.carry = [];
      } else {
        const end = chunk.indexOf(NEWLINE);
        if (end === -1) {
          this.carry.push(Buffer.from(chunk));
          return;
        }
        const line = Buffer.concat([...this.carry, chunk.subarray(0, end + 1)]);
        this.carry = [];
        this.consume(line, 0);
        start = end + 1;
        if (this.stopping) {
          this.pausedAt = [...this.stopping, Buffer.from(chunk.subarray(start))];
          this.stopping = undefined;
          return;
        }
      }
    }
    const stop = this.consume(buffer, start);
    if (this.stopping) {
      this.pausedAt = [...this.stopping, Buffer.from(buffer.subarray(stop))];
      this.stopping = undefined;
      return;
    }
    // Keep the unfinished rest; copy it so the caller's chunk can be reused.
    if (stop < buffer.length) this.carry = [Buffer.from(buffer.subarray(stop))];
  }

  /** Processes every complete line from `start`; returns where the unfinished rest begins. */
  private consume(buffer: Buffer, start: number): number {
    let position = start;
    while (position < buffer.length) {
      if (this.inCopy) {
        position = this.callbacks.countRows === false ? this.skipCopy(buffer, position) : this.consumeCopy(buffer, position);
        if (this.inCopy) break;
        continue;
      }
      const end = buffer.indexOf(NEWLINE, position);
      if (end === -1) break;
      this.consumeSqlLine(buffer.subarray(position, end + 1));
      position = end + 1;
      if (this.stopping) break;
    }
    return position;
  }

  /** Signals the end of the stream; returns whatever was still held back. */
  end(): SplitOutput {
    this.output = new OutputPieces();
    this.finishEntryText();
    if (this.carry.length > 0) {
      const rest = Buffer.concat(this.carry);
      this.carry = [];
      if (this.inCopy) this.route(rest, this.copyPart());
      else this.consumeSqlLine(rest);
    }
    if (this.stopping) {
      // A last line without its newline asked for a pause: the caller sees `paused` after the end.
      this.pausedAt = this.stopping;
      this.stopping = undefined;
      return this.output.done();
    }
    this.flushHeldDashLines();
    return this.output.done();
  }

  /** Row counts and COPY bytes per table, in dump order. */
  get tableData(): readonly TableDataEvent[] {
    return this.tables;
  }

  /** True once pg_dump's "dump complete" footer has gone past: a dump cut short lacks it. */
  get complete(): boolean {
    return this.sawFooter && !this.inCopy;
  }

  get entries(): number {
    return this.entryCount;
  }

  /**
   * Routes COPY rows until the `\.` terminator without counting them: one
   * search for the terminator line instead of a step per row. Returns where
   * reading stopped: the end of the buffer, or just before a line start that
   * may be the beginning of the terminator.
   */
  private skipCopy(buffer: Buffer, start: number): number {
    let end = -1; // the newline that ends the terminator line
    if (!this.inCopyRow && buffer[start] === 0x5c && buffer[start + 1] === 0x2e && buffer[start + 2] === NEWLINE) end = start + 2;
    else {
      const found = buffer.indexOf(COPY_TERMINATOR_AFTER_ROW, start);
      if (found !== -1) end = found + 3;
    }
    if (end !== -1) {
      this.endCopy(buffer, start, end);
      return end + 1;
    }
    const stop = this.copyStop(buffer, start);
    this.inCopyRow = stop > start && buffer[stop - 1] !== NEWLINE;
    this.passCopyBytes(buffer, start, stop);
    return stop;
  }

  /** Routes COPY rows until the `\.` terminator, counting them; returns where reading stopped. */
  private consumeCopy(buffer: Buffer, start: number): number {
    const table = this.copyTable;
    // Rows of a table the set keeps are hashed as they pass (a left-out entry's are not).
    const digests = table ? this.callbacks.digests : undefined;
    const view = digests ? this.viewOfChunk(buffer) : undefined;
    let position = start;
    while (position < buffer.length) {
      const continued = this.inCopyRow;
      if (!continued) {
        if (buffer[position] === 0x5c /* \ */ && buffer[position + 1] === 0x2e /* . */ && buffer[position + 2] === NEWLINE) {
          this.endCopy(buffer, start, position + 2);
          return position + 3;
        }
        // The start of a line that may yet be the terminator: wait for its next bytes.
        if (mayStartTerminator(buffer, position)) break;
        this.inCopyRow = true;
        if (table) table.rows += 1;
      }
      const end = buffer.indexOf(NEWLINE, position);
      if (end === -1) {
        // A row longer than the chunk: its bytes go on now, its end comes later.
        digests?.rowPiece(buffer, position, buffer.length);
        position = buffer.length;
        break;
      }
      if (digests) {
        if (continued) {
          digests.rowPiece(buffer, position, end);
          digests.rowEnd();
        } else {
          digests.row(view!, buffer, position, end);
        }
      }
      this.inCopyRow = false;
      position = end + 1;
    }
    this.passCopyBytes(buffer, start, position);
    return position;
  }

  /** One DataView per chunk, however many COPY blocks it holds: making one costs more than a short table's rows. */
  private viewOfChunk(buffer: Buffer): DataView {
    if (this.chunkView?.buffer !== buffer.buffer || this.chunkView.byteOffset !== buffer.byteOffset || this.chunkView.byteLength !== buffer.byteLength)
      this.chunkView = viewOf(buffer);
    return this.chunkView;
  }

  /**
   * Where the COPY bytes from `start` can be passed on without knowing what
   * follows: everything, except line-start bytes that may begin the
   * terminator (a backslash, or a backslash and a dot, at the very end).
   */
  private copyStop(buffer: Buffer, start: number): number {
    const lastNewline = buffer.lastIndexOf(NEWLINE);
    const lineStart = lastNewline >= start ? lastNewline + 1 : this.inCopyRow ? -1 : start;
    if (lineStart !== -1 && mayStartTerminator(buffer, lineStart)) return lineStart;
    return buffer.length;
  }

  /** COPY bytes that are rows: to the data part, counted for progress. */
  private passCopyBytes(buffer: Buffer, start: number, stop: number): void {
    if (stop <= start) return;
    this.route(buffer.subarray(start, stop), this.copyPart());
    const table = this.copyTable;
    if (!table) return;
    table.bytes += stop - start;
    if (table.bytes - this.lastProgressBytes >= PROGRESS_EVERY_BYTES) {
      this.lastProgressBytes = table.bytes;
      this.callbacks.onTableProgress?.({ ...table });
    }
  }

  /** The terminator line ends at `terminatorEnd` (its newline): the block's last rows and that line go out. */
  private endCopy(buffer: Buffer, start: number, terminatorEnd: number): void {
    const table = this.copyTable;
    if (table) {
      table.bytes += terminatorEnd - 2 - start;
      if (this.callbacks.countRows !== false) this.callbacks.digests?.copyEnd();
      this.callbacks.onTableDone?.({ ...table });
    }
    this.route(buffer.subarray(start, terminatorEnd + 1), this.copyPart());
    this.inCopy = false;
    this.inCopyRow = false;
    this.copyTable = undefined;
  }

  private consumeSqlLine(line: Buffer): void {
    const atTopLevel = this.isTopLevel();
    if (this.callbacks.onSqlLine) {
      const setting = atTopLevel && this.section !== 'preamble' && this.section !== 'footer' && isSessionSetting(line) && !this.isGrantorSwitch(line);
      this.callbacks.onSqlLine(line, setting ? 'setting' : this.section);
    }
    if (atTopLevel && isDashLine(line)) {
      // Held as it is: push() copies what is still held when it returns.
      this.heldDashLines.push(line);
      // A third "--" closes a header; the middle line was inspected already.
      return;
    }
    if (atTopLevel && this.heldDashLines.length > 0 && startsWithComment(line)) {
      const text = line.toString('utf8').replace(/\r?\n$/, '');
      const footer = text === FOOTER_LINE;
      const header = footer ? undefined : parseEntryHeader(text);
      if ((footer || header) && this.pausesBefore(header)) {
        this.stopping = [...this.heldDashLines, line].map((held) => Buffer.from(held));
        this.heldDashLines = [];
        return;
      }
      if (footer) {
        if (this.callbacks.dataEpilog) this.output.data.add(Buffer.from(this.callbacks.dataEpilog));
        this.beginSection('footer');
        this.sawFooter = true;
        this.callbacks.digests?.end();
      } else if (header) {
        this.beginEntry(header);
      }
      this.flushHeldDashLines();
      this.route(line, this.partFor(this.section));
      return;
    }
    this.flushHeldDashLines();
    if (this.copyHead || (atTopLevel && startsWithCopy(line))) {
      this.route(line, this.partFor(this.section));
      const head = this.copyHead ? [...this.copyHead, Buffer.from(line)] : [line];
      const statement = head.length === 1 ? line : Buffer.concat(head);
      if (endsStatement(statement)) {
        this.copyHead = undefined;
        this.startCopy(statement);
      } else {
        // Copied: the chunk the line points into may be reused before the statement ends.
        this.copyHead = head.map((piece) => (piece === line ? Buffer.from(piece) : piece));
      }
      return;
    }
    if (atTopLevel && this.section !== 'preamble' && isSessionSetting(line) && !this.isGrantorSwitch(line)) {
      // pg_dump switches tablespace, access method or role just before the
      // header of the entry that needs it, so the line trails the previous
      // entry; both files get it, since either may hold the next entry.
      this.route(line, 'both', this.callbacks.rewriteLine ? this.rewrite(line) : undefined);
      return;
    }
    if (this.section === 'preamble' && atTopLevel) this.callbacks.digests?.preambleLine(line.toString('utf8'));
    if (this.section === 'preamble' && atTopLevel && this.callbacks.rewritePreambleLine) {
      const text = line.toString('utf8');
      const ending = text.endsWith('\n') ? '\n' : '';
      const replacement = this.callbacks.rewritePreambleLine(text.slice(0, text.length - ending.length));
      if (replacement !== undefined) {
        this.route(Buffer.from(replacement + ending), 'both');
        return;
      }
    }
    const rewritten = atTopLevel && this.callbacks.rewriteLine ? this.rewrite(line) : undefined;
    if (this.section === 'schema') this.callbacks.digests?.schemaLine(line, atTopLevel);
    else if (this.section === 'data') this.callbacks.digests?.dataLine?.(line);
    this.entryText?.push(line.toString('utf8'));
    this.lexLine(line);
    this.route(line, this.partFor(this.section), rewritten);
  }

  /**
   * A grant made with another role's grant option: pg_dump writes it inside
   * the ACL entry as `SET SESSION AUTHORIZATION grantor;` … `RESET SESSION
   * AUTHORIZATION;`. That SET belongs to the entry, not before the next one
   * as a switch both files get: in the other file it would run the rest as
   * that role, with no RESET after it.
   */
  private isGrantorSwitch(line: Buffer): boolean {
    return this.currentEntry !== undefined && GRANTING_TYPES.has(this.currentEntry.type) && line.toString('utf8').startsWith('SET SESSION AUTHORIZATION ');
  }

  private pausesBefore(header: EntryHeader | undefined): boolean {
    // While paused, what is fed in (other entries) never pauses the reader again.
    if (!this.callbacks.pauseBefore || this.pausedAt) return false;
    if (this.resuming) {
      this.resuming = false;
      return false;
    }
    return this.callbacks.pauseBefore(header);
  }

  private rewrite(line: Buffer): Buffer | undefined {
    const text = line.toString('utf8');
    const ending = text.endsWith('\n') ? '\n' : '';
    const replacement = this.callbacks.rewriteLine?.(text.slice(0, text.length - ending.length), this.currentEntry);
    return replacement === undefined ? undefined : Buffer.from(replacement + ending);
  }

  private beginEntry(header: EntryHeader): void {
    if (!this.sawHeader) {
      this.sawHeader = true;
      // pg_dump's preamble (the \restrict line and SET commands) ends here.
      this.output.schema.add(Buffer.from(SCHEMA_FILE_PREAMBLE + (this.callbacks.schemaProlog ?? '')));
      this.output.data.add(Buffer.from(DATA_FILE_PREAMBLE + (this.callbacks.dataProlog ?? '')));
      if (this.callbacks.wholeProlog && this.passesWhole) this.output.whole.add(Buffer.from(this.callbacks.wholeProlog));
    }
    this.finishEntryText();
    this.currentEntry = header;
    if (this.callbacks.entryTextTypes?.has(header.type)) this.entryText = [];
    if (this.callbacks.keepEntry && !this.callbacks.keepEntry(header)) {
      this.callbacks.digests?.entry(header, false);
      this.beginSection('dropped');
      return;
    }
    this.entryCount += 1;
    this.callbacks.onEntry?.(header);
    const data = isDataEntry(header);
    this.callbacks.digests?.entry(header, !data);
    this.beginSection(data ? 'data' : 'schema');
  }

  private finishEntryText(): void {
    if (this.entryText && this.currentEntry) this.callbacks.onEntryText?.(this.currentEntry, this.entryText.join(''));
    this.entryText = undefined;
  }

  /** COPY rows go with their entry: the data part, or nowhere when the entry is left out. */
  private copyPart(): DumpPart {
    return this.section === 'dropped' ? 'none' : 'data';
  }

  private beginSection(section: Section): void {
    this.section = section;
  }

  private startCopy(line: Buffer): void {
    const text = line.toString('utf8');
    if (!/ FROM stdin;\s*$/.test(text)) return;
    const name = parseCopyTarget(text);
    this.inCopy = true;
    this.lastProgressBytes = 0;
    if (name && this.section !== 'dropped') {
      const table: TableDataEvent = { schema: name.schema, name: name.name, rows: 0, bytes: 0 };
      this.tables.push(table);
      this.copyTable = table;
      if (this.callbacks.countRows !== false) this.callbacks.digests?.copyStart(name.schema, name.name, text);
      this.callbacks.onTableStart?.({ ...table });
    }
  }

  private flushHeldDashLines(): void {
    if (this.heldDashLines.length === 0) return;
    const part = this.partFor(this.section);
    for (const line of this.heldDashLines) this.route(line, part);
    this.heldDashLines = [];
  }

  private partFor(section: Section): DumpPart {
    switch (section) {
      case 'preamble':
      case 'footer':
        return 'both';
      case 'schema':
        return 'schema';
      case 'data':
        return 'data';
      case 'dropped':
        return 'none';
    }
  }

  private route(bytes: Buffer, part: DumpPart, rewritten?: Buffer): void {
    if (part === 'none') return;
    if (part !== 'data') this.output.schema.add(bytes);
    if (part !== 'schema') this.output.data.add(bytes);
    if (this.passesWhole) this.output.whole.add(rewritten ?? bytes);
  }

  private isTopLevel(): boolean {
    const lex = this.lex;
    return !lex.singleQuote && !lex.doubleQuote && lex.dollarTag === undefined && lex.blockCommentDepth === 0;
  }

  /** Advances the quote/comment state over one line of SQL. */
  private lexLine(line: Buffer): void {
    const lex = this.lex;
    const length = line.length;
    let i = 0;
    while (i < length) {
      const c = line[i];
      if (lex.singleQuote) {
        if (c === 0x5c /* \ */ && lex.escapeBackslash) {
          i += 2;
          continue;
        }
        if (c === 0x27 /* ' */) {
          if (line[i + 1] === 0x27) {
            i += 2;
            continue;
          }
          lex.singleQuote = false;
          lex.escapeBackslash = false;
        }
        i += 1;
        continue;
      }
      if (lex.doubleQuote) {
        if (c === 0x22 /* " */) {
          if (line[i + 1] === 0x22) {
            i += 2;
            continue;
          }
          lex.doubleQuote = false;
        }
        i += 1;
        continue;
      }
      if (lex.dollarTag !== undefined) {
        if (c === 0x24 /* $ */) {
          const closing = `$${lex.dollarTag}$`;
          if (line.toString('utf8', i, i + closing.length) === closing) {
            lex.dollarTag = undefined;
            i += closing.length;
            continue;
          }
        }
        i += 1;
        continue;
      }
      if (lex.blockCommentDepth > 0) {
        if (c === 0x2a /* * */ && line[i + 1] === 0x2f /* / */) {
          lex.blockCommentDepth -= 1;
          i += 2;
          continue;
        }
        if (c === 0x2f && line[i + 1] === 0x2a) {
          lex.blockCommentDepth += 1;
          i += 2;
          continue;
        }
        i += 1;
        continue;
      }
      switch (c) {
        case 0x2d /* - */:
          if (line[i + 1] === 0x2d) return; // a line comment runs to the end of the line
          break;
        case 0x2f /* / */:
          if (line[i + 1] === 0x2a) {
            lex.blockCommentDepth = 1;
            i += 2;
            continue;
          }
          break;
        case 0x27 /* ' */: {
          lex.singleQuote = true;
          const before = i > 0 ? line[i - 1] : undefined;
          const beforeThat = i > 1 ? line[i - 2] : undefined;
          lex.escapeBackslash = (before === 0x45 || before === 0x65) && !isIdentifierByte(beforeThat);
          break;
        }
        case 0x22 /* " */:
          lex.doubleQuote = true;
          break;
        case 0x24 /* $ */: {
          if (i > 0 && isIdentifierByte(line[i - 1])) break; // part of an identifier such as a$b
          const tag = readDollarTag(line, i);
          if (tag !== undefined) {
            lex.dollarTag = tag;
            i += tag.length + 2;
            continue;
          }
          break;
        }
      }
      i += 1;
    }
  }
}

export interface EntryHeader {
  isData: boolean;
  name: string;
  type: string;
  schema: string;
  /** The owner pg_dump names; for a DEFAULT ACL entry, the role whose defaults they are. */
  owner: string;
  /** The tablespace pg_dump creates it in (`; Tablespace: fast`), when not the database's default. */
  tablespace?: string;
}

/** A name as an entry's header writes it: pg_dump turns its line breaks into spaces, so each header stays one line. */
export function headerName(name: string): string {
  return name.replace(/[\r\n]/g, ' ');
}

/**
 * An entry's object in words: an ACL entry names its object with the
 * object's kind ("TABLE gauges", "FUNCTION digest(text, text)"), which
 * comes out as "table public.gauges"; any other, schema-qualified.
 */
export function entryObjectName(entry: { type: string; schema: string; name: string }): string {
  const acl = entry.type === 'ACL' ? /^([A-Z][A-Z ]*?) (.+)$/.exec(entry.name) : null;
  const name = acl ? acl[2] : entry.name;
  return `${acl ? `${acl[1].toLowerCase()} ` : ''}${entry.schema && entry.schema !== '-' ? `${entry.schema}.${name}` : name}`;
}

/**
 * `-- [Data for ]Name: N; Type: T; Schema: S; Owner: O[; Tablespace: TS]`,
 * as pg_dump writes an entry's header. pg_dump writes names as they are
 * (only a newline becomes a space), so a table named `t; Type: SEQUENCE`
 * puts a second "; Type: " into the line: the last one followed by an
 * entry type and "; Schema: " is pg_dump's own, and the name is all before
 * it. The tablespace an entry is created in is not part of its owner.
 */
export function parseEntryHeader(line: string): EntryHeader | undefined {
  const start = HEADER_START.exec(line);
  if (!start) return undefined;
  const nameStart = start[0].length;
  for (let at = line.lastIndexOf(TYPE_MARK); at >= nameStart; at = line.lastIndexOf(TYPE_MARK, at - 1)) {
    const rest = line.slice(at + TYPE_MARK.length);
    const type = TYPE_THEN_SCHEMA.exec(rest);
    if (!type) continue;
    const afterType = rest.slice(type[0].length);
    const ownerAt = afterType.indexOf(OWNER_MARK);
    if (ownerAt === -1) continue;
    const ownerAndPlace = afterType.slice(ownerAt + OWNER_MARK.length);
    const tablespaceAt = ownerAndPlace.lastIndexOf(TABLESPACE_MARK);
    const header: EntryHeader = {
      isData: start[1] !== undefined,
      name: line.slice(nameStart, at),
      type: type[1],
      schema: afterType.slice(0, ownerAt),
      owner: tablespaceAt === -1 ? ownerAndPlace : ownerAndPlace.slice(0, tablespaceAt),
    };
    if (tablespaceAt !== -1) header.tablespace = ownerAndPlace.slice(tablespaceAt + TABLESPACE_MARK.length);
    return header;
  }
  return undefined;
}

/** Whether an entry belongs to the data part of a set (as `pg_dump --data-only` would select it). */
export function isDataEntry(header: EntryHeader): boolean {
  if (DATA_ENTRY_TYPES.has(header.type)) return true;
  // COMMENT, ACL and SECURITY LABEL entries on a large object travel with it.
  return LARGE_OBJECT_NAME.test(header.name) && header.schema === '-';
}

/**
 * One derived file's pieces from one input chunk. Bytes that follow the
 * last ones in the same memory (consecutive lines of one chunk) extend it
 * instead of becoming a piece of their own: a chunk of thousands of short
 * lines leaves as a few pieces, not one hash update and one write vector
 * per line, and without a Buffer made per line to join them.
 */
class PieceList {
  private readonly pieces: Buffer[] = [];
  private run: Buffer | undefined;
  private runLength = 0;

  add(bytes: Buffer): void {
    const run = this.run;
    if (run !== undefined && run.buffer === bytes.buffer && run.byteOffset + this.runLength === bytes.byteOffset) {
      this.runLength += bytes.length;
      return;
    }
    this.closeRun();
    this.run = bytes;
    this.runLength = bytes.length;
  }

  done(): Buffer[] {
    this.closeRun();
    return this.pieces;
  }

  private closeRun(): void {
    const run = this.run;
    if (run === undefined) return;
    this.pieces.push(this.runLength === run.length ? run : Buffer.from(run.buffer, run.byteOffset, this.runLength));
    this.run = undefined;
  }
}

class OutputPieces {
  readonly schema = new PieceList();
  readonly data = new PieceList();
  readonly whole = new PieceList();

  done(): SplitOutput {
    return { schema: this.schema.done(), data: this.data.done(), whole: this.whole.done() };
  }
}

/** True when the bytes from `position` to the end are `\` or `\.`: the terminator line may be starting. */
function mayStartTerminator(buffer: Buffer, position: number): boolean {
  const left = buffer.length - position;
  if (left === 1) return buffer[position] === 0x5c;
  if (left === 2) return buffer[position] === 0x5c && buffer[position + 1] === 0x2e;
  return false;
}

function isDashLine(line: Buffer): boolean {
  return (line.length === 3 && line[0] === 0x2d && line[1] === 0x2d && line[2] === NEWLINE) || (line.length === 2 && line[0] === 0x2d && line[1] === 0x2d);
}

/**
 * Whether a statement's text so far ends it: its last line ends with a
 * semicolon outside double quotes. A COPY statement holds identifiers and
 * keywords only, and a doubled quote inside a name keeps the count even.
 */
function endsStatement(text: Buffer): boolean {
  let end = text.length;
  while (end > 0 && (text[end - 1] === NEWLINE || text[end - 1] === 0x0d || text[end - 1] === 0x20)) end -= 1;
  if (end === 0 || text[end - 1] !== 0x3b /* ; */) return false;
  let quotes = 0;
  for (let i = text.indexOf(0x22); i !== -1 && i < end; i = text.indexOf(0x22, i + 1)) quotes += 1;
  return quotes % 2 === 0;
}

/** `COPY ` and more: compared byte by byte, as every line of the dump goes through here. */
function startsWithCopy(line: Buffer): boolean {
  return line.length > 5 && line[0] === 0x43 && line[1] === 0x4f && line[2] === 0x50 && line[3] === 0x59 && line[4] === 0x20;
}

/** Entries whose SQL may become their grantor for a while (isGrantorSwitch). */
const GRANTING_TYPES: ReadonlySet<string> = new Set(['ACL', 'DEFAULT ACL']);

function isSessionSetting(line: Buffer): boolean {
  if (line.length < 5 || line[0] !== 0x53 || line[1] !== 0x45 || line[2] !== 0x54 || line[3] !== 0x20) return false;
  const text = line.toString('utf8');
  return /^SET [^;']*(?:'[^']*'[^;']*)*;\s*$/.test(text);
}

function startsWithComment(line: Buffer): boolean {
  return line.length >= 3 && line[0] === 0x2d && line[1] === 0x2d && line[2] === 0x20;
}

function isIdentifierByte(byte: number | undefined): boolean {
  if (byte === undefined) return false;
  return (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5a) || (byte >= 0x61 && byte <= 0x7a) || byte === 0x5f || byte === 0x24 || byte >= 0x80;
}

/** Reads `$tag$` at `start` (the tag may be empty); undefined when it is not a dollar quote. */
function readDollarTag(line: Buffer, start: number): string | undefined {
  let i = start + 1;
  const first = line[i];
  if (first === 0x24) return '';
  if (first === undefined || (first >= 0x30 && first <= 0x39) || !isIdentifierByte(first) || first === 0x24) return undefined;
  while (i < line.length && isIdentifierByte(line[i]) && line[i] !== 0x24) i += 1;
  if (line[i] !== 0x24) return undefined;
  return line.toString('utf8', start + 1, i);
}

/** Parses the qualified table name of `COPY schema.table (cols) FROM stdin;`. */
export function parseCopyTarget(line: string): { schema: string; name: string } | undefined {
  let position = 'COPY '.length;
  const parts: string[] = [];
  for (;;) {
    const read = readIdentifier(line, position);
    if (!read) return undefined;
    parts.push(read.value);
    position = read.end;
    if (line[position] === '.') {
      position += 1;
      continue;
    }
    break;
  }
  if (parts.length === 1) return { schema: 'public', name: parts[0] };
  return { schema: parts[parts.length - 2], name: parts[parts.length - 1] };
}

function readIdentifier(text: string, start: number): { value: string; end: number } | undefined {
  if (text[start] === '"') {
    let value = '';
    let i = start + 1;
    while (i < text.length) {
      if (text[i] === '"') {
        if (text[i + 1] === '"') {
          value += '"';
          i += 2;
          continue;
        }
        return { value, end: i + 1 };
      }
      value += text[i];
      i += 1;
    }
    return undefined;
  }
  const match = /^[^\s."(]+/.exec(text.slice(start));
  if (!match) return undefined;
  // Unquoted identifiers are folded to lower case by the server; pg_dump quotes anything else.
  return { value: match[0], end: start + match[0].length };
}
