/**
 * What the codecs share: the keys a read may need, how a new set is stored,
 * and what one codec implements (codecs.ts loads them): streams from the stored
 * bytes to the plain ones and back (a Transform in this process, or a
 * child process's pipes).
 */
import type { Duplex } from 'node:stream';
import type { AgeKeys } from '../crypto/age';
import type { Encryption } from '../crypto/keySources';
import type { PulseError } from '../errors';

/**
 * What reading a set's files may need: the keys of an encrypted set. Keep
 * one object for a whole run (a restore's checks, then its load): the
 * passphrase is asked once and each file's key found once for it.
 */
export type SetKeys = AgeKeys;

/** The compressions a backup can write: gzip (`….sql.gz`), and zstd (`….sql.zst`) where the zstd command is installed. */
export const COMPRESSIONS = ['gzip', 'zstd'] as const;
export type Compression = (typeof COMPRESSIONS)[number];

/** How a new set's files are stored; an empty object writes plain SQL. Compressed first, then encrypted. */
export interface SetEncoding {
  compression?: { method: Compression; /** 1 (fastest) to 9 for gzip, to 19 for zstd; the codec's measured default otherwise. */ level?: number };
  encryption?: Encryption;
}

export interface CodecImplementation {
  /** From the stored bytes to the plain ones; `fileName` names the file in errors. */
  decoder(fileName: string, keys: SetKeys): Duplex;
  /** Proves the keys open the file, from its first bytes, before anything depends on it. */
  unlock(path: string, fileName: string, keys: SetKeys): Promise<void>;
  /** A file whose unlock said the key is wrong is damaged instead (the same keys open the set's other files): its reads say `error` from now on. */
  markDamaged?(fileName: string, keys: SetKeys, error: PulseError): void;
  /** From the plain bytes to the stored ones, ready to write (anything slow, as a passphrase's key, done). */
  encoder(encoding: SetEncoding): Promise<Duplex>;
  /** Throws the one line of a codec that cannot work here (its command not installed), before a backup writes anything. */
  ready?(): void;
}
