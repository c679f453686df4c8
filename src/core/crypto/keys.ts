/**
 * age's X25519 keys as text: a recipient `age1…` (public, fine on a command
 * line) and an identity `AGE-SECRET-KEY-1…` (secret), one per line in the
 * files `age-keygen` writes, `#` starting a comment. Node's crypto does the
 * curve; the raw 32 bytes travel in the fixed DER wrappers it reads.
 */
import { createPrivateKey, createPublicKey, diffieHellman, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { PulseError } from '../errors';
import { hint, option, type Hint } from '../hint';
import { bech32Decode, bech32Encode } from './bech32';

const RECIPIENT_PREFIX = 'age';
const IDENTITY_PREFIX = 'age-secret-key-';
/** PKCS #8 and SubjectPublicKeyInfo for an X25519 key, up to its 32 raw bytes. */
const PRIVATE_DER_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex');
const PUBLIC_DER_PREFIX = Buffer.from('302a300506032b656e032100', 'hex');

/** Someone a file is encrypted to: an X25519 public key. */
export interface AgeRecipient {
  readonly publicKey: Buffer;
  /** `age1…`, as age-keygen prints it. */
  readonly text: string;
}

/** A key that decrypts a file encrypted to its recipient. */
export interface AgeIdentity {
  readonly privateKey: KeyObject;
  readonly recipient: AgeRecipient;
}

export function recipientFromPublicKey(publicKey: Buffer): AgeRecipient {
  return { publicKey, text: bech32Encode(RECIPIENT_PREFIX, publicKey) };
}

export function publicKeyObject(publicKey: Buffer): KeyObject {
  return createPublicKey({ key: Buffer.concat([PUBLIC_DER_PREFIX, publicKey]), format: 'der', type: 'spki' });
}

export function rawPublicKey(key: KeyObject): Buffer {
  return key.export({ format: 'der', type: 'spki' }).subarray(PUBLIC_DER_PREFIX.length);
}

function identityFromSecret(secret: Buffer): AgeIdentity {
  const privateKey = createPrivateKey({ key: Buffer.concat([PRIVATE_DER_PREFIX, secret]), format: 'der', type: 'pkcs8' });
  return { privateKey, recipient: recipientFromPublicKey(rawPublicKey(createPublicKey(privateKey))) };
}

/** X25519 of a private and a public key; Node refuses a low-order public key (an all-zero result). */
export function sharedSecret(privateKey: KeyObject, publicKey: KeyObject): Buffer | undefined {
  try {
    const secret = diffieHellman({ privateKey, publicKey });
    return secret.every((byte) => byte === 0) ? undefined : secret;
  } catch {
    return undefined;
  }
}

function invalidKey(what: string, where: string | undefined, advice?: Hint): PulseError {
  const place = where === undefined ? '' : ` in ${where}`;
  return new PulseError('invalid-key', `${what}${place}`, {
    hint:
      advice ??
      hint`age keys are made by age-keygen: give a recipient as age1… (${option('recipient')}) and an identity as AGE-SECRET-KEY-1… in a file (${option('identityFile')})`,
  });
}

/**
 * An `age1…` recipient, or a one-line error naming where it came from. The
 * error repeats the text only when it looks like a recipient (public): any
 * other text may be a secret given in the wrong place (a passphrase file, an
 * identity file), which must never reach a terminal or a log.
 */
export function parseRecipient(text: string, where?: string, given = where === undefined ? 'the recipient given' : 'a line'): AgeRecipient {
  const trimmed = text.trim();
  const decoded = bech32Decode(trimmed);
  if (decoded === undefined || decoded.prefix !== RECIPIENT_PREFIX || decoded.data.length !== 32 || trimmed !== trimmed.toLowerCase()) {
    if (/^AGE-SECRET-KEY-/i.test(trimmed)) {
      throw invalidKey(
        `${given} is an age identity (a secret key), not a recipient`,
        where,
        hint`give its public key instead, age1… (age-keygen -y FILE prints it); keep the secret key out of recipients`,
      );
    }
    throw invalidKey(/^age1[0-9a-z]*$/i.test(trimmed) ? `"${shorten(trimmed)}" is not an age recipient (age1…)` : `${given} is not an age recipient (age1…)`, where);
  }
  return recipientFromPublicKey(decoded.data);
}

/** An `AGE-SECRET-KEY-1…` identity; the error never repeats the text (it may be a secret key mistyped). */
export function parseIdentity(text: string, where?: string): AgeIdentity {
  const decoded = bech32Decode(text.trim());
  if (decoded === undefined || decoded.prefix !== IDENTITY_PREFIX || decoded.data.length !== 32 || text.trim() !== text.trim().toUpperCase()) {
    throw invalidKey('a line is not an age identity (AGE-SECRET-KEY-1…)', where);
  }
  return identityFromSecret(decoded.data);
}

/** The key lines of a file as age-keygen writes it: blank lines and `#` comments left out. */
function keyLines(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}

/** Every recipient of a recipients file (one `age1…` a line); at least one. */
export function parseRecipientsFile(text: string, where: string): AgeRecipient[] {
  const recipients = keyLines(text).map((line) => parseRecipient(line, where));
  if (recipients.length === 0) throw invalidKey('no age recipient (age1…)', where);
  return recipients;
}

/** Every identity of an identity file (age-keygen's output: comments and `AGE-SECRET-KEY-1…` lines); at least one. */
export function parseIdentityFile(text: string, where: string): AgeIdentity[] {
  const identities = keyLines(text).map((line) => parseIdentity(line, where));
  if (identities.length === 0) throw invalidKey('no age identity (AGE-SECRET-KEY-1…)', where);
  return identities;
}

/** A new identity with its `AGE-SECRET-KEY-1…` text, as age-keygen makes one. */
export function generateIdentity(): { identity: AgeIdentity; text: string } {
  const { privateKey } = generateKeyPairSync('x25519');
  const secret = privateKey.export({ format: 'der', type: 'pkcs8' }).subarray(PRIVATE_DER_PREFIX.length);
  return { identity: identityFromSecret(secret), text: bech32Encode(IDENTITY_PREFIX, secret).toUpperCase() };
}

function shorten(text: string): string {
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}
