/**
 * One object up or down, streaming, its SHA-256 checked on the way.
 *
 * Up: the file is read through a hash into the SDK's multipart `Upload`,
 * which holds at most `queueSize` parts of `partSize` bytes in flight plus
 * the one being filled: 2 × 5 MiB whatever the file's size, up to 48 GiB
 * (10,000 parts); a larger file gets parts of size/10,000, rounded up to a
 * MiB. 5 MiB is S3's smallest part and the SDK's own default: on the
 * benchmark's 106 MB set, 8 MiB parts took push to 160 MB of peak memory
 * and 5 MiB parts to about 140 MB, at the same speed (the SDK itself, its
 * chunker's copies and the garbage they leave are most of it). Two parts
 * in flight keep a link busy while one waits for its answer: measured on
 * that set, four took push to 157 MB at 1.05× the SDK's own upload of the
 * same bytes, two to 141 MB at 1.11× (npm run bench's push section). The hash is compared with the manifest's when the file has been
 * read, before the upload is completed: a file that changed on disk fails
 * its upload, which is then aborted, so no object with other bytes is ever
 * complete under the name. Each object also carries its SHA-256 as
 * metadata, checked with a HEAD once it is written.
 *
 * Down: the object is streamed into a hidden file of the backups folder
 * (files/hashedFileWriter.ts), hashed as it arrives, and compared with the
 * manifest's checksum before it can be renamed into place.
 */
import { createReadStream } from 'node:fs';
import { createHash } from 'node:crypto';
import { Transform, type Duplex, type TransformCallback } from 'node:stream';
import { PulseError, isLocalWriteFailure } from '../errors';
import { HashedFileWriter } from '../files/hashedFileWriter';
import type { Remote } from './client';

export const PART_SIZE = 5 * 1024 * 1024;
export const QUEUE_SIZE = 2;
const MAX_PARTS = 10_000;
const MIB = 1024 * 1024;

/** The part size for a file: 5 MiB, or larger where 10,000 parts of 5 MiB would not hold it. */
export function partSizeFor(bytes: number): number {
  return Math.max(PART_SIZE, Math.ceil(bytes / MAX_PARTS / MIB) * MIB);
}

/** The metadata key (x-amz-meta-sha256) that holds an object's SHA-256. */
export const SHA256_METADATA = 'sha256';

export interface ObjectToUpload {
  key: string;
  path: string;
  /** The local file's size and SHA-256, as its manifest says. */
  bytes: number;
  sha256: string;
  /** Turns the file into what is stored (age encryption); absent: stored as it is. */
  encoder?: Duplex;
  /** Bytes read of the file so far. */
  onBytes?: (sent: number) => void;
  signal?: AbortSignal;
}

/** What an object holds as stored. */
export interface StoredObject {
  bytes: number;
  sha256: string;
}

/**
 * The upload was aborted under this push: by another push of the same set
 * to the same place, which aborts the set's pending uploads when it starts
 * (a push that died left them). That push goes on; this one stops and
 * removes nothing, since the objects there are now the other's.
 */
export class UploadTakenOver extends PulseError {}

function uploadTakenOver(remote: Remote, key: string): UploadTakenOver {
  return new UploadTakenOver(
    'offsite-set-conflict',
    `the upload of s3://${remote.location.bucket}/${key} was aborted by another push of the same set to the same place, started meanwhile (or, an upload over a day old, by a prune of the remote)`,
    {
      hint: 'a push that took over goes on, and this one left what it had sent to it: once it has finished, list the remote, and push again if the copy is not listed as good',
    },
  );
}

export async function uploadFile(remote: Remote, file: ObjectToUpload): Promise<StoredObject> {
  const plain = new HashingStream(file.sha256, file.bytes, () =>
    checksumMismatch(`the file ${file.path} no longer matches its manifest`, 'it changed since the backup; push another set, or run verify on this one'),
  );
  const source = createReadStream(file.path, { highWaterMark: MIB });
  const stages: Duplex[] = [plain, ...(file.encoder ? [file.encoder, new HashingStream()] : [])];
  stages.forEach((stage, index) => {
    const before: NodeJS.ReadableStream = index === 0 ? source : stages[index - 1];
    before.on('error', (error: Error) => stage.destroy(error));
    before.pipe(stage);
  });
  source.on('data', () => file.onBytes?.(source.bytesRead));
  const stored = stages[stages.length - 1] as HashingStream;
  const controller = new AbortController();
  const onAbort = () => controller.abort();
  file.signal?.addEventListener('abort', onAbort, { once: true });
  const upload = new remote.sdk.Upload({
    client: remote.s3,
    params: {
      Bucket: remote.location.bucket,
      Key: file.key,
      Body: stored,
      // Stored as it is, the size and checksum are known before the upload; encrypted, once it is read.
      ...(file.encoder ? {} : { ContentLength: file.bytes, Metadata: { [SHA256_METADATA]: file.sha256 } }),
      ContentType: 'application/octet-stream',
    },
    partSize: partSizeFor(file.bytes),
    queueSize: QUEUE_SIZE,
    leavePartsOnError: false,
    abortController: controller,
  });
  try {
    await upload.done();
  } catch (error) {
    source.destroy();
    if (plain.failure) throw plain.failure;
    if ((error as { name?: string }).name === 'NoSuchUpload' && !file.signal?.aborted) throw uploadTakenOver(remote, file.key);
    throw remote.failure(error, file.key);
  } finally {
    file.signal?.removeEventListener('abort', onAbort);
  }
  const result = stored.result();
  const head = await remote.s3.send(new remote.sdk.HeadObjectCommand({ Bucket: remote.location.bucket, Key: file.key })).catch((error: unknown) => {
    throw remote.failure(error, file.key);
  });
  const metadata = head.Metadata?.[SHA256_METADATA];
  if (head.ContentLength !== result.bytes || (metadata !== undefined && metadata !== result.sha256)) {
    throw checksumMismatch(
      `s3://${remote.location.bucket}/${file.key} holds ${head.ContentLength ?? '?'} bytes after the upload, not the ${result.bytes} sent`,
      'run the push again',
    );
  }
  return result;
}

export interface ObjectToDownload {
  key: string;
  /** Where the file goes once whole; it is written hidden beside it until then. */
  path: string;
  /** The object as stored, as the remote manifest says. */
  bytes: number;
  sha256: string;
  /** Turns what is stored back into the set's file (age decryption), which must then have `plain`'s size and SHA-256. */
  decoder?: { transform: Duplex; plain: StoredObject };
  onBytes?: (received: number) => void;
  signal?: AbortSignal;
}

export const damagedCopy = (why?: string) => `the remote copy is damaged${why ? ` (${why})` : ''}: pull another set, or push this one again from a machine that has it`;

/** Downloads into a hidden file, checked; the caller commits (renames) it or discards it. */
export async function downloadFile(remote: Remote, file: ObjectToDownload): Promise<HashedFileWriter> {
  const writer = await HashedFileWriter.create(file.path);
  const where = `s3://${remote.location.bucket}/${file.key}`;
  try {
    const answer = await remote.s3
      .send(new remote.sdk.GetObjectCommand({ Bucket: remote.location.bucket, Key: file.key }), { abortSignal: file.signal })
      .catch((error: unknown) => {
        // The manifest names it and it is not there: running the pull again cannot help.
        if ((error as { name?: string }).name === 'NoSuchKey') throw checksumMismatch(`${where} is missing, though the remote manifest names it`, damagedCopy('object missing'));
        throw error;
      });
    const body = answer.Body as NodeJS.ReadableStream | undefined;
    if (!body) throw new PulseError('offsite-failed', `${remote.url()} sent no content for ${file.key}`, { hint: 'run the pull again' });
    const stored: HashingStream = new HashingStream(file.sha256, file.bytes, (): PulseError =>
      checksumMismatch(
        `${where} does not match its manifest (${stored.result().bytes === file.bytes ? 'its SHA-256 differs' : `${stored.result().bytes} bytes, not ${file.bytes}`})`,
        damagedCopy(),
      ),
    );
    let received = 0;
    const output: NodeJS.ReadableStream = file.decoder ? stored.pipe(file.decoder.transform) : stored;
    (body as NodeJS.ReadableStream & { on(event: 'error', listener: (error: Error) => void): unknown }).on('error', (error: Error) => stored.destroy(error));
    stored.on('error', (error) => file.decoder?.transform.destroy(error));
    body.on('data', (chunk: Buffer) => file.onBytes?.((received += chunk.length)));
    body.pipe(stored);
    try {
      for await (const chunk of output as AsyncIterable<Buffer>) {
        writer.write([chunk]);
        if (writer.queuedBytes > 8 * MIB) await writer.caughtUp();
      }
    } catch (error) {
      if (file.signal?.aborted) throw error;
      if (stored.failure) throw stored.failure;
      if (error instanceof PulseError || isLocalWriteFailure(error)) throw error;
      throw remote.failure(error, file.key);
    }
    if (stored.failure) throw stored.failure;
    await writer.finish();
    const expected = file.decoder?.plain ?? { bytes: file.bytes, sha256: file.sha256 };
    if (writer.bytes !== expected.bytes || writer.sha256 !== expected.sha256) {
      throw checksumMismatch(
        `${where} does not match its manifest (${writer.bytes === expected.bytes ? 'its SHA-256 differs' : `${writer.bytes} bytes, not ${expected.bytes}`})`,
        damagedCopy(),
      );
    }
    return writer;
  } catch (error) {
    await writer.discard();
    // This disk's refusal is the caller's to word: the storage answered well.
    if (error instanceof PulseError || isLocalWriteFailure(error)) throw error;
    throw remote.failure(error, file.key);
  }
}

export function checksumMismatch(message: string, advice: string): PulseError {
  return new PulseError('offsite-checksum-mismatch', message, { hint: advice });
}

/** Passes bytes through, hashing and counting them; at the end, fails unless they are the expected ones (when there are any). */
class HashingStream extends Transform {
  private readonly hash = createHash('sha256');
  private bytes = 0;
  private digest: string | undefined;
  failure: PulseError | undefined;

  constructor(
    private readonly expectedSha256?: string,
    private readonly expectedBytes?: number,
    private readonly mismatch?: () => PulseError,
  ) {
    super();
  }

  /** What passed through: the SHA-256 once it has all passed. */
  result(): StoredObject {
    return { bytes: this.bytes, sha256: this.digest ?? '' };
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    this.digest = this.hash.digest('hex');
    if (this.mismatch === undefined || (this.bytes === this.expectedBytes && this.digest === this.expectedSha256)) {
      callback();
      return;
    }
    this.failure = this.mismatch();
    callback(this.failure);
  }
}
