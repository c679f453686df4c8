/**
 * The two ways to the file key age defines: an `X25519` stanza per
 * recipient (an ephemeral key agreed with the recipient's public key) and a
 * lone `scrypt` stanza for a passphrase. Each wraps the 16-byte file key with
 * ChaCha20-Poly1305 under a key derived for that stanza; unwrapping with the
 * wrong key fails its tag, which is how a wrong key or passphrase is known.
 */
import { createCipheriv, createDecipheriv, generateKeyPairSync, hkdfSync, randomBytes, scrypt } from 'node:crypto';
import { decodeBase64, encodeBase64, type Stanza } from './header';
import { publicKeyObject, rawPublicKey, sharedSecret, type AgeIdentity, type AgeRecipient } from './keys';

export const FILE_KEY_BYTES = 16;
const X25519_INFO = 'age-encryption.org/v1/X25519';
const SCRYPT_LABEL = 'age-encryption.org/v1/scrypt';
/** age's work factor for a passphrase (log2 of scrypt's N): about a second, and 256 MiB, on a laptop. */
export const DEFAULT_WORK_FACTOR = 18;
/** The largest work factor a file may ask of us, as age's own limit: more is a denial of service, not a passphrase. */
export const MAX_WORK_FACTOR = 22;
const SCRYPT_R = 8;

function seal(key: Buffer, plaintext: Buffer): Buffer {
  const cipher = createCipheriv('chacha20-poly1305', key, Buffer.alloc(12), { authTagLength: 16 });
  return Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
}

function open(key: Buffer, sealed: Buffer): Buffer | undefined {
  if (sealed.length < 16) return undefined;
  const decipher = createDecipheriv('chacha20-poly1305', key, Buffer.alloc(12), { authTagLength: 16 });
  decipher.setAuthTag(sealed.subarray(sealed.length - 16));
  try {
    return Buffer.concat([decipher.update(sealed.subarray(0, sealed.length - 16)), decipher.final()]);
  } catch {
    return undefined;
  }
}

function x25519WrapKey(shared: Buffer, ephemeralShare: Buffer, recipientKey: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', shared, Buffer.concat([ephemeralShare, recipientKey]), X25519_INFO, 32));
}

export function x25519Stanza(fileKey: Buffer, recipient: AgeRecipient): Stanza {
  const ephemeral = generateKeyPairSync('x25519');
  const share = rawPublicKey(ephemeral.publicKey);
  const shared = sharedSecret(ephemeral.privateKey, publicKeyObject(recipient.publicKey));
  if (shared === undefined) throw new Error(`the recipient ${recipient.text} is not a usable X25519 key`);
  return { type: 'X25519', args: [encodeBase64(share)], body: seal(x25519WrapKey(shared, share, recipient.publicKey), fileKey) };
}

/** An X25519 stanza as the spec has it: one argument, a 32-byte share, a 32-byte body (anything else is rejected, not skipped). */
export function isWellFormedX25519(stanza: Stanza): boolean {
  return stanza.args.length === 1 && decodeBase64(stanza.args[0])?.length === 32 && stanza.body.length === FILE_KEY_BYTES + 16;
}

/** The file key if this identity opens this X25519 stanza; undefined when it is someone else's. */
export function openX25519Stanza(stanza: Stanza, identity: AgeIdentity): Buffer | undefined {
  const share = isWellFormedX25519(stanza) ? decodeBase64(stanza.args[0]) : undefined;
  if (share === undefined) return undefined;
  const shared = sharedSecret(identity.privateKey, publicKeyObject(share));
  if (shared === undefined) return undefined;
  return open(x25519WrapKey(shared, share, identity.recipient.publicKey), stanza.body);
}

/**
 * One scrypt at a time in this process: at age's work factor each holds 256
 * MiB while it runs, and a set has three files.
 */
let scryptQueue: Promise<unknown> = Promise.resolve();

function scryptKey(passphrase: string, salt: Buffer, workFactor: number): Promise<Buffer> {
  const N = 2 ** workFactor;
  const run = () =>
    new Promise<Buffer>((resolve, reject) => {
      const input = Buffer.concat([Buffer.from(SCRYPT_LABEL, 'latin1'), salt]);
      scrypt(passphrase, input, 32, { N, r: SCRYPT_R, p: 1, maxmem: 256 * SCRYPT_R * N }, (error, key) => (error ? reject(error) : resolve(key)));
    });
  const result = scryptQueue.then(run, run);
  scryptQueue = result.catch(() => undefined);
  return result;
}

export async function scryptStanza(fileKey: Buffer, passphrase: string, workFactor: number): Promise<Stanza> {
  const salt = randomBytes(16);
  return { type: 'scrypt', args: [encodeBase64(salt), String(workFactor)], body: seal(await scryptKey(passphrase, salt, workFactor), fileKey) };
}

/** A scrypt stanza's work factor, or undefined when its arguments are not age's. */
export function scryptWorkFactor(stanza: Stanza): number | undefined {
  const [salt, factor] = stanza.args;
  if (stanza.args.length !== 2 || decodeBase64(salt)?.length !== 16 || !/^[1-9]\d?$/.test(factor)) return undefined;
  return Number(factor);
}

/** The file key if the passphrase opens this scrypt stanza; undefined when it does not. */
export async function openScryptStanza(stanza: Stanza, passphrase: string): Promise<Buffer | undefined> {
  const workFactor = scryptWorkFactor(stanza);
  const salt = decodeBase64(stanza.args[0] ?? '');
  if (workFactor === undefined || salt === undefined || stanza.body.length !== FILE_KEY_BYTES + 16) return undefined;
  return open(await scryptKey(passphrase, salt, workFactor), stanza.body);
}
