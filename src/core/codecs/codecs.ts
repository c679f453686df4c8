/**
 * The codecs a dump file can be stored through, each one extension after
 * `.sql` (sets/naming.ts): a decoder from the stored bytes to the plain SQL
 * and an encoder back, as Node Transforms. Each is loaded on first use: a
 * backup or a restore of plain sets never loads one.
 */
import type { FileCodec } from '../sets/naming';
import type { CodecImplementation, SetEncoding } from './types';

export type { CodecImplementation, SetEncoding, SetKeys } from './types';

const LOADERS: Record<FileCodec, () => Promise<CodecImplementation>> = {
  age: () => import('./ageCodec').then((module) => module.AGE_CODEC),
};

export function loadCodec(codec: FileCodec): Promise<CodecImplementation> {
  return LOADERS[codec]();
}

/** The codecs a new set's files go through, innermost first. */
export function codecsFor(encoding: SetEncoding | undefined): FileCodec[] {
  return encoding?.encryption ? ['age'] : [];
}
