/**
 * A gzip set's three files compressed together, each byte of the dump once.
 *
 * The complete file holds the schema file's statements and the data file's
 * rows again, so compressing each file on its own compresses the dump twice.
 * A gzip file may be several gzip members one after the other (RFC 1952;
 * `gunzip`, `zcat` and Node's zlib read them as one stream), so a run of
 * bytes that two files share is compressed once, as one member, and that
 * member is written into both. Each file's bytes stay exactly its own, in
 * its own order; only the way they are cut into members changes.
 *
 * The pieces the dump reader returns point into pg_dump's chunk where they
 * are the chunk's own bytes: a piece of the schema or data file that is a
 * view of the chunk is the same bytes as that stretch of the complete file.
 * Anything else (a preamble, a rewritten line, a line carried over from the
 * last chunk) goes, compressed, only into the file it belongs to.
 */
import { gzip, type ZlibOptions } from 'node:zlib';
import type { SetFileWriter } from './encodedFileWriter';
import { DEFAULT_GZIP_LEVEL } from './gzipCodec';
import type { SetEncoding } from './types';

/** The three files, in this order: index i is bit 1 << i. */
export type MemberFiles = readonly [schema: SetFileWriter, data: SetFileWriter, complete: SetFileWriter];

/** Each file's pieces of one chunk, in the files' order (schema, data, complete). */
export type MemberPieces = readonly [schema: readonly Buffer[], data: readonly Buffer[], complete: readonly Buffer[]];

/** A member is cut at this size: large enough that the cuts cost no size that shows, small enough to keep both cores busy. */
const MEMBER_BYTES = 1024 * 1024;
/** Raw bytes handed to the thread pool and not yet in every file: beyond this, `flush` waits. */
const IN_FLIGHT_BYTES = 4 * MEMBER_BYTES;
const FIRST_RUN_BYTES = 64 * 1024;
/** A stretch two files hold is compressed once when it is at least this long; shorter ones (a statement) compress better inside each file's own member. */
const SHARE_AT_LEAST = 16 * 1024;

function compress(input: Buffer, options: ZlibOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => gzip(input, options, (error, output) => (error ? reject(error) : resolve(output))));
}

/** Where a piece lies in the chunk, or undefined when it is not the chunk's own memory. */
function offsetIn(chunk: Buffer, piece: Buffer): number | undefined {
  if (piece.buffer !== chunk.buffer) return undefined;
  const start = piece.byteOffset - chunk.byteOffset;
  return start >= 0 && start + piece.length <= chunk.length ? start : undefined;
}

type Item = { start: number; end: number } | { own: Buffer };

/** Bytes gathered for one member, going to the files in `files` (a bit per file). */
class Run {
  private buffer = Buffer.allocUnsafe(FIRST_RUN_BYTES);
  bytes = 0;

  constructor(public files: number) {}

  get room(): number {
    return MEMBER_BYTES - this.bytes;
  }

  /** Copies `bytes[from, to)` in (the caller reuses its memory); the caller keeps within `room`. */
  append(bytes: Buffer, from: number, to: number): void {
    const needed = this.bytes + to - from;
    if (needed > this.buffer.length) {
      const grown = Buffer.allocUnsafe(Math.min(MEMBER_BYTES, Math.max(this.buffer.length * 2, needed)));
      this.buffer.copy(grown, 0, 0, this.bytes);
      this.buffer = grown;
    }
    bytes.copy(this.buffer, this.bytes, from, to);
    this.bytes = needed;
  }

  /** What was gathered; the run starts empty again, on a new buffer (the old one goes to the thread pool). */
  take(): Buffer {
    const taken = this.buffer.subarray(0, this.bytes);
    this.buffer = Buffer.allocUnsafe(FIRST_RUN_BYTES);
    this.bytes = 0;
    return taken;
  }
}

export class GzipMembers {
  /** Each file's bytes that no other file shares (or too few to be worth a member of their own). */
  private readonly own: Run[];
  /** Bytes that several files hold, compressed once for all of them. */
  private shared = new Run(0);
  private readonly chains: Promise<void>[];
  private inFlightBytes = 0;
  /** Plain bytes compressed so far: about the complete file's size, not the three files' sum. */
  compressedBytes = 0;
  private failure: Error | undefined;
  private readonly options: ZlibOptions;

  constructor(
    private readonly files: MemberFiles,
    level: number,
  ) {
    this.options = { level };
    this.chains = files.map(() => Promise.resolve());
    this.own = files.map((_, file) => new Run(1 << file));
  }

  /**
   * Takes one chunk's pieces for the three files (the chunk itself may be
   * reused once this returns: what is kept is copied). `chunk` is undefined
   * for pieces that are not a chunk's, as the reader's last ones.
   */
  push(chunk: Buffer | undefined, pieces: MemberPieces): void {
    if (this.failure) throw this.failure;
    const lists = pieces.map((list) => this.items(chunk, list));
    if (!chunk || lists.some((list) => list === undefined)) {
      // Not views of the chunk in order: each file's pieces on their own.
      pieces.forEach((list, file) => list.forEach((piece) => this.add(piece, 1 << file)));
      return;
    }
    this.sweep(chunk, lists as Item[][]);
  }

  /** Resolves once what is in flight is within bounds, so memory stays bounded whatever the dump's size. */
  async flush(): Promise<void> {
    if (this.inFlightBytes > IN_FLIGHT_BYTES) await Promise.all(this.chains);
    if (this.failure) throw this.failure;
    await Promise.all(this.files.map((file) => file.flush()));
  }

  /** Compresses what is left and waits until every member is in its files (the files themselves are finished by their owner). */
  async finish(): Promise<void> {
    this.close(this.shared);
    for (const run of this.own) this.close(run);
    await Promise.all(this.chains);
    if (this.failure) throw this.failure;
  }

  /** The list's pieces as stretches of the chunk and own bytes, or undefined when its views are not in order. */
  private items(chunk: Buffer | undefined, list: readonly Buffer[]): Item[] | undefined {
    const items: Item[] = [];
    let end = 0;
    for (const piece of list) {
      if (piece.length === 0) continue;
      const start = chunk ? offsetIn(chunk, piece) : undefined;
      if (start === undefined) {
        items.push({ own: piece });
        continue;
      }
      if (start < end) return undefined;
      end = start + piece.length;
      items.push({ start, end });
    }
    return items;
  }

  /**
   * Walks the chunk from its start: each stretch goes to the files whose
   * pieces cover it; a file's own bytes go at their place among its pieces.
   */
  private sweep(chunk: Buffer, lists: Item[][]): void {
    const next = lists.map(() => 0);
    let position = 0;
    for (;;) {
      lists.forEach((list, file) => {
        for (let item = list[next[file]]; item !== undefined && 'own' in item; item = list[++next[file]]) this.add(item.own, 1 << file);
      });
      let files = 0;
      let until = Infinity;
      let firstStart = Infinity;
      lists.forEach((list, file) => {
        const item = list[next[file]] as { start: number; end: number } | undefined;
        if (!item) return;
        firstStart = Math.min(firstStart, item.start);
        if (item.start <= position) {
          files |= 1 << file;
          until = Math.min(until, item.end);
        } else until = Math.min(until, item.start);
      });
      if (firstStart === Infinity) return;
      if (files === 0) {
        position = firstStart;
        continue;
      }
      this.add(chunk.subarray(position, until), files);
      position = until;
      lists.forEach((list, file) => {
        const item = list[next[file]] as { start: number; end: number } | undefined;
        if (item && item.end === position) next[file]++;
      });
    }
  }

  /**
   * Bytes for the files in `files` (a bit per file). A long stretch several
   * files hold goes into the shared run; anything else into each file's own
   * run. A file's runs are closed in the order its bytes came, so each file
   * gets its members in order.
   */
  private add(bytes: Buffer, files: number): void {
    const shareable = (files & (files - 1)) !== 0 && ((this.shared.bytes > 0 && this.shared.files === files) || bytes.length >= SHARE_AT_LEAST);
    if (shareable) {
      if (this.shared.files !== files) {
        this.close(this.shared);
        this.shared.files = files;
      }
      this.files.forEach((_, file) => {
        if (files & (1 << file)) this.close(this.own[file]);
      });
      this.fill(this.shared, bytes);
      return;
    }
    if (this.shared.files & files) this.close(this.shared);
    this.files.forEach((_, file) => {
      if (files & (1 << file)) this.fill(this.own[file], bytes);
    });
  }

  /** Copies the bytes into the run, closing it into a member each time it is full. */
  private fill(run: Run, bytes: Buffer): void {
    for (let offset = 0; offset < bytes.length;) {
      if (run.room === 0) this.close(run);
      const take = Math.min(run.room, bytes.length - offset);
      run.append(bytes, offset, offset + take);
      offset += take;
    }
  }

  /** The run becomes one member, compressed on the thread pool and queued, in order, into each of its files. */
  private close(run: Run): void {
    if (run.bytes === 0) return;
    const bytes = run.bytes;
    const files = run.files;
    const member = compress(run.take(), this.options);
    member.catch(() => undefined);
    this.inFlightBytes += bytes;
    this.compressedBytes += bytes;
    let waiting = 0;
    this.files.forEach((file, index) => {
      if ((files & (1 << index)) === 0) return;
      waiting++;
      this.chains[index] = this.chains[index]
        .then(async () => file.write([await member]))
        .catch((error: Error) => {
          this.failure ??= error;
        })
        .finally(() => {
          if (--waiting === 0) this.inFlightBytes -= bytes;
        });
    });
  }
}

/** The members of a new gzip set's three files, at the set's level (the codec's measured default otherwise). */
export function gzipMembers(files: MemberFiles, encoding: SetEncoding): GzipMembers {
  return new GzipMembers(files, encoding.compression?.level ?? DEFAULT_GZIP_LEVEL);
}
