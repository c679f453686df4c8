/**
 * The codecs a dump file can be stored through, each one extension after
 * `.sql` (sets/naming.ts): a decoder from the stored bytes to the plain SQL
 * and an encoder back, as Node streams. Each is loaded on first use: a
 * backup or a restore of plain sets never loads one.
 */
import type { CompressionCodec, FileCodec } from '../sets/naming';
import type { CodecImplementation, Compression, SetEncoding } from './types';

export { COMPRESSIONS, type CodecImplementation, type Compression, type SetEncoding, type SetKeys } from './types';

const LOADERS: Record<FileCodec, () => Promise<CodecImplementation>> = {
  gz: () => import('./gzipCodec').then((module) => module.GZIP_CODEC),
  zst: () => import('./zstdCodec').then((module) => module.ZSTD_CODEC),
  age: () => import('./ageCodec').then((module) => module.AGE_CODEC),
};

const COMPRESSION_CODEC: Record<Compression, CompressionCodec> = { gzip: 'gz', zstd: 'zst' };

export function loadCodec(codec: FileCodec): Promise<CodecImplementation> {
  return LOADERS[codec]();
}

/** The codecs a new set's files go through, innermost first: compressed, then encrypted. */
export function codecsFor(encoding: SetEncoding | undefined): FileCodec[] {
  return [...(encoding?.compression ? [COMPRESSION_CODEC[encoding.compression.method]] : []), ...(encoding?.encryption ? (['age'] as const) : [])];
}

/** Fails with the one line of a codec the new set needs that cannot work here (zstd not installed), before anything is written. */
export async function checkCodecsReady(encoding: SetEncoding | undefined): Promise<void> {
  for (const codec of codecsFor(encoding)) (await loadCodec(codec)).ready?.();
}
