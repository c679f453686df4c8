/**
 * pg's crypto helpers (pg/lib/crypto/utils.js), on Node's own crypto. The
 * bundles put this module in their place (see esbuild.js). pg's version goes
 * through WebCrypto: every step of a SCRAM login (key derivation, four HMACs,
 * a hash) is a round of promises and key imports, a few milliseconds at the
 * start of every backup. Same inputs, same outputs, computed directly.
 */
import { createHash, createHmac, pbkdf2Sync, randomBytes as nodeRandomBytes } from 'node:crypto';

type Bytes = Buffer | ArrayBuffer | Uint8Array;

const asBuffer = (bytes: Bytes): Buffer => (Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes as ArrayBuffer));

export function randomBytes(length: number): Buffer {
  return nodeRandomBytes(length);
}

export function md5(text: string | Buffer): Promise<string> {
  return Promise.resolve(createHash('md5').update(text).digest('hex'));
}

/** AuthenticationMD5Password: 'md5' + md5(md5(password + user) + salt). */
export function postgresMd5PasswordHash(user: string, password: string, salt: Buffer): Promise<string> {
  const inner = createHash('md5')
    .update(password + user, 'utf8')
    .digest('hex');
  return Promise.resolve(
    `md5${createHash('md5')
      .update(Buffer.concat([Buffer.from(inner), salt]))
      .digest('hex')}`,
  );
}

export function deriveKey(password: string, salt: Bytes, iterations: number): Promise<Buffer> {
  return Promise.resolve(pbkdf2Sync(password, asBuffer(salt), iterations, 32, 'sha256'));
}

export function sha256(data: Bytes): Promise<Buffer> {
  return Promise.resolve(createHash('sha256').update(asBuffer(data)).digest());
}

/** WebCrypto names ('SHA-256') as pg passes them, for channel binding. */
export function hashByName(hashName: string, data: Bytes): Promise<Buffer> {
  return Promise.resolve(createHash(hashName.replace('-', '').toLowerCase()).update(asBuffer(data)).digest());
}

export function hmacSha256(key: Bytes, message: string): Promise<Buffer> {
  return Promise.resolve(createHmac('sha256', asBuffer(key)).update(message, 'utf8').digest());
}
