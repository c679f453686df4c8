/**
 * The extra sessions of a parallel backup: each dumps, with its own pg_dump
 * importing the backup's one exported snapshot, the rows of one big table at
 * a time (`--data-only --table`) into a hidden file beside the set. The main
 * dump's reader pauses where such a table's rows belong (parallel.ts) and
 * the piece's one TABLE DATA entry is streamed in there, so the files come
 * out as a single pg_dump would have written them. pg_dump's preamble and
 * footer around the entry, and the SEQUENCE SET of the table's own
 * sequences (the main dump has those), are left out.
 */
import { createReadStream } from 'node:fs';
import { open, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { temporaryPathFor } from '../files/atomicFile';
import { onLines } from '../process/lines';
import { startTool, toolStartError, type ToolExit, type ToolProcess } from '../process/toolProcess';
import { redactText } from '../connection/redact';
import { parseEntryHeader, type EntryHeader } from '../pg/dumpReader';
import { PulseError } from '../errors';
import { commandLineOnly, hint, option } from '../hint';
import { compareDumpOrder, exactTablePattern, pieceGoesBefore, type PiecePlan } from './parallel';
import type { TableDataSize } from './snapshot';

export interface PieceRunOptions {
  pgDump: string;
  /** pg_dump's arguments for every session (the snapshot, --no-password, the lock wait). */
  baseArgs: readonly string[];
  env: NodeJS.ProcessEnv;
  /** The backups folder, and the name the pieces' hidden names start from. */
  folder: string;
  fileStem: string;
  signal?: AbortSignal;
  /** Where pg_dump's warnings go (the manifest keeps them). */
  warnings: string[];
  /** The failure of a pg_dump, in one line. */
  describeFailure(stderr: string[], exit: ToolExit): Promise<PulseError>;
  /** Called once when a piece fails, so the main dump stops too. */
  onFailure(): void;
}

interface Piece {
  table: TableDataSize;
  path: string;
  /** Where the TABLE DATA entry lies in the piece's file, once its pg_dump has ended well. */
  done: Promise<{ start: number; end: number }>;
  settle(result: { start: number; end: number } | Error): void;
}

const READ_CHUNK_BYTES = 1024 * 1024;
/** pg_dump's preamble before the entry, and the footer after it, are this small. */
const EDGE_BYTES = 64 * 1024;
const ENTRY_START = Buffer.from('\n--\n-- Data for Name: ');
const COPY_END = Buffer.from('\n\\.\n\n\n');
const FOOTER = Buffer.from('--\n-- PostgreSQL database dump complete\n--\n');
/** What may stand between a piece's TABLE DATA entry and its footer: the table's own sequences' values. */
const SEQUENCE_SETS_ONLY = /^(?:--\n-- Name: [^\n]*; Type: SEQUENCE SET; [^\n]*\n--\n\nSELECT pg_catalog\.setval\([^\n]*\);\n\n\n)*$/;

export class TablePieces {
  /** The pieces not yet in the stream, in pg_dump's order. */
  private readonly queue: Piece[];
  private readonly all: Piece[];
  private readonly running = new Set<ToolProcess>();
  private readonly workers: Promise<void>[];
  private pausedFor: EntryHeader | undefined;
  /** The first piece's failure: the backup's error. */
  failure: PulseError | undefined;

  constructor(
    plan: PiecePlan,
    private readonly options: PieceRunOptions,
  ) {
    let index = 0;
    const byWorker = plan.workers.map((tables) => tables.map((table) => newPiece(table, temporaryPathFor(join(options.folder, `${options.fileStem}.piece${(index += 1)}`)))));
    this.all = byWorker.flat();
    this.queue = [...this.all].sort((a, b) => compareDumpOrder(a.table, b.table));
    this.workers = byWorker.map((pieces) => this.work(pieces));
  }

  /** How many tables the extra sessions dump. */
  get size(): number {
    return this.all.length;
  }

  /** The tables whose rows the main dump leaves out (`--exclude-table-data`). */
  get tables(): TableDataSize[] {
    return this.all.map((piece) => piece.table);
  }

  /** For DumpReader's pauseBefore: whether a piece's entry goes before this entry of the main dump. */
  pauseBefore(header: EntryHeader | undefined): boolean {
    const next = this.queue[0];
    if (!next || !pieceGoesBefore(next.table, header)) return false;
    this.pausedFor = header;
    return true;
  }

  /** Streams every piece due where the reader paused, waiting for each to be dumped; each file is removed once read. */
  async feedDue(feed: (chunk: Buffer) => Promise<void>): Promise<void> {
    while (this.queue.length > 0 && pieceGoesBefore(this.queue[0].table, this.pausedFor)) {
      const piece = this.queue.shift()!;
      const range = await piece.done;
      const stream = createReadStream(piece.path, { start: range.start, end: range.end - 1, highWaterMark: READ_CHUNK_BYTES });
      for await (const chunk of stream) await feed(chunk as Buffer);
      await unlink(piece.path).catch(() => undefined);
    }
  }

  /** Pieces the main dump's stream never reached (a main dump cut short). */
  get unfed(): number {
    return this.queue.length;
  }

  /** Stops every session still dumping and removes every piece's file. */
  async discard(): Promise<void> {
    for (const child of this.running) child.kill();
    for (const piece of this.all) piece.settle(new Error('discarded'));
    await Promise.all(this.workers);
    await Promise.all(this.all.map((piece) => unlink(piece.path).catch(() => undefined)));
  }

  /** One session's tables, one pg_dump each, biggest first. */
  private async work(pieces: Piece[]): Promise<void> {
    for (const piece of pieces) {
      if (this.failure || this.options.signal?.aborted) {
        piece.settle(new Error('stopped'));
        continue;
      }
      try {
        piece.settle(await this.dump(piece));
      } catch (error) {
        piece.settle(error instanceof Error ? error : new Error(String(error)));
        if (!this.failure && !this.options.signal?.aborted) {
          this.failure = error instanceof PulseError ? error : new PulseError('dump-failed', `pg_dump failed on ${piece.table.schema}.${piece.table.name}`, { cause: error });
          this.options.onFailure();
        }
      }
    }
  }

  private async dump(piece: Piece): Promise<{ start: number; end: number }> {
    // Created here, private to its owner, before pg_dump writes into it.
    await (await open(piece.path, 'wx', 0o600)).close();
    const stderr: string[] = [];
    const tool = startTool(this.options.pgDump, [...this.options.baseArgs, '--data-only', `--table=${exactTablePattern(piece.table)}`, `--file=${piece.path}`], {
      env: this.options.env,
      stdin: 'ignore',
      stdout: 'ignore',
      signal: this.options.signal,
    });
    this.running.add(tool);
    onLines(tool.stderr, (line) => {
      if (line.trim() === '') return;
      if (stderr.length < 500) stderr.push(redactText(line));
      if (this.options.warnings.length < 500) this.options.warnings.push(redactText(line));
    });
    const exit = await tool.exited;
    this.running.delete(tool);
    if (exit.startError) throw toolStartError(exit.startError, this.options.pgDump);
    if (exit.exitCode !== 0) throw await this.options.describeFailure(stderr, exit);
    return entryRange(piece.path, piece.table);
  }
}

function newPiece(table: TableDataSize, path: string): Piece {
  let settled = false;
  let resolve!: (range: { start: number; end: number }) => void;
  let reject!: (error: Error) => void;
  const done = new Promise<{ start: number; end: number }>((yes, no) => {
    resolve = yes;
    reject = no;
  });
  // A piece nobody waits for (the backup failed first) must not be an unhandled rejection.
  done.catch(() => undefined);
  return {
    table,
    path,
    done,
    settle: (result) => {
      if (settled) return;
      settled = true;
      if (result instanceof Error) reject(result);
      else resolve(result);
    },
  };
}

/**
 * Where the table's TABLE DATA entry lies in a piece pg_dump wrote: from its
 * header to the blank lines after COPY's end-of-data line. Only the two
 * ends of the file are read; anything else than the expected layout is an
 * error, never a guess.
 */
export async function entryRange(path: string, table: { schema: string; name: string }): Promise<{ start: number; end: number }> {
  const file = await open(path, 'r');
  try {
    const size = (await file.stat()).size;
    const head = Buffer.alloc(Math.min(size, EDGE_BYTES));
    await file.read(head, 0, head.length, 0);
    const headerAt = head.indexOf(ENTRY_START);
    const headerEnd = headerAt === -1 ? -1 : head.indexOf(0x0a, headerAt + 4);
    const header = headerEnd === -1 ? undefined : parseEntryHeader(head.toString('utf8', headerAt + 4, headerEnd));
    if (!header || header.type !== 'TABLE DATA' || header.schema !== table.schema || header.name !== table.name) throw layoutError(table, 'no rows entry for the table');
    const start = headerAt + 1;
    const tailStart = Math.max(start, size - EDGE_BYTES);
    const tail = Buffer.alloc(size - tailStart);
    await file.read(tail, 0, tail.length, tailStart);
    const footerAt = tail.lastIndexOf(FOOTER);
    const copyEnd = footerAt === -1 ? -1 : tail.lastIndexOf(COPY_END, footerAt - COPY_END.length);
    if (copyEnd === -1) throw layoutError(table, 'no end of its rows before the footer');
    const end = copyEnd + COPY_END.length;
    if (!SEQUENCE_SETS_ONLY.test(tail.toString('utf8', end, footerAt))) throw layoutError(table, 'more than the rows and their sequences');
    return { start, end: tailStart + end };
  } finally {
    await file.close();
  }
}

function layoutError(table: { schema: string; name: string }, what: string): PulseError {
  return new PulseError('dump-failed', `the parallel dump of ${table.schema}.${table.name} holds ${what}`, {
    hint: hint`run the backup again${commandLineOnly(hint` with ${option('jobs', '1')}`)}, and report this with the pg_dump version`,
  });
}
