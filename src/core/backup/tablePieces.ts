/**
 * The extra sessions of a parallel backup: each dumps, with its own pg_dump
 * importing the backup's one exported snapshot, the rows of one big table at
 * a time (`--data-only --table`) into a hidden file beside the set. The main
 * dump's reader pauses where such a table's rows belong (parallel.ts) and
 * the piece's one TABLE DATA entry is streamed in there, so the files come
 * out as a single pg_dump would have written them. pg_dump's preamble and
 * footer around the entry, and the SEQUENCE SET of the table's own
 * sequences (the main dump has those), are left out.
 *
 * A piece is read while its pg_dump still writes it, as the main dump is:
 * when the reader reaches a table whose rows are still being dumped (the
 * biggest table may well come first in pg_dump's order), its rows are split,
 * hashed and written as they come, not after the whole table. The last
 * EDGE_BYTES stay unread until that pg_dump has ended well: only then is it
 * known where the entry ends, and both ends are checked as before.
 */
import { getMaxListeners, setMaxListeners } from 'node:events';
import { open, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { temporaryPathFor } from '../files/atomicFile';
import { onLines } from '../process/lines';
import { startTool, toolStartError, type ToolExit, type ToolProcess } from '../process/toolProcess';
import { redactText } from '../connection/redact';
import { headerName, parseEntryHeader, type EntryHeader } from '../pg/dumpReader';
import { PulseError } from '../errors';
import { commandLineOnly, hint, option } from '../hint';
import { dumpEndMissingError } from './dumpCutShort';
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
  /** Resolves once the piece's file exists (its pg_dump is about to start); rejects if it never will. */
  created: Promise<void>;
  markCreated(): void;
  /** Resolves once its pg_dump has ended well; rejects when it failed or was never run. */
  done: Promise<void>;
  /** How its pg_dump ended, once it has. */
  exit?: ToolExit;
  settle(result: Error | undefined): void;
}

const READ_CHUNK_BYTES = 1024 * 1024;
/** How long to wait for a piece to grow, as the follower of the main dump does (followedFile.ts). */
const GROW_PAUSE_MS = { least: 2, most: 16 };
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
    // Each session's pg_dump listens for the cancel while it runs: at --jobs 10
    // and up, more listeners than the number Node warns about on stderr.
    if (options.signal) setMaxListeners(getMaxListeners(options.signal) + plan.workers.length, options.signal);
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

  /** Streams every piece due where the reader paused, as it is dumped; each file is removed once read. */
  async feedDue(feed: (chunk: Buffer) => Promise<void>): Promise<void> {
    while (this.queue.length > 0 && pieceGoesBefore(this.queue[0].table, this.pausedFor)) {
      const piece = this.queue.shift()!;
      await followPiece(piece, feed).catch((error: unknown) => {
        // A piece whose end is missing after its pg_dump ended well: most often its last write found the disk full.
        throw piece.exit && error instanceof PulseError && error.code === 'dump-failed' ? dumpEndMissingError(this.options.folder, piece.exit, () => error) : error;
      });
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
        await this.dump(piece);
        piece.settle(undefined);
      } catch (error) {
        piece.settle(error instanceof Error ? error : new Error(String(error)));
        if (!this.failure && !this.options.signal?.aborted) {
          this.failure = error instanceof PulseError ? error : new PulseError('dump-failed', `pg_dump failed on ${piece.table.schema}.${piece.table.name}`, { cause: error });
          this.options.onFailure();
        }
      }
    }
  }

  private async dump(piece: Piece): Promise<void> {
    // Created here, private to its owner, before pg_dump writes into it.
    await (await open(piece.path, 'wx', 0o600)).close();
    piece.markCreated();
    const stderr: string[] = [];
    // Its standard output, not --file: pg_dump would truncate the file, and ext4 then writes it out on close (see ToolOptions.stdout).
    const tool = startTool(this.options.pgDump, [...this.options.baseArgs, '--data-only', `--table=${exactTablePattern(piece.table)}`], {
      env: this.options.env,
      stdin: 'ignore',
      stdout: { file: piece.path },
      signal: this.options.signal,
    });
    this.running.add(tool);
    onLines(tool.stderr, (line) => {
      if (line.trim() === '') return;
      if (stderr.length < 500) stderr.push(redactText(line));
      if (this.options.warnings.length < 500) this.options.warnings.push(redactText(line));
    });
    const exit = await tool.exited;
    piece.exit = exit;
    this.running.delete(tool);
    if (exit.startError) throw toolStartError(exit.startError, this.options.pgDump);
    if (exit.exitCode !== 0) throw await this.options.describeFailure(stderr, exit);
  }
}

/**
 * Streams a piece's TABLE DATA entry while its pg_dump writes it: from the
 * entry's header on, all but the last EDGE_BYTES as they arrive; the rest
 * once that pg_dump has ended well and entryRange has checked both ends.
 * A failed pg_dump fails this too (the backup then keeps nothing).
 */
async function followPiece(piece: Piece, feed: (chunk: Buffer) => Promise<void>): Promise<void> {
  let ended: 'well' | 'failed' | undefined;
  const end = piece.done.then(
    () => {
      ended = 'well';
    },
    () => {
      ended = 'failed';
    },
  );
  // Its file exists once its session has come to it (or never, if the backup fails first).
  await Promise.race([piece.created, end]);
  if (ended === 'failed') await piece.done;
  const file = await open(piece.path, 'r');
  try {
    const buffer = Buffer.allocUnsafe(READ_CHUNK_BYTES);
    let start: number | undefined;
    let position = 0;
    let pause = GROW_PAUSE_MS.least;
    // Until its pg_dump is seen ending; the file then holds all it ever will.
    while (ended === undefined) {
      const size = (await file.stat()).size;
      start ??= await entryStart(file, size, piece.table);
      const safeEnd = size - EDGE_BYTES;
      if (start !== undefined && safeEnd - Math.max(position, start) >= READ_CHUNK_BYTES / 4) {
        position = await streamRange(file, buffer, Math.max(position, start), safeEnd, feed);
        pause = GROW_PAUSE_MS.least;
        continue;
      }
      await Promise.race([sleep(pause), end]);
      pause = Math.min(pause * 2, GROW_PAUSE_MS.most);
    }
    await piece.done;
    const range = await entryRange(piece.path, piece.table);
    if (start !== undefined && start !== range.start) throw layoutError(piece.table, 'a rows entry that moved');
    await streamRange(file, buffer, Math.max(position, range.start), range.end, feed);
  } finally {
    await file.close();
  }
}

/** Feeds `file[from, to)` in chunks of the buffer (each fed chunk written before the buffer is read into again); returns `to`. */
async function streamRange(file: FileHandle, buffer: Buffer, from: number, to: number, feed: (chunk: Buffer) => Promise<void>): Promise<number> {
  let position = from;
  while (position < to) {
    const { bytesRead } = await file.read(buffer, 0, Math.min(buffer.length, to - position), position);
    if (bytesRead === 0) throw new PulseError('dump-failed', 'a parallel dump file ended before its rows did', { hint: 'run the backup again' });
    await feed(buffer.subarray(0, bytesRead));
    position += bytesRead;
  }
  return position;
}

/**
 * Where the piece's TABLE DATA entry starts (its header's first line), once
 * pg_dump has written that far; undefined while the header is still to come.
 */
async function entryStart(file: FileHandle, size: number, table: { schema: string; name: string }): Promise<number | undefined> {
  const head = Buffer.alloc(Math.min(size, EDGE_BYTES));
  const { bytesRead } = await file.read(head, 0, head.length, 0);
  const headerAt = head.subarray(0, bytesRead).indexOf(ENTRY_START);
  const headerEnd = headerAt === -1 ? -1 : head.subarray(0, bytesRead).indexOf(0x0a, headerAt + 4);
  if (headerEnd === -1) {
    if (bytesRead >= EDGE_BYTES) throw layoutError(table, 'no rows entry for the table');
    return undefined;
  }
  const header = parseEntryHeader(head.toString('utf8', headerAt + 4, headerEnd));
  if (!header || header.type !== 'TABLE DATA' || header.schema !== headerName(table.schema) || header.name !== headerName(table.name))
    throw layoutError(table, 'no rows entry for the table');
  return headerAt + 1;
}

function newPiece(table: TableDataSize, path: string): Piece {
  let settled = false;
  let resolve!: () => void;
  let reject!: (error: Error) => void;
  const done = new Promise<void>((yes, no) => {
    resolve = yes;
    reject = no;
  });
  let markCreated!: () => void;
  let neverCreated!: (error: Error) => void;
  const created = new Promise<void>((yes, no) => {
    markCreated = yes;
    neverCreated = no;
  });
  // A piece nobody waits for (the backup failed first) must not be an unhandled rejection.
  done.catch(() => undefined);
  created.catch(() => undefined);
  return {
    table,
    path,
    created,
    markCreated,
    done,
    settle: (error) => {
      if (settled) return;
      settled = true;
      if (error) {
        neverCreated(error);
        reject(error);
      } else resolve();
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
    if (!header || header.type !== 'TABLE DATA' || header.schema !== headerName(table.schema) || header.name !== headerName(table.name))
      throw layoutError(table, 'no rows entry for the table');
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
