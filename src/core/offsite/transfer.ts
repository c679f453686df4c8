/**
 * One object up or down, streaming, its SHA-256 checked on the way.
 *
 * Up: the file is read through a hash into the SDK's multipart `Upload`,
 * which holds at most `queueSize` parts of `partSize` bytes (plus the one
 * being filled): 4 × 8 MiB, some 40 MB whatever the file's size, up to
 * 80 GB (10,000 parts); a larger file gets parts of size/10,000, rounded up
 * to a MiB. 8 MiB parts keep the requests few (13 for 100 MB) while a lost
 * part costs little to send again, and four in flight keep a link busy
 * while one part waits for its answer (npm run bench's push section holds
 * it to the SDK's own upload of the same bytes). The hash is compared with
 * the manifest's when the file has been read, before the upload is
 * completed: a file that changed on disk fails its upload, which is then
 * aborted, so no object with other bytes is ever complete under the name.
 * Each object also carries its SHA-256 as metadata, checked with a HEAD
 * once it is written.
 *
 * Down: the object is streamed into a hidden file of the backups folder
 * (files/hashedFileWriter.ts), hashed as it arrives, and compared with the
 * manifest's checksum before it can be renamed into place.
 */
import { createReadStream } from 'node:fs';
import { createHash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { PulseError } from '../errors';
import { HashedFileWriter } from '../files/hashedFileWriter';
import type { Remote } from './client';

export const PART_SIZE = 8 * 1024 * 1024;
export const QUEUE_SIZE = 4;
const MAX_PARTS = 10_000;
const MIB = 1024 * 1024;

/** The part size for a file: 8 MiB, or larger where 10,000 parts of 8 MiB would not hold it. */
export function partSizeFor(bytes: number): number {
  return Math.max(PART_SIZE, Math.ceil(bytes / MAX_PARTS / MIB) * MIB);
}

/** The metadata key (x-amz-meta-sha256) that holds an object's SHA-256. */
export const SHA256_METADATA = 'sha256';

export interface ObjectToUpload {
  key: string;
  path: string;
  bytes: number;
  sha256: string;
  /** Bytes sent so far of this file. */
  onBytes?: (sent: number) => void;
  signal?: AbortSignal;
}

export async function uploadFile(remote: Remote, file: ObjectToUpload): Promise<void> {
  const hashed = new HashingStream(file.sha256, file.bytes, () =>
    checksumMismatch(`the file ${file.path} no longer matches its manifest`, 'it changed since the backup; push another set, or run verify on this one'),
  );
  const source = createReadStream(file.path, { highWaterMark: MIB });
  source.on('error', (error) => hashed.destroy(error));
  source.pipe(hashed);
  const controller = new AbortController();
  const onAbort = () => controller.abort();
  file.signal?.addEventListener('abort', onAbort, { once: true });
  const upload = new remote.sdk.Upload({
    client: remote.s3,
    params: {
      Bucket: remote.location.bucket,
      Key: file.key,
      Body: hashed,
      ContentLength: file.bytes,
      ContentType: 'application/octet-stream',
      Metadata: { [SHA256_METADATA]: file.sha256 },
    },
    partSize: partSizeFor(file.bytes),
    queueSize: QUEUE_SIZE,
    leavePartsOnError: false,
    abortController: controller,
  });
  upload.on('httpUploadProgress', (progress) => {
    if (progress.loaded !== undefined) file.onBytes?.(progress.loaded);
  });
  try {
    await upload.done();
  } catch (error) {
    source.destroy();
    if (hashed.failure) throw hashed.failure;
    throw remote.failure(error, file.key);
  } finally {
    file.signal?.removeEventListener('abort', onAbort);
  }
  const head = await remote.s3.send(new remote.sdk.HeadObjectCommand({ Bucket: remote.location.bucket, Key: file.key })).catch((error: unknown) => {
    throw remote.failure(error, file.key);
  });
  if (head.ContentLength !== file.bytes || (head.Metadata?.[SHA256_METADATA] !== undefined && head.Metadata[SHA256_METADATA] !== file.sha256)) {
    throw checksumMismatch(
      `s3://${remote.location.bucket}/${file.key} holds ${head.ContentLength ?? '?'} bytes and SHA-256 ${head.Metadata?.[SHA256_METADATA] ?? 'unknown'} after the upload, not ${file.bytes} bytes and the manifest's`,
      'run the push again',
    );
  }
}

export interface ObjectToDownload {
  key: string;
  /** Where the file goes once whole; it is written hidden beside it until then. */
  path: string;
  bytes: number;
  sha256: string;
  onBytes?: (received: number) => void;
  signal?: AbortSignal;
}

/** Downloads into a hidden file, checked; the caller commits (renames) it or discards it. */
export async function downloadFile(remote: Remote, file: ObjectToDownload): Promise<HashedFileWriter> {
  const writer = await HashedFileWriter.create(file.path);
  try {
    const answer = await remote.s3.send(new remote.sdk.GetObjectCommand({ Bucket: remote.location.bucket, Key: file.key }), { abortSignal: file.signal });
    const body = answer.Body as NodeJS.ReadableStream | undefined;
    if (!body) throw new PulseError('offsite-failed', `${remote.url()} sent no content for ${file.key}`, { hint: 'run the pull again' });
    try {
      for await (const chunk of body as AsyncIterable<Buffer>) {
        writer.write([chunk]);
        file.onBytes?.(writer.bytes);
        if (writer.bytes > file.bytes) break;
        if (writer.queuedBytes > 8 * MIB) await writer.caughtUp();
      }
    } catch (error) {
      if (file.signal?.aborted) throw error;
      throw remote.failure(error, file.key);
    }
    await writer.finish();
    if (writer.bytes !== file.bytes || writer.sha256 !== file.sha256) {
      throw checksumMismatch(
        `s3://${remote.location.bucket}/${file.key} does not match its manifest (${writer.bytes === file.bytes ? 'its SHA-256 differs' : `${writer.bytes} bytes, not ${file.bytes}`})`,
        'the remote copy is damaged: pull another set, or push this one again from a machine that has it',
      );
    }
    return writer;
  } catch (error) {
    await writer.discard();
    if (error instanceof PulseError) throw error;
    throw remote.failure(error, file.key);
  }
}

export function checksumMismatch(message: string, advice: string): PulseError {
  return new PulseError('offsite-checksum-mismatch', message, { hint: advice });
}

/** Passes bytes through, hashing and counting them; at the end, fails unless they are exactly the expected ones. */
class HashingStream extends Transform {
  private readonly hash = createHash('sha256');
  private bytes = 0;
  failure: PulseError | undefined;

  constructor(
    private readonly expectedSha256: string,
    private readonly expectedBytes: number,
    private readonly mismatch: () => PulseError,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    if (this.bytes === this.expectedBytes && this.hash.digest('hex') === this.expectedSha256) {
      callback();
      return;
    }
    this.failure = this.mismatch();
    callback(this.failure);
  }
}
