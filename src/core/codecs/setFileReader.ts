/**
 * A set's dump file read as the SQL it holds, whatever it is stored as
 * (compressed, encrypted): plain files straight from the disk, others through their codecs' decoders
 * (outermost first), streaming, with every stored byte shown to the caller
 * first so the file's sha256 is taken on the bytes as they are on disk.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { Readable, Transform, pipeline } from 'node:stream';
import { codecsOfFileName } from '../sets/naming';
import { loadCodec, type SetKeys } from './codecs';
import { isPulseError, PulseError } from '../errors';

/** Big reads: decoding, hashing and splitting cost far less per byte than a system call per 64 KiB. */
const READ_CHUNK_BYTES = 1024 * 1024;

/** No keys: an encrypted file then says in one line which key it needs. */
const NO_KEYS: SetKeys = {};

export interface ReadSetFileOptions {
  keys?: SetKeys | undefined;
  signal?: AbortSignal | undefined;
  /** Sees the stored bytes, in order, before they are decoded: for the file's sha256 and size as on disk. */
  onStored?: (chunk: Buffer) => void;
}

/** True when the file's name says it is stored through a codec (compressed, encrypted): psql cannot read it as it is. */
export function isEncodedFile(path: string): boolean {
  return codecsOfFileName(basename(path)).length > 0;
}

/** True when reading the file needs keys (it is encrypted); a compressed file reads without any. */
export function isEncryptedFile(path: string): boolean {
  return codecsOfFileName(basename(path)).includes('age');
}

/**
 * The plain SQL of a set's file, chunk by chunk. A chunk is the caller's to
 * keep. Rejects with the file system's error, or a codec's one line (a wrong
 * key, a damaged file) — where a damaged file stops, nothing after its last
 * good chunk came out.
 */
export async function* readSetFile(path: string, options: ReadSetFileOptions = {}): AsyncGenerator<Buffer> {
  const codecs = codecsOfFileName(basename(path));
  // The decoders are loaded before the file is opened: a stream left without a listener
  // while they load would throw its error (a file removed meanwhile) out of the process.
  const decoders = await Promise.all([...codecs].reverse().map((codec) => loadCodec(codec)));
  const source = createReadStream(path, { highWaterMark: READ_CHUNK_BYTES, ...(options.signal ? { signal: options.signal } : {}) });
  if (codecs.length === 0) {
    for await (const chunk of source) {
      options.onStored?.(chunk as Buffer);
      yield chunk as Buffer;
    }
    return;
  }
  const onStored = options.onStored;
  const stages: NodeJS.ReadWriteStream[] = onStored
    ? [
        new Transform({
          transform(chunk: Buffer, _encoding, callback) {
            onStored(chunk);
            callback(null, chunk);
          },
        }),
      ]
    : [];
  const keys = options.keys ?? NO_KEYS;
  for (const codec of decoders) stages.push(codec.decoder(basename(path), keys));
  const plain = (pipeline as (...streams: unknown[]) => Readable)(source, ...stages, () => undefined);
  try {
    for await (const chunk of plain) yield chunk as Buffer;
  } finally {
    source.destroy();
  }
}

/** The same, as a stream (for a child's standard input). */
export function setFileStream(path: string, options: ReadSetFileOptions = {}): Readable {
  return Readable.from(readSetFile(path, options), { objectMode: false });
}

/** A file as the set's manifest recorded it. */
export interface RecordedFile {
  name: string;
  bytes: number;
  sha256: string;
}

export interface UnlockOptions {
  /** A damaged file is left for the reading that follows to report as what it found (a failed check, a failed proof). */
  damagedIsAFinding?: boolean;
  /** The set's files as its manifest recorded them: a file the keys do not open that no longer matches its record is damaged. */
  recorded?: readonly RecordedFile[] | undefined;
}

/**
 * Proves the keys open each encoded file from its first bytes alone (age's
 * header and its MAC): a wrong passphrase is one line before anything is
 * read through, restored or changed; and that a compression inside can be
 * read here (zstd installed). Plain files pass as they are.
 *
 * A file the keys do not open is not always a wrong key: when they open
 * another file of the set, its header is damaged (a changed byte of its
 * salt or its key share fails the same way a wrong passphrase does), and
 * that is what is said, with whether its sha256 still matches the
 * manifest. Files the keys do not open, and none they do: the key. (A wrong
 * passphrase thus costs one scrypt per file of the set, about a second each:
 * cheaper than sending the user after another passphrase for a set whose
 * first two files are damaged.)
 */
export async function unlockSetFiles(paths: readonly string[], keys: SetKeys | undefined, options: UnlockOptions = {}): Promise<void> {
  const given = keys ?? NO_KEYS;
  const refused: { path: string; error: PulseError }[] = [];
  let opened = 0;
  for (const path of paths) {
    const codecs = codecsOfFileName(basename(path));
    const outermost = codecs.at(-1);
    if (outermost === undefined) continue;
    try {
      await (await loadCodec(outermost)).unlock(path, basename(path), given);
      if (outermost === 'age') opened += 1;
      // An inner codec's bytes lie behind the outer one's: it proves only that it can work here (zstd installed).
      for (const inner of codecs.slice(0, -1)) await (await loadCodec(inner)).unlock(path, basename(path), given);
    } catch (error) {
      if (isPulseError(error) && error.code === 'wrong-key') {
        // Every file is tried, even after two refusals: a later one that opens makes the refused ones damaged, not the key wrong.
        refused.push({ path, error });
        continue;
      }
      if (!(options.damagedIsAFinding && isPulseError(error) && error.code === 'stored-file-damaged')) throw error;
    }
  }
  for (const { path, error } of refused) {
    const name = basename(path);
    const record = options.recorded?.find((file) => file.name === name);
    // Only where the key cannot be to blame is the file read through for its checksum.
    const changed = record && (opened > 0 || refused.length === 1) ? await differsFrom(path, record) : undefined;
    if (opened === 0 && changed !== true) throw error;
    if (opened > 0 && changed === false) throw error;
    const why = [
      ...(opened > 0 ? [`its age header does not open with the ${given.passphrase ? 'passphrase' : 'keys'} that open${given.passphrase ? 's' : ''} the set's other files`] : []),
      ...(changed === true ? ['its checksum does not match the manifest'] : []),
    ].join(', and ');
    const damage = new PulseError('stored-file-damaged', `${name} is damaged: ${why}`, {
      hint: 'it cannot be decrypted: use another backup set, or a copy of this file from elsewhere',
    });
    (await loadCodec('age')).markDamaged?.(name, given, damage);
    if (!options.damagedIsAFinding) throw damage;
  }
}

/** Whether the file's size or sha256 differs from what the manifest recorded. */
async function differsFrom(path: string, record: RecordedFile): Promise<boolean> {
  const info = await stat(path);
  if (info.size !== record.bytes) return true;
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: READ_CHUNK_BYTES })) hash.update(chunk as Buffer);
  return hash.digest('hex') !== record.sha256.toLowerCase();
}
