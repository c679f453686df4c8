/**
 * A dump file being written: under a hidden temporary name, hashed as bytes
 * arrive, renamed to its real name only when whole. Small pieces are
 * gathered into large writes (pg_dump's output arrives a few kilobytes at a
 * time), writes run in the background while the next bytes are split, and
 * what is written is flushed to disk every few megabytes so the final flush
 * is short.
 */
import { createHash, type Hash } from 'node:crypto';
import { open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { temporaryPathFor } from './atomicFile';

const BATCH_BYTES = 1024 * 1024;
const FLUSH_EVERY_BYTES = 16 * 1024 * 1024;

export class HashedFileWriter {
  readonly name: string;
  bytes = 0;
  private readonly hash: Hash = createHash('sha256');
  private digest: string | undefined;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private writingBytes = 0;
  private unflushedBytes = 0;
  /** The chain of background writes; a failure stays in it until someone awaits. */
  private writing: Promise<void> = Promise.resolve();
  private failure: Error | undefined;
  private committed = false;
  private closed = false;

  private constructor(
    private readonly finalPath: string,
    private readonly temporaryPath: string,
    private readonly handle: FileHandle,
  ) {
    this.name = basename(finalPath);
  }

  /** `temporaryName` tells two writers of the same final file apart (hidden, and removed if abandoned, like the default). */
  static async create(finalPath: string, temporaryName?: string): Promise<HashedFileWriter> {
    const temporaryPath = temporaryPathFor(temporaryName === undefined ? finalPath : join(dirname(finalPath), temporaryName));
    const handle = await open(temporaryPath, 'wx', 0o600);
    return new HashedFileWriter(finalPath, temporaryPath, handle);
  }

  /** Bytes accepted but not yet on their way to disk or still being written. */
  get queuedBytes(): number {
    return this.pendingBytes + this.writingBytes;
  }

  write(pieces: readonly Buffer[]): void {
    if (this.failure !== undefined) throw this.failure;
    for (const piece of pieces) {
      if (piece.length === 0) continue;
      this.hash.update(piece);
      this.bytes += piece.length;
      this.pending.push(piece);
      this.pendingBytes += piece.length;
    }
    if (this.pendingBytes >= BATCH_BYTES) this.startWrite();
  }

  /**
   * Starts writing whatever is queued, however little; resolves once it (and
   * everything before it) is written, so a caller may then reuse the memory
   * the queued pieces pointed into.
   */
  flush(): Promise<void> {
    this.startWrite();
    return this.caughtUp();
  }

  /** Waits until the background writes have caught up (backpressure). */
  async caughtUp(): Promise<void> {
    await this.writing;
    if (this.failure !== undefined) throw this.failure;
  }

  get sha256(): string {
    return this.digest ?? '';
  }

  /** Writes what is left and makes it durable; the file keeps its temporary name. */
  async finish(): Promise<void> {
    this.startWrite();
    await this.caughtUp();
    this.digest = this.hash.digest('hex');
    await this.handle.datasync();
    await this.close();
  }

  async commit(): Promise<void> {
    await rename(this.temporaryPath, this.finalPath);
    this.committed = true;
  }

  /** Removes every trace: the temporary, and the final file if it was already renamed. */
  async discard(): Promise<void> {
    await this.writing.catch(() => undefined);
    await this.close().catch(() => undefined);
    await unlink(this.temporaryPath).catch(() => undefined);
    if (this.committed) await unlink(this.finalPath).catch(() => undefined);
  }

  private startWrite(): void {
    if (this.pendingBytes === 0) return;
    const batch = this.pending;
    const size = this.pendingBytes;
    this.pending = [];
    this.pendingBytes = 0;
    this.writingBytes += size;
    this.unflushedBytes += size;
    const flush = this.unflushedBytes >= FLUSH_EVERY_BYTES;
    if (flush) this.unflushedBytes = 0;
    this.writing = this.writing
      .then(async () => {
        if (this.failure !== undefined) return;
        await writeWhole(this.handle, batch);
        this.writingBytes -= size;
        if (flush) await this.handle.datasync();
      })
      .catch((error: unknown) => {
        this.failure ??= error instanceof Error ? error : new Error(String(error));
      });
  }

  private async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.handle.close();
  }
}

/** One vectored write for the whole batch: no copying the pieces together. */
async function writeWhole(handle: FileHandle, pieces: Buffer[]): Promise<void> {
  let remaining = pieces;
  while (remaining.length > 0) {
    // A write may take fewer bytes than offered; continue where it stopped.
    const { bytesWritten } = await handle.writev(remaining);
    remaining = dropWritten(remaining, bytesWritten);
  }
}

function dropWritten(pieces: Buffer[], written: number): Buffer[] {
  let skip = written;
  let index = 0;
  while (index < pieces.length && skip >= pieces[index].length) {
    skip -= pieces[index].length;
    index += 1;
  }
  if (index >= pieces.length) return [];
  const rest = pieces.slice(index);
  if (skip > 0) rest[0] = rest[0].subarray(skip);
  return rest;
}
