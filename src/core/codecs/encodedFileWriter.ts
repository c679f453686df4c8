/**
 * A dump file written through its codecs (encrypted): the plain pieces go
 * into the encoders, what comes out is hashed and written as
 * HashedFileWriter writes (hidden until whole, renamed into place), so the
 * manifest's sha256 and size are those of the file as stored. The plain
 * bytes never touch the disk.
 */
import type { Duplex } from 'node:stream';
import { HashedFileWriter } from '../files/hashedFileWriter';
import type { FileCodec } from '../sets/naming';
import { loadCodec, type SetEncoding } from './codecs';

/** What a backup needs of a file it writes, plain or encoded. */
export type SetFileWriter = Pick<HashedFileWriter, 'name' | 'bytes' | 'sha256' | 'write' | 'flush' | 'finish' | 'commit' | 'discard'>;

export async function createSetFileWriter(finalPath: string, codecs: readonly FileCodec[], encoding: SetEncoding, temporaryName?: string): Promise<SetFileWriter> {
  if (codecs.length === 0) return HashedFileWriter.create(finalPath, temporaryName);
  const encoders: Duplex[] = [];
  try {
    for (const codec of codecs) encoders.push(await (await loadCodec(codec)).encoder(encoding));
    const file = await HashedFileWriter.create(finalPath, temporaryName);
    return new EncodedFileWriter(file, encoders);
  } catch (error) {
    // An encoder may be a child process (zstd): none is left waiting for input that never comes.
    for (const encoder of encoders) encoder.destroy();
    throw error;
  }
}

class EncodedFileWriter implements SetFileWriter {
  private readonly first: Duplex;
  private readonly last: Duplex;
  private failure: Error | undefined;
  private ended: Promise<void>;

  constructor(
    private readonly file: HashedFileWriter,
    encoders: Duplex[],
  ) {
    this.first = encoders[0];
    this.last = encoders[encoders.length - 1];
    for (let index = 1; index < encoders.length; index++) encoders[index - 1].pipe(encoders[index]);
    for (const encoder of encoders) encoder.on('error', (error: Error) => (this.failure ??= error));
    // The encoders' output is hashed and queued for the disk as it comes.
    this.last.on('data', (chunk: Buffer) => {
      try {
        this.file.write([chunk]);
      } catch (error) {
        this.failure ??= error as Error;
      }
    });
    // Any encoder's failure ends the file, not the last one's only: a pipe
    // does not pass an error on, so the encoders after one that failed (a
    // zstd killed before age) would never end, and finish() never return.
    this.ended = new Promise((resolve, reject) => {
      this.last.once('end', resolve);
      for (const encoder of encoders) encoder.once('error', reject);
    });
    this.ended.catch(() => undefined);
  }

  get name(): string {
    return this.file.name;
  }

  get bytes(): number {
    return this.file.bytes;
  }

  get sha256(): string {
    return this.file.sha256;
  }

  private pendingWrite: Promise<void> = Promise.resolve();

  write(pieces: readonly Buffer[]): void {
    if (this.failure) throw this.failure;
    const bytes = pieces.reduce((sum, piece) => sum + piece.length, 0);
    if (bytes === 0) return;
    // One copy of the pieces (cheap beside encrypting them): the caller may reuse their memory at once.
    const joined = Buffer.concat(pieces, bytes);
    this.pendingWrite = new Promise((resolve) => this.first.write(joined, () => resolve()));
  }

  /** Resolves once the encoders took every piece written and the disk caught up (backpressure). */
  async flush(): Promise<void> {
    await this.pendingWrite;
    if (this.failure) throw this.failure;
    await this.file.flush();
  }

  async finish(): Promise<void> {
    await this.pendingWrite;
    this.first.end();
    await this.ended;
    if (this.failure) throw this.failure;
    await this.file.finish();
  }

  commit(): Promise<void> {
    return this.file.commit();
  }

  async discard(): Promise<void> {
    this.first.destroy();
    if (this.last !== this.first) this.last.destroy();
    await this.file.discard();
  }
}
