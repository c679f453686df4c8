/**
 * The gzip codec: Node's zlib, whose work runs on libuv's thread pool, so
 * compressing a set's three files overlaps pg_dump and the digests instead
 * of queueing behind them. A file it writes is a plain gzip file:
 * `gunzip -c FILE | psql` restores it by hand.
 */
import { createGzip, createGunzip } from 'node:zlib';
import { isPulseError, PulseError } from '../errors';
import type { CodecImplementation } from './types';

/**
 * Chosen by measurement (docs/backups-folder.md, "Size and time"): level 1
 * shrinks a dump to about a fifth; higher levels buy a few percent of size
 * for up to twice the work, and a set compresses its dump twice.
 */
export const DEFAULT_GZIP_LEVEL = 1;

/** Big chunks: fewer trips to the thread pool per megabyte. */
const CHUNK_BYTES = 256 * 1024;

function damaged(fileName: string, cause: Error): PulseError {
  const why = (cause as NodeJS.ErrnoException).code === 'Z_BUF_ERROR' ? 'it ends in the middle of its gzip stream' : `its gzip stream is not valid (${cause.message})`;
  return new PulseError('stored-file-damaged', `${fileName} is damaged or cut short: ${why}`, {
    hint: 'it cannot be decompressed: use another backup set, or a copy of this file from elsewhere',
    cause,
  });
}

export const GZIP_CODEC: CodecImplementation = {
  decoder: (fileName) => {
    const gunzip = createGunzip({ chunkSize: CHUNK_BYTES });
    // zlib ends a stream through destroy(): its error becomes the file's one line there.
    const destroy = gunzip._destroy.bind(gunzip);
    gunzip._destroy = (error, callback) => destroy(error && !isPulseError(error) ? damaged(fileName, error) : error, callback);
    return gunzip;
  },
  // Nothing to prove before reading: gzip has no key.
  unlock: () => Promise.resolve(),
  encoder: (encoding) => Promise.resolve(createGzip({ level: encoding.compression?.level ?? DEFAULT_GZIP_LEVEL, chunkSize: CHUNK_BYTES })),
};
