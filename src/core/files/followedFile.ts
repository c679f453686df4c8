/**
 * The complete dump file, written by pg_dump itself (its standard output
 * goes to it) under a hidden temporary name and read back while it grows:
 * the bytes go from pg_dump straight to the page cache, and this process
 * reads them in large chunks to hash them and split off the schema and data
 * files. That is cheaper than piping every byte through this process and
 * writing it out again.
 */
import { createHash, type Hash } from 'node:crypto';
import { open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { basename } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { temporaryPathFor } from './atomicFile';

const READ_CHUNK_BYTES = 1024 * 1024;
/** Ask the kernel to write out what pg_dump wrote every so often, so the final flush is short. */
const FLUSH_EVERY_BYTES = 16 * 1024 * 1024;
/**
 * How long to wait for more bytes when the reader has caught up with pg_dump:
 * the least at first, doubled while reads stay short, back to the least after
 * a long one. A dump of thousands of small tables trickles out of pg_dump for
 * seconds, and reading it every 2 ms cost more than splitting it.
 */
const CATCH_UP_PAUSE_MS = { least: 2, most: 16 };

export class FollowedFile {
  readonly name: string;
  readonly temporaryPath: string;
  bytes = 0;
  private readonly hash: Hash = createHash('sha256');
  private digest: string | undefined;
  private reader: FileHandle | undefined;
  private committed = false;
  private flushedUpTo = 0;
  private backgroundFlush: Promise<void> = Promise.resolve();
  private sourceOnly = false;

  private constructor(private readonly finalPath: string) {
    this.name = basename(finalPath);
    this.temporaryPath = temporaryPathFor(finalPath);
  }

  /** Creates the hidden file (0600, never an existing one) for the writer to fill. */
  static async create(finalPath: string): Promise<FollowedFile> {
    const file = new FollowedFile(finalPath);
    const created = await open(file.temporaryPath, 'wx', 0o600);
    await created.close();
    file.reader = await open(file.temporaryPath, 'r');
    return file;
  }

  /**
   * The file will only be read, then discarded: the set's complete file is
   * written from the filtered stream instead (a profile that leaves entries
   * out, a parallel set). It is then neither hashed nor flushed, so what the
   * kernel has not written out by the time it is removed never reaches the
   * disk. Call before follow().
   */
  readAsSourceOnly(): void {
    this.sourceOnly = true;
  }

  /**
   * Reads the file as the writer appends to it, until the writer has finished
   * and every byte has been read. `writerDone` must turn true only once the
   * writer has exited; bytes written before that are never missed, because
   * the last read happens after it was seen done.
   */
  async follow(writerDone: () => boolean, onChunk: (chunk: Buffer) => Promise<void>, writerExit?: Promise<unknown>): Promise<void> {
    const reader = this.reader!;
    // Two buffers, used in turn: a fresh megabyte per read made the garbage
    // collector and page faults cost more than the reading. `onChunk` resolves
    // when nothing refers to the chunk any more, so its buffer is free the
    // time after next.
    const buffers = [Buffer.allocUnsafeSlow(READ_CHUNK_BYTES), Buffer.allocUnsafeSlow(READ_CHUNK_BYTES)];
    const released: Promise<void>[] = [Promise.resolve(), Promise.resolve()];
    let turn = 0;
    let caughtUp = false;
    let pause = CATCH_UP_PAUSE_MS.least;
    let flushingWhole = false;
    for (;;) {
      // Reading just behind pg_dump would take its bytes a few kilobytes at a
      // time: every read, hash update and write has its own cost and wakes a
      // thread. After a short read, wait for a larger piece to build up.
      // The writer's exit ends the wait at once: the rest is read without delay.
      if (caughtUp && !writerDone()) await (writerExit ? Promise.race([sleep(pause), writerExit]) : sleep(pause));
      const doneBeforeRead = writerDone();
      if (doneBeforeRead && !flushingWhole && !this.sourceOnly) {
        // The file is whole: the disk starts on it while the rest is split, so finish() waits less.
        flushingWhole = true;
        this.backgroundFlush = this.backgroundFlush.then(() => reader.datasync()).catch(() => undefined);
      }
      await released[turn];
      const buffer = buffers[turn];
      const { bytesRead } = await reader.read(buffer, 0, buffer.length, this.bytes);
      caughtUp = bytesRead < buffer.length / 2;
      pause = caughtUp ? Math.min(pause * 2, CATCH_UP_PAUSE_MS.most) : CATCH_UP_PAUSE_MS.least;
      if (bytesRead === 0) {
        if (doneBeforeRead) {
          await Promise.all(released);
          return;
        }
        continue;
      }
      const chunk = buffer.subarray(0, bytesRead);
      if (!this.sourceOnly) this.hash.update(chunk);
      this.bytes += bytesRead;
      if (!this.sourceOnly && this.bytes - this.flushedUpTo >= FLUSH_EVERY_BYTES) {
        this.flushedUpTo = this.bytes;
        // Not awaited: the disk catches up while reading goes on; finish() waits for it.
        this.backgroundFlush = this.backgroundFlush.then(() => reader.datasync()).catch(() => undefined);
      }
      released[turn] = onChunk(chunk);
      // A failure while the other buffer is read is reported when it is awaited.
      released[turn].catch(() => undefined);
      turn = 1 - turn;
    }
  }

  get sha256(): string {
    return this.digest ?? '';
  }

  /** Makes the file durable; pg_dump does not flush what it writes. */
  async finish(): Promise<void> {
    if (this.sourceOnly) throw new Error('a file read as a source only is discarded, never finished');
    this.digest = this.hash.digest('hex');
    await this.backgroundFlush;
    const handle = await open(this.temporaryPath, 'r+');
    try {
      await handle.datasync();
    } finally {
      await handle.close();
    }
    await this.closeReader();
  }

  async commit(): Promise<void> {
    await rename(this.temporaryPath, this.finalPath);
    this.committed = true;
  }

  async discard(): Promise<void> {
    await this.backgroundFlush;
    await this.closeReader().catch(() => undefined);
    await unlink(this.temporaryPath).catch(() => undefined);
    if (this.committed) await unlink(this.finalPath).catch(() => undefined);
  }

  private async closeReader(): Promise<void> {
    const reader = this.reader;
    this.reader = undefined;
    await reader?.close();
  }
}
