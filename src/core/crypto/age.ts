/**
 * age v1 (https://age-encryption.org/v1) as Node streams: `ageEncrypter`
 * turns plaintext into an age file for a passphrase or X25519 recipients,
 * `ageDecrypter` turns one back, chunk by chunk, memory bounded by one
 * 64 KiB chunk whatever the file's size. A wrong passphrase or key, a file
 * cut short and a tampered one each end the stream with a one-line
 * PulseError; no plaintext of a chunk leaves before its tag is checked.
 *
 * Why our own and not the `age-encryption` package: it is an ES module on
 * WHATWG streams with scrypt in JavaScript, where Node's own crypto has
 * native scrypt, ChaCha20-Poly1305, X25519 and HKDF, and our pipelines are
 * Node streams into pg_dump's and psql's pipes. The format is small and
 * pinned; the tests hold it to Debian's `age` both ways.
 */
import { createHash, randomBytes } from 'node:crypto';
import { open } from 'node:fs/promises';
import { Transform, type TransformCallback } from 'node:stream';
import { PulseError } from '../errors';
import { hint, option, setOption } from '../hint';
import { MAX_HEADER_BYTES, macMatches, parseHeader, serializeHeader, type AgeHeader, type HeaderProblem } from './header';
import { type AgeIdentity, type AgeRecipient } from './keys';
import { CHUNK_BYTES, ChunkCounter, PAYLOAD_NONCE_BYTES, SEALED_CHUNK_BYTES, TAG_BYTES, payloadKey } from './payload';
import {
  DEFAULT_WORK_FACTOR,
  FILE_KEY_BYTES,
  MAX_WORK_FACTOR,
  isWellFormedX25519,
  openScryptStanza,
  openX25519Stanza,
  scryptStanza,
  scryptWorkFactor,
  x25519Stanza,
} from './stanzas';

/** A secret given when it is needed: from the environment, a file, a prompt, or the extension's secret storage. */
export type SecretSource = () => Promise<string>;

/** Whom a file is encrypted for. */
export type AgeEncryptTo =
  | {
      kind: 'passphrase';
      passphrase: SecretSource;
      /** scrypt's log2 N; age's 18 unless a test lowers it (never a flag: a weaker passphrase file is not a choice to offer). */
      workFactor?: number;
    }
  | { kind: 'recipients'; recipients: readonly AgeRecipient[] };

/** What may decrypt a file: a passphrase, identities, or both (whichever the file's header asks for is used). */
export interface AgeKeys {
  passphrase?: SecretSource;
  identities?: readonly AgeIdentity[];
}

export function ageEncrypter(to: AgeEncryptTo): Transform {
  return new AgeEncryptStream(to);
}

/** An encrypter whose header is already made (a passphrase's scrypt done): its first write goes straight through. */
export async function readyAgeEncrypter(to: AgeEncryptTo): Promise<Transform> {
  const encrypter = new AgeEncryptStream(to);
  await encrypter.start();
  return encrypter;
}

/** Decrypts an age file; `fileName` names it in errors. Reuse one keyring for a set's files: it asks for the passphrase once and remembers file keys. */
export function ageDecrypter(keyring: AgeKeyring, fileName: string): Transform {
  return new AgeDecryptStream(keyring, fileName);
}

/** True when `data` (a file's first bytes) starts like an age file. */
export function looksLikeAge(data: Buffer): boolean {
  return data.toString('latin1', 0, 22) === 'age-encryption.org/v1\n';
}

class AgeEncryptStream extends Transform {
  private sealer: Promise<ChunkCounter> | undefined;
  private readonly pending = Buffer.allocUnsafe(CHUNK_BYTES);
  private filled = 0;

  constructor(private readonly to: AgeEncryptTo) {
    super();
  }

  start(): Promise<ChunkCounter> {
    this.sealer ??= (async () => {
      const fileKey = randomBytes(FILE_KEY_BYTES);
      const to = this.to;
      const stanzas =
        to.kind === 'passphrase'
          ? [await scryptStanza(fileKey, await to.passphrase(), to.workFactor ?? DEFAULT_WORK_FACTOR)]
          : to.recipients.map((recipient) => x25519Stanza(fileKey, recipient));
      if (stanzas.length === 0) throw new PulseError('key-missing', 'no age recipient to encrypt to', { hint: hint`give one with ${option('recipient')}` });
      const nonce = randomBytes(PAYLOAD_NONCE_BYTES);
      this.push(serializeHeader(stanzas, fileKey));
      this.push(nonce);
      return new ChunkCounter(payloadKey(fileKey, nonce));
    })();
    return this.sealer;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.start().then((sealer) => {
      let offset = 0;
      while (offset < chunk.length) {
        // A full chunk is sealed only once more data follows: the last one carries the flag.
        if (this.filled === CHUNK_BYTES) {
          for (const part of sealer.seal(this.pending, false)) this.push(part);
          this.filled = 0;
        }
        const copied = chunk.copy(this.pending, this.filled, offset, Math.min(chunk.length, offset + CHUNK_BYTES - this.filled));
        this.filled += copied;
        offset += copied;
      }
      callback();
    }, callback);
  }

  override _flush(callback: TransformCallback): void {
    this.start().then((sealer) => {
      for (const part of sealer.seal(this.pending.subarray(0, this.filled), true)) this.push(part);
      callback();
    }, callback);
  }
}

function damaged(fileName: string, why: string): PulseError {
  return new PulseError('stored-file-damaged', `${fileName} is damaged or cut short: ${why}`, {
    hint: 'it cannot be decrypted: use another backup set, or a copy of this file from elsewhere',
  });
}

const HEADER_PROBLEMS: Record<HeaderProblem, string> = {
  'not-age': 'it does not start with an age header',
  malformed: 'its age header is not valid',
  incomplete: 'its age header is incomplete',
};

/**
 * The keys a run decrypts with, and what it learned: the passphrase asked
 * once, and each header's file key (a set's files are checked before a
 * restore and read again while it runs; scrypt is a second each time).
 */
export class AgeKeyring {
  private passphrase: Promise<string> | undefined;
  private readonly fileKeys = new Map<string, Buffer>();
  /** Each file whose header our keys did not open, by name: the header, to call it damaged if the set's other files say so. */
  private readonly refused = new Map<string, string>();
  /** Headers found damaged (markDamaged): every read of them says so, not that the key is wrong. */
  private readonly damagedHeaders = new Map<string, PulseError>();

  constructor(private readonly keys: AgeKeys) {}

  /** The file key the header's stanzas hold for our keys, its MAC checked; a one-line error otherwise. */
  async fileKeyOf(header: AgeHeader, fileName: string): Promise<Buffer> {
    const cacheKey = createHash('sha256').update(header.macedBytes).update(header.mac).digest('hex');
    const known = this.fileKeys.get(cacheKey);
    if (known) return known;
    const damage = this.damagedHeaders.get(cacheKey);
    if (damage) throw damage;
    const fileKey = await this.unwrap(header, fileName).catch((error: unknown) => {
      if (error instanceof PulseError && error.code === 'wrong-key') this.refused.set(fileName, cacheKey);
      throw error;
    });
    if (!macMatches(fileKey, header)) throw damaged(fileName, 'its age header does not match its MAC');
    this.fileKeys.set(cacheKey, fileKey);
    return fileKey;
  }

  /**
   * The header of `fileName` that our keys did not open is damaged, not
   * locked to other keys (they open the set's other files): from now on
   * every read of it says `error` (stored-file-damaged), so a verification
   * or a proof reports it as what it found.
   */
  markDamaged(fileName: string, error: PulseError): void {
    const cacheKey = this.refused.get(fileName);
    if (cacheKey !== undefined) this.damagedHeaders.set(cacheKey, error);
  }

  private async unwrap(header: AgeHeader, fileName: string): Promise<Buffer> {
    const scrypt = header.stanzas.filter((stanza) => stanza.type === 'scrypt');
    if (scrypt.length > 0) {
      if (header.stanzas.length !== 1) throw damaged(fileName, 'its age header mixes a passphrase with other keys');
      const workFactor = scryptWorkFactor(scrypt[0]);
      if (workFactor === undefined) throw damaged(fileName, 'its age header is not valid');
      if (workFactor > MAX_WORK_FACTOR) {
        throw new PulseError('stored-file-damaged', `${fileName} asks for a passphrase work factor of ${workFactor}, more than age's limit of ${MAX_WORK_FACTOR}`, {
          hint: 'decrypt it with the age command if you trust it',
        });
      }
      const source = this.keys.passphrase;
      if (source === undefined) {
        throw new PulseError('key-missing', `${fileName} is encrypted with a passphrase`, { hint: hint`give it: ${setOption('passphrase')}` });
      }
      this.passphrase ??= source();
      const fileKey = await openScryptStanza(scrypt[0], await this.passphrase);
      if (fileKey === undefined) {
        throw new PulseError('wrong-key', `the passphrase does not decrypt ${fileName}`, { hint: hint`give the passphrase it was encrypted with: ${setOption('passphrase')}` });
      }
      return fileKey;
    }
    const x25519 = header.stanzas.filter((stanza) => stanza.type === 'X25519');
    if (!x25519.every(isWellFormedX25519)) throw damaged(fileName, 'its age header is not valid');
    if (x25519.length === 0) {
      const types = [...new Set(header.stanzas.map((stanza) => stanza.type))].join(', ');
      throw new PulseError('wrong-key', `${fileName} is encrypted to keys of a kind Pulse Backup does not use (${types})`, { hint: 'decrypt it with the age command' });
    }
    const identities = this.keys.identities ?? [];
    if (identities.length === 0) {
      throw new PulseError('key-missing', `${fileName} is encrypted to age recipients`, { hint: hint`give a matching identity: ${setOption('identityFile')}` });
    }
    for (const stanza of x25519) {
      for (const identity of identities) {
        const fileKey = openX25519Stanza(stanza, identity);
        if (fileKey !== undefined) return fileKey;
      }
    }
    const count = identities.length === 1 ? 'the identity given does' : `none of the ${identities.length} identities given does`;
    throw new PulseError('wrong-key', `${count} not decrypt ${fileName}`, { hint: hint`give the identity of one of its recipients: ${setOption('identityFile')}` });
  }
}

/** Reads and checks the header of an age file: proves the keys open it before anything depends on it. */
export async function unlockAgeFile(path: string, keyring: AgeKeyring, fileName: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    let data = Buffer.alloc(0);
    for (;;) {
      const more = Buffer.allocUnsafe(Math.min(16 * 1024, MAX_HEADER_BYTES - data.length + 1));
      const { bytesRead } = await handle.read(more, 0, more.length, data.length);
      data = Buffer.concat([data, more.subarray(0, bytesRead)]);
      const parsed = parseHeader(data);
      if ('header' in parsed) {
        await keyring.fileKeyOf(parsed.header, fileName);
        return;
      }
      if (parsed.problem !== 'incomplete' || bytesRead === 0 || data.length > MAX_HEADER_BYTES) throw damaged(fileName, HEADER_PROBLEMS[parsed.problem]);
    }
  } finally {
    await handle.close();
  }
}

class AgeDecryptStream extends Transform {
  private state: 'header' | 'nonce' | 'payload' = 'header';
  private headerBytes = Buffer.alloc(0);
  private opener: ChunkCounter | undefined;
  private fileKey: Buffer | undefined;
  private readonly pending = Buffer.allocUnsafe(SEALED_CHUNK_BYTES);
  private filled = 0;

  constructor(
    private readonly keyring: AgeKeyring,
    private readonly fileName: string,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (this.state !== 'header') {
      this.absorb(chunk, callback);
      return;
    }
    this.headerBytes = Buffer.concat([this.headerBytes, chunk]);
    const parsed = parseHeader(this.headerBytes);
    if ('problem' in parsed) {
      if (parsed.problem !== 'incomplete' || this.headerBytes.length > MAX_HEADER_BYTES) callback(damaged(this.fileName, HEADER_PROBLEMS[parsed.problem]));
      else callback();
      return;
    }
    this.keyring.fileKeyOf(parsed.header, this.fileName).then(
      (fileKey) => {
        this.fileKey = fileKey;
        this.state = 'nonce';
        const rest = this.headerBytes.subarray(parsed.header.length);
        this.headerBytes = Buffer.alloc(0);
        this.absorb(rest, callback);
      },
      (error: unknown) => callback(error as Error),
    );
  }

  private absorb(data: Buffer, callback: TransformCallback): void {
    let offset = 0;
    if (this.state === 'nonce') {
      const copied = data.copy(this.pending, this.filled, 0, Math.min(data.length, PAYLOAD_NONCE_BYTES - this.filled));
      this.filled += copied;
      offset = copied;
      if (this.filled < PAYLOAD_NONCE_BYTES) {
        callback();
        return;
      }
      this.opener = new ChunkCounter(payloadKey(this.fileKey!, Buffer.from(this.pending.subarray(0, PAYLOAD_NONCE_BYTES))));
      this.state = 'payload';
      this.filled = 0;
    }
    while (offset < data.length) {
      // A full sealed chunk is opened as "not the last" only once more data follows it.
      if (this.filled === SEALED_CHUNK_BYTES) {
        const plaintext = this.opener!.open(this.pending, false);
        if (plaintext === undefined) {
          callback(damaged(this.fileName, `chunk ${this.opener!.chunks} does not authenticate`));
          return;
        }
        this.push(plaintext);
        this.filled = 0;
      }
      const copied = data.copy(this.pending, this.filled, offset, Math.min(data.length, offset + SEALED_CHUNK_BYTES - this.filled));
      this.filled += copied;
      offset += copied;
    }
    callback();
  }

  override _flush(callback: TransformCallback): void {
    if (this.state === 'header') {
      const parsed = parseHeader(this.headerBytes);
      callback(damaged(this.fileName, 'problem' in parsed ? HEADER_PROBLEMS[parsed.problem] : HEADER_PROBLEMS.incomplete));
      return;
    }
    if (this.state === 'nonce' || this.filled < TAG_BYTES) {
      callback(damaged(this.fileName, 'its encrypted data ends early'));
      return;
    }
    const opener = this.opener!;
    const first = opener.chunks === 0;
    const plaintext = opener.open(this.pending.subarray(0, this.filled), true);
    if (plaintext === undefined) {
      callback(
        damaged(this.fileName, first || this.filled === SEALED_CHUNK_BYTES ? 'its encrypted data ends early or does not authenticate' : 'its last chunk does not authenticate'),
      );
      return;
    }
    if (plaintext.length === 0 && !first) {
      callback(damaged(this.fileName, 'its last chunk is empty'));
      return;
    }
    callback(null, plaintext.length > 0 ? plaintext : undefined);
  }
}
