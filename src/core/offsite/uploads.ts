/**
 * Multipart uploads that never completed. A push that is stopped aborts its
 * own; one that was killed (kill -9, a power cut) leaves its parts on the
 * storage, invisible to a listing of objects but stored (and billed). Each
 * push and prune first aborts those under the remote's prefix: all of the
 * set being pushed (a second push of one set at the same time is not a
 * thing to protect), and the other sets' once a day old, so that a push of
 * another set running elsewhere right now keeps its own.
 */
import type { Remote } from './client';
import { notS3Storage, shapelessListing } from './failures';
import { keyPrefix, setKeyPrefix, setOfKey } from './remote';

/** Another set's upload counts as abandoned after this long. */
export const ABANDONED_AFTER_MS = 24 * 60 * 60 * 1000;

export interface PendingUpload {
  key: string;
  uploadId: string;
  initiated?: Date;
}

export async function listPendingUploads(remote: Remote, under = keyPrefix(remote.location), signal?: AbortSignal): Promise<PendingUpload[]> {
  const uploads: PendingUpload[] = [];
  let keyMarker: string | undefined;
  let uploadIdMarker: string | undefined;
  do {
    const page = await remote.s3
      .send(
        new remote.sdk.ListMultipartUploadsCommand({
          Bucket: remote.location.bucket,
          Prefix: under,
          ...(keyMarker ? { KeyMarker: keyMarker } : {}),
          ...(uploadIdMarker ? { UploadIdMarker: uploadIdMarker } : {}),
        }),
        { abortSignal: signal },
      )
      .catch((error: unknown) => {
        // A storage that cannot list them (its lifecycle rule cleans them instead): nothing to abort from here.
        if (isNotImplemented(error)) return undefined;
        throw remote.failure(error);
      });
    if (page === undefined) return [];
    if (shapelessListing(page)) throw notS3Storage({ bucket: remote.location.bucket, where: remote.where });
    for (const upload of page.Uploads ?? []) {
      if (upload.Key !== undefined && upload.UploadId !== undefined)
        uploads.push({ key: upload.Key, uploadId: upload.UploadId, ...(upload.Initiated ? { initiated: upload.Initiated } : {}) });
    }
    keyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
    uploadIdMarker = page.IsTruncated ? page.NextUploadIdMarker : undefined;
  } while (keyMarker);
  return uploads;
}

/** Which pending uploads are abandoned: every one of `setId`'s, and others' older than a day. Pure. */
export function abandonedUploads(remote: Pick<Remote, 'location'>, uploads: readonly PendingUpload[], setId: string | undefined, now: Date): PendingUpload[] {
  const ownFolder = setId === undefined ? undefined : setKeyPrefix(remote.location, setId);
  return uploads.filter((upload) => {
    if (ownFolder !== undefined && upload.key.startsWith(ownFolder)) return true;
    if (setOfKey(remote.location, upload.key) === undefined) return false;
    return upload.initiated !== undefined && now.getTime() - upload.initiated.getTime() >= ABANDONED_AFTER_MS;
  });
}

/** Aborts the abandoned uploads under the prefix; returns their keys. */
export async function abortAbandonedUploads(remote: Remote, setId: string | undefined, signal?: AbortSignal): Promise<string[]> {
  const abandoned = abandonedUploads(remote, await listPendingUploads(remote, undefined, signal), setId, new Date());
  for (const upload of abandoned) await abortUpload(remote, upload, signal);
  return abandoned.map((upload) => upload.key);
}

export async function abortUpload(remote: Remote, upload: PendingUpload, signal?: AbortSignal): Promise<void> {
  await remote.s3
    .send(new remote.sdk.AbortMultipartUploadCommand({ Bucket: remote.location.bucket, Key: upload.key, UploadId: upload.uploadId }), { abortSignal: signal })
    .catch((error: unknown) => {
      // Already gone (completed or aborted by another run): nothing left to clean.
      if ((error as { name?: string }).name === 'NoSuchUpload') return;
      throw remote.failure(error, upload.key);
    });
}

function isNotImplemented(error: unknown): boolean {
  const record = error as { name?: string; Code?: string; $metadata?: { httpStatusCode?: number } };
  return record.name === 'NotImplemented' || record.Code === 'NotImplemented' || record.$metadata?.httpStatusCode === 501;
}
